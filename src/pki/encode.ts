// DER encoding of the certificates the harness mints (RFC 5280 §4.1), with node:crypto for the keys,
// the hashes and the signatures. Minting through the certificate library cost about 10 ms a
// certificate in a fresh process (its ASN.1 machinery, cold), and a run mints a dozen; this is a
// few hundred lines of plain encoding. What the library still does: a Name given as text that is
// not a plain `CN=…, O=…` list is encoded by it (its parser is the reference for that text), and
// everything that reads certificates.
import { createHash, KeyObject, sign as nodeSign } from 'node:crypto';
import { isIP } from 'node:net';
import { children, element, readTlv } from './der.js';
import type { LeafKeyType } from './keys.js';

const SEQUENCE = 0x30;
const SET = 0x31;

/** An OBJECT IDENTIFIER element. */
export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const n of parts.slice(2)) {
    const groups = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return element(0x06, Buffer.from(bytes));
}

const seq = (...items: Buffer[]) => element(SEQUENCE, Buffer.concat(items));

/** A positive INTEGER from big-endian bytes (minimal: no superfluous leading zero, a zero before a high bit). */
export function integer(bytes: Uint8Array): Buffer {
  let b = Buffer.from(bytes);
  while (b.length > 1 && b[0] === 0 && b[1]! < 0x80) b = b.subarray(1);
  if (b.length === 0 || b[0]! >= 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return element(0x02, b);
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5), to the second. */
export function time(d: Date, generalized = false): Buffer {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  return y < 2050 && !generalized ? element(0x17, Buffer.from(`${p(y % 100)}${rest}`, 'latin1')) : element(0x18, Buffer.from(`${p(y, 4)}${rest}`, 'latin1'));
}

/** Attribute types of the plain names encoded here (others go to the library's parser). */
const NAME_TYPES: Readonly<Record<string, string>> = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11', L: '2.5.4.7', ST: '2.5.4.8', C: '2.5.4.6' };
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * A Name from text like `CN=localhost, O=mtls-harness`: one attribute per RDN, PrintableString when
 * the value allows it, else UTF8String (as the certificate library encodes the same text). Returns
 * undefined for any other text (quotes, escapes, `+`, other attribute types, empty or padded
 * values): the caller has the library encode it.
 */
export function plainNameDer(text: string): Buffer | undefined {
  const rdns: Buffer[] = [];
  for (const part of text.split(', ')) {
    const m = /^([A-Z]{1,2})=([^,+"\\#<>;=]+)$/.exec(part);
    const type = m ? NAME_TYPES[m[1]!] : undefined;
    if (!m || !type || m[2] !== m[2]!.trim()) return undefined;
    const value = m[2]!;
    const str = PRINTABLE.test(value) ? element(0x13, Buffer.from(value, 'latin1')) : element(0x0c, Buffer.from(value, 'utf8'));
    rdns.push(element(SET, seq(oid(type), str)));
  }
  return seq(...rdns);
}

/** The subjectPublicKey bits of an SPKI (DER), without the unused-bits byte. */
function publicKeyBits(spki: Buffer): Buffer {
  const [, bits] = children(spki, readTlv(spki, 0));
  if (!bits || bits.tag !== 0x03) throw new Error('DER: no subjectPublicKey in the SPKI');
  return spki.subarray(bits.contentStart + 1, bits.end);
}

/** The key identifier of RFC 5280 §4.2.1.2 (1): SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(publicKeyBits(spki)).digest();
}

/** The subjectKeyIdentifier of a certificate (DER), or undefined. */
export function subjectKeyIdOf(cert: Buffer): Buffer | undefined {
  const ext = extensionValue(cert, '2.5.29.14');
  if (!ext) return undefined;
  const inner = readTlv(ext, 0);
  return inner.tag === 0x04 ? Buffer.from(ext.subarray(inner.contentStart, inner.end)) : undefined;
}

/** The extnValue (the OCTET STRING's content) of a certificate's extension, or undefined. */
export function extensionValue(cert: Buffer, extnId: string): Buffer | undefined {
  const tbs = children(cert, readTlv(cert, 0))[0]!;
  const exts = children(cert, tbs).find((t) => t.tag === 0xa3);
  if (!exts) return undefined;
  const want = oid(extnId);
  for (const e of children(cert, children(cert, exts)[0]!)) {
    const [id, ...rest] = children(cert, e);
    if (!id || !cert.subarray(id.start, id.end).equals(want)) continue;
    const value = rest[rest.length - 1]!;
    return Buffer.from(cert.subarray(value.contentStart, value.end));
  }
  return undefined;
}

/** KeyUsage bits (digitalSignature = bit 0, …) as a DER named-bit BIT STRING. */
function keyUsageBits(bits: number[]): Buffer {
  const last = Math.max(...bits);
  const bytes = Buffer.alloc((last >> 3) + 1);
  for (const b of bits) bytes[b >> 3] = bytes[b >> 3]! | (0x80 >> (b & 7));
  return element(0x03, Buffer.concat([Buffer.from([7 - (last & 7)]), bytes]));
}

const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [Buffer.from([0x01, 0x01, 0xff])] : []), element(0x04, value));

const EKU_OIDS = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;

/** What a TBSCertificate of the harness holds (the names already DER). */
export interface TbsFields {
  serialHex: string;
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  /** The issuer's key identifier (its subjectKeyIdentifier, else computed from its public key). */
  authorityKeyId: Buffer;
  ca: boolean;
  pathLength?: number | undefined;
  /** RSA leaves add keyEncipherment. */
  rsa: boolean;
  eku?: readonly ('serverAuth' | 'clientAuth')[] | undefined;
  sans?: { dns?: string[] | undefined; ip?: string[] | undefined; uri?: string[] | undefined; email?: string[] | undefined } | undefined;
  /** OCSP responder URLs: an authorityInfoAccess extension with id-ad-ocsp (RFC 5280 §4.2.2.1). */
  ocspUrls?: readonly string[] | undefined;
  /** A deliberate departure from this profile (the crafted certificates of src/pki/crafted-profiles.ts). */
  tweak?: Tweak | undefined;
}

/**
 * One property of a certificate changed on purpose, at the encoding: what the crafted profiles
 * (src/pki/crafted-profiles.ts) need beyond the fields above. Each is applied after the rest is encoded.
 */
export interface Tweak {
  /** keyUsage bits instead of the profile's (an empty list: a keyUsage with no bit set). */
  keyUsage?: number[];
  /** Extensions left out, by OID. */
  drop?: string[];
  /** Extensions added at the end (DER Extension elements, e.g. from `extensionDer`). */
  add?: Buffer[];
  /** An extension that appears twice, by OID. */
  duplicate?: string;
  /** basicConstraints of a leaf with a pathLenConstraint. */
  leafPathLength?: number;
  /** The version: 1 (v1, the field absent, extensions kept), 2 (v2). */
  version?: 1 | 2;
  /** The serial's INTEGER content bytes as they are (zero, negative, longer than 20 octets). */
  serialBytes?: Buffer;
  /** The TBSCertificate's signature algorithm (the outer one stays the signer's). */
  tbsAlgorithm?: Buffer;
  /** The hash the issuer signs with (SHA-1, for the weak-signature profile). */
  hash?: 'sha1';
  /** Validity times as GeneralizedTime even before 2050. */
  generalizedTime?: boolean;
  /** The last byte of the signature inverted. */
  flipSignature?: boolean;
  /** The issuer Name with its last byte changed. */
  flipIssuer?: boolean;
  /** A subjectAltName extension with no name in it. */
  emptySan?: boolean;
  /** Every extension marked non-critical with an explicit critical FALSE (not DER). */
  explicitNonCritical?: boolean;
}

/** An Extension element (RFC 5280 §4.1). */
export function extensionDer(id: string, critical: boolean, value: Buffer): Buffer {
  return extension(id, critical, value);
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  if (isIP(ip) !== 6) throw new Error(`not an IP address: ${ip}`);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const words = (s: string | undefined) => (s ? s.split(':') : []);
  const left = words(head);
  const right = words(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  all.forEach((w, i) => out.writeUInt16BE(parseInt(w, 16), i * 2));
  return out;
}

/**
 * The extensions the harness's certificates carry, in this order: basicConstraints (critical),
 * keyUsage (critical), subjectKeyIdentifier, authorityKeyIdentifier, extendedKeyUsage,
 * subjectAltName (dns, ip, uri, email), authorityInfoAccess (OCSP URLs only).
 */
function extensions(f: TbsFields): Buffer {
  const t = f.tweak ?? {};
  const pathLength = f.ca ? f.pathLength : t.leafPathLength;
  const bc =
    f.ca || pathLength !== undefined
      ? seq(...(f.ca ? [Buffer.from([0x01, 0x01, 0xff])] : []), ...(pathLength !== undefined ? [integer(Buffer.from([pathLength]))] : []))
      : seq();
  const kuList = t.keyUsage ?? (f.ca ? [0, 5, 6] : f.rsa ? [0, 2] : [0]);
  const ku = kuList.length > 0 ? keyUsageBits(kuList) : element(0x03, Buffer.from([0]));
  const nonCritical = (id: string, value: Buffer) =>
    t.explicitNonCritical ? seq(oid(id), Buffer.from([0x01, 0x01, 0x00]), element(0x04, value)) : extension(id, false, value);
  const list = [
    extension('2.5.29.19', true, bc),
    extension('2.5.29.15', true, ku),
    nonCritical('2.5.29.14', element(0x04, keyIdentifier(f.spki))),
    nonCritical('2.5.29.35', seq(element(0x80, f.authorityKeyId))),
  ];
  if (f.eku && f.eku.length > 0) list.push(nonCritical('2.5.29.37', seq(...f.eku.map((e) => oid(EKU_OIDS[e])))));
  const s = f.sans ?? {};
  const names = [
    ...(s.dns ?? []).map((v) => element(0x82, Buffer.from(v, 'latin1'))),
    ...(s.ip ?? []).map((v) => element(0x87, ipBytes(v))),
    ...(s.uri ?? []).map((v) => element(0x86, Buffer.from(v, 'latin1'))),
    ...(s.email ?? []).map((v) => element(0x81, Buffer.from(v, 'latin1'))),
  ];
  if (names.length > 0 || t.emptySan) list.push(nonCritical('2.5.29.17', seq(...names)));
  const isExtension = (e: Buffer, id: string) => e.subarray(readTlv(e, 0).contentStart).indexOf(oid(id)) === 0;
  // AccessDescription { id-ad-ocsp, uniformResourceIdentifier [6] }.
  const aia = (f.ocspUrls ?? []).map((u) => seq(oid('1.3.6.1.5.5.7.48.1'), element(0x86, Buffer.from(u, 'latin1'))));
  if (aia.length > 0) list.push(extension('1.3.6.1.5.5.7.1.1', false, seq(...aia)));
  const kept = list.filter((e) => !t.drop?.some((id) => isExtension(e, id)));
  const twice = t.duplicate ? kept.filter((e) => isExtension(e, t.duplicate!)) : [];
  return element(0xa3, seq(...kept, ...twice, ...(t.add ?? [])));
}

/** The signature algorithm a key of this type signs certificates with (AlgorithmIdentifier, DER). */
export function signatureAlgorithm(type: LeafKeyType): Buffer {
  if (type === 'ed25519') return seq(oid('1.3.101.112')); // RFC 8410 §3: no parameters
  if (type === 'ec-p256') return seq(oid('1.2.840.10045.4.3.2'));
  if (type === 'ec-p384') return seq(oid('1.2.840.10045.4.3.3'));
  return seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
}

/** The TBSCertificate (v3) of these fields, signed by `signer` (a key of `signerType`): the certificate DER. */
export function signedCertificate(f: TbsFields, signer: KeyObject, signerType: LeafKeyType): Buffer {
  const t = f.tweak ?? {};
  const alg = t.hash === 'sha1' ? sha1Algorithm(signerType) : signatureAlgorithm(signerType);
  const issuer = t.flipIssuer ? Buffer.from(f.issuer) : f.issuer;
  if (t.flipIssuer) issuer[issuer.length - 1] = issuer[issuer.length - 1]! ^ 0x01;
  const version = t.version === 1 ? [] : [element(0xa0, integer(Buffer.from([t.version === 2 ? 1 : 2])))];
  const tbs = seq(
    ...version,
    t.serialBytes ? element(0x02, t.serialBytes) : integer(Buffer.from(f.serialHex.length % 2 ? `0${f.serialHex}` : f.serialHex, 'hex')),
    t.tbsAlgorithm ?? alg,
    issuer,
    seq(time(f.notBefore, t.generalizedTime), time(f.notAfter, t.generalizedTime)),
    f.subject,
    f.spki,
    extensions(f),
  );
  return signedStructure(tbs, signer, signerType, { hash: t.hash, algorithm: alg, flipSignature: t.flipSignature });
}

/** How a structure is signed when a crafted profile says otherwise (a SHA-1 hash, a corrupted signature). */
export interface SignatureTweak {
  hash?: 'sha1';
  /** The AlgorithmIdentifier written beside the signature (default: signatureAlgorithm(signerType)). */
  algorithm?: Buffer;
  flipSignature?: boolean;
}

/**
 * `SEQUENCE { tbs, signatureAlgorithm, signature BIT STRING }` (a certificate, RFC 5280 §4.1; a
 * CRL, §5.1): `tbs` signed by `signer`, a key of `signerType`.
 */
export function signedStructure(tbs: Buffer, signer: KeyObject, signerType: LeafKeyType, w: SignatureTweak = {}): Buffer {
  const signature = signBytes(tbs, signer, signerType, w.hash);
  if (w.flipSignature) signature[signature.length - 1] = signature[signature.length - 1]! ^ 0xff;
  const bits = element(0x03, Buffer.concat([Buffer.from([0]), signature]));
  return seq(tbs, w.algorithm ?? signatureAlgorithm(signerType), bits);
}

/** The SHA-1 signature algorithm of a key type (ecdsa-with-SHA1, sha1WithRSAEncryption). */
function sha1Algorithm(type: LeafKeyType): Buffer {
  if (type.startsWith('ec')) return seq(oid('1.2.840.10045.4.1'));
  if (type.startsWith('rsa')) return seq(oid('1.2.840.113549.1.1.5'), Buffer.from([0x05, 0x00]));
  throw new Error(`no SHA-1 signature with a ${type} key`);
}

/** The signature of `tbs` by `signer` (a key of `signerType`), as signatureAlgorithm() names it (ECDSA: DER), or with SHA-1 when a crafted profile asks. */
export function signBytes(tbs: Buffer, signer: KeyObject, signerType: LeafKeyType, sha1?: 'sha1'): Buffer {
  const hash = sha1 ?? (signerType === 'ec-p384' ? 'sha384' : 'sha256');
  if (signerType === 'ed25519') return nodeSign(null, tbs, signer);
  return signerType.startsWith('ec') ? nodeSign(hash, tbs, { key: signer, dsaEncoding: 'der' }) : nodeSign(hash, tbs, signer);
}

/** PEM of a certificate's DER (64-column base64, no newline after the END line). */
export function certificatePem(der: Buffer): string {
  return pemBlock('CERTIFICATE', der);
}

/** A PEM block of DER under `label` (64-column base64, no newline after the END line). */
export function pemBlock(label: string, der: Buffer): string {
  const b64 = der.toString('base64');
  const lines = [`-----BEGIN ${label}-----`];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  lines.push(`-----END ${label}-----`);
  return lines.join('\n');
}

/** The DER of a PEM certificate (its first CERTIFICATE block). */
export function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error('no CERTIFICATE block');
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}
