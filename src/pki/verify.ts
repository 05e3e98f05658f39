// Path validation: our own path builder plus the RFC 5280 rules, with every certificate and
// extension decoded by maintained libraries (PeculiarVentures' @peculiar/asn1-x509, the schema
// layer of @peculiar/x509, and asn1js; see name-constraints.ts for SANs and nameConstraints).
//
// Decision (issue 17): option (b), not pkijs's CertificateChainValidationEngine. Run on the 122
// x509-limbo cases test/verifier-limbo.test.ts runs, pkijs 4.0.0 agreed on 80, disagreed on 39 and
// did not finish 3 (cross-signed cycles, CVE-2024-0567 among them: over 20 s each, exponential).
// It never checks pathLenConstraint, unions the permitted subtrees of successive CAs (a sub-CA can
// widen its parent's constraints), misses wildcard SANs, and gets 31 of the 57 name-constraint
// cases wrong. It also stops at its first error with one generic message ("No valid certificate
// paths found"), while the callers need to know *why* — a missing intermediate, an unknown CA, a
// same-name-other-key CA — on chains the handshake refused.
// What no maintained JavaScript library does (the path search, the constraint matching, the
// reasons) is ours; test/verifier-limbo.test.ts measures it against x509-limbo.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../core/clock.js';
import type { Certificate as AsnCertificate } from '@peculiar/asn1-x509';
import { asnSchema, asnX509, KEY_USAGE_FLAGS } from './crypto.js';
import { certificateParts } from './der.js';
import { nameOf } from './fields.js';
import { checkNames, describeName, formWord, MAX_COMPARISONS, namesOf, readGeneralNames, readNameConstraints, type GeneralName, type NameConstraints } from './name-constraints.js';

const { AsnConvert } = asnSchema;
const { BasicConstraints, Certificate, ExtendedKeyUsage, KeyUsage } = asnX509;

/** Why a presented chain does not verify. */
export type ChainProblem =
  | 'empty'
  | 'issuer-missing'
  | 'untrusted'
  | 'signature-mismatch'
  | 'expired'
  | 'not-yet-valid'
  | 'intermediate-not-ca'
  | 'path-length-exceeded'
  | 'too-long'
  /** RFC 5280 §4.2.1.10: a name below a CA lies outside its permitted or inside its excluded subtrees (or cannot be checked). */
  | 'name-constraints'
  /** RFC 5280 §4.2.1.3: an issuing CA whose keyUsage lacks keyCertSign; with a purpose, a leaf keyUsage unfit for TLS. */
  | 'key-usage'
  /** RFC 5280 §4.2.1.12, with a purpose: an extendedKeyUsage on the path that does not allow it. */
  | 'extended-key-usage'
  /** RFC 5280 §4.2: a critical extension the verifier does not process (OpenSSL and Go refuse these too). */
  | 'critical-extension';

export interface ChainVerification {
  ok: boolean;
  problems: { code: ChainProblem; message: string }[];
  /** Subjects from leaf to anchor along the path that was built. */
  path: string[];
  /** The anchor the path reached, when it did. */
  anchor?: string;
  /** The issuer name the path stopped at when an intermediate is missing. */
  missingIssuer?: string;
}

export interface VerifyOptions {
  /**
   * The leaf's TLS role. When given, every extendedKeyUsage on the path must allow it (or
   * anyExtendedKeyUsage), and a leaf keyUsage must allow a handshake in that role, as OpenSSL
   * checks (server: digitalSignature, keyEncipherment or keyAgreement; client: digitalSignature or
   * keyAgreement). Without it the EKUs are not looked at (callers with a separate EKU check).
   */
  purpose?: 'serverAuth' | 'clientAuth';
}

/** At most this many certificates from the leaf before an anchor must be reached (the old limit). */
const MAX_PATH = 11;
/** Signature checks one verification may spend searching paths (Go: 100), against pathological chains. */
const MAX_SIGNATURE_CHECKS = 200;

