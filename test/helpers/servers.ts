// Real third-party TLS servers for the integration tests, on 127.0.0.1 and ephemeral ports:
// `openssl s_server` and nginx, each with its files in a 0700 temp dir removed on stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { FixturePki } from '../../src/pki/generate.js';
import { findBinary, freePort, stopProcess, tail } from '../../src/targets/reference/process.js';

export interface StartedServer {
  host: string;
  port: number;
  /** The server's stdout and stderr so far, plus its log file if it has one (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

export const OPENSSL = findBinary('openssl');
export const NGINX = findBinary('nginx');
export { freePort };

/** Says why a suite is skipped, in the test output, and returns whether to skip. */
export function skipUnless(bin: string | undefined, name: string, install: string): boolean {
  if (bin) return false;
  console.warn(`SKIPPED: ${name} not installed (install it with: ${install}); its tests do not run`);
  return true;
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(dir, 0o700);
  return dir;
}

export interface ServerFiles {
  /** Leaf + intermediate. */
  chain: string;
  leaf: string;
  intermediates: string;
  key: string;
  /** Chain + key in one file (haproxy `crt`), 0600. */
  combined: string;
  /** Trust anchor for client certificates (the fixture root). */
  ca: string;
}

/** Writes the server side of the fixture PKI: chain (leaf + intermediate), key 0600, client trust anchor. */
export async function writeServerFiles(dir: string, pki: FixturePki): Promise<ServerFiles> {
  const files: ServerFiles = {
    chain: path.join(dir, 'server-chain.pem'),
    leaf: path.join(dir, 'server.pem'),
    intermediates: path.join(dir, 'intermediates.pem'),
    key: path.join(dir, 'server-key.pem'),
    combined: path.join(dir, 'server-combined.pem'),
    ca: path.join(dir, 'client-ca.pem'),
  };
  const write = async (file: string, content: string, mode: number) => {
    await fs.writeFile(file, content, { mode });
    await fs.chmod(file, mode);
  };
  await write(files.chain, pki.server.chainPem, 0o644);
  await write(files.leaf, pki.server.certPem, 0o644);
  await write(files.intermediates, pki.intermediate.certPem, 0o644);
  await write(files.key, pki.server.keyPem, 0o600);
  await write(files.combined, pki.server.chainPem + pki.server.keyPem, 0o600);
  await write(files.ca, pki.root.certPem, 0o644);
  return files;
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

/**
 * Resolves once a complete TLS handshake succeeds on the port. It presents the valid fixture client
 * certificate, so even a server that requires one completes the handshake: a listening socket, or
 * an alert, is not taken for readiness. Throws (with the server's log tail) when the process dies
 * or the deadline passes.
 */
async function waitForHandshake(port: number, pki: FixturePki, proc: ChildProcess, logs: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  let spawnError: Error | undefined;
  proc.once('error', (e) => (spawnError = e));
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`the server could not be started: ${spawnError.message}\n${tail(logs())}`);
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`the server exited during start (${proc.exitCode ?? proc.signalCode}); last lines of its output:\n${tail(logs())}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = tls.connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: pki.root.certPem,
        cert: pki.client.chainPem,
        key: pki.client.keyPem,
        rejectUnauthorized: false,
      });
      const done = (v: boolean, why?: string) => {
        if (why) last = why;
        clearTimeout(t);
        s.destroy();
        resolve(v);
      };
      const t = setTimeout(() => done(false, 'handshake timed out after 1000 ms'), 1000);
      s.once('secureConnect', () => done(true));
      s.once('error', (e) => done(false, e.message));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `no TLS handshake succeeded on 127.0.0.1:${port} within ${timeoutMs} ms (last attempt: ${last}); last lines of the server's output:\n${tail(logs())}`,
  );
}

const IN_USE = /in use|EADDRINUSE|bind\(\)|cannot bind|Address already/i;

/**
 * Starts a server on a free port (bind port 0, close, reuse the number) and waits for a real
 * handshake; retries on a new port when another process took the port between choice and bind.
 */
async function startOnPort(
  pki: FixturePki,
  start: (port: number) => { proc: ChildProcess; extraLogs?: () => string },
  attempts = 3,
  timeoutMs = 15_000,
): Promise<{ proc: ChildProcess; port: number; logs: () => string }> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = await freePort();
    const { proc, extraLogs } = start(port);
    const out = collect(proc);
    const logs = () => out() + (extraLogs?.() ?? '');
    try {
      await waitForHandshake(port, pki, proc, logs, timeoutMs);
      return { proc, port, logs };
    } catch (e) {
      last = e;
      await stopProcess(proc);
      if (!IN_USE.test(logs())) break;
    }
  }
  throw last;
}

