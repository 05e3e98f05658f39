import { isProtocol, PROTOCOLS } from '../../core/target.js';
import { HarnessError, isInternalFailure } from '../../core/errors.js';
import { safeText } from '../../core/text.js';
import { loadCaFile, loadCredentialFiles, readPkiFile } from '../../pki/inspect.js';
import { crlsOfFile } from '../../pki/client-crl.js';
import { loadPkcs12Credentials, p12Excludes, p12Passphrase } from '../../pki/pkcs12.js';
import { diagnoseEndpoint, type Diagnosis } from '../../probe/diagnose.js';
import { formatEndpoint, parseEndpoint } from '../../core/endpoint.js';
import { parseTlsVersion } from '../../probe/tls-probe.js';
import { renderDiagnosis, renderDiagnosisSummary } from '../../report/diagnosis-table.js';
import { loadTargetsFile } from '../../config/targets-file.js';
import { Progress, progressEnabled } from '../../report/progress.js';
import { Semaphore } from '../../checks/context.js';
import { RUN_DEFAULTS } from '../../runner/run.js';
import { makeStyle } from '../../report/style.js';
import { toolInfo } from '../../io/version.js';
import { performance } from 'node:perf_hooks';
import { makeDocument, writeReports } from '../../report/write.js';
import { reportJsonChunks } from '../../report/json-text.js';
import { SCHEMA_VERSION } from '../../core/model.js';
import { reporterOptions, reportersFor, reportPaths, resolveReports } from '../../report/reporters/index.js';
import { writeFileAtomicStreamed, writePiecesTo, writeStreamed } from '../../report/sink.js';
import { assertReportPaths, parseReportMode } from '../../io/files.js';
import { DEFAULT_POLICY } from '../../core/target.js';
import { checkHostName, checkHttpPath } from '../../config/validate.js';
import { CONNECTION_OPTIONS, parseCommandArgs, parseDuration, DURATION_MAX, parseIntFlag } from '../args.js';
import type { CliIO } from '../io.js';
import { appUserFlag } from '../../app/targets.js';
import { probeHelp } from '../help/probe.js';

