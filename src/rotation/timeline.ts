import type { Attempt, ProberRun } from './prober.js';

/** A run of consecutive failed attempts (by launch order), and how long the target was out. */
export interface Outage {
  /** Launch time of the first failed attempt (ms on the prober's clock). */
  firstFailT: number;
  /** Launch time of the last failed attempt. */
  lastFailT: number;
  /** Launch time of the first served attempt after it; absent when the target never recovered. */
  recoveredT?: number;
  failures: number;
  /**
   * The outage's length, estimated from launch times: it began between the last success before
   * and the first failure, and ended between the last failure and the first success after; the
   * estimate takes the midpoints (error at most half a slot at each end).
   */
  gapMs: number;
  /** The length is certainly within these bounds. */
  boundsMs: [number, number];
  /** What the failures were (outcome or failure kind → count). */
  kinds: Record<string, number>;
}

export interface TimelineAnalysis {
  attempts: number;
  failures: number;
  outages: Outage[];
  /** The longest outage (0 when none). */
  longestGapMs: number;
  /** Served leaf at the start and at the end (fingerprints). */
  fingerprintBefore?: string;
  fingerprintAfter?: string;
  /** When the served leaf first changed (launch time of the first attempt with the final leaf). */
  changedAtT?: number;
  /** Attempts that served the old leaf after the new one was first seen (several workers/replicas). */
  mixedAfterChange: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function kindOf(a: Attempt): string {
  if (a.outcome === 'accepted') return a.httpStatus !== undefined ? `http-${a.httpStatus}` : 'accepted';
  if (a.outcome === 'unreachable') return a.failure ?? 'unreachable';
  return `refused-${a.outcome}${a.alert !== undefined ? `-alert-${a.alert}` : ''}`;
}

/** Outages, the longest gap and the leaf change, from a prober run. */
export function analyzeTimeline(run: Pick<ProberRun, 'attempts' | 'certificates'>): TimelineAnalysis {
  const att = run.attempts;
  const outages: Outage[] = [];
  let i = 0;
  while (i < att.length) {
    if (att[i]!.ok) {
      i++;
      continue;
    }
    const start = i;
    const kinds: Record<string, number> = {};
    while (i < att.length && !att[i]!.ok) {
      const k = kindOf(att[i]!);
      kinds[k] = (kinds[k] ?? 0) + 1;
      i++;
    }
    const first = att[start]!;
    const last = att[i - 1]!;
    const before = start > 0 ? att[start - 1] : undefined;
    const after = i < att.length ? att[i] : undefined;
    const beganLo = before?.t ?? first.t;
    const endHi = after?.t ?? last.t + last.latencyMs;
    const endLo = last.t;
    const gap = (endLo + endHi) / 2 - (beganLo + first.t) / 2;
    outages.push({
      firstFailT: first.t,
      lastFailT: last.t,
      ...(after ? { recoveredT: after.t } : {}),
      failures: i - start,
      gapMs: round1(Math.max(0, gap)),
      boundsMs: [round1(Math.max(0, endLo - first.t)), round1(endHi - beganLo)],
      kinds,
    });
  }
  const served = att.filter((a) => a.ok && a.leaf !== undefined);
  const fpOf = (a: Attempt | undefined) => (a?.leaf !== undefined ? run.certificates[a.leaf]?.fingerprintSha256 : undefined);
  const fingerprintBefore = fpOf(served[0]);
  const fingerprintAfter = fpOf(served.at(-1));
  let changedAtT: number | undefined;
  let mixedAfterChange = 0;
  if (fingerprintBefore && fingerprintAfter && fingerprintBefore !== fingerprintAfter) {
    const finalLeaf = served.at(-1)!.leaf;
    const firstNew = served.find((a) => a.leaf === finalLeaf)!;
    changedAtT = firstNew.t;
    mixedAfterChange = served.filter((a) => a.t > firstNew.t && a.leaf !== finalLeaf).length;
  }
  return {
    attempts: att.length,
    failures: att.filter((a) => !a.ok).length,
    outages,
    longestGapMs: outages.reduce((m, o) => Math.max(m, o.gapMs), 0),
    ...(fingerprintBefore ? { fingerprintBefore } : {}),
    ...(fingerprintAfter ? { fingerprintAfter } : {}),
    ...(changedAtT !== undefined ? { changedAtT } : {}),
    mixedAfterChange,
  };
}

/** `AB:CD:EF:01…` — enough of a fingerprint to tell two leaves apart on one line. */
export function shortFingerprint(fp: string | undefined): string {
  return fp ? `${fp.slice(0, 11)}…` : 'none';
}

/** The one-line terminal summary of a rotation observation. */
export function rotationSummaryLine(run: ProberRun, a: TimelineAnalysis): string {
  const leaf =
    a.fingerprintBefore === a.fingerprintAfter
      ? `leaf ${shortFingerprint(a.fingerprintBefore)} (unchanged)`
      : `leaf ${shortFingerprint(a.fingerprintBefore)} → ${shortFingerprint(a.fingerprintAfter)}`;
  const short = run.rate.shortfallPct > 0 ? `, shortfall ${run.rate.shortfallPct}%` : '';
  return `${a.attempts} attempts, ${a.failures} failed, longest gap ${Math.round(a.longestGapMs)} ms, ${leaf}, ${run.rate.achieved}/s achieved (target ${run.rate.target}/s${short})`;
}
