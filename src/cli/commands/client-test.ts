import * as path from 'node:path';
import { loadConfigFile, type FileClient } from '../../config/load.js';
import { HarnessError, isInternalFailure } from '../../core/errors.js';
import { checkClientSpec, PLACEHOLDERS, type ClientSpec } from '../../client-test/command.js';
import { CLIENT_CHECKS } from '../../../suites/client-conformance.js';
import { checkLimboRouting, CORPORA, limboFigures, limboSummaryLine, loadLimbo, matchCaseIds, runLimbo, stageableLimboCases } from '../../client-test/limbo.js';
import { OBSERVER_IMPLEMENTATIONS, runClientConformance, type ObserverImplementation } from '../../client-test/run.js';
import { mintFixturePki } from '../../pki/generate.js';
import { collectProvenance } from '../../app/provenance.js';
import { runDocument, writeReports } from '../../report/outputs.js';
import { reportConfigKeys, reportPaths, reportsToStdout, resolveReports } from '../../report/reporters/index.js';
import { assertReportPaths, parseReportMode } from '../../io/files.js';
import { renderResultsTable } from '../../report/results-table.js';
import { tableWidth } from '../../report/table-fit.js';
import { makeStyle } from '../../report/style.js';
import { failsRun, summarize } from '../../core/status.js';
import { markIncomplete, matchCheckIds } from '../../runner/run.js';
import type { Result, RunReport } from '../../core/model.js';
import { IMPLEMENTATIONS } from '../../targets/reference/index.js';
import { findBinary } from '../../targets/reference/process.js';
import { safeText } from '../../core/text.js';
import { parseCommandArgs, parseDuration, parseIntFlag, splitList, reportOptions } from '../args.js';
import type { CliIO } from '../io.js';
import { listChecks } from '../list-checks.js';
import { interruptibleRun, sayIncomplete } from './run.js';
import { clientTestHelp } from '../help/client-test.js';

const DEFAULT_TIMEOUT_MS = 10_000;

