/**
 * `mtls-harness report merge a.json b.json …`: run reports merged into one fleet report
 * (src/app/merge.ts), written by the reporters' map like a run's, a per-source table on stdout.
 */
import { checkLabel, defaultLabel, mergeSources, readSource } from '../../app/merge.js';
import { collectProvenance } from '../../app/provenance.js';
import { HarnessError } from '../../core/errors.js';
import type { RunReport } from '../../core/model.js';
import { failsRun, STATUSES } from '../../core/status.js';
import { safeText } from '../../core/text.js';
import { assertReportPaths, parseReportMode } from '../../io/files.js';
import { runDocument, writeReports } from '../../report/outputs.js';
import { reportPaths, reportsToStdout, resolveReports } from '../../report/reporters/index.js';
import { parseCommandArgs, reportOptions } from '../args.js';
import { reportHelp } from '../help/report.js';
import type { CliIO } from '../io.js';

export async function reportMergeCommand(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals: files } = parseCommandArgs('report merge', argv, {
    label: { type: 'string', multiple: true },
    'fail-on': { type: 'string' },
    ...reportOptions(),
  });
  if (v.help) {
    io.stdout.write(reportHelp());
    return 0;
  }
  if (files.length === 0)
    throw new HarnessError(
      'usage.missing-argument',
      'report merge: give the JSON run reports to merge (mtls-harness report merge a.json b.json --html fleet.html)',
    );
  const failOn = (v['fail-on'] as string | undefined) ?? 'fail';
  if (failOn !== 'warn' && failOn !== 'fail')
    throw new HarnessError('usage.invalid-value', `report merge: --fail-on must be warn or fail, not "${safeText(failOn, 50)}"`);
  const labels = new Map<string, string>();
  for (const l of (v.label as string[] | undefined) ?? []) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new HarnessError('usage.invalid-value', `report merge: --label "${safeText(l, 100)}" is not NAME=FILE`);
    const file = l.slice(eq + 1);
    if (!files.includes(file))
      throw new HarnessError('usage.invalid-value', `report merge: --label ${safeText(l, 200)}: ${safeText(file, 200)} is not one of the files to merge`);
    labels.set(file, checkLabel(l.slice(0, eq), file));
  }
  const reports = resolveReports('report merge', { values: v, env: io.env });
  const reportMode = parseReportMode(v['report-mode'] as string | undefined);
  assertReportPaths(
    'report merge',
    reportPaths(reports),
    files.map((f): [string, string] => ['report', f]),
  );

  const sources = files.map((f) => readSource(f, labels.get(f) ?? checkLabel(defaultLabel(f), f)));
  const merged = mergeSources(sources);
  merged.provenance = collectProvenance({ command: 'report merge', env: io.env });
  const ok = await writeReports(reports, runDocument(merged, ['report', 'merge', ...argv]), io, reportMode);
  if (!reportsToStdout(reports)) io.stdout.write(sourcesTable(merged));
  return failsRun(merged.summary, failOn) || !ok ? 1 : 0;
}

/** One line per source, then the fleet's: label, targets, counts, SHA-256. */
function sourcesTable(m: RunReport): string {
  const rows = [['SOURCE', 'TARGETS', ...STATUSES.map((s) => s.toUpperCase()), 'SHA-256']];
  for (const s of m.sources ?? []) rows.push([s.label, String(s.targets), ...STATUSES.map((x) => String(s.summary[x])), s.sha256]);
  rows.push(['(fleet)', String(m.targets.length), ...STATUSES.map((x) => String(m.summary[x])), '']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
