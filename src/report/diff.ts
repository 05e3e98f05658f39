/**
 * The comparison of two runs (`mtls-harness diff`, `run --baseline`): targets paired by id (else by
 * endpoint, else the one target of each report, and said so), results by (target, check); new
 * findings, fixed ones, other status changes, targets added and removed, and changed certificates.
 * Data in, data out: reading report files is diff-read.ts, showing the diff diff-table.ts and
 * html/diff.tsx.
 */
import type { CertChangeKind, DiffCertChange, DiffPairing, DiffResultChange, DiffSide, DiffTargetRef, RunDiff } from '../core/diff.js';
import type { Status } from '../core/status.js';

/** What the comparison reads of a certificate (a report's CertSummary has these and more). */
export interface ComparableCert {
  fingerprintSha256: string;
  issuer: string;
  notAfter: string;
}

export interface ComparableTarget {
  id: string;
  endpoint: string;
  peerChain?: readonly ComparableCert[];
  clientChain?: readonly ComparableCert[];
}

export interface ComparableResult {
  targetId: string;
  check: string;
  status: Status;
  message: string;
}

/** What the comparison reads of a run (a RunReport, or a JSON report file read by diff-read.ts). */
export interface ComparableRun {
  startedAt: string;
  finishedAt: string;
  targets: readonly ComparableTarget[];
  results: readonly ComparableResult[];
}

/** Where a run of the comparison came from: its file and that file's SHA-256 (none for the run being made). */
export interface RunSource {
  file?: string;
  sha256?: string;
}

/** A finding: the statuses `--fail-on new` and the lists count (a skip says nothing, a pass nothing wrong). */
export function isFinding(s: Status | null): boolean {
  return s === 'warn' || s === 'fail' || s === 'error';
}

const ref = (t: ComparableTarget): DiffTargetRef => ({ id: t.id, endpoint: t.endpoint });

function side(run: ComparableRun, src: RunSource): DiffSide {
  return {
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    ...(src.file !== undefined ? { file: src.file } : {}),
    ...(src.sha256 !== undefined ? { sha256: src.sha256 } : {}),
    targets: run.targets.length,
    results: run.results.length,
  };
}

/**
 * Pairs the baseline's targets with the current run's: equal ids first; then, among those left,
 * one target on each side with the same endpoint; then, when each report has exactly one target,
 * those two. Pairs not made by id are returned in `pairings`.
 */
export function pairTargets(
  baseline: readonly ComparableTarget[],
  current: readonly ComparableTarget[],
): { pairs: [ComparableTarget, ComparableTarget][]; pairings: DiffPairing[]; added: ComparableTarget[]; removed: ComparableTarget[] } {
  const matched = new Map<ComparableTarget, ComparableTarget>(); // current → baseline
  const used = new Set<ComparableTarget>();
  const byId = new Map<string, ComparableTarget>();
  for (const b of baseline) if (!byId.has(b.id)) byId.set(b.id, b);
  for (const c of current) {
    const b = byId.get(c.id);
    if (b && !used.has(b)) {
      matched.set(c, b);
      used.add(b);
    }
  }
  const pairings: DiffPairing[] = [];
  const countBy = <T>(items: readonly T[], key: (t: T) => string) => {
    const m = new Map<string, T[]>();
    for (const t of items) m.set(key(t), [...(m.get(key(t)) ?? []), t]);
    return m;
  };
  const leftB = countBy(
    baseline.filter((b) => !used.has(b)),
    (t) => t.endpoint,
  );
  const leftC = countBy(
    current.filter((c) => !matched.has(c)),
    (t) => t.endpoint,
  );
  for (const [endpoint, cs] of leftC) {
    const bs = leftB.get(endpoint);
    if (cs.length !== 1 || bs?.length !== 1) continue;
    matched.set(cs[0]!, bs[0]!);
    used.add(bs[0]!);
    pairings.push({ by: 'endpoint', baseline: ref(bs[0]!), current: ref(cs[0]!) });
  }
  if (baseline.length === 1 && current.length === 1 && matched.size === 0) {
    matched.set(current[0]!, baseline[0]!);
    used.add(baseline[0]!);
    pairings.push({ by: 'only-target', baseline: ref(baseline[0]!), current: ref(current[0]!) });
  }
  return {
    pairs: current.filter((c) => matched.has(c)).map((c) => [matched.get(c)!, c]),
    pairings,
    added: current.filter((c) => !matched.has(c)),
    removed: baseline.filter((b) => !used.has(b)),
  };
}

function resultsOf(run: ComparableRun): Map<string, Map<string, ComparableResult>> {
  const out = new Map<string, Map<string, ComparableResult>>();
  for (const r of run.results) {
    let m = out.get(r.targetId);
    if (!m) out.set(r.targetId, (m = new Map()));
    if (!m.has(r.check)) m.set(r.check, r);
  }
  return out;
}

