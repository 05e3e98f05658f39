// Peers for test/probe-post-handshake.test.ts, all real and on 127.0.0.1: `openssl s_server` with
// arbitrary flags, Apache httpd (Debian apache2) with per-location client auth, and a TCP relay in
// front of a real node TLS server that injects bytes into the server's stream after the handshake.
// Files live in a temp dir removed on stop; key material is minted by the test, never committed.
import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { FixturePki } from '../../src/pki/generate.js';
import { hkdfExpandLabel } from '../../src/probe/tls-keys.js';
import { findBinary, freePort, stopProcess, tail } from '../../src/targets/reference/process.js';

export const APACHE = ['/usr/sbin/apache2', findBinary('apache2'), findBinary('httpd')].find((p): p is string => !!p && existsSync(p));
export const APACHE_MODULES = ['/usr/lib/apache2/modules', '/usr/lib/httpd/modules', '/usr/lib64/httpd/modules'].find((d) =>
  existsSync(path.join(d, 'mod_ssl.so')),
);

export interface Peer {
  port: number;
  /** Everything the process printed so far, plus its log file when it has one. */
  logs(): string;
  stop(): Promise<void>;
}

async function tempDir(prefix: string, mode = 0o700): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(dir, mode);
  return dir;
}

export interface PkiFiles {
  dir: string;
  leaf: string;
  intermediates: string;
  chain: string;
  key: string;
  clientCa: string;
}

/** The server side of the fixture PKI in `dir`: key 0600, the rest 0644. */
export async function writePkiFiles(dir: string, pki: FixturePki): Promise<PkiFiles> {
  const f: PkiFiles = {
    dir,
    leaf: path.join(dir, 'server.pem'),
    intermediates: path.join(dir, 'intermediates.pem'),
    chain: path.join(dir, 'server-chain.pem'),
    key: path.join(dir, 'server-key.pem'),
    clientCa: path.join(dir, 'client-ca.pem'),
  };
  await fs.writeFile(f.leaf, pki.server.certPem, { mode: 0o644 });
  await fs.writeFile(f.intermediates, pki.intermediate.certPem, { mode: 0o644 });
  await fs.writeFile(f.chain, pki.server.chainPem, { mode: 0o644 });
  await fs.writeFile(f.key, pki.server.keyPem, { mode: 0o600 });
  await fs.writeFile(f.clientCa, pki.root.certPem, { mode: 0o644 });
  return f;
}

function collect(proc: ChildProcess): { out: () => string; waitFor: (re: RegExp, ms: number) => Promise<boolean> } {
  let text = '';
  const waiters: { re: RegExp; done: (v: boolean) => void }[] = [];
  const add = (b: Buffer) => {
    if (text.length < 200_000) text += b.toString('utf8');
    for (const w of waiters.splice(0)) {
      if (w.re.test(text)) w.done(true);
      else waiters.push(w);
    }
  };
  proc.stdout?.on('data', add);
  proc.stderr?.on('data', add);
  return {
    out: () => text,
    waitFor: (re, ms) =>
      new Promise((resolve) => {
        if (re.test(text)) return resolve(true);
        const t = setTimeout(() => resolve(false), ms);
        const done = (v: boolean) => {
          clearTimeout(t);
          resolve(v);
        };
        waiters.push({ re, done });
        proc.once('exit', () => done(false));
      }),
  };
}

/**
 * Apache httpd with mod_ssl: `SSLVerifyClient none` for the server, `require` in `<Location /secure>`
 * (per-path client auth: a renegotiation on TLS 1.2, post-handshake authentication on TLS 1.3).
 * `/secure` and `/` are static files. Runs in the foreground, every path in its temp dir.
 */
