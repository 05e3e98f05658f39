import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HarnessError } from '../core/errors.js';
import { alertOf } from '../probe/alerts.js';
import { findBinary, freePort, renderTemplate, stopProcess, tail, writeFiles } from '../targets/reference/process.js';
import { safeText } from '../core/text.js';
import { redactText } from '../core/redact.js';
import { summarizeObservation, type ConnectionObservation, type Observation, type ObserverOptions, type StartedObserver } from './observer.js';

const SECRET = new Set(['server-key.pem']);

/**
 * nginx as the observing server of client-test (`--reference nginx`): `ssl_verify_client optional`
 * (asks, never requires), every connection read back from its logs. What it cannot see, it does not
 * claim: the client certificate is known only from a request's access-log line (`$ssl_client_verify`,
 * `$ssl_client_escaped_cert`), and a handshake that completed is known from a request or from the
 * "while waiting for request" close; the alert from "SSL alert number N".
 */
export class NginxObserver implements StartedObserver {
  host = '127.0.0.1';
  port = 0;
  private dir = '';
  private proc?: ChildProcess;
  private output = '';

  constructor(private readonly opts: ObserverOptions) {}

  async start(): Promise<this> {
    const bin = findBinary('nginx');
    if (!bin) throw new HarnessError('target.start-failed', 'nginx is not installed: apt-get install nginx-light');
    let lastError: HarnessError | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      this.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-nginx-observer-'));
      await fs.chmod(this.dir, 0o700);
      this.port = await freePort();
      const clientAuth =
        this.opts.clientCaPem !== undefined
          ? `    ssl_client_certificate ${this.dir}/client-ca.pem;\n    ssl_verify_client optional;\n    ssl_verify_depth 3;`
          : '';
      const conf = renderTemplate('nginx-observer.conf.tmpl', { dir: this.dir, bind: this.host, port: String(this.port), client_auth: clientAuth });
      await writeFiles(
        this.dir,
        {
          'nginx.conf': conf,
          'server-chain.pem': this.opts.certChainPem,
          'server-key.pem': this.opts.keyPem,
          ...(this.opts.clientCaPem !== undefined ? { 'client-ca.pem': this.opts.clientCaPem } : {}),
        },
        SECRET,
      );
      this.output = '';
      const proc = spawn(bin, ['-p', this.dir, '-c', `${this.dir}/nginx.conf`, '-e', `${this.dir}/error.log`], {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: this.dir,
      });
      this.proc = proc;
      const add = (b: Buffer) => {
        if (this.output.length < 100_000) this.output += b.toString('utf8');
      };
      proc.stdout!.on('data', add);
      proc.stderr!.on('data', add);
      let spawnError: string | undefined;
      proc.on('error', (e) => (spawnError = e.message));
      // The master binds before it starts its worker; a connection made from then on waits in the
      // backlog. No readiness handshake: every connection in the logs is the client's.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !spawnError && proc.exitCode === null && !/start worker process/.test(this.read('error.log')))
        await new Promise((r) => setTimeout(r, 10));
      if (/start worker process/.test(this.read('error.log')) && proc.exitCode === null) return this;
      const log = this.output + this.read('error.log');
      lastError = new HarnessError(
        'target.start-failed',
        `nginx (client-test observer) did not start: ${spawnError ?? (proc.exitCode !== null ? `exited (${proc.exitCode})` : 'no worker within 10 s')}`,
        { details: `last lines of the nginx log:\n${tail(log)}` },
      );
      await this.stop();
      if (!/in use|Address already/i.test(log)) break;
    }
    throw lastError!;
  }

  private read(file: string): string {
    try {
      return readFileSync(path.join(this.dir, file), 'utf8');
    } catch {
      return '';
    }
  }

  /** Waits until the logs stop changing for 150 ms (at most `maxMs`): nginx writes each line as the event happens. */
  async settle(maxMs = 1000): Promise<void> {
    const deadline = Date.now() + maxMs;
    let last = '';
    let stableSince = Date.now();
    while (Date.now() < deadline) {
      const now = this.read('error.log') + this.read('access.log');
      if (now !== last) {
        last = now;
        stableSince = Date.now();
      } else if (Date.now() - stableSince >= 150) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  observation(): Observation {
    return summarizeObservation(parseNginxLogs(this.read('error.log'), this.read('access.log')));
  }

  async stop(): Promise<void> {
    if (this.proc) await stopProcess(this.proc);
    this.proc = undefined as never;
    if (this.dir) await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Reads the connections out of the observer's logs, keyed by nginx's connection number (`*N` in
 * the error log, `conn=N` in the access log). Exported for tests with recorded lines.
 */
export function parseNginxLogs(errorLog: string, accessLog: string): ConnectionObservation[] {
  const conns = new Map<number, ConnectionObservation>();
  const get = (n: number) => {
    let c = conns.get(n);
    if (!c) {
      c = { atMs: 0, handshake: 'incomplete', requests: [], otherData: false, closed: true };
      conns.set(n, c);
    }
    return c;
  };
  for (const line of errorLog.split('\n')) {
    const m = /\[\w+\] \d+#\d+: \*(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const c = get(Number(m[1]));
    const text = m[2]!;
    const alert = /SSL alert number (\d+)/.exec(text);
    if (/while SSL handshaking/.test(text)) {
      c.handshake = 'failed';
      if (alert) c.clientAlert = alertOf(Number(alert[1]));
      else
        c.handshakeError = {
          code: /peer closed connection/.test(text) ? 'ECONNRESET' : 'NGINX',
          message: safeText(text.replace(/, client: .*$/, ''), 200),
          serverSide: !/peer closed|closed connection|reset by peer/.test(text),
        };
    } else if (/while waiting for request|keepalive connection|while reading client request/.test(text)) {
      c.handshake = 'completed';
    }
  }
  for (const line of accessLog.split('\n')) {
    const m = /^conn=(\d+) proto=(\S*) sni=(\S*) verify=(\S+(?: [^=]+?)?) method=(\S*) uri=(\S*) cert=(\S*)$/.exec(line.trim());
    if (!m) continue;
    const c = get(Number(m[1]));
    c.handshake = 'completed';
    if (m[2] && m[2] !== '-') c.protocol = m[2];
    if (m[3] && m[3] !== '-') c.servername = m[3];
    if (m[5] && m[5] !== '-') c.requests.push({ method: safeText(m[5], 20), path: safeText(redactText(m[6] ?? '?'), 200) });
    else c.otherData = true;
    const verify = m[4]!;
    if (verify !== 'NONE' && m[7] && m[7] !== '-') {
      try {
        const cert = new X509Certificate(decodeURIComponent(m[7]));
        c.clientCert = {
          subject: safeText(cert.subject.replace(/\n/g, ', '), 300),
          issuer: safeText(cert.issuer.replace(/\n/g, ', '), 300),
          fingerprint256: cert.fingerprint256,
          chains: verify === 'SUCCESS',
          ...(verify.startsWith('FAILED:') ? { verifyError: safeText(verify.slice('FAILED:'.length), 200) } : {}),
        };
      } catch {
        /* an unreadable certificate: not claimed */
      }
    }
  }
  return [...conns.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
}
