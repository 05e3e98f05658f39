import type { FixturePki } from '../pki/generate.js';
import type { Endpoint } from '../probe/endpoint.js';
import type { ProfileName } from './profiles.js';

/** A reference server that is running: where it listens, what it was started with, and how to stop it. */
export interface StartedReference {
  implementation: string;
  profile: ProfileName;
  endpoint: Endpoint;
  /** `https://host:port/`. */
  url: string;
  /** The fixture PKI the server uses (trust anchor for its clients and issuer of its certificate). */
  pki: FixturePki;
  /** The server's log lines (connection events; never key material). */
  logs(): string[];
  stop(): Promise<void>;
}