export async function startApache(pki: FixturePki): Promise<Peer & { errorLog(): string }> {
  if (!APACHE || !APACHE_MODULES) throw new Error('apache2 is not installed: apt-get install apache2');
  // 0755: the worker (www-data when we run as root) reads the document root; the key stays 0600,
  // read by the parent before it drops privileges.
  const dir = await tempDir('mtls-peer-apache-', 0o755);
  const f = await writePkiFiles(dir, pki);
  const htdocs = path.join(dir, 'htdocs');
  await fs.mkdir(htdocs, { mode: 0o755 });
  await fs.mkdir(path.join(dir, 'run'), { mode: 0o755 });
  await fs.writeFile(path.join(htdocs, 'index.html'), 'open\n', { mode: 0o644 });
  await fs.writeFile(path.join(htdocs, 'secure'), 'secret\n', { mode: 0o644 });
  const errorLog = path.join(dir, 'error.log');
  const readLog = () => {
    try {
      return readFileSync(errorLog, 'utf8');
    } catch {
      return '';
    }
  };
  const runAs = process.getuid?.() === 0 ? 'User www-data\nGroup www-data\n' : '';
  const conf = (port: number) => `ServerRoot "${dir}"
DefaultRuntimeDir "${dir}/run"
PidFile "${dir}/run/httpd.pid"
LoadModule mpm_event_module ${APACHE_MODULES}/mod_mpm_event.so
LoadModule authz_core_module ${APACHE_MODULES}/mod_authz_core.so
LoadModule ssl_module ${APACHE_MODULES}/mod_ssl.so
${runAs}ServerName localhost
Listen 127.0.0.1:${port}
ErrorLog "${errorLog}"
LogLevel info ssl:info
DocumentRoot "${htdocs}"
<Directory "${htdocs}">
  Require all granted
</Directory>
SSLEngine on
SSLProtocol -all +TLSv1.2 +TLSv1.3
SSLCertificateFile "${f.chain}"
SSLCertificateKeyFile "${f.key}"
SSLCACertificateFile "${f.clientCa}"
SSLVerifyClient none
<Location /secure>
  SSLVerifyClient require
  SSLVerifyDepth 2
</Location>
`;
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    await fs.writeFile(path.join(dir, 'httpd.conf'), conf(port), { mode: 0o644 });
    await fs.writeFile(errorLog, '');
    const proc = spawn(APACHE, ['-d', dir, '-f', path.join(dir, 'httpd.conf'), '-DFOREGROUND'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Debian's apache2 reads these from /etc/apache2/envvars when started by apache2ctl; this
      // config names every path itself, they are set so nothing falls back to the system's.
      env: {
        ...process.env,
        APACHE_RUN_DIR: path.join(dir, 'run'),
        APACHE_PID_FILE: path.join(dir, 'run/httpd.pid'),
        APACHE_LOCK_DIR: path.join(dir, 'run'),
        APACHE_LOG_DIR: dir,
        APACHE_RUN_USER: 'www-data',
        APACHE_RUN_GROUP: 'www-data',
        LANG: 'C',
      },
    });
    const c = collect(proc);
    const logs = () => `${c.out()}${readLog()}`;
    if (await tlsReady(port, proc, 15_000)) {
      return {
        port,
        logs,
        errorLog: readLog,
        stop: async () => {
          await stopProcess(proc);
          await fs.rm(dir, { recursive: true, force: true });
        },
      };
    }
    last = logs();
    await stopProcess(proc);
    if (!/in use|could not bind/i.test(last)) break;
  }
  await fs.rm(dir, { recursive: true, force: true });
  throw new Error(`apache2 did not start:\n${tail(last)}`);
}

