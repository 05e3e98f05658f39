/**
 * A run as the library does it, and the CLI's `run` on top of it: `planRun` resolves the options
 * (flags > environment > config file > defaults) into a validated plan, nothing started;
 * `ReferencePool` starts the plan's reference servers (after all input is validated) and stops
 * them; `runWithSettings` runs the checks and completes the report; `executePlan` is the three in
 * one; `writeRunReports` writes every report asked for, one failing never losing another.
 */
import * as path from 'node:path';
import type { FileTarget } from '../config/load.js';
import { loadTargetsFile } from '../config/targets-file.js';
import { splitList } from '../config/values.js';
import { formatEndpoint } from '../core/endpoint.js';
import { HarnessError } from '../core/errors.js';
import type { RunReport } from '../core/model.js';
import { systemClock, type Clock } from '../core/clock.js';
import { failsRun, summarize, unwaivedSummary } from '../core/status.js';
import { applyWaivers } from '../rules/waivers.js';
import type { Policy, TargetConfig } from '../core/target.js';
import type { AnySuite, Suite } from '../checks/types.js';
import { mintFixturePki, type FixturePki } from '../pki/generate.js';
import { runDocument } from '../report/outputs.js';
import { diffRuns } from '../report/diff.js';
import type { TextOut } from '../report/sink.js';
import { writeReports } from '../report/write.js';
import { referenceTarget } from '../runner/reference-target.js';
import { runChecks, type RunOptions } from '../runner/run.js';
import { checkReference, startReference, type Provider } from '../targets/reference/start.js';
import type { StartedReference, TargetUnderTest } from '../targets/target.js';
import { SUITES } from '../../suites/index.js';
import type { TargetSource } from '../core/target.js';
import { STDIN } from '../io/files.js';
import { resolveRunSettings, targetPolicy, type RunSettingsResolved, type Values } from './settings.js';
import {
  credentialFlags,
  FileCache,
  offeredVersions,
  resolveLiveTarget,
  checkTargetPaths,
  perPathTargets,
  targetPaths,
  resolveRotation,
  resolveRotationFlags,
  type CredentialFlags,
  type RotationFlags,
} from './targets.js';

/** A target as written, with the file line it was written on (config file or targets file). */
type SourcedTarget = FileTarget & { source?: TargetSource };

