/**
 * Extended key usage and key usage for a role (RFC 5280 §4.2.1.12, §4.2.1.3, §4.2.1.9): what a
 * server, client or peer (both) certificate must allow, and what makes a CA certificate usable as
 * one. Pure: results, never a throw; each catalogue words them its own way.
 */
import { EKU_NAMES } from '../pki/inspect.js';

/** The roles of a leaf: `peer` serves and calls (both EKUs), as per-service certificates do. */
export type LeafRole = 'server' | 'client' | 'peer';

/** The EKUs each role needs. */
export const EKU_FOR_ROLE: Readonly<Record<LeafRole, readonly string[]>> = {
  server: ['serverAuth'],
  client: ['clientAuth'],
  peer: ['serverAuth', 'clientAuth'],
};

export interface EkuFit {
  ok: boolean;
  /** What the role needs. */
  needs: string[];
  /** What of it the certificate's EKU lacks (none when unrestricted or anyExtendedKeyUsage). */
  missing: string[];
  /** No EKU extension: any purpose is allowed (RFC 5280 §4.2.1.12). */
  unrestricted: boolean;
  anyExtendedKeyUsage: boolean;
}

/** EKU names (`serverAuth`) or OIDs (`1.3.6.1.5.5.7.3.1`, as node's `X509Certificate.keyUsage` gives them) as names. */
export function ekuNames(eku: readonly string[]): string[] {
  return eku.map((e) => EKU_NAMES[e] ?? e);
}

/** Does an EKU list (names or OIDs; empty when the extension is absent) allow the role? */
export function ekuForRole(eku: readonly string[], role: LeafRole): EkuFit {
  const names = ekuNames(eku);
  const needs = [...EKU_FOR_ROLE[role]];
  const unrestricted = names.length === 0;
  const anyExtendedKeyUsage = names.includes('anyExtendedKeyUsage');
  const missing = unrestricted || anyExtendedKeyUsage ? [] : needs.filter((n) => !names.includes(n));
  return { ok: missing.length === 0, needs, missing, unrestricted, anyExtendedKeyUsage };
}

/** The role an EKU list names by itself: both serverAuth and clientAuth is a peer; neither, no role. */
export function roleFromEku(eku: readonly string[]): LeafRole | undefined {
  const names = ekuNames(eku);
  const server = names.includes('serverAuth');
  const client = names.includes('clientAuth');
  return server && client ? 'peer' : server ? 'server' : client ? 'client' : undefined;
}

/** Why a certificate cannot act as a CA, or undefined when it can. */
export type CaProblem = 'not-ca' | 'no-key-cert-sign';

/**
 * A CA certificate: basicConstraints CA:TRUE (§4.2.1.9), and a key usage extension, when present,
 * with keyCertSign (§4.2.1.3: without it the key may not sign certificates).
 */
export function caProblem(c: { ca: boolean; keyUsage: readonly string[] }): CaProblem | undefined {
  if (!c.ca) return 'not-ca';
  if (c.keyUsage.length > 0 && !c.keyUsage.includes('keyCertSign')) return 'no-key-cert-sign';
  return undefined;
}
