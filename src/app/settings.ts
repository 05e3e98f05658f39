/**
 * The run-wide settings of a run (`run`, `k8s scan`, and the library's `planRun`): flags >
 * environment > config file > defaults, validated before anything starts. `Values` are the
 * options by their flag names (`{ config: 'mtls.yaml', 'fail-on': 'warn' }`), as the CLI parses them.
 */
import * as path from 'node:path';
import { loadConfigFile, type FileConfig, type FilePolicy } from '../config/load.js';
import { DURATION_MAX, parseDuration, parseIntFlag, splitList } from '../config/values.js';
import { checkWaivers, loadWaiversFile, type WaiverSet } from '../config/waivers.js';
import { HarnessError } from '../core/errors.js';
import type { FailOn } from '../core/status.js';
import { DEFAULT_POLICY, type Policy } from '../core/target.js';
import type { AnySuite } from '../checks/types.js';
import { assertReportPaths, parseReportMode } from '../io/files.js';
import { parseTlsVersion } from '../probe/tls-probe.js';
import { reportConfigKeys, reportPaths, resolveReports, type SelectedReport } from '../report/reporters/index.js';
import { readReportFile, type ReadReport } from '../report/diff-read.js';
import { defaultTargetTimeoutMs, RUN_DEFAULTS, selectChecks } from '../runner/run.js';

export type Values = Record<string, string | boolean | string[] | undefined>;

/** A flag's value, else the environment's, else undefined. */
export function pick(v: Values, env: NodeJS.ProcessEnv, flag: string, envName: string): string | undefined {
  const f = v[flag];
  if (typeof f === 'string') return f;
  const e = env[envName];
  return e !== undefined && e !== '' ? e : undefined;
}

/** A PEM value from the config: inline PEM, or a file path relative to the config file. */
export function pemOrFile(value: string, baseDir: string): { pem?: string; file?: string } {
  return value.includes('-----BEGIN ') ? { pem: value } : { file: path.resolve(baseDir, value) };
}

export function mergePolicy(base: Policy, p: FilePolicy | undefined, where: string): Policy {
  if (!p) return base;
  const out = { ...base };
  if (p.minTlsVersion !== undefined) out.minTlsVersion = parseTlsVersion(p.minTlsVersion);
  if (p.warnDays !== undefined) out.warnDays = p.warnDays;
  if (p.failDays !== undefined) out.failDays = p.failDays;
  if (p.requireTlsRejection !== undefined) out.requireTlsRejection = p.requireTlsRejection;
  if (out.failDays > out.warnDays) throw new HarnessError('config.invalid', `${where}: failDays (${out.failDays}) must not exceed warnDays (${out.warnDays})`);
  return out;
}

/** The run-wide settings resolved from flags > environment > config file > defaults, validated before anything starts. */
export interface RunSettingsResolved {
  configFile: string | undefined;
  file: FileConfig;
  baseDir: string;
  failOn: FailOn;
  /** `--baseline FILE`: the earlier run's JSON report, read (and checked) before anything runs. */
  baseline?: ReadReport;
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
  /** --compact: one line per check instead of the table. */
  compact: boolean;
  /** --report-mode (default 0600). */
  reportMode: number;
  /** The accepted findings (--waivers, MTLS_WAIVERS, the config's waivers:; docs/waivers.md). */
  waivers?: WaiverSet;
}

