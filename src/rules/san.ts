/**
 * Subject alternative names (RFC 5280 §4.2.1.6, RFC 9525 §6): what a certificate names, whether it
 * names anything, whether its SANs cover the names a client dials (DNS-IDs with a wildcard only as
 * the whole left-most label, IP-IDs for addresses, never the CN: `sanCovers`), what entry to add
 * for a name, and peer identities (a SPIFFE or other URI, else a DNS name). Pure: results, never a
 * throw; each catalogue words them its own way.
 */
import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { CertSummary } from '../core/model.js';
import { sanCovers } from '../pki/verify.js';

export type Sans = CertSummary['sans'];

/** Every SAN entry, by kind: `DNS:`, `IP:`, `URI:`, `email:`, then other names as `type:value`. */
export function sanList(sans: Sans): string[] {
  return [
    ...sans.dns.map((d) => `DNS:${d}`),
    ...sans.ip.map((i) => `IP:${i}`),
    ...sans.uri.map((u) => `URI:${u}`),
    ...sans.email.map((e) => `email:${e}`),
    ...sans.other,
  ];
}

/** Whether the certificate has a subjectAltName entry of any kind (without one, clients ignore the CN and match nothing). */
export function hasSubjectAltName(sans: Sans): boolean {
  return sans.dns.length + sans.ip.length + sans.uri.length + sans.email.length + sans.other.length > 0;
}

export interface SanCoverage {
  ok: boolean;
  covered: string[];
  /** The names no certificate's SAN covers, in the order asked. */
  uncovered: string[];
}

/** Which names the SANs of the certificate(s) cover: a name is covered when one certificate covers it. */
export function sanCoverage(certs: X509Certificate | readonly X509Certificate[], names: readonly string[]): SanCoverage {
  const list = Array.isArray(certs) ? (certs as readonly X509Certificate[]) : [certs as X509Certificate];
  const covered: string[] = [];
  const uncovered: string[] = [];
  for (const n of names) (list.some((c) => sanCovers(c, n)) ? covered : uncovered).push(n);
  return { ok: uncovered.length === 0, covered, uncovered };
}

/** The SAN kind that names `name`: `IP` for an IPv4 or IPv6 address, `DNS` otherwise. */
export function sanKindFor(name: string): 'IP' | 'DNS' {
  return isIP(name) ? 'IP' : 'DNS';
}

/** The subjectAltName entry that covers `name` exactly: `DNS:name` or `IP:address`. */
export function sanEntryFor(name: string): string {
  return `${sanKindFor(name)}:${name}`;
}

/** A peer identity is a URI SAN when it has a scheme (`spiffe://…`, `urn:…`), else a DNS SAN. */
export function identityKind(identity: string): 'URI' | 'DNS' {
  return /^[a-z][a-z0-9+.-]*:/i.test(identity) ? 'URI' : 'DNS';
}

/** Whether a DNS or URI SAN of the certificate is exactly the identity. */
export function carriesIdentity(sans: Sans, identity: string): boolean {
  return sans.dns.includes(identity) || sans.uri.includes(identity);
}
