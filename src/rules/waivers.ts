/**
 * Applying waivers to a finished run (docs/waivers.md), in one place for every report and the exit
 * code: a fail, warn or error result that a valid entry matches keeps its status and gains
 * `waiver`; the summary gets `waived`; the report gets `waivers` (unused and expired entries). An
 * entry holds through its `expires` day (UTC) and waives nothing from the day after.
 */
import type { Clock } from '../core/clock.js';
import type { Result, RunReport, TargetReport, WaiverListed, WaiversReport } from '../core/model.js';
import type { Status } from '../core/status.js';
import type { Waiver, WaiverSet } from '../config/waivers.js';

/** Only these statuses can be waived: a pass needs no waiver, a skip judges nothing. */
export const WAIVABLE: readonly Status[] = ['fail', 'warn', 'error'];

/** A glob (`*` any run of characters, `?` one) as an anchored regular expression; everything else literal. */
export function globRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

/** The UTC day of a moment: YYYY-MM-DD. */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Whether an entry has expired on `today` (YYYY-MM-DD): it holds through its expires day. */
export function isExpired(w: Pick<Waiver, 'expires'>, today: string): boolean {
  return today > w.expires;
}

interface Matcher {
  waiver: Waiver;
  target: RegExp;
  check: RegExp;
  expired: boolean;
  matched: number;
}

/** Whether the entry names this target: its id, its name or its endpoint. */
function targetMatches(m: Matcher, t: Pick<TargetReport, 'id' | 'name' | 'endpoint'> | undefined, r: Result): boolean {
  return t ? m.target.test(t.id) || m.target.test(t.name) || m.target.test(t.endpoint) : m.target.test(r.targetId) || m.target.test(r.target);
}

function listed(m: Matcher): WaiverListed {
  const w = m.waiver;
  return { index: w.index, ...(w.line ? { line: w.line } : {}), target: w.target, check: w.check, owner: w.owner, expires: w.expires, matched: m.matched };
}

/**
 * Applies `set` to `report` (in place) as of `clock()`: the first valid entry that matches a
 * fail/warn/error result waives it. Returns what the waivers did (also set as `report.waivers`).
 */
export function applyWaivers(report: RunReport, set: WaiverSet, clock: Clock): WaiversReport {
  const today = utcDay(clock());
  const matchers: Matcher[] = set.entries.map((w) => ({
    waiver: w,
    target: globRegExp(w.target),
    check: globRegExp(w.check),
    expired: isExpired(w, today),
    matched: 0,
  }));
  const targets = new Map(report.targets.map((t) => [t.id, t]));
  // The entries naming each target, found once per target (not once per result).
  const forTarget = new Map<string, Matcher[]>();
  let applied = 0;
  for (const r of report.results) {
    delete r.waiver;
    if (!WAIVABLE.includes(r.status)) continue;
    let named = forTarget.get(r.targetId);
    if (!named) {
      const t = targets.get(r.targetId);
      named = matchers.filter((m) => targetMatches(m, t, r));
      forTarget.set(r.targetId, named);
    }
    for (const m of named) {
      if (!m.check.test(r.check)) continue;
      m.matched++;
      if (m.expired || r.waiver) continue;
      const w = m.waiver;
      r.waiver = { reason: w.reason, owner: w.owner, expires: w.expires, file: set.file, index: w.index };
      applied++;
    }
  }
  const out: WaiversReport = {
    file: set.file,
    entries: set.entries.length,
    applied,
    unused: matchers.filter((m) => !m.expired && m.matched === 0).map(listed),
    expired: matchers.filter((m) => m.expired).map(listed),
  };
  report.summary.waived = applied;
  report.waivers = out;
  return out;
}

/** One line per unused or expired entry (for stderr, after the table); plain text, `safe` cleans what the file says. */
export function waiverNotices(w: WaiversReport, safe: (s: string) => string): string[] {
  const name = (l: WaiverListed) => `${safe(w.file)}${l.line ? `:${l.line}` : ''}: waivers[${l.index}] (target ${safe(l.target)}, check ${safe(l.check)})`;
  return [
    ...w.expired.map(
      (l) =>
        `mtls-harness: waiver expired: ${name(l)} expired on ${l.expires} (owner ${safe(l.owner)}); it waives nothing${l.matched ? `: ${l.matched} finding(s) fail the run again` : ''}`,
    ),
    ...w.unused.map((l) => `mtls-harness: waiver unused: ${name(l)} matched no fail, warn or error result; remove it if the finding is fixed`),
  ];
}
