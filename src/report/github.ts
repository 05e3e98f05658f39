/**
 * What a GitHub Actions step shows of a run (issue 21, docs/ci-integrations.md): `::error` /
 * `::warning` / `::notice` workflow commands for the findings (fail, warn, and inconclusive
 * checks, which are no finding of the server) and a markdown step summary. Everything in a report
 * is hostile text: workflow command data and properties are escaped by GitHub's rules (`%`, CR and
 * LF, plus `:` and `,` in properties), other controls and bidi characters are shown as `?`, and
 * the summary's markdown and HTML characters are escaped so a server's text never becomes a link,
 * an image or markup.
 */
import { HarnessError } from '../core/errors.js';
import { STATUSES, worstStatus, type Status, type Summary } from '../core/status.js';

/** The parts of a JSON report (docs/reports.md) this reads. */
export interface GithubReportInput {
  targets: { id: string; name?: string; endpoint?: string; source?: { file: string; line: number }; fileCertificates?: { file: string }[] }[];
  results: {
    targetId: string;
    check: string;
    title?: string;
    status: Status;
    message: string;
    remediation?: string;
    /** Set by a waiver (docs/waivers.md): the finding does not fail the run. */
    waiver?: { reason?: string; owner?: string; expires?: string };
  }[];
  summary: Summary;
  incomplete?: { reason: string };
}

/** At most this many annotations of each kind by default: GitHub shows 10 errors and 10 warnings of a step. */
export const DEFAULT_MAX_ANNOTATIONS = 10;
/** At most this many findings are listed in the summary (GitHub takes 1 MiB of summary per step). */
export const MAX_SUMMARY_ROWS = 200;

const COMMAND: Partial<Record<Status, 'error' | 'warning' | 'notice'>> = { fail: 'error', warn: 'warning', error: 'notice' };
const ICON: Record<Status, string> = { pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail', skip: '⏭️ skip', error: '❔ error' };

/** Controls other than CR/LF, DEL, C1, bidi and zero-width characters: shown as `?`. */
const UNSAFE = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const bounded = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}…` : s);

/** Workflow command data (the message): `%`, CR and LF escaped as GitHub's toolkit does. */
export function escapeData(s: string, max = 4000): string {
  return bounded(s.replace(UNSAFE, '?'), max).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command property value (file, title): data escaping plus `:` and `,`. */
export function escapeProperty(s: string, max = 300): string {
  return escapeData(s, max).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * Text for the markdown summary: one line; HTML characters as entities; the markdown punctuation
 * that makes emphasis, code, links, images, tables or autolinks (`:` of `https://`, `www.`) escaped.
 */
export function mdText(s: string, max = 500): string {
  return bounded(s.replace(UNSAFE, '?').replace(/[\r\n]+/g, ' '), max)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]!|~:]/g, (c) => `\\${c}`)
    .replace(/\b(www)\./gi, '$1\\.');
}

/** A JSON report's parts this reads, checked: anything else is a usage error naming the file. */
export function parseGithubInput(text: string, file: string): GithubReportInput {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new HarnessError('usage.invalid-value', `${file}: not a JSON report (not JSON)`);
  }
  const d = doc as Partial<GithubReportInput & { schemaVersion: unknown; run: { incomplete?: { reason: string } } }>;
  const str = (v: unknown) => typeof v === 'string';
  if (typeof d !== 'object' || d === null || typeof d.schemaVersion !== 'number' || !Array.isArray(d.results) || !Array.isArray(d.targets))
    throw new HarnessError('usage.invalid-value', `${file}: not a JSON report of run, audit, k8s scan or client-test (no schemaVersion, targets and results)`);
  for (const [i, r] of d.results.entries()) {
    if (typeof r !== 'object' || r === null || !str(r.targetId) || !str(r.check) || !str(r.message) || !STATUSES.includes(r.status))
      throw new HarnessError('usage.invalid-value', `${file}: results[${i}] is not a result (targetId, check, status, message)`);
  }
  const targets = d.targets.filter((t) => typeof t === 'object' && t !== null && str(t.id));
  const summary = Object.fromEntries(STATUSES.map((s) => [s, d.results!.filter((r) => r.status === s).length])) as Summary;
  return { targets, results: d.results, summary, ...(d.run?.incomplete && str(d.run.incomplete.reason) ? { incomplete: d.run.incomplete } : {}) };
}

/** A source file GitHub can place an annotation on: repository-relative, not leaving it. */
const annotatable = (f: string) => !f.startsWith('/') && !f.split('/').includes('..');

/**
 * The workflow commands for the findings, in report order: at most `max` of each kind, then one
 * notice saying how many more there are (the step summary lists them).
 */
