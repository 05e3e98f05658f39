/** The check framework's types: a check, its suite, and the live context it runs in. */
import type { Clock } from '../core/clock.js';
import type { CheckVerdict } from '../core/model.js';
import type { TargetConfig, TlsVersion } from '../core/target.js';
import type { CraftedKind, Credential } from '../pki/generate.js';
import type { LeafKeyType } from '../pki/keys.js';
import type { ProbeOutcome } from '../probe/tls-probe.js';
import type { Control } from '../probe/controls.js';
import type { RecognizedStack } from '../probe/advice.js';
import type { PlaintextKind, PlaintextOutcome } from '../probe/plaintext.js';
import type { TargetUnderTest } from '../targets/target.js';
import type { RotationObservation } from '../rotation/observe.js';

/** The kinds of crafted client certificates checks present (CONFORMANCE.md chain-validation, expiry, san); their recipe: pki/generate.ts. */
export type { CraftedKind } from '../pki/generate.js';

/** A revoked client certificate: PEM (leaf first, then any intermediates) and key; never reported. */
export interface RevokedClient {
  certPem: string;
  chainPem: string;
  keyPem: string;
  source: 'given' | 'minted';
}

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
  /**
   * A crafted profile (src/pki/crafted-profiles.ts, by id): the probe presenting it, the
   * certificate, and its control (the same CA, that one property not changed); `skip` says what is
   * missing to mint it (memoised).
   */
  withProfile(
    id: string,
  ): Promise<{ outcome: ProbeOutcome; crafted: Credential; controlCert: Credential; control: () => Promise<Control | undefined> } | { skip: string }>;
  /**
   * Probe with a valid client whose key is of `type`, minted from the CA (fixture or --ca-key) with
   * the control's profile (handshake.client-key-types); `skip` says what is missing (memoised).
   */
  withKeyType(type: LeafKeyType): Promise<ProbeOutcome | { skip: string }>;
  /**
   * The revoked client of chain.rejects-revoked-client: the one given (--revoked-cert), or on a
   * revocation reference profile one minted with the serial its CRL lists; `skip` says why none (memoised).
   */
  revokedClient(): Promise<RevokedClient | { skip: string }>;
  /** Probe presenting the revoked client (memoised). */
  withRevoked(): Promise<ProbeOutcome | { skip: string }>;
  /**
   * The OCSP-revoked client of chain.rejects-ocsp-revoked-client: the given revoked certificate when
   * it names an OCSP responder, or on an OCSP reference profile one the harness's responder revokes (memoised).
   */
  ocspRevokedClient(): Promise<RevokedClient | { skip: string }>;
  /** Probe presenting the OCSP-revoked client (memoised). */
  withOcspRevoked(): Promise<ProbeOutcome | { skip: string }>;
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

/**
 * The kinds of catalogue (suites/): checks of an endpoint under test (`run`, `k8s scan`), of
 * certificate and key files (`audit`), of a cluster's objects (`k8s scan`), of a client under test
 * (`client-test`).
 */
export type SuiteKind = 'server' | 'files' | 'cluster' | 'client';

/**
 * One check of a catalogue, judged in the context `C` of its kind (for a server check, the
 * per-target `CheckContext`). `V` is what judging yields: a server check's verdict comes
 * asynchronously; the checks of a catalogue evaluated in one pass (the offline audit per file set,
 * the k8s audit per object) yield theirs at once, or none where the check does not apply.
 */
export interface Check<C = CheckContext, V = Promise<CheckVerdict>> {
  /** Stable id from CONFORMANCE.md; never renamed. */
  id: string;
  title: string;
  /**
   * Changes the target (rotation): runs alone, after every other check of its target, in
   * catalogue order. Server checks only.
   */
  exclusive?: boolean;
  /** Time this check may take on a target (default: a few connection timeouts). Server checks only. */
  budgetMs?(target: TargetConfig, timeoutMs: number): number;
  run(ctx: C): V;
}

/** A suite: checks of one kind, in report order, under a stable id and a title. */
export interface Suite<C = CheckContext, X extends Check<C, unknown> = Check<C>> {
  id: string;
  title: string;
  kind: SuiteKind;
  checks: X[];
}

/** Any suite of any kind, for what reads only ids, titles and kinds (listing, selection, title lookups). */
export type AnySuite = Suite<never, Check<never, unknown>>;
