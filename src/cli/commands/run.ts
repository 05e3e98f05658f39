import { isIP } from 'node:net';
import * as path from 'node:path';
import { loadConfigFile, type FileConfig, type FilePolicy, type FileTarget } from '../../config/load.js';
import { HarnessError, isInternalFailure } from '../../core/errors.js';
import { mintFixturePki } from '../../pki/generate.js';
import { loadCaFile, loadCredentialFiles, parseCertificates, parsePrivateKey, readPkiFile } from '../../pki/inspect.js';
import { parseTlsVersion } from '../../probe/tls-probe.js';
import type { TlsVersion } from '../../core/target.js';
import { runDocument, writeReports } from '../../report/outputs.js';
import { reportConfigKeys, reportPaths, reportsToStdout, resolveReports, type SelectedReport } from '../../report/reporters/index.js';
import { renderResultsTable } from '../../report/results-table.js';
import { makeStyle } from '../../report/style.js';
import { failsRun, summarize, type FailOn } from '../../core/status.js';
import { runChecks, selectChecks } from '../../runner/run.js';
import { referenceTarget } from '../../runner/reference-target.js';
import { defaultTargetTimeoutMs, RUN_DEFAULTS } from '../../runner/run.js';
import { loadTargetsFile } from '../../config/targets-file.js';
import { assertReportPaths, parseReportMode } from '../../io/files.js';
import { Progress, progressEnabled } from '../../report/progress.js';
import { formatEndpoint, parseEndpoint } from '../../core/endpoint.js';
import { DEFAULT_POLICY, ROTATION_DEFAULTS, type ClientCredentials, type Policy, type RotationConfig, type TargetConfig } from '../../core/target.js';
import type { RunReport } from '../../core/model.js';
import type { AnySuite, Suite } from '../../checks/types.js';
import { safeText } from '../../core/text.js';
import type { StartedReference, TargetUnderTest } from '../../targets/target.js';
import { checkReference, startReference, type Provider } from '../../targets/reference/start.js';
import { SUITES } from '../../../suites/index.js';
import { checkHostName, checkHttpPath } from '../../config/validate.js';
import { parseCommandArgs, parseDuration, DURATION_MAX, parseIntFlag, splitList, reportOptions, type OptionSpec } from '../args.js';
import type { CliIO } from '../io.js';
import { listChecks } from '../list-checks.js';
import { runHelp } from '../help/run.js';

export type Values = Record<string, string | boolean | string[] | undefined>;

/** A flag's value, else the environment's, else undefined. */
function pick(v: Values, env: NodeJS.ProcessEnv, flag: string, envName: string): string | undefined {
  const f = v[flag];
  if (typeof f === 'string') return f;
  const e = env[envName];
  return e !== undefined && e !== '' ? e : undefined;
}

/** A PEM value from the config: inline PEM, or a file path relative to the config file. */
function pemOrFile(value: string, baseDir: string): { pem?: string; file?: string } {
  return value.includes('-----BEGIN ') ? { pem: value } : { file: path.resolve(baseDir, value) };
}

function mergePolicy(base: Policy, p: FilePolicy | undefined, where: string): Policy {
  if (!p) return base;
  const out = { ...base };
  if (p.minTlsVersion !== undefined) out.minTlsVersion = parseTlsVersion(p.minTlsVersion);
  if (p.warnDays !== undefined) out.warnDays = p.warnDays;
  if (p.failDays !== undefined) out.failDays = p.failDays;
  if (p.requireTlsRejection !== undefined) out.requireTlsRejection = p.requireTlsRejection;
  if (out.failDays > out.warnDays) throw new HarnessError('config.invalid', `${where}: failDays (${out.failDays}) must not exceed warnDays (${out.warnDays})`);
  return out;
}

interface Resolved {
  targets: (TargetConfig | { reference: { implementation: string; profile: string }; name?: string; policy: Policy; line?: number })[];
}

