import { Table } from './table.js';
import type { Result, RunReport } from '../core/model.js';
import type { Status } from '../core/status.js';
import { safeText } from '../core/text.js';
import type { Style } from './style.js';
import { resultsByTarget } from './by-target.js';
import { declaredText, originText } from './origin.js';
import { cutText, fitCell, fitColumns, wrapText } from './table-fit.js';

const LABEL: Record<Status, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP', error: 'ERROR' };

function paint(st: Style, s: Status): string {
  switch (s) {
    case 'pass':
      return st.ok(LABEL[s]);
    case 'warn':
      return st.warn(LABEL[s]);
    case 'fail':
    case 'error':
      return st.bad(LABEL[s]);
    default:
      return st.dim(LABEL[s]);
  }
}

/** Above this many targets the terminal shows one row per target (the reports keep every check). */
export const PER_TARGET_ROWS_ABOVE = 10;

const SEVERITY: Status[] = ['error', 'fail', 'warn', 'pass', 'skip'];

/** The tables at least this wide show each count in its own column; narrower ones join them (pass/warn/fail/skip/error). */
const COUNT_COLUMNS_FROM = 100;

/** One row per target: its worst status, its counts and the checks to look at first. */
function renderTargetsTable(run: RunReport, st: Style, width: number, quiet: boolean, compact: boolean): string {
  const rows: { id: string; worst: Status; counts: string[]; look: string; first: string }[] = [];
  const byTarget = resultsByTarget(run.results);
  for (const t of run.targets) {
    const rs = byTarget.get(t.id) ?? [];
    const worst = SEVERITY.find((s) => rs.some((r) => r.status === s)) ?? 'skip';
    if (quiet && worst !== 'error' && worst !== 'fail' && worst !== 'warn') continue;
    const counts = (['pass', 'warn', 'fail', 'skip', 'error'] as const).map((s) => String(rs.filter((r) => r.status === s).length));
    const bad = rs.filter((r) => r.status === 'fail' || r.status === 'error');
    const look = (bad.length > 0 ? bad : rs.filter((r) => r.status === 'warn')).slice(0, 3);
    const first = bad.find((r) => r.status === 'error') ?? bad[0];
    rows.push({
      id: safeText(t.id, 60),
      worst,
      counts,
      look: look.map((r) => r.check + (r.waiver ? ' (waived)' : '')).join(', '),
      first: first ? safeText(first.message, 160) : '',
    });
  }
  if (rows.length === 0) return '';
  if (compact)
    return rows.map((r) => compactLine(st, r.worst, `${r.id}  ${r.counts.join('/')}  ${[r.look, r.first].filter(Boolean).join(': ')}`, width)).join('');
  const wide = width >= COUNT_COLUMNS_FROM;
  const countsWidth = Math.max(11, ...rows.map((r) => r.counts.join('/').length + 2));
  const cols = fitColumns(width, [
    { weight: 2, min: 6, max: 30 },
    { fixed: 9 },
    ...(wide ? [{ fixed: 6 }, { fixed: 6 }, { fixed: 6 }, { fixed: 6 }, { fixed: 7 }] : [{ weight: 1, min: 7, max: countsWidth }]),
    { weight: 3, min: 8 },
  ]);
  const note = cols[cols.length - 1]!;
  const cells = rows.map((r) => [
    fitCell(r.id, cols[0]!),
    paint(st, r.worst),
    ...(wide ? r.counts : [fitCell(r.counts.join('/'), cols[2]!)]),
    fitCell(r.look + (r.first ? `\n${r.first}` : ''), note),
  ]);
  const head = ['Target', 'Verdict', ...(wide ? ['pass', 'warn', 'fail', 'skip', 'error'] : [fitCell('pass/warn/ fail/skip/ error', cols[2]!)]), 'To look at'];
  return renderChunkedTable(head, cols, cells) + '\n';
}

/** One line: the status, then `text` cut with … so that the line is at most `width` wide. */
function compactLine(st: Style, status: Status, text: string, width: number): string {
  return `${paint(st, status)}${' '.repeat(6 - LABEL[status].length)}${cutText(text.replace(/\s*\n\s*/g, ' '), width - 6)}\n`;
}

/** Rows per cli-table3 table: its layout is quadratic in the number of rows (1.7 s for 3,000). */
export const TABLE_CHUNK_ROWS = 100;

/**
 * One table with fixed column widths, drawn by cli-table3 in chunks of TABLE_CHUNK_ROWS rows and
 * stitched together (each chunk's bottom border becomes a row separator, the next one's top border
 * goes): the same text as one table, in time linear in the number of rows. The cells come wrapped
 * to their column (table-fit.ts fitCell): cli-table3 wraps nothing (its word wrap cost 2/3 of the
 * time of a 3,000-target table) and cuts a line longer than its column.
 */
export function renderChunkedTable(head: string[], colWidths: number[], rows: string[][], chunkRows = TABLE_CHUNK_ROWS): string {
  const parts: string[] = [];
  for (let i = 0; i === 0 || i < rows.length; i += chunkRows) {
    const table = new Table({ head: i === 0 ? head : [], style: { head: [], border: [] }, wordWrap: false, colWidths });
    for (const row of rows.slice(i, i + chunkRows)) table.push(row);
    const lines = table.toString().split('\n');
    if (i > 0) lines.shift();
    if (i + chunkRows < rows.length) lines[lines.length - 1] = lines[lines.length - 1]!.replace(/└/g, '├').replace(/┴/g, '┼').replace(/┘/g, '┤');
    parts.push(lines.join('\n'));
  }
  return parts.join('\n');
}

