/**
 * What advice knows of one stack: the settings it is built from (`StackProfile`), and the spellings
 * of TLS versions the settings use. The profiles themselves are in `servers.ts` (web servers and
 * proxies) and `libraries.ts` (TLS libraries of the language runtimes, and test servers).
 */
import { TLS_VERSIONS, type TlsVersion } from '../../core/target.js';

/** The settings of one stack that advice is built from. A missing entry means "no specific line". */
export interface StackProfile {
  /** Make a client certificate mandatory (and verified). */
  require: string;
  /** Verify against the CA rather than accept any certificate. */
  verify: string;
  /** Noun phrase: where the client-CA bundle is configured ("the ca option of tls.createServer"). */
  caFile: string;
  /** Intermediate-issued clients: depth limit, or none. */
  depth: string;
  eku: string;
  caLeaf: string;
  dates: string;
  identity: string;
  /** Where the revocation list the server checks comes from. */
  crl: string;
  /** How client certificates are checked by OCSP, or that the stack does not and what to use instead. */
  ocsp?: string;
  /** Clock / date handling for a refusal of the user's own certificate as expired. */
  clock?: string;
  minVersion: (v: TlsVersion) => string;
  /** Full statement: how the server's chain file must look. */
  chainFile: string;
  /** Noun phrase: where the served certificate is configured. */
  serverCert: string;
  /** Full statement: how a new server certificate is put in place. */
  installCert: string;
  /** Imperative fragment: reload certificates without dropping connections. */
  reload: string;
  /** Imperative fragment: make a changed client-CA bundle take effect (default: reload). */
  reloadCa?: string;
  alpnH2?: string;
  grpcHealth?: string;
  tlsRefusal: string;
  plaintext?: string;
}

/** The minor version: TLSv1.2 → 2, TLSv1 → 0. */
export const MINOR: Record<TlsVersion, number> = { TLSv1: 0, 'TLSv1.1': 1, 'TLSv1.2': 2, 'TLSv1.3': 3 };
/** The versions at or above `v`, in node's spelling: TLSv1.2 → ["TLSv1.2", "TLSv1.3"]. */
export const atLeast = (v: TlsVersion): TlsVersion[] => TLS_VERSIONS.filter((x) => MINOR[x] >= MINOR[v]);
/** The versions below `v`. */
export const below = (v: TlsVersion): TlsVersion[] => TLS_VERSIONS.filter((x) => MINOR[x] < MINOR[v]);
/** "1.2", "1.0" */
export const num = (v: TlsVersion): string => `1.${MINOR[v]}`;
/** "12", "10" */
export const compact = (v: TlsVersion): string => `1${MINOR[v]}`;