/** The targets of `run` (k8s scan discovers its own). */
const RUN_TARGET_OPTIONS: OptionSpec = {
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
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'key-passphrase-env': { type: 'string' },
  'ca-key': { type: 'string' },
  servername: { type: 'string' },
  'expected-name': { type: 'string', multiple: true },
  protocol: { type: 'string' },
  suite: { type: 'string' },
  check: { type: 'string', multiple: true },
  'list-checks': { type: 'boolean' },
  'min-tls': { type: 'string' },
  'tls-min': { type: 'string' },
  'tls-max': { type: 'string' },
  'max-tls': { type: 'string' },
  path: { type: 'string' },
  'warn-days': { type: 'string' },
  'fail-days': { type: 'string' },
  'require-tls-rejection': { type: 'boolean' },
  'fail-on': { type: 'string' },
  timeout: { type: 'string' },
  concurrency: { type: 'string' },
  'connections-per-target': { type: 'string' },
  'target-timeout': { type: 'string' },
  config: { type: 'string' },
  'rotation-command': { type: 'string' },
  'rotation-watch': { type: 'string' },
  'rotation-timeout': { type: 'string' },
  rate: { type: 'string' },
  'in-flight': { type: 'string' },
  'rotation-handshake-only': { type: 'boolean' },
  'rotation-overlap-cert': { type: 'string' },
  'rotation-overlap-key': { type: 'string' },
};

/** The run-wide settings resolved from flags > environment > config file > defaults, validated before anything starts. */
export interface RunSettingsResolved {
  configFile: string | undefined;
  file: FileConfig;
  baseDir: string;
  failOn: FailOn;
  timeoutMs: number;
  concurrency: number;
  connectionsPerTarget: number;
  targetTimeoutMs: number;
  suiteIds: string[] | undefined;
  checkIds: string[] | undefined;
  /** The reports asked for (flag > environment > config file), checked; in the reporters' order. */
  reports: SelectedReport[];
  /** The config file's global policy (targets merge theirs, then the flags'). */
  filePolicy: Policy;
  /** The policy flags (applied over every target's). */
  flagPolicy: FilePolicy;
  /** The global policy in force: file, then flags. */
  policy: Policy;
  quiet: boolean;
  /** --report-mode (default 0600). */
  reportMode: number;
}

/**
 * Resolves the options shared by `run` and `k8s scan` (RUN_SHARED_OPTIONS): budgets, selection
 * (validated against `catalogue`: unknown ids are exit 2), reports, policy. Nothing starts here.
 */