/**
 * The terminal table: one row per (target, check) with one plain sentence (one row per target
 * above PER_TARGET_ROWS_ABOVE targets), then a summary line. The table's lines are at most `width`
 * wide (src/report/table-fit.ts); `compact`: one line per row instead of a table.
 */
export function renderResultsTable(run: RunReport, st: Style, width = 120, quiet = false, compact = false): string {
  if (run.targets.length > PER_TARGET_ROWS_ABOVE) {
    const s = run.summary;
    const failingIds = new Set(run.results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => r.targetId));
    const failing = run.targets.filter((t) => failingIds.has(t.id)).length;
    const summary = `${run.results.length} checks on ${run.targets.length} targets in ${(run.durationMs / 1000).toFixed(2)} s: ${s.pass} passed, ${s.warn} warned, ${s.fail} failed, ${s.skip} skipped, ${s.error} errors${waivedText(s)}; ${failing} target(s) with failures or errors (every check is in the JSON/JUnit/HTML reports)`;
    return `${renderTargetsTable(run, st, width, quiet, compact)}${wrapText(summary, width)}\n`;
  }
  const rows: Result[] = quiet ? run.results.filter((r) => r.status === 'fail' || r.status === 'error' || r.status === 'warn') : run.results;
  const multi = run.targets.length > 1;
  const s = run.summary;
  const line = `${run.results.length} checks on ${run.targets.length} target(s) in ${(run.durationMs / 1000).toFixed(2)} s: ${s.pass} passed, ${s.warn} warned, ${s.fail} failed, ${s.skip} skipped, ${s.error} errors${waivedText(s)}`;
  // The notes (each target's protocol, origin and fix) stay one line each: a fix is copied whole.
  const notes = wrapText(line, width) + '\n' + protocolLines(run) + originLines(run);
  if (compact)
    return (
      rows
        .map((r) =>
          compactLine(
            st,
            r.status,
            `${multi ? `${safeText(r.targetId, 60)}  ` : ''}${r.check}${r.waiver ? ' (waived)' : ''}  ${safeText(r.message, 600)}`,
            width,
          ),
        )
        .join('') + notes
    );
  const cols = fitColumns(width, [...(multi ? [{ weight: 2, min: 6, max: 24 }] : []), { fixed: 8 }, { weight: 3, min: 10, max: 40 }, { weight: 6, min: 10 }]);
  const [msgWidth, checkWidth] = [cols[cols.length - 1]!, cols[cols.length - 2]!];
  const head = [...(multi ? ['Target'] : []), 'Status', 'Check', 'Finding'];
  const table = new Table({ head, style: { head: [], border: [] }, wordWrap: false, colWidths: cols });
  for (const r of rows)
    table.push([
      ...(multi ? [fitCell(safeText(r.targetId, 60), cols[0]!)] : []),
      paint(st, r.status) + (r.waiver ? `\n${st.dim('waived')}` : ''),
      fitCell(r.check, checkWidth),
      fitCell(
        safeText(r.message, 600) + (r.remediation && (r.status === 'fail' || r.status === 'warn') ? `\n→ ${safeText(r.remediation, 300)}` : '') + waiverText(r),
        msgWidth,
      ),
    ]);
  return (rows.length > 0 ? table.toString() + '\n' : '') + notes;
}

/** ", N waived (not failing the run)" when waivers were given. */
function waivedText(s: RunReport['summary']): string {
  return s.waived !== undefined ? `, ${s.waived} waived (not failing the run)` : '';
}

/** A waived result's waiver, under its finding. */
function waiverText(r: Result): string {
  const w = r.waiver;
  return w ? `\nwaived until ${w.expires} by ${safeText(w.owner, 80)}: ${safeText(w.reason, 300)}` : '';
}

/**
 * Where each target with a finding comes from (k8s scan: the object and the part of it, what it
 * declares) and the fix in the object's terms that its findings' advice carries.
 */
function originLines(run: RunReport): string {
  const lines: string[] = [];
  const byTarget = resultsByTarget(run.results);
  for (const t of run.targets) {
    const o = t.origin;
    const bad = (byTarget.get(t.id) ?? []).filter((r) => r.status === 'fail' || r.status === 'error' || r.status === 'warn');
    if (!o || bad.length === 0) continue;
    if (lines.length >= 40) {
      lines.push("… (the JSON report has every target's origin)");
      break;
    }
    const declared = declaredText(o);
    lines.push(`${safeText(t.id, 120)} ← ${originText(o)}${declared ? ` (${safeText(declared, 400)})` : ''}`);
    for (const fix of new Set(Object.values(o.fixes ?? {}).filter((f) => bad.some((r) => r.remediation?.includes(f)))))
      lines.push(`  fix: ${safeText(fix, 400)}`);
  }
  return lines.map((l) => l + '\n').join('');
}

/** How each target's protocol was detected (targets given no --protocol): "protocol: postgres (SSLRequest answered S)". */
function protocolLines(run: RunReport): string {
  const detected = run.targets.filter((t) => t.appProtocol?.detected);
  const lines = detected
    .slice(0, 20)
    .map((t) => `${run.targets.length > 1 ? `${safeText(t.id, 60)}: ` : ''}protocol: ${t.appProtocol!.name} (${safeText(t.appProtocol!.detected!, 200)})`);
  if (detected.length > 20) lines.push(`… and ${detected.length - 20} more (the JSON report has each target's appProtocol)`);
  return lines.map((l) => l + '\n').join('');
}
