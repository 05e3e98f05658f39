// Real third-party TLS servers for the integration tests, on 127.0.0.1 and ephemeral ports:
// `openssl s_server` and nginx, each with its files in a 0700 temp dir removed on stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FixturePki } from '../../src/pki/generate.js';
import { findBinary, freePort, stopProcess, tail, waitForTls } from '../../src/targets/reference/process.js';

export interface StartedServer {
  host: string;
  port: number;
  /** The server's stdout and stderr so far (for failure messages). */
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

/** Writes the server side of the fixture PKI: chain (leaf + intermediate), key 0600, client trust anchor. */
async function writeServerFiles(dir: string, pki: FixturePki): Promise<{ cert: string; leaf: string; intermediates: string; key: string; ca: string }> {
  const files = {
    cert: path.join(dir, 'server-chain.pem'),
    leaf: path.join(dir, 'server.pem'),
    intermediates: path.join(dir, 'intermediates.pem'),
    key: path.join(dir, 'server-key.pem'),
    ca: path.join(dir, 'client-ca.pem'),
  };
  await fs.writeFile(files.cert, pki.server.chainPem);
  await fs.writeFile(files.leaf, pki.server.certPem);
  await fs.writeFile(files.intermediates, pki.intermediate.certPem);
  await fs.writeFile(files.key, pki.server.keyPem, { mode: 0o600 });
  await fs.writeFile(files.ca, pki.root.certPem);
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

/** Starts a process on a fresh port, retrying when the port was taken between choice and bind. */
async function startOnPort(start: (port: number) => ChildProcess, attempts = 3): Promise<{ proc: ChildProcess; port: number; logs: () => string }> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = await freePort();
    const proc = start(port);
    const logs = collect(proc);
    try {
      await waitForTls('127.0.0.1', port, () => (proc.exitCode !== null || proc.signalCode !== null ? `server exited (${proc.exitCode ?? proc.signalCode}):\n${tail(logs())}` : undefined));
      return { proc, port, logs };
    } catch (e) {
      last = e;
      await stopProcess(proc);
      if (!/in use|EADDRINUSE|bind/i.test(logs())) break;
    }
  }
  throw last;
}

export type ClientVerifyMode = 'required' | 'optional' | 'none';

export interface OpensslServerOptions {
  pki: FixturePki;
  mode: ClientVerifyMode;
  /** Highest TLS version (1.3 default; 1.2 caps it with -no_tls1_3). */
  tls?: '1.3' | '1.2';
  /** `https` answers each request with openssl's status page (-www); `tls` echoes nothing (raw). */
  protocol?: 'https' | 'tls';
}

/**
 * `openssl s_server`: required = `-Verify 1 -verify_return_error`, optional = `-verify 1`, none = no
 * verify flag (no CertificateRequest).
 */
export async function startOpensslServer(o: OpensslServerOptions): Promise<StartedServer> {
  if (!OPENSSL) throw new Error('openssl is not installed');
  const dir = await tempDir('mtls-openssl-');
  const f = await writeServerFiles(dir, o.pki);
  const verify = o.mode === 'required' ? ['-Verify', '1', '-verify_return_error'] : o.mode === 'optional' ? ['-verify', '1'] : [];
  const { proc, port, logs } = await startOnPort((p) =>
    spawn(
      OPENSSL,
      [
        's_server', '-accept', `127.0.0.1:${p}`, '-naccept', '100000',
        // s_server sends only the first certificate of -cert; the intermediate goes in -cert_chain.
        '-cert', f.leaf, '-cert_chain', f.intermediates, '-key', f.key, '-CAfile', f.ca, ...verify,
        ...(o.tls === '1.2' ? ['-no_tls1_3'] : []),
        ...(o.protocol === 'tls' ? ['-quiet'] : ['-www']),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    ),
  );
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

export interface NginxOptions {
  pki: FixturePki;
  /** `ssl_verify_client` value. */
  verify: 'on' | 'optional' | 'off';
}

/** nginx (Debian nginx-light) in the foreground with every path inside its temp dir, so it runs unprivileged too. */
export async function startNginx(o: NginxOptions): Promise<StartedServer> {
  if (!NGINX) throw new Error('nginx is not installed');
  const dir = await tempDir('mtls-nginx-');
  const f = await writeServerFiles(dir, o.pki);
  const conf = path.join(dir, 'nginx.conf');
  const write = (port: number) => `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} ssl;
    server_name localhost;
    ssl_certificate ${f.cert};
    ssl_certificate_key ${f.key};
    ssl_client_certificate ${f.ca};
    ssl_verify_client ${o.verify};
    ssl_verify_depth 2;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      default_type text/plain;
      return 200 "hello from nginx, client verify: $ssl_client_verify\\n";
    }
  }
}
`;
  const { proc, port, logs } = await startOnPort((p) => {
    // Written synchronously so the file exists before nginx reads it.
    writeFileSync(conf, write(p));
    return spawn(NGINX, ['-p', dir, '-c', conf, '-e', `${dir}/error.log`], { stdio: ['ignore', 'pipe', 'pipe'] });
  });
  return {
    host: '127.0.0.1',
    port,
    logs: () => {
      let err = '';
      try {
        err = readFileSync(path.join(dir, 'error.log'), 'utf8');
      } catch {
        /* not written yet, or already removed */
      }
      return logs() + err;
    },
    stop: async () => {
      await stopProcess(proc);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
