import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { CertSummary } from '../../core/model.js';
import type { RunDiff } from '../../core/diff.js';
import type { Diagnosis, FindingStatus } from '../../probe/diagnose.js';
import type { ProbeOutcome } from '../../probe/tls-probe.js';
import { summarizeCertificate } from '../../pki/inspect.js';
import { STATUSES, type Status, type Summary } from '../../core/status.js';
import type { AppliedWaiver, Evidence, FileCertificate, MergeSource, Provenance, RunReport, RunSettings, WaiversReport } from '../../core/model.js';
import type { Policy, TargetOrigin } from '../../core/target.js';
import { toolInfo } from '../../io/version.js';
import { redactArgv } from '../../core/redact.js';
import { referencesOf, type Reference } from '../../../suites/references.js';
import { SUITES, suiteTitle } from '../../../suites/index.js';
import { probeEvidence } from '../../checks/judge.js';
import { targetIds } from '../../core/target-id.js';
import { resultsByTarget } from '../by-target.js';

/** A row status in the HTML report: a check's status, or `info` for a diagnosis line that judges nothing. */
export type RowStatus = Status | 'info';

export interface HtmlCheck {
  status: RowStatus;
  id: string;
  title: string;
  suite: string;
  message: string;
  remediation?: string;
  references: readonly Reference[];
  evidence: Evidence;
  durationMs?: number;
  /** The waiver that accepts this finding (docs/waivers.md). */
  waiver?: AppliedWaiver;
}

export interface HtmlSuiteCell {
  id: string;
  title: string;
  /** Worst status of the suite's checks on this target; undefined when none ran. */
  status?: Status;
  counts: Summary;
}

export interface HtmlTarget {
  /** Anchor id (t1, t2 …): never derived from hostile text. */
  anchor: string;
  /** The target's id in the report (`TargetReport.id`): what the page shows it as, unique even when two targets share a name. */
  id: string;
  name: string;
  endpoint: string;
  servername?: string;
  kind: string;
  /** The Kubernetes object the target came from (k8s scan). */
  origin?: TargetOrigin;
  reference?: { implementation: string; profile: string };
  protocol?: string;
  policy?: Policy;
  verdict: Status;
  counts: Summary;
  suites: HtmlSuiteCell[];
  checks: HtmlCheck[];
  serverChain: CertSummary[];
  /** The trust anchor the server chain verified to (subject), when it did. */
  anchorSubject?: string;
  clientChain: CertSummary[];
  /** Offline audit: the certificates found in the target's files. */
  fileCertificates: FileCertificate[];
}

