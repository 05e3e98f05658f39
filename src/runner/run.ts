import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { HarnessError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import { summarizeCertificate } from '../pki/inspect.js';
import type { Credential } from '../pki/generate.js';
import { detectProtocol } from '../probe/detect.js';
import type { ProbeOptions } from '../probe/tls-probe.js';
import { targetProbeOptions } from '../rotation/observe.js';
import { formatEndpoint } from '../core/endpoint.js';
import { safeText } from '../core/text.js';
import { createContext, Semaphore } from '../checks/context.js';
import { summarize } from '../core/status.js';
import type { AnySuite, Check, CheckContext, Suite } from '../checks/types.js';
import type { Result, RunReport, TargetReport } from '../core/model.js';
import type { TargetUnderTest } from '../targets/target.js';
import { targetIds } from '../core/target-id.js';

export interface RunOptions {
  targets: TargetUnderTest[];
  suites: Suite[];
  /** Only these suite ids (default: all given). */
  suiteIds?: string[];
  /** Only these check ids. */
  checkIds?: string[];
  /** Per-connection timeout (ms), default 5000. */
  timeoutMs?: number;
  /** Targets scanned at once, default 16. */
  concurrency?: number;
  /** Connections open at once to one target, default 8. */
  connectionsPerTarget?: number;
  /**
   * Time one target may take for its (non-rotation) checks, default max(30 s, 6 × timeoutMs): a peer
   * that trickles bytes or stalls costs at most this. Checks still running then are `error`.
   */
  targetTimeoutMs?: number;
  graceMs?: number;
  clock?: Clock;
  /** Aborting (Ctrl-C) ends the run at once: finished results are kept, the rest are `error` and the report is marked incomplete. */
  signal?: AbortSignal;
  /** Called as each result is known (progress output). */
  onResult?: (r: Result) => void;
  /** Called as each target is done. */
  onTarget?: (t: TargetReport, results: Result[]) => void;
}

export const RUN_DEFAULTS = { timeoutMs: 5000, concurrency: 16, connectionsPerTarget: 8 } as const;

/** The default per-target budget for a connection timeout. */
export function defaultTargetTimeoutMs(timeoutMs: number): number {
  return Math.max(30_000, 6 * timeoutMs);
}

/** picomatch, loaded when a check selection is given (about 10 ms of module loading otherwise). */
const picomatchLazy = (): typeof import('picomatch') => createRequire(import.meta.url)('picomatch') as typeof import('picomatch');

/**
 * A check selection (`--check`, config `checks:`): IDs or globs (`chain.*`, picomatch syntax), each
 * optionally negated with `!`. Returns which of `ids` are selected: those matching some positive
 * entry (or all, when there is none) and no negated one. An entry matching none of `ids` (a typo) is
 * a usage error (exit 2) that says where to see the list (`hint`).
 */
export function matchCheckIds(ids: readonly string[], patterns: readonly string[] | undefined, hint = 'see "mtls-harness run --list-checks"'): string[] {
  if (!patterns?.length) return [...ids];
  const entries = patterns.map((raw) => {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    const glob = /[*?[\]{}]/.test(pattern);
    const matches = pattern ? picomatchLazy()(pattern, { dot: true }) : () => false;
    if (!ids.some((id) => matches(id))) {
      throw new HarnessError(
        'usage.invalid-value',
        `${glob ? 'check pattern' : 'unknown check'} "${safeText(raw, 80)}"${glob ? ' matches no check' : ''}; ${hint}`,
      );
    }
    return { negated, matches };
  });
  const positives = entries.filter((e) => !e.negated);
  const negatives = entries.filter((e) => e.negated);
  return ids.filter((id) => (positives.length === 0 || positives.some((e) => e.matches(id))) && !negatives.some((e) => e.matches(id)));
}

/**
 * Resolves `--suite` / `--check` selections against the catalogue (checks: see `matchCheckIds`); an
 * unknown suite or a check entry that matches nothing is a usage error (exit 2).
 */
export function selectChecks<S extends AnySuite>(suites: readonly S[], suiteIds?: string[], checkIds?: string[]): { suite: S; check: S['checks'][number] }[] {
  const known = new Map(suites.map((s) => [s.id, s]));
  for (const id of suiteIds ?? []) {
    if (!known.has(id)) {
      throw new HarnessError('usage.invalid-value', `unknown suite "${id}"; suites: ${[...known.keys()].join(', ')}`);
    }
  }
  const all = suites.flatMap((suite) => suite.checks.map((check: S['checks'][number]) => ({ suite, check })));
  const chosen = new Set(
    matchCheckIds(
      all.map((c) => c.check.id),
      checkIds,
    ),
  );
  return all.filter((c) => (!suiteIds?.length || suiteIds.includes(c.suite.id)) && chosen.has(c.check.id));
}

/** Why a check ended without a verdict of its own: its budget, its target's budget, or the run was interrupted. */
class Cutoff extends Error {}

/**
 * Runs one check, turning a throw into `error` and bounding its time (its own budget, and what is
 * left of its target's) so one hung target never stalls a run. An abort ends it at once.
 */
async function runOne(
  target: TargetUnderTest,
  targetId: string,
  suite: Suite,
  check: Check,
  ctx: CheckContext,
  budgetMs: number,
  targetBudget: { deadline: number; ms: number } | undefined,
  aborted: { promise: Promise<never>; signal: AbortSignal } | undefined,
): Promise<Result> {
  const t0 = performance.now();
  const base = { targetId, target: target.name, suite: suite.id, check: check.id, title: check.title };
  const timers: NodeJS.Timeout[] = [];
  try {
    const stops: Promise<never>[] = [
      new Promise<never>((_, reject) => {
        timers.push(setTimeout(() => reject(new Error(`the check did not finish within ${Math.round(budgetMs / 1000)} s`)), budgetMs));
      }),
    ];
    if (targetBudget) {
      const left = Math.max(0, targetBudget.deadline - performance.now());
      stops.push(
        new Promise<never>((_, reject) => {
          timers.push(
            setTimeout(
              () =>
                reject(
                  new Cutoff(
                    `the target did not finish within its budget (--target-timeout ${targetBudget.ms < 1000 ? `${targetBudget.ms} ms` : `${Math.round(targetBudget.ms / 1000)} s`}): the peer is too slow (it stalls or trickles bytes)`,
                  ),
                ),
              left,
            ),
          );
        }),
      );
    }
    if (aborted) {
      // A check never starts after an interrupt; one running ends at once.
      if (aborted.signal.aborted) throw new Cutoff(interruptedMessage(aborted.signal));
      stops.push(aborted.promise);
    }
    const v = await Promise.race([check.run(ctx), ...stops]);
    return {
      ...base,
      status: v.status,
      message: v.message,
      ...(v.remediation ? { remediation: v.remediation } : {}),
      evidence: v.evidence ?? {},
      durationMs: Math.round(performance.now() - t0),
    };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof Cutoff)
      return {
        ...base,
        status: 'error',
        message: safeText(msg, 300),
        evidence: { cutoff: safeText(msg, 300) },
        durationMs: Math.round(performance.now() - t0),
      };
    return {
      ...base,
      status: 'error',
      message: `the harness could not evaluate this check: ${safeText(msg, 300)}`,
      evidence: { error: safeText(msg, 500) },
      durationMs: Math.round(performance.now() - t0),
    };
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

export function interruptedMessage(signal: AbortSignal): string {
  const why = signal.reason instanceof Error ? signal.reason.message : typeof signal.reason === 'string' ? signal.reason : 'the run was interrupted';
  return `not finished: ${why}`;
}

/**
 * Runs the selected checks against every target: `concurrency` targets at a time, a target's checks
 * concurrently with at most `connectionsPerTarget` connections open (each within `timeoutMs`, the
 * target within `targetTimeoutMs`). Results come back in target order, each target's in catalogue
 * order; a throw, a budget or an abort becomes that check's `error`, never a lost result.
 */
export async function runChecks(o: RunOptions): Promise<RunReport> {
  const clock = o.clock ?? systemClock;
  const startedAt = clock();
  const t0 = performance.now();
  const selected = selectChecks(o.suites, o.suiteIds, o.checkIds);
  const timeoutMs = o.timeoutMs ?? RUN_DEFAULTS.timeoutMs;
  const targetTimeoutMs = o.targetTimeoutMs ?? defaultTargetTimeoutMs(timeoutMs);
  const lanes = new Semaphore(o.concurrency ?? RUN_DEFAULTS.concurrency);
  // A check makes at most a handful of sequential connections, each bounded by timeoutMs, and may
  // wait for the semaphore behind the others: this budget only catches a harness bug.
  const budgetMs = timeoutMs * 4 + 60_000;
  const signal = o.signal;
  // One promise for the whole run (not one abort listener per check): it rejects when the run is interrupted.
  const aborted = signal
    ? {
        signal,
        promise: new Promise<never>((_, reject) => {
          const fire = () => reject(new Cutoff(interruptedMessage(signal)));
          if (signal.aborted) fire();
          else signal.addEventListener('abort', fire, { once: true });
        }),
      }
    : undefined;
  aborted?.promise.catch(() => undefined);

  const craftedCache = new Map<string, Promise<Credential>>();
  const contextCache = new Map<string, NonNullable<ProbeOptions['secureContext']>>();
  const issuerCache = new Map<string, Promise<Credential | { skip: string }>>();
  // Unique in the report even when two targets share an address: the name, then #2, #3… (core/target-id.ts).
  const ids = targetIds(o.targets.map((t) => t.name));
  const runTarget = async (target: TargetUnderTest, id: string, ctx: CheckContext) => {
    const targetBudget = { deadline: performance.now() + targetTimeoutMs, ms: targetTimeoutMs };
    const one = async ({ suite, check }: { suite: Suite; check: Check }, bounded: boolean) => {
      const scope = target.scope;
      if (scope && !scope.checks.includes(check.id)) {
        // Out of this target's scope (a plaintext port has no TLS to judge): said, not run.
        const r: Result = {
          targetId: id,
          target: target.name,
          suite: suite.id,
          check: check.id,
          title: check.title,
          status: 'skip',
          message: scope.why,
          evidence: {},
          durationMs: 0,
        };
        o.onResult?.(r);
        return r;
      }
      const r = await runOne(
        target,
        id,
        suite,
        check,
        ctx,
        check.budgetMs ? check.budgetMs(target, timeoutMs) : budgetMs,
        bounded ? targetBudget : undefined,
        aborted,
      );
      o.onResult?.(r);
      return r;
    };
    // Checks that change the target (rotation) run alone, after the others, in catalogue order,
    // each within its own budget (a rotation watch can legitimately take minutes).
    const results = await Promise.all(selected.filter((c) => !c.check.exclusive).map((c) => one(c, true)));
    for (const c of selected.filter((c) => c.check.exclusive)) results.push(await one(c, false));
    const order = new Map(selected.map((c, i) => [c.check.id, i]));
    results.sort((a, b) => order.get(a.check)! - order.get(b.check)!);
    // The chain for the report: the first connection's (already made unless no check needed it);
    // after an interrupt, only if it already finished.
    const noCert = await (signal?.aborted ? Promise.race([ctx.noCert(), Promise.resolve(undefined)]) : ctx.noCert()).catch(() => undefined);
    const report: TargetReport = {
      id,
      name: target.name,
      endpoint: formatEndpoint(target),
      ...(target.servername ? { servername: target.servername } : {}),
      kind: target.reference ? 'reference' : 'live',
      ...(target.reference ? { reference: { ...target.reference } } : {}),
      ...(noCert?.protocol ? { protocol: noCert.protocol } : {}),
      appProtocol: { name: target.protocol, ...(target.protocolDetection ? { detected: target.protocolDetection.how } : {}) },
      ...(noCert && noCert.peerChain.length > 0 ? { peerChain: noCert.peerChain } : {}),
      policy: { ...target.policy },
      ...(target.client ? { clientChain: target.client.chain.map((c) => summarizeCertificate(c, clock)) } : {}),
      ...(target.origin ? { origin: target.origin } : {}),
      ...(target.source ? { source: target.source } : {}),
    };
    o.onTarget?.(report, results);
    return { results, report };
  };

  // Targets queue for a lane; an interrupted run still goes through every target so each check
  // gets its result (finished, or `error` "not finished"), in catalogue order.
  // Made once the target's protocol is known (detected, when none was given: a context keeps it).
  const contextOf = (target: TargetUnderTest) =>
    createContext(target, {
      timeoutMs,
      clock,
      semaphore: new Semaphore(o.connectionsPerTarget ?? RUN_DEFAULTS.connectionsPerTarget),
      craftedCache,
      contextCache,
      issuerCache,
      ...(o.graceMs !== undefined ? { graceMs: o.graceMs } : {}),
    });
  // Each target's first connection (its reachability gate, shared by its checks) is made ahead of
  // the lanes, with a wider bound: hung or black-holed targets then wait out their timeouts side by
  // side instead of each holding a lane for a whole timeout. A target takes a lane once its gate is
  // known; an unreachable one then finishes at once.
  const gateLanes = new Semaphore(Math.max(64, 4 * (o.concurrency ?? RUN_DEFAULTS.concurrency)));
  const interrupted = aborted ? aborted.promise.catch(() => undefined) : new Promise<undefined>(() => undefined);
  const perTarget = await Promise.all(
    o.targets.map(async (target, i) => {
      if (target.detectProtocol && !target.protocolDetection) await gateLanes.use(() => decideProtocol(target, timeoutMs, clock));
      const ctx = contextOf(target);
      await Promise.race([gateLanes.use(() => ctx.noCert()).catch(() => undefined), interrupted]);
      return lanes.use(() => runTarget(target, ids[i]!, ctx));
    }),
  );
  const results = perTarget.flatMap((t) => t.results);
  const finishedAt = clock();
  const report: RunReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    targets: perTarget.map((t) => t.report),
    results,
    summary: summarize(results),
  };
  markIncomplete(report, signal, o.targets.length);
  return report;
}

/** Decides a target's protocol from what its server does (`probe/detect.ts`), before its checks. */
async function decideProtocol(target: TargetUnderTest, timeoutMs: number, clock: Clock): Promise<void> {
  const d = await detectProtocol({
    ...targetProbeOptions(target, timeoutMs, clock),
    ...(target.trustPem ? { ca: target.trustPem } : {}),
    ...(target.client ? { cert: target.client.certPem, key: target.client.keyPem } : {}),
  }).catch((e: unknown) => ({ protocol: undefined, how: `cannot decide the protocol: ${(e as Error).message}; give --protocol`, connections: 0 }));
  // Undecided: probed as HTTPS, and the report says so. The controls keep that honest: a server that
  // is not HTTP and closes on the request refuses the valid client too, so no check passes on it.
  if (d.protocol) target.protocol = d.protocol;
  target.protocolDetection = { how: d.protocol ? d.how : `not decided (${d.how}): probed as HTTPS; give --protocol`, decided: d.protocol !== undefined };
}

/** A check an interrupt ended (or never started): `error` "not finished: …", evidence `cutoff`. */
export function notFinishedResult(base: Pick<Result, 'targetId' | 'target' | 'suite' | 'check' | 'title'>, signal: AbortSignal, durationMs = 0): Result {
  const msg = safeText(interruptedMessage(signal), 300);
  return { ...base, status: 'error', message: msg, evidence: { cutoff: msg }, durationMs };
}

/** After an interrupt: the report says why and how many of its targets finished (every report marks it). */
export function markIncomplete(report: RunReport, signal: AbortSignal | undefined, targetsTotal: number): void {
  if (!signal?.aborted) return;
  const unfinished = new Set(report.results.filter((r) => r.evidence.cutoff !== undefined && r.message.startsWith('not finished')).map((r) => r.targetId));
  report.incomplete = { reason: interruptedMessage(signal).replace(/^not finished: /, ''), targetsFinished: targetsTotal - unfinished.size, targetsTotal };
}
