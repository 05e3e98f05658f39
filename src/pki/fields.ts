// The fields of a certificate that summaries show (names as text, validity, signature algorithm,
// SANs, EKU, key usage, basic constraints), read from the DER without the certificate library, for
// the certificates that hold nothing unusual. Reading them through the library cost about 5 ms a
// certificate in a fresh process; a run reads a dozen. The result is what the library gives for the
// same certificate (src/pki/fields.test.ts compares both on every certificate of the x509-limbo
// corpus and more); for anything else (another string type, an unusual time form, a SAN form other
// than DNS/IP/URI/email, an unknown signature algorithm, anything malformed) it returns undefined
// and the caller asks the library.
import { x509 } from './crypto.js';
import { children, readTlv, type Tlv } from './der.js';

export interface CertFields {
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  signatureAlgorithm: string;
  sans: { dns: string[]; ip: string[]; uri: string[]; email: string[] };
  /** Extended key usage OIDs, in order. */
  extKeyUsage: string[];
  /** keyUsage bits as the library's flags (digitalSignature = 1, nonRepudiation = 2, …). */
  keyUsage?: number;
  basicConstraints?: { ca: boolean; critical: boolean; pathLength?: number };
}

class Unusual extends Error {}
const unusual = (): never => {
  throw new Unusual();
};

/** The dotted form of an OBJECT IDENTIFIER's content. */
export function oidText(b: Uint8Array): string {
  if (b.length === 0 || b[b.length - 1]! & 0x80) unusual();
  const out: number[] = [];
  let v = 0;
  for (const byte of b) {
    if (v === 0 && byte === 0x80) unusual(); // not minimal
    v = v * 128 + (byte & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) unusual();
    if (!(byte & 0x80)) {
      out.push(v);
      v = 0;
    }
  }
  const first = out.shift()!;
  return [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80, ...out].join('.');
}

/** Attribute type names the library prints; any other type prints as its OID. */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'E',
  '2.5.4.42': 'G',
  '2.5.4.43': 'I',
  '2.5.4.4': 'SN',
  '2.5.4.12': 'T',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The library's escaping of a value in a Name's text (RFC 4514-like; only the first control character). */
