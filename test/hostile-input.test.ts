// The hostile-input corpus (fixtures/bad-input/README.md): every entry yields an exit-2 line or a
// classified result. Files are fed to the built CLI; hostile servers (real sockets on 127.0.0.1) are
// scanned in-process so an unhandled rejection or a crash fails the test, and memory is sampled.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { addDays } from '../src/core/clock.js';
import { mintCertificate, mintFixturePki, type Credential, type FixturePki } from '../src/pki/generate.js';
import { NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliJs = path.join(root, 'dist/src/cli/main.js');
const corpus = path.join(root, 'fixtures/bad-input');

let tmp: string;
let pki: FixturePki;
let strict: StartedNodeReference;
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
const f = (n: string) => path.join(tmp, n);
let unhandled = 0;
const onUnhandled = () => unhandled++;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Ran> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [cliJs, ...args],
      { cwd: tmp, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000, maxBuffer: 32 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    ),
  );
}

async function serve(make: (s: net.Socket) => void): Promise<number> {
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    make(s);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as net.AddressInfo).port;
}

/** A chain of `n` certificates, each issuing the next, ending in a client leaf (leaf first). */
async function longChain(n: number): Promise<Credential[]> {
  const now = new Date();
  const chain: Credential[] = [];
  let issuer: Credential | undefined;
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const c: Credential = await mintCertificate({
      subject: `CN=${last ? 'leaf' : `CA ${i}`}`,
      ...(issuer ? { issuer } : {}),
      notBefore: addDays(now, -1),
      notAfter: addDays(now, 30),
      ...(last ? { eku: ['clientAuth' as const], sans: { dns: ['localhost'] } } : { ca: true }),
    });
    chain.unshift(c);
    issuer = c;
  }
  return chain;
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-hostile-'));
  pki = await mintFixturePki();
  strict = await new NodeReference({ profile: 'strict', pki }).start();
  await fs.writeFile(f('ca.pem'), pki.root.certPem);
  await fs.writeFile(f('client.pem'), pki.client.chainPem);
  await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
  await fs.writeFile(f('other-key.pem'), pki.badClients.selfSigned.keyPem, { mode: 0o600 });
  await fs.writeFile(f('trailing-garbage.pem'), Buffer.concat([Buffer.from(pki.root.certPem), randomBytes(64)]));
  await fs.writeFile(f('der-as.pem'), Buffer.from(pki.root.cert.rawData));
  const enc = (await import('node:crypto'))
    .createPrivateKey(pki.client.keyPem)
    .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 's3cret' });
  await fs.writeFile(f('client-key.enc.pem'), enc, { mode: 0o600 });
  const chain = await longChain(1000);
  await fs.writeFile(f('chain-1000.pem'), chain.map((c) => c.certPem).join(''));
  await fs.writeFile(f('chain-1000-key.pem'), chain[0]!.keyPem, { mode: 0o600 });
  await fs.writeFile(f('huge.pem'), Buffer.concat([Buffer.from(pki.root.certPem), Buffer.alloc(10 << 20, 0x20)]));
}, 120_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  await strict?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

/** Exit 2, exactly one line naming the problem, no stack trace, nothing on stdout. */
function expectExit2(r: Ran, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^mtls-harness: error: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at |node:internal|\.js:\d+|Warning/);
  expect(r.stdout).toBe('');
}

