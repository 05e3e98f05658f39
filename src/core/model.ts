import type { KeyObject, X509Certificate } from 'node:crypto';
import type { Clock } from './clock.js';
import type { Credential } from '../pki/generate.js';
import type { CertSummary } from '../pki/inspect.js';
import type { ProbeOutcome, TlsVersion } from '../probe/tls-probe.js';
import type { Control } from '../probe/controls.js';
import type { RecognizedStack } from '../probe/advice.js';
import type { PlaintextKind, PlaintextOutcome } from '../probe/plaintext.js';
import type { ProfileName } from '../targets/profiles.js';
import type { ApplyMode, TargetUnderTest } from '../targets/target.js';
import type { RotationObservation } from '../rotation/observe.js';

/** Every check ends in exactly one status (CONFORMANCE.md). */
export type Status = 'pass' | 'warn' | 'fail' | 'skip' | 'error';
export const STATUSES: readonly Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];

/** Structured, JSON-safe evidence of a result: alerts, versions, chain summaries… never a private key. */
export type Evidence = Record<string, unknown>;

/** One (target, check) verdict. */
export interface Result {
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
}

/** Policy knobs (global, overridable per target). */
export interface Policy {
  minTlsVersion: TlsVersion;
  /** `warn` when a certificate expires within this many days. */
  warnDays: number;
  /** `fail` when a certificate expires within this many days. */
  failDays: number;
  /** Count a refusal only at the HTTP layer as `fail` (default: it is enforcement, `pass`). */
  requireTlsRejection: boolean;
}

export const DEFAULT_POLICY: Policy = { minTlsVersion: 'TLSv1.2', warnDays: 30, failDays: 7, requireTlsRejection: false };

/** Client credentials loaded and checked (key matches certificate). The key never reaches a report. */
export interface ClientCredentials {
  certPem: string;
  keyPem: string;
  chain: X509Certificate[];
}

/** A normalised target: everything a check needs, resolved and validated before any check runs. */
export interface TargetConfig {
  /** Display name (config `name`, or host:port). */
  name: string;
  host: string;
  port: number;
  servername?: string;
  /** Names the server certificate must cover besides the servername. */
  expectedNames: string[];
  protocol: 'https' | 'tls' | 'grpc';
  httpPath?: string;
  /** TLS versions the harness offers (default: node's, TLS 1.2–1.3). Not the policy minimum. */
  tlsVersions?: { min?: TlsVersion; max?: TlsVersion };
  /** Trust anchors for the server chain (PEM bundle); the system store when absent. */
  trustPem?: string;
  /** The valid client credentials. */
  client?: ClientCredentials;
  /** The CA that issues clients (default: the trust bundle) and its key, for crafted certificates. */
  clientCaPem?: string;
  caKey?: KeyObject;
  expect: { serverIdentity?: string; allowedClientIdentities?: string[] };
  policy: Policy;
  /** Extra plaintext ports that must not serve (reject.plaintext). */
  plaintextPorts: number[];
  /** How this target rotates, for the rotation-continuity suite (absent: its checks are `skip`). */
  rotation?: RotationConfig;
  reference?: { implementation: string; profile: ProfileName };
}

/** What triggers a rotation (CONFORMANCE.md rotation-continuity). */
export type RotationTrigger =
  /** A reference server the harness rotates itself (the target's `started` server): new files, then its reload or a restart. */
  | { kind: 'reference'; mode: ApplyMode }
  /** A user command (run through /bin/sh) that rotates a live target, e.g. a rollout restart. */
  | { kind: 'command'; command: string; timeoutMs: number }
  /** Only observe for a window (a rotation expected to happen on its own). */
  | { kind: 'watch'; durationMs: number };

export interface RotationConfig {
  /** Absent: nothing triggers or is watched (the continuity checks skip; ca-overlap may still run). */
  trigger?: RotationTrigger;
  /** Handshakes per second (default 20). */
  rate: number;
  /** Handshakes open at once at most (default 4). */
  maxInFlight: number;
  /** Probe this long before the trigger, and this long after it completes (ms). */
  beforeMs: number;
  afterMs: number;
  /** One HTTP request per attempt (default: yes for https targets). */
  request: boolean;
  /** A client credential from the other CA, for rotation.ca-overlap on live targets. */
  overlapClient?: ClientCredentials;
}

