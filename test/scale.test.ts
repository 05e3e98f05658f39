// Many targets at once: --targets-file, a hung and a trickling peer among healthy node references,
// progress only on a terminal, Ctrl-C with reports written and marked incomplete, probe of many.
import { execFile, spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';
import { freePort } from '../src/targets/reference/process.js';
import { SERVER_CHECK_IDS } from '../suites/profile-verdicts.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliJs = path.join(root, 'dist/src/cli/main.js');

let tmp: string;
let pki: FixturePki;
const refs: StartedNodeReference[] = [];
let hung: net.Server;
let trickle: net.Server;
const sockets = new Set<net.Socket>();
let hungPort: number;
let tricklePort: number;
let closedPort: number;
let hungConnections = 0;
const f = (n: string) => path.join(tmp, n);

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

async function inProcess(args: string[], env: Record<string, string> = {}, stderrTTY = false) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: stderrTTY },
    env: { NO_COLOR: '1', ...env },
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-scale-'));
  pki = await mintFixturePki();
  await fs.writeFile(f('ca.pem'), pki.root.certPem);
  await fs.writeFile(f('client.pem'), pki.client.chainPem);
  await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
  for (const profile of ['strict', 'strict', 'strict', 'optional-client-cert'] as const) refs.push(await new NodeReference({ profile, pki }).start());
  hung = net.createServer((s) => {
    hungConnections++;
    sockets.add(s);
    s.on('error', () => undefined);
  });
  trickle = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write('x')), 1000);
    s.on('close', () => clearInterval(t));
  });
  hungPort = await listen(hung);
  tricklePort = await listen(trickle);
  closedPort = await freePort();
  await fs.writeFile(
    f('targets.txt'),
    [
      '# healthy strict servers, one with its servername',
      `127.0.0.1:${refs[0]!.endpoint.port},localhost`,
      `127.0.0.1:${refs[1]!.endpoint.port}`,
      `localhost:${refs[2]!.endpoint.port}   # a comment after a target`,
      '',
      `127.0.0.1:${refs[3]!.endpoint.port},localhost`,
      `127.0.0.1:${hungPort}`,
      `127.0.0.1:${tricklePort}`,
      `127.0.0.1:${closedPort}`,
    ].join('\n'),
  );
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  hung?.close();
  trickle?.close();
  await Promise.all(refs.map((r) => r.stop()));
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

type Json = {
  run: { incomplete?: { reason: string; targetsFinished: number; targetsTotal: number }; settings: Record<string, unknown> };
  targets: { name: string }[];
  results: { target: string; check: string; status: string; message: string }[];
};

