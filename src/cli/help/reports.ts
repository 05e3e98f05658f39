import { reportersFor, reportHelp } from '../../report/reporters/index.js';
import { COMPACT_LINE, QUIET_LINE, REPORT_MODE_LINE } from './format.js';

/**
 * The Reports section of the commands that run checks (run, k8s scan, audit, client-test): one line
 * per reporter of the map (src/report/reporters), so a reporter registered there has its flag here.
 */
export function reportsSection(): string {
  return `Reports (at most one of them on stdout; docs/reports.md):
${reportHelp(reportersFor('run'))}
${REPORT_MODE_LINE}
${QUIET_LINE}
${COMPACT_LINE}`;
}
