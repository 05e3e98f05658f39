import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { CertSummary } from '../../core/model.js';
import type { Diagnosis, FindingStatus } from '../../probe/diagnose.js';
import type { ProbeOutcome } from '../../probe/tls-probe.js';
import { summarizeCertificate } from '../../pki/inspect.js';
import { STATUSES, type Status, type Summary } from '../../core/status.js';
import type { Evidence, FileCertificate, RunReport, RunSettings } from '../../core/model.js';
import type { Policy } from '../../core/target.js';
import { toolInfo } from '../../io/version.js';
import { redactArgv } from '../../core/redact.js';
import { referencesOf, type Reference } from '../../../suites/references.js';
import { SUITES } from '../../../suites/index.js';
import { probeEvidence } from '../../checks/judge.js';
import { AUDIT_SUITE } from '../../audit/audit.js';
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
  name: string;
  endpoint: string;
  servername?: string;
  kind: string;
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
  verdict: Status;
  summary: Summary;
  /** The run ended early (Ctrl-C): what finished is shown, the rest is `error` "not finished". */
  incomplete?: { reason: string; targetsFinished: number; targetsTotal: number };
  targets: HtmlTarget[];
  /** SHA-256 (hex) of the JSON report's exact bytes, and those bytes (embedded for verification). */
  digest: { sha256: string; of: string; json: string };
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
  const suiteTitles = new Map<string, string>([...SUITES.map((s) => [s.id, s.title] as const), [AUDIT_SUITE.id, AUDIT_SUITE.title]]);
  const audit = run.targets.length > 0 && run.targets.every((t) => t.kind === 'files');
  const byTarget = resultsByTarget(run.results);
  const targets: HtmlTarget[] = run.targets.map((t, i) => {
    const results = byTarget.get(t.name) ?? [];
    const suiteIds = [...new Set([...SUITES.map((s) => s.id), ...results.map((r) => r.suite)])];
    const suites: HtmlSuiteCell[] = suiteIds.map((id) => {
      const rs = results.filter((r) => r.suite === id);
      return { id, title: suiteTitles.get(id) ?? id, ...(rs.length ? { status: worstStatus(rs.map((r) => r.status)) } : {}), counts: countStatuses(rs.map((r) => r.status)) };
    });
    const trusted = results.find((r) => r.check === 'chain.server-trusted' && r.status === 'pass');
    const anchorSubject = typeof trusted?.evidence.anchor === 'string' ? trusted.evidence.anchor : undefined;
    return {
      anchor: `t${i + 1}`,
      name: t.name,
      endpoint: t.endpoint,
      ...(t.servername ? { servername: t.servername } : {}),
      kind: t.kind,
      ...(t.reference ? { reference: t.reference } : {}),
      ...(t.protocol ? { protocol: t.protocol } : {}),
      ...(t.policy ? { policy: t.policy } : {}),
      verdict: worstStatus(results.map((r) => r.status)),
      counts: countStatuses(results.map((r) => r.status)),
      suites,
      checks: results.map((r) => ({
        status: r.status,
        id: r.check,
        title: r.title,
        suite: r.suite,
        message: r.message,
        ...(r.remediation ? { remediation: r.remediation } : {}),
        references: referencesOf(r.check),
        evidence: r.evidence,
        durationMs: r.durationMs,
      })),
      serverChain: t.peerChain ?? [],
      ...(anchorSubject ? { anchorSubject } : {}),
      clientChain: t.clientChain ?? [],
      fileCertificates: t.fileCertificates ?? [],
    };
  });
  const model: Omit<HtmlModel, 'digest'> = {
    kind: audit ? 'audit' : 'run',
    title: audit ? 'mTLS credential audit' : 'mTLS conformance report',
    tool: toolInfo(),
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.durationMs,
    timeZone: timeZone(),
    command: ['mtls-harness', ...redactArgv(argv)],
    host: hostname(),
    ...(run.targets[0]?.policy ? { policy: run.targets[0].policy } : {}),
    ...(run.settings ? { settings: run.settings } : {}),
    verdict: worstStatus(run.results.map((r) => r.status)),
    summary: run.summary,
    ...(run.incomplete ? { incomplete: run.incomplete } : {}),
    targets,
  };
  // The digest and the embedded bytes are ours, and must stay byte-exact: never cleaned or cut.
  return { ...(clean(model) as Omit<HtmlModel, 'digest'>), digest: { sha256: sha256Hex(jsonText), of: 'the JSON report (--json) of this run, byte for byte', json: jsonText } };
}