export function resolveRunSettings(command: string, v: Values, env: NodeJS.ProcessEnv, catalogue: readonly AnySuite[]): RunSettingsResolved {
  const configFile = pick(v, env, 'config', 'MTLS_CONFIG');
  const file: FileConfig = configFile ? loadConfigFile(configFile, reportConfigKeys()) : {};
  const baseDir = configFile ? path.dirname(path.resolve(configFile)) : process.cwd();

  // Global options: flag > env > file > default.
  const failOn = pick(v, env, 'fail-on', 'MTLS_FAIL_ON') ?? file.failOn ?? 'fail';
  if (failOn !== 'warn' && failOn !== 'fail') throw new HarnessError('usage.invalid-value', `${command}: --fail-on must be warn or fail, not "${failOn}"`);
  const timeoutText = pick(v, env, 'timeout', 'MTLS_TIMEOUT') ?? file.timeout;
  const timeoutMs = timeoutText ? parseDuration('--timeout', timeoutText, DURATION_MAX.connection) : 5000;
  const concText = pick(v, env, 'concurrency', 'MTLS_CONCURRENCY');
  const concurrency = concText ? parseIntFlag('--concurrency', concText, 1, 1024) : (file.concurrency ?? RUN_DEFAULTS.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024) throw new HarnessError('config.invalid', `${configFile ?? 'config'}: concurrency must be a whole number from 1 to 1024`);
  const perTargetText = v['connections-per-target'] as string | undefined;
  const connectionsPerTarget = perTargetText ? parseIntFlag('--connections-per-target', perTargetText, 1, 64) : (file.connectionsPerTarget ?? RUN_DEFAULTS.connectionsPerTarget);
  if (!Number.isInteger(connectionsPerTarget) || connectionsPerTarget < 1 || connectionsPerTarget > 64) throw new HarnessError('config.invalid', `${configFile ?? 'config'}: connectionsPerTarget must be a whole number from 1 to 64`);
  const targetTimeoutText = (v['target-timeout'] as string | undefined) ?? file.targetTimeout;
  const targetTimeoutMs = targetTimeoutText ? parseDuration('--target-timeout', targetTimeoutText) : defaultTargetTimeoutMs(timeoutMs);
  if (targetTimeoutMs < timeoutMs) throw new HarnessError('usage.invalid-value', `${command}: --target-timeout (${targetTimeoutMs} ms) must be at least --timeout (${timeoutMs} ms)`);
  const suiteIds = v.suite ? splitList(v.suite as string) : file.suites;
  const checkIds = v.check ? (v.check as string[]).flatMap((x) => splitList(x)) : file.checks;
  selectChecks([...catalogue], suiteIds, checkIds); // unknown ids: exit 2 before anything starts
  // Reports: flag > MTLS_* > the config file's reports:, checked (stdout, Chromium for --pdf) before anything starts.
  const reports = resolveReports(command, { values: v, env, fromEnv: true, config: { reports: file.reports, baseDir } });
  const reportMode = parseReportMode(v['report-mode'] as string | undefined);
  const inputFile = (x: string | undefined) => (x && !x.includes('-----BEGIN') ? path.resolve(baseDir, x) : undefined);
  assertReportPaths(command, reportPaths(reports), [
    ['--config', configFile], ['--ca', v.ca as string | undefined], ['--cert', v.cert as string | undefined], ['--key', v.key as string | undefined], ['--ca-key', v['ca-key'] as string | undefined],
    ['--targets-file', v['targets-file'] as string | undefined], ['targetsFile', inputFile(file.targetsFile)],
    ['--rotation-overlap-cert', v['rotation-overlap-cert'] as string | undefined], ['--rotation-overlap-key', v['rotation-overlap-key'] as string | undefined],
    ...(file.targets ?? []).flatMap((t) => [t.ca, t.cert, t.key, t.caKey, t.clientCa, t.rotation?.overlapCert, t.rotation?.overlapKey].map((x): [string, string | undefined] => [`${configFile}:${t.line}`, inputFile(x)])),
  ]);

  const filePolicy = mergePolicy(DEFAULT_POLICY, file.policy, configFile ?? 'config');
  const flagPolicy: FilePolicy = {};
  const minTls = pick(v, env, 'min-tls', 'MTLS_MIN_TLS');
  if (minTls) flagPolicy.minTlsVersion = minTls;
  const warnDays = pick(v, env, 'warn-days', 'MTLS_WARN_DAYS');
  if (warnDays) flagPolicy.warnDays = parseIntFlag('--warn-days', warnDays, 0, 3650);
  const failDays = pick(v, env, 'fail-days', 'MTLS_FAIL_DAYS');
  if (failDays) flagPolicy.failDays = parseIntFlag('--fail-days', failDays, 0, 3650);
  if (v['require-tls-rejection']) flagPolicy.requireTlsRejection = true;
  return {
    configFile, file, baseDir, failOn, timeoutMs, concurrency, connectionsPerTarget, targetTimeoutMs, suiteIds, checkIds,
    reports,
    filePolicy, flagPolicy, policy: mergePolicy(filePolicy, flagPolicy, 'flags'), quiet: !!v.quiet, reportMode,
  };
}

