/**
 * Key strength and signature algorithms (RFC 9325 §4.1, RFC 9155), as the harness asks them: RSA ≥
 * 2048 bits, EC on P-256 or a larger NIST curve, no DSA, no SHA-1 / MD5 / MD2 signature. Pure: each
 * rule returns a result, never throws; each catalogue words it its own way.
 */
import type { CertSummary } from '../core/model.js';

export type KeyStrength =
  | { ok: true }
  /** The SPKI cannot be decoded: no peer can verify with it (an error, not a weakness). */
  | { ok: false; code: 'undecodable'; reason: string }
  | { ok: false; code: 'rsa-too-short'; bits?: number }
  /** Under P-256, or a curve that is not P-256, P-384 or P-521 (its size unknown: P-224, secp256k1, brainpool…). */
  | { ok: false; code: 'ec-too-small'; bits?: number; curve?: string }
  /** DSA: no TLS 1.3 signature scheme uses it. */
  | { ok: false; code: 'dsa' };

/** The public key of a certificate (a `CertSummary`'s `publicKey`) against the strength rule. */
export function keyStrength(pk: CertSummary['publicKey']): KeyStrength {
  if (pk.undecodable) return { ok: false, code: 'undecodable', reason: pk.undecodable };
  const bits = pk.bits !== undefined ? { bits: pk.bits } : {};
  if (pk.type === 'RSA' && (pk.bits ?? 0) < 2048) return { ok: false, code: 'rsa-too-short', ...bits };
  if (pk.type === 'EC' && (pk.bits ?? 0) < 256) return { ok: false, code: 'ec-too-small', ...bits, ...(pk.curve ? { curve: pk.curve } : {}) };
  if (pk.type === 'DSA') return { ok: false, code: 'dsa' };
  return { ok: true };
}

export type SignatureStrength = { ok: true } | { ok: false; code: 'weak-hash'; algorithm: string };

/** SHA-1, MD5 or MD2 in a signature algorithm's name (`SHA-1 with RSASSA-PKCS1-v1_5`, `sha1WithRSAEncryption`, `md5…`). */
const WEAK_HASH = /sha-?1(?!\d)|md[25](?!\d)/i;

/**
 * A certificate's signature algorithm against the rule. A self-signed certificate's own signature is
 * never checked by peers (it is a trust anchor, or untrusted anyway), so it is not judged.
 */
export function signatureStrength(signatureAlgorithm: string, selfSigned: boolean): SignatureStrength {
  if (selfSigned || !WEAK_HASH.test(signatureAlgorithm)) return { ok: true };
  return { ok: false, code: 'weak-hash', algorithm: signatureAlgorithm };
}
