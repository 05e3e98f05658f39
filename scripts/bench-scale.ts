// npm run bench (scale): `mtls-harness run` with the full catalogue (--ca-key: every crafted client)
// against many loopback endpoints served by ONE other process: 200 endpoints of which 20 are hung
// (accept TCP, never speak), wall time and the harness's peak RSS; and the cost curve over 25, 50,
// 100 and 200 healthy endpoints (it should be linear). CLI start included.
// Then the large scans (BENCH_SCALE_SIZES, default 1000,3000 healthy endpoints) with every report
// written (JSON, JUnit, HTML; not PDF): wall, the checks phase (the report's durationMs), what came
// after it, peak RSS; the report phases (table, and each report streamed to a file as the CLI
// writes it) timed one by one in this process on that run's report; and the per-1,000-target cost
// of `probe --targets-file` with a
// 10,001-certificate --ca bundle and with the system store (BENCH_PROBE_TARGETS, default 1000).
// BENCH_SCALE_ONLY=large skips the 200-endpoint figures; BENCH_SCALE_ONLY=small skips the large ones.
// BENCH_SCALE_REPORTS (default json,junit,html) picks the large scans' reports (e.g. json, or
// json,junit,html,pdf; none: no report, the checks and the table alone, no phases timed);
// BENCH_PROBE_TARGETS=0 skips the probe figures.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runBench, writeBenchJson } from './bench-util.js';
import { chromiumLoad } from './bench-html-fleet.js';
import { findChromium } from '../src/report/pdf.js';
import { addDays } from '../src/core/clock.js';
import { mintCertificate, mintFixturePki } from '../src/pki/generate.js';
import { runDocument, writeReports } from '../src/report/outputs.js';
import { resolveReports } from '../src/report/reporters/index.js';
import { renderResultsTable } from '../src/report/results-table.js';
import { makeStyle } from '../src/report/style.js';
import type { RunReport } from '../src/core/model.js';

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
  const args = [
    cliJs,
    'run',
    '--targets-file',
    file,
    '--ca',
    path.join(dir, 'ca.pem'),
    '--cert',
    path.join(dir, 'client.pem'),
    '--key',
    path.join(dir, 'client-key.pem'),
    '--ca-key',
    path.join(dir, 'ca-key.pem'),
    '--timeout',
    `${TIMEOUT_MS}ms`,
    '--json',
    out,
    '--quiet',
  ];
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

interface LargeScan {
  endpoints: number;
  reports: string[];
  wallMs: number;
  /** The checks phase: the run's own durationMs. */
  checksMs: number;
  /** Wall minus the checks: CLI start, loading credentials, the table and every report. */
  afterChecksMs: number;
  peakRssMiB: number;
  exitCode: number | null;
  results: number;
  statuses: Record<string, number>;
  /** The reports the run wrote, and their sizes. */
  bytes: Partial<Record<'json' | 'junit' | 'html' | 'pdf', number>>;
  /** The HTML report opened in Chromium (when written and Chromium is installed): load event and first paint, median ms. */
  htmlLoad?: { loadMs: number; firstPaintMs: number; runs: number };
  /** Each phase after the checks, timed on its own in the bench process on this run's report. */
  phasesMs: { table: number; json: number; junit: number; html: number };
  tableMsPer1000Targets: number;
  /** Target: the whole run within 2× the checks phase alone. */
  withinTwiceChecks: boolean;
}

async function timeMs<T>(f: () => T | Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await f();
  return [Math.round(performance.now() - t0), v];
}

const REPORT_EXT = { json: 'json', junit: 'xml', html: 'html', pdf: 'pdf' } as const;
type ReportName = keyof typeof REPORT_EXT;

/** The large scans' reports (BENCH_SCALE_REPORTS, default json,junit,html; none for none). */
function benchReports(): ReportName[] {
  const list = (process.env.BENCH_SCALE_REPORTS ?? 'json,junit,html')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'none');
  for (const r of list) if (!(r in REPORT_EXT)) throw new Error(`BENCH_SCALE_REPORTS: unknown report ${r} (json, junit, html, pdf, or none)`);
  if (list.length > 0 && !list.includes('json'))
    throw new Error('BENCH_SCALE_REPORTS must include json (the phases are timed on the run read back from it), or be none');
  return list as ReportName[];
}

/** Runs the CLI (stdout discarded, stderr shown): wall time, exit code and peak RSS (KiB, VmHWM polled). */
async function spawnMeasured(args: string[]): Promise<{ wallMs: number; exitCode: number | null; peak: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CI: 'true' } });
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, vmHwmKiB(child.pid!) ?? 0)), 25);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(poll);
  return { wallMs: Math.round(performance.now() - t0), exitCode, peak };
}

