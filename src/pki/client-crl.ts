// Whether the valid client certificate is listed in a CRL the harness can read (docs/CONFORMANCE.md
// "Revocation", chain.client-cert-not-revoked): CRLs given (--crl) or fetched from the certificate's
// CRL distribution points (--fetch-crl). A CRL counts only when its issuer Name is the certificate's
// issuer byte for byte; its signature is verified (node:crypto) against the issuer when the harness
// has it. The CRL is read from its DER: the list of revoked certificates is located, not decoded,
// and only the entry of the certificate's serial is decoded (@peculiar/asn1-x509), so a CRL of
// 100,000 entries is read in milliseconds (docs/benchmarks.md). Everything in it is hostile input.
import { verify as nodeVerify, type X509Certificate as NodeX509 } from 'node:crypto';
import { asnSchema, asnX509, x509 } from './crypto.js';
import { children, issuerDer, readTlv, subjectDer, type Tlv } from './der.js';

/** The CRLs of a file: each PEM `X509 CRL` block, or the whole file as one DER CRL. */
export function crlsOfFile(bytes: Buffer): Buffer[] {
  const text = bytes.toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  return blocks.length > 0 ? blocks : [bytes];
}

/** The http(s) URLs of a certificate's CRL distribution points (fullName URIs). */
export function crlDistributionPoints(cert: NodeX509): string[] {
  const c = new x509.X509Certificate(new Uint8Array(cert.raw));
  const ext = c.getExtension(x509.CRLDistributionPointsExtension);
  const out: string[] = [];
  for (const dp of ext?.distributionPoints ?? [])
    for (const n of dp.distributionPoint?.fullName ?? []) if (n.uniformResourceIdentifier) out.push(n.uniformResourceIdentifier);
  return out;
}

export interface CrlReading {
  source: string;
  /** Not this certificate's issuer's CRL (or unreadable): why. */
  ignored?: string;
  /** The CRL's signature checked against the issuer certificate: true, false (bad), undefined (not checked: see signatureNote). */
  signatureOk?: boolean;
  /** Why the signature was not checked when the issuer is at hand (an algorithm not verified here). */
  signatureNote?: string;
  /** The entry listing the certificate. */
  listed?: { revokedAt: string; reason?: string };
  nextUpdate?: string;
  /** How many certificates the CRL lists. */
  entries?: number;
}

const REASONS: Readonly<Record<number, string>> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};

/** The hash of each signature algorithm a CRL may be signed with (null: EdDSA, none). */
const SIGNATURE_HASHES: Readonly<Record<string, string | null>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
  '1.3.101.113': null,
};