/** The waivers of a run: --waivers FILE > MTLS_WAIVERS > the config file's `waivers:` (a list, or a file relative to it). */
function resolveWaivers(v: Values, env: NodeJS.ProcessEnv, file: FileConfig, configFile: string | undefined, baseDir: string): WaiverSet | undefined {
  const given = pick(v, env, 'waivers', 'MTLS_WAIVERS');
  if (given) return loadWaiversFile(given);
  if (typeof file.waivers === 'string') return loadWaiversFile(path.resolve(baseDir, file.waivers));
  return file.waivers ? checkWaivers(file.waivers, configFile ?? 'config') : undefined;
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
  if (failOn !== 'warn' && failOn !== 'fail' && failOn !== 'new')
    throw new HarnessError('usage.invalid-value', `${command}: --fail-on must be warn, fail or new, not "${failOn}"`);
  // The baseline is read whole here, before anything runs: --json may then replace it (a rolling baseline).
  const baselineFile = v.baseline as string | undefined;
  if (failOn === 'new' && baselineFile === undefined)
    throw new HarnessError('usage.missing-argument', `${command}: --fail-on new needs --baseline FILE (a JSON report of an earlier run to compare with)`);
  const baseline = baselineFile !== undefined ? readReportFile(baselineFile, command) : undefined;
  const timeoutText = pick(v, env, 'timeout', 'MTLS_TIMEOUT') ?? file.timeout;
  const timeoutMs = timeoutText ? parseDuration('--timeout', timeoutText, DURATION_MAX.connection) : 5000;
  const concText = pick(v, env, 'concurrency', 'MTLS_CONCURRENCY');
  const concurrency = concText ? parseIntFlag('--concurrency', concText, 1, 1024) : (file.concurrency ?? RUN_DEFAULTS.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024)
    throw new HarnessError('config.invalid', `${configFile ?? 'config'}: concurrency must be a whole number from 1 to 1024`);
  const perTargetText = v['connections-per-target'] as string | undefined;
  const connectionsPerTarget = perTargetText
    ? parseIntFlag('--connections-per-target', perTargetText, 1, 64)
    : (file.connectionsPerTarget ?? RUN_DEFAULTS.connectionsPerTarget);
  if (!Number.isInteger(connectionsPerTarget) || connectionsPerTarget < 1 || connectionsPerTarget > 64)
    throw new HarnessError('config.invalid', `${configFile ?? 'config'}: connectionsPerTarget must be a whole number from 1 to 64`);
  const targetTimeoutText = (v['target-timeout'] as string | undefined) ?? file.targetTimeout;
  const targetTimeoutMs = targetTimeoutText ? parseDuration('--target-timeout', targetTimeoutText) : defaultTargetTimeoutMs(timeoutMs);
  if (targetTimeoutMs < timeoutMs)
    throw new HarnessError('usage.invalid-value', `${command}: --target-timeout (${targetTimeoutMs} ms) must be at least --timeout (${timeoutMs} ms)`);
  const suiteIds = v.suite ? splitList(v.suite as string) : file.suites;
  const checkIds = v.check ? (v.check as string[]).flatMap((x) => splitList(x)) : file.checks;
  selectChecks([...catalogue], suiteIds, checkIds); // unknown ids: exit 2 before anything starts
  // Reports: flag > MTLS_* > the config file's reports:, checked (stdout, Chromium for --pdf) before anything starts.
  const reports = resolveReports(command, { values: v, env, fromEnv: true, config: { reports: file.reports, baseDir } });
  const reportMode = parseReportMode(v['report-mode'] as string | undefined);
  const inputFile = (x: string | undefined) => (x && !x.includes('-----BEGIN') ? path.resolve(baseDir, x) : undefined);
  const waivers = resolveWaivers(v, env, file, configFile, baseDir);
  assertReportPaths(command, reportPaths(reports), [
    ['--config', configFile],
    ['--ca', v.ca as string | undefined],
    ['--cert', v.cert as string | undefined],
    ['--key', v.key as string | undefined],
    ['--p12', v.p12 as string | undefined],
    ['--ca-key', v['ca-key'] as string | undefined],
    ['--revoked-cert', v['revoked-cert'] as string | undefined],
    ['--revoked-key', v['revoked-key'] as string | undefined],
    ['--targets-file', v['targets-file'] as string | undefined],
    ['--waivers', pick(v, env, 'waivers', 'MTLS_WAIVERS') ?? inputFile(typeof file.waivers === 'string' ? file.waivers : undefined)],
    ['targetsFile', inputFile(file.targetsFile)],
    ['--rotation-overlap-cert', v['rotation-overlap-cert'] as string | undefined],
    ['--rotation-overlap-key', v['rotation-overlap-key'] as string | undefined],
    ...(file.targets ?? []).flatMap((t) =>
      [t.ca, t.cert, t.key, t.p12, t.caKey, t.clientCa, t.rotation?.overlapCert, t.rotation?.overlapKey].map((x): [string, string | undefined] => [
        `${configFile}:${t.line}`,
        inputFile(x),
      ]),
    ),
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
    configFile,
    file,
    baseDir,
    failOn,
    ...(baseline ? { baseline } : {}),
    timeoutMs,
    concurrency,
    connectionsPerTarget,
    targetTimeoutMs,
    suiteIds,
    checkIds,
    reports,
    filePolicy,
    flagPolicy,
    policy: mergePolicy(filePolicy, flagPolicy, 'flags'),
    quiet: !!v.quiet,
    compact: !!v.compact,
    reportMode,
    ...(waivers ? { waivers } : {}),
  };
}

/** A target's policy: the file's global policy, the target's overrides, then the flags. */
export function targetPolicy(s: RunSettingsResolved, own: FilePolicy | undefined, where: string): Policy {
  return mergePolicy(mergePolicy(s.filePolicy, own, where), s.flagPolicy, 'flags');
}
