// `mtls-harness serve` end to end (the built CLI, a real child process): a real node https server on
// 127.0.0.1 that requires client certificates is monitored every second; the test scrapes /metrics
// (parsed as Prometheus would), then restarts the server on the same port without asking for a
// certificate: mtls_client_cert_enforced flips from 1 to 0. /report, the other routes, SIGTERM,
// and the usage errors (exit 2, one line). No timing assertion: deadlines only bound the waits.
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../src/app/serve/monitor.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { CLI_JS, expectUsageError, spawnCli, writeClientFiles } from './helpers/cli.js';
import { parsePromText, value, type Family } from './helpers/prom-text.js';

let dir: string;
let pki: FixturePki;
let server: https.Server | undefined;
let port = 0;
let child: ChildProcess | undefined;
let stderr = '';
let base = '';

/** The target: mTLS required (strict), or TLS only (no certificate asked for). */
async function startTarget(mode: 'strict' | 'optional'): Promise<void> {
  const s = https.createServer(
    {
      key: pki.server.keyPem,
      cert: pki.server.chainPem,
      ca: pki.root.certPem,
      requestCert: mode === 'strict',
      rejectUnauthorized: mode === 'strict',
    },
    (_req, res) => res.end('hello\n'),
  );
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
  port = (s.address() as net.AddressInfo).port;
  server = s;
}