/**
 * Builds a path from the presented leaf through the presented certificates to one of the anchors
 * (by issuer name and signature; when several issuers fit, each path is tried, anchors first, until
 * one passes), then checks along it: validity dates by the injected clock (at one-second
 * granularity, as certificates carry them), that issuers are CAs, basicConstraints
 * pathLenConstraint (§4.2.1.9), that issuers with a keyUsage assert keyCertSign (§4.2.1.3), the name
 * constraints of every CA over the subject and SANs of the certificates below it (§4.2.1.10), that no
 * critical extension goes unprocessed (§4.2), and with `opts.purpose` the EKUs and the leaf's
 * keyUsage. The anchor is checked like the rest, as OpenSSL and Go do. Our own verifier, so it works
 * even when the handshake was refused and it tells *why* (a missing intermediate versus an unknown CA).
 */
export function verifyChain(presented: X509Certificate[], anchors: X509Certificate[], clock: Clock = systemClock, opts: VerifyOptions = {}): ChainVerification {
  if (presented.length === 0) return { ok: false, problems: [{ code: 'empty', message: 'no certificate was presented' }], path: [] };
  // Validity is encoded in whole seconds: compare at that granularity (a time 5 ms after notAfter is still notAfter).
  const now = Math.floor(clock().getTime() / 1000) * 1000;
  const fp = fingerprints();
  const anchorFps = new Set(anchors.map(fp));
  const signatures = new Map<string, boolean>();
  let signatureChecks = 0;
  const issued = (child: X509Certificate, parent: X509Certificate): boolean => {
    if (child.issuer !== parent.subject) return false;
    const k = `${fp(child)} ${fp(parent)}`;
    let v = signatures.get(k);
    if (v === undefined) {
      signatureChecks++;
      try {
        v = child.verify(parent.publicKey);
      } catch {
        v = false;
      }
      signatures.set(k, v);
    }
    return v;
  };

  // Depth-first over candidate issuers, the first candidate first: the first path found is the
  // one a greedy builder takes, and the one reported when no path passes.
  let first: { path: X509Certificate[]; problems: ChainVerification['problems'] } | undefined;
  let passed: X509Certificate[] | undefined;
  let stop: { path: X509Certificate[]; kind: 'dead-end' | 'too-long' } | undefined;
  const exhausted = () => signatureChecks >= MAX_SIGNATURE_CHECKS;
  const complete = (path: X509Certificate[]): boolean => {
    const problems = checkPath(path, now, opts);
    if (problems.length === 0) passed = path;
    first ??= { path, problems };
    return problems.length === 0;
  };
  const extend = (path: X509Certificate[]): boolean => {
    const cur = path[path.length - 1]!;
    if (anchorFps.has(fp(cur))) return complete(path);
    if (path.length >= MAX_PATH) {
      stop ??= { path, kind: 'too-long' };
      return false;
    }
    let any = false;
    for (const a of anchors) {
      if (exhausted()) return true;
      if (!issued(cur, a)) continue;
      any = true;
      if (complete([...path, a])) return true;
    }
    const onPath = new Set(path.map(fp));
    for (const x of presented) {
      if (exhausted()) return true;
      if (onPath.has(fp(x)) || anchorFps.has(fp(x)) || !issued(cur, x)) continue;
      any = true;
      if (extend([...path, x])) return true;
    }
    if (!any) stop ??= { path, kind: 'dead-end' };
    return false;
  };
  extend([presented[0]!]);

  if (passed) return result(passed, [], true);
  if (first) return result(first.path, first.problems, true);
  if (!stop || stop.kind === 'too-long') {
    const message = stop ? `no path to a trust anchor within ${MAX_PATH - 1} certificates` : `no path to a trust anchor found within ${MAX_SIGNATURE_CHECKS} signature checks`;
    return result(stop?.path ?? [presented[0]!], [{ code: 'too-long', message }], false);
  }
  const path = stop.path;
  const cur = path[path.length - 1]!;
  if (cur.subject === cur.issuer && issued(cur, cur)) {
    return result(path, [{ code: 'untrusted', message: `the chain ends at the self-signed "${label(cur)}", which is not a trusted CA` }], false);
  }
  const loop = path.find((x) => x !== cur && issued(cur, x));
  if (loop) {
    return result(path, [{ code: 'untrusted', message: `the chain loops: "${label(cur)}" is issued by "${label(loop)}", which is already on the path, and no certificate on it is issued by a trusted CA` }], false);
  }
  if ([...anchors, ...presented].some((x) => x !== cur && x.subject === cur.issuer)) {
    return result(path, [{ code: 'signature-mismatch', message: `"${label(cur)}" names "${oneLine(cur.issuer)}" as issuer, but no certificate of that name with a matching key is available (same name, another key)` }], false);
  }
  const missingIssuer = oneLine(cur.issuer);
  return { ...result(path, [{ code: 'issuer-missing', message: `the issuer "${missingIssuer}" of "${label(cur)}" was not sent and is not a trust anchor` }], false), missingIssuer };
}

