import type { Credential, FixturePki } from '../pki/generate.js';
import type { Endpoint } from '../core/endpoint.js';
import type { ProfileName } from './profiles.js';
import type { ApplyMode, TargetConfig } from '../core/target.js';

/** A reference server that is running: where it listens, what it was started with, and how to stop it. */
export interface StartedReference {
  implementation: string;
  profile: ProfileName;
  endpoint: Endpoint;
  /** `https://host:port/`. */
  url: string;
  /** The fixture PKI the server uses (trust anchor for its clients and issuer of its certificate). */
  pki: FixturePki;
  /**
   * Rotation: writes the changed files and applies them with the implementation's graceful reload
   * or by restarting it. Absent on references that cannot (the in-process node reference's
   * static profiles).
   */
  apply?(change: ReferenceChange, mode: ApplyMode, mark?: (label: string) => void): Promise<void>;
  /** The server's log lines (connection events; never key material). */
  logs(): string[];
  /**
   * The harness's loopback OCSP responder beside it (revocation-ocsp, no-revocation-check): its URL,
   * and every certificate it was asked about with its answer (so a test can tell the server asked).
   */
  ocsp?: { url: string; answered(): readonly { serialHex: string; status: string }[] };
  stop(): Promise<void>;
}

/** What a rotation changes on a reference server. */
export interface ReferenceChange {
  /** A new server credential, served with its chain (as the profile serves the old one). */
  server?: Credential;
  /** A new client CA bundle (PEM): the trust anchors for client certificates. */
  clientCaPem?: string;
}

/**
 * A target under test: its configuration (data) and, for a reference target, the server the
 * harness started — its fixture PKI issues the crafted certificates, and a rotation is applied
 * through it.
 */
export interface TargetUnderTest extends TargetConfig {
  started?: StartedReference;
}