/** A target's policy: the file's global policy, the target's overrides, then the flags. */
export function targetPolicy(s: RunSettingsResolved, own: FilePolicy | undefined, where: string): Policy {
  return mergePolicy(mergePolicy(s.filePolicy, own, where), s.flagPolicy, 'flags');
}

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
  if (report.incomplete) io.stderr.write(`mtls-harness: incomplete: ${report.incomplete.reason}; ${report.incomplete.targetsFinished} of ${report.incomplete.targetsTotal} target(s) finished; the reports hold what was known\n`);
}

export interface ExecuteRunOptions {
  /** The command line as typed (`run …`, `k8s scan …`), for the reports (secrets redacted there). */
  argv: string[];
  io: CliIO;
  targets: TargetUnderTest[];
  suites: readonly Suite[];
  settings: RunSettingsResolved;
  interrupt: RunInterrupt;
  /** Adds to the report before it is written (k8s scan: audit results, targets that could not be reached). */
  complete?(report: RunReport): void | Promise<void>;
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
  const progress = o.targets.length > 0 && progressEnabled(io.stderr, env, st.quiet) ? new Progress(io.stderr, o.targets.length) : undefined;
  interrupt.running();
  let reportsOk: boolean;
  let report: RunReport;
  try {
    report = await runChecks({
      targets: o.targets,
      suites: [...o.suites],
      ...(st.suiteIds ? { suiteIds: st.suiteIds } : {}),
      ...(st.checkIds ? { checkIds: st.checkIds } : {}),
      timeoutMs: st.timeoutMs,
      concurrency: st.concurrency,
      connectionsPerTarget: st.connectionsPerTarget,
      targetTimeoutMs: st.targetTimeoutMs,
      signal: interrupt.signal,
      ...(progress ? { onTarget: (t, r) => progress.onTarget(t, r) } : {}),
    }).finally(() => progress?.end());
    report.settings = { failOn: st.failOn, timeoutMs: st.timeoutMs, concurrency: st.concurrency, connectionsPerTarget: st.connectionsPerTarget, targetTimeoutMs: st.targetTimeoutMs, ...(st.suiteIds ? { suites: st.suiteIds } : {}), ...(st.checkIds ? { checks: st.checkIds } : {}) };
    await o.complete?.(report);
    report.summary = summarize(report.results);
    // Each reporter on its own: one failing never loses another's output.
    reportsOk = await writeReports(st.reports, runDocument(report, o.argv), io, st.reportMode);
  } finally {
    interrupt.written();
  }
  if (!isInternalFailure(interrupt.signal.reason)) sayIncomplete(io, report);
  if (!reportsToStdout(st.reports)) {
    const style = makeStyle({ isTTY: !!io.stdout.isTTY, env });
    io.stdout.write(renderResultsTable(report, style, io.stdout.columns ?? 120, st.quiet));
    for (const r of report.results) {
      if (r.check === 'rotation.continuity' && typeof r.evidence.summary === 'string') io.stdout.write(`rotation ${safeText(r.target, 120)}: ${r.evidence.summary}\n`);
    }
  }
  if (report.incomplete) return 130;
  return failsRun(report.summary, st.failOn) || !reportsOk ? 1 : 0;
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
  const env = io.env;
  const st = resolveRunSettings('run', v, env, SUITES);
  const { configFile, file, baseDir } = st;

  // Targets: flags (--target, MTLS_TARGETS, --targets-file) replace the file's list; the file's own
  // targetsFile adds to its targets:; per-target flags override each target.
  const fromTargetsFile = async (file: string): Promise<FileTarget[]> => (await loadTargetsFile(file)).map((t) => ({ endpoint: formatEndpoint(t), ...(t.servername ? { servername: t.servername } : {}) }));
  const flagTargets: FileTarget[] = ((v.target as string[] | undefined) ?? (env.MTLS_TARGETS ? splitList(env.MTLS_TARGETS) : [])).map((endpoint) => ({ endpoint }));
  if (v['targets-file'] !== undefined) flagTargets.push(...(await fromTargetsFile(v['targets-file'] as string)));
  let fileTargets: FileTarget[] = file.targets ?? [];
  if (flagTargets.length > 0 || v.reference) fileTargets = flagTargets;
  else if (file.targetsFile) fileTargets = [...fileTargets, ...(await fromTargetsFile(path.resolve(baseDir, file.targetsFile)))];
  if (v.reference || v.profile) {
    if (!v.reference || !v.profile) throw new HarnessError('usage.missing-argument', 'run: --reference IMPL and --profile NAME go together (e.g. --reference node --profile strict)');
    fileTargets.push({ reference: { implementation: v.reference as string, profile: v.profile as string } });
  }
  if (fileTargets.length === 0) throw new HarnessError('usage.missing-argument', 'run: nothing to test: give --target HOST:PORT, --reference node --profile NAME, or --config FILE with targets');

