// The library does what the CI gate does (issue 17): only the package's public entry (the built
// dist/src/index.js, what `import 'mtls-harness'` loads) is used to do what
// `mtls-harness run --config mtls.yaml` does — a config naming a reference target and a live
// openssl s_server, resolved, run, its reports written — and the result is compared with the CLI's
// own run of the same config. An aborted run is marked incomplete and its reference server stops;
// the CI gate of docs/library.md runs as written (`node gate.mjs`, importing the package by name).
import { execFile } from 'node:child_process';
import { promises as fs, statSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, writeClientFiles, type Ran } from './helpers/cli.js';
import { OPENSSL, skipUnless, startOpensslServer, type StartedServer } from './helpers/servers.js';

const api = (await import(path.resolve(import.meta.dirname, '../dist/src/index.js'))) as typeof import('../src/index.js');

const ROOT = path.resolve(import.meta.dirname, '..');

/** Whether a TCP port on 127.0.0.1 refuses connections. */
const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });

const SKIP = skipUnless(OPENSSL, 'openssl', 'apt-get install openssl');

describe.skipIf(SKIP)('public API: a run from a config file, as `run --config` does it', () => {
  let dir: string;
  let server: StartedServer;
  let config: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-public-api-'));
    const pki = await api.mintFixturePki();
    await writeClientFiles(dir, pki);
    server = await startOpensslServer({ pki, mode: 'required' });
    config = path.join(dir, 'mtls.yaml');
    await fs.writeFile(
      config,
      [
        'targets:',
        `  - endpoint: 127.0.0.1:${server.port}`,
        '    name: live-openssl',
        '    servername: localhost',
        '    ca: ca.pem',
        '    cert: client.pem',
        '    key: client-key.pem',
        '    caKey: ca-key.pem',
        '    protocol: tls',
        '  - name: reference-node',
        '    reference: { implementation: node, profile: strict }',
        'suites: [handshake-with-cert, rejection-without-cert, chain-validation]',
        '',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const shape = (results: { targetId: string; suite: string; check: string; status: string }[]) =>
    results.map((r) => `${r.targetId} ${r.suite} ${r.check} ${r.status}`).sort();

  it('planRun, executePlan, writeRunReports, exitCodeOf give the CLI’s results, reports and exit status', async () => {
    const plan = await api.planRun({ config }, { env: {} });
    expect(plan.targets.map((t) => ('host' in t ? t.name : t.name))).toEqual(['live-openssl', 'reference-node']);
    const report = await api.executePlan(plan);
    expect(report.results.length).toBeGreaterThan(10);
    expect(report.settings?.suites).toEqual(['handshake-with-cert', 'rejection-without-cert', 'chain-validation']);

    const json = path.join(dir, 'lib.json');
    const junit = path.join(dir, 'lib.xml');
    const libPlan = await api.planRun({ config, json, junit }, { env: {} });
    const stderr: string[] = [];
    const written = await api.writeRunReports(libPlan, report, ['run', '--config', config], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => stderr.push(s) },
    });
    expect(written, stderr.join('')).toBe(true);
    for (const f of [json, junit]) expect(statSync(f).mode & 0o777).toBe(0o600);
    const fromLib = JSON.parse(await fs.readFile(json, 'utf8'));
    expect(fromLib.schemaVersion).toBe(2);
    expect(await fs.readFile(junit, 'utf8')).toMatch(/<testsuites/);

    const cli = await spawnCli(['run', '--config', config, '--json', '-'], dir, {}, 120_000);
    const fromCli = JSON.parse(cli.stdout);
    expect(shape(fromLib.results)).toEqual(shape(fromCli.results));
    expect(api.exitCodeOf(plan, report, written)).toBe(cli.code);
    // Both strict servers enforce: every check passes or is not applicable, so both exit 0.
    expect(cli.code, cli.stderr).toBe(0);
    const byId = new Map<string, string>(
      fromLib.results.map((r: { targetId: string; check: string; status: string }) => [`${r.targetId} ${r.check}`, r.status]),
    );
    expect(byId.get('live-openssl reject.no-client-cert')).toBe('pass');
    expect(byId.get('reference-node reject.no-client-cert')).toBe('pass');
  }, 180_000);

  it('bad input: the same HarnessError code and message the CLI prints (exit 2), nothing started', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await fs.writeFile(bad, 'targets:\n  - endpoint: 127.0.0.1:1\n    cert: client.pem\n');
    let caught: unknown;
    try {
      await api.planRun({ config: bad }, { env: {} });
    } catch (e) {
      caught = e;
    }
    expect(api.isHarnessError(caught)).toBe(true);
    const err = caught as InstanceType<typeof api.HarnessError>;
    const cli = await spawnCli(['run', '--config', bad], dir);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(err.message);
    expect(err.code).toMatch(/^(usage|config)\./);
  });

  it('an aborted run is marked incomplete (exit 130); the reference servers are stopped (executePlan, ReferencePool.stopAll)', async () => {
    const plan = await api.planRun({ config, suite: 'handshake-with-cert' }, { env: {} });
    const abort = new AbortController();
    abort.abort(new Error('the gate was cancelled'));
    const report = await api.executePlan(plan, { signal: abort.signal });
    expect(report.incomplete?.reason).toBe('the gate was cancelled');
    expect(report.results.length).toBeGreaterThan(0);
    expect(report.results.every((r) => r.status === 'error' && r.message === 'not finished: the gate was cancelled')).toBe(true);
    expect(api.exitCodeOf(plan, report)).toBe(130);
    // executePlan stopped the reference server it started: its port is closed.
    const refPort = Number(/:(\d+)$/.exec(report.targets.find((t) => t.name === 'reference-node')!.endpoint)![1]);
    expect(await refuses(refPort)).toBe(true);

    // In steps: the pool's reference server listens until stopAll (which may be called twice).
    const pool = new api.ReferencePool();
    const targets = await pool.start(plan);
    const ref = targets.find((t) => t.name === 'reference-node')!;
    expect(ref.reference).toEqual({ implementation: 'node', profile: 'strict' });
    expect(await refuses(ref.port)).toBe(false);
    await pool.stopAll();
    await pool.stopAll();
    expect(await refuses(ref.port)).toBe(true);
  }, 60_000);

  it('the CI gate of docs/library.md runs as written (node gate.mjs, importing the package by name)', async () => {
    const md = await fs.readFile(path.join(ROOT, 'docs/library.md'), 'utf8');
    const gate = /```js\n([\s\S]*?)```/.exec(md)![1]!;
    expect(gate).toContain("from 'mtls-harness'");
    // The package as an installed dependency would be: node_modules/mtls-harness (its "exports" entry).
    await fs.mkdir(path.join(dir, 'node_modules'), { recursive: true });
    await fs.symlink(ROOT, path.join(dir, 'node_modules/mtls-harness'));
    await fs.writeFile(path.join(dir, 'gate.mjs'), gate);
    const node = (cwd: string, env: Record<string, string> = {}) =>
      new Promise<Ran>((resolve) => {
        execFile(
          process.execPath,
          [path.join(dir, 'gate.mjs')],
          { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 120_000 },
          (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
        );
      });
    // The config of the first test; MTLS_JSON asks for a report, as it does of the CLI.
    const ok = await node(dir, { MTLS_JSON: 'gate.json' });
    const cli = await spawnCli(['run', '--config', 'mtls.yaml'], dir, {}, 120_000);
    expect(ok.code, ok.stderr).toBe(cli.code);
    expect(ok.stderr.trim().split('\n').sort()).toEqual([
      expect.stringMatching(/^live-openssl: \d+ checks$/),
      expect.stringMatching(/^reference-node: \d+ checks$/),
    ]);
    const summary = JSON.parse(ok.stdout) as Record<string, number>;
    expect(summary.pass).toBeGreaterThan(0);
    expect(statSync(path.join(dir, 'gate.json')).mode & 0o777).toBe(0o600);
    const gateJson = JSON.parse(await fs.readFile(path.join(dir, 'gate.json'), 'utf8')) as { summary: Record<string, number>; run: { argv: string[] } };
    expect(gateJson.summary).toEqual(summary);
    expect(gateJson.run.argv).toEqual(['gate.mjs']);
    // A bad config: the CLI's message, exit 2.
    await fs.mkdir(path.join(dir, 'bad'));
    await fs.writeFile(path.join(dir, 'bad/mtls.yaml'), 'failOn: never\n');
    const bad = await node(path.join(dir, 'bad'));
    expect(bad.code).toBe(2);
    const badCli = await spawnCli(['run', '--config', 'mtls.yaml'], path.join(dir, 'bad'));
    expect(badCli.stderr).toMatch(/^mtls-harness: error: mtls\.yaml:1: failOn /);
    expect(bad.stderr).toBe(badCli.stderr.replace(/^mtls-harness: error: /, 'gate: '));
  }, 180_000);
});
