import Table from 'cli-table3';
import type { Result, RunReport, Status } from '../runner/types.js';
import { safeText } from '../text.js';
import type { Style } from './style.js';

const LABEL: Record<Status, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP', error: 'ERROR' };

function paint(st: Style, s: Status): string {
  switch (s) {
    case 'pass': return st.ok(LABEL[s]);
    case 'warn': return st.warn(LABEL[s]);
    case 'fail':
    case 'error': return st.bad(LABEL[s]);
    default: return st.dim(LABEL[s]);
  }
}

/** The terminal table: one row per (target, check) with one plain sentence, then a summary line. */
export function renderResultsTable(run: RunReport, st: Style, width = 120, quiet = false): string {
  const rows: Result[] = quiet ? run.results.filter((r) => r.status === 'fail' || r.status === 'error' || r.status === 'warn') : run.results;
  const multi = run.targets.length > 1;
  const msgWidth = Math.max(40, width - (multi ? 26 : 0) - 50);
  const head = [...(multi ? ['Target'] : []), 'Status', 'Check', 'Finding'];
  const table = new Table({ head, style: { head: [], border: [] }, wordWrap: true, colWidths: [...(multi ? [24] : []), 8, 40, msgWidth] });
  for (const r of rows) table.push([...(multi ? [safeText(r.target, 60)] : []), paint(st, r.status), r.check, safeText(r.message, 600) + (r.remediation && (r.status === 'fail' || r.status === 'warn') ? `\n→ ${safeText(r.remediation, 300)}` : '')]);
  const s = run.summary;
  const line = `${run.results.length} checks on ${run.targets.length} target(s) in ${(run.durationMs / 1000).toFixed(2)} s: ${s.pass} passed, ${s.warn} warned, ${s.fail} failed, ${s.skip} skipped, ${s.error} errors`;
  return (rows.length > 0 ? table.toString() + '\n' : '') + line + '\n';
}