/** A file as a target's source names it: relative to the working directory when below it, else absolute. */
function sourceFile(f: string): string {
  const abs = path.resolve(f);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

/** A reference target of a plan: started only by `ReferencePool.start`. */
export interface PlannedReference {
  reference: { implementation: string; profile: string };
  name?: string;
  policy: Policy;
  line?: number;
  /** The config file line it was written on (SARIF locations). */
  source?: TargetSource;
  /** Several HTTP paths: the started reference is tested once per path. */
  paths?: string[];
}

/** A run resolved and validated, nothing started: what `run` would do. */
export interface RunPlan {
  settings: RunSettingsResolved;
  /** Live targets (configuration with credentials loaded) and reference targets to start, in order. */
  targets: (TargetConfig | PlannedReference)[];
  provider: Provider;
  /** The suites the run draws from (the catalogue's server suites, unless a caller gives its own). */
  suites: readonly Suite[];
  /** Per-target flags applied to reference targets when they start. */
  credentials: CredentialFlags;
  rotation: RotationFlags;
}

export interface PlanRunContext {
  /** The environment read for MTLS_* (default: none; the CLI gives process.env). */
  env?: NodeJS.ProcessEnv;
  /** Names the command in error messages (default `run`). */
  command?: string;
  /** The catalogue `--suite`/`--check` are validated against (default: the server suites). */
  suites?: readonly Suite[];
}

/**
 * Resolves a run from options named as the CLI's flags (`{ config: 'mtls.yaml' }`,
 * `{ target: ['127.0.0.1:8443'], ca: 'ca.pem', cert: 'client.pem', key: 'client.key' }`,
 * `{ reference: 'node', profile: 'strict' }`): reads the config file and the targets file,
 * loads and checks every credential, validates selection, reports and policy. Throws a
 * `HarnessError` (a usage or config code: exit 2) for bad input; starts nothing.
 */
export async function planRun(v: Values, ctx: PlanRunContext = {}): Promise<RunPlan> {
  const env = ctx.env ?? {};
  const command = ctx.command ?? 'run';
  const suites = ctx.suites ?? SUITES;
  const st = resolveRunSettings(command, v, env, suites as readonly AnySuite[]);
  const { configFile, file, baseDir } = st;

  // Targets: flags (--target, MTLS_TARGETS, --targets-file) replace the file's list; the file's own
  // targetsFile adds to its targets:; per-target flags override each target.
  const fromTargetsFile = async (f: string): Promise<SourcedTarget[]> => {
    const file = f === STDIN ? undefined : sourceFile(f);
    return (await loadTargetsFile(f)).map((t) => ({
      endpoint: formatEndpoint(t),
      ...(t.servername ? { servername: t.servername } : {}),
      ...(file ? { source: { file, line: t.line } } : {}),
    }));
  };
  const flagTargets: SourcedTarget[] = ((v.target as string[] | undefined) ?? (env.MTLS_TARGETS ? splitList(env.MTLS_TARGETS) : [])).map((endpoint) => ({
    endpoint,
  }));
  if (v['targets-file'] !== undefined) flagTargets.push(...(await fromTargetsFile(v['targets-file'] as string)));
  const configSource = configFile && configFile !== STDIN ? sourceFile(configFile) : undefined;
  let fileTargets: SourcedTarget[] = (file.targets ?? []).map((t) => (configSource && t.line ? { ...t, source: { file: configSource, line: t.line } } : t));
  if (flagTargets.length > 0 || v.reference) fileTargets = flagTargets;
  else if (file.targetsFile) fileTargets = [...fileTargets, ...(await fromTargetsFile(path.resolve(baseDir, file.targetsFile)))];
  if (v.reference || v.profile) {
    if (!v.reference || !v.profile)
      throw new HarnessError('usage.missing-argument', `${command}: --reference IMPL and --profile NAME go together (e.g. --reference node --profile strict)`);
    fileTargets.push({ reference: { implementation: v.reference as string, profile: v.profile as string } });
  }
  if (fileTargets.length === 0)
    throw new HarnessError(
      'usage.missing-argument',
      `${command}: nothing to test: give --target HOST:PORT, --reference node --profile NAME, or --config FILE with targets`,
    );

  const credentials = credentialFlags(command, v, env);
  const rotation = resolveRotationFlags(command, v);
  const targets: RunPlan['targets'] = [];
  const files = new FileCache();
  for (const [i, t] of fileTargets.entries()) {
    const where = configFile && t.line ? `${configFile}:${t.line}` : `target ${i + 1}`;
    const policy = targetPolicy(st, t.policy, where);
    if (t.reference) {
      checkTargetPaths(t, where);
      const paths = targetPaths(credentials, t);
      targets.push({
        reference: t.reference,
        ...(t.name ? { name: t.name } : {}),
        policy,
        ...(t.line ? { line: t.line } : {}),
        ...(t.source ? { source: t.source } : {}),
        ...(paths.length > 0 ? { paths } : {}),
      });
      continue;
    }
    const live = resolveLiveTarget(t, credentials, baseDir, policy, env, where, files);
    if (t.source) live.source = t.source;
    const rot = resolveRotation(t, rotation, baseDir, env, where, live.protocol);
    // Several paths: one target per path (docs/run.md "Several paths").
    for (const one of perPathTargets(live, targetPaths(credentials, t))) targets.push(rot ? { ...one, rotation: rot } : one);
  }
  const provider = (v.provider as string | undefined) ?? env.MTLS_PROVIDER ?? 'process';
  if (provider !== 'process' && provider !== 'container')
    throw new HarnessError('usage.invalid-value', `${command}: --provider must be process or container, not "${provider}"`);
  for (const t of targets) if (!('host' in t)) checkReference(t.reference.implementation, t.reference.profile, provider);
  return { settings: st, targets, provider, suites, credentials, rotation };
}

/**
 * The reference servers of a run: started in the plan's order (one fixture PKI per run, in
 * memory, shared by every reference target), stopped together. `stopAll` may be called at any
 * moment (an interrupt while one is starting) and more than once.
 */
export class ReferencePool {
  private readonly started: StartedReference[] = [];
  private fixture: FixturePki | undefined;

  /** The plan's targets, ready to test: live ones as they are, reference ones started. */
  async start(plan: RunPlan): Promise<TargetUnderTest[]> {
    const out: TargetUnderTest[] = [];
    for (const t of plan.targets) {
      if ('host' in t) {
        out.push(t);
        continue;
      }
      const { implementation, profile } = checkReference(t.reference.implementation, t.reference.profile, plan.provider);
      this.fixture ??= await mintFixturePki();
      const ref = await startReference({ implementation, profile, pki: this.fixture, provider: plan.provider });
      this.started.push(ref);
      const target = referenceTarget(ref, implementation, profile, {
        ...(t.name ? { name: t.name } : {}),
        policy: t.policy,
        container: plan.provider === 'container',
        rate: plan.rotation.rate,
        inFlight: plan.rotation.inFlight,
        handshakeOnly: plan.rotation.handshakeOnly,
      });
      Object.assign(target, offeredVersions(plan.credentials, {}), t.source ? { source: t.source } : {});
      out.push(...perPathTargets(target, t.paths ?? []));
    }
    return out;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((s) => s.stop().catch(() => undefined)));
  }
}

