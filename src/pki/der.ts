// Just enough DER to take a certificate apart and put it back together: names taken from a
// certificate we were given are copied byte for byte ("copy, don't re-encode"), never parsed into
// strings and encoded again.

/** One DER element: where its header starts, where its content starts and where it ends. */
export interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

/** Reads the element at `off` (single-byte tags, definite lengths: DER). Throws on malformed input. */
export function readTlv(buf: Uint8Array, off: number): Tlv {
  if (off + 2 > buf.length) throw new Error(`DER: truncated element at offset ${off}`);
  const tag = buf[off]!;
  if ((tag & 0x1f) === 0x1f) throw new Error(`DER: multi-byte tag at offset ${off}`);
  let len = buf[off + 1]!;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error(`DER: unsupported length form at offset ${off}`);
    if (p + n > buf.length) throw new Error(`DER: truncated length at offset ${off}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) throw new Error(`DER: element at offset ${off} runs past the end`);
  return { tag, start: off, contentStart: p, end: p + len };
}

/** The elements inside a constructed element. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.contentStart; p < parent.end;) {
    const t = readTlv(buf, p);
    out.push(t);
    p = t.end;
  }
  return out;
}

/** A DER header for `tag` and a content of `length` bytes. */
export function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

export function element(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([header(tag, content.length), content]);
}

export function toBuffer(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

/** The parts of a certificate's DER, each as the exact bytes it holds (views into the input). */
export interface CertificateParts {
  tbs: Buffer;
  signatureAlgorithm: Buffer;
  /** TBSCertificate elements, in order (version, serial, signature, issuer, validity, subject, spki, …). */
  tbsElements: Buffer[];
  /** Index of `issuer` in tbsElements (2 or 3: the version is optional). */
  issuerIndex: number;
  issuer: Buffer;
  subject: Buffer;
}

/** Takes a certificate apart (RFC 5280 §4.1). Throws on anything that is not a certificate. */
export function certificateParts(data: ArrayBuffer | ArrayBufferView): CertificateParts {
  const der = toBuffer(data);
  const cert = readTlv(der, 0);
  if (cert.tag !== 0x30) throw new Error('DER: a certificate is a SEQUENCE');
  const [tbsTlv, algTlv] = children(der, cert);
  if (!tbsTlv || tbsTlv.tag !== 0x30 || !algTlv) throw new Error('DER: no TBSCertificate');
  const els = children(der, tbsTlv);
  const issuerIndex = els[0]?.tag === 0xa0 ? 3 : 2;
  const issuer = els[issuerIndex];
  const subject = els[issuerIndex + 2];
  if (!issuer || issuer.tag !== 0x30 || !subject || subject.tag !== 0x30) throw new Error('DER: no issuer or subject Name in the TBSCertificate');
  const slice = (t: Tlv) => der.subarray(t.start, t.end);
  return {
    tbs: slice(tbsTlv),
    signatureAlgorithm: slice(algTlv),
    tbsElements: els.map(slice),
    issuerIndex,
    issuer: slice(issuer),
    subject: slice(subject),
  };
}

/** The certificate's subject Name, DER, exactly as encoded in it. */
export function subjectDer(data: ArrayBuffer | ArrayBufferView): Buffer {
  return Buffer.from(certificateParts(data).subject);
}

/** The certificate's issuer Name, DER, exactly as encoded in it. */
export function issuerDer(data: ArrayBuffer | ArrayBufferView): Buffer {
  return Buffer.from(certificateParts(data).issuer);
}

/**
 * A TBSCertificate with its issuer and/or subject replaced by the given DER Names (nothing else
 * changes). The result must be signed again.
 */
export function replaceNames(parts: CertificateParts, names: { issuer?: Uint8Array; subject?: Uint8Array }): Buffer {
  const els = [...parts.tbsElements];
  if (names.issuer) els[parts.issuerIndex] = Buffer.from(names.issuer);
  if (names.subject) els[parts.issuerIndex + 2] = Buffer.from(names.subject);
  return element(0x30, Buffer.concat(els));
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }. */
export function assembleCertificate(tbs: Uint8Array, signatureAlgorithm: Uint8Array, signature: Uint8Array): Buffer {
  const bits = element(0x03, Buffer.concat([Buffer.from([0]), Buffer.from(signature)]));
  return element(0x30, Buffer.concat([Buffer.from(tbs), Buffer.from(signatureAlgorithm), bits]));
}
