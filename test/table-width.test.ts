// Issue 21: the terminal table of a real run (the node reference, optional-client-cert: failures with
// long remediations) fits $COLUMNS at 60, 80 and 120 columns, and --compact prints one line per check.
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from './helpers/cli.js';

const { strlen } = createRequire(import.meta.url)('cli-table3/src/utils.js') as { strlen(s: string): number };
const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-table-width-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const RUN = ['run', '--reference', 'node', '--profile', 'optional-client-cert'];
const widest = (text: string) => Math.max(...text.split('\n').map((l) => strlen(l)));

/** Each row's Finding cell (the last column), its lines joined, whitespace removed. */
function findings(table: string): string[] {
  const out: string[] = [];
  let cell = '';
  for (const line of table.split('\n')) {
    if (line.startsWith('│')) cell += line.split('│').at(-2)!.replace(/\s+/g, '');
    else if (cell) [out[out.length], cell] = [cell, ''];
  }
  return out;
}

describe('the table of a real run fits $COLUMNS', () => {
  it.each([60, 80, 120])('COLUMNS=%i: no line wider; every check and the summary there', async (w) => {
    const json = path.join(dir, `r${w}.json`);
    const r = await spawnCli([...RUN, '--json', json], dir, { COLUMNS: String(w) }, 60_000);
    expect(r.code, r.stderr).toBe(1); // optional-client-cert fails reject.no-client-cert
    expect(widest(r.stdout)).toBeLessThanOrEqual(w);
    expect(widest(r.stdout)).toBeGreaterThan(w - 3); // the table uses the width
    const results = (JSON.parse(readFileSync(json, 'utf8')) as { results: { check: string; message: string }[] }).results;
    const longest = results.reduce((a, x) => (x.message.length > a.length ? x.message : a), '');
    expect(longest.length).toBeGreaterThan(w); // a finding longer than the line: wrapped, not cut
    expect(findings(r.stdout).some((f) => f.includes(longest.replace(/\s+/g, '')))).toBe(true);
    expect(r.stdout).toMatch(/\d+ checks on 1 target\(s\) in/);
  });

  it('--compact: one line per check, each cut with … at the width, the summary after', async () => {
    const json = path.join(dir, 'compact.json');
    const r = await spawnCli([...RUN, '--compact', '--json', json], dir, { COLUMNS: '80' }, 60_000);
    expect(r.code, r.stderr).toBe(1);
    const n = (JSON.parse(readFileSync(json, 'utf8')) as { results: unknown[] }).results.length;
    const rows = r.stdout.split('\n').filter((l) => /^(PASS|WARN|FAIL|SKIP|ERROR) +\S/.test(l));
    expect(rows).toHaveLength(n);
    expect(widest(r.stdout)).toBeLessThanOrEqual(80);
    expect(rows.some((l) => l.endsWith('…'))).toBe(true);
    expect(r.stdout).not.toContain('┌');
  });
});
