// The Go crypto/tls server of fixtures/go/tlsserver, built at test time with the local toolchain
// (GOCACHE, GOPATH and HOME in temp dirs, GOTOOLCHAIN=local, CGO_ENABLED=0) and started on 127.0.0.1.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stopProcess } from '../../src/targets/reference/process.js';

const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/go/tlsserver');

export type GoClientAuth = 'require-and-verify' | 'verify-if-given' | 'require-any' | 'request' | 'none' | 'any-eku';

/** Why the Go tests cannot run here, or undefined when `go` is on PATH. */
export function goUnavailable(): string | undefined {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'the Go toolchain (`go`) is not installed (apt-get install golang-go)';
}

/** Builds the server into `dir` (a temp dir the caller removes); returns the binary's path. */
export async function buildGoServer(dir: string): Promise<string> {
  const out = path.join(dir, 'tlsserver');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GOCACHE: path.join(dir, 'gocache'),
    GOPATH: path.join(dir, 'gopath'),
    HOME: dir,
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
    GOFLAGS: '',
    GOPROXY: 'off',
  };
  await promisify(execFile)('go', ['build', '-o', out, '.'], { cwd: SOURCE, env, timeout: 300_000 });
  return out;
}

export interface StartedGoServer {
  host: string;
  port: number;
  /** The server's log (one line per connection: "accepted: …" or "handshake error: …"). */
  logs(): string;
  stop(): Promise<void>;
}

export async function startGoServer(
  bin: string,
  o: { cert: string; key: string; clientCa: string; clientAuth: GoClientAuth; mode?: 'https' | 'raw' },
): Promise<StartedGoServer> {
  const proc = spawn(bin, ['-cert', o.cert, '-key', o.key, '-client-ca', o.clientCa, '-client-auth', o.clientAuth, '-mode', o.mode ?? 'https'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr.on('data', (b: Buffer) => {
    if (err.length < 500_000) err += b.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the Go server did not start within 10 s: ${err}`)), 10_000);
    const check = () => {
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    };
    proc.stdout.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`the Go server exited (${code}): ${err}`));
    });
  });
  return { host: '127.0.0.1', port, logs: () => err, stop: () => stopProcess(proc) };
}

export async function goTempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-go-'));
  await fs.chmod(dir, 0o700);
  return dir;
}
