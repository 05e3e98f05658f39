/**
 * What a server's CertificateRequest tells a client (RFC 8446 §4.3.2, RFC 5246 §7.4.4), judged the
 * way clients read it:
 * - certificate_authorities: Go (crypto/tls), NSS and Java pick a client certificate only when the
 *   issuer of a certificate in its chain is one of the advertised names. Go and NSS compare the DER
 *   bytes (Go: bytes.Equal(cert.RawIssuer, ca)); Java compares X500Principals in canonical form.
 * - signature_algorithms: the schemes the server accepts in CertificateVerify; a client whose key
 *   has none of them cannot prove it holds its key (OpenSSL's client then sends no certificate).
 * Pure functions over DER and code points.
 */
import type { KeyObject } from 'node:crypto';
import { certificateParts, issuerDer } from '../pki/der.js';
import { nameOf, oidText } from '../pki/fields.js';
import type { LeafKeyType } from '../pki/keys.js';

/** The names a client matches against the advertised list: the issuer of each certificate of its chain (leaf first), DER. */
export function chainIssuerNames(chainDer: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const der of chainDer) {
    const n = issuerDer(der);
    if (!out.some((x) => x.equals(n))) out.push(n);
  }
  return out;
}

/** A Name as text for messages and evidence (hostile input: escape before showing), or a placeholder when it does not decode. */
export function nameText(der: Buffer): string {
  try {
    return nameOf(der).toString();
  } catch {
    return `(undecodable name, ${der.length} bytes)`;
  }
}

/** How the advertised CA names meet a client's issuer chain. */
export interface CaNamesCoverage {
  /** The issuer names advertised byte for byte (what Go and NSS need). */
  matched: Buffer[];
  /** Issuer names advertised with the same text in another encoding (e.g. PrintableString vs UTF8String): byte matchers miss them. */
  sameTextOtherBytes: { issuer: Buffer; advertised: Buffer }[];
}

export function caNamesCoverage(advertised: readonly Buffer[], issuers: readonly Buffer[]): CaNamesCoverage {
  const matched = issuers.filter((i) => advertised.some((a) => a.equals(i)));
  const sameTextOtherBytes: CaNamesCoverage['sameTextOtherBytes'] = [];
  for (const issuer of issuers) {
    if (matched.includes(issuer)) continue;
    const text = nameText(issuer).toLowerCase();
    const hit = advertised.find((a) => nameText(a).toLowerCase() === text);
    if (hit) sameTextOtherBytes.push({ issuer, advertised: hit });
  }
  return { matched, sameTextOtherBytes };
}

/** TLS SignatureScheme names (RFC 8446 §4.2.3; TLS 1.2 hash/signature pairs, RFC 5246 §7.4.1.4.1). */
const SCHEMES: Readonly<Record<number, string>> = {
  0x0201: 'rsa_pkcs1_sha1',
  0x0203: 'ecdsa_sha1',
  0x0301: 'rsa_pkcs1_sha224',
  0x0303: 'ecdsa_sha224',
  0x0401: 'rsa_pkcs1_sha256',
  0x0403: 'ecdsa_secp256r1_sha256',
  0x0501: 'rsa_pkcs1_sha384',
  0x0503: 'ecdsa_secp384r1_sha384',
  0x0601: 'rsa_pkcs1_sha512',
  0x0603: 'ecdsa_secp521r1_sha512',
  0x0804: 'rsa_pss_rsae_sha256',
  0x0805: 'rsa_pss_rsae_sha384',
  0x0806: 'rsa_pss_rsae_sha512',
  0x0807: 'ed25519',
  0x0808: 'ed448',
  0x0809: 'rsa_pss_pss_sha256',
  0x080a: 'rsa_pss_pss_sha384',
  0x080b: 'rsa_pss_pss_sha512',
};

export function schemeName(code: number): string {
  return SCHEMES[code] ?? `0x${code.toString(16).padStart(4, '0')}`;
}

/** A client key as the signature schemes see it. */
export interface ClientKeyKind {
  type: 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'ed448' | 'other';
  /** EC: the curve (prime256v1, secp384r1, secp521r1); RSA: the modulus bits. */
  curve?: string;
  bits?: number;
  /** In words: "RSA-2048", "ECDSA P-384", "Ed25519". */
  label: string;
}

