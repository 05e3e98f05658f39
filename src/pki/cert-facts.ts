/**
 * What the path checks (path-checks.ts) need from one certificate's extensions, decoded once per
 * certificate with maintained libraries (PeculiarVentures' @peculiar/asn1-x509 and the schema layer
 * of @peculiar/x509; name-constraints.ts for SANs and nameConstraints): basicConstraints, keyUsage,
 * extendedKeyUsage, the names constraints apply to, and the critical extensions nothing processes.
 */
import type { X509Certificate } from 'node:crypto';
import type { Certificate as AsnCertificate } from '@peculiar/asn1-x509';
import { asnSchema, asnX509, KEY_USAGE_FLAGS } from './crypto.js';
import { certificateParts } from './der.js';
import { nameOf } from './fields.js';
import { EKU_NAMES, KU_NAMES, oneLine } from './inspect.js';
import { namesOf, readGeneralNames, readNameConstraints, type GeneralName, type NameConstraints } from './name-constraints.js';

const { AsnConvert } = asnSchema;
const { BasicConstraints, Certificate, ExtendedKeyUsage, KeyUsage } = asnX509;

/** What the checks need from one certificate's extensions, decoded once per certificate. */
export interface Facts {
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
  unreadable?: { code: 'key-usage' | 'extended-key-usage'; message: string };
}

export const KU = KEY_USAGE_FLAGS;
/** The names of the keyUsage bits set: "digitalSignature, keyEncipherment". */
export const kuNames = (bits: number) =>
  KU_NAMES.filter(([b]) => bits & b)
    .map(([, n]) => n)
    .join(', ');
export const EKU = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;
export const ANY_EKU = '2.5.29.37.0';
/** An EKU by name, else its OID. */
export const ekuName = (oid: string): string => EKU_NAMES[oid] ?? oid;

const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  nameConstraints: '2.5.29.30',
} as const;
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
export const EXTENSION_NAMES: Record<string, string> = {
  '2.5.29.35': 'authorityKeyIdentifier (2.5.29.35)',
  '2.5.29.14': 'subjectKeyIdentifier (2.5.29.14)',
  '1.3.6.1.5.5.7.1.1': 'authorityInfoAccess (1.3.6.1.5.5.7.1.1)',
  '2.5.29.18': 'issuerAltName (2.5.29.18)',
  '2.5.29.9': 'subjectDirectoryAttributes (2.5.29.9)',
};

/** Decoded extensions, by DER fingerprint (a scan sees the same few CAs often). */
const FACTS = new Map<string, Facts>();
export function factsOf(c: X509Certificate): Facts {
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
      else if (ext.extnID === OID.extKeyUsage)
        f.unreadable = { code: 'extended-key-usage', message: `the extendedKeyUsage extension of "${label(c)}" cannot be read` };
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

/** A certificate's subject on one line; node gives no subject for an empty one (SAN-only certificates). */
export function label(c: X509Certificate): string {
  return oneLine(c.subject ?? '') || '(empty subject)';
}