const FINDING_STATUS: Record<FindingStatus, RowStatus> = { ok: 'pass', warn: 'warn', problem: 'fail', info: 'info' };

function outcomeCerts(o: ProbeOutcome | undefined): CertSummary[] {
  if (!o) return [];
  if (o.peerChain.length > 0) return o.peerChain;
  return o.peerChainPem.map((p) => summarizeCertificate(Buffer.from(p)));
}

/** One diagnosis as a report target: one row per finding, both probes as evidence. */
function diagnosisTarget(d: Diagnosis, i: number, policy: Policy): HtmlTarget {
  const evidenceFor = (id: string): Evidence => {
    switch (id) {
      case 'without-cert': return probeEvidence(d.withoutCert);
      case 'with-cert': return d.withCert ? probeEvidence(d.withCert) : {};
      case 'self-signed': return d.selfSigned ? probeEvidence(d.selfSigned) : {};
      case 'client-auth-mode': return { mode: d.clientAuth.mode, method: d.clientAuth.method, acceptableCaNames: d.clientAuth.acceptableCaNames, observed: d.clientAuth.evidence, ...(d.clientAuth.caveat ? { caveat: d.clientAuth.caveat } : {}) };
      case 'server-chain': return { path: d.chain.path, ...(d.chain.anchor ? { anchor: d.chain.anchor } : {}), problems: d.chain.problems, trust: d.chain.trust };
      case 'connection': return d.unreachable ? probeEvidence(d.withoutCert) : {};
      default: return {};
    }
  };
  const statuses: Status[] = d.findings.map((f) => FINDING_STATUS[f.status]).filter((s): s is Status => s !== 'info');
  const checks: HtmlCheck[] = d.findings.map((f) => ({
    status: FINDING_STATUS[f.status],
    id: `probe.${f.id}`,
    title: f.aspect,
    suite: 'probe',
    message: f.finding,
    ...(f.fix ? { remediation: f.fix } : {}),
    references: referencesOf(PROBE_FINDING_CHECK[f.id] ?? ''),
    evidence: evidenceFor(f.id),
  }));
  const ref = d.withCert?.peerChainPem.length ? d.withCert : d.withoutCert;
  const counts = countStatuses(statuses);
  const verdict = d.unreachable ? 'error' : worstStatus(statuses);
  return {
    anchor: `t${i + 1}`,
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
    serverChain: outcomeCerts(ref),
    ...(d.chain.ok && d.chain.anchor ? { anchorSubject: d.chain.anchor } : {}),
    clientChain: [],
    fileCertificates: [],
  };
}

/** The model of `probe` diagnoses (one target each). */
export function probeHtmlModel(ds: Diagnosis[], argv: string[], jsonText: string, timing: { startedAt: string; finishedAt: string; durationMs: number }, policy: Policy, incomplete?: HtmlModel['incomplete']): HtmlModel {
  const targets = ds.map((d, i) => diagnosisTarget(d, i, policy));
  const summary = countStatuses(targets.flatMap((t) => t.checks.map((c) => c.status).filter((s): s is Status => s !== 'info')));
  const model: Omit<HtmlModel, 'digest'> = {
    kind: 'probe',
    title: 'mTLS diagnosis',
    tool: toolInfo(),
    ...timing,
    timeZone: timeZone(),
    command: ['mtls-harness', ...redactArgv(argv)],
    host: hostname(),
    policy,
    verdict: worstStatus(targets.map((t) => t.verdict)),
    summary,
    ...(incomplete ? { incomplete } : {}),
    targets,
  };
  return { ...(clean(model) as Omit<HtmlModel, 'digest'>), digest: { sha256: sha256Hex(jsonText), of: 'the JSON diagnosis (probe --json) of this probe, byte for byte', json: jsonText } };
}

/** The catalogue check whose references fit each diagnosis line. */
const PROBE_FINDING_CHECK: Record<string, string> = {
  connection: 'handshake.protocol-version',
  'client-auth-mode': 'handshake.client-auth-mode',
  'without-cert': 'reject.no-client-cert',
  'with-cert': 'handshake.accepts-valid-client-cert',
  'self-signed': 'chain.rejects-self-signed-client',
  'server-chain': 'chain.server-trusted',
  'server-expiry': 'expiry.server-cert',
  'san-coverage': 'san.server-matches-name',
};
