/**
 * Target configuration (data only): where a target is, what it must present, the credentials to
 * present to it, the policy it is judged by and how it rotates. What the harness started for a
 * target (a reference server) goes beside it (src/targets/target.ts `TargetUnderTest`).
 */
import type { KeyObject, X509Certificate } from 'node:crypto';

/** The TLS versions, oldest first, in node's spelling. */
export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** The protocols a target or a reference server speaks (issue 18 adds the databases and brokers). */
export const PROTOCOLS = ['https', 'tls', 'grpc', 'postgres', 'postgres-direct', 'mysql', 'redis', 'mqtt', 'amqp', 'ldap', 'smtp', 'imap', 'pop3'] as const;

export type Protocol = (typeof PROTOCOLS)[number];

/** Whether `s` names a protocol (the probe's registry has one module per name). */
export function isProtocol(s: string): s is Protocol {
  return (PROTOCOLS as readonly string[]).includes(s);
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
  protocol: Protocol;
  /**
   * No protocol was given (flag, config, annotation): the runner decides it from what the server
   * does before the checks run (`probe/detect.ts`); `protocol` is then replaced, or, undecided, stays
   * `https` and the report says it was not decided.
   */
  detectProtocol?: boolean;
  /** How the protocol was decided, or why it could not be (set by the runner). */
  protocolDetection?: { how: string; decided: boolean };
  /**
   * The user a database or broker probe logs in as (postgres, mysql): default the CN of the valid
   * client certificate (what certificate authentication maps to a role), else `mtls-harness`.
   */
  appUser?: string;
  httpPath?: string;
  /** TLS versions the harness offers (default: node's, TLS 1.2–1.3). Not the policy minimum. */
  tlsVersions?: { min?: TlsVersion; max?: TlsVersion };
  /** Trust anchors for the server chain (PEM bundle); the system store when absent. */
  trustPem?: string;
  /** The valid client credentials. */
  client?: ClientCredentials;
  /** A client certificate the CA has really revoked (--revoked-cert/--revoked-key): chain.rejects-revoked-client. */
  revokedClient?: ClientCredentials;
  /** CRLs to check the valid client against (--crl: DER each, with where it came from): chain.client-cert-not-revoked. */
  clientCrls?: readonly { source: string; der: Buffer }[];
  /** Fetch the valid client's CRL distribution points (http only) for that check (--fetch-crl). */
  fetchCrl?: boolean;
  /** The CA that issues clients (default: the trust bundle) and its key, for crafted certificates. */
  clientCaPem?: string;
  caKey?: KeyObject;
  expect: { serverIdentity?: string; allowedClientIdentities?: string[] };
  policy: Policy;
  /** Extra plaintext ports that must not serve (reject.plaintext). */
  plaintextPorts: number[];
  /** How this target rotates, for the rotation-continuity suite (absent: its checks are `skip`). */
  rotation?: RotationConfig;
  reference?: { implementation: string; profile: string };
  /** The Kubernetes object a scanned target comes from (k8s scan): findings are tied to it, fixes said in its terms. */
  origin?: TargetOrigin;
  /**
   * Only these checks apply to this target (e.g. a plaintext Service port: reject.plaintext); every
   * other selected check is `skip` with `why`. Absent: every selected check runs.
   */
  scope?: { checks: readonly string[]; why: string };
  /** The line of a config file or targets file this target was written on (SARIF locations); absent for flags. */
  source?: TargetSource;
}

/** Where a target was written: the file (relative to the working directory when below it) and its 1-based line. */
export interface TargetSource {
  file: string;
  line: number;
}

/**
 * The Kubernetes object (and the part of it) a target of `k8s scan` was made from: a Service port,
 * a Gateway listener, an Ingress host, a mesh policy's port. Its verdicts are tied to it in every
 * report, and a fix is said in the object's own terms after the stack-neutral advice.
 */
export interface TargetOrigin {
  /** The object's kind as the API names it: Service, Gateway, Ingress, PeerAuthentication … */
  kind: string;
  namespace: string;
  name: string;
  /** The part of the object: `listener https`, `port 8443`, `host app.example`, `rules[0]`. */
  section?: string;
  /** What the object declares, that the observed behaviour is compared with: field path → value. */
  declared?: Readonly<Record<string, string>>;
  /** Advice topic → the change to this object that fixes it ("add tls.frontendValidation.caCertificateRefs to listener https"). */
  fixes?: Readonly<Record<string, string>>;
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

/** `graceful`: the implementation's own reload; `restart`: stop the server and start it again. */
export type ApplyMode = 'graceful' | 'restart';