describe('run with many targets', () => {
  it('scans a targets file: healthy targets get their verdicts, hung / trickling / closed ones a classified error after one connection of the checks', async () => {
    hungConnections = 0;
    const r = await inProcess([
      'run',
      '--targets-file',
      f('targets.txt'),
      '--ca',
      f('ca.pem'),
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      '--timeout',
      '1500ms',
      '--json',
      f('many.json'),
      '--quiet',
    ]);
    expect(r.code).toBe(1);
    const j = JSON.parse(await fs.readFile(f('many.json'), 'utf8')) as Json;
    expect(j.targets.map((t) => t.name)).toEqual([
      `127.0.0.1:${refs[0]!.endpoint.port}`,
      `127.0.0.1:${refs[1]!.endpoint.port}`,
      `localhost:${refs[2]!.endpoint.port}`,
      `127.0.0.1:${refs[3]!.endpoint.port}`,
      `127.0.0.1:${hungPort}`,
      `127.0.0.1:${tricklePort}`,
      `127.0.0.1:${closedPort}`,
    ]);
    expect(j.run.settings).toMatchObject({ concurrency: 16, connectionsPerTarget: 8, targetTimeoutMs: 30_000, timeoutMs: 1500 });
    const status = (t: string, c: string) => j.results.find((x) => x.target === t && x.check === c)?.status;
    expect(status(`127.0.0.1:${refs[0]!.endpoint.port}`, 'reject.no-client-cert')).toBe('pass');
    expect(status(`127.0.0.1:${refs[0]!.endpoint.port}`, 'san.server-matches-name')).toBe('pass');
    expect(status(`127.0.0.1:${refs[3]!.endpoint.port}`, 'reject.no-client-cert')).toBe('fail');
    for (const port of [hungPort, tricklePort, closedPort]) {
      const rs = j.results.filter((x) => x.target === `127.0.0.1:${port}`);
      expect(rs).toHaveLength(SERVER_CHECK_IDS.length);
      // Every check that needs the target reports why it could not (skips, and the expiry of our
      // own client certificate, need no connection).
      expect(rs.filter((x) => x.status !== 'skip' && x.check !== 'expiry.client-cert').every((x) => x.status === 'error')).toBe(true);
    }
    const hungNoCert = j.results.find((x) => x.target === `127.0.0.1:${hungPort}` && x.check === 'reject.no-client-cert')!;
    expect(hungNoCert.message).toMatch(/never answered the TLS ClientHello within 1500 ms/);
    const trickleNoCert = j.results.find((x) => x.target === `127.0.0.1:${tricklePort}` && x.check === 'reject.no-client-cert')!;
    expect(trickleNoCert.message).toMatch(/not TLS|does not speak TLS|did not complete within 1500 ms/);
    expect(j.results.find((x) => x.target === `127.0.0.1:${closedPort}` && x.check === 'reject.no-client-cert')!.message).toMatch(/connection refused/);
    // The hung peer was connected to once by the checks (the gate stopped every other probe of it),
    // and twice before them by the protocol detection (no --protocol): a listen and one ClientHello.
    expect(hungConnections).toBe(3);
  });

  it('a bad targets file line is exit 2 naming file and line', async () => {
    await fs.writeFile(f('bad-targets.txt'), '127.0.0.1:443\nnot a target\n');
    const r = await inProcess(['run', '--targets-file', f('bad-targets.txt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-targets\.txt:2: /);
    const empty = await inProcess(['run', '--targets-file', f('nope.txt')]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/targets file not found: .*nope\.txt/);
  });

  it('shows progress on a terminal (stderr), never on stdout, never in CI or with --quiet', async () => {
    const args = [
      'run',
      '--target',
      `127.0.0.1:${refs[0]!.endpoint.port}`,
      '--target',
      `127.0.0.1:${closedPort}`,
      '--servername',
      'localhost',
      '--ca',
      f('ca.pem'),
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      '--suite',
      'handshake-with-cert',
      '--json',
      '-',
    ];
    const tty = await inProcess(args, {}, true);
    expect(tty.stderr).toMatch(/\r\x1b\[Kmtls-harness: 2\/2 targets · 0 failing · 1 with errors/);
    expect(tty.stderr.endsWith('\r\x1b[K')).toBe(true); // cleared at the end
    expect(JSON.parse(tty.stdout).results).toHaveLength(10); // stdout is the JSON report, untouched
    expect((await inProcess(args, { CI: 'true' }, true)).stderr).toBe('');
    expect((await inProcess([...args, '--quiet'], {}, true)).stderr).toBe('');
    expect((await inProcess(args, {}, false)).stderr).toBe('');
  });

  it('Ctrl-C writes every report with what finished, marked incomplete, and exits 130', async () => {
    if (!existsSync(cliJs)) throw new Error(`${cliJs} is missing: run "npm run build"`);
    const args = [
      cliJs,
      'run',
      '--target',
      `127.0.0.1:${refs[0]!.endpoint.port}`,
      '--target',
      `127.0.0.1:${hungPort}`,
      '--servername',
      'localhost',
      '--ca',
      f('ca.pem'),
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      '--timeout',
      '60s',
      '--json',
      f('int.json'),
      '--junit',
      f('int.xml'),
      '--html',
      f('int.html'),
    ];
    const child = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Wait until the healthy target has its results (the hung one holds the run for 60 s).
    await new Promise((r) => setTimeout(r, 2500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(130);
    expect(stderr).not.toMatch(/Warning|\n\s+at /);
    expect(stderr).toMatch(/incomplete: the run was interrupted \(Ctrl-C\); 1 of 2 target\(s\) finished/);
    const j = JSON.parse(await fs.readFile(f('int.json'), 'utf8')) as Json;
    expect(j.run.incomplete).toEqual({ reason: 'the run was interrupted (Ctrl-C)', targetsFinished: 1, targetsTotal: 2 });
    const healthy = j.results.filter((x) => x.target === `127.0.0.1:${refs[0]!.endpoint.port}`);
    expect(healthy.find((x) => x.check === 'reject.no-client-cert')!.status).toBe('pass');
    expect(healthy.every((x) => !x.message.startsWith('not finished'))).toBe(true);
    const stuck = j.results.filter((x) => x.target === `127.0.0.1:${hungPort}` && x.status !== 'skip' && x.check !== 'expiry.client-cert');
    expect(stuck.length).toBeGreaterThan(0);
    expect(stuck.every((x) => x.status === 'error' && x.message === 'not finished: the run was interrupted (Ctrl-C)')).toBe(true);
    expect(await fs.readFile(f('int.xml'), 'utf8')).toContain('name="incomplete" value="the run was interrupted (Ctrl-C); 1 of 2 target(s) finished"');
    expect(await fs.readFile(f('int.html'), 'utf8')).toContain('INCOMPLETE RUN');
  });
});

describe('probe with many targets', () => {
  it('diagnoses each target, prints one row per target and exits 0 only when all enforce', async () => {
    // The valid client is the control of every refusal: without it a probe is inconclusive.
    const noControl = await inProcess(['probe', `127.0.0.1:${refs[0]!.endpoint.port}`, '--servername', 'localhost', '--ca', f('ca.pem')]);
    expect(noControl.code).toBe(1);
    const strictOnly = await inProcess([
      'probe',
      `127.0.0.1:${refs[0]!.endpoint.port}`,
      `127.0.0.1:${refs[1]!.endpoint.port}`,
      '--servername',
      'localhost',
      '--ca',
      f('ca.pem'),
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
    ]);
    expect(strictOnly.code, strictOnly.stderr).toBe(0);
    expect(strictOnly.stdout).toContain('2 of 2 target(s) enforce client certificates.');
    const mixed = await inProcess([
      'probe',
      '--targets-file',
      f('targets.txt'),
      '--ca',
      f('ca.pem'),
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      '--timeout',
      '1s',
      '--json',
    ]);
    expect(mixed.code).toBe(1);
    const j = JSON.parse(mixed.stdout) as {
      kind: string;
      diagnoses: { target: string; enforced: boolean; unreachable: boolean; clientAuth: { mode: string } }[];
    };
    expect(j.kind).toBe('probe');
    expect(j.diagnoses.map((d) => [d.enforced, d.unreachable, d.clientAuth.mode])).toEqual([
      [true, false, 'required'],
      [true, false, 'required'],
      [true, false, 'required'],
      [false, false, 'optional'],
      [false, true, 'unknown'],
      [false, true, 'unknown'],
      [false, true, 'unknown'],
    ]);
  });
});

it('execFile sanity: the built CLI lists --targets-file in its help', async () => {
  const out = await new Promise<string>((resolve) => execFile(process.execPath, [cliJs, 'run', '--help'], (_e, stdout) => resolve(stdout)));
  expect(out).toContain('--targets-file FILE');
  expect(out).toContain('--target-timeout DURATION');
});
