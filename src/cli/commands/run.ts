/**
 * `mtls-harness run`: parses the flags, calls the library (src/app: planRun, ReferencePool,
 * runWithSettings, writeRunReports) and prints the table. `RUN_SHARED_OPTIONS`, `executeRun` and
 * the interrupt handling are shared with `k8s scan`.
 */
import { HarnessError, isInternalFailure } from '../../core/errors.js';
import { renderDiffSummary } from '../../report/diff-table.js';
import type { RunReport } from '../../core/model.js';
import { safeText } from '../../core/text.js';
import { reportsToStdout } from '../../report/reporters/index.js';
import { renderResultsTable } from '../../report/results-table.js';
import { waiverNotices } from '../../rules/waivers.js';
import { tableWidth } from '../../report/table-fit.js';
import { makeStyle } from '../../report/style.js';
import { Progress, progressEnabled } from '../../report/progress.js';
import { exitCodeOf, planRun, ReferencePool, runWithSettings, writeRunReports, type RunHooks } from '../../app/run.js';
import type { RunSettingsResolved } from '../../app/settings.js';
import { collectProvenance, type ProvenanceInput } from '../../app/provenance.js';
import { CONNECTION_OPTIONS, parseCommandArgs, reportOptions, type OptionSpec } from '../args.js';
import type { CliIO } from '../io.js';
import { listChecks } from '../list-checks.js';
import { runHelp } from '../help/run.js';

export type { Values, RunSettingsResolved } from '../../app/settings.js';
export { resolveRunSettings, targetPolicy } from '../../app/settings.js';
export {
  credentialFlags,
  FileCache,
  resolveLiveTarget,
  resolveRotation,
  resolveRotationFlags,
  type CredentialFlags,
  type RotationFlags,
} from '../../app/targets.js';

/** The targets of `run` (k8s scan discovers its own). */
export const RUN_TARGET_OPTIONS: OptionSpec = {
  target: { type: 'string', multiple: true },
  reference: { type: 'string' },
  profile: { type: 'string' },
  provider: { type: 'string' },
  'targets-file': { type: 'string' },
};

/**
 * Options every command that runs the catalogue shares (run, k8s scan): credentials, selection,
 * policy, rotation, run budgets and config file; the report flags are added from the reporters'
 * map when the command parses (reportOptions()).
 */
export const RUN_SHARED_OPTIONS: OptionSpec = {
  ...CONNECTION_OPTIONS,
  'ca-key': { type: 'string' },
  'revoked-cert': { type: 'string' },
  'revoked-key': { type: 'string' },
  crl: { type: 'string', multiple: true },
  'fetch-crl': { type: 'boolean' },
  'expected-name': { type: 'string', multiple: true },
  suite: { type: 'string' },
  check: { type: 'string', multiple: true },
  'list-checks': { type: 'boolean' },
  'min-tls': { type: 'string' },
  'fail-on': { type: 'string' },
  baseline: { type: 'string' },
  'connections-per-target': { type: 'string' },
  'target-timeout': { type: 'string' },
  config: { type: 'string' },
  waivers: { type: 'string' },
  'rotation-command': { type: 'string' },
  'rotation-watch': { type: 'string' },
  'rotation-timeout': { type: 'string' },
  rate: { type: 'string' },
  'in-flight': { type: 'string' },
  'rotation-handshake-only': { type: 'boolean' },
  'rotation-overlap-cert': { type: 'string' },
  'rotation-overlap-key': { type: 'string' },
};

/**
 * Ctrl-C for a command that runs checks: the run ends at once with what finished, the reports are
 * written (marked incomplete), then `cleanup` stops what the command started.
 */
export interface RunInterrupt {
  signal: AbortSignal;
  /** Checks are running from now on: an interrupt waits for the reports before cleaning up. */
  running(): void;
  /** The reports are written (or failed): cleanup may proceed. */
  written(): void;
  unregister(): void;
}

export function interruptibleRun(io: CliIO, cleanup: () => Promise<void>): RunInterrupt {
  const abort = new AbortController();
  let reportsWritten: () => void = () => undefined;
  const written = new Promise<void>((resolve) => (reportsWritten = resolve));
  let running = false;
  const unregister = io.onInterrupt?.(async (reason?: Error) => {
    abort.abort(reason ?? new Error('the run was interrupted (Ctrl-C)'));
    if (running) await written;
    await cleanup();
  });
  return { signal: abort.signal, running: () => (running = true), written: () => reportsWritten(), unregister: () => unregister?.() };
}