export interface RunHooks {
  /** Ends the run early: the report then holds what finished, marked incomplete. */
  signal?: AbortSignal;
  /** Called as each target finishes (progress). */
  onTarget?: RunOptions['onTarget'];
  /** Adds to the report before its summary (k8s scan: the cluster audit, unreachable Services). */
  complete?(report: RunReport): void | Promise<void>;
  /** The clock the waivers' expiry is judged by (default the system clock). */
  clock?: Clock;
}

/** Runs the checks of the settings' selection on ready targets; the report carries the settings and the summary. */
export async function runWithSettings(targets: TargetUnderTest[], suites: readonly Suite[], st: RunSettingsResolved, hooks: RunHooks = {}): Promise<RunReport> {
  const report = await runChecks({
    targets,
    suites: [...suites],
    ...(st.suiteIds ? { suiteIds: st.suiteIds } : {}),
    ...(st.checkIds ? { checkIds: st.checkIds } : {}),
    timeoutMs: st.timeoutMs,
    concurrency: st.concurrency,
    connectionsPerTarget: st.connectionsPerTarget,
    targetTimeoutMs: st.targetTimeoutMs,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onTarget ? { onTarget: hooks.onTarget } : {}),
  });
  report.settings = {
    failOn: st.failOn,
    timeoutMs: st.timeoutMs,
    concurrency: st.concurrency,
    connectionsPerTarget: st.connectionsPerTarget,
    targetTimeoutMs: st.targetTimeoutMs,
    ...(st.suiteIds ? { suites: st.suiteIds } : {}),
    ...(st.checkIds ? { checks: st.checkIds } : {}),
  };
  await hooks.complete?.(report);
  if (st.baseline) report.diff = diffRuns(st.baseline.run, report, { baseline: st.baseline.source });
  report.summary = summarize(report.results);
  // Waivers: the one place they apply, for every report and the exit code (docs/waivers.md).
  if (st.waivers) applyWaivers(report, st.waivers, hooks.clock ?? systemClock);
  return report;
}

/** A plan from start to end: its reference servers started, the checks run, the servers stopped. */
export async function executePlan(plan: RunPlan, hooks: RunHooks = {}): Promise<RunReport> {
  const pool = new ReferencePool();
  try {
    const targets = await pool.start(plan);
    return await runWithSettings(targets, plan.suites, plan.settings, hooks);
  } finally {
    await pool.stopAll();
  }
}

/**
 * Writes every report the plan asks for (files 0600 by default, atomically; `-` to `streams.stdout`).
 * `argv` is recorded in the reports (secrets redacted). False when one could not be written (said
 * on `streams.stderr`); the others are still written.
 */
export async function writeRunReports(
  plan: Pick<RunPlan, 'settings'>,
  report: RunReport,
  argv: string[],
  streams: { stdout: TextOut; stderr: { write(s: string): unknown } },
): Promise<boolean> {
  return writeReports(plan.settings.reports, runDocument(report, argv), streams, plan.settings.reportMode);
}

/**
 * The exit status of a finished run: 0, 1 (fail/error, warn with fail-on warn, a report not
 * written), 130 (incomplete). A waived result (`result.waiver`) does not count.
 */
export function exitCodeOf(plan: Pick<RunPlan, 'settings'>, report: RunReport, reportsWritten = true): 0 | 1 | 130 {
  // --fail-on new (docs/diff.md): a finding new since the baseline fails the run, the summary none (failsRun).
  // A new finding a waiver covers does not fail it (docs/waivers.md).
  if (!report.incomplete && plan.settings.failOn === 'new' && report.diff) {
    const waived = new Set(report.results.filter((r) => r.waiver).map((r) => `${r.targetId}\0${r.check}`));
    if (report.diff.new.some((c) => !waived.has(`${c.targetId}\0${c.check}`))) return 1;
  }
  if (report.incomplete) return 130;
  const summary = report.waivers ? unwaivedSummary(report.results) : report.summary;
  return failsRun(summary, plan.settings.failOn) || !reportsWritten ? 1 : 0;
}
