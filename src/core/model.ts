/**
 * The result and report model (data only): what a check concludes, what a run reports. Every
 * command reports in it; nothing here holds a live object.
 */
import type { RunDiff } from './diff.js';
import type { FailOn, Status, Summary } from './status.js';
import type { Policy, TargetOrigin, TargetSource } from './target.js';

/**
 * The version of every JSON document the harness writes (the run report and `probe --json`): 2
 * since issue 17 (targets' `id`, results' `targetId`, the `suites` list); docs/reports.md has the
 * shape and the migration from 1.
 */
export const SCHEMA_VERSION = 2;

/** Structured, JSON-safe evidence of a result: alerts, versions, chain summaries… never a private key. */
export type Evidence = Record<string, unknown>;

/** One (target, check) verdict. */
export interface Result {
  /** The target's id, unique in the report (`TargetReport.id`; src/core/target-id.ts): group by this, not by `target`. */
  targetId: string;
  /** The target's label (its name, `host:port`, …): two targets may share it. */
  target: string;
  suite: string;
  check: string;
  title: string;
  status: Status;
  /** One plain sentence a human can act on. */
  message: string;
  /** How to fix it, when there is something to fix. */
  remediation?: string;
  evidence: Evidence;
  durationMs: number;
  /**
   * The waiver that accepts this finding (docs/waivers.md): the status is kept as it was found, but
   * the result does not fail the run. Only on fail, warn and error results, while the waiver is valid.
   */
  waiver?: AppliedWaiver;
}

/** A waiver as a result carries it: who accepted the finding, why, until when, and which entry. */
export interface AppliedWaiver {
  reason: string;
  owner: string;
  /** The last day (UTC, inclusive) the waiver is valid: YYYY-MM-DD. */
  expires: string;
  /** The file the entry is in (the waivers file, or the config file for inline `waivers:`). */
  file: string;
  /** 0-based position of the entry in the file's `waivers:` list. */
  index: number;
}

/** A waiver entry named in a report's `waivers` (unused or expired). */
export interface WaiverListed {
  index: number;
  /** Line of the entry in its file. */
  line?: number;
  target: string;
  check: string;
  owner: string;
  expires: string;
  /** How many fail/warn/error results it matches (an expired one waives none of them). */
  matched: number;
}

/** What the waivers of a run did (docs/waivers.md): present when a waivers file or `waivers:` was given. */
export interface WaiversReport {
  file: string;
  /** Entries in the file. */
  entries: number;
  /** Results waived. */
  applied: number;
  /** Valid entries that matched no fail/warn/error result. */
  unused: WaiverListed[];
  /** Entries past their `expires` date: they waive nothing. */
  expired: WaiverListed[];
}

/** What a check returns; the runner adds the target (id and label), suite, id, title and timing. */
export interface CheckVerdict {
  status: Status;
  message: string;
  remediation?: string;
  evidence?: Evidence;
}

/** Plain-data summary of a certificate: safe to serialise into any report (no key material). */
export interface CertSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  sans: { dns: string[]; ip: string[]; uri: string[]; email: string[]; other: string[] };
  /** Extended key usages by name (`serverAuth`, `clientAuth`, …) or OID when unknown; empty when absent. */
  extKeyUsage: string[];
  keyUsage: string[];
  basicConstraints?: { ca: boolean; pathLength?: number; critical: boolean };
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter (negative once expired), by the injected clock. */
  daysLeft: number;
  expired: boolean;
  notYetValid: boolean;
  /** `type: 'undecodable'` with `undecodable` saying why when the SPKI cannot be decoded (e.g. an unknown curve OID). */
  publicKey: { type: string; bits?: number; curve?: string; undecodable?: string };
  signatureAlgorithm: string;
  /** SHA-256 of the DER, upper-case hex with colons (the `openssl x509 -fingerprint -sha256` form). */
  fingerprintSha256: string;
  selfIssued: boolean;
}

/** What a run reports about each target besides results. */
export interface TargetReport {
  /** Unique in the report and stable across runs of the same configuration (src/core/target-id.ts); results name it as `targetId`. */
  id: string;
  /** The label shown for it (config `name`, or `host:port`); not unique. */
  name: string;
  endpoint: string;
  servername?: string;
  /**
   * `client`: a client under test (client-test); `endpoint` is then its command line.
   * `files`: a credential set of the offline audit (`mtls-harness audit`), not an endpoint.
   * `kubernetes`: an object audited by `k8s scan` (a Secret, Pod, ConfigMap, Certificate); `endpoint` is its `kind/namespace/name`.
   */
  kind: 'live' | 'reference' | 'client' | 'files' | 'kubernetes';
  reference?: { implementation: string; profile: string };
  /** The TLS version negotiated by the first connection. */
  protocol?: string;
  /** What is spoken around TLS (https, postgres, redis …) and, when it was detected, how. */
  appProtocol?: { name: string; detected?: string };
  peerChain?: CertSummary[];
  /** The policy this target was judged by (global policy with the target's overrides). */
  policy?: Policy;
  /** The valid client credential's certificates (leaf first) the harness presented; never a key. */
  clientChain?: CertSummary[];
  /** Offline audit: the certificates found in this credential set's files, each with its file; never a key. */
  fileCertificates?: FileCertificate[];
  /** k8s scan: the Kubernetes object (and part of it) this target was made from, and what it declares. */
  origin?: TargetOrigin;
  /** The config file or targets file line the target was written on (absent for `--target`, a reference started by flags, k8s scan). */
  source?: TargetSource;
}

