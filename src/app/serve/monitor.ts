/**
 * `serve` as the library runs it: the HTTP server up first, then the configured targets run on the
 * schedule. Each run plans anew from the same options (`planRun`: the config file and credentials
 * are read again, so a renewed client certificate or an edited ConfigMap is picked up), runs with
 * `runWithSettings` (the settings' concurrency bound), then replaces the metrics and the HTML
 * report served, and writes the reports the options ask for. A run that fails to complete is
 * counted and logged; the metrics keep the last completed run's values.
 */
import type { Endpoint } from '../../core/endpoint.js';
import type { RunReport } from '../../core/model.js';
import { safeText } from '../../core/text.js';
import { STATUSES } from '../../core/status.js';
import { runDocument } from '../../report/outputs.js';
import { htmlReporter } from '../../report/reporters/html.js';
import type { TextOut } from '../../report/sink.js';
import { planRun, ReferencePool, runWithSettings, writeRunReports } from '../run.js';
import type { Values } from '../settings.js';
import { listen, type ServeHttp } from './http.js';
import { ServeMetrics } from './metrics.js';
import { Schedule } from './schedule.js';

export interface ServeOptions {
  /** The options of `run` by flag name (targets, credentials, selection, policy, reports). */
  values: Values;
  env: NodeJS.ProcessEnv;
  /** The command line as typed, recorded in the reports (secrets redacted there). */
  argv: string[];
  listen: Endpoint;
  intervalMs: number;
  jitterMs: number;
  /** One line per run and per failure (stderr for the CLI). */
  log(line: string): void;
  /** No line for a completed run (`--quiet`); failures are still said. */
  quiet?: boolean;
  /** Where report files' failures are said (`-` is refused before serve starts). */
  streams: { stdout: TextOut; stderr: { write(s: string): unknown } };
  random?: () => number;
}

export interface Serving {
  http: ServeHttp;
  metrics: ServeMetrics;
  /** Aborts the run in progress, stops its reference servers, closes the server. */
  stop(): Promise<void>;
}

/** The HTML report of a run, in memory, as `--html` would write it. */
export async function htmlOf(report: RunReport, argv: string[]): Promise<Buffer> {
  const doc = runDocument(report, argv);
  const pieces: string[] = [];
  await htmlReporter.load?.(doc);
  await htmlReporter.write(doc, { write: async (p) => void pieces.push(typeof p === 'string' ? p : p.toString('utf8')) }, undefined);
  return Buffer.from(pieces.join(''), 'utf8');
}

const errorLine = (e: unknown) => safeText(e instanceof Error ? e.message.split('\n')[0]! : String(e), 300);

export async function startServe(o: ServeOptions): Promise<Serving> {
  const metrics = new ServeMetrics();
  let html: Buffer | undefined;
  let n = 0;
  const http = await listen(o.listen, {
    metrics: () => metrics.exposition(),
    report: () => html,
    onError: (e) => {
      metrics.scrapeErrors.inc();
      o.log(`serve: the metrics could not be collected: ${errorLine(e)}`);
    },
  });

  const runOnce = async (signal: AbortSignal): Promise<void> => {
    const run = ++n;
    metrics.started();
    const pool = new ReferencePool();
    try {
      const plan = await planRun(o.values, { env: o.env, command: 'serve' });
      const targets = await pool.start(plan);
      const report = await runWithSettings(targets, plan.suites, plan.settings, { signal });
      if (report.incomplete) {
        // Stopped mid-run: what finished is not a run's verdict; the metrics keep the last one.
        metrics.abandoned();
        return;
      }
      // The report files and the page first, then the metrics and the page together: a scrape
      // that sees this run's metrics finds its report at /report and in the files.
      const page = await htmlOf(report, o.argv);
      await writeRunReports(plan, report, o.argv, o.streams);
      metrics.completed(report);
      html = page;
      await metrics.exposition(); // the per-target text rendered now, between runs, not during the next one
      const counts = STATUSES.map((s) => `${report.summary[s]} ${s}`).join(', ');
      if (!o.quiet) o.log(`serve: run ${run} finished in ${(report.durationMs / 1000).toFixed(1)} s: ${report.targets.length} target(s), ${counts}`);
    } catch (e) {
      metrics.failed();
      o.log(`serve: run ${run} failed to complete: ${errorLine(e)}; the metrics keep the last completed run`);
    } finally {
      await pool.stopAll();
    }
  };

  const schedule = new Schedule({
    intervalMs: o.intervalMs,
    jitterMs: o.jitterMs,
    run: runOnce,
    onOverrun: () => {
      metrics.overrun();
      o.log('serve: the run outlasted the interval; the next starts now (runs never overlap)');
    },
    ...(o.random ? { random: o.random } : {}),
  });
  schedule.start();
  let stopping: Promise<void> | undefined;
  return {
    http,
    metrics,
    stop: () => (stopping ??= schedule.stop().then(() => http.close())),
  };
}