type Lists = Pick<RunDiff, 'new' | 'fixed' | 'changed'>;

/** Files one differing (target, check) under new, fixed or changed. */
function file(lists: Lists, change: DiffResultChange): void {
  const { before, after } = change;
  if (isFinding(after) && (before === null || before === 'pass' || before === 'skip')) lists.new.push(change);
  else if (isFinding(before) && after === 'pass') lists.fixed.push(change);
  else lists.changed.push(change);
}

function compareResults(
  lists: Lists,
  b: ComparableTarget,
  c: ComparableTarget,
  before: Map<string, ComparableResult>,
  after: Map<string, ComparableResult>,
): void {
  const ids = c.id !== b.id ? { targetId: c.id, baselineTargetId: b.id } : { targetId: c.id };
  for (const [check, r] of after) {
    const old = before.get(check);
    if (old?.status === r.status) continue;
    file(lists, { ...ids, check, before: old?.status ?? null, after: r.status, message: r.message });
  }
  for (const [check, old] of before) if (!after.has(check)) file(lists, { ...ids, check, before: old.status, after: null, message: old.message });
}

/** The issuer of a chain's leaf as compared: its issuer name, and the certificate sent after it when there is one. */
function issuerOf(chain: readonly ComparableCert[]): { name: string; cert?: string } {
  return { name: chain[0]!.issuer, ...(chain[1] ? { cert: chain[1].fingerprintSha256 } : {}) };
}

/** The changes of one chain of a paired target. */
export function compareChains(
  targetId: string,
  chain: 'peer' | 'client',
  before: readonly ComparableCert[] = [],
  after: readonly ComparableCert[] = [],
): DiffCertChange[] {
  const out: DiffCertChange[] = [];
  const add = (change: CertChangeKind, b?: string, a?: string) =>
    out.push({ targetId, chain, change, ...(b !== undefined ? { before: b } : {}), ...(a !== undefined ? { after: a } : {}) });
  if (before.length === 0 && after.length === 0) return out;
  if (before.length === 0) add('added', undefined, after[0]!.fingerprintSha256);
  else if (after.length === 0) add('removed', before[0]!.fingerprintSha256);
  else {
    const [b, a] = [before[0]!, after[0]!];
    if (b.fingerprintSha256 !== a.fingerprintSha256) add('leaf', b.fingerprintSha256, a.fingerprintSha256);
    const [ib, ia] = [issuerOf(before), issuerOf(after)];
    // Another issuer name; or the same name on another issuing certificate (a CA re-keyed or replaced under its old name).
    if (ib.name !== ia.name) add('issuer', ib.name, ia.name);
    else if (ib.cert && ia.cert && ib.cert !== ia.cert) add('issuer', `${ib.name} (SHA-256 ${ib.cert})`, `${ia.name} (SHA-256 ${ia.cert})`);
    if (b.notAfter !== a.notAfter) add('expiry', b.notAfter, a.notAfter);
  }
  return out;
}

/** What changed from `baseline` to `current` (docs/diff.md). */
export function diffRuns(baseline: ComparableRun, current: ComparableRun, sources: { baseline?: RunSource; current?: RunSource } = {}): RunDiff {
  const { pairs, pairings, added, removed } = pairTargets(baseline.targets, current.targets);
  const before = resultsOf(baseline);
  const after = resultsOf(current);
  const lists: Lists = { new: [], fixed: [], changed: [] };
  const certificates: DiffCertChange[] = [];
  const none = new Map<string, ComparableResult>();
  const pairOf = new Map(pairs.map(([b, c]) => [c, b]));
  // In the current run's order: a paired target's changes, an added target's findings (all new).
  for (const c of current.targets) {
    const b = pairOf.get(c);
    if (!b) {
      for (const [check, r] of after.get(c.id) ?? none)
        if (isFinding(r.status)) lists.new.push({ targetId: c.id, check, before: null, after: r.status, message: r.message });
      continue;
    }
    compareResults(lists, b, c, before.get(b.id) ?? none, after.get(c.id) ?? none);
    certificates.push(...compareChains(c.id, 'peer', b.peerChain, c.peerChain), ...compareChains(c.id, 'client', b.clientChain, c.clientChain));
  }
  return {
    baseline: side(baseline, sources.baseline ?? {}),
    current: side(current, sources.current ?? {}),
    pairings,
    targetsAdded: added.map(ref),
    targetsRemoved: removed.map(ref),
    ...lists,
    certificates,
    summary: {
      new: lists.new.length,
      fixed: lists.fixed.length,
      changed: lists.changed.length,
      targetsAdded: added.length,
      targetsRemoved: removed.length,
      certificates: certificates.length,
    },
  };
}