export interface HtmlModel {
  /** `audit`: an offline audit of files (`mtls-harness audit`), rendered with the run layout. */
  kind: 'run' | 'probe' | 'audit';
  title: string;
  tool: { name: string; version: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The local time zone of the machine the harness ran on, e.g. "Europe/Berlin". */
  timeZone: string;
  command: string[];
  host: string;
  policy?: Policy;
  settings?: RunSettings;
  /** Who ran it, where, with what (the JSON's `run.provenance`). */
  provenance?: Provenance;
  /** A fleet report's merged run reports (`report merge`). */
  sources?: MergeSource[];
  verdict: Status;
  summary: Summary;
  /** The run ended early (Ctrl-C): what finished is shown, the rest is `error` "not finished". */
  incomplete?: { reason: string; targetsFinished: number; targetsTotal: number };
  /** What the run's waivers did: waived, unused and expired (docs/waivers.md). */
  waivers?: WaiversReport;
  targets: HtmlTarget[];
  /** `run --baseline`: what changed since the baseline ("Changes since baseline"). */
  diff?: RunDiff;
  /** SHA-256 (hex) of the JSON report's exact bytes, and those bytes (embedded for verification). */
  digest: { sha256: string; of: string; json: string };
}

/** A JSON document's bytes, as pieces, and their SHA-256 (hex; may be a getter, read when the page renders). */
export interface JsonBytes {
  readonly sha256: string;
  json(): Iterable<string>;
}

/** The model without its targets and JSON bytes: the page around them. Every string cleaned. */
export type HtmlHead = Omit<HtmlModel, 'targets' | 'digest'>;

/**
 * A report to render one target at a time (the streamed HTML report): the head, the targets built
 * (and cleaned) on demand, and the JSON report's bytes as pieces. Building a target again gives the
 * same target; nothing here holds all of them.
 */
export interface HtmlPage {
  head: HtmlHead;
  count: number;
  /**
   * Target `i` (0-based), as the model holds it. `full: false` leaves out what only its own section
   * shows (checks, certificates): enough for the summary rows.
   */
  target(i: number, full: boolean): HtmlTarget;
  digest: { sha256: string; of: string; json(): Iterable<string> };
}

/** A page's digest: `json`'s SHA-256 read when asked (the page renders after a JSON report written first). */
function digestOf(json: JsonBytes, of: string): HtmlPage['digest'] {
  return {
    get sha256() {
      return json.sha256;
    },
    of,
    json: () => json.json(),
  };
}

/** A whole model as a page (the page of a model already built). */
export function pageOfModel(m: HtmlModel): HtmlPage {
  const { targets, digest, ...head } = m;
  return { head, count: targets.length, target: (i) => targets[i]!, digest: { sha256: digest.sha256, of: digest.of, json: () => [digest.json] } };
}

/** Builds every target of a page: the whole model (tests, and callers that want one string). */
export function modelOfPage(p: HtmlPage): HtmlModel {
  const json: string[] = [];
  for (const piece of p.digest.json()) json.push(piece);
  return {
    ...p.head,
    targets: Array.from({ length: p.count }, (_, i) => p.target(i, true)),
    digest: { sha256: p.digest.sha256, of: p.digest.of, json: json.join('') },
  };
}

const SEVERITY: Status[] = ['error', 'fail', 'warn', 'pass', 'skip'];

/** The worst status: error > fail > warn > pass > skip (all skipped: skip). */
export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = 'skip';
  for (const s of statuses) if (SEVERITY.indexOf(s) < SEVERITY.indexOf(worst)) worst = s;
  return worst;
}

function countStatuses(statuses: Status[]): Summary {
  const s = Object.fromEntries(STATUSES.map((k) => [k, 0])) as Summary;
  for (const x of statuses) s[x]++;
  return s;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Hostile text (certificates, servers) may carry control or bidi-override characters that make it
 * display as something else; escaping is the template's job, this only makes the characters visible
 * as "?" and bounds the length. Applied to every string of the model.
 */
function clean(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    const s = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '?');
    return s.length > 4000 ? `${s.slice(0, 4000)}… (${s.length - 4000} more characters)` : s;
  }
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [clean(k, depth + 1) as string, clean(v, depth + 1)]));
}

function timeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** The model of a `run` report: what the HTML shows, every string cleaned. */
export function runHtmlModel(run: RunReport, argv: string[], jsonText: string): HtmlModel {
  return modelOfPage(runHtmlPage(run, argv, { sha256: sha256Hex(jsonText), json: () => [jsonText] }));
}

/** The digest line of a run report. */
const RUN_DIGEST_OF = 'the JSON report (--json) of this run, byte for byte';

/**
 * The page of a `run` report, one target at a time. `json` gives the exact bytes of the run's JSON
 * report (`reportJsonChunks`), `sha256` their digest: the HTML carries it and embeds them.
 */
