// Issue 16 (11): hostile certificate and server text in the JSON report. A real node TLS server on
// 127.0.0.1 serves a certificate whose subject carries U+202E (RIGHT-TO-LEFT OVERRIDE) and answers
// with a Server header and status line carrying bidi controls; the JSON report (`run --json`,
// `probe --json`) must show them escaped (`\u202e`) while parsing back to the exact value.
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { addDays } from '../src/core/clock.js';
import { mintCertificate, mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { reportJsonText } from '../src/report/json.js';

const RLO = '\u202e';
const HOSTILE_CN = `invoice${RLO}fdp.exe`;
/** Raw characters the JSON report must never carry (JSON.stringify leaves them as they are). */
const RAW_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/;

let tmp: string;
let pki: FixturePki;
let server: tls.Server;
let port: number;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-json-bidi-'));
  pki = await mintFixturePki();
  const now = new Date();
  const leaf = await mintCertificate({
    subject: `CN=${HOSTILE_CN}, O=mtls-harness`,
    issuer: pki.root,
    notBefore: addDays(now, -1),
    notAfter: addDays(now, 30),
    sans: { dns: ['localhost'], ip: ['127.0.0.1'] },
    eku: ['serverAuth'],
  });
  expect(leaf.cert.subject).toContain(RLO);
  server = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem, ca: pki.root.certPem, requestCert: true, rejectUnauthorized: true }, (sock) => {
    sock.on('error', () => undefined);
    sock.once('data', () =>
      sock.end(Buffer.from(`HTTP/1.1 200 OK${RLO}\r\nserver: nginx\u2066evil\u2069${RLO}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok`, 'utf8')),
    );
  });
  server.on('tlsClientError', () => undefined);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  await fs.writeFile(path.join(tmp, 'ca.pem'), pki.root.certPem);
  await fs.writeFile(path.join(tmp, 'client.pem'), pki.client.chainPem);
  await fs.writeFile(path.join(tmp, 'client-key.pem'), pki.client.keyPem, { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await fs.rm(tmp, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { ...process.env, NO_COLOR: '1', CI: 'true' },
  });
  return { code, stdout, stderr };
}

/** Every string anywhere in a parsed JSON value. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (out.push(k), strings(x, out));
  return out;
}

describe('bidi and control characters in the JSON report', () => {
  it('run --json: the certificate subject is escaped in the file and exact once parsed', async () => {
    const out = path.join(tmp, 'run.json');
    const r = await cli([
      'run',
      '--target',
      `127.0.0.1:${port}`,
      '--servername',
      'localhost',
      '--ca',
      path.join(tmp, 'ca.pem'),
      '--cert',
      path.join(tmp, 'client.pem'),
      '--key',
      path.join(tmp, 'client-key.pem'),
      '--suite',
      'handshake-with-cert,chain-validation,san-validation',
      '--json',
      out,
      '--timeout',
      '3s',
    ]);
    expect(r.stderr).not.toMatch(/internal error|error:/);
    const text = await fs.readFile(out, 'utf8');
    expect(text).not.toMatch(RAW_UNSAFE);
    expect(text).toContain('invoice\\u202efdp.exe');
    const parsed = JSON.parse(text) as { targets: { peerChain?: { subject: string }[] }[] };
    expect(parsed.targets[0]!.peerChain?.[0]?.subject).toContain(HOSTILE_CN);
    // The server's own text (Server header, status line) went through the same escaping.
    const all = strings(parsed);
    expect(all.some((s) => s.includes(HOSTILE_CN))).toBe(true);
    expect(all.some((s) => RAW_UNSAFE.test(s))).toBe(true);
  }, 60_000);

  it('probe --json (stdout): the same', async () => {
    const r = await cli([
      'probe',
      `127.0.0.1:${port}`,
      '--servername',
      'localhost',
      '--ca',
      path.join(tmp, 'ca.pem'),
      '--cert',
      path.join(tmp, 'client.pem'),
      '--key',
      path.join(tmp, 'client-key.pem'),
      '--json',
      '--timeout',
      '3s',
    ]);
    expect(r.stderr).not.toMatch(/internal error|error:/);
    const text = r.stdout;
    expect(text).not.toMatch(RAW_UNSAFE);
    expect(text).toContain('\\u202e');
    expect(strings(JSON.parse(text)).some((s) => s.includes(HOSTILE_CN))).toBe(true);
  }, 60_000);

  it('reportJsonText escapes what JSON.stringify leaves raw, and round-trips exactly', () => {
    const value = {
      s: 'a\u202ab\u202bc\u202cd\u202de\u202ef\u2066g\u2067h\u2068i\u2069j\u200ek\u200fl\u200bm\u2028n\u2029o\u0085p\u007fq\ufeffr',
      plain: 'é ü 日本 ✓',
      ctl: '\u0001\n',
    };
    const text = reportJsonText(value);
    expect(text).not.toMatch(RAW_UNSAFE);
    expect(text).toContain('\\u202e');
    expect(text).toContain('é ü 日本 ✓');
    expect(JSON.parse(text)).toEqual(value);
    expect(text.endsWith('}\n')).toBe(true);
  });
});