  const over = credentialFlags('run', v, env);
  const rotationFlags = resolveRotationFlags('run', v);

  const resolved: Resolved = { targets: [] };
  const files = new FileCache();
  for (const [i, t] of fileTargets.entries()) {
    const where = configFile && t.line ? `${configFile}:${t.line}` : `target ${i + 1}`;
    const policy = targetPolicy(st, t.policy, where);
    if (t.reference) {
      resolved.targets.push({ reference: t.reference, ...(t.name ? { name: t.name } : {}), policy, ...(t.line ? { line: t.line } : {}) });
      continue;
    }
    const live = resolveLiveTarget(t, over, baseDir, policy, env, where, files);
    const rotation = resolveRotation(t, rotationFlags, baseDir, env, where, live.protocol);
    resolved.targets.push(rotation ? { ...live, rotation } : live);
  }
  const provider = (v.provider as string | undefined) ?? env.MTLS_PROVIDER ?? 'process';
  if (provider !== 'process' && provider !== 'container') throw new HarnessError('usage.invalid-value', `run: --provider must be process or container, not "${provider}"`);
  for (const t of resolved.targets) if (!('host' in t)) checkReference(t.reference.implementation, t.reference.profile);

  // Reference targets start only now, after all input validated.
  const started: StartedReference[] = [];
  const stopAll = async () => {
    await Promise.all(started.splice(0).map((s) => s.stop().catch(() => undefined)));
  };
  const interrupt = interruptibleRun(io, stopAll);
  try {
    const targets: TargetUnderTest[] = [];
    let fixture: Awaited<ReturnType<typeof mintFixturePki>> | undefined;
    for (const t of resolved.targets) {
      if ('host' in t) {
        targets.push(t);
        continue;
      }
      const { implementation, profile } = checkReference(t.reference.implementation, t.reference.profile);
      // One fixture PKI per run, in memory, shared by every reference target.
      fixture ??= await mintFixturePki();
      const pki = fixture;
      const ref = await startReference({ implementation, profile, pki, provider: provider as Provider });
      started.push(ref);
      targets.push(referenceTarget(ref, implementation, profile, {
        ...(t.name ? { name: t.name } : {}),
        policy: t.policy,
        container: provider === 'container',
        rate: rotationFlags.rate,
        inFlight: rotationFlags.inFlight,
        handshakeOnly: rotationFlags.handshakeOnly,
      }));
      const ref0 = targets[targets.length - 1]!;
      Object.assign(ref0, offeredVersions(over, {}), over.path ? { httpPath: over.path } : {});
    }
    return await executeRun({ argv: ['run', ...argv], io, targets, suites: SUITES, settings: st, interrupt });
  } finally {
    interrupt.unregister();
    await stopAll();
  }
}

/** Credential and naming flags (flag > environment) applied over every target. */
export interface CredentialFlags {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  caKey?: string | undefined;
  servername?: string | undefined;
  passEnv?: string | undefined;
  protocol?: string | undefined;
  expectedNames: string[];
  /** TLS versions offered (not the policy minimum, which is --min-tls). */
  tlsMin?: TlsVersion | undefined;
  tlsMax?: TlsVersion | undefined;
  path?: string | undefined;
}