async function stopTarget(): Promise<void> {
  const s = server;
  server = undefined;
  if (!s) return;
  await new Promise<void>((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}

async function get(p: string, method = 'GET'): Promise<{ status: number; headers: Headers; body: string }> {
  const r = await fetch(`${base}${p}`, { method });
  return { status: r.status, headers: r.headers, body: await r.text() };
}

async function scrape(): Promise<Map<string, Family>> {
  const r = await get('/metrics');
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePromText(r.body);
}

/** Scrapes until `done` holds (each scrape parsed strictly); the deadline only bounds the wait. */
async function scrapeUntil(done: (f: Map<string, Family>) => boolean, what: string, deadlineMs = 90_000): Promise<Map<string, Family>> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const f = await scrape();
    if (done(f)) return f;
    if (Date.now() > end) throw new Error(`serve never reached: ${what}; stderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.once('exit', (code) => resolve(code))));

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-serve-'));
  pki = await mintFixturePki();
  await writeClientFiles(dir, pki);
  await startTarget('strict');
  // The credentials relative to the working directory (the temp dir), as a user would give them.
  const flags = `--ca ca.pem --cert client.pem --key client-key.pem --timeout 3s --interval 1s --listen 127.0.0.1:0 --json last.json`;
  const checks = 'reject.no-client-cert,handshake.accepts-valid-client-cert,expiry.*';
  child = spawn(process.execPath, [CLI_JS, 'serve', '--target', `127.0.0.1:${port}`, '--check', checks, ...flags.split(' ')], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => (stderr += s));
  const end = Date.now() + 30_000;
  while (!/listening on (http:\/\/127\.0\.0\.1:\d+)/.test(stderr)) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`serve did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exited(child);
  }
  await stopTarget();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('mtls-harness serve', () => {
  it('a target switched from strict to optional between two intervals: mtls_client_cert_enforced flips 1 → 0', async () => {
    const target = `127.0.0.1:${port}`;
    let f = await scrapeUntil((x) => value(x, 'mtls_last_run_success') === 1, 'a completed run');
    expect(value(f, 'mtls_client_cert_enforced', { target })).toBe(1);
    expect(value(f, 'mtls_check_status', { target, check: 'reject.no-client-cert', status: 'pass' })).toBe(1);
    // Where the cert-less client was refused, as the evidence records it (a refusal: not accepted).
    const json = JSON.parse(await fs.readFile(path.join(dir, 'last.json'), 'utf8')) as { results: { check: string; evidence: { rejectedAt: string } }[] };
    expect((await fs.stat(path.join(dir, 'last.json'))).mode & 0o777).toBe(0o600);
    const phase = json.results.find((r) => r.check === 'reject.no-client-cert')!.evidence.rejectedAt;
    expect(['handshake', 'post-handshake']).toContain(phase);
    expect(value(f, 'mtls_rejected_at', { target, phase })).toBe(1);
    // Certificates: the server's leaf and intermediate, the harness's client certificate.
    const notAfter = (pem: string) => Date.parse(new X509Certificate(pem).validTo) / 1000;
    expect(value(f, 'mtls_cert_not_after_seconds', { target, role: 'leaf' })).toBe(notAfter(pki.server.certPem));
    expect(value(f, 'mtls_cert_not_after_seconds', { target, role: 'chain' })).toBe(notAfter(pki.intermediate.certPem));
    expect(value(f, 'mtls_cert_not_after_seconds', { target, role: 'client' })).toBe(notAfter(pki.client.certPem));
    expect(value(f, 'mtls_handshake_duration_seconds', { target })).toBeGreaterThan(0);
    expect(value(f, 'mtls_target_check_errors', { target })).toBe(0);
    expect(value(f, 'mtls_last_run_timestamp_seconds')).toBeGreaterThan(0);

    // Between two intervals: the same port, no certificate asked for.
    await stopTarget();
    await startTarget('optional');
    expect(port).toBe(Number(target.split(':')[1]));
    // A run during the restart may see the port closed (-1, unknown): wait for the optional server's verdict.
    f = await scrapeUntil((x) => value(x, 'mtls_client_cert_enforced', { target }) === 0, 'the switch seen');
    expect(value(f, 'mtls_client_cert_enforced', { target })).toBe(0);
    expect(value(f, 'mtls_check_status', { target, check: 'reject.no-client-cert', status: 'fail' })).toBe(1);
    expect(value(f, 'mtls_check_status', { target, check: 'reject.no-client-cert', status: 'pass' })).toBeUndefined();
    expect(value(f, 'mtls_rejected_at', { target, phase: 'accepted' })).toBe(1);
    expect(value(f, 'mtls_rejected_at', { target, phase })).toBeUndefined();
    expect(value(f, 'mtls_runs_total')).toBeGreaterThanOrEqual(2);
  }, 200_000);

  it('/report is the last HTML report under a restrictive CSP; /healthz; any other route 404, any other method 405', async () => {
    const r = await get('/report');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.body).toMatch(/^<!DOCTYPE html>/i);
    expect(r.body).toContain(`127.0.0.1:${port}`);
    expect(r.body).not.toMatch(/<script/i);
    const head = await get('/report', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/metrics?x=1')).status).toBe(200);
    for (const p of ['/', '/report/', '/metrics/../etc/passwd', '/favicon.ico', '/report.json']) expect((await get(p)).status, p).toBe(404);
    for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const x = await get('/metrics', m);
      expect(x.status, m).toBe(405);
      expect(x.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('SIGTERM stops it cleanly: exit 130, the port closed', async () => {
    const c = child!;
    c.kill('SIGTERM');
    expect(await exited(c)).toBe(130);
    expect(stderr).not.toMatch(/\n\s+at |internal error/);
    const url = new URL(base);
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(Number(url.port), url.hostname);
      s.once('connect', () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('bad input is exit 2 with one line, nothing served', async () => {
    const t = ['--target', `127.0.0.1:${port}`];
    expectUsageError(await spawnCli(['serve', ...t, '--interval', '500ms'], dir), /--interval must be at least 1s/);
    expectUsageError(await spawnCli(['serve', ...t, '--interval', 'soon'], dir), /--interval "soon" is not a duration/);
    expectUsageError(await spawnCli(['serve', ...t, '--jitter', '-1'], dir), /--jitter/);
    expectUsageError(await spawnCli(['serve', ...t, '--listen', 'http://x:80'], dir), /--listen "http:\/\/x:80" is not HOST:PORT/);
    expectUsageError(await spawnCli(['serve', ...t, '--listen', '127.0.0.1'], dir), /--listen "127\.0\.0\.1" is not HOST:PORT/);
    expectUsageError(await spawnCli(['serve', ...t, '--json', '-'], dir), /serve: reports go to files/);
    expectUsageError(await spawnCli(['serve'], dir), /serve: nothing to test/);
    // A port in use.
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const busyPort = (busy.address() as net.AddressInfo).port;
    expectUsageError(await spawnCli(['serve', ...t, '--listen', `127.0.0.1:${busyPort}`], dir), /cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
    busy.close();
  }, 60_000);
});

describe('startServe (the library)', () => {
  it('stop() during the first run: the run is abandoned and not published, the port closed', async () => {
    const lines: string[] = [];
    const serving = await startServe({
      values: { reference: 'node', profile: 'strict' },
      env: {},
      argv: ['serve'],
      listen: { host: '127.0.0.1', port: 0 },
      intervalMs: 60_000,
      jitterMs: 0,
      log: (l) => lines.push(l),
      streams: { stdout: { write: async () => undefined }, stderr: { write: () => true } },
    });
    base = serving.http.url;
    const f = await scrapeUntil((x) => value(x, 'mtls_run_in_progress') === 1, 'a run in progress');
    expect(value(f, 'mtls_runs_total')).toBe(1);
    await serving.stop();
    await serving.stop(); // twice is harmless
    const after = parsePromText((await serving.metrics.exposition()).body);
    expect(value(after, 'mtls_last_run_success')).toBe(0);
    expect(value(after, 'mtls_run_failures_total')).toBe(0);
    expect(value(after, 'mtls_run_in_progress')).toBe(0);
    expect(after.get('mtls_check_status')!.samples).toEqual([]);
    expect(lines.filter((l) => /finished|failed/.test(l))).toEqual([]);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  }, 60_000);
});
