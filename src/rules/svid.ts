// The SPIFFE X.509-SVID profile of a leaf (https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md)
// and the syntax of a SPIFFE ID (standards/SPIFFE-ID.md): what san.server-identity checks when the
// expected identity is a SPIFFE ID. A MUST of the standard broken is a `fail`, a SHOULD a `warn`.
import { KEY_USAGE_FLAGS, x509 } from '../pki/crypto.js';

export interface SvidProblem {
  /** What the certificate does, in words. */
  text: string;
  /** The clause, e.g. "X509-SVID §4.3". */
  clause: string;
  /** `fail` for a MUST, `warn` for a SHOULD. */
  severity: 'fail' | 'warn';
}

const SPEC = 'https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md';
export const SVID_SPEC_URL = SPEC;

/** Whether an identity is meant as a SPIFFE ID (the `spiffe` scheme, any case). */
export const isSpiffeId = (identity: string): boolean => /^spiffe:/i.test(identity);

/**
 * Why a string is not a valid SPIFFE ID of a workload (SPIFFE-ID.md §2: scheme `spiffe`, a trust
 * domain of lowercase letters, digits, `.`, `-`, `_`, no port or userinfo; path segments of letters,
 * digits, `.`, `-`, `_`, none empty, `.` or `..`, no trailing `/`, no query or fragment; X509-SVID
 * §3.1: a leaf's ID has a path), or undefined when it is one.
 */
export function spiffeIdProblem(id: string): string | undefined {
  if (!id.startsWith('spiffe://')) return 'its scheme is not "spiffe://" (lowercase)';
  const rest = id.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  const domain = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (domain === '') return 'it has no trust domain';
  if (!/^[a-z0-9._-]+$/.test(domain))
    return 'its trust domain has characters other than lowercase letters, digits, ".", "-" and "_" (no port, userinfo or uppercase)';
  if (path === '') return 'it has no path: a leaf SVID names a workload, never the trust domain itself (X509-SVID §3.1)';
  if (path.endsWith('/')) return 'its path ends with "/"';
  for (const seg of path.slice(1).split('/')) {
    if (seg === '') return 'its path has an empty segment';
    if (seg === '.' || seg === '..') return 'its path has a "." or ".." segment';
    if (!/^[A-Za-z0-9._-]+$/.test(seg)) return 'its path has characters other than letters, digits, ".", "-" and "_" (no query, fragment or percent-encoding)';
  }
  return undefined;
}

const OID = { san: '2.5.29.17', keyUsage: '2.5.29.15', basicConstraints: '2.5.29.19', eku: '2.5.29.37' } as const;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** Every way a leaf certificate (DER) departs from the X.509-SVID leaf profile, MUSTs first. */
export function svidProblems(der: Uint8Array): SvidProblem[] {
  const cert = new x509.X509Certificate(new Uint8Array(der));
  const out: SvidProblem[] = [];
  const must = (text: string, clause: string) => out.push({ text, clause, severity: 'fail' });
  const san = cert.getExtension(OID.san) as InstanceType<typeof x509.SubjectAlternativeNameExtension> | null;
  const uris = san ? san.names.items.filter((n) => n.type === 'url').map((n) => n.value) : [];
  if (uris.length !== 1) must(`it has ${uris.length} URI SANs; an SVID has exactly one, the SPIFFE ID`, 'X509-SVID §2');
  for (const u of uris) {
    const p = spiffeIdProblem(u);
    if (p) must(`its URI SAN is not a valid SPIFFE ID: ${p}`, 'SPIFFE-ID §2, X509-SVID §3.1');
  }
  if (cert.subject === '' && san && !san.critical) must('its subject is empty and its subjectAltName is not critical (RFC 5280 §4.1.2.6)', 'X509-SVID §3.1');
  const bc = cert.getExtension(OID.basicConstraints) as InstanceType<typeof x509.BasicConstraintsExtension> | null;
  if (bc?.ca) must('it is a CA certificate (basicConstraints cA TRUE); a leaf SVID sets cA FALSE', 'X509-SVID §4.1');
  const ku = cert.getExtension(OID.keyUsage) as InstanceType<typeof x509.KeyUsagesExtension> | null;
  if (!ku) must('it has no keyUsage extension; every SVID carries one, critical', 'X509-SVID §4.3');
  else {
    if (!ku.critical) must('its keyUsage extension is not critical', 'X509-SVID §4.3');
    if (!(ku.usages & KEY_USAGE_FLAGS.digitalSignature)) must('its keyUsage lacks digitalSignature', 'X509-SVID §4.3');
    if (ku.usages & (KEY_USAGE_FLAGS.keyCertSign | KEY_USAGE_FLAGS.cRLSign))
      must('its keyUsage sets keyCertSign or cRLSign, which a leaf SVID must not', 'X509-SVID §4.3');
  }
  const eku = cert.getExtension(OID.eku) as InstanceType<typeof x509.ExtendedKeyUsageExtension> | null;
  if (!eku)
    out.push({ text: 'it has no extendedKeyUsage extension (a leaf SVID should carry serverAuth and clientAuth)', clause: 'X509-SVID §4.4', severity: 'warn' });
  else {
    const usages = eku.usages.map(String);
    const missing = [usages.includes(SERVER_AUTH) ? '' : 'serverAuth', usages.includes(CLIENT_AUTH) ? '' : 'clientAuth'].filter(Boolean);
    if (missing.length > 0) must(`its extendedKeyUsage lacks ${missing.join(' and ')}; when present it sets both`, 'X509-SVID §4.4');
  }
  return out;
}
