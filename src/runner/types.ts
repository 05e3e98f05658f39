import type { KeyObject, X509Certificate } from 'node:crypto';
import type { Clock } from '../pki/clock.js';
import type { Credential, FixturePki } from '../pki/generate.js';
import type { CertSummary } from '../pki/inspect.js';
import type { ProbeOutcome, TlsVersion } from '../probe/tls-probe.js';
import type { ProfileName } from '../targets/profiles.js';

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
  protocol: 'https' | 'tls';
  httpPath?: string;
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
  /** Reference targets: the fixture PKI their crafted certificates come from. */
  fixture?: FixturePki;
  reference?: { implementation: string; profile: ProfileName };
}

/** The kinds of crafted client certificates checks present (CONFORMANCE.md chain-validation, expiry, san). */
export type CraftedKind = 'untrustedCa' | 'selfSigned' | 'wrongEku' | 'caAsLeaf' | 'expired' | 'notYetValid' | 'intermediateIssued' | 'wrongIdentity';

/** What a check sees: the target, memoised probes, crafted credentials, the clock. */
export interface CheckContext {
  target: TargetConfig;
  clock: Clock;
  /** Per-connection timeout of the run (ms). */
  timeoutMs: number;
  /** Probe without a client certificate (memoised per target). */
  noCert(): Promise<ProbeOutcome>;
  /** Probe with the valid client credentials, or undefined without them (memoised). */
  withCert(): Promise<ProbeOutcome | undefined>;
  /** Probe presenting a crafted certificate; `skip` says what is missing to mint it (memoised). */
  withCrafted(kind: CraftedKind): Promise<ProbeOutcome | { skip: string }>;
  /** Probe with a hello capped at `maxVersion` (memoised). */
  capped(maxVersion: TlsVersion): Promise<ProbeOutcome>;
  /** A crafted credential (for evidence), or the skip reason. */
  crafted(kind: CraftedKind): Promise<Credential | { skip: string }>;
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
  kind: 'live' | 'reference';
  reference?: { implementation: string; profile: string };
  protocol?: string;
  peerChain?: CertSummary[];
}

export type Summary = Record<Status, number>;

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  targets: TargetReport[];
  results: Result[];
  summary: Summary;
}