export function credentialFlags(command: string, v: Values, env: NodeJS.ProcessEnv): CredentialFlags {
  const over: CredentialFlags = {
    ca: pick(v, env, 'ca', 'MTLS_CA'),
    cert: pick(v, env, 'cert', 'MTLS_CERT'),
    key: pick(v, env, 'key', 'MTLS_KEY'),
    caKey: pick(v, env, 'ca-key', 'MTLS_CA_KEY'),
    servername: pick(v, env, 'servername', 'MTLS_SERVERNAME'),
    passEnv: v['key-passphrase-env'] as string | undefined,
    protocol: v.protocol as string | undefined,
    expectedNames: (v['expected-name'] as string[] | undefined) ?? [],
    tlsMin: v['tls-min'] !== undefined ? parseTlsVersion(v['tls-min'] as string) : undefined,
    tlsMax: (v['tls-max'] ?? v['max-tls']) !== undefined ? parseTlsVersion((v['tls-max'] ?? v['max-tls']) as string) : undefined,
    path: v.path as string | undefined,
  };
  if (over.path !== undefined) checkHttpPath(`${command}: --path`, over.path);
  if (over.servername !== undefined) checkHostName(`${command}: --servername`, over.servername);
  if (!!over.cert !== !!over.key) throw new HarnessError('usage.missing-argument', `${command}: --cert and --key go together`);
  if (over.protocol && over.protocol !== 'https' && over.protocol !== 'tls' && over.protocol !== 'grpc') throw new HarnessError('usage.invalid-value', `${command}: --protocol must be https, tls or grpc, not "${over.protocol}"`);
  return over;
}

export function resolveRotationFlags(command: string, v: Values): RotationFlags {
  const rotationFlags: RotationFlags = {
    command: v['rotation-command'] as string | undefined,
    watch: v['rotation-watch'] as string | undefined,
    timeout: v['rotation-timeout'] as string | undefined,
    rate: v.rate !== undefined ? parseIntFlag('--rate', v.rate as string, 1, 5000) : undefined,
    inFlight: v['in-flight'] !== undefined ? parseIntFlag('--in-flight', v['in-flight'] as string, 1, 256) : undefined,
    handshakeOnly: !!v['rotation-handshake-only'],
    overlapCert: v['rotation-overlap-cert'] as string | undefined,
    overlapKey: v['rotation-overlap-key'] as string | undefined,
  };
  if (rotationFlags.command !== undefined && rotationFlags.watch !== undefined) throw new HarnessError('usage.invalid-value', `${command}: --rotation-command and --rotation-watch exclude each other (trigger a rotation, or watch for one)`);
  if (!!rotationFlags.overlapCert !== !!rotationFlags.overlapKey) throw new HarnessError('usage.missing-argument', `${command}: --rotation-overlap-cert and --rotation-overlap-key go together`);
  if (rotationFlags.watch !== undefined) parseDuration('--rotation-watch', rotationFlags.watch);
  if (rotationFlags.timeout !== undefined) parseDuration('--rotation-timeout', rotationFlags.timeout);
  return rotationFlags;
}

export interface RotationFlags {
  command?: string | undefined;
  watch?: string | undefined;
  timeout?: string | undefined;
  rate?: number | undefined;
  inFlight?: number | undefined;
  handshakeOnly: boolean;
  overlapCert?: string | undefined;
  overlapKey?: string | undefined;
}