/** The handle of a started server: stop() ends the process and removes its directory. */
function handle(port: number, logs: () => string, proc: ChildProcess, dir: string): StartedServer {
  return {
    host: '127.0.0.1',
    port,
    logs,
    stop: async () => {
      await stopProcess(proc);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export type ClientVerifyMode = 'required' | 'optional' | 'none';

export interface OpensslServerOptions {
  pki: FixturePki;
  mode: ClientVerifyMode;
  /** Highest TLS version (1.3 default; 1.2 caps it with -no_tls1_3). */
  tls?: '1.3' | '1.2';
  /**
   * `https` (default): `-www`, which answers a `GET` with `HTTP/1.0 200 ok` and an HTML status page.
   * `tls`: raw TLS, no HTTP (s_server copies what it reads to stdout; `-quiet` keeps that short).
   */
  protocol?: 'https' | 'tls';
  /** More s_server arguments (e.g. `-CRL crl.pem -crl_check`). */
  extraArgs?: string[];
}

/**
 * `openssl s_server`: required = `-Verify 1 -verify_return_error` (fail without a certificate or
 * with one that does not verify), optional = `-verify 1` (ask, serve whatever comes), none = no
 * verify flag (no CertificateRequest at all).
 */
export async function startOpensslServer(o: OpensslServerOptions): Promise<StartedServer> {
  if (!OPENSSL) throw new Error('openssl is not installed: apt-get install openssl');
  const dir = await tempDir('mtls-openssl-');
  try {
    const f = await writeServerFiles(dir, o.pki);
    const verify = o.mode === 'required' ? ['-Verify', '1', '-verify_return_error'] : o.mode === 'optional' ? ['-verify', '1'] : [];
    const { proc, port, logs } = await startOnPort(o.pki, (p) => ({
      proc: spawn(
        OPENSSL,
        [
          's_server',
          '-accept',
          `127.0.0.1:${p}`,
          '-naccept',
          '100000',
          // s_server sends only the first certificate of -cert; the intermediate goes in -cert_chain.
          '-cert',
          f.leaf,
          '-cert_chain',
          f.intermediates,
          '-key',
          f.key,
          '-CAfile',
          f.ca,
          ...verify,
          ...(o.tls === '1.2' ? ['-no_tls1_3'] : []),
          ...(o.protocol === 'tls' ? ['-quiet'] : ['-www']),
          ...(o.extraArgs ?? []),
        ],
        // stdin stays an open pipe: in raw mode s_server reads it, and EOF on it would end the session.
        { stdio: ['pipe', 'pipe', 'pipe'] },
      ),
    }));
    return handle(port, logs, proc, dir);
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
}

export interface NginxOptions {
  pki: FixturePki;
  /** `ssl_verify_client` value. */
  verify: 'on' | 'optional' | 'off';
  /** `ssl_client_certificate` (trusted and advertised in the CertificateRequest; default: the fixture root). */
  clientCertificate?: string;
  /** `ssl_trusted_certificate`: trusted for verification, never advertised. */
  trustedCertificate?: string;
  /**
   * Server blocks chosen by SNI (as an ingress controller renders one per host), each with its own
   * `ssl_verify_client`; the first is the default server. Absent: one block, `localhost`, `verify`.
   */
  servers?: { names: string[]; verify: 'on' | 'optional' | 'off' }[];
}

/** nginx (Debian nginx-light) in the foreground with every path inside its temp dir, so it runs unprivileged too. */
export async function startNginx(o: NginxOptions): Promise<StartedServer> {
  if (!NGINX) throw new Error('nginx is not installed: apt-get install nginx-light');
  const dir = await tempDir('mtls-nginx-');
  const errorLog = path.join(dir, 'error.log');
  const readErrorLog = () => {
    try {
      return readFileSync(errorLog, 'utf8');
    } catch {
      return ''; // not written yet, or already removed
    }
  };
  try {
    const f = await writeServerFiles(dir, o.pki);
    const conf = path.join(dir, 'nginx.conf');
    const render = (port: number) => `
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
${(o.servers ?? [{ names: ['localhost'], verify: o.verify }])
  .map(
    (b, i) => `  server {
    listen 127.0.0.1:${port} ssl${o.servers && i === 0 ? ' default_server' : ''};
    server_name ${b.names.join(' ')};
    ssl_certificate ${f.chain};
    ssl_certificate_key ${f.key};
    ssl_client_certificate ${o.clientCertificate ?? f.ca};${o.trustedCertificate ? `\n    ssl_trusted_certificate ${o.trustedCertificate};` : ''}
    ssl_verify_client ${b.verify};
    ssl_verify_depth 2;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      default_type text/plain;
      return 200 "hello from nginx (host $host), client verify: $ssl_client_verify\\n";
    }
  }`,
  )
  .join('\n')}
}
`;
    const { proc, port, logs } = await startOnPort(o.pki, (p) => {
      // Written synchronously so the file exists before nginx reads it.
      writeFileSync(conf, render(p), { mode: 0o644 });
      writeFileSync(errorLog, ''); // a retry must not see the previous attempt's "address in use"
      // -e: the error log nginx uses before it has read its config (otherwise /var/log/nginx).
      return { proc: spawn(NGINX, ['-p', `${dir}/`, '-c', conf, '-e', errorLog], { stdio: ['ignore', 'pipe', 'pipe'] }), extraLogs: readErrorLog };
    });
    return handle(port, logs, proc, dir);
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
}