/** A TLS handshake (no client certificate) completes on the port before the deadline. */
async function tlsReady(port: number, proc: ChildProcess, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && proc.exitCode === null && proc.signalCode === null) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(1000, () => done(false));
      s.once('secureConnect', () => done(true));
      s.once('error', () => done(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** What the relay puts into the server's stream once the server's handshake is over. */
export type Injection = 'garbage' | 'plaintext-alert' | 'post-handshake-certificate-request' | 'none';

export interface InjectingRelay {
  port: number;
  /** What the relay saw and did, per connection (for assertions and failure messages). */
  log: string[];
  /** Count of injections made. */
  injected(): number;
  stop(): Promise<void>;
}

const SUITES: Record<number, { hash: 'sha256' | 'sha384'; keyLen: number; cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' }> = {
  0x1301: { hash: 'sha256', keyLen: 16, cipher: 'aes-128-gcm' },
  0x1302: { hash: 'sha384', keyLen: 32, cipher: 'aes-256-gcm' },
  0x1303: { hash: 'sha256', keyLen: 32, cipher: 'chacha20-poly1305' },
};

/** TLS 1.3 record protection (RFC 8446 §5.2) with the server's application traffic secret: seal and trial-open. */
class ServerAppKeys {
  private readonly key: Buffer;
  private readonly iv: Buffer;
  constructor(
    private readonly suite: (typeof SUITES)[number],
    secret: Buffer,
  ) {
    this.key = hkdfExpandLabel(suite.hash, secret, 'key', suite.keyLen);
    this.iv = hkdfExpandLabel(suite.hash, secret, 'iv', 12);
  }
  private nonce(seq: bigint): Buffer {
    const n = Buffer.from(this.iv);
    const s = Buffer.alloc(8);
    s.writeBigUInt64BE(seq);
    for (let i = 0; i < 8; i++) n[4 + i]! ^= s[i]!;
    return n;
  }
  /** Whether `record` is sealed with these keys at `seq` (handshake-key records are not). */
  opens(record: Buffer, seq: bigint): boolean {
    try {
      const d = createDecipheriv(this.suite.cipher as CipherGCMTypes, this.key, this.nonce(seq), { authTagLength: 16 });
      d.setAAD(record.subarray(0, 5));
      d.setAuthTag(record.subarray(record.length - 16));
      d.update(record.subarray(5, record.length - 16));
      d.final();
      return true;
    } catch {
      return false;
    }
  }
  /** A TLSCiphertext carrying `content` of inner type `type` at sequence number `seq`. */
  seal(type: number, content: Buffer, seq: bigint): Buffer {
    const inner = Buffer.concat([content, Buffer.from([type])]);
    const header = Buffer.from([23, 3, 3, (inner.length + 16) >> 8, (inner.length + 16) & 0xff]);
    const c = createCipheriv(this.suite.cipher as CipherGCMTypes, this.key, this.nonce(seq), { authTagLength: 16 });
    c.setAAD(header);
    const body = Buffer.concat([c.update(inner), c.final(), c.getAuthTag()]);
    return Buffer.concat([header, body]);
  }
}
/** A TLS 1.3 post-handshake CertificateRequest (RFC 8446 §4.3.2): a non-empty context and signature_algorithms. */
export function postHandshakeCertificateRequest(): Buffer {
  const context = randomBytes(8);
  const schemes = Buffer.from([0x04, 0x03, 0x08, 0x04, 0x04, 0x01]);
  const sigAlgs = Buffer.concat([Buffer.from([0x00, 0x0d, 0x00, schemes.length + 2, 0x00, schemes.length]), schemes]);
  const body = Buffer.concat([Buffer.from([context.length]), context, Buffer.from([sigAlgs.length >> 8, sigAlgs.length & 0xff]), sigAlgs]);
  return Buffer.concat([Buffer.from([13, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

/**
 * A real node TLS server that never writes application data (raw TLS: it reads and stays silent),
 * behind a loopback relay that forwards every server record as it arrives and, once the server's
 * handshake is over, injects `injection` into the server→client stream:
 * - TLS 1.3: after the server's session tickets (`tickets` application records, counted by
 *   opening each record with the server's SERVER_TRAFFIC_SECRET_0, taken from the server's own
 *   `keylog` event);
 * - TLS 1.2: 100 ms after the server's Finished (its first handshake record after its ChangeCipherSpec).
 * The post-handshake CertificateRequest is sealed as a proper TLSCiphertext with the next server
 * sequence number, so it decrypts for the client and for the probe's recorder alike.
 */
export async function startInjectingRelay(
  pki: FixturePki,
  injection: Injection,
  o: { maxVersion?: tls.SecureVersion; tickets?: number; endAfterMs?: number } = {},
): Promise<InjectingRelay> {
  const log: string[] = [];
  let injected = 0;
  const keylogs = new Map<number, Map<string, Buffer>>(); // by the relay's upstream local port
  const server = tls.createServer({ cert: pki.server.chainPem, key: pki.server.keyPem, minVersion: 'TLSv1.2', maxVersion: o.maxVersion ?? 'TLSv1.3' }, (s) => {
    s.on('error', () => undefined);
    s.resume(); // reads (an HTTP request too) and never answers
    if (o.endAfterMs !== undefined) setTimeout(() => s.end(), o.endAfterMs);
  });
  server.on('tlsClientError', () => undefined);
  server.on('keylog', (line: Buffer, sock: tls.TLSSocket) => {
    const [label, , secret] = line.toString('latin1').trim().split(' ');
    if (!label || !secret || sock.remotePort === undefined) return;
    const m = keylogs.get(sock.remotePort) ?? new Map<string, Buffer>();
    m.set(label, Buffer.from(secret, 'hex'));
    keylogs.set(sock.remotePort, m);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const upstreamPort = (server.address() as net.AddressInfo).port;
  const conns = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    conns.add(client);
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    conns.add(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    let buf = Buffer.alloc(0);
    let tls13 = false;
    let suite: number | undefined;
    let ccs = false;
    let finished = false;
    let appSeq = 0n;
    let keys: ServerAppKeys | undefined;
    let done = false;
    const inject = (why: string) => {
      if (done || injection === 'none') return;
      done = true;
      let bytes: Buffer;
      if (injection === 'garbage') {
        bytes = randomBytes(64);
        bytes[0] = 0x80 | bytes[0]!; // never a TLS record type
      } else if (injection === 'plaintext-alert') {
        bytes = Buffer.from([21, 3, 3, 0, 2, 2, 40]); // fatal handshake_failure, unprotected
      } else {
        if (!keys) throw new Error('no server application keys for the injection');
        bytes = keys.seal(22, postHandshakeCertificateRequest(), appSeq++);
      }
      injected++;
      log.push(`injected ${injection} (${bytes.length} bytes) ${why}`);
      client.write(bytes);
    };
    upstream.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
        const rec = buf.subarray(0, 5 + buf.readUInt16BE(3));
        buf = buf.subarray(rec.length);
        client.write(rec);
        const type = rec[0]!;
        if (type === 22 && !ccs && rec[5] === 2 && suite === undefined) {
          // ServerHello: legacy_version(2) random(32) session_id cipher_suite … supported_versions.
          const sidLen = rec[5 + 4 + 2 + 32]!;
          suite = rec.readUInt16BE(5 + 4 + 2 + 32 + 1 + sidLen);
          tls13 = SUITES[suite] !== undefined;
          log.push(`ServerHello ${tls13 ? 'TLS 1.3' : 'TLS 1.2'} suite 0x${suite.toString(16)}`);
        } else if (type === 20) {
          ccs = true;
        } else if (type === 22 && ccs && !tls13 && !finished) {
          finished = true;
          log.push('server Finished (TLS 1.2)');
          setTimeout(() => inject('100 ms after the server Finished'), 100);
        } else if (type === 23 && tls13) {
          if (!keys) {
            const secret = keylogs.get(upstream.localPort!)?.get('SERVER_TRAFFIC_SECRET_0');
            if (secret) keys = new ServerAppKeys(SUITES[suite!]!, secret);
          }
          if (keys?.opens(rec, appSeq)) {
            appSeq++;
            log.push(`server application record #${appSeq}`);
            if (appSeq === BigInt(o.tickets ?? 2)) inject(`after ${appSeq} server application records (the session tickets)`);
          }
        }
      }
    });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  return {
    port: (relay.address() as net.AddressInfo).port,
    log,
    injected: () => injected,
    stop: async () => {
      for (const c of conns) c.destroy();
      await new Promise((r) => relay.close(r));
      await new Promise((r) => server.close(r));
    },
  };
}