export function runHtmlPage(run: RunReport, argv: string[], json: JsonBytes): HtmlPage {
  const audit = run.targets.length > 0 && run.targets.every((t) => t.kind === 'files');
  const byTarget = resultsByTarget(run.results);
  const target = (i: number, full: boolean): HtmlTarget => {
    const t = run.targets[i]!;
    const results = byTarget.get(t.id) ?? [];
    const suiteIds = [...new Set([...SUITES.map((s) => s.id), ...results.map((r) => r.suite)])];
    const suites: HtmlSuiteCell[] = suiteIds.map((id) => {
      const rs = results.filter((r) => r.suite === id);
      return {
        id,
        title: suiteTitle(id) ?? id,
        ...(rs.length ? { status: worstStatus(rs.map((r) => r.status)) } : {}),
        counts: countStatuses(rs.map((r) => r.status)),
      };
    });
    const trusted = results.find((r) => r.check === 'chain.server-trusted' && r.status === 'pass');
    const anchorSubject = typeof trusted?.evidence.anchor === 'string' ? trusted.evidence.anchor : undefined;
    const built: HtmlTarget = {
      anchor: `t${i + 1}`,
      id: t.id,
      name: t.name,
      endpoint: t.endpoint,
      ...(t.servername ? { servername: t.servername } : {}),
      kind: t.kind,
      ...(t.origin ? { origin: t.origin } : {}),
      ...(t.reference ? { reference: t.reference } : {}),
      ...(t.protocol ? { protocol: t.protocol } : {}),
      ...(t.policy ? { policy: t.policy } : {}),
      verdict: worstStatus(results.map((r) => r.status)),
      counts: countStatuses(results.map((r) => r.status)),
      suites,
      checks: full
        ? results.map((r) => ({
            status: r.status,
            id: r.check,
            title: r.title,
            suite: r.suite,
            message: r.message,
            ...(r.remediation ? { remediation: r.remediation } : {}),
            references: referencesOf(r.check),
            evidence: r.evidence,
            durationMs: r.durationMs,
            ...(r.waiver ? { waiver: r.waiver } : {}),
          }))
        : [],
      serverChain: full ? (t.peerChain ?? []) : [],
      ...(anchorSubject ? { anchorSubject } : {}),
      clientChain: full ? (t.clientChain ?? []) : [],
      fileCertificates: full ? (t.fileCertificates ?? []) : [],
    };
    // As an element of the model's targets list: cleaned at the depth clean(model) reaches it.
    return clean(built, 2) as HtmlTarget;
  };
  const head: HtmlHead = {
    kind: audit ? 'audit' : 'run',
    title: audit ? 'mTLS credential audit' : run.sources ? 'mTLS fleet report' : 'mTLS conformance report',
    tool: toolInfo(),
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.durationMs,
    ...(run.diff ? { diff: run.diff } : {}),
    timeZone: timeZone(),
    command: ['mtls-harness', ...redactArgv(argv)],
    host: hostname(),
    ...(run.targets[0]?.policy ? { policy: run.targets[0].policy } : {}),
    ...(run.settings ? { settings: run.settings } : {}),
    ...(run.provenance ? { provenance: run.provenance } : {}),
    ...(run.sources ? { sources: run.sources } : {}),
    verdict: worstStatus(run.results.map((r) => r.status)),
    summary: countStatuses(run.results.map((r) => r.status)),
    ...(run.incomplete ? { incomplete: run.incomplete } : {}),
    ...(run.waivers ? { waivers: run.waivers } : {}),
  };
  // The digest and the embedded bytes are ours, and must stay byte-exact: never cleaned or cut.
  return { head: clean(head) as HtmlHead, count: run.targets.length, target, digest: digestOf(json, RUN_DIGEST_OF) };
}

const FINDING_STATUS: Record<FindingStatus, RowStatus> = { ok: 'pass', warn: 'warn', problem: 'fail', info: 'info' };

function outcomeCerts(o: ProbeOutcome | undefined): CertSummary[] {
  if (!o) return [];
  if (o.peerChain.length > 0) return o.peerChain;
  return o.peerChainPem.map((p) => summarizeCertificate(Buffer.from(p)));
}

/** A diagnosis's row statuses (info lines judge nothing) and its verdict. */
function diagnosisStatuses(d: Diagnosis): { statuses: Status[]; verdict: Status } {
  const statuses: Status[] = d.findings.map((f) => FINDING_STATUS[f.status]).filter((s): s is Status => s !== 'info');
  return { statuses, verdict: d.unreachable ? 'error' : worstStatus(statuses) };
}