export async function clientTestCommand(argv: string[], io: CliIO): Promise<number> {
  const dash = argv.indexOf('--');
  const flags = dash >= 0 ? argv.slice(0, dash) : argv;
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  const { values: v, positionals } = parseCommandArgs('client-test', flags, {
    name: { type: 'string' },
    reference: { type: 'string' },
    check: { type: 'string', multiple: true },
    'list-checks': { type: 'boolean' },
    corpus: { type: 'string' },
    case: { type: 'string', multiple: true },
    concurrency: { type: 'string' },
    timeout: { type: 'string' },
    'fail-on': { type: 'string' },
    config: { type: 'string' },
    ...reportOptions(),
  });
  if (v.help) {
    io.stdout.write(clientTestHelp());
    return 0;
  }
  if (v['list-checks']) return listChecks(io);
  if (positionals.length > 0)
    throw new HarnessError(
      'usage.invalid-value',
      `client-test: unexpected argument "${safeText(positionals[0]!, 100)}": the client's command goes after -- (mtls-harness client-test -- curl ...)`,
    );
  const env = io.env;

  const reference = (v.reference as string | undefined) ?? 'node';
  if (!(OBSERVER_IMPLEMENTATIONS as readonly string[]).includes(reference)) {
    if (!(IMPLEMENTATIONS as readonly string[]).includes(reference))
      throw new HarnessError(
        'usage.invalid-value',
        `client-test: unknown reference implementation "${safeText(reference, 100)}"; implementations: ${IMPLEMENTATIONS.join(', ')}`,
      );
    throw new HarnessError(
      'usage.invalid-value',
      `client-test: the ${reference} reference cannot report what a client did (whether its handshake completed, the alert it sent, the certificate it presented and whether it chains); client-test runs against ${OBSERVER_IMPLEMENTATIONS.join(' or ')}`,
    );
  }
  if (reference === 'nginx' && !findBinary('nginx'))
    throw new HarnessError('usage.invalid-value', 'client-test: --reference nginx: nginx is not installed (apt-get install nginx-light)');
  if (reference !== 'node' && v.corpus !== undefined)
    throw new HarnessError(
      'usage.invalid-value',
      `client-test: --corpus runs on the node reference only (it classifies handshakes the server itself cannot make, e.g. with a P-192 or DSA key, from node's errors); drop --reference ${reference}`,
    );
  const corpus = v.corpus as string | undefined;
  if (corpus !== undefined && !(CORPORA as readonly string[]).includes(corpus))
    throw new HarnessError('usage.invalid-value', `client-test: unknown corpus "${safeText(corpus, 100)}"; corpora: ${CORPORA.join(', ')}`);
  if (v.case && corpus === undefined) throw new HarnessError('usage.invalid-value', 'client-test: --case selects corpus cases; give --corpus limbo too');
  const checkPatterns = v.check ? (v.check as string[]).flatMap((x) => splitList(x)) : undefined;
  if (checkPatterns && corpus !== undefined)
    throw new HarnessError('usage.invalid-value', 'client-test: --check selects client-conformance checks; with --corpus use --case');
  const checkIds = checkPatterns
    ? matchCheckIds(
        CLIENT_CHECKS.map((c) => c.id),
        checkPatterns,
        `checks: ${CLIENT_CHECKS.map((c) => c.id).join(', ')}`,
      )
    : undefined;
  const configFile = (v.config as string | undefined) ?? env.MTLS_CONFIG;
  const file = configFile ? loadConfigFile(configFile, reportConfigKeys()) : {};
  const failOn = (v['fail-on'] as string | undefined) ?? env.MTLS_FAIL_ON ?? file.failOn ?? 'fail';
  if (failOn !== 'warn' && failOn !== 'fail')
    throw new HarnessError('usage.invalid-value', `client-test: --fail-on must be warn or fail, not "${safeText(failOn, 50)}"`);
  const flagTimeout = v.timeout !== undefined ? parseDuration('--timeout', v.timeout as string) : undefined;
  const concurrency = v.concurrency !== undefined ? parseIntFlag('--concurrency', v.concurrency as string, 1, 32) : 4;
  const baseDir = configFile ? path.dirname(path.resolve(configFile)) : process.cwd();
  // Reports: flag > the config file's reports: (no MTLS_* variables here), checked before anything starts.
  const reports = resolveReports('client-test', { values: v, env, config: { reports: file.reports, baseDir } });
  const reportMode = parseReportMode(v['report-mode'] as string | undefined);
  assertReportPaths('client-test', reportPaths(reports), [['--config', configFile]]);

  // The command after -- replaces the file's clients (flags over file).
  const clients: ClientSpec[] = [];
  if (command.length > 0) {
    const spec: ClientSpec = { name: (v.name as string | undefined) ?? path.basename(command[0]!), command, timeoutMs: flagTimeout ?? DEFAULT_TIMEOUT_MS };
    checkClientSpec(spec, 'client-test', env);
    clients.push(spec);
  } else {
    for (const [i, c] of (file.clients ?? []).entries()) clients.push(fileClient(c, i, configFile!, flagTimeout, env));
  }
  if (clients.length === 0)
    throw new HarnessError(
      'usage.missing-argument',
      `client-test: no client to test: give its command after -- (e.g. mtls-harness client-test -- curl --cacert {ca} --cert {cert} --key {key} --resolve {resolve} {url}) or clients: in --config; placeholders: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
    );
  const names = new Set<string>();
  for (const c of clients) {
    if (names.has(c.name)) throw new HarnessError('config.invalid', `client-test: two clients are named "${safeText(c.name, 100)}"; give each a name`);
    names.add(c.name);
  }
  const cases =
    corpus === 'limbo' ? matchCaseIds(stageableLimboCases(loadLimbo()), v.case ? (v.case as string[]).flatMap((c) => splitList(c)) : undefined) : [];
  if (corpus === 'limbo') {
    for (const c of clients) checkLimboRouting(c);
    if (cases.length === 0) throw new HarnessError('usage.invalid-value', `client-test: no limbo case matches ${(v.case as string[]).join(', ')}`);
  }

  const pki = await mintFixturePki();
  const onInterrupt = io.onInterrupt?.bind(io);
  // Ctrl-C as in run: the checks end at once, the reports are written marked incomplete, exit 130.
  const interrupt = interruptibleRun(io, async () => undefined);
  let report: RunReport;
  let reportsOk: boolean;
  try {
    if (interrupt.signal.aborted) return 130;
    interrupt.running();
    const signal = interrupt.signal;
    if (corpus === 'limbo') {
      const parts: RunReport[] = [];
      for (const client of clients) parts.push(await runLimbo({ client, cases, concurrency, pki, signal, ...(onInterrupt ? { onInterrupt } : {}) }));
      report = mergeReports(parts);
      markIncomplete(report, signal, clients.length);
    } else {
      report = await runClientConformance({
        clients,
        pki,
        reference: reference as ObserverImplementation,
        signal,
        ...(checkIds ? { checkIds } : {}),
        ...(onInterrupt ? { onInterrupt } : {}),
      });
    }
    report.provenance = collectProvenance({ command: 'client-test', values: v, env, configFile });
    reportsOk = await writeReports(reports, runDocument(report, ['client-test', ...argv]), io, reportMode);
  } finally {
    interrupt.written();
    interrupt.unregister();
  }
  if (!isInternalFailure(interrupt.signal.reason)) sayIncomplete(io, report);
  if (!reportsToStdout(reports)) {
    const st = makeStyle({ isTTY: !!io.stdout.isTTY, env });
    io.stdout.write(renderResultsTable(report, st, tableWidth(io.stdout.columns, io.env), !!v.quiet, !!v.compact));
    if (corpus === 'limbo') {
      for (const c of clients) io.stdout.write(`${limboSummaryLine(c.name, limboFigures(report.results.filter((r: Result) => r.target === c.name)))}\n`);
    }
  }
  if (report.incomplete) return 130;
  return failsRun(report.summary, failOn) || !reportsOk ? 1 : 0;
}

function fileClient(c: FileClient, i: number, configFile: string, flagTimeout: number | undefined, env: NodeJS.ProcessEnv): ClientSpec {
  const where = `${configFile}:${c.line ?? 1}`;
  const program = Array.isArray(c.command) ? c.command[0]! : (c.command.trim().split(/\s+/)[0] ?? 'client');
  const spec: ClientSpec = {
    name: c.name ?? path.basename(program),
    command: c.command,
    ...(c.env ? { env: c.env } : {}),
    timeoutMs: flagTimeout ?? (c.timeout !== undefined ? parseDuration(`${where} clients[${i}].timeout`, c.timeout) : DEFAULT_TIMEOUT_MS),
  };
  checkClientSpec(spec, `${where} clients[${i}]`, env);
  return spec;
}

/** One report of several runs (one per client). */
function mergeReports(parts: RunReport[]): RunReport {
  const results = parts.flatMap((p) => p.results);
  return {
    startedAt: parts[0]!.startedAt,
    finishedAt: parts[parts.length - 1]!.finishedAt,
    durationMs: parts.reduce((n, p) => n + p.durationMs, 0),
    targets: parts.flatMap((p) => p.targets),
    results,
    summary: summarize(results),
  };
}