describe('hostile files → exit 2, one line', () => {
  const live = () => ['run', '--target', `127.0.0.1:${strict.endpoint.port}`, '--servername', 'localhost'];
  it.each([
    ['malformed PEM (static)', () => ['--ca', path.join(corpus, 'malformed.pem')], /malformed\.pem: the PEM block "CERTIFICATE" is not valid base64/],
    ['truncated PEM (static)', () => ['--ca', path.join(corpus, 'truncated.pem')], /truncated\.pem: 1 BEGIN line\(s\) but 0 complete PEM block/],
    ['not PEM at all (static)', () => ['--ca', path.join(corpus, 'not-pem.txt')], /not-pem\.txt: neither PEM nor DER/],
    ['empty file (static)', () => ['--ca', path.join(corpus, 'empty.pem')], /empty\.pem/],
    ['PEM framing around a non-certificate (static)', () => ['--ca', path.join(corpus, 'not-a-certificate.pem')], /cannot be parsed as X\.509/],
    ['PEM with trailing binary garbage', () => ['--ca', f('trailing-garbage.pem')], /trailing-garbage\.pem: binary data outside the PEM blocks/],
    [
      'a key that does not match its certificate',
      () => ['--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('other-key.pem')],
      /other-key\.pem is not the private key of/,
    ],
    [
      'an encrypted key without a passphrase',
      () => ['--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.enc.pem')],
      /encrypted.*--key-passphrase-env/,
    ],
    [
      'a client chain of 1,000 certificates',
      () => ['--ca', f('ca.pem'), '--cert', f('chain-1000.pem'), '--key', f('chain-1000-key.pem')],
      /holds a chain of 1000 certificates; a client chain is the leaf and its intermediates \(at most 64\)/,
    ],
    ['a 10 MB "certificate" file', () => ['--ca', f('huge.pem')], /huge\.pem is 10\.0 MB: too large/],
  ])('%s', async (_name, extra, message) => {
    expectExit2(await cli([...live(), ...extra()]), message);
  });

  it('DER where PEM was expected is read as DER (a classified run, not an error)', async () => {
    const r = await cli([...live(), '--ca', f('der-as.pem'), '--suite', 'chain-validation', '--json', '-']);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout) as { results: { check: string; status: string }[] };
    expect(j.results.find((x) => x.check === 'chain.server-trusted')!.status).toBe('pass');
  });

  it('a CA bundle of 1,000 certificates is read and used: a classified run', async () => {
    const r = await cli([...live(), '--ca', f('chain-1000.pem'), '--suite', 'chain-validation', '--json', '-']);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout) as { results: { check: string; status: string; message: string }[] };
    const trusted = j.results.find((x) => x.check === 'chain.server-trusted')!;
    expect(trusted.status).toBe('fail'); // none of the 1,000 is the server's CA
    expect(trusted.message).toMatch(/does not verify/);
  });
});

type Json = {
  results: { check: string; status: string; message: string; evidence: { rejectedAt?: string; failure?: { kind: string }; httpStatusLine?: string } }[];
};