/** A live target's rotation settings: flags over the file's `rotation:`; undefined when neither says anything. */
export function resolveRotation(t: FileTarget, f: RotationFlags, baseDir: string, env: NodeJS.ProcessEnv, where: string, protocol: 'https' | 'tls' | 'grpc'): RotationConfig | undefined {
  const r = t.rotation ?? {};
  // A trigger given by flag replaces the file's (command and watch exclude each other).
  const command = f.command ?? (f.watch === undefined ? r.command : undefined);
  const watch = f.watch ?? (f.command === undefined ? r.watch : undefined);
  const overlapCert = f.overlapCert ?? r.overlapCert;
  const overlapKey = f.overlapKey ?? r.overlapKey;
  const anything = command !== undefined || watch !== undefined || overlapCert !== undefined;
  if (!anything) return undefined;
  const dur = (name: string, value: string | undefined, dflt: number) => (value === undefined ? dflt : parseDuration(`${where} rotation.${name}`, value));
  const rate = f.rate ?? r.rate ?? ROTATION_DEFAULTS.rate;
  const maxInFlight = f.inFlight ?? r.inFlight ?? ROTATION_DEFAULTS.maxInFlight;
  if (!Number.isInteger(rate) || rate < 1 || rate > 5000) throw new HarnessError('config.invalid', `${where}: rotation.rate must be a whole number from 1 to 5000`);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > 256) throw new HarnessError('config.invalid', `${where}: rotation.inFlight must be a whole number from 1 to 256`);
  let overlapClient: ClientCredentials | undefined;
  if (overlapCert !== undefined && overlapKey !== undefined) {
    const dir = f.overlapCert !== undefined ? process.cwd() : baseDir;
    overlapClient = loadCredentialFiles(path.resolve(dir, overlapCert), path.resolve(dir, overlapKey), env.MTLS_KEY_PASSPHRASE);
  }
  return {
    ...(command !== undefined ? { trigger: { kind: 'command' as const, command, timeoutMs: dur('timeout', f.timeout ?? r.timeout, 600_000) } } : {}),
    ...(watch !== undefined ? { trigger: { kind: 'watch' as const, durationMs: dur('watch', watch, 0) } } : {}),
    rate,
    maxInFlight,
    beforeMs: dur('before', r.before, ROTATION_DEFAULTS.beforeMs),
    afterMs: dur('after', r.after, ROTATION_DEFAULTS.afterMs),
    request: !f.handshakeOnly && (r.request ?? true) && protocol === 'https',
    ...(overlapClient ? { overlapClient } : {}),
  };
}

/**
 * Files every target of a run names (the CA, the client credential, the CA key): read, parsed and
 * checked once per run, not once per target. Keyed by path (and passphrase variable); errors are
 * not cached, they stop the run (exit 2) anyway.
 */
export class FileCache {
  private readonly map = new Map<string, unknown>();
  get<T>(key: string, load: () => T): T {
    if (!this.map.has(key)) this.map.set(key, load());
    return this.map.get(key) as T;
  }
}