function result(path: X509Certificate[], problems: ChainVerification['problems'], anchored: boolean): ChainVerification {
  const anchor = anchored ? path[path.length - 1] : undefined;
  return { ok: anchored && problems.length === 0, problems, path: path.map(label), ...(anchor ? { anchor: label(anchor) } : {}) };
}

/** The RFC 5280 checks along one path that reaches an anchor (leaf first, anchor last). */
function checkPath(path: X509Certificate[], now: number, opts: VerifyOptions): ChainVerification['problems'] {
  const problems: ChainVerification['problems'] = [];
  const facts = path.map(factsOf);
  const budget = { left: MAX_COMPARISONS };
  for (const [i, c] of path.entries()) {
    const f = facts[i]!;
    const nb = Date.parse(c.validFrom);
    const na = Date.parse(c.validTo);
    const who = i === 0 ? 'the leaf' : `"${label(c)}"`;
    if (na < now) problems.push({ code: 'expired', message: `${who} expired on ${new Date(na).toISOString()}` });
    if (nb > now) problems.push({ code: 'not-yet-valid', message: `${who} is not valid before ${new Date(nb).toISOString()}` });
    // basicConstraints as decoded here: node's `ca` (OpenSSL's X509_check_ca) also says false for a
    // CA whose keyUsage lacks keyCertSign, which is reported below as what it is. Without the
    // extension node's view stands (a v1 self-signed root is a CA there, as in OpenSSL).
    const ca = f.ca ?? c.ca;
    if (i > 0 && !ca) problems.push({ code: 'intermediate-not-ca', message: `"${label(c)}" issues another certificate but is not a CA (basicConstraints CA:FALSE or absent)` });
    const max = i > 0 && ca ? f.pathLen : undefined;
    if (max !== undefined) {
      // The non-self-issued intermediate CAs between this CA and the leaf.
      const below = path.slice(1, i).filter((x) => x.subject !== x.issuer).length;
      if (below > max) {
        problems.push({ code: 'path-length-exceeded', message: `path length constraint exceeded: "${label(c)}" has pathLenConstraint ${max} (at most ${max} intermediate CA(s) may follow it), but ${below} follow it in the path to the leaf` });
      }
    }
    if (i > 0 && ca && f.keyUsage !== undefined && !(f.keyUsage & KU.keyCertSign)) {
      problems.push({ code: 'key-usage', message: `"${label(c)}" issues certificates but its keyUsage (${kuNames(f.keyUsage) || 'no bit set'}) lacks keyCertSign` });
    }
    for (const oid of f.unhandledCritical) {
      problems.push({ code: 'critical-extension', message: `${who} has a critical extension ${EXTENSION_NAMES[oid] ?? oid} that the verifier does not process (RFC 5280 §4.2: such a certificate must be refused)` });
    }
    if (f.unreadable) problems.push(f.unreadable);
    if (i > 0 && f.nameConstraints) problems.push(...nameConstraintProblems(path, facts, i, budget));
    if (opts.purpose) problems.push(...purposeProblems(c, f, i, opts.purpose));
  }
  return problems;
}

/** OpenSSL's limit on names × constraints per certificate (NAME_CHECK_MAX), whatever their forms. */
const MAX_NAME_CHECKS = 1 << 20;

