// npm run bench (scale): `mtls-harness run` with the full catalogue (--ca-key: every crafted client)
// against many loopback endpoints served by ONE other process: 200 endpoints of which 20 are hung
// (accept TCP, never speak), wall time and the harness's peak RSS; and the cost curve over 25, 50,
// 100 and 200 healthy endpoints (it should be linear). CLI start included.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runBench, writeBenchJson } from './bench-util.js';
import { mintFixturePki } from '../src/pki/generate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cliJs = path.resolve(here, '../src/cli/main.js');
const serversJs = path.resolve(here, 'scale-servers.js');
const TIMEOUT_MS = 5000;

interface Scan {
  endpoints: number;
  hung: number;
  wallMs: number;
  peakRssMiB: number;
  exitCode: number | null;
  results: number;
  statuses: Record<string, number>;
}

/** Peak RSS (VmHWM) of a running process, read from /proc; undefined off Linux or once it exited. */
function vmHwmKiB(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function scan(dir: string, ports: number[], hung: number): Promise<Scan> {
  const file = path.join(dir, `targets-${ports.length}.txt`);
  writeFileSync(file, ports.map((p) => `127.0.0.1:${p},localhost`).join('\n') + '\n');
  const out = path.join(dir, `scan-${ports.length}.json`);
  const args = [cliJs, 'run', '--targets-file', file, '--ca', path.join(dir, 'ca.pem'), '--cert', path.join(dir, 'client.pem'), '--key', path.join(dir, 'client-key.pem'), '--ca-key', path.join(dir, 'ca-key.pem'), '--timeout', `${TIMEOUT_MS}ms`, '--json', out, '--quiet'];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CI: 'true' } });
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, vmHwmKiB(child.pid!) ?? 0)), 25);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const wallMs = performance.now() - t0;
  clearInterval(poll);
  const j = JSON.parse(readFileSync(out, 'utf8')) as { results: { status: string }[] };
  const statuses: Record<string, number> = {};
  for (const r of j.results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return { endpoints: ports.length, hung, wallMs: Math.round(wallMs), peakRssMiB: Math.round(peak / 1024), exitCode, results: j.results.length, statuses };
}

async function main(): Promise<void> {
  const pki = await mintFixturePki();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-scale-'));
  const w = (n: string, s: string, mode = 0o644) => writeFileSync(path.join(dir, n), s, { mode });
  w('ca.pem', pki.root.certPem);
  w('ca-key.pem', pki.root.keyPem, 0o600);
  w('client.pem', pki.client.chainPem);
  w('client-key.pem', pki.client.keyPem, 0o600);
  w('server-chain.pem', pki.server.chainPem);
  w('server-key.pem', pki.server.keyPem, 0o600);
  const server = spawn(process.execPath, [serversJs, dir, '200', '20'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout! }).once('line', resolve);
      server.once('exit', (c) => reject(new Error(`the server process exited (${c})`)));
    });
    const { healthy, hung } = JSON.parse(line) as { healthy: number[]; hung: number[] };
    // Warm-up (not counted): module loading and the page cache.
    await scan(dir, healthy.slice(0, 5), 0);
    // 200 endpoints, 20 of them hung, spread through the list.
    const mixed = healthy.slice(0, 180);
    hung.forEach((p, i) => mixed.splice(i * 10 + 5, 0, p));
    const headline = await scan(dir, mixed, hung.length);
    const curve: Scan[] = [];
    for (const n of [25, 50, 100, 200]) curve.push(await scan(dir, healthy.slice(0, n), 0));
    const perEndpoint = curve.map((c) => Math.round((c.wallMs / c.endpoints) * 10) / 10);
    const beyond = headline.wallMs - TIMEOUT_MS;
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      what: 'mtls-harness run, full catalogue (26 checks, --ca-key), --timeout 5s, defaults --concurrency 16 --connections-per-target 8; servers: one node process, 127.0.0.1',
      headline: { ...headline, beyondOneTimeoutMs: beyond, targetMs: 10_000 },
      curve: curve.map((c, i) => ({ ...c, msPerEndpoint: perEndpoint[i] })),
    };
    const file = writeBenchJson('scale', result);
    console.log(`200 endpoints (20 hung), full catalogue: ${headline.wallMs} ms wall (${beyond} ms beyond one ${TIMEOUT_MS} ms timeout; target < 10000), peak RSS ${headline.peakRssMiB} MiB, exit ${headline.exitCode}, ${headline.results} results ${JSON.stringify(headline.statuses)}`);
    console.log(`cost curve (healthy): ${curve.map((c, i) => `${c.endpoints} → ${c.wallMs} ms (${perEndpoint[i]} ms/endpoint, ${c.peakRssMiB} MiB)`).join('; ')}`);
    console.log(`Written: ${file}`);
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