describe('hostile servers → classified results, no crash, bounded memory', () => {
  const peaks: number[] = [];
  let base = 0;
  let sampler: NodeJS.Timeout;
  beforeAll(() => {
    base = process.memoryUsage().rss;
    sampler = setInterval(() => peaks.push(process.memoryUsage().rss), 20);
  });
  afterAll(() => clearInterval(sampler));

  async function scan(port: number, extra: string[] = [], expectCode = 1): Promise<Json> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      [
        'run',
        '--target',
        `127.0.0.1:${port}`,
        '--servername',
        'localhost',
        '--ca',
        f('ca.pem'),
        '--cert',
        f('client.pem'),
        '--key',
        f('client-key.pem'),
        '--timeout',
        '1500ms',
        '--json',
        '-',
        ...extra,
      ],
      {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
        env: { NO_COLOR: '1' },
      },
    );
    expect(stderr).toBe('');
    expect(code).toBe(expectCode);
    return JSON.parse(stdout) as Json;
  }
  const noCert = (j: Json) => j.results.find((r) => r.check === 'reject.no-client-cert')!;

  it('sends garbage bytes → not-tls', async () => {
    const port = await serve((s) => s.end(randomBytes(300)));
    const r = noCert(await scan(port));
    expect(r.status).toBe('error');
    expect(r.evidence.failure?.kind).toBe('not-tls');
  });

  it('answers plaintext HTTP → plaintext-http', async () => {
    const port = await serve((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n')));
    const r = noCert(await scan(port));
    expect(r.status).toBe('error');
    expect(r.evidence.failure?.kind).toBe('plaintext-http');
    expect(r.message).toMatch(/plaintext HTTP/i);
  });

  it('resets after its ServerHello → error: it cut its own flight short, before any client certificate was sent (not a refusal)', async () => {
    // A proxy to the strict reference that forwards the ServerHello record only, then resets.
    const port = await serve((client) => {
      const upstream = net.connect(strict.endpoint.port, '127.0.0.1');
      upstream.on('error', () => undefined);
      client.pipe(upstream);
      let buf = Buffer.alloc(0);
      upstream.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          client.write(buf.subarray(0, 5 + buf.readUInt16BE(3)), () => client.resetAndDestroy());
          upstream.destroy();
        }
      });
    });
    const j = await scan(port);
    const r = noCert(j);
    expect(r.status).toBe('error');
    expect(r.evidence.rejectedAt).toBe('unreachable');
    expect(['reset', 'closed']).toContain(r.evidence.failure?.kind);
    expect(r.message).toMatch(/in the middle of its own handshake flight \(after \d+ bytes\), before any client certificate was sent/);
    expect(j.results.find((x) => x.check === 'handshake.accepts-valid-client-cert')!.status).toBe('error');
  });

  it('accepts TCP and never speaks → timeout after one connection of the checks (and two of the protocol detection)', async () => {
    let connections = 0;
    const port = await serve(() => connections++);
    const r = noCert(await scan(port));
    expect(r.evidence.failure?.kind).toBe('timeout');
    expect(r.message).toMatch(/never answered the TLS ClientHello within 1500 ms/);
    // Detection (no --protocol): one connection listening for a greeting, one ClientHello, then it
    // stops; the checks share one gate connection: not one per check.
    expect(connections).toBe(3);
    const again = await scan(port, ['--protocol', 'https']);
    expect(noCert(again).evidence.failure?.kind).toBe('timeout');
    expect(connections).toBe(4);
  });

  it('trickles one byte a second → timeout within the connection budget', async () => {
    const port = await serve((s) => {
      const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write('\x16')), 1000);
      s.on('close', () => clearInterval(t));
    });
    const r = noCert(await scan(port));
    expect(r.status).toBe('error');
    expect(r.evidence.failure?.kind).toBe('timeout');
    expect(r.message).toMatch(/did not complete within 1500 ms \(the peer stalled after \d+ bytes\)/);
  });

  it('answers with a 10 MB HTTP response → accepted (status line read, body not kept)', async () => {
    const body = Buffer.alloc(10 << 20, 0x41);
    const srv = tls.createServer(
      { cert: pki.server.chainPem, key: pki.server.keyPem, ca: pki.root.certPem, requestCert: true, rejectUnauthorized: true },
      (s) => {
        s.on('error', () => undefined);
        s.once('data', () => {
          s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
          s.end(body);
        });
      },
    );
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const j = await scan((srv.address() as net.AddressInfo).port, ['--suite', 'handshake-with-cert,rejection-without-cert'], 0);
    const ok = j.results.find((x) => x.check === 'handshake.accepts-valid-client-cert')!;
    expect(ok.status).toBe('pass');
    expect(ok.evidence.httpStatusLine).toBe('HTTP/1.1 200 OK');
    expect(noCert(j).status).toBe('pass');
  });

  it('presents a 1,000-certificate chain → error: our TLS client refuses the oversized message (not a server refusal)', async () => {
    const chain = await longChain(1000);
    const srv = tls.createServer({ cert: chain.map((c) => c.certPem).join(''), key: chain[0]!.keyPem }, (s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
    });
    srv.on('tlsClientError', () => undefined);
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const j = await scan((srv.address() as net.AddressInfo).port, ['--suite', 'rejection-without-cert,chain-validation']);
    const r = noCert(j);
    expect(r.status).toBe('error');
    expect(r.evidence.failure?.kind).toBe('tls-client');
    expect(r.message).toMatch(/ERR_SSL_EXCESSIVE_MESSAGE_SIZE/);
    for (const x of j.results.filter((y) => y.check.startsWith('chain.server-'))) expect(x.status, x.check).toBe('error');
  });

  it('none of it leaked memory past a bound or left an unhandled rejection', () => {
    const peak = Math.max(...peaks, process.memoryUsage().rss);
    expect(peak - base).toBeLessThan(300 * 1048576);
    expect(unhandled).toBe(0);
  });
});