/** One diagnosis as a report target: one row per finding, both probes as evidence. */
function diagnosisTarget(d: Diagnosis, i: number, id: string, policy: Policy, full: boolean): HtmlTarget {
  const evidenceFor = (id: string): Evidence => {
    switch (id) {
      case 'without-cert':
        return probeEvidence(d.withoutCert);
      case 'with-cert':
        return d.withCert ? probeEvidence(d.withCert) : {};
      case 'self-signed':
        return d.selfSigned ? probeEvidence(d.selfSigned) : {};
      case 'client-revocation':
        return d.clientRevocation ? { crls: d.clientRevocation.readings, fetched: d.clientRevocation.fetched } : {};
      case 'client-auth-mode':
        return {
          mode: d.clientAuth.mode,
          method: d.clientAuth.method,
          acceptableCaNames: d.clientAuth.acceptableCaNames,
          observed: d.clientAuth.evidence,
          ...(d.clientAuth.caveat ? { caveat: d.clientAuth.caveat } : {}),
        };
      case 'server-chain':
        return { path: d.chain.path, ...(d.chain.anchor ? { anchor: d.chain.anchor } : {}), problems: d.chain.problems, trust: d.chain.trust };
      case 'connection':
        return d.unreachable ? probeEvidence(d.withoutCert) : {};
      default:
        return {};
    }
  };
  const { statuses, verdict } = diagnosisStatuses(d);
  const checks: HtmlCheck[] = full
    ? d.findings.map((f) => ({
        status: FINDING_STATUS[f.status],
        id: `probe.${f.id}`,
        title: f.aspect,
        suite: 'probe',
        message: f.finding,
        ...(f.fix ? { remediation: f.fix } : {}),
        references: referencesOf(PROBE_FINDING_CHECK[f.id] ?? ''),
        evidence: evidenceFor(f.id),
      }))
    : [];
  const ref = d.withCert?.peerChainPem.length ? d.withCert : d.withoutCert;
  const counts = countStatuses(statuses);
  return {
    anchor: `t${i + 1}`,
    id,
    name: d.target,
    endpoint: d.target,
    ...(d.servername ? { servername: d.servername } : {}),
    kind: 'live',
    ...(ref.protocol ? { protocol: ref.protocol } : {}),
    policy,
    verdict,
    counts,
    suites: [{ id: 'probe', title: 'Diagnosis', status: verdict, counts }],
    checks,
    serverChain: full ? outcomeCerts(ref) : [],
    ...(d.chain.ok && d.chain.anchor ? { anchorSubject: d.chain.anchor } : {}),
    clientChain: [],
    fileCertificates: [],
  };
}

/** The model of `probe` diagnoses (one target each). */
export function probeHtmlModel(
  ds: Diagnosis[],
  argv: string[],
  jsonText: string,
  timing: { startedAt: string; finishedAt: string; durationMs: number },
  policy: Policy,
  incomplete?: HtmlModel['incomplete'],
): HtmlModel {
  return modelOfPage(probeHtmlPage(ds, argv, { sha256: sha256Hex(jsonText), json: () => [jsonText] }, timing, policy, incomplete));
}

/** The page of `probe` diagnoses, one target at a time; `json` the exact `probe --json` document's bytes and digest. */
export function probeHtmlPage(
  ds: Diagnosis[],
  argv: string[],
  json: JsonBytes,
  timing: { startedAt: string; finishedAt: string; durationMs: number },
  policy: Policy,
  incomplete?: HtmlModel['incomplete'],
): HtmlPage {
  const all = ds.map(diagnosisStatuses);
  const ids = targetIds(ds.map((d) => d.target));
  const head: HtmlHead = {
    kind: 'probe',
    title: 'mTLS diagnosis',
    tool: toolInfo(),
    ...timing,
    timeZone: timeZone(),
    command: ['mtls-harness', ...redactArgv(argv)],
    host: hostname(),
    policy,
    verdict: worstStatus(all.map((s) => s.verdict)),
    summary: countStatuses(all.flatMap((s) => s.statuses)),
    ...(incomplete ? { incomplete } : {}),
  };
  return {
    head: clean(head) as HtmlHead,
    count: ds.length,
    target: (i, full) => clean(diagnosisTarget(ds[i]!, i, ids[i]!, policy, full), 2) as HtmlTarget,
    digest: digestOf(json, 'the JSON diagnosis (probe --json) of this probe, byte for byte'),
  };
}

/** The catalogue check whose references fit each diagnosis line. */
const PROBE_FINDING_CHECK: Record<string, string> = {
  connection: 'handshake.protocol-version',
  'client-auth-mode': 'handshake.client-auth-mode',
  'without-cert': 'reject.no-client-cert',
  'with-cert': 'handshake.accepts-valid-client-cert',
  'self-signed': 'chain.rejects-self-signed-client',
  'client-revocation': 'chain.client-cert-not-revoked',
  'server-chain': 'chain.server-trusted',
  'server-expiry': 'expiry.server-cert',
  'san-coverage': 'san.server-matches-name',
};
