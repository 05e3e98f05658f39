// npm run bench (fourth part): what the HTML evidence report costs. Render time and size for a real
// three-target run (node strict, optional-client-cert, rotation-graceful: the demo's report), for a
// rotation timeline as long as a 10-minute watch at 20/s (12,000 attempts), and Chromium's print to
// PDF of the three-target report (when Chromium is installed).
import { performance } from 'node:perf_hooks';
import { mintFixturePki } from '../src/pki/generate.js';
import { buildRunHtml } from '../src/report/html/index.js';
import { jsonReportText } from '../src/report/outputs.js';
import { findChromium, printHtmlToPdf } from '../src/report/pdf.js';
import { referenceTarget } from '../src/runner/reference-target.js';
import { runChecks } from '../src/runner/run.js';
import { DEFAULT_POLICY } from '../src/core/target.js';
import type { RunReport } from '../src/core/model.js';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';
import { SUITES } from '../suites/index.js';
import { runBench, stats, writeBenchJson } from './bench-util.js';
import { fleetHtmlBench } from './bench-html-fleet.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);

function measure(run: RunReport, argv: string[]): { stats: ReturnType<typeof stats>; htmlBytes: number; jsonBytes: number; html: string } {
  const json = jsonReportText(run, argv);
  buildRunHtml(run, argv, json); // warm-up
  const ms: number[] = [];
  let html = '';
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    html = buildRunHtml(run, argv, json);
    ms.push(performance.now() - t0);
  }
  return { stats: stats(ms), htmlBytes: Buffer.byteLength(html), jsonBytes: Buffer.byteLength(json), html };
}

/** The real rotation result, its timeline stretched to `n` attempts at 20/s with a 150 ms outage. */
function longTimeline(run: RunReport, n: number): RunReport {
  const r = run.results.find((x) => x.check === 'rotation.continuity' && x.evidence.timeline)!;
  const tl = r.evidence.timeline as { attempts: Record<string, unknown>[]; durationMs: number };
  const template = tl.attempts[0]!;
  const attempts = Array.from({ length: n }, (_, i) => {
    const t = i * 50;
    const failed = t >= 300_000 && t < 300_150;
    return {
      ...template,
      seq: i,
      t,
      latencyMs: 4 + ((i * 7919) % 97) / 10,
      ok: !failed,
      outcome: failed ? 'unreachable' : 'accepted',
      leaf: t < 300_000 ? 0 : 1,
    };
  });
  const evidence = {
    ...r.evidence,
    timeline: { ...tl, attempts, durationMs: n * 50 },
    changedAtT: 300_150,
    outages: [{ firstFailT: 300_000, lastFailT: 300_100, recoveredT: 300_150, failures: 3, gapMs: 150 }],
  };
  return {
    ...run,
    targets: run.targets.filter((t) => t.name === r.target),
    results: run.results.filter((x) => x.target === r.target).map((x) => (x === r ? { ...x, evidence } : x)),
  };
}

async function main(): Promise<void> {
  const pki = await mintFixturePki();
  const started: StartedReference[] = [];
  let run: RunReport;
  try {
    const targets = [];
    for (const profile of ['strict', 'optional-client-cert', 'rotation-graceful'] as const) {
      const ref = await startReference({ implementation: 'node', profile, pki, provider: 'process' });
      started.push(ref);
      targets.push(referenceTarget(ref, 'node', profile, { policy: DEFAULT_POLICY }));
    }
    run = await runChecks({ targets, suites: [...SUITES] });
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
  const argv = ['run', '--html', 'r.html'];
  const three = measure(run, argv);
  const long = measure(longTimeline(run, 12_000), argv);
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    threeTargets: {
      ...three.stats,
      htmlBytes: three.htmlBytes,
      jsonBytes: three.jsonBytes,
      what: `buildRunHtml for node strict + optional-client-cert + rotation-graceful (${run.results.length} checks), JSON embedded`,
    },
    rotation12k: {
      ...long.stats,
      htmlBytes: long.htmlBytes,
      jsonBytes: long.jsonBytes,
      what: 'one target whose rotation timeline has 12,000 attempts (10 min at 20/s)',
    },
  };
  const lines = [
    `HTML, 3 targets / ${run.results.length} checks: render median ${three.stats.medianMs} ms (max ${three.stats.maxMs}, ${RUNS} runs), ${(three.htmlBytes / 1024).toFixed(0)} KiB (JSON ${(three.jsonBytes / 1024).toFixed(0)} KiB)`,
    `HTML, 12,000-attempt rotation timeline: render median ${long.stats.medianMs} ms (max ${long.stats.maxMs}), ${(long.htmlBytes / 1024).toFixed(0)} KiB (JSON ${(long.jsonBytes / 1024).toFixed(0)} KiB)`,
  ];
  let chromium: string | undefined;
  try {
    chromium = findChromium();
  } catch {
    lines.push('Chromium not installed (apt-get install chromium): PDF timing skipped');
  }
  if (chromium) {
    const ms: number[] = [];
    let pdf: Buffer = Buffer.alloc(0);
    for (let i = 0; i < Math.min(RUNS, 5); i++) {
      const t0 = performance.now();
      pdf = await printHtmlToPdf(three.html, chromium);
      ms.push(performance.now() - t0);
    }
    const { PDFDocument } = await import('pdf-lib');
    const pages = (await PDFDocument.load(pdf, { updateMetadata: false })).getPageCount();
    result.pdfThreeTargets = { ...stats(ms), pdfBytes: pdf.length, pages, what: 'printHtmlToPdf of the 3-target report, Chromium start included' };
    lines.push(
      `PDF of the 3-target report (Chromium start included): median ${stats(ms).medianMs} ms (${ms.length} runs), ${(pdf.length / 1024).toFixed(0)} KiB, ${pages} A4 pages`,
    );
  }
  // The HTML at fleet scale (BENCH_FLEET_TARGETS, default 1000): bytes and Chromium's load time.
  const fleetTargets = Number(process.env.BENCH_FLEET_TARGETS ?? 1000);
  if (fleetTargets > 0) {
    const f = await fleetHtmlBench(run, fleetTargets, chromium, Number(process.env.BENCH_FLEET_RUNS ?? 5));
    result.fleetHtml = {
      ...f,
      what: `HTML report of ${fleetTargets} targets cloned from the real strict and optional-client-cert results (every tenth failing), opened in Chromium; load = navigation start to the load event`,
    };
    lines.push(
      `HTML, ${f.targets} targets / ${f.results} checks: ${(f.htmlBytes / 1048576).toFixed(1)} MiB (JSON ${(f.jsonBytes / 1048576).toFixed(1)} MiB, not embedded)` +
        (chromium
          ? `, Chromium load event median ${f.load.medianMs} ms (max ${f.load.maxMs}, ${f.load.runs} runs), first contentful paint median ${f.firstPaint.medianMs} ms`
          : ''),
    );
  }
  const written = writeBenchJson('report', result);
  console.log(lines.join('\n'));
  console.log(`Written: ${written}`);
}

runBench(main);