const CURVE_LABELS: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

export function clientKeyKind(key: KeyObject): ClientKeyKind {
  const t = key.asymmetricKeyType;
  const d = key.asymmetricKeyDetails ?? {};
  if (t === 'rsa' || t === 'rsa-pss')
    return { type: t, ...(d.modulusLength ? { bits: d.modulusLength } : {}), label: `${t === 'rsa' ? 'RSA' : 'RSA-PSS'}-${d.modulusLength ?? '?'}` };
  if (t === 'ec')
    return { type: 'ec', ...(d.namedCurve ? { curve: d.namedCurve } : {}), label: `ECDSA ${CURVE_LABELS[d.namedCurve ?? ''] ?? d.namedCurve ?? '?'}` };
  if (t === 'ed25519') return { type: 'ed25519', label: 'Ed25519' };
  if (t === 'ed448') return { type: 'ed448', label: 'Ed448' };
  return { type: 'other', label: t ?? 'unknown' };
}

/** The kind of a minted leaf's key type. */
export function leafKeyKind(type: LeafKeyType): ClientKeyKind {
  if (type === 'ed25519') return { type: 'ed25519', label: 'Ed25519' };
  if (type === 'ec-p256') return { type: 'ec', curve: 'prime256v1', label: 'ECDSA P-256' };
  if (type === 'ec-p384') return { type: 'ec', curve: 'secp384r1', label: 'ECDSA P-384' };
  const bits = Number(type.slice(4));
  return { type: 'rsa', bits, label: `RSA-${bits}` };
}

const CURVE_SCHEME: Readonly<Record<string, number>> = { prime256v1: 0x0403, secp384r1: 0x0503, secp521r1: 0x0603 };

/**
 * The schemes of `offered` a key of this kind can sign CertificateVerify with. TLS 1.3: RSA keys
 * only with RSA-PSS (RFC 8446 §4.4.3), ECDSA only on the scheme's own curve; TLS 1.2: any hash
 * with the key's signature algorithm (RSA PKCS#1 or PSS, ECDSA on any curve).
 */
export function usableSchemes(key: ClientKeyKind, offered: readonly number[], tls13: boolean): number[] {
  return offered.filter((s) => {
    const sig = s & 0xff;
    switch (key.type) {
      case 'rsa':
        return (s >= 0x0804 && s <= 0x0806) || (!tls13 && sig === 0x01);
      case 'rsa-pss':
        return s >= 0x0809 && s <= 0x080b;
      case 'ec':
        return tls13 ? s === CURVE_SCHEME[key.curve ?? ''] : sig === 0x03;
      case 'ed25519':
        return s === 0x0807;
      case 'ed448':
        return s === 0x0808;
      default:
        return false;
    }
  });
}

/** The schemes a certificate signature algorithm (OID) is, as signature_algorithms(_cert) name it (RFC 8446 §4.2.3). */
const CERT_SIGNATURE_SCHEMES: Readonly<Record<string, readonly number[]>> = {
  '1.2.840.113549.1.1.5': [0x0201],
  '1.2.840.113549.1.1.11': [0x0401],
  '1.2.840.113549.1.1.12': [0x0501],
  '1.2.840.113549.1.1.13': [0x0601],
  '1.2.840.113549.1.1.10': [0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b], // RSASSA-PSS: the hash is in its parameters
  '1.2.840.10045.4.1': [0x0203],
  '1.2.840.10045.4.3.2': [0x0403],
  '1.2.840.10045.4.3.3': [0x0503],
  '1.2.840.10045.4.3.4': [0x0603],
  '1.3.101.112': [0x0807],
  '1.3.101.113': [0x0808],
};

/** The schemes of a certificate's own signature, or undefined for an algorithm not listed here or an unreadable certificate. */
export function certificateSignatureSchemes(der: Buffer): readonly number[] | undefined {
  try {
    const alg = certificateParts(der).signatureAlgorithm; // SEQUENCE { OID, params }
    if (alg[2] !== 0x06) return undefined;
    return CERT_SIGNATURE_SCHEMES[oidText(alg.subarray(4, 4 + alg[3]!))];
  } catch {
    return undefined;
  }
}
