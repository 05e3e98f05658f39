// Real third-party peers that once drew false verdicts from the harness ("client certificates are
// enforced" where they are not), for test/false-verdicts.test.ts. Each is a server from Debian's
// packages (nginx, openssl s_server, mosquitto, redis-server, haproxy), a stdlib Go server built at
// test time (fixtures/go/tlsserver), or — where no packaged server behaves that way — a few lines
// of node:net. All listen on 127.0.0.1 on an ephemeral port, with their files in a 0700 temp dir
// removed on stop; stop() ends the process by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FixturePki } from '../../src/pki/generate.js';
import { findBinary, freePort, stopProcess, tail } from '../../src/targets/reference/process.js';
import { writeServerFiles, type ServerFiles, type StartedServer } from './servers.js';
import { buildGoServer, goTempDir, startGoServer, type GoClientAuth } from './go-server.js';

export const NGINX = findBinary('nginx');
export const OPENSSL = findBinary('openssl');
export const HAPROXY = findBinary('haproxy');
export const MOSQUITTO = findBinary('mosquitto');
export const REDIS = findBinary('redis-server');
export const GO = findBinary('go');

export interface ThirdPartyPeer extends StartedServer {
  /** What it is, for failure messages ("nginx ssl_reject_handshake"). */
  name: string;
  /** PID of the server process (undefined for the in-process node:net peers). */
  pid: number | undefined;
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(dir, 0o700);
  return dir;
}

function collect(proc: ChildProcess): () => string {
  let out = '';
  const add = (b: Buffer) => {
    if (out.length < 200_000) out += b.toString('utf8');
  };
  proc.stdout?.on('data', add);
  proc.stderr?.on('data', add);
  return () => out;
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Resolves once the port accepts a TCP connection while the process is alive. These peers refuse
 * or mangle TLS on purpose (alert 112, alert 70, a close after the handshake), so a completed TLS
 * handshake cannot be the readiness signal; a listening socket owned by a live process is.
 */
async function waitForListen(port: number, proc: ChildProcess, logs: () => string, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let spawnError: Error | undefined;
  proc.once('error', (e) => (spawnError = e));
  let last = 'no attempt';
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`${what} could not be started: ${spawnError.message}\n${tail(logs())}`);
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`${what} exited during start (${proc.exitCode ?? proc.signalCode}); last lines of its output:\n${tail(logs())}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      const done = (v: boolean, why?: string) => {
        if (why) last = why;
        clearTimeout(t);
        s.destroy();
        resolve(v);
      };
      const t = setTimeout(() => done(false, 'connect timed out'), 500);
      s.once('connect', () => done(true));
      s.once('error', (e) => done(false, e.message));
    });
    // Alive after the connect too (a server that dies on its first connection is not started).
    if (ok && proc.exitCode === null && proc.signalCode === null) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms (last attempt: ${last}); last lines of its output:\n${tail(logs())}`);
}

const IN_USE = /in use|EADDRINUSE|bind\(\)|cannot bind|Address already|Could not create server TCP listening socket/i;