/** The constraints of the CA at `ca` over every certificate below it (self-issued intermediates exempt). */
function nameConstraintProblems(path: X509Certificate[], facts: Facts[], ca: number, budget: { left: number }): ChainVerification['problems'] {
  const nc = facts[ca]!.nameConstraints!;
  const caName = `"${label(path[ca]!)}"`;
  if (nc === 'malformed') return [{ code: 'name-constraints', message: `the nameConstraints extension of ${caName} cannot be read (malformed, or neither permitted nor excluded subtrees), so nothing below it can be checked` }];
  for (let j = ca - 1; j >= 0; j--) {
    const c = path[j]!;
    if (j > 0 && c.subject === c.issuer) continue; // RFC 5280 §6.1.3(b): not for self-issued intermediates
    const who = j === 0 ? 'the leaf' : `"${label(c)}"`;
    const names = facts[j]!.names;
    const subtrees = nc.permitted.length + nc.excluded.length;
    if (facts[j]!.nameCount * subtrees > MAX_NAME_CHECKS) {
      return [{ code: 'name-constraints', message: `checking the ${facts[j]!.nameCount} names of ${who} against the ${subtrees} name constraints of ${caName} is too much work (over ${MAX_NAME_CHECKS} name × constraint pairs): refused, as OpenSSL does` }];
    }
    if (names === 'malformed') return [{ code: 'name-constraints', message: `the subjectAltName of ${who} cannot be read, so it cannot be checked against the name constraints of ${caName}` }];
    const v = checkNames(names, nc, budget);
    if (budget.left < 0) {
      return [{ code: 'name-constraints', message: `checking the names of ${who} against the name constraints of ${caName} takes more than ${MAX_COMPARISONS} comparisons: refused, as Go does` }];
    }
    if (!v) continue;
    const n = `${formWord(v.name)} name "${describeName(v.name)}"`;
    const con = v.constraint ? `${formWord(v.constraint)} "${describeName(v.constraint)}"` : '';
    const message =
      v.why === 'excluded' ? `${who} has the ${n}, which the name constraints of ${caName} exclude (excluded subtree ${con})`
      : v.why === 'not-permitted' ? `${who} has the ${n}, outside every ${formWord(v.name)} subtree the name constraints of ${caName} permit (${permittedList(nc, v.name)})`
      : v.why === 'malformed-name' ? `${who} has a malformed ${n}, which cannot be checked against the name constraints of ${caName}`
      : v.why === 'malformed-constraint' ? `the name constraints of ${caName} hold a malformed ${con}, so the ${n} of ${who} cannot be checked`
      : `the name constraints of ${caName} constrain ${formWord(v.name)} names, which the verifier cannot check, and ${who} has one`;
    return [{ code: 'name-constraints', message }];
  }
  return [];
}

function permittedList(nc: NameConstraints, like: GeneralName): string {
  const all = nc.permitted.filter((c) => c.form === like.form).map(describeName);
  return all.length > 4 ? `${all.slice(0, 4).join(', ')}, … ${all.length} in all` : all.join(', ');
}

function purposeProblems(c: X509Certificate, f: Facts, i: number, purpose: 'serverAuth' | 'clientAuth'): ChainVerification['problems'] {
  const problems: ChainVerification['problems'] = [];
  const eku = f.extKeyUsage;
  if (eku && !eku.includes(EKU[purpose]) && !eku.includes(ANY_EKU)) {
    const list = eku.map((o) => EKU_NAMES[o] ?? o).join(', ') || 'none';
    problems.push({
      code: 'extended-key-usage',
      message: i === 0 ? `the leaf's extendedKeyUsage (${list}) lacks ${purpose}` : `"${label(c)}" limits the certificates below it to the extended key usages ${list}, which lack ${purpose}`,
    });
  }
  if (i === 0 && f.keyUsage !== undefined) {
    const fit = purpose === 'serverAuth' ? KU.digitalSignature | KU.keyEncipherment | KU.keyAgreement : KU.digitalSignature | KU.keyAgreement;
    if (!(f.keyUsage & fit)) {
      problems.push({ code: 'key-usage', message: `the leaf's keyUsage (${kuNames(f.keyUsage) || 'none'}) allows no TLS ${purpose === 'serverAuth' ? 'server' : 'client'} handshake (it needs ${kuNames(fit).replace(/, (?=[^,]*$)/, ' or ')})` });
    }
  }
  return problems;
}

