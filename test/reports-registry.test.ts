// Issue 17 (redesign), reporters: every report format is one file in src/report/reporters and one
// entry in its map, and every command's flags, MTLS_* variables, config keys, help and checks come
// from the map. Proven here by a CSV reporter that exists in this test only: registered at run time,
// it is selectable by flag, environment and config file, validated like the others and written like
// them, without any other file knowing it. Also: two reports on stdout are refused before anything
// runs, and the heavy writers (the HTML renderer, the browser driver) load only when asked for.
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { findChromium } from '../src/report/pdf.js';
import { REPORTERS, registerReporter, type Reporter } from '../src/report/reporters/index.js';
import { mintFixturePki } from '../src/pki/generate.js';
import { NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';
import { CLI_JS, writeClientFiles } from './helpers/cli.js';

/** The tiny extra reporter: one `target,check,status` line per result, to stdout or a file. */
const csvReporter: Reporter = {
  name: 'csv',
  what: 'CSV',
  flag: '--csv',
  env: 'MTLS_CSV',
  configKey: 'csv',
  stdout: true,
  documents: ['run'],
  help: 'one target,check,status line per result (this test only)',
  async write(doc, out) {
    await out.write('target,check,status\n');
    for (const r of doc.run!.results) await out.write(`${r.target},${r.check},${r.status}\n`);
  },
};
registerReporter(csvReporter);

let dir: string;
let strict: StartedNodeReference;
let target: string;
const f = (n: string) => path.join(dir, n);
const CHECK = 'handshake.accepts-valid-client-cert';

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1', ...env },
  });
  return { code, stdout, stderr };
}