interface Launch {
  /** argv[0] and the rest, for the port chosen. Config files are written by `render` before the spawn. */
  command: (port: number) => string[];
  /** Files to (re)write for the port, relative to the peer's directory. */
  render?: (port: number) => Record<string, string>;
  /** Log files the server writes itself (their tails go into failure messages). */
  logFiles?: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a peer in its own temp dir on a free port (bind port 0, close, reuse the number); retries
 * on a new port when the port was taken in between. The error carries the server's log tail.
 */
async function launch(name: string, prefix: string, setup: (dir: string) => Promise<Launch>, timeoutMs = 10_000): Promise<ThirdPartyPeer> {
  const dir = await tempDir(prefix);
  try {
    const l = await setup(dir);
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      for (const [file, content] of Object.entries(l.render?.(port) ?? {})) writeFileSync(path.join(dir, file), content, { mode: 0o644 });
      for (const file of l.logFiles ?? []) writeFileSync(file, ''); // a retry must not see the previous attempt's errors
      const [bin, ...args] = l.command(port);
      const proc = spawn(bin!, args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'], env: l.env ?? process.env });
      const out = collect(proc);
      const logs = () => out() + (l.logFiles ?? []).map((f) => readLog(f)).join('');
      try {
        await waitForListen(port, proc, logs, name, timeoutMs);
        return {
          name,
          host: '127.0.0.1',
          port,
          pid: proc.pid,
          logs,
          stop: async () => {
            await stopProcess(proc);
            await fs.rm(dir, { recursive: true, force: true });
          },
        };
      } catch (e) {
        last = e;
        await stopProcess(proc);
        if (!IN_USE.test(logs())) break;
      }
    }
    throw last;
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
}

function need(bin: string | undefined, what: string, install: string): string {
  if (!bin) throw new Error(`${what} is not installed: ${install}`);
  return bin;
}

// ---------------------------------------------------------------------------------------------
// 1. nginx: a catch-all `default_server` with `ssl_reject_handshake on` in front of a named vhost
//    that never asks for a client certificate. Without SNI (a probe by IP), the catch-all answers
//    the ClientHello with alert 112 unrecognized_name — before any client certificate could matter.

export interface NginxRejectHandshakeOptions {
  pki: FixturePki;
  /** server_name of the vhost that serves everyone (default app.example). */
  serverName?: string;
}

export function startNginxRejectHandshake(o: NginxRejectHandshakeOptions): Promise<ThirdPartyPeer> {
  const nginx = need(NGINX, 'nginx', 'apt-get install nginx-light');
  const name = o.serverName ?? 'app.example';
  return launch('nginx (default_server ssl_reject_handshake on)', 'mtls-peer-nginx-', async (dir) => {
    const f = await writeServerFiles(dir, o.pki);
    const errorLog = path.join(dir, 'error.log');
    return {
      logFiles: [errorLog],
      render: (port) => ({
        'nginx.conf': `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${errorLog} info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # Catch-all: refuses every handshake whose SNI names no vhost (and every one without SNI).
  server {
    listen 127.0.0.1:${port} ssl default_server;
    ssl_reject_handshake on;
  }
  # The application: no ssl_verify_client at all, so it serves anyone.
  server {
    listen 127.0.0.1:${port} ssl;
    server_name ${name};
    ssl_certificate ${f.chain};
    ssl_certificate_key ${f.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      default_type text/plain;
      return 200 "served without a client certificate\\n";
    }
  }
}
`,
      }),
      command: () => [nginx, '-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', errorLog],
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 2 and 6. openssl s_server with arbitrary flags (the server chain, key and client CA are added).

export interface OpensslPeerOptions {
  pki: FixturePki;
  /** Flags after the credentials, e.g. ['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0', '-www']. */
  args: string[];
  name: string;
}

export function startOpensslPeer(o: OpensslPeerOptions): Promise<ThirdPartyPeer> {
  const openssl = need(OPENSSL, 'openssl', 'apt-get install openssl');
  return launch(`openssl s_server ${o.name}`, 'mtls-peer-openssl-', async (dir) => {
    const f = await writeServerFiles(dir, o.pki);
    return {
      command: (port) => [
        openssl,
        's_server',
        '-accept',
        `127.0.0.1:${port}`,
        '-naccept',
        '100000',
        '-cert',
        f.leaf,
        '-cert_chain',
        f.intermediates,
        '-key',
        f.key,
        '-CAfile',
        f.ca,
        ...o.args,
      ],
    };
  });
}

/** TLS 1.1 only, no client auth at all: node's client (TLS 1.2 minimum) gets alert 70 protocol_version. */
export const startOpensslTls11Only = (pki: FixturePki) =>
  startOpensslPeer({ pki, name: '-tls1_1 (no client auth)', args: ['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0', '-www'] });

/** TLS 1.2 only, requires a client certificate: a client offering TLS 1.3 only gets alert 70. */
export const startOpensslTls12Required = (pki: FixturePki) =>
  startOpensslPeer({ pki, name: '-tls1_2 -Verify 1', args: ['-tls1_2', '-Verify', '1', '-verify_return_error', '-www'] });

/** TLS 1.3 with P-384 as its only group: node offers an X25519 key share, so the server sends a HelloRetryRequest; no client auth. */
export const startOpensslHelloRetry = (pki: FixturePki) =>
  startOpensslPeer({ pki, name: '-tls1_3 -groups P-384 (HelloRetryRequest, no client auth)', args: ['-tls1_3', '-groups', 'P-384', '-www'] });

// ---------------------------------------------------------------------------------------------
// 3. A synthetic peer (node:net): reads the ClientHello record and answers it with one fatal
//    plaintext alert record `15 03 03 00 02 02 <code>`, then closes. No packaged server sends an
//    unassigned alert code, hence the synthetic one.

export function startAlertPeer(code: number, level = 2): Promise<ThirdPartyPeer> {
  if (!Number.isInteger(code) || code < 0 || code > 255) throw new Error(`alert code ${code} is not a byte`);
  const sockets = new Set<net.Socket>();
  let seen = '';
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf[0] !== 0x16) {
        // Not a TLS handshake record (a plaintext HTTP request): closed without an answer.
        seen += `${buf.length} byte(s) that are not a TLS handshake record; closed\n`;
        s.destroy();
        return;
      }
      // A whole handshake record (type 22): 5-byte header plus its length.
      if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
        seen += `ClientHello record of ${buf.length} bytes (type ${buf[0]}); answered with alert ${code}\n`;
        s.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, level, code]));
        s.removeAllListeners('data');
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        name: `fatal alert ${code} to every ClientHello (node:net)`,
        host: '127.0.0.1',
        port,
        pid: undefined,
        logs: () => seen,
        stop: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// 4. Brokers that are not HTTP servers: mosquitto (MQTT over TLS) and redis-server (TLS port).
//    Asked for HTTP they close the connection — the valid client exactly like the cert-less one.

export interface MosquittoOptions {
  pki: FixturePki;
  /** `require_certificate` (false: the broker never asks for a client certificate). */
  requireCertificate: boolean;
}

export function startMosquitto(o: MosquittoOptions): Promise<ThirdPartyPeer> {
  const mosquitto = need(MOSQUITTO, 'mosquitto', 'apt-get install mosquitto');
  return launch(`mosquitto (require_certificate ${o.requireCertificate})`, 'mtls-peer-mosquitto-', async (dir) => {
    const f = await writeServerFiles(dir, o.pki);
    return {
      render: (port) => ({
        'mosquitto.conf': [
          // Started as root, mosquitto drops to the "mosquitto" user, which cannot read the 0700 dir.
          `user ${os.userInfo().username}`,
          'per_listener_settings false',
          'allow_anonymous true',
          'persistence false',
          'log_dest stderr',
          'log_type all',
          `listener ${port} 127.0.0.1`,
          `cafile ${f.ca}`,
          `certfile ${f.chain}`,
          `keyfile ${f.key}`,
          `require_certificate ${o.requireCertificate}`,
          '',
        ].join('\n'),
      }),
      command: () => [mosquitto, '-c', path.join(dir, 'mosquitto.conf')],
    };
  });
}

/** redis-server with `tls-port PORT`, `port 0` (no plaintext port) and `tls-auth-clients no`. */
export function startRedisTls(o: { pki: FixturePki }): Promise<ThirdPartyPeer> {
  const redis = need(REDIS, 'redis-server', 'apt-get install redis-server');
  return launch('redis-server (tls-auth-clients no)', 'mtls-peer-redis-', async (dir) => {
    const f = await writeServerFiles(dir, o.pki);
    return {
      render: (port) => ({
        'redis.conf': [
          'bind 127.0.0.1',
          'port 0',
          `tls-port ${port}`,
          `tls-cert-file ${f.chain}`,
          `tls-key-file ${f.key}`,
          `tls-ca-cert-file ${f.ca}`,
          'tls-auth-clients no',
          `dir ${dir}`,
          'save ""',
          'appendonly no',
          'daemonize no',
          'logfile ""',
          '',
        ].join('\n'),
      }),
      command: () => [redis, path.join(dir, 'redis.conf')],
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 5. Servers that require a client certificate and verify nothing about it.

/** haproxy `verify required crt-ignore-err all ca-ignore-err all`: any certificate is let through. */
export function startHaproxyIgnoreErrors(o: { pki: FixturePki }): Promise<ThirdPartyPeer> {
  const haproxy = need(HAPROXY, 'haproxy', 'apt-get install haproxy');
  return launch('haproxy (verify required crt-ignore-err all ca-ignore-err all)', 'mtls-peer-haproxy-', async (dir) => {
    const f = await writeServerFiles(dir, o.pki);
    return {
      render: (port) => ({
        'haproxy.cfg': `
global
  log stderr local0
defaults
  mode http
  log global
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port} ssl crt ${f.combined} verify required crt-ignore-err all ca-ignore-err all ca-file ${f.ca}
  http-request return status 200 content-type text/plain string "ok"
`,
      }),
      command: () => [haproxy, '-db', '-f', path.join(dir, 'haproxy.cfg')],
    };
  });
}

/**
 * Go crypto/tls (fixtures/go/tlsserver, built at test time by test/helpers/go-server.ts) with the
 * given ClientAuth: `require-any` is tls.RequireAnyClientCert (trusts any certificate).
 */
export async function startGoTlsServer(o: { pki: FixturePki; clientAuth: GoClientAuth }): Promise<ThirdPartyPeer & { removeBuild(): Promise<void> }> {
  const buildDir = await goTempDir();
  const bin = await buildGoServer(buildDir);
  const dir = await tempDir('mtls-peer-goserver-');
  const f: ServerFiles = await writeServerFiles(dir, o.pki);
  const g = await startGoServer(bin, { cert: f.chain, key: f.key, clientCa: f.ca, clientAuth: o.clientAuth });
  return {
    name: `Go crypto/tls (${o.clientAuth})`,
    pid: undefined,
    host: g.host,
    port: g.port,
    logs: g.logs,
    stop: async () => {
      await g.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
    removeBuild: () => fs.rm(buildDir, { recursive: true, force: true }),
  };
}
