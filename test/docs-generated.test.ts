// Issue 17: the check catalogue and the reference servers live in docs/, generated from the code where
// they can be so they never drift. The generator (scripts/catalogue-docs.ts, `npm run docs`) runs here
// in memory, and every page it writes must equal the committed one. What stays hand-written beside the
// generated parts (the per-check prose of CONFORMANCE.md) must at least name every check.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROFILES } from '../src/targets/profiles.js';
import { REFERENCES } from '../src/targets/reference/index.js';
import { CATALOGUE, suitesOfKind } from '../suites/index.js';
import { generatedDocs, replaceBlock } from '../scripts/catalogue-docs.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
const docs = generatedDocs(ROOT);
const page = (file: string) => docs.find((d) => d.file === file)!.text;

describe('the generated docs are up to date', () => {
  it.each(docs.map((d) => [d.file]))('%s equals what `npm run docs` writes', (file) => {
    expect(read(file), `${file} differs from what the catalogue and the reference map say: run \`npm run docs\` and commit the result`).toBe(page(file));
  });

  it("the README and run.md give the catalogue's true number of server checks", () => {
    const n = suitesOfKind('server').flatMap((s) => s.checks).length;
    expect(read('README.md')).toMatch(new RegExp(`Runs the ${n} checks of`));
    expect(read('docs/run.md')).toMatch(new RegExp(`\\(${n} checks, stable IDs`));
  });

  it('docs/checks.md names every check of every kind, under its suite, and every server check on every profile', () => {
    const text = page('docs/checks.md');
    for (const suite of CATALOGUE) {
      expect(text).toContain(`### ${suite.id}\n\n${suite.title}.`);
      for (const c of suite.checks) expect(text).toContain(`| \`${c.id}\` | ${c.title.replace(/\|/g, '\\|')}`);
    }
    for (const p of PROFILES) expect(text.match(new RegExp(`^\\| \`${p}\` \\|`, 'gm'))).toHaveLength(suitesOfKind('server').length);
  });

  it("the reference block has one column per reference server and each one's packages", () => {
    const text = page('docs/reference-servers.md');
    expect(text).toContain(
      `| profile | ${Object.keys(REFERENCES)
        .map((n) => `\`${n}\``)
        .join(' | ')} |`,
    );
    for (const s of Object.values(REFERENCES)) for (const pkg of s.debianPackages) expect(text).toContain(`\`${pkg}\``);
  });

  it('the hand-written prose of CONFORMANCE.md names every server and client check', () => {
    const text = read('docs/CONFORMANCE.md');
    for (const suite of [...suitesOfKind('server'), ...suitesOfKind('client')]) for (const c of suite.checks) expect(text, c.id).toContain(`\`${c.id}\``);
  });

  it('a block is replaced between its markers only, and a page without them is an error', () => {
    const text = 'prose\n<!-- generated:x begin -->\nold\n<!-- generated:x end -->\nmore prose\n';
    const out = replaceBlock(text, 'x', 'new', 'a.md');
    expect(out.startsWith('prose\n<!-- generated:x begin -->\n')).toBe(true);
    expect(out.endsWith('\nnew\n\n<!-- generated:x end -->\nmore prose\n')).toBe(true);
    expect(out).not.toContain('old');
    expect(replaceBlock(out, 'x', 'new', 'a.md')).toBe(out);
    expect(() => replaceBlock('prose only', 'x', 'new', 'a.md')).toThrow(/a\.md: no "<!-- generated:x begin -->"/);
  });
});