export function resolveLiveTarget(
  t: FileTarget,
  over: CredentialFlags,
  baseDir: string,
  policy: Policy,
  env: NodeJS.ProcessEnv,
  where: string,
  files: FileCache = new FileCache(),
): TargetConfig {
  const endpoint = parseEndpoint(t.endpoint!);
  const flagDir = process.cwd();
  const src = (flag: string | undefined, fileVal: string | undefined) => (flag !== undefined ? pemOrFile(flag, flagDir) : fileVal !== undefined ? pemOrFile(fileVal, baseDir) : undefined);

  const caSrc = src(over.ca, t.ca);
  const trustPem = caSrc ? (caSrc.pem ? parseCertificates(caSrc.pem, `${where} ca`).map((c) => c.toString()).join('') : files.get(`ca\u0000${caSrc.file}`, () => loadCaFile(caSrc.file!)).pem) : undefined;
  const clientCaSrc = t.clientCa !== undefined ? pemOrFile(t.clientCa, baseDir) : undefined;
  const clientCaPem = clientCaSrc ? (clientCaSrc.pem ?? files.get(`ca\u0000${clientCaSrc.file}`, () => loadCaFile(clientCaSrc.file!)).pem) : undefined;

  const passVar = over.passEnv ?? t.keyPassphraseEnv;
  let passphrase: string | undefined = env.MTLS_KEY_PASSPHRASE;
  if (passVar !== undefined) {
    passphrase = env[passVar];
    if (passphrase === undefined) throw new HarnessError('usage.invalid-value', `${where}: environment variable ${passVar} (the key passphrase) is not set`);
  }
  const certSrc = src(over.cert, t.cert);
  const keySrc = src(over.key, t.key);
  if (!!certSrc !== !!keySrc) throw new HarnessError('config.invalid', `${where}: cert and key go together`);
  let client: ClientCredentials | undefined;
  if (certSrc && keySrc) {
    if (certSrc.file && keySrc.file) {
      client = files.get(`cred\u0000${certSrc.file}\u0000${keySrc.file}\u0000${passVar ?? ''}`, () => loadCredentialFiles(certSrc.file!, keySrc.file!, passphrase));
    } else {
      const certPem = certSrc.pem ?? readPkiFile(certSrc.file!, 'certificate').toString();
      const keyBuf = keySrc.pem ?? readPkiFile(keySrc.file!, 'private key');
      const chain = parseCertificates(certPem, `${where} cert`);
      const key = parsePrivateKey(keyBuf, `${where} key`, passphrase);
      if (!chain[0]!.checkPrivateKey(key)) throw new HarnessError('pki.key-mismatch', `${where}: the key is not the private key of the client certificate`);
      client = { certPem: chain.map((c) => c.toString()).join(''), keyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(), chain };
    }
  }
  const caKeySrc = src(over.caKey, t.caKey);
  const caKey = caKeySrc ? (caKeySrc.file ? files.get(`cakey\u0000${caKeySrc.file}`, () => parsePrivateKey(readPkiFile(caKeySrc.file!, 'CA private key'), caKeySrc.file)) : parsePrivateKey(caKeySrc.pem!, `${where} caKey`)) : undefined;
  if (caKey && !trustPem && !clientCaPem) throw new HarnessError('usage.missing-argument', `${where}: --ca-key needs the CA certificate too (--ca)`);

  if (t.servername !== undefined) checkHostName(`${where}: servername`, t.servername, 'config.invalid');
  if (t.path !== undefined) checkHttpPath(`${where}: path`, t.path, 'config.invalid');
  const servername = over.servername ?? t.servername;
  const protocol = (over.protocol ?? t.protocol ?? 'https') as 'https' | 'tls' | 'grpc';
  return {
    name: t.name ?? t.endpoint!,
    host: endpoint.host,
    port: endpoint.port,
    ...(servername ? { servername } : !isIP(endpoint.host) ? { servername: endpoint.host } : {}),
    expectedNames: [...new Set([...(t.expectedNames ?? []), ...over.expectedNames])],
    protocol,
    ...((over.path ?? t.path) ? { httpPath: over.path ?? t.path } : {}),
    ...offeredVersions(over, t),
    ...(trustPem ? { trustPem } : {}),
    ...(client ? { client } : {}),
    ...(clientCaPem ? { clientCaPem } : {}),
    ...(caKey ? { caKey } : {}),
    expect: { ...(t.expect?.serverIdentity ? { serverIdentity: t.expect.serverIdentity } : {}), ...(t.expect?.allowedClientIdentities ? { allowedClientIdentities: t.expect.allowedClientIdentities } : {}) },
    policy,
    plaintextPorts: t.plaintextPorts ?? [],
  };
}

/** The TLS versions offered to a target: flags over the config file's `tlsMin`/`tlsMax`. */
function offeredVersions(over: CredentialFlags, t: { tlsMin?: string; tlsMax?: string }): { tlsVersions?: { min?: TlsVersion; max?: TlsVersion } } {
  const min = over.tlsMin ?? (t.tlsMin !== undefined ? parseTlsVersion(t.tlsMin) : undefined);
  const max = over.tlsMax ?? (t.tlsMax !== undefined ? parseTlsVersion(t.tlsMax) : undefined);
  if (!min && !max) return {};
  return { tlsVersions: { ...(min ? { min } : {}), ...(max ? { max } : {}) } };
}