/**
 * Live targets: 20 handshakes/s (CONFORMANCE.md). Reference targets: 100/s, because a local process
 * restart can be out for less than one 50 ms slot of 20/s and slip between two attempts.
 */
export const ROTATION_DEFAULTS = { rate: 20, referenceRate: 100, maxInFlight: 4, referenceInFlight: 16, beforeMs: 2000, afterMs: 5000 } as const;

/** The kinds of crafted client certificates checks present (CONFORMANCE.md chain-validation, expiry, san). */
export type CraftedKind = 'untrustedCa' | 'selfSigned' | 'wrongEku' | 'caAsLeaf' | 'expired' | 'notYetValid' | 'intermediateIssued' | 'wrongIdentity';

/** What a check sees: the target, memoised probes, crafted credentials, the clock. */
export interface CheckContext {
  target: TargetUnderTest;
  clock: Clock;
  /** Per-connection timeout of the run (ms). */
  timeoutMs: number;
  /** Probe without a client certificate (memoised per target); the first connection to a target. */
  noCert(): Promise<ProbeOutcome>;
  /** A plaintext HTTP/1.1 or h2c attempt on a port (memoised). */
  plaintext(port: number, kind: PlaintextKind): Promise<PlaintextOutcome>;
  /** Probe with the valid client credentials, or undefined without them (memoised). */
  withCert(): Promise<ProbeOutcome | undefined>;
  /** Probe presenting a crafted certificate; `skip` says what is missing to mint it (memoised). */
  withCrafted(kind: CraftedKind): Promise<ProbeOutcome | { skip: string }>;
  /** Probe with a hello capped at `maxVersion` (memoised). */
  capped(maxVersion: TlsVersion): Promise<ProbeOutcome>;
  /**
   * The control of a refusal (docs/CONFORMANCE.md "Controls"): for `noCert`, the valid client
   * (given, or minted from the CA key); for a crafted kind, a valid client minted from the same CA
   * with the same profile except the property under test (the given client when no CA key).
   * Undefined when there is none. Memoised; probed only when asked.
   */
  control(kind: CraftedKind | 'noCert'): Promise<Control | undefined>;
  /**
   * The server stack, for advice that names the right configuration line: from the reference in
   * use, else the HTTP Server header the probes saw, else a gRPC target; undefined when unknown.
   */
  stack(): Promise<RecognizedStack | undefined>;
  /** A crafted credential (for evidence), or the skip reason. */
  crafted(kind: CraftedKind): Promise<Credential | { skip: string }>;
  /** The rotation observed with a continuous stream of handshakes (memoised), or why not. */
  rotation(): Promise<RotationObservation | { skip: string }>;
}

/** What a check returns; the runner adds target, suite, id, title and timing. */
export interface CheckVerdict {
  status: Status;
  message: string;
  remediation?: string;
  evidence?: Evidence;
}

export interface Check {
  /** Stable id from CONFORMANCE.md; never renamed. */
  id: string;
  title: string;
  /**
   * Changes the target (rotation): runs alone, after every other check of its target, in
   * catalogue order.
   */
  exclusive?: boolean;
  /** Time this check may take on a target (default: a few connection timeouts). */
  budgetMs?(target: TargetConfig, timeoutMs: number): number;
  run(ctx: CheckContext): Promise<CheckVerdict>;
}

export interface Suite {
  id: string;
  title: string;
  checks: Check[];
}

/** What a run reports about each target besides results. */
export interface TargetReport {
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
  protocol?: string;
  peerChain?: CertSummary[];
  /** The policy this target was judged by (global policy with the target's overrides). */
  policy?: Policy;
  /** The valid client credential's certificates (leaf first) the harness presented; never a key. */
  clientChain?: CertSummary[];
  /** Offline audit: the certificates found in this credential set's files, each with its file; never a key. */
  fileCertificates?: FileCertificate[];
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
  failOn: 'fail' | 'warn';
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

export type Summary = Record<Status, number>;

export interface RunReport {
  /** Absent when the caller did not say (library use); the CLI always sets it. */
  settings?: RunSettings;
  /** Set when the run ended early (Ctrl-C): the results hold what finished; the rest are `error` "not finished". */
  incomplete?: { reason: string; targetsFinished: number; targetsTotal: number };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  targets: TargetReport[];
  results: Result[];
  summary: Summary;
}
