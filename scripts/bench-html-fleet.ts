// npm run bench (part of bench-report): the HTML report at fleet scale. A fleet of `n` targets is
// made of a real run's targets (the node reference's strict and optional-client-cert servers: their
// real results, evidence and certificates), renamed one per fleet member, every tenth failing; its
// HTML report is written as the CLI writes it (streamed, with its JSON's digest) and opened in
// Debian's Chromium: bytes, the load event and first contentful paint, median of a few runs.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunReport, TargetReport } from '../src/core/model.js';
import { runDocument, writeReports } from '../src/report/outputs.js';
import { CHROMIUM_ARGS } from '../src/report/pdf.js';
import { resolveReports } from '../src/report/reporters/index.js';
import { stats, type Stats } from './bench-util.js';

/**
 * `n` targets cloned from `run`'s passing and failing targets (the first target with no failure
 * and the first with one; rotation targets left out: a fleet scan runs no rotation watch), every
 * tenth one failing, each with its own id, name and endpoint.
 */
export function fleetRun(run: RunReport, n: number): RunReport {
  const failing = (t: TargetReport) => run.results.some((r) => r.targetId === t.id && (r.status === 'fail' || r.status === 'error'));
  const plain = run.targets.filter((t) => !run.results.some((r) => r.targetId === t.id && r.suite === 'rotation-continuity' && r.status !== 'skip'));
  const pass = plain.find((t) => !failing(t));
  const fail = plain.find(failing);
  if (!pass || !fail) throw new Error('the fleet needs a passing and a failing target in the run');
  const targets: TargetReport[] = [];
  const results: RunReport['results'] = [];
  for (let i = 0; i < n; i++) {
    const base = i % 10 === 3 ? fail : pass;
    const name = `svc-${i}.fleet.example:8443`;
    targets.push({ ...base, id: name, name, endpoint: name });
    for (const r of run.results) if (r.targetId === base.id) results.push({ ...r, targetId: name, target: name });
  }
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const r of results) summary[r.status]++;
  return { ...run, targets, results, summary };
}

export interface FleetHtml {
  targets: number;
  results: number;
  htmlBytes: number;
  jsonBytes: number;
  /** Navigation start to the load event, as the page's own Navigation Timing reports it. */
  load: Stats;
  /** Navigation start to the first contentful paint. */
  firstPaint: Stats;
}

/** Writes the fleet's JSON and HTML as the CLI does, then opens the HTML `runs` times in Chromium. */
export async function fleetHtmlBench(run: RunReport, n: number, chromiumPath: string | undefined, runs = 3): Promise<FleetHtml & { htmlFile?: string }> {
  const fleet = fleetRun(run, n);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-fleet-'));
  const files = { json: path.join(dir, 'fleet.json'), html: path.join(dir, 'fleet.html') };
  const quiet = { stdout: process.stdout, stderr: process.stderr };
  try {
    await writeReports(resolveReports('bench', { values: files, env: {} }), runDocument(fleet, ['run', '--html', 'fleet.html']), quiet);
    const out: FleetHtml = {
      targets: n,
      results: fleet.results.length,
      htmlBytes: statSync(files.html).size,
      jsonBytes: statSync(files.json).size,
      load: stats([0]),
      firstPaint: stats([0]),
    };
    if (!chromiumPath) return out;
    return { ...out, ...(await chromiumLoad(files.html, chromiumPath, runs)) };
  } finally {
    if (process.env.BENCH_KEEP_FLEET_HTML) console.log(`fleet report kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Opens an HTML file `runs` times in Chromium (a fresh context each): the load event and first contentful paint. */
export async function chromiumLoad(file: string, chromiumPath: string, runs: number): Promise<Pick<FleetHtml, 'load' | 'firstPaint'>> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
  try {
    const load: number[] = [];
    const paint: number[] = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(`file://${file}`, { waitUntil: 'load', timeout: 600_000 });
      const wall = performance.now() - t0;
      // Read through the DevTools protocol (the page's CSP forbids its own scripts, not this).
      const m = await page.evaluate(() => {
        // The page's Performance (DOM), not node's: the DOM types lose to node's here.
        const perf = globalThis.performance as unknown as {
          getEntriesByType(t: string): { loadEventStart?: number }[];
          getEntriesByName(n: string): { startTime: number }[];
        };
        const nav = perf.getEntriesByType('navigation')[0];
        const fcp = perf.getEntriesByName('first-contentful-paint')[0];
        return { load: nav?.loadEventStart, fcp: fcp?.startTime };
      });
      load.push(m.load ?? wall);
      paint.push(m.fcp ?? wall);
      await context.close();
    }
    return { load: stats(load), firstPaint: stats(paint) };
  } finally {
    await browser.close();
  }
}
