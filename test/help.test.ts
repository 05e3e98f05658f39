// Issue 17, one option model: every command's --help (the built CLI, as a user runs it) fits 80
// columns and ends with two or three examples; every long option the command's parser accepts is in
// its help, and every option its help defines is accepted; each example parses with that command's
// option spec; the lists written out in help texts match the data they name; and `CMD --help` is
// answered without loading the command (nor the catalogue, nor the certificate library).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CLI_JS, spawnCli } from './helpers/cli.js';
import type { OptionSpec } from '../src/cli/args.js';

/** The option spec each command passed to parseCommandArgs, by command name ("k8s scan"). */
const specs = vi.hoisted(() => new Map<string, Record<string, { type: string; short?: string }>>());
vi.mock('../src/cli/args.js', async (importOriginal) => {
  const args = await importOriginal<typeof import('../src/cli/args.js')>();
  return {
    ...args,
    parseCommandArgs(command: string, argv: string[], options: OptionSpec) {
      specs.set(command, options as Record<string, { type: string; short?: string }>);
      return args.parseCommandArgs(command, argv, options);
    },
  };
});

const { parseCommandArgs } = await vi.importActual<typeof import('../src/cli/args.js')>('../src/cli/args.js');
const { runCli } = await import('../src/cli/run.js');

/** Every help, by the words that ask for it, and the parser (command name) behind it. */
const HELPS: { words: string[]; command?: string }[] = [
  { words: [] },
  { words: ['probe'], command: 'probe' },
  { words: ['diff'], command: 'diff' },
  { words: ['run'], command: 'run' },
  { words: ['client-test'], command: 'client-test' },
  { words: ['audit'], command: 'audit' },
  { words: ['github'], command: 'github' },
  { words: ['k8s', 'scan'], command: 'k8s scan' },
  { words: ['certs', 'init'], command: 'certs init' },
  { words: ['certs', 'revoke'], command: 'certs revoke' },
  { words: ['reference', 'start'], command: 'reference start' },
  { words: ['demo'], command: 'demo' },
  { words: ['baseline'], command: 'baseline' },
];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mtls-help-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI in-process (the command modules load, so their specs are captured). */
async function inProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { NO_COLOR: '1' } });
  return { code, stdout, stderr };
}

/** The lines of the Examples section (it must end the help), without their indentation. */
function examplesOf(help: string): string[] {
  const lines = help.trimEnd().split('\n');
  const at = lines.lastIndexOf('Examples:');
  expect(at, 'an "Examples:" section').toBeGreaterThan(0);
  return lines.slice(at + 1).map((l) => {
    expect(l, 'examples are indented by two spaces').toMatch(/^ {2}\S/);
    return l.trim();
  });
}

/** Shell-like words of one example line ('...' quoted words kept whole). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** Long options a help text names (`--name`), anywhere in it. */
function longOptions(text: string): Set<string> {
  return new Set([...text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!));
}

/** Other programs' flags a help quotes (client-test's curl): not ours. Examples count up to their `--`. */
const FOREIGN: Record<string, string[]> = { 'client-test': ['connect-to', 'resolve'] };

describe('every --help (the built CLI)', () => {
  for (const { words: w } of HELPS) {
    const label = ['mtls-harness', ...w, '--help'].join(' ');
    it(`${label}: exit 0, at most 80 columns, ends with 2-3 examples`, async () => {
      const r = await spawnCli([...w, '--help'], tmp);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const long = r.stdout.split('\n').filter((l) => l.length > 80);
      expect(long, 'lines over 80 columns').toEqual([]);
      const ex = examplesOf(r.stdout);
      expect(ex.length).toBeGreaterThanOrEqual(2);
      expect(ex.length).toBeLessThanOrEqual(3);
      for (const e of ex) expect(e).toMatch(w.length > 0 ? new RegExp(`^mtls-harness ${w[0]}( |$)`) : /^mtls-harness [a-z]/);
    });
  }

  it('the other spellings print the same help: -h, help CMD, k8s --help, certs --help', async () => {
    const run = (await spawnCli(['run', '--help'], tmp)).stdout;
    expect((await spawnCli(['run', '-h'], tmp)).stdout).toBe(run);
    expect((await spawnCli(['help', 'run'], tmp)).stdout).toBe(run);
    const k8s = (await spawnCli(['k8s', 'scan', '--help'], tmp)).stdout;
    expect((await spawnCli(['k8s', '--help'], tmp)).stdout).toBe(k8s);
    expect((await spawnCli(['k8s', 'help'], tmp)).stdout).toBe(k8s);
    const certs = (await spawnCli(['certs', 'init', '--help'], tmp)).stdout;
    expect((await spawnCli(['certs', '--help'], tmp)).stdout).toBe(certs);
    expect((await spawnCli(['help', 'certs'], tmp)).stdout).toBe(certs);
    const main = await spawnCli([], tmp);
    expect(main.code).toBe(2); // no command: the help, as a usage error
    expect(main.stdout).toBe((await spawnCli(['--help'], tmp)).stdout);
  });

  it('a flag beside --help is still parsed strictly by the command: an unknown one is exit 2', async () => {
    const r = await spawnCli(['run', '--help', '--cacert', 'x'], tmp);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did you mean --ca\?/);
    const ok = await spawnCli(['run', '--target', 'a:1', '--quiet', '--help'], tmp);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe((await spawnCli(['run', '--help'], tmp)).stdout);
  });

  it('CMD --help loads neither the command, nor the catalogue, nor the certificate library', async () => {
    const list = path.join(tmp, 'modules.txt');
    writeFileSync(
      path.join(tmp, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(list)}, url + '\\n'); return next(url, context); }\n`,
    );
    writeFileSync(
      path.join(tmp, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(tmp, 'hooks.mjs')).href)});\n`,
    );
    for (const { words: w } of HELPS) {
      rmSync(list, { force: true });
      const r = await spawnCli([...w, '--help'], tmp, { NODE_OPTIONS: `--import ${path.join(tmp, 'register.mjs')}` });
      expect(r.code, r.stderr).toBe(0);
      const loaded = readFileSync(list, 'utf8').trim().split('\n');
      expect(loaded.some((u) => u.endsWith('/dist/src/cli/main.js') || u.includes('/dist/src/cli/'))).toBe(true);
      const heavy = loaded.filter((u) => /\/dist\/src\/cli\/commands\/|\/dist\/suites\/|\/dist\/src\/pki\/|node_modules/.test(u));
      expect(heavy, `mtls-harness ${w.join(' ')} --help`).toEqual([]);
    }
  });
});