/** The HTML report's load in Debian's Chromium (median of 3), or undefined without Chromium. */
async function htmlLoadOf(file: string): Promise<LargeScan['htmlLoad']> {
  let chromium: string;
  try {
    chromium = findChromium();
  } catch {
    return undefined;
  }
  const m = await chromiumLoad(file, chromium, 3);
  return { loadMs: m.load.medianMs, firstPaintMs: m.firstPaint.medianMs, runs: m.load.runs };
}

/** `run` over n healthy endpoints with the reports of BENCH_SCALE_REPORTS, then its phases one by one. */
async function largeScan(dir: string, ports: number[], reports: ReportName[]): Promise<LargeScan> {
  const n = ports.length;
  const file = path.join(dir, `targets-${n}.txt`);
  writeFileSync(file, ports.map((p) => `127.0.0.1:${p},localhost`).join('\n') + '\n');
  const out = Object.fromEntries(reports.map((r) => [r, path.join(dir, `large-${n}.${REPORT_EXT[r]}`)])) as Partial<Record<ReportName, string>>;
  const args = [
    cliJs,
    'run',
    '--targets-file',
    file,
    '--ca',
    path.join(dir, 'ca.pem'),
    '--cert',
    path.join(dir, 'client.pem'),
    '--key',
    path.join(dir, 'client-key.pem'),
    '--ca-key',
    path.join(dir, 'ca-key.pem'),
    '--timeout',
    `${TIMEOUT_MS}ms`,
    ...reports.flatMap((r) => [`--${r}`, out[r]!]),
  ];
  // The table goes to stdout as a user would see it (not --quiet, which would hide the passing targets).
  const { wallMs, exitCode, peak } = await spawnMeasured(args);
  const bytes = Object.fromEntries(reports.map((r) => [r, statSync(out[r]!).size]));
  const htmlLoad = out.html ? await htmlLoadOf(out.html) : undefined;
  if (!out.json) {
    return {
      endpoints: n,
      reports,
      wallMs,
      checksMs: 0,
      afterChecksMs: 0,
      peakRssMiB: Math.round(peak / 1024),
      exitCode,
      results: 0,
      statuses: {},
      bytes,
      phasesMs: { table: 0, json: 0, junit: 0, html: 0 },
      tableMsPer1000Targets: 0,
      withinTwiceChecks: true,
    };
  }
  const text = readFileSync(out.json, 'utf8');
  const j = JSON.parse(text) as {
    run: RunReport & { argv: string[] };
    targets: RunReport['targets'];
    results: RunReport['results'];
    summary: RunReport['summary'];
  };
  const run: RunReport = { ...j.run, targets: j.targets, results: j.results, summary: j.summary };
  const statuses: Record<string, number> = {};
  for (const r of run.results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  for (const f of Object.values(out)) rmSync(f, { force: true });
  const argv = j.run.argv;
  const style = makeStyle({ isTTY: false, env: {} });
  const [table] = await timeMs(() => renderResultsTable(run, style, 120, false));
  // Each report as the CLI writes it (streamed to a file), in the CLI's order: the HTML reuses the JSON's digest.
  const doc = runDocument(run, argv);
  const io = { stdout: process.stdout, stderr: process.stderr };
  const write = async (name: ReportName) => {
    const file = path.join(dir, `phase-${n}.${REPORT_EXT[name]}`);
    const [ms] = await timeMs(() => writeReports(resolveReports('bench', { values: { [name]: file }, env: process.env }), doc, io));
    rmSync(file, { force: true });
    return ms;
  };
  const json = await write('json');
  const junit = await write('junit');
  const html = await write('html');
  const checksMs = run.durationMs;
  return {
    endpoints: n,
    reports,
    wallMs,
    checksMs,
    afterChecksMs: wallMs - checksMs,
    peakRssMiB: Math.round(peak / 1024),
    exitCode,
    results: run.results.length,
    statuses,
    bytes,
    ...(htmlLoad ? { htmlLoad } : {}),
    phasesMs: { table, json, junit, html },
    tableMsPer1000Targets: Math.round((table / n) * 1000),
    withinTwiceChecks: wallMs <= 2 * checksMs,
  };
}

/** `probe --targets-file` over n endpoints (JSON to a discarded stdout): ms per 1,000 targets. */
async function probeCost(
  dir: string,
  ports: number[],
  ca: string | undefined,
): Promise<{ targets: number; ca: string; wallMs: number; msPer1000Targets: number; exitCode: number | null; peakRssMiB: number }> {
  const file = path.join(dir, `probe-targets-${ports.length}.txt`);
  writeFileSync(file, ports.map((p) => `127.0.0.1:${p},localhost`).join('\n') + '\n');
  const args = [
    cliJs,
    'probe',
    '--targets-file',
    file,
    ...(ca ? ['--ca', ca] : []),
    '--cert',
    path.join(dir, 'client.pem'),
    '--key',
    path.join(dir, 'client-key.pem'),
    '--timeout',
    `${TIMEOUT_MS}ms`,
    '--json',
  ];
  const { wallMs, exitCode, peak } = await spawnMeasured(args);
  return {
    targets: ports.length,
    ca: ca ? path.basename(ca) : 'system store',
    wallMs,
    msPer1000Targets: Math.round((wallMs / ports.length) * 1000),
    exitCode,
    peakRssMiB: Math.round(peak / 1024),
  };
}

async function main(): Promise<void> {
  const only = process.env.BENCH_SCALE_ONLY;
  const sizes = (process.env.BENCH_SCALE_SIZES ?? '1000,3000')
    .split(',')
    .map(Number)
    .filter((x) => x > 0);
  const probeTargets = Number(process.env.BENCH_PROBE_TARGETS ?? 1000);
  const needed = Math.max(200, ...(only === 'small' ? [] : [...sizes, probeTargets]));
  const pki = await mintFixturePki();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-scale-'));
  const w = (n: string, s: string, mode = 0o644) => writeFileSync(path.join(dir, n), s, { mode });
  w('ca.pem', pki.root.certPem);
  w('ca-key.pem', pki.root.keyPem, 0o600);
  w('client.pem', pki.client.chainPem);
  w('client-key.pem', pki.client.keyPem, 0o600);
  w('server-chain.pem', pki.server.chainPem);
  w('server-key.pem', pki.server.keyPem, 0o600);
  // A 10,001-certificate bundle: the root and 10,000 copies of an unrelated CA (parsing is the cost).
  const now = new Date();
  const other = await mintCertificate({ subject: 'CN=bench unrelated CA', notBefore: addDays(now, -1), notAfter: addDays(now, 365), ca: true });
  w('bundle-10001.pem', pki.root.certPem + other.certPem.repeat(10_000));
  const server = spawn(process.execPath, [serversJs, dir, String(needed), '20'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout! }).once('line', resolve);
      server.once('exit', (c) => reject(new Error(`the server process exited (${c})`)));
    });
    const { healthy, hung } = JSON.parse(line) as { healthy: number[]; hung: number[] };
    // Warm-up (not counted): module loading and the page cache.
    await scan(dir, healthy.slice(0, 5), 0);
    const large: LargeScan[] = [];
    const probe: Awaited<ReturnType<typeof probeCost>>[] = [];
    if (only !== 'small') {
      const reports = benchReports();
      for (const n of sizes) {
        const l = await largeScan(dir, healthy.slice(0, n), reports);
        large.push(l);
        console.log(
          `${n} endpoints, ${reports.join('+') || 'no report'}: ${l.wallMs} ms wall (checks ${l.checksMs} ms, after them ${l.afterChecksMs} ms incl. CLI start; ${l.withinTwiceChecks ? 'within' : 'NOT within'} 2× the checks), peak RSS ${l.peakRssMiB} MiB, exit ${l.exitCode}, ${l.results} results ${JSON.stringify(l.statuses)}; phases in-process: table ${l.phasesMs.table} ms (${l.tableMsPer1000Targets} ms/1,000 targets), JSON ${l.phasesMs.json} ms, JUnit ${l.phasesMs.junit} ms, HTML ${l.phasesMs.html} ms; bytes ${JSON.stringify(l.bytes)}${l.htmlLoad ? `; HTML in Chromium: load ${l.htmlLoad.loadMs} ms, first paint ${l.htmlLoad.firstPaintMs} ms (median of ${l.htmlLoad.runs})` : ''}`,
        );
      }
      for (const ca of probeTargets > 0 ? [path.join(dir, 'bundle-10001.pem'), undefined] : []) {
        const p = await probeCost(dir, healthy.slice(0, probeTargets), ca);
        probe.push(p);
        console.log(
          `probe --targets-file, ${p.targets} targets, --ca ${p.ca}: ${p.wallMs} ms wall (${p.msPer1000Targets} ms per 1,000 targets), peak RSS ${p.peakRssMiB} MiB, exit ${p.exitCode}`,
        );
      }
    }
    if (only === 'large') {
      const file = writeBenchJson('scale-large', {
        date: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        loadavg: os.loadavg(),
        large,
        probe,
      });
      console.log(`Written: ${file}`);
      return;
    }
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
      loadavg: os.loadavg(),
      large,
      probe,
    };
    const file = writeBenchJson('scale', result);
    console.log(
      `200 endpoints (20 hung), full catalogue: ${headline.wallMs} ms wall (${beyond} ms beyond one ${TIMEOUT_MS} ms timeout; target < 10000), peak RSS ${headline.peakRssMiB} MiB, exit ${headline.exitCode}, ${headline.results} results ${JSON.stringify(headline.statuses)}`,
    );
    console.log(
      `cost curve (healthy): ${curve.map((c, i) => `${c.endpoints} → ${c.wallMs} ms (${perEndpoint[i]} ms/endpoint, ${c.peakRssMiB} MiB)`).join('; ')}`,
    );
    console.log(`Written: ${file}`);
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