/** A serial number as compared here: lowercase hex, no leading zeros. */
export function normalizeSerial(hexOrBytes: string | Uint8Array): string {
  const hex = typeof hexOrBytes === 'string' ? hexOrBytes.replace(/[^0-9a-fA-F]/g, '') : Buffer.from(hexOrBytes).toString('hex');
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

/** A CRL located in its DER (RFC 5280 §5.1): the parts a verdict needs, the entries as DER by serial. */
export interface CrlParts {
  issuerDer: Buffer;
  nextUpdate?: Date;
  /** The cRLNumber extension (§5.2.3), when present and readable. */
  number?: bigint;
  /** A delta CRL (deltaCRLIndicator, §5.2.4): it lists changes since a base CRL only. */
  delta: boolean;
  revoked: Map<string, Buffer>;
  tbs: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
}

/** UTCTime (0x17) or GeneralizedTime (0x18), in the Z forms RFC 5280 §5.1.2.4 allows. */
function timeOf(der: Buffer, t: Tlv): Date {
  const s = der.toString('latin1', t.contentStart, t.end);
  const m = t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new Error('a time that is not UTCTime or GeneralizedTime in Z form');
  const year = t.tag === 0x17 ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1]);
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** Reads a DER CRL's structure; throws (a message fit for a reason) when it is not one. */
export function crlParts(der: Buffer): CrlParts {
  const outer = readTlv(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new Error('not one DER SEQUENCE');
  const [tbsTlv, algTlv, sigTlv] = children(der, outer);
  if (tbsTlv?.tag !== 0x30 || algTlv?.tag !== 0x30 || sigTlv?.tag !== 0x03) throw new Error('not a CertificateList');
  const els = children(der, tbsTlv);
  let i = els[0]?.tag === 0x02 ? 1 : 0; // version
  if (els[i]?.tag !== 0x30) throw new Error('no signature algorithm in the TBSCertList');
  const issuer = els[++i];
  if (issuer?.tag !== 0x30) throw new Error('no issuer Name');
  const thisUpdate = els[++i];
  if (!thisUpdate || (thisUpdate.tag !== 0x17 && thisUpdate.tag !== 0x18)) throw new Error('no thisUpdate');
  timeOf(der, thisUpdate);
  let next = els[++i];
  let nextUpdate: Date | undefined;
  if (next && (next.tag === 0x17 || next.tag === 0x18)) {
    nextUpdate = timeOf(der, next);
    next = els[++i];
  }
  const revoked = new Map<string, Buffer>();
  if (next?.tag === 0x30)
    for (const entry of children(der, next)) {
      const serial = entry.tag === 0x30 ? children(der, entry)[0] : undefined;
      if (serial?.tag !== 0x02) throw new Error('an entry without a serial number');
      revoked.set(normalizeSerial(der.subarray(serial.contentStart, serial.end)), der.subarray(entry.start, entry.end));
    }
  if (next?.tag === 0x30) next = els[++i];
  // crlExtensions [0]: cRLNumber and deltaCRLIndicator.
  let number: bigint | undefined;
  let delta = false;
  if (next?.tag === 0xa0) {
    const exts = asnSchema.AsnConvert.parse(der.subarray(next.contentStart, next.end), asnX509.Extensions);
    for (const x of exts) {
      if (x.extnID === asnX509.id_ce_deltaCRLIndicator) delta = true;
      if (x.extnID === asnX509.id_ce_cRLNumber) {
        const v = Buffer.from(x.extnValue.buffer);
        const int = readTlv(v, 0);
        if (int.tag === 0x02 && int.end > int.contentStart) number = BigInt(`0x${v.toString('hex', int.contentStart, int.end)}`);
      }
    }
  }
  const alg = asnSchema.AsnConvert.parse(der.subarray(algTlv.start, algTlv.end), asnX509.AlgorithmIdentifier);
  if (der[sigTlv.contentStart] !== 0) throw new Error('a signature with unused bits');
  return {
    issuerDer: Buffer.from(der.subarray(issuer.start, issuer.end)),
    ...(nextUpdate ? { nextUpdate } : {}),
    ...(number !== undefined ? { number } : {}),
    delta,
    revoked,
    tbs: der.subarray(tbsTlv.start, tbsTlv.end),
    signatureAlgorithm: alg.algorithm,
    signature: der.subarray(sigTlv.contentStart + 1, sigTlv.end),
  };
}

/** The entry of a serial: when and why; undefined when not listed. Throws when the entry cannot be decoded. */
export function crlEntry(crl: CrlParts, serial: string): { revokedAt: Date; reasonCode?: number } | undefined {
  const der = crl.revoked.get(normalizeSerial(serial));
  if (!der) return undefined;
  const r = asnSchema.AsnConvert.parse(der, asnX509.RevokedCertificate);
  const reason = r.crlEntryExtensions?.find((x) => x.extnID === asnX509.id_ce_cRLReasons);
  const reasonCode = reason ? (asnSchema.AsnConvert.parse(reason.extnValue.buffer, asnX509.CRLReason).reason as number) : undefined;
  return { revokedAt: r.revocationDate.getTime(), ...(reasonCode !== undefined ? { reasonCode } : {}) };
}

/** The CRL's signature against the issuer's key: true, false, or why it was not checked. */
export function signatureBy(crl: CrlParts, issuer: NodeX509): boolean | string {
  const hash = SIGNATURE_HASHES[crl.signatureAlgorithm];
  if (hash === undefined) return `signed with ${crl.signatureAlgorithm}, an algorithm the harness does not verify`;
  try {
    return nodeVerify(hash, crl.tbs, issuer.publicKey, crl.signature);
  } catch {
    return false; // a key of another kind than the algorithm: not this key's signature
  }
}

const short = (e: unknown) => (e instanceof Error ? e.message : 'unreadable').slice(0, 120);

/** Reads each CRL against the certificate (its leaf) and, when at hand, its issuer's certificate. */
export function readCrlsFor(leaf: NodeX509, issuer: NodeX509 | undefined, crls: readonly { source: string; der: Buffer }[]): CrlReading[] {
  const out: CrlReading[] = [];
  const leafIssuer = issuerDer(leaf.raw);
  for (const { source, der } of crls) {
    let crl: CrlParts;
    try {
      crl = crlParts(der);
    } catch (e) {
      out.push({ source, ignored: `not a CRL (${short(e)})` });
      continue;
    }
    if (!crl.issuerDer.equals(leafIssuer)) {
      let name = 'another CA';
      try {
        name = new x509.Name(new Uint8Array(crl.issuerDer)).toString();
      } catch {
        /* an unreadable name stays "another CA" */
      }
      out.push({ source, ignored: `issued by ${name}, not by the certificate's issuer` });
      continue;
    }
    let entry: ReturnType<typeof crlEntry>;
    try {
      entry = crlEntry(crl, leaf.serialNumber);
    } catch (e) {
      out.push({ source, ignored: `its entry for serial ${leaf.serialNumber} cannot be read (${short(e)})` });
      continue;
    }
    const sig = issuer && Buffer.from(subjectDer(issuer.raw)).equals(leafIssuer) ? signatureBy(crl, issuer) : undefined;
    // removeFromCRL (8) appears in delta CRLs only: the certificate is no longer revoked.
    const listed = entry && entry.reasonCode !== 8 ? entry : undefined;
    if (crl.delta && !listed) {
      out.push({ source, ignored: 'a delta CRL: it lists only the changes since its base CRL, so not being listed in it proves nothing' });
      continue;
    }
    const reason = listed?.reasonCode !== undefined ? (REASONS[listed.reasonCode] ?? `reason ${listed.reasonCode}`) : undefined;
    out.push({
      source,
      ...(typeof sig === 'boolean' ? { signatureOk: sig } : typeof sig === 'string' ? { signatureNote: sig } : {}),
      ...(listed ? { listed: { revokedAt: listed.revokedAt.toISOString(), ...(reason ? { reason } : {}) } } : {}),
      ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate.toISOString() } : {}),
      entries: crl.revoked.size,
    });
  }
  return out;
}
