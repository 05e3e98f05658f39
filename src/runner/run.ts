import { performance } from 'node:perf_hooks';
import { HarnessError } from '../errors.js';
import { systemClock, type Clock } from '../pki/clock.js';
import { summarizeCertificate } from '../pki/inspect.js';
import { formatEndpoint } from '../probe/endpoint.js';
import { safeText } from '../text.js';
import { createContext, Semaphore } from './context.js';
import { STATUSES, type Check, type CheckContext, type Result, type RunReport, type Suite, type Summary, type TargetConfig, type TargetReport } from './types.js';

export interface RunOptions {
  targets: TargetConfig[];
  suites: Suite[];
  /** Only these suite ids (default: all given). */
  suiteIds?: string[];
  /** Only these check ids. */
  checkIds?: string[];
  /** Per-connection timeout (ms), default 5000. */
  timeoutMs?: number;
  /** Connections open at once across the run, default 8. */
  concurrency?: number;
  graceMs?: number;
  clock?: Clock;
  /** Called as each result is known (progress output). */
  onResult?: (r: Result) => void;
}

/** Resolves `--suite` / `--check` selections against the catalogue; unknown ids are usage errors (exit 2). */
export function selectChecks(suites: Suite[], suiteIds?: string[], checkIds?: string[]): { suite: Suite; check: Check }[] {
  const known = new Map(suites.map((s) => [s.id, s]));
  for (const id of suiteIds ?? []) {
    if (!known.has(id)) {
      throw new HarnessError('usage.invalid-value', `unknown suite "${id}"; suites: ${[...known.keys()].join(', ')}`);
    }
  }
  const all = suites.flatMap((suite) => suite.checks.map((check) => ({ suite, check })));
  for (const id of checkIds ?? []) {
    if (!all.some((c) => c.check.id === id)) throw new HarnessError('usage.invalid-value', `unknown check "${id}"; see "mtls-harness run --list-checks"`);
  }
  return all.filter((c) => (!suiteIds?.length || suiteIds.includes(c.suite.id)) && (!checkIds?.length || checkIds.includes(c.check.id)));
}

/** Runs one check, turning a throw into `error` and bounding its time so one hung target never stalls a run. */
async function runOne(target: TargetConfig, suite: Suite, check: Check, ctx: CheckContext, budgetMs: number): Promise<Result> {
  const t0 = performance.now();
  const base = { target: target.name, suite: suite.id, check: check.id, title: check.title };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the check did not finish within ${Math.round(budgetMs / 1000)} s`)), budgetMs);
    });
    const v = await Promise.race([check.run(ctx), timeout]);
    return { ...base, status: v.status, message: v.message, ...(v.remediation ? { remediation: v.remediation } : {}), evidence: v.evidence ?? {}, durationMs: Math.round(performance.now() - t0) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { ...base, status: 'error', message: `the harness could not evaluate this check: ${safeText(msg, 300)}`, evidence: { error: safeText(msg, 500) }, durationMs: Math.round(performance.now() - t0) };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export function summarize(results: Result[]): Summary {
  const s = Object.fromEntries(STATUSES.map((k) => [k, 0])) as Summary;
  for (const r of results) s[r.status]++;
  return s;
}

/**
 * Runs the selected checks against every target. Targets and checks run concurrently; connections
 * are bounded by `concurrency` and each has `timeoutMs`. Results come back in catalogue order.
 */
export async function runChecks(o: RunOptions): Promise<RunReport> {
  const clock = o.clock ?? systemClock;
  const startedAt = clock();
  const t0 = performance.now();
  const selected = selectChecks(o.suites, o.suiteIds, o.checkIds);
  const timeoutMs = o.timeoutMs ?? 5000;
  const semaphore = new Semaphore(o.concurrency ?? 8);
  // A check makes at most a handful of sequential connections, each bounded by timeoutMs, and may
  // wait for the semaphore behind the others: this budget only catches a harness bug.
  const budgetMs = timeoutMs * 4 + 60_000;

  const perTarget = await Promise.all(
    o.targets.map(async (target) => {
      const ctx = createContext(target, { timeoutMs, clock, semaphore, ...(o.graceMs !== undefined ? { graceMs: o.graceMs } : {}) });
      const one = async ({ suite, check }: { suite: Suite; check: Check }) => {
        const r = await runOne(target, suite, check, ctx, check.budgetMs ? check.budgetMs(target, timeoutMs) : budgetMs);
        o.onResult?.(r);
        return r;
      };
      // Checks that change the target (rotation) run alone, after the others, in catalogue order.
      const results = await Promise.all(selected.filter((c) => !c.check.exclusive).map(one));
      for (const c of selected.filter((c) => c.check.exclusive)) results.push(await one(c));
      const order = new Map(selected.map((c, i) => [c.check.id, i]));
      results.sort((a, b) => order.get(a.check)! - order.get(b.check)!);
      const noCert = await ctx.noCert().catch(() => undefined);
      const report: TargetReport = {
        name: target.name,
        endpoint: formatEndpoint(target),
        ...(target.servername ? { servername: target.servername } : {}),
        kind: target.reference ? 'reference' : 'live',
        ...(target.reference ? { reference: { ...target.reference } } : {}),
        ...(noCert?.protocol ? { protocol: noCert.protocol } : {}),
        ...(noCert && noCert.peerChain.length > 0 ? { peerChain: noCert.peerChain } : {}),
        policy: { ...target.policy },
        ...(target.client ? { clientChain: target.client.chain.map((c) => summarizeCertificate(c, clock)) } : {}),
      };
      return { results, report };
    }),
  );
  const results = perTarget.flatMap((t) => t.results);
  const finishedAt = clock();
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    targets: perTarget.map((t) => t.report),
    results,
    summary: summarize(results),
  };
}