export function annotationLines(input: GithubReportInput, max = DEFAULT_MAX_ANNOTATIONS): string[] {
  const targets = new Map(input.targets.map((t) => [t.id, t]));
  const shown: Record<string, number> = {};
  let more = 0;
  const lines: string[] = [];
  for (const r of input.results) {
    // A waived finding does not fail the run: a notice, never an error or a warning.
    const cmd = COMMAND[r.status] && r.waiver ? 'notice' : COMMAND[r.status];
    if (!cmd) continue;
    if ((shown[cmd] ?? 0) >= max) {
      more++;
      continue;
    }
    shown[cmd] = (shown[cmd] ?? 0) + 1;
    const t = targets.get(r.targetId);
    // The config or targets file line; an audited credential set: its first certificate file.
    const cert = t?.fileCertificates?.[0]?.file;
    const src = t?.source ?? (typeof cert === 'string' ? { file: cert, line: 1 } : undefined);
    const props = [
      ...(src && annotatable(src.file) && Number.isInteger(src.line) ? [`file=${escapeProperty(src.file)}`, `line=${src.line}`] : []),
      `title=${escapeProperty(`${r.waiver ? 'waived ' : ''}${r.status === 'error' ? 'inconclusive' : r.status}: ${r.check} on ${r.targetId}`)}`,
    ];
    const waived = r.waiver
      ? `\nWaived${r.waiver.owner ? ` by ${r.waiver.owner}` : ''}${r.waiver.expires ? ` until ${r.waiver.expires}` : ''}: ${r.waiver.reason ?? ''}`
      : '';
    const text =
      (r.status === 'error'
        ? `${r.targetId}: ${r.check} could not be judged (not a finding of the server): ${r.message}`
        : `${r.targetId}: ${r.message}${r.remediation ? `\nFix: ${r.remediation}` : ''}`) + waived;
    lines.push(`::${cmd} ${props.join(',')}::${escapeData(text)}`);
  }
  if (more > 0) lines.push(`::notice title=mtls-harness::${more} more findings are not annotated (at most ${max} of each kind): see the step summary`);
  return lines;
}

/** The step summary (markdown): the verdict and counts, a line per target, then the findings. */
export function stepSummary(input: GithubReportInput): string {
  const s = input.summary;
  // Waived findings keep their status but do not fail the run: the verdicts leave them out.
  const verdict = worstStatus(input.results.filter((r) => !r.waiver).map((r) => r.status));
  const waived = input.results.filter((r) => r.waiver).length;
  const out = [
    `## mtls-harness: ${ICON[verdict]}${input.incomplete ? ' (incomplete)' : ''}`,
    '',
    `${s.fail} fail, ${s.warn} warn, ${s.error} error (inconclusive), ${s.pass} pass, ${s.skip} skip${waived ? ` (${waived} waived)` : ''}; ${input.targets.length} target${input.targets.length === 1 ? '' : 's'}.`,
  ];
  if (input.incomplete) out.push('', `The run did not finish: ${mdText(input.incomplete.reason)}.`);
  const byTarget = new Map<string, { statuses: Status[]; counted: Status[] }>();
  for (const r of input.results) {
    const t = byTarget.get(r.targetId) ?? { statuses: [], counted: [] };
    t.statuses.push(r.status);
    if (!r.waiver) t.counted.push(r.status);
    byTarget.set(r.targetId, t);
  }
  out.push('', '| target | verdict | fail | warn | error | pass | skip |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  const rows = [...byTarget];
  for (const [id, { statuses, counted }] of rows.slice(0, MAX_SUMMARY_ROWS)) {
    const n = (st: Status) => statuses.filter((x) => x === st).length;
    out.push(`| ${mdText(id, 120)} | ${ICON[worstStatus(counted)]} | ${n('fail')} | ${n('warn')} | ${n('error')} | ${n('pass')} | ${n('skip')} |`);
  }
  if (rows.length > MAX_SUMMARY_ROWS) out.push('', `… and ${rows.length - MAX_SUMMARY_ROWS} more targets (the JSON and HTML reports have them all).`);
  const findings = input.results.filter((r) => COMMAND[r.status]);
  if (findings.length > 0) {
    out.push('', '### Findings', '', '| status | target | check | message |', '| --- | --- | --- | --- |');
    for (const r of findings.slice(0, MAX_SUMMARY_ROWS))
      out.push(
        `| ${ICON[r.status]}${r.waiver ? ' (waived)' : ''} | ${mdText(r.targetId, 120)} | \`${r.check.replace(/[^A-Za-z0-9._:-]/g, '?')}\` | ${mdText(r.message)} |`,
      );
    if (findings.length > MAX_SUMMARY_ROWS)
      out.push('', `… and ${findings.length - MAX_SUMMARY_ROWS} more findings (the JSON and HTML reports have them all).`);
  }
  return `${out.join('\n')}\n`;
}
