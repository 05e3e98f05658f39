/**
 * `mtls-harness baseline r.json`: a waivers file (docs/waivers.md) with one entry per fail, warn
 * and error result of a JSON run report, each still to be given a reason and an owner (loading
 * refuses the file until then). The report is hostile input: its size is bounded, its schema
 * version checked, and every string from it is quoted (YAML double-quoted, escaped) or cleaned
 * before it reaches a comment.
 */
import type { Clock } from '../core/clock.js';
import { addDays } from '../core/clock.js';
import { HarnessError } from '../core/errors.js';
import { SCHEMA_VERSION } from '../core/model.js';
import { STATUSES, type Status } from '../core/status.js';
import { safeText } from '../core/text.js';
import { isCalendarDate } from '../config/waivers.js';
import { readInputFile, STDIN } from '../io/files.js';
import { utcDay, WAIVABLE } from '../rules/waivers.js';

/** The largest report read (a 1,000-target JSON report is about 26 MB). */
export const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/** What baseline reads of a report: each result's target id, check, status and message. */
export interface BaselineFinding {
  targetId: string;
  check: string;
  status: Status;
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads a JSON run report's findings (fail, warn, error), checked: exit 2 with one clear line for a bad file. */
export function readReportFindings(file: string): BaselineFinding[] {
  const name = file === STDIN ? '(stdin)' : file;
  const bad = (why: string): never => {
    throw new HarnessError('usage.invalid-value', `baseline: ${name}: ${why}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(readInputFile(file, 'JSON report', MAX_REPORT_BYTES, 'usage.invalid-value').toString('utf8'));
  } catch (e) {
    if (e instanceof HarnessError) throw e;
    return bad(`not JSON (${safeText((e as Error).message, 120)}); give the report run --json wrote`);
  }
  if (!isObject(doc)) return bad('not a run report (a JSON object with schemaVersion and results)');
  if (doc.schemaVersion !== SCHEMA_VERSION)
    bad(`schemaVersion ${safeText(JSON.stringify(doc.schemaVersion) ?? 'missing', 20)} is not ${SCHEMA_VERSION}: give a report of this version (run --json)`);
  if (doc.kind === 'probe') bad('a probe diagnosis, not a run report: give the report run --json (or k8s scan --json) wrote');
  if (!Array.isArray(doc.results)) return bad('no results list: give the report run --json wrote');
  const out: BaselineFinding[] = [];
  for (const [i, r] of (doc.results as unknown[]).entries()) {
    if (!isObject(r) || typeof r.targetId !== 'string' || typeof r.check !== 'string' || !STATUSES.includes(r.status as Status))
      bad(`results[${i}] is not a result (targetId, check and status expected)`);
    const res = r as Record<string, unknown>;
    if (!WAIVABLE.includes(res.status as Status)) continue;
    out.push({
      targetId: res.targetId as string,
      check: res.check as string,
      status: res.status as Status,
      message: typeof res.message === 'string' ? res.message : '',
    });
  }
  return out;
}

/** `--expires`: a date YYYY-MM-DD, or a number of days from today (`90d`). Default 90 days. */
export function parseExpires(value: string | undefined, clock: Clock): string {
  const v = (value ?? '90d').trim();
  const days = /^(\d{1,4})d$/.exec(v);
  if (days) {
    const n = Number(days[1]);
    if (n < 1 || n > 3650) throw new HarnessError('usage.invalid-value', `baseline: --expires ${v}: give 1d to 3650d, or a date YYYY-MM-DD`);
    return utcDay(addDays(clock(), n));
  }
  if (!isCalendarDate(v))
    throw new HarnessError('usage.invalid-value', `baseline: --expires must be a date YYYY-MM-DD or a number of days such as 90d, not "${safeText(v, 40)}"`);
  if (v < utcDay(clock())) throw new HarnessError('usage.invalid-value', `baseline: --expires ${v} is in the past: the waivers would waive nothing`);
  return v;
}

/** Characters a YAML double-quoted scalar must not carry raw (JSON leaves them): escaped as \uXXXX. */
const YAML_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** A YAML double-quoted scalar of any text (JSON's escapes are YAML's). */
export function yamlQuoted(s: string): string {
  return JSON.stringify(s).replace(YAML_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Hostile text as a YAML comment's text: one line, no control, bidi or separator characters. */
const commentText = (s: string, max: number) => safeText(s, max).replace(YAML_UNSAFE, '?');

/** The waivers file for `findings` (one entry each, in report order), with the instructions on top. */
export function baselineYaml(findings: readonly BaselineFinding[], o: { report: string; expires: string; today: string }): string {
  const lines = [
    '# mtls-harness waivers (docs/waivers.md): findings accepted for now.',
    `# Written by \`mtls-harness baseline\` on ${o.today} from ${commentText(o.report, 200)}: one entry per fail, warn and error.`,
    '# Before this file is used, for every entry you keep:',
    '#   reason:  write why the finding is accepted (an empty reason or a TODO is refused);',
    '#   owner:   who accepted it (a person or a team);',
    '#   expires: the last day it holds (UTC); the day after, the finding fails the run again.',
    '# Delete the entries you do not accept: their findings keep failing the run.',
    '# target is a glob (* and ?) matched against the target id, name and endpoint; check an id or a glob.',
    '# Use: mtls-harness run --waivers mtls-waivers.yaml ... (or waivers: in the config file).',
    findings.length === 0 ? 'waivers: []' : 'waivers:',
  ];
  for (const f of findings) {
    lines.push(
      `  # ${f.status.toUpperCase()}: ${commentText(f.message, 200)}`,
      `  - target: ${yamlQuoted(f.targetId)}`,
      `    check: ${yamlQuoted(f.check)}`,
      '    reason: ""',
      '    owner: ""',
      `    expires: "${o.expires}"`,
    );
  }
  return lines.join('\n') + '\n';
}