/** `mtls-harness probe`: returns the exit code. */
export async function probeCommand(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('probe', jsonToStdout(argv), {
    ...CONNECTION_OPTIONS,
    grace: { type: 'string' },
    json: { type: 'string' },
    ...reporterOptions(reportersFor('probe')),
    'report-mode': { type: 'string' },
    'targets-file': { type: 'string' },
    quiet: { type: 'boolean' },
    crl: { type: 'string', multiple: true },
    'fetch-crl': { type: 'boolean' },
  });
  if (v.help) {
    io.stdout.write(probeHelp());
    return 0;
  }
  const given: { host: string; port: number; servername?: string }[] = positionals.map((p) => parseEndpoint(p));
  if (v.servername !== undefined) checkHostName('probe: --servername', v.servername as string);
  const paths = [...new Set((v.path as string[] | undefined) ?? [])];
  for (const p of paths) checkHttpPath('probe: --path', p);
  if (v['targets-file'] !== undefined) given.push(...(await loadTargetsFile(v['targets-file'] as string)));
  // Several --path: each endpoint is diagnosed once per path, labelled `host:port /path`.
  const endpoints: { host: string; port: number; servername?: string; path?: string }[] =
    paths.length > 1 ? given.flatMap((e) => paths.map((path) => ({ ...e, path }))) : given.map((e) => (paths[0] ? { ...e, path: paths[0] } : e));
  if (endpoints.length === 0)
    throw new HarnessError('usage.missing-argument', 'probe: give a target, e.g. mtls-harness probe localhost:8443 (or several, or --targets-file FILE)');
  const many = endpoints.length > 1 || v['targets-file'] !== undefined;
  if (!!v.cert !== !!v.key) throw new HarnessError('usage.missing-argument', 'probe: --cert and --key go together');
  let passphrase: string | undefined;
  const passVar = v['key-passphrase-env'] as string | undefined;
  if (passVar !== undefined) {
    passphrase = io.env[passVar];
    if (passphrase === undefined)
      throw new HarnessError('usage.invalid-value', `probe: environment variable ${passVar} (from --key-passphrase-env) is not set`);
  }
  p12Excludes('probe', v.p12 as string | undefined, (v.cert ?? v.key) as string | undefined);
  const creds = v.p12
    ? loadPkcs12Credentials(v.p12 as string, p12Passphrase('probe', v['p12-passphrase-env'] as string | undefined, io.env))
    : v.cert
      ? loadCredentialFiles(v.cert as string, v.key as string, passphrase)
      : undefined;
  const ca = v.ca ? loadCaFile(v.ca as string) : undefined;
  // Your certificate against its CA's CRLs: meaningless without one.
  const crlFiles = (v.crl as string[] | undefined) ?? [];
  if ((crlFiles.length || v['fetch-crl']) && !creds)
    throw new HarnessError(
      'usage.missing-argument',
      `probe: ${crlFiles.length ? '--crl' : '--fetch-crl'} reads your client certificate against its CRLs: give --cert and --key (or --p12)`,
    );
  // No --protocol: each endpoint's is decided from what its server does (probe/detect.ts).
  const protocol = (v.protocol as string | undefined) ?? 'https';
  const appUser = appUserFlag('probe', v['app-user'] as string | undefined);
  if (!isProtocol(protocol)) throw new HarnessError('usage.invalid-value', `probe: --protocol must be one of ${PROTOCOLS.join(', ')}, not "${protocol}"`);
  // Reports (--html, --pdf): files only, stdout is the diagnosis's; checked before anything is probed.
  // --json (the diagnosis as JSON) is probe's own: a file, or stdout in place of the table.
  const reports = resolveReports('probe', {
    values: v,
    env: io.env,
    kind: 'probe',
    stdoutTaken: 'stdout is for the diagnosis: its table, or its JSON with --json',
  });
  const jsonOut = v.json as string | undefined;
  const reportMode = parseReportMode(v['report-mode'] as string | undefined);
  assertReportPaths(
    'probe',
    [['--json', jsonOut], ...reportPaths(reports)],
    [
      ['--ca', v.ca as string | undefined],
      ['--cert', v.cert as string | undefined],
      ['--key', v.key as string | undefined],
      ['--p12', v.p12 as string | undefined],
      ['--targets-file', v['targets-file'] as string | undefined],
    ],
  );
  const warnDays = v['warn-days'] ? parseIntFlag('--warn-days', v['warn-days'] as string) : DEFAULT_POLICY.warnDays;
  const failDays = v['fail-days'] ? parseIntFlag('--fail-days', v['fail-days'] as string) : DEFAULT_POLICY.failDays;
  const concurrency = v.concurrency ? parseIntFlag('--concurrency', v.concurrency as string, 1, 1024) : RUN_DEFAULTS.concurrency;
  const common = {
    ...(ca ? { ca: ca.pem } : {}),
    ...(creds ? { cert: creds.certPem, key: creds.keyPem } : {}),
    ...(v['tls-min'] ? { minVersion: parseTlsVersion(v['tls-min'] as string) } : {}),
    ...((v['tls-max'] ?? v['max-tls']) ? { maxVersion: parseTlsVersion((v['tls-max'] ?? v['max-tls']) as string) } : {}),
    protocol,
    ...(v.protocol === undefined ? { detectProtocol: true } : {}),
    ...(appUser ? { appUser } : {}),
    ...(v.grace ? { graceMs: parseDuration('--grace', v.grace as string, DURATION_MAX.connection) } : {}),
    ...(v.timeout ? { timeoutMs: parseDuration('--timeout', v.timeout as string, DURATION_MAX.connection) } : {}),
    warnDays,
    failDays,
    requireTlsRejection: !!v['require-tls-rejection'],
    ...(crlFiles.length ? { clientCrls: crlFiles.flatMap((f) => crlsOfFile(readPkiFile(f, 'CRL')).map((der) => ({ source: f, der }))) } : {}),
    ...(v['fetch-crl'] ? { fetchCrl: true } : {}),
  };

  // Ctrl-C: what finished is kept and reported (marked incomplete).
  const abort = new AbortController();
  let reportsWritten: () => void = () => undefined;
  const written = new Promise<void>((resolve) => (reportsWritten = resolve));
  const unregister = io.onInterrupt?.(async (reason?: Error) => {
    abort.abort(reason ?? new Error('the probe was interrupted (Ctrl-C)'));
    await written;
  });
  const stopReason = () => (abort.signal.reason instanceof Error ? abort.signal.reason.message : 'the probe was interrupted (Ctrl-C)');
  try {
    const startedAt = new Date();
    const t0 = performance.now();
    const lanes = new Semaphore(concurrency);
    const progress = many && progressEnabled(io.stderr, io.env, !!v.quiet) ? new Progress(io.stderr, endpoints.length) : undefined;
    const interrupted = new Promise<'interrupted'>((resolve) => abort.signal.addEventListener('abort', () => resolve('interrupted'), { once: true }));
    const settled = await Promise.all(
      endpoints.map(async (e) => {
        const servername = (v.servername as string | undefined) ?? e.servername;
        const d = await Promise.race([
          lanes.use(() =>
            abort.signal.aborted
              ? Promise.resolve(undefined)
              : diagnoseEndpoint({
                  host: e.host,
                  port: e.port,
                  ...(servername ? { servername } : {}),
                  ...common,
                  ...(e.path ? { httpPath: e.path } : {}),
                }).then((d) => (paths.length > 1 ? { ...d, target: `${d.target} ${e.path}` } : d)),
          ),
          interrupted,
        ]);
        if (d === 'interrupted' || d === undefined)
          return { target: `${formatEndpoint(e)}${paths.length > 1 ? ` ${e.path}` : ''}`, notFinished: `not finished: ${stopReason()}` };
        progress?.onDiagnosis(d.unreachable ? 'error' : d.enforced ? 'pass' : 'fail');
        return d;
      }),
    ).finally(() => progress?.end());
    const diagnoses = settled.filter((d): d is Diagnosis => !('notFinished' in d));
    const incomplete = abort.signal.aborted ? { reason: stopReason(), targetsFinished: diagnoses.length, targetsTotal: endpoints.length } : undefined;
    const timing = { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), durationMs: Math.round(performance.now() - t0) };
    const fullArgv = ['probe', ...argv];
    if (!many && diagnoses.length === 0) {
      reportsWritten();
      if (!isInternalFailure(abort.signal.reason))
        io.stderr.write('mtls-harness: incomplete: the probe was interrupted (Ctrl-C) before it finished; nothing to report\n');
      return 130;
    }
    // The `probe --json` document: written (and digested for the HTML) piece by piece, never whole.
    const jsonDoc = many ? diagnosesToJson(diagnoses, fullArgv, incomplete) : diagnosisToJson(diagnoses[0]!, fullArgv);
    const doc = makeDocument(
      'probe',
      () => reportJsonChunks(jsonDoc),
      async (json) =>
        (await import('../../report/html/model.js')).probeHtmlPage(diagnoses, fullArgv, json, timing, { ...DEFAULT_POLICY, warnDays, failDays }, incomplete),
    );
    let reportsOk = true;
    // An interrupt (or an escaped exception) waits for the reports and for --json on stdout, which
    // is written piece by piece: the process must not exit half-way through it.
    try {
      if (reports.length > 0 && diagnoses.length > 0) reportsOk = await writeReports(reports, doc, io, reportMode);
      if (jsonOut !== undefined && jsonOut !== '-') {
        try {
          await writeFileAtomicStreamed(jsonOut, (out) => writePiecesTo(out, doc.json()), reportMode);
        } catch (e) {
          reportsOk = false;
          const err = e as NodeJS.ErrnoException;
          io.stderr.write(
            `mtls-harness: error: could not write the JSON report to ${safeText(jsonOut, 300)}: ${safeText(err.code && /^E[A-Z]+$/.test(err.code) ? err.code : String(err.message ?? e).split('\n')[0]!, 300)}\n`,
          );
        }
      }
      const st = makeStyle({ isTTY: !!io.stdout.isTTY, env: io.env });
      if (jsonOut === '-') await writeStreamed(io.stdout, (out) => writePiecesTo(out, doc.json()));
      else if (!many) io.stdout.write(renderDiagnosis(diagnoses[0]!, st, io.stdout.columns ?? 100, !!v.quiet));
      else io.stdout.write(renderDiagnosisSummary(settled, st, io.stdout.columns ?? 120, !!v.quiet));
    } finally {
      reportsWritten();
    }
    if (incomplete) {
      if (!isInternalFailure(abort.signal.reason))
        io.stderr.write(`mtls-harness: incomplete: ${incomplete.reason}; ${incomplete.targetsFinished} of ${incomplete.targetsTotal} target(s) finished\n`);
      return 130;
    }
    return diagnoses.every((d) => d.enforced) && reportsOk ? 0 : 1;
  } finally {
    unregister?.();
  }
}

