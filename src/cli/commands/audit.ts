import { AUDIT_ROLES, auditPaths, type AuditRole } from '../../audit/audit.js';
import { p12Passphrase as p12PassphraseFrom } from '../../pki/pkcs12.js';
import { HarnessError } from '../../core/errors.js';
import { failsRun } from '../../core/status.js';
import { loadCaFile } from '../../pki/inspect.js';
import { collectProvenance } from '../../app/provenance.js';
import { runDocument, writeReports } from '../../report/outputs.js';
import { reportPaths, reportsToStdout, resolveReports } from '../../report/reporters/index.js';
import { assertReportPaths, parseReportMode } from '../../io/files.js';
import { renderResultsTable } from '../../report/results-table.js';
import { tableWidth } from '../../report/table-fit.js';
import { makeStyle } from '../../report/style.js';
import { parseCommandArgs, parseIntFlag, reportOptions } from '../args.js';
import type { CliIO } from '../io.js';
import { listChecks } from '../list-checks.js';
import { auditHelp } from '../help/audit.js';

function parseRole(spec: string): { file: string; role: AuditRole } {
  const i = spec.lastIndexOf('=');
  const file = i > 0 ? spec.slice(0, i) : '';
  const role = (i > 0 ? spec.slice(i + 1) : '').trim().toLowerCase();
  if (!file || !(AUDIT_ROLES as readonly string[]).includes(role)) {
    throw new HarnessError(
      'usage.invalid-value',
      `audit: --role "${spec}" must be FILE=ROLE with ROLE one of ${AUDIT_ROLES.join(', ')} (e.g. --role certs/tls.crt=server)`,
    );
  }
  return { file, role: role as AuditRole };
}

export async function auditCommand(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('audit', argv, {
    'list-checks': { type: 'boolean' },
    'expected-name': { type: 'string', multiple: true },
    role: { type: 'string', multiple: true },
    ca: { type: 'string' },
    'warn-days': { type: 'string' },
    'alert-days': { type: 'string' },
    'fail-days': { type: 'string' },
    'key-passphrase-env': { type: 'string' },
    'p12-passphrase-env': { type: 'string' },
    'fail-on': { type: 'string' },
    ...reportOptions(),
  });
  if (v.help) {
    io.stdout.write(auditHelp());
    return 0;
  }
  if (v['list-checks']) return listChecks(io);
  if (positionals.length === 0)
    throw new HarnessError('usage.missing-argument', 'audit: give at least one file or directory to audit (e.g. mtls-harness audit certs/)');
  const failOn = (v['fail-on'] as string | undefined) ?? 'fail';
  if (failOn !== 'warn' && failOn !== 'fail') throw new HarnessError('usage.invalid-value', `audit: --fail-on must be warn or fail, not "${failOn}"`);
  const warnFlag = v['warn-days'] as string | undefined;
  const alertFlag = v['alert-days'] as string | undefined;
  const warnDays = warnFlag !== undefined ? parseIntFlag('--warn-days', warnFlag, 0, 3650) : undefined;
  const alertDays = alertFlag !== undefined ? parseIntFlag('--alert-days', alertFlag, 0, 3650) : undefined;
  if (warnDays !== undefined && alertDays !== undefined && warnDays !== alertDays) {
    throw new HarnessError('usage.invalid-value', `audit: --alert-days is another name for --warn-days; they disagree (${alertDays} vs ${warnDays}): give one`);
  }
  const failDaysFlag = v['fail-days'] as string | undefined;
  const failDays = failDaysFlag !== undefined ? parseIntFlag('--fail-days', failDaysFlag, 0, 3650) : undefined;
  const roles = ((v.role as string[] | undefined) ?? []).map(parseRole);
  const passVar = v['key-passphrase-env'] as string | undefined;
  let passphrase: string | undefined;
  if (passVar !== undefined) {
    passphrase = io.env[passVar];
    if (passphrase === undefined) throw new HarnessError('usage.invalid-value', `audit: environment variable ${passVar} (the key passphrase) is not set`);
  }
  const p12Passphrase = p12PassphraseFrom('audit', v['p12-passphrase-env'] as string | undefined, io.env);
  const caFile = v.ca as string | undefined;
  const ca = caFile !== undefined ? { file: caFile, certs: loadCaFile(caFile).certs } : undefined;
  // Reports: flags only, checked before anything is read.
  const reports = resolveReports('audit', { values: v, env: io.env });
  const reportMode = parseReportMode(v['report-mode'] as string | undefined);
  assertReportPaths('audit', reportPaths(reports), [['--ca', caFile], ...positionals.map((p): [string, string] => ['audit path', p])]);

  const report = auditPaths({
    paths: positionals,
    expectedNames: (v['expected-name'] as string[] | undefined) ?? [],
    roles,
    ...(ca ? { ca } : {}),
    ...((warnDays ?? alertDays) !== undefined ? { warnDays: (warnDays ?? alertDays)! } : {}),
    ...(failDays !== undefined ? { failDays } : {}),
    ...(passphrase !== undefined ? { passphrase, passphraseSource: `$${passVar}` } : {}),
    ...(p12Passphrase !== undefined ? { p12Passphrase } : {}),
    failOn,
  });
  report.provenance = collectProvenance({ command: 'audit', values: v, files: positionals, env: io.env });
  const reportsOk = await writeReports(reports, runDocument(report, ['audit', ...argv]), io, reportMode);
  if (!reportsToStdout(reports)) {
    const st = makeStyle({ isTTY: !!io.stdout.isTTY, env: io.env });
    io.stdout.write(renderResultsTable(report, st, tableWidth(io.stdout.columns, io.env), !!v.quiet, !!v.compact));
  }
  return failsRun(report.summary, failOn) || !reportsOk ? 1 : 0;
}
