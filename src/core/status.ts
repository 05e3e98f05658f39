/**
 * The statuses a check ends in (CONFORMANCE.md), and the one place they are ordered, ranked and
 * counted: the report order, the severity ranking, the summary and the exit decision.
 */

/** Every check ends in exactly one status (CONFORMANCE.md). */
export type Status = 'pass' | 'warn' | 'fail' | 'skip' | 'error';
/** Report order: the summary's keys and every per-status listing follow it. */
export const STATUSES: readonly Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];

/** `waived`: how many of the counted results a waiver accepts (set only when waivers were given; docs/waivers.md). */
export type Summary = Record<Status, number> & { waived?: number };

/** Worst first: error > fail > warn > pass > skip (a pass says something about a target, a skip nothing). */
export const SEVERITY: readonly Status[] = ['error', 'fail', 'warn', 'pass', 'skip'];

const RANK: Readonly<Record<Status, number>> = Object.fromEntries(SEVERITY.map((s, i) => [s, SEVERITY.length - i])) as Record<Status, number>;

/** True when `a` is worse than `b` in the SEVERITY order. */
export function isWorse(a: Status, b: Status): boolean {
  return RANK[a] > RANK[b];
}

/** The worst of some statuses; `skip` when there are none (or all were skipped). */
export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = 'skip';
  for (const s of statuses) if (isWorse(s, worst)) worst = s;
  return worst;
}

/** The first of the worst items of a non-empty list: the verdict that decides a check made of several. */
export function worstOf<T extends { status: Status }>(items: readonly T[]): T {
  return items.reduce((a, b) => (isWorse(b.status, a.status) ? b : a));
}

/** How many results ended in each status: every status present, in report order. */
export function summarize(results: Iterable<{ status: Status }>): Summary {
  const s = Object.fromEntries(STATUSES.map((k) => [k, 0])) as Summary;
  for (const r of results) s[r.status]++;
  return s;
}

/**
 * `--fail-on`: the least status that fails a run; `new`: only findings new since the baseline
 * (`--baseline`, docs/diff.md) fail it, which the summary alone cannot tell.
 */
export type FailOn = 'fail' | 'warn' | 'new';

/** The summary of the results no waiver accepts: what decides the exit code. */
export function unwaivedSummary(results: Iterable<{ status: Status; waiver?: unknown }>): Summary {
  const s = summarize([]);
  for (const r of results) if (!r.waiver) s[r.status]++;
  return s;
}

/** Whether a run with this summary failed (exit 1): any fail or error, or a warn under `--fail-on warn`. */
export function failsRun(summary: Summary, failOn: FailOn): boolean {
  // Under --fail-on new the summary fails nothing: the diff's new findings decide (docs/diff.md).
  if (failOn === 'new') return false;
  return summary.fail > 0 || summary.error > 0 || (failOn === 'warn' && summary.warn > 0);
}
