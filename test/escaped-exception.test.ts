// Issue 16 (1), last line of defence: an exception that escapes from a socket handler during `run`
// or `probe` ends the run like Ctrl-C — the reports are written with what finished (the rest
// "not finished: internal error …"), one line on stderr, exit 1, no stack trace.
// Mechanism: test/helpers/throw-in-socket.mjs preloaded into the built CLI with NODE_OPTIONS=--import
// (no test hook in src/); the throwing target sits behind a relay that holds its server's first
// flight for a while, so the other target finishes first.
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { spawnCli } from './helpers/cli.js';

const hook = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers/throw-in-socket.mjs');
const STACK = /\n\s+at |node:internal|\.ts:\d+|\.js:\d+/;
const DELAY_MS = 2500;

let tmp: string;
let pki: FixturePki;
const closers: (() => Promise<unknown>)[] = [];
const socks = new Set<net.Socket>();
const f = (n: string) => path.join(tmp, n);

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(r)));
  return (server.address() as net.AddressInfo).port;
}

function mtlsServer(): tls.Server {
  const s = tls.createServer({ cert: pki.server.chainPem, key: pki.server.keyPem, ca: pki.root.certPem, requestCert: true, rejectUnauthorized: true }, (c) => {
    c.on('error', () => undefined);
    c.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
  });
  s.on('tlsClientError', () => undefined);
  s.on('connection', (c) => socks.add(c));
  return s;
}

/** Relays to 127.0.0.1:upstream, holding the server's first bytes on each connection for DELAY_MS. */
async function slowRelay(upstream: number): Promise<number> {
  const relay = net.createServer((client) => {
    const up = net.connect(upstream, '127.0.0.1');
    socks.add(client).add(up);
    for (const [a, b] of [
      [client, up],
      [up, client],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
    client.pipe(up);
    up.once('data', (first: Buffer) => {
      up.pause();
      setTimeout(() => {
        if (client.destroyed) return;
        client.write(first);
        up.pipe(client);
        up.resume();
      }, DELAY_MS);
    });
  });
  return listen(relay);
}

let goodPort: number;
let crashPort: number;
let creds: string[];

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-escaped-'));
  pki = await mintFixturePki();
  await fs.writeFile(f('ca.pem'), pki.root.certPem);
  await fs.writeFile(f('client.pem'), pki.client.chainPem);
  await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
  creds = ['--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];
  goodPort = await listen(mtlsServer());
  crashPort = await slowRelay(await listen(mtlsServer()));
  await fs.writeFile(f('targets.txt'), `127.0.0.1:${goodPort},localhost\n127.0.0.1:${crashPort},localhost\n`);
});
afterAll(async () => {
  for (const s of socks) s.destroy();
  await Promise.all(closers.map((c) => c()));
  await fs.rm(tmp, { recursive: true, force: true });
});

const env = (kind = 'throw') => ({ NODE_OPTIONS: `--import=${hook}`, MTLS_TEST_THROW_PORT: String(crashPort), MTLS_TEST_THROW_KIND: kind });

function expectOneLine(stderr: string): void {
  const lines = stderr
    .trimEnd()
    .split('\n')
    .filter((l) => !/ExperimentalWarning|--trace-warnings/.test(l));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^mtls-harness: internal error: injected: a socket handler threw .*the reports hold what finished$/);
  expect(stderr).not.toMatch(STACK);
}

describe('an exception escaping from a socket handler', () => {
  it.each(['throw', 'reject'])(
    'run (%s): reports written, finished results kept, the rest "not finished: internal error", exit 1',
    async (kind) => {
      const r = await spawnCli(['run', '--targets-file', f('targets.txt'), ...creds, '--json', f('run.json'), '--junit', f('run.xml')], tmp, env(kind), 60_000);
      expectOneLine(r.stderr);
      expect(r.code).toBe(1);
      const j = JSON.parse(await fs.readFile(f('run.json'), 'utf8'));
      expect(j.run.incomplete.reason).toMatch(/^internal error: injected/);
      const good = j.results.filter((x: { target: string }) => x.target.includes(String(goodPort)));
      expect(good.find((x: { check: string }) => x.check === 'handshake.accepts-valid-client-cert').status).toBe('pass');
      expect(good.every((x: { message: string }) => !/not finished/.test(x.message))).toBe(true);
      const crashed = j.results.filter((x: { target: string }) => x.target.includes(String(crashPort)));
      expect(crashed.length).toBeGreaterThan(0);
      expect(crashed.some((x: { status: string; message: string }) => x.status === 'error' && /^not finished: internal error: injected/.test(x.message))).toBe(
        true,
      );
      await expect(fs.readFile(f('run.xml'), 'utf8')).resolves.toMatch(/<testsuites/);
    },
    90_000,
  );

  it('probe: what finished is printed, the rest not, exit 1', async () => {
    const r = await spawnCli(['probe', '--targets-file', f('targets.txt'), ...creds, '--json'], tmp, env(), 60_000);
    expectOneLine(r.stderr);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.incomplete.reason).toMatch(/^internal error: injected/);
    expect(j.diagnoses.map((d: { target: string }) => d.target)).toEqual([`127.0.0.1:${goodPort}`]);
  }, 90_000);

  it('client-test (a throw in the request handler of its own server): JSON, JUnit and HTML written, the finished check kept, exit 1', async () => {
    // curl (a real client) against the harness's servers; the second request the harness receives throws.
    const r = await spawnCli(
      [
        'client-test',
        '--timeout',
        '3s',
        '--json',
        f('ct.json'),
        '--junit',
        f('ct.xml'),
        '--html',
        f('ct.html'),
        '--',
        'sh',
        '-c',
        'curl -sS -k --cert "$MTLS_CERT" --key "$MTLS_KEY" "$MTLS_URL" -o /dev/null',
      ],
      tmp,
      { NODE_OPTIONS: `--import=${hook}`, MTLS_TEST_THROW_REQUEST: '2' },
      60_000,
    );
    const lines = r.stderr
      .trimEnd()
      .split('\n')
      .filter((l) => !/ExperimentalWarning|--trace-warnings/.test(l));
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^mtls-harness: internal error: injected: a request handler threw .*the reports hold what finished$/);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code).toBe(1);
    const j = JSON.parse(await fs.readFile(f('ct.json'), 'utf8')) as {
      run: { incomplete: { reason: string } };
      results: { check: string; status: string; message: string }[];
    };
    expect(j.run.incomplete.reason).toBe('internal error: injected: a request handler threw');
    expect(j.results.find((x) => x.check === 'client.presents-cert')).toMatchObject({ status: 'pass' });
    const rest = j.results.filter((x) => x.check !== 'client.presents-cert');
    expect(rest.length).toBe(5);
    expect(rest.every((x) => x.status === 'error' && x.message === 'not finished: internal error: injected: a request handler threw')).toBe(true);
    await expect(fs.readFile(f('ct.xml'), 'utf8')).resolves.toContain('name="incomplete" value="internal error: injected: a request handler threw');
    await expect(fs.readFile(f('ct.html'), 'utf8')).resolves.toContain('INCOMPLETE RUN');
  }, 90_000);
});