function expectOneLineExit2(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^mtls-harness: error: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stdout).toBe('');
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-reporters-'));
  const pki = await mintFixturePki();
  await writeClientFiles(dir, pki);
  strict = await new NodeReference({ profile: 'strict', pki }).start();
  target = `${strict.endpoint.host}:${strict.endpoint.port}`;
});
afterAll(async () => {
  await strict?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const creds = () => ['--servername', 'localhost', '--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];
const csvLines = (text: string) => text.trimEnd().split('\n');

describe('a reporter registered at run time (in this test only) is a format like the others', () => {
  it('is in the map, after the built-in ones, with its flag in run --help', async () => {
    expect(Object.keys(REPORTERS)).toEqual(['json', 'junit', 'html', 'pdf', 'sarif', 'csv']);
    const help = await run(['run', '--help']);
    // (its text word-wrapped to 80 columns: continuation lines start at the description column)
    expect(help.stdout.replace(/\n {28}/g, ' ')).toMatch(/^ {2}--csv FILE {16}one target,check,status line per result \(this test only\)$/m);
    expect(help.stdout.replace(/\n/g, ' ')).toContain('MTLS_PDF, MTLS_SARIF, MTLS_CSV, MTLS_CHROMIUM');
  });

  it('run --csv FILE writes it (0600, atomically) beside the other reports', async () => {
    const r = await run(['run', '--target', target, ...creds(), '--check', CHECK, '--csv', f('flag.csv'), '--json', f('flag.json'), '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(csvLines(await fs.readFile(f('flag.csv'), 'utf8'))).toEqual(['target,check,status', `${target},${CHECK},pass`]);
    expect((await fs.stat(f('flag.csv'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await fs.readFile(f('flag.json'), 'utf8')).results).toHaveLength(1);
    expect((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('MTLS_CSV names its file when the flag does not; the flag wins', async () => {
    const r = await run(['run', '--target', target, ...creds(), '--check', CHECK, '--quiet'], { MTLS_CSV: f('env.csv') });
    expect(r.code, r.stderr).toBe(0);
    expect(csvLines(await fs.readFile(f('env.csv'), 'utf8'))).toHaveLength(2);
    const both = await run(['run', '--target', target, ...creds(), '--check', CHECK, '--csv', f('flag-wins.csv'), '--quiet'], { MTLS_CSV: f('env-loses.csv') });
    expect(both.code, both.stderr).toBe(0);
    expect(existsSync(f('flag-wins.csv'))).toBe(true);
    expect(existsSync(f('env-loses.csv'))).toBe(false);
  });

  it("the config file's reports: takes a csv key (relative to the file), and its validation knows it", async () => {
    await fs.mkdir(f('cfg'), { recursive: true });
    await fs.writeFile(
      f('cfg/mtls.yaml'),
      `reports:\n  csv: out/report.csv\nchecks: [${CHECK}]\ntargets:\n  - endpoint: ${target}\n    servername: localhost\n    ca: ../ca.pem\n    cert: ../client.pem\n    key: ../client-key.pem\n`,
    );
    const r = await run(['run', '--config', f('cfg/mtls.yaml'), '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(csvLines(await fs.readFile(f('cfg/out/report.csv'), 'utf8'))).toHaveLength(2);
    await fs.writeFile(f('cfg/typo.yaml'), `reports:\n  cvs: r.csv\n`);
    expectOneLineExit2(await run(['run', '--config', f('cfg/typo.yaml')]), /typo\.yaml:2: reports\.cvs is not a known key \(did you mean csv\?\)/);
  });

  it('--csv - writes it to stdout instead of the table; --csv - with --json - is refused before anything runs', async () => {
    const r = await run(['run', '--target', target, ...creds(), '--check', CHECK, '--csv', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(csvLines(r.stdout)).toEqual(['target,check,status', `${target},${CHECK},pass`]);
    expectOneLineExit2(
      await run(['run', '--target', '127.0.0.1:1', '--csv', '-', '--json', '-']),
      /^mtls-harness: error: run: only one report can go to stdout \(--json -, --csv -\)/,
    );
  });

  it('every command that writes run reports takes it (audit, offline); probe, whose documents it does not write, does not', async () => {
    const r = await run(['audit', f('ca.pem'), '--csv', f('audit.csv')]);
    expect(csvLines(await fs.readFile(f('audit.csv'), 'utf8'))[0]).toBe('target,check,status');
    expect(csvLines(await fs.readFile(f('audit.csv'), 'utf8')).length, r.stderr).toBeGreaterThan(1);
    const p = await run(['probe', target, '--csv', f('probe.csv')]);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/Unknown option '--csv'/);
  });

  it('a second reporter with a name, flag, variable or config key already taken is refused', () => {
    expect(() => registerReporter({ ...csvReporter, name: 'csv2', flag: '--json' })).toThrow(/already json's/);
    expect(() => registerReporter({ ...csvReporter, name: 'csv3', flag: '--csv3', env: 'MTLS_HTML' })).toThrow(/already html's/);
    expect(() => registerReporter({ ...csvReporter })).toThrow(/already csv's/);
  });
});

describe('one report on stdout at most (issue 17): two documents there could not be told apart', () => {
  it.each([
    ['run', ['run', '--target', '127.0.0.1:1', '--json', '-', '--junit', '-'], /run: only one report can go to stdout \(--json -, --junit -\)/],
    [
      'run (environment)',
      ['run', '--target', '127.0.0.1:1', '--json', '-'],
      /run: only one report can go to stdout \(--json -, --html -\)/,
      { MTLS_HTML: '-' },
    ],
    ['audit', ['audit', '.', '--junit', '-', '--html', '-'], /audit: only one report can go to stdout \(--junit -, --html -\)/],
    ['client-test', ['client-test', '--json', '-', '--junit', '-', '--', 'true'], /client-test: only one report can go to stdout \(--json -, --junit -\)/],
    ['k8s scan', ['k8s', 'scan', '--json', '-', '--junit', '-'], /k8s scan: only one report can go to stdout \(--json -, --junit -\)/],
    ['--pdf -', ['run', '--target', '127.0.0.1:1', '--pdf', '-'], /run: --pdf needs a file name \(a PDF is not written to stdout\)/],
  ] as [string, string[], RegExp, Record<string, string>?][])('%s: exit 2, one line, nothing run', async (_name, args, message, env) => {
    expectOneLineExit2(await run(args, env ?? {}), message);
  });
});

/**
 * The modules the built CLI resolves while running `args` (a module-resolution hook writes each URL
 * to a log), so a test can see what was loaded.
 */
async function modulesLoaded(args: string[]): Promise<{ status: number | null; urls: string[]; stderr: string }> {
  const hooks = f('hooks');
  await fs.mkdir(hooks, { recursive: true });
  await fs.writeFile(
    path.join(hooks, 'loader.mjs'),
    "import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const r = await next(specifier, context);\n  appendFileSync(process.env.MTLS_TEST_MODULE_LOG, r.url + '\\n');\n  return r;\n}\n",
  );
  await fs.writeFile(path.join(hooks, 'register.mjs'), "import { register } from 'node:module';\nregister('./loader.mjs', import.meta.url);\n");
  const log = path.join(hooks, `log-${Date.now()}-${Math.random().toString(16).slice(2)}.txt`);
  await fs.writeFile(log, '');
  const r = spawnSync(process.execPath, ['--import', path.join(hooks, 'register.mjs'), CLI_JS, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', MTLS_TEST_MODULE_LOG: log },
    timeout: 60_000,
  });
  return { status: r.status, urls: (await fs.readFile(log, 'utf8')).split('\n').filter(Boolean), stderr: r.stderr };
}

let chromium: string | undefined;
try {
  chromium = findChromium();
} catch {
  chromium = undefined;
}

describe('heavy report writers load only when their report is asked for (built CLI: npm run build first)', () => {
  const renderer = (urls: string[]) => urls.some((u) => u.endsWith('/report/html/render.js'));
  const preact = (urls: string[]) => urls.some((u) => /\/node_modules\/preact(-render-to-string)?\//.test(u));
  const browser = (urls: string[]) => urls.some((u) => /\/node_modules\/playwright-core\//.test(u));

  it('audit --json -, --junit: neither the HTML renderer nor the browser driver', async () => {
    const r = await modulesLoaded(['audit', 'ca.pem', '--json', '-', '--junit', 'lazy.xml']);
    expect(r.status, r.stderr).not.toBe(2);
    expect(r.urls.some((u) => u.endsWith('/report/reporters/index.js'))).toBe(true);
    expect(renderer(r.urls)).toBe(false);
    expect(preact(r.urls)).toBe(false);
    expect(browser(r.urls)).toBe(false);
  });

  it('audit --html: the renderer, not the browser driver', async () => {
    const r = await modulesLoaded(['audit', 'ca.pem', '--html', 'lazy.html']);
    expect(r.status, r.stderr).not.toBe(2);
    expect(renderer(r.urls)).toBe(true);
    expect(preact(r.urls)).toBe(true);
    expect(browser(r.urls)).toBe(false);
  });

  it("probe --json: not the catalogue either (only the run report's JSON names suites)", async () => {
    // A port nothing listens on: probe reports it unreachable (exit 1) and writes its document.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await modulesLoaded(['probe', `127.0.0.1:${port}`, '--timeout', '2s', '--json', 'probe.json']);
    expect(r.status, r.stderr).toBe(1);
    expect(JSON.parse(await fs.readFile(f('probe.json'), 'utf8'))).toMatchObject({ schemaVersion: 2, kind: 'probe' });
    expect(r.urls.filter((u) => u.includes('/dist/suites/'))).toEqual([]);
    expect(renderer(r.urls)).toBe(false);
  });

  it.skipIf(!chromium)('audit --pdf: the browser driver too', async () => {
    const r = await modulesLoaded(['audit', 'ca.pem', '--pdf', 'lazy.pdf']);
    expect(r.status, r.stderr).not.toBe(2);
    expect(browser(r.urls)).toBe(true);
    expect((await fs.readFile(f('lazy.pdf'))).subarray(0, 5).toString()).toBe('%PDF-');
  });
});