/** What the checks need from one certificate's extensions, decoded once per certificate. */
interface Facts {
  /** basicConstraints cA; undefined without the extension. */
  ca?: boolean;
  pathLen?: number;
  /** KeyUsageFlags bits; undefined without the extension. */
  keyUsage?: number;
  /** EKU OIDs; undefined without the extension. */
  extKeyUsage?: string[];
  nameConstraints?: NameConstraints | 'malformed';
  /** The names constraints apply to (SANs, subject DN, subject emails). */
  names: GeneralName[] | 'malformed';
  /** SANs plus subject attributes, as OpenSSL counts them against its work limit. */
  nameCount: number;
  unhandledCritical: string[];
  /** A keyUsage or extKeyUsage that cannot be decoded. */
  unreadable?: { code: ChainProblem; message: string };
}

const KU = KEY_USAGE_FLAGS;
const KU_NAMES: [number, string][] = [
  [KU.digitalSignature, 'digitalSignature'], [KU.nonRepudiation, 'nonRepudiation'], [KU.keyEncipherment, 'keyEncipherment'], [KU.dataEncipherment, 'dataEncipherment'],
  [KU.keyAgreement, 'keyAgreement'], [KU.keyCertSign, 'keyCertSign'], [KU.cRLSign, 'cRLSign'], [KU.encipherOnly, 'encipherOnly'], [KU.decipherOnly, 'decipherOnly'],
];
const kuNames = (bits: number) => KU_NAMES.filter(([b]) => bits & b).map(([, n]) => n).join(', ');
const EKU = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;
const ANY_EKU = '2.5.29.37.0';
const EKU_NAMES: Record<string, string> = {
  [EKU.serverAuth]: 'serverAuth', [EKU.clientAuth]: 'clientAuth', '1.3.6.1.5.5.7.3.3': 'codeSigning', '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping', '1.3.6.1.5.5.7.3.9': 'OCSPSigning', [ANY_EKU]: 'anyExtendedKeyUsage',
};

const OID = { basicConstraints: '2.5.29.19', keyUsage: '2.5.29.15', extKeyUsage: '2.5.29.37', subjectAltName: '2.5.29.17', nameConstraints: '2.5.29.30' } as const;
/**
 * Critical extensions a certificate may carry: those processed here, and those OpenSSL accepts as
 * critical without this verifier needing them (policies, CRL distribution points, RFC 3779, proxy,
 * OCSP no-check, Netscape cert type). Any other critical one makes OpenSSL and Go refuse the
 * certificate ("unhandled critical extension"), and so does this verifier.
 */
const HANDLED = new Set<string>([
  ...Object.values(OID),
  '2.5.29.32', // certificatePolicies
  '2.5.29.33', // policyMappings
  '2.5.29.36', // policyConstraints
  '2.5.29.54', // inhibitAnyPolicy
  '2.5.29.31', // cRLDistributionPoints
  '1.3.6.1.5.5.7.1.7', // sbgp-ipAddrBlock
  '1.3.6.1.5.5.7.1.8', // sbgp-autonomousSysNum
  '1.3.6.1.5.5.7.1.14', // proxyCertInfo
  '1.3.6.1.5.5.7.48.1.5', // id-pkix-ocsp-nocheck
  '2.16.840.1.113730.1.1', // netscape-cert-type
]);
const EXTENSION_NAMES: Record<string, string> = {
  '2.5.29.35': 'authorityKeyIdentifier (2.5.29.35)',
  '2.5.29.14': 'subjectKeyIdentifier (2.5.29.14)',
  '1.3.6.1.5.5.7.1.1': 'authorityInfoAccess (1.3.6.1.5.5.7.1.1)',
  '2.5.29.18': 'issuerAltName (2.5.29.18)',
  '2.5.29.9': 'subjectDirectoryAttributes (2.5.29.9)',
};