function escapeValue(v: string): string {
  return v
    .replace(/([,+"\\<>;])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/([ ]$)/, '\\$1')
    .replace(/([\r\n\t])/, (c) => `\\${Buffer.from(c, 'utf8').toString('hex').toUpperCase()}`);
}

/** A Name's attributes, RDN by RDN: [type (its name or OID), value]. */
function attributes(der: Uint8Array, name: Tlv): [string, string][][] {
  if (name.tag !== 0x30) unusual();
  return children(der, name).map((rdn) => {
    if (rdn.tag !== 0x31) unusual();
    const atvs = children(der, rdn);
    if (atvs.length === 0) unusual();
    return atvs.map((atv): [string, string] => {
      const [type, value, ...more] = children(der, atv);
      if (atv.tag !== 0x30 || !type || type.tag !== 0x06 || !value || more.length > 0) unusual();
      const bytes = der.subarray(value!.contentStart, value!.end);
      if (bytes.length === 0) unusual();
      let text: string;
      if (value!.tag === 0x0c) text = utf8.decode(bytes);
      else if (value!.tag === 0x13 || value!.tag === 0x16) text = Buffer.from(bytes).toString('latin1');
      else return unusual();
      const oid = oidText(der.subarray(type!.contentStart, type!.end));
      return [ATTRIBUTE_NAMES[oid] ?? oid, text];
    });
  });
}

/** A Name as the library prints it: `CN=a, O=b`, multi-valued RDNs joined by `+`. */
export function nameText(der: Uint8Array, name: Tlv): string {
  return attributes(der, name)
    .map((rdn) => rdn.map(([type, value]) => `${type}=${escapeValue(value)}`).join('+'))
    .join(', ');
}

/** A Name as the library's `Name` gives it: its text, and its JSON (per RDN, values by type). */
export interface NameView {
  toString(): string;
  toJSON(): Record<string, string[]>[];
}

/** The NameView of a DER Name, or undefined when it holds anything this reader leaves to the library. */
export function readName(der: Uint8Array): NameView | undefined {
  try {
    const name = readTlv(der, 0);
    if (name.end !== der.length) return undefined;
    const rdns = attributes(der, name);
    const text = nameText(der, name);
    return {
      toString: () => text,
      toJSON: () =>
        rdns.map((rdn) => {
          const item: Record<string, string[]> = {};
          for (const [type, value] of rdn) (item[type] ??= []).push(value);
          return item;
        }),
    };
  } catch {
    return undefined;
  }
}

/** UTCTime YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSSZ; other forms are unusual. */
function timeOf(der: Uint8Array, t: Tlv): Date {
  const s = Buffer.from(der.subarray(t.contentStart, t.end)).toString('latin1');
  const m =
    t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : t.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (!m) return unusual();
  const y = t.tag === 0x17 ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1]);
  const [mo, d, h, mi, se] = m.slice(2).map(Number) as [number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) unusual();
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  if (date.getUTCDate() !== d) unusual();
  return date;
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.10045.4.1': 'SHA-1 with ECDSA',
  '1.2.840.10045.4.3.2': 'SHA-256 with ECDSA',
  '1.2.840.10045.4.3.3': 'SHA-384 with ECDSA',
  '1.2.840.10045.4.3.4': 'SHA-512 with ECDSA',
  '1.2.840.113549.1.1.1': 'RSASSA-PKCS1-v1_5',
  '1.2.840.113549.1.1.5': 'SHA-1 with RSASSA-PKCS1-v1_5',
  '1.2.840.113549.1.1.11': 'SHA-256 with RSASSA-PKCS1-v1_5',
  '1.2.840.113549.1.1.12': 'SHA-384 with RSASSA-PKCS1-v1_5',
  '1.2.840.113549.1.1.13': 'SHA-512 with RSASSA-PKCS1-v1_5',
};

/** The library's text of an IPv6 address: hex words without leading zeros, the longest run of 2+ zero words as `::`. */
function ipv6Text(b: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  let best = { start: -1, len: 0 };
  let cur = { start: -1, len: 0 };
  parts.forEach((p, i) => {
    if (p === '0') cur = cur.start === -1 ? { start: i, len: 1 } : { start: cur.start, len: cur.len + 1 };
    else {
      if (cur.len > best.len) best = cur;
      cur = { start: -1, len: 0 };
    }
  });
  if (cur.len > best.len) best = cur;
  if (best.len <= 1) return parts.join(':');
  return `${parts.slice(0, best.start).join(':')}::${parts.slice(best.start + best.len).join(':')}`;
}

function readSans(der: Uint8Array, v: Tlv, out: CertFields['sans']): void {
  if (v.tag !== 0x30) unusual();
  for (const gn of children(der, v)) {
    const bytes = der.subarray(gn.contentStart, gn.end);
    const text = () => Buffer.from(bytes).toString('latin1');
    if (gn.tag === 0x82) out.dns.push(text());
    else if (gn.tag === 0x86) out.uri.push(text());
    else if (gn.tag === 0x81) out.email.push(text());
    else if (gn.tag === 0x87 && bytes.length === 4) out.ip.push(Array.from(bytes).join('.'));
    else if (gn.tag === 0x87 && bytes.length === 16) out.ip.push(ipv6Text(bytes));
    else unusual();
  }
}

/** A small non-negative INTEGER's value. */
function smallInt(der: Uint8Array, t: Tlv): number {
  const b = der.subarray(t.contentStart, t.end);
  if (t.tag !== 0x02 || b.length === 0 || b.length > 4 || b[0]! & 0x80 || (b.length > 1 && b[0] === 0 && !(b[1]! & 0x80))) unusual();
  return b.reduce((n, x) => n * 256 + x, 0);
}

/**
 * Reads one extension's value into the fields (the library's reading: a repeated extension's last
 * one wins, SANs add up). The key identifiers are only checked for their shape; any other extension
 * is left to the library (it decodes some of them, and a malformed one makes it give up).
 */
function readExtension(der: Uint8Array, id: string, critical: boolean, v: Tlv, f: CertFields): void {
  switch (id) {
    case '2.5.29.14':
      if (v.tag !== 0x04) unusual();
      return;
    case '2.5.29.35': {
      if (v.tag !== 0x30) unusual();
      const items = children(der, v);
      if (items.length !== 1 || items[0]!.tag !== 0x80) unusual();
      return;
    }
    case '2.5.29.17':
      return readSans(der, v, f.sans);
    case '2.5.29.37': {
      if (v.tag !== 0x30) unusual();
      f.extKeyUsage = children(der, v).map((o) => (o.tag === 0x06 ? oidText(der.subarray(o.contentStart, o.end)) : unusual()));
      return;
    }
    case '2.5.29.15': {
      const b = der.subarray(v.contentStart, v.end);
      if (v.tag !== 0x03 || b.length < 2 || b.length > 3 || b[0]! > 7) unusual();
      let flags = 0;
      for (let bit = 0; bit < (b.length - 1) * 8 - b[0]!; bit++) if (b[1 + (bit >> 3)]! & (0x80 >> (bit & 7))) flags |= 1 << bit;
      f.keyUsage = flags;
      return;
    }
    case '2.5.29.19': {
      if (v.tag !== 0x30) unusual();
      const items = children(der, v);
      let i = 0;
      let ca = false;
      if (items[i]?.tag === 0x01) {
        const b = der.subarray(items[i]!.contentStart, items[i]!.end);
        if (b.length !== 1 || (b[0] !== 0 && b[0] !== 0xff)) unusual();
        ca = b[0] === 0xff;
        i++;
      }
      const pathLength = items[i] ? smallInt(der, items[i]!) : undefined;
      if (items.length > i + (pathLength !== undefined ? 1 : 0)) unusual();
      f.basicConstraints = { ca, critical, ...(pathLength !== undefined ? { pathLength } : {}) };
      return;
    }
    default:
      unusual();
  }
}

/** The fields of a certificate (DER), or undefined when it holds anything this reader leaves to the library. */
export function readCertFields(der: Uint8Array): CertFields | undefined {
  // The library's ASN.1 decoder gives up beyond 10,000 elements; a certificate of at most 16 KiB
  // cannot hold that many (two bytes each at least). Larger ones go to the library.
  if (der.length > 16_384) return undefined;
  try {
    const cert = readTlv(der, 0);
    if (cert.tag !== 0x30 || cert.end !== der.length) return unusual();
    const [tbs, alg, sig, ...rest] = children(der, cert);
    if (!tbs || tbs.tag !== 0x30 || !alg || alg.tag !== 0x30 || !sig || sig.tag !== 0x03 || rest.length > 0) return unusual();
    const els = children(der, tbs);
    const version = els[0]?.tag === 0xa0 ? els.shift()! : undefined;
    if (version && !Buffer.from(der.subarray(version.contentStart, version.end)).equals(Buffer.from([0x02, 0x01, 0x02]))) unusual();
    const [serial, sigAlg, issuer, validity, subject, spki, ...tail] = els;
    if (!serial || serial.tag !== 0x02 || !sigAlg || !issuer || !validity || validity.tag !== 0x30 || !subject || !spki || spki.tag !== 0x30) return unusual();
    const [algOid, params, ...more] = children(der, alg);
    if (!algOid || algOid.tag !== 0x06 || more.length > 0 || (params && !(params.tag === 0x05 && params.end === params.contentStart))) unusual();
    if (!Buffer.from(der.subarray(sigAlg.start, sigAlg.end)).equals(Buffer.from(der.subarray(alg.start, alg.end)))) unusual();
    const signatureAlgorithm = SIGNATURE_ALGORITHMS[oidText(der.subarray(algOid!.contentStart, algOid!.end))] ?? unusual();
    const [nb, na, ...extraTimes] = children(der, validity);
    if (!nb || !na || extraTimes.length > 0) unusual();
    const f: CertFields = {
      subject: nameText(der, subject),
      issuer: nameText(der, issuer),
      notBefore: timeOf(der, nb!),
      notAfter: timeOf(der, na!),
      signatureAlgorithm,
      sans: { dns: [], ip: [], uri: [], email: [] },
      extKeyUsage: [],
    };
    for (const t of tail) {
      if (t.tag !== 0xa3 || !version) unusual();
      const [list, ...extra] = children(der, t);
      if (!list || list.tag !== 0x30 || extra.length > 0) unusual();
      for (const e of children(der, list!)) {
        const [id, second, third, ...over] = children(der, e);
        if (e.tag !== 0x30 || !id || id.tag !== 0x06 || !second || over.length > 0) unusual();
        let critical = false;
        let octets = second!;
        if (third) {
          const b = der.subarray(second!.contentStart, second!.end);
          if (second!.tag !== 0x01 || b.length !== 1 || (b[0] !== 0 && b[0] !== 0xff)) unusual();
          critical = b[0] === 0xff;
          octets = third;
        }
        if (octets.tag !== 0x04) unusual();
        const inner = readTlv(der, octets.contentStart);
        if (inner.end !== octets.end) unusual();
        readExtension(der, oidText(der.subarray(id!.contentStart, id!.end)), critical, inner, f);
      }
    }
    return f;
  } catch (e) {
    if (e instanceof Unusual || e instanceof Error) return undefined;
    throw e;
  }
}

/** A DER Name's view: read here, else by the certificate library. */
export function nameOf(der: Uint8Array): NameView {
  return readName(der) ?? new x509.Name(new Uint8Array(der));
}
