// Certificate revocation lists (RFC 5280 §5) the harness issues from a CA it holds the key of: the
// fixture PKI's CAs for the reference servers (profile revocation-crl), and a user's CA (--ca-key)
// for a live target. Encoded like the certificates (encode.ts) and signed with node:crypto.
import { createHash, KeyObject } from 'node:crypto';
import { element, subjectDer } from './der.js';
import { integer, keyIdentifier, oid, pemBlock, signedStructure, signatureAlgorithm, subjectKeyIdOf, time } from './encode.js';
import { addDays } from '../core/clock.js';
import { certDer, type Credential, type FixturePki } from './generate.js';

const seq = (...items: Buffer[]) => element(0x30, Buffer.concat(items));

/** One revoked certificate of a CRL: its serial number (hex) and when it was revoked. */
export interface RevokedEntry {
  serialHex: string;
  revokedAt: Date;
}

export interface CrlOptions {
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: readonly RevokedEntry[];
  /** The cRLNumber extension (§5.2.3; default 1). */
  number?: number | bigint;
  /** Entries carried over from the CA's current CRL, each its DER exactly as read (copied, not re-encoded). */
  carried?: readonly Buffer[];
}

/**
 * The serial number of the client certificate the harness revokes under a CA: derived from the
 * CA's certificate, so the CRL rendered for a reference server and the revoked client presented to
 * it (and, for a live CA, every run's revoked client) agree without sharing state. Positive, 16 bytes.
 */
export function revokedSerialFor(ca: Credential): string {
  const b = createHash('sha256').update(certDer(ca)).update('mtls-harness revoked client').digest().subarray(0, 16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

/**
 * A v2 CRL issued by `ca`: its issuer is the CA's subject DER byte for byte (RFC 5280 §5.1.2.3:
 * OpenSSL and GnuTLS match a CRL to its CA by those bytes), with authorityKeyIdentifier (the CA's
 * subjectKeyIdentifier, else computed from its key) and cRLNumber; each entry carries the reason
 * keyCompromise. PEM (`X509 CRL`).
 */
export function mintCrl(ca: Credential, o: CrlOptions): string {
  const der = certDer(ca);
  const spki = KeyObject.from(ca.key.pair.publicKey).export({ format: 'der', type: 'spki' });
  const akid = subjectKeyIdOf(der) ?? keyIdentifier(spki);
  const entries = o.revoked.map((r) =>
    seq(
      integer(Buffer.from(r.serialHex.length % 2 ? `0${r.serialHex}` : r.serialHex, 'hex')),
      time(r.revokedAt),
      // crlEntryExtensions: reasonCode (§5.3.1) keyCompromise (1).
      seq(seq(oid('2.5.29.21'), element(0x04, element(0x0a, Buffer.from([1]))))),
    ),
  );
  const extensions = element(
    0xa0,
    seq(seq(oid('2.5.29.35'), element(0x04, seq(element(0x80, akid)))), seq(oid('2.5.29.20'), element(0x04, integer(bigIntBytes(BigInt(o.number ?? 1)))))),
  );
  const all = [...(o.carried ?? []), ...entries];
  const tbs = seq(
    integer(Buffer.from([1])), // v2
    signatureAlgorithm(ca.key.type),
    subjectDer(der),
    time(o.thisUpdate),
    time(o.nextUpdate),
    ...(all.length > 0 ? [seq(...all)] : []),
    extensions,
  );
  return `${pemBlock('X509 CRL', signedStructure(tbs, KeyObject.from(ca.key.pair.privateKey), ca.key.type))}\n`;
}

/** A non-negative integer's big-endian bytes (at least one). */
function bigIntBytes(n: bigint): Buffer {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}

/** The fixture PKI's CRLs by PKI: a reference's files are rendered again on every restart. */
const FIXTURE_CRLS = new WeakMap<FixturePki, string>();

/**
 * The CRLs of the fixture PKI's client-issuing CAs, in one PEM file (client-crl.pem of the
 * references): the root's lists the revoked client (revokedSerialFor), the intermediate's is empty
 * (a server checking every certificate of a chain needs one from each CA: OpenSSL's
 * X509_V_FLAG_CRL_CHECK_ALL). Valid from an hour before the PKI was made, for 30 days.
 */
export function fixtureCrlPem(pki: FixturePki): string {
  let pem = FIXTURE_CRLS.get(pki);
  if (!pem) {
    const thisUpdate = addDays(pki.createdAt, -1 / 24);
    const nextUpdate = addDays(pki.createdAt, 30);
    pem =
      mintCrl(pki.root, { thisUpdate, nextUpdate, revoked: [{ serialHex: revokedSerialFor(pki.root), revokedAt: thisUpdate }] }) +
      mintCrl(pki.intermediate, { thisUpdate, nextUpdate, revoked: [] });
    FIXTURE_CRLS.set(pki, pem);
  }
  return pem;
}
