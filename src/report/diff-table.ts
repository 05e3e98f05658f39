/**
 * A diff on the terminal (`mtls-harness diff`): the changed (target, check) pairs and the changed
 * certificates as tables that fit the terminal (80 columns by default), the targets added, removed
 * and paired otherwise than by id as lines; and the short summary `run --baseline` prints under
 * its table. Everything read from a report goes through safeText.
 */
import type { DiffCertChange, DiffResultChange, RunDiff } from '../core/diff.js';
import { safeText } from '../core/text.js';
import { renderChunkedTable } from './results-table.js';
import type { Style } from './style.js';

const shown = (s: string | null) => s ?? 'absent';

/** `pass → FAIL`: the status now in capitals when it is a finding. */
function statusChange(c: DiffResultChange): string {
  const after = c.after === 'warn' || c.after === 'fail' || c.after === 'error' ? c.after.toUpperCase() : shown(c.after);
  return `${shown(c.before)} → ${after}`;
}

/** Fingerprints cut to their first 8 bytes (the JSON has them whole). */
const short = (v: string | undefined, max: number) =>
  v === undefined ? '—' : safeText(v, max).replace(/[0-9A-F]{2}(?::[0-9A-F]{2}){31}/g, (f) => `${f.slice(0, 23)}…`);

/** Words longer than a cell cut into lines of the cell's width (the table would cut them off). */
const fit = (s: string, width: number) => s.replace(new RegExp(`\\S{${width + 1},}`, 'g'), (w) => w.match(new RegExp(`.{1,${width}}`, 'g'))!.join('\n'));

/** The one-line summary: "diff: 1 new, 0 fixed, 2 other changes, …". */
export function diffSummaryLine(d: RunDiff): string {
  const s = d.summary;
  return `${s.new} new, ${s.fixed} fixed, ${s.changed} other change${s.changed === 1 ? '' : 's'}, ${s.targetsAdded} target(s) added, ${s.targetsRemoved} removed, ${s.certificates} certificate change${s.certificates === 1 ? '' : 's'}`;
}

/** Where the baseline came from: "old.json (run of 2026-11-29T03:00:00.000Z)". */
export function baselineText(d: RunDiff): string {
  return `${d.baseline.file !== undefined ? `${safeText(d.baseline.file, 200)} ` : ''}(run of ${safeText(d.baseline.startedAt, 40)})`;
}

/** Lines for targets paired otherwise than by id, added and removed. */
export function targetLines(d: RunDiff, max = 50): string[] {
  const lines: string[] = [];
  const t = (r: { id: string; endpoint: string }) => `${safeText(r.id, 80)} (${safeText(r.endpoint, 80)})`;
  for (const p of d.pairings)
    lines.push(
      p.by === 'endpoint'
        ? `paired by endpoint: ${t(p.baseline)} then, ${safeText(p.current.id, 80)} now`
        : `paired as the only target of each report: ${t(p.baseline)} then, ${t(p.current)} now`,
    );
  for (const a of d.targetsAdded) lines.push(`target added: ${t(a)}`);
  for (const r of d.targetsRemoved) lines.push(`target removed: ${t(r)}`);
  return lines.length > max ? [...lines.slice(0, max), `… and ${lines.length - max} more (the JSON has them all)`] : lines;
}

/** The diff as the `diff` command prints it, `width` columns wide (at least 80 are used). */
export function renderDiffTable(d: RunDiff, st: Style, width = 80): string {
  const w = Math.max(80, Math.min(width, 160));
  const now = `${d.current.file !== undefined ? `${safeText(d.current.file, 200)} ` : ''}(run of ${safeText(d.current.startedAt, 40)})`;
  const out: string[] = [`Baseline: ${baselineText(d)}`, `Now:      ${now}`];
  out.push(...targetLines(d));
  const targetW = Math.floor((w - 30) * 0.4);
  const checkW = w - 30 - targetW;
  const rows: string[][] = [];
  const push = (label: string, cs: DiffResultChange[]) => {
    for (const c of cs)
      rows.push([
        label,
        fit(safeText(c.targetId, 120), targetW - 2),
        fit(`${safeText(c.check, 120)}\n${safeText(c.message, 160)}`, checkW - 2),
        statusChange(c),
      ]);
  };
  push(st.bad('NEW'), d.new);
  push(st.ok('FIXED'), d.fixed);
  push('changed', d.changed);
  if (rows.length > 0) out.push(renderChunkedTable(['Change', 'Target', 'Check', 'Status'], [9, targetW, checkW, 16], rows));
  const beforeW = w - 14 - targetW;
  const certRows = d.certificates.map((c: DiffCertChange) => [
    fit(safeText(c.targetId, 120), targetW - 2),
    `${c.chain}\n${c.change}`,
    fit(`${short(c.before, 200)}\n→ ${short(c.after, 200)}`, beforeW - 2),
  ]);
  if (certRows.length > 0) out.push('Certificates changed:', renderChunkedTable(['Target', 'Chain', 'Before → now'], [targetW, 10, beforeW], certRows));
  out.push(`diff: ${diffSummaryLine(d)}`);
  return out.join('\n') + '\n';
}

/** What `run --baseline` prints under its table: the summary and the new findings (10 at most). */
export function renderDiffSummary(d: RunDiff): string {
  const lines = [`since baseline ${baselineText(d)}: ${diffSummaryLine(d)}`];
  for (const c of d.new.slice(0, 10)) lines.push(`  new: ${safeText(c.targetId, 60)} ${safeText(c.check, 120)} (${statusChange(c)})`);
  if (d.new.length > 10) lines.push(`  … and ${d.new.length - 10} more new (the JSON report's diff has them all)`);
  return lines.join('\n') + '\n';
}