/**
 * `--json` takes a file, `-` for stdout, or nothing (stdout, as before it took a value): a bare
 * `--json` — last, before another flag, or before a target (`--json api:8443`) — is `--json=-`.
 */
function jsonToStdout(argv: string[]): string[] {
  const out = [...argv];
  for (let i = 0; i < out.length; i++) {
    if (out[i] === '--') break;
    if (out[i] !== '--json') continue;
    const next = out[i + 1];
    let endpoint = false;
    try {
      endpoint = next !== undefined && !!parseEndpoint(next);
    } catch {
      endpoint = false;
    }
    if (next === undefined || (next.startsWith('-') && next !== '-') || endpoint) out[i] = '--json=-';
  }
  return out;
}

/** The `probe --json` document: versioned, with the tool and the exact arguments (no secrets are in argv). */
export function diagnosisToJson(d: Diagnosis, argv: string[]) {
  return { schemaVersion: SCHEMA_VERSION, kind: 'probe', tool: toolInfo(), argv, diagnosis: d };
}

/** `probe --json` with several targets (or --targets-file): the diagnoses in target order. */
export function diagnosesToJson(ds: Diagnosis[], argv: string[], incomplete?: { reason: string; targetsFinished: number; targetsTotal: number }) {
  return { schemaVersion: SCHEMA_VERSION, kind: 'probe', tool: toolInfo(), argv, diagnoses: ds, ...(incomplete ? { incomplete } : {}) };
}