/** A certificate found by the offline audit, with the file it is in and what it is there for. */
export interface FileCertificate {
  /** The file as the report shows it (relative to the working directory when below it). */
  file: string;
  /** 1-based position of the certificate in its file. */
  index: number;
  /** What it is, e.g. `server leaf`, `CA`, `chain #2`. */
  role: string;
  cert: CertSummary;
}

/** How an offline audit was set up (`mtls-harness audit`): what was audited, against what. */
export interface AuditSettings {
  paths: string[];
  warnDays: number;
  failDays: number;
  expectedNames: string[];
  /** Roles given with --role (file → role). */
  roles: { file: string; role: string }[];
  /** The trust anchors given with --ca, if any (else the CAs found among the files). */
  ca?: string;
  /** `certs init` layouts recognised, by directory. */
  layouts: { dir: string; layout: string }[];
}

/** How the run was set up, for the reports' header ("the policy in force"). */
export interface RunSettings {
  failOn: FailOn;
  timeoutMs: number;
  /** Targets scanned at once. */
  concurrency: number;
  connectionsPerTarget?: number;
  targetTimeoutMs?: number;
  suites?: string[];
  checks?: string[];
  /** Offline audits only (timeout and concurrency do not apply to them). */
  audit?: AuditSettings;
}

/**
 * Who ran what, where, with what (docs/evidence.md): written into the JSON report (`run.provenance`)
 * and so under its digest. Paths and certificate fingerprints only: never key material.
 */
export interface Provenance {
  /** `user@host`, or $MTLS_OPERATOR when set (CI: the pipeline's identity). */
  operator: string;
  /** Where `operator` came from. */
  operatorFrom: 'MTLS_OPERATOR' | 'system';
  host: string;
  /** `linux 6.1.0 x64`. */
  platform: string;
  versions: { tool: string; node: string; openssl: string };
  /** The working directory the relative paths below are relative to. */
  cwd: string;
  /** The command (`run`, `k8s scan`, `report merge` …). */
  command: string;
  /** The global policy in force, when the command has one. */
  policy?: Policy;
  /** The config file read, and the SHA-256 of its bytes. */
  config?: { path: string; sha256: string };
  /** The MTLS_* environment variables set (secret ones redacted). */
  environment: Record<string, string>;
  /**
   * The files the command's flags named: SHA-256 of the bytes and the SHA-256 fingerprints of the
   * certificates in them; a key file (or one holding a private key) by its path only.
   */
  files: ProvenanceFile[];
}

export interface ProvenanceFile {
  /** The flag (`--cert`) or variable (`MTLS_CERT`) that named it, or `argument`. */
  from: string;
  path: string;
  /** Absent for key material (keys, PKCS#12) and unreadable files. */
  sha256?: string;
  certificates?: { subject: string; fingerprintSha256: string }[];
  /** Why there is no digest (`key material: path only`, `unreadable: ENOENT`, …). */
  note?: string;
}

/** One run report merged into a fleet report (`mtls-harness report merge`; docs/fleet.md). */
export interface MergeSource {
  /** The prefix of its targets' ids in the merged report (`LABEL/id`). */
  label: string;
  /** The file as given on the command line. */
  file: string;
  bytes: number;
  /** SHA-256 of the bytes read: the digest that run's HTML and PDF reports print. */
  sha256: string;
  schemaVersion: number;
  tool?: { name: string; version: string };
  startedAt: string;
  finishedAt: string;
  /** The source's own recorded provenance, as it was. */
  provenance?: Provenance;
  /** The source's own sources, when it was itself a merged report. */
  sources?: { label: string; file: string; sha256: string }[];
  incomplete?: { reason: string; targetsFinished: number; targetsTotal: number };
  targets: number;
  summary: Summary;
}

export interface RunReport {
  /** Absent when the caller did not say (library use); the CLI always sets it. */
  settings?: RunSettings;
  /** Who ran it, where, with what (the CLI always sets it; docs/evidence.md). */
  provenance?: Provenance;
  /** A fleet report (`report merge`): the run reports merged into it, each with its digest. */
  sources?: MergeSource[];
  /** Set when the run ended early (Ctrl-C): the results hold what finished; the rest are `error` "not finished". */
  incomplete?: { reason: string; targetsFinished: number; targetsTotal: number };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** `--baseline FILE`: what changed since that run's report (docs/diff.md); absent without one. */
  diff?: RunDiff;
  targets: TargetReport[];
  results: Result[];
  summary: Summary;
  /** Set when waivers were given (docs/waivers.md). */
  waivers?: WaiversReport;
}