describe("every help and its command's parser agree", () => {
  for (const { words: w, command } of HELPS) {
    if (!command) continue;
    it(`${command}: every option it accepts is in its help and every one there is accepted; its examples parse`, async () => {
      // With another word after --help the command itself parses (and its spec is captured).
      const r = await inProcess([...w, '--help', '--help']);
      expect(r.code, r.stderr).toBe(0);
      const spec = specs.get(command);
      expect(spec, `${command} called parseCommandArgs`).toBeDefined();
      const accepted = new Set(Object.keys(spec!));
      const named = longOptions(r.stdout.replace(/^( {2}mtls-harness .*?) -- .*$/gm, '$1'));
      const missing = [...accepted].filter((o) => !named.has(o));
      expect(missing, `options of ${command} missing from its help`).toEqual([]);
      const foreign = new Set(FOREIGN[command] ?? []);
      const unknown = [...named].filter((o) => !accepted.has(o) && o !== 'help' && !foreign.has(o));
      expect(unknown, `options in ${command}'s help that it rejects`).toEqual([]);
      for (const short of Object.values(spec!).flatMap((o) => (o.short ? [o.short] : []))) expect(r.stdout).toContain(`-${short}, --`);

      for (const example of examplesOf(r.stdout)) {
        const argv = words(example).slice(1 + w.length);
        expect(words(example).slice(1, 1 + w.length), example).toEqual(w);
        const flags = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
        expect(() => parseCommandArgs(command, flags, spec as OptionSpec), example).not.toThrow();
      }
    });
  }

  it('the top-level examples parse with their commands', async () => {
    const main = await inProcess(['--help']);
    for (const example of examplesOf(main.stdout)) {
      const w = words(example).slice(1);
      const help = HELPS.find(
        (h) => h.command && h.words.every((x, i) => w[i] === x) && (h.words.length > 1 || !['k8s', 'certs', 'reference'].includes(w[0]!)),
      );
      expect(help, example).toBeDefined();
      await inProcess([...help!.words, '--help', '--help']);
      expect(() => parseCommandArgs(help!.command!, w.slice(help!.words.length), specs.get(help!.command!) as OptionSpec), example).not.toThrow();
    }
  });
});

describe('the lists help texts spell out match their data', () => {
  it('reference implementations (top-level help, reference start --help) and profiles', async () => {
    const { IMPLEMENTATIONS } = await import('../src/targets/reference/index.js');
    const { PROFILES } = await import('../src/targets/profiles.js');
    const flat = (s: string) => s.replace(/\s+/g, ' ');
    expect(flat((await inProcess(['--help'])).stdout)).toContain(`until Ctrl-C: ${IMPLEMENTATIONS.join(', ')}`);
    const refHelp = (await inProcess(['reference', 'start', '--help'])).stdout;
    expect(flat(refHelp)).toContain(`(${IMPLEMENTATIONS.join(', ')})`);
    const profiles = / {2}--profile NAME +([a-z, -]+), \.\.\./.exec(refHelp)![1]!.split(', ');
    expect(profiles.length).toBeGreaterThan(1);
    for (const p of profiles) expect(PROFILES).toContain(p);
  });

  it('certs layouts', async () => {
    const { LAYOUTS } = await import('../src/pki/layouts.js');
    const help = (await inProcess(['certs', 'init', '--help'])).stdout;
    const listed = [...help.matchAll(/^ {28}([a-z-]+) {2,}\S/gm)].map((m) => m[1]);
    expect(listed).toEqual([...LAYOUTS]);
  });

  it('report flags and variables come from the reporters map', async () => {
    const { reportersFor, reportEnvNames } = await import('../src/report/reporters/index.js');
    const run = (await inProcess(['run', '--help'])).stdout;
    for (const r of reportersFor('run')) expect(run).toMatch(new RegExp(`^ {2}${r.flag} FILE {2,}`, 'm'));
    expect(run.replace(/\s+/g, ' ')).toContain(`${reportEnvNames().join(', ')}, MTLS_CHROMIUM`);
    const probe = (await inProcess(['probe', '--help'])).stdout;
    for (const r of reportersFor('probe')) expect(probe).toMatch(new RegExp(`^ {2}${r.flag} FILE {2,}`, 'm'));
    expect(probe).not.toMatch(/^ {2}--junit/m);
  });
});