/** After an interrupt, one line on stderr: what the reports hold. */
export function sayIncomplete(io: CliIO, report: RunReport): void {
  if (report.incomplete)
    io.stderr.write(
      `mtls-harness: incomplete: ${report.incomplete.reason}; ${report.incomplete.targetsFinished} of ${report.incomplete.targetsTotal} target(s) finished; the reports hold what was known\n`,
    );
}

export interface ExecuteRunOptions {
  /** The command line as typed (`run …`, `k8s scan …`), for the reports (secrets redacted there). */
  argv: string[];
  io: CliIO;
  settings: RunSettingsResolved;
  interrupt: RunInterrupt;
  /** How many targets the checks run against (the progress line). */
  targets: number;
  /** What the report's provenance records (the flags, the config file): docs/evidence.md. */
  provenance?: Omit<ProvenanceInput, 'env'>;
  /** Runs the checks and completes the report (run: `runWithSettings`; k8s scan: `ClusterScan.check`). */
  check(hooks: Omit<RunHooks, 'complete'>): Promise<RunReport>;
}

/**
 * Runs the checks with progress on a terminal, writes every report (one failing never loses
 * another), prints the table, and returns the exit code: 0, 1 (fail/error, or warn with --fail-on
 * warn, or a report not written), 130 (interrupted).
 */
export async function executeRun(o: ExecuteRunOptions): Promise<number> {
  const { io, settings: st, interrupt } = o;
  const env = io.env;
  if (interrupt.signal.aborted) return 130;
  const progress = o.targets > 0 && progressEnabled(io.stderr, env, st.quiet) ? new Progress(io.stderr, o.targets) : undefined;
  interrupt.running();
  let reportsOk: boolean;
  let report: RunReport;
  try {
    report = await o
      .check({ signal: interrupt.signal, ...(io.clock ? { clock: io.clock } : {}), ...(progress ? { onTarget: (t, r) => progress.onTarget(t, r) } : {}) })
      .finally(() => progress?.end());
    if (o.provenance) report.provenance = collectProvenance({ ...o.provenance, env });
    // Each reporter on its own: one failing never loses another's output.
    reportsOk = await writeRunReports({ settings: st }, report, o.argv, io);
  } finally {
    interrupt.written();
  }
  if (!isInternalFailure(interrupt.signal.reason)) sayIncomplete(io, report);
  if (!reportsToStdout(st.reports)) {
    const style = makeStyle({ isTTY: !!io.stdout.isTTY, env });
    io.stdout.write(renderResultsTable(report, style, tableWidth(io.stdout.columns, env), st.quiet, st.compact));
    for (const r of report.results) {
      if (r.check === 'rotation.continuity' && typeof r.evidence.summary === 'string')
        io.stdout.write(`rotation ${safeText(r.target, 120)}: ${r.evidence.summary}\n`);
    }
    if (report.diff) io.stdout.write(renderDiffSummary(report.diff));
  }
  if (report.waivers) for (const line of waiverNotices(report.waivers, (x) => safeText(x, 200))) io.stderr.write(`${line}\n`);
  return exitCodeOf({ settings: st }, report, reportsOk);
}

export async function runCommand(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('run', argv, {
    ...RUN_TARGET_OPTIONS,
    ...RUN_SHARED_OPTIONS,
    ...reportOptions(),
  });
  if (v.help) {
    io.stdout.write(runHelp());
    return 0;
  }
  if (v['list-checks']) return listChecks(io);
  if (positionals.length > 0) throw new HarnessError('usage.invalid-value', `run: unexpected argument "${positionals[0]}" (targets go in --target HOST:PORT)`);
  const plan = await planRun(v, { env: io.env, command: 'run' });
  // Reference targets start only now, after all input validated; an interrupt stops them.
  const pool = new ReferencePool();
  const interrupt = interruptibleRun(io, () => pool.stopAll());
  try {
    const targets = await pool.start(plan);
    return await executeRun({
      argv: ['run', ...argv],
      io,
      settings: plan.settings,
      interrupt,
      targets: targets.length,
      provenance: { command: 'run', values: v, configFile: plan.settings.configFile, policy: plan.settings.policy },
      check: (hooks) => runWithSettings(targets, plan.suites, plan.settings, hooks),
    });
  } finally {
    interrupt.unregister();
    await pool.stopAll();
  }
}