/** Decoded extensions, by DER fingerprint (a scan sees the same few CAs often). */
const FACTS = new Map<string, Facts>();
function factsOf(c: X509Certificate): Facts {
  const k = c.fingerprint256;
  const hit = FACTS.get(k);
  if (hit) return hit;
  const f = decode(c);
  if (FACTS.size >= 1024) FACTS.clear();
  FACTS.set(k, f);
  return f;
}

function decode(c: X509Certificate): Facts {
  let cert: AsnCertificate;
  try {
    // asn1-x509 directly (what @peculiar/x509 wraps, at a fifth of its cost per certificate). Its
    // default limit (10,000 ASN.1 nodes) refuses certificates with thousands of names that node and
    // OpenSSL read; one node per DER byte never refuses a well-formed one.
    cert = AsnConvert.parse(c.raw, Certificate, { berOptions: { maxNodes: Math.max(10_000, c.raw.length) } });
  } catch {
    // node parsed it but the library cannot: its names cannot be held against name constraints
    // (failed closed there); its other extensions go unchecked beyond node's own view (c.ca).
    return { names: 'malformed', nameCount: 0, unhandledCritical: [] };
  }
  const f: Facts = { names: [], nameCount: 0, unhandledCritical: [] };
  let sans: GeneralName[] | undefined;
  for (const ext of cert.tbsCertificate.extensions ?? []) {
    const value = ext.extnValue.buffer;
    try {
      switch (ext.extnID) {
        case OID.basicConstraints: {
          const bc = AsnConvert.parse(value, BasicConstraints);
          f.ca = bc.cA;
          f.pathLen = bc.pathLenConstraint;
          break;
        }
        case OID.keyUsage:
          f.keyUsage = AsnConvert.parse(value, KeyUsage).toNumber();
          break;
        case OID.extKeyUsage:
          f.extKeyUsage = Array.from(AsnConvert.parse(value, ExtendedKeyUsage), String);
          break;
        case OID.subjectAltName:
          sans = readGeneralNames(value);
          break;
        case OID.nameConstraints:
          f.nameConstraints = readNameConstraints(value);
          break;
      }
    } catch {
      if (ext.extnID === OID.nameConstraints) f.nameConstraints = 'malformed';
      else if (ext.extnID === OID.subjectAltName) f.names = 'malformed';
      else if (ext.extnID === OID.keyUsage) f.unreadable = { code: 'key-usage', message: `the keyUsage extension of "${label(c)}" cannot be read` };
      else if (ext.extnID === OID.extKeyUsage) f.unreadable = { code: 'extended-key-usage', message: `the extendedKeyUsage extension of "${label(c)}" cannot be read` };
    }
    if (ext.critical && !HANDLED.has(ext.extnID)) f.unhandledCritical.push(ext.extnID);
  }
  if (f.names !== 'malformed') {
    try {
      const subject = nameOf(certificateParts(c.raw).subject);
      f.nameCount = (sans?.length ?? 0) + subject.toJSON().reduce((n, rdn) => n + Object.values(rdn).reduce((m, v) => m + v.length, 0), 0);
      f.names = namesOf(subject, sans);
    } catch {
      f.names = 'malformed';
    }
  }
  return f;
}

/** Fingerprints by object, computed once per verification. */
function fingerprints(): (c: X509Certificate) => string {
  const m = new Map<X509Certificate, string>();
  return (c) => {
    let v = m.get(c);
    if (v === undefined) m.set(c, (v = c.fingerprint256));
    return v;
  };
}

/**
 * Does the certificate's subjectAltName cover `name` (RFC 6125: DNS SANs with a wildcard only as
 * the whole left-most label; IP SANs for IP addresses; the CN is never used)?
 */
export function sanCovers(cert: X509Certificate, name: string): boolean {
  if (isIP(name)) return cert.checkIP(name) !== undefined;
  return cert.checkHost(name, { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false }) !== undefined;
}

/** A certificate's subject on one line; node gives no subject for an empty one (SAN-only certificates). */
function label(c: X509Certificate): string {
  return oneLine(c.subject) || '(empty subject)';
}

function oneLine(name: string | undefined): string {
  return (name ?? '').replace(/\n/g, ', ');
}
