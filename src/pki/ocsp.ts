// OCSP (RFC 6960) for the harness's loopback responder (chain.rejects-ocsp-revoked-client): an
// OCSPRequest read, and a BasicOCSPResponse built and signed by the CA itself (§4.2.2.2: the CA
// that issued the certificate in question signs; responderID byKey), all on the maintained ASN.1
// types of @peculiar/asn1-ocsp (required on first use, as the PKCS#12 types are). The response
// carries the CA's own certificate in `certs`: Apache's mod_ssl looks for the signer there (or in
// SSLOCSPResponderCertificateFile), not in its trust store (measured without: "signer certificate
// not found", every client refused); nginx, stunnel and openssl ocsp find it either way.
import { createHash, KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Ocsp from '@peculiar/asn1-ocsp';
import { asnSchema, asnX509 } from './crypto.js';
import { subjectDer } from './der.js';
import { keyIdentifier, signatureAlgorithm, signBytes } from './encode.js';
import { certDer, type Credential } from './generate.js';

const require = createRequire(import.meta.url);
let lib: typeof Ocsp | undefined;
const ocsp = (): typeof Ocsp => (lib ??= require('@peculiar/asn1-ocsp') as typeof Ocsp);

/** The hash algorithms a CertID may name (RFC 6960 §4.1.1; OpenSSL sends SHA-1 by default). */
const HASHES: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** One certificate asked about: its CertID as sent (echoed back), and its serial (hex, no leading zeros). */
export interface OcspQuestion {
  certId: Ocsp.CertID;
  serialHex: string;
}

/** An OCSPRequest, read: the certificates asked about and the nonce extension's value, if any. */
export interface OcspRequestInfo {
  questions: OcspQuestion[];
  /** The nonce extension's extnValue (echoed in the response, §4.4.1). */
  nonce?: Buffer;
}

/** Hex of an INTEGER's bytes, lower case, without leading zero bytes (the serial as a CRL or a certificate names it). */
export function serialKey(bytes: ArrayBuffer | Uint8Array | string): string {
  const hex = typeof bytes === 'string' ? bytes.toLowerCase() : Buffer.from(bytes as ArrayBuffer).toString('hex');
  return hex.replace(/^(00)+/, '') || '00';
}

/** Reads an OCSPRequest (DER). Throws on anything else. */
export function parseOcspRequest(der: Uint8Array): OcspRequestInfo {
  const req = asnSchema.AsnConvert.parse(der, ocsp().OCSPRequest);
  const questions = req.tbsRequest.requestList.map((r) => ({ certId: r.reqCert, serialHex: serialKey(r.reqCert.serialNumber) }));
  if (questions.length === 0) throw new Error('OCSP request lists no certificate');
  const nonce = req.tbsRequest.requestExtensions?.find((e) => e.extnID === ocsp().id_pkix_ocsp_nonce);
  return { questions, ...(nonce ? { nonce: Buffer.from(nonce.extnValue.buffer) } : {}) };
}

/**
 * The OCSPRequest of an HTTP request (RFC 6960 appendix A.1): a POST's body
 * (application/ocsp-request), or a GET's path after the responder's base, base64 then URL-encoded.
 */
export function ocspRequestDer(method: string, pathname: string, body: Buffer): Buffer {
  if (method === 'POST') return body;
  if (method !== 'GET') throw new Error(`OCSP over HTTP is GET or POST, not ${method}`);
  const b64 = decodeURIComponent(pathname.replace(/^\/+/, ''));
  if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) throw new Error('OCSP GET path is not base64');
  return Buffer.from(b64, 'base64');
}

/** Whether a CertID names `ca` as the issuer: the hashes of its subject Name and of its public key bits. */
export function certIdIssuedBy(certId: Ocsp.CertID, ca: Credential): boolean {
  const hash = HASHES[certId.hashAlgorithm.algorithm];
  if (!hash) return false;
  const der = certDer(ca);
  const spki = KeyObject.from(ca.key.pair.publicKey).export({ format: 'der', type: 'spki' });
  const nameHash = createHash(hash).update(subjectDer(der)).digest();
  const keyHash = hash === 'sha1' ? keyIdentifier(spki) : createHash(hash).update(publicKeyBits(spki)).digest();
  return nameHash.equals(Buffer.from(certId.issuerNameHash.buffer)) && keyHash.equals(Buffer.from(certId.issuerKeyHash.buffer));
}

/** The subjectPublicKey bits of an SPKI (what issuerKeyHash hashes), read with the X.509 types. */
function publicKeyBits(spki: Buffer): Buffer {
  const info = asnSchema.AsnConvert.parse(spki, asnX509.SubjectPublicKeyInfo);
  return Buffer.from(info.subjectPublicKey);
}

/** What the responder says of one certificate. */
export type OcspStatus = { status: 'good' } | { status: 'revoked'; revokedAt: Date; reason?: number } | { status: 'unknown' };

export interface OcspAnswer {
  /** The CA that signs: the issuer of the certificates asked about (§4.2.2.2). */
  signer: Credential;
  statuses: readonly { certId: Ocsp.CertID; status: OcspStatus }[];
  /** producedAt and thisUpdate. */
  now: Date;
  nextUpdate: Date;
  nonce?: Buffer | undefined;
}

/** To the second: OCSP times are GeneralizedTime without fractions (RFC 5280 §4.1.2.5.2). */
const whole = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

function certStatus(s: OcspStatus): Ocsp.CertStatus {
  const o = ocsp();
  if (s.status === 'good') return new o.CertStatus({ good: null });
  if (s.status === 'unknown') return new o.CertStatus({ unknown: null });
  return new o.CertStatus({
    revoked: new o.RevokedInfo({
      revocationTime: whole(s.revokedAt),
      ...(s.reason !== undefined ? { revocationReason: new asnX509.CRLReason(s.reason) } : {}),
    }),
  });
}

/** A successful OCSPResponse (DER) carrying a BasicOCSPResponse signed by `signer`. */
export function buildOcspResponse(a: OcspAnswer): Buffer {
  const o = ocsp();
  const { AsnConvert, OctetString } = asnSchema;
  const spki = KeyObject.from(a.signer.key.pair.publicKey).export({ format: 'der', type: 'spki' });
  const tbs = new o.ResponseData({
    responderID: new o.ResponderID({ byKey: new OctetString(keyIdentifier(spki)) }),
    producedAt: whole(a.now),
    responses: a.statuses.map(
      (s) => new o.SingleResponse({ certID: s.certId, certStatus: certStatus(s.status), thisUpdate: whole(a.now), nextUpdate: whole(a.nextUpdate) }),
    ),
    ...(a.nonce ? { responseExtensions: [new asnX509.Extension({ extnID: o.id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(a.nonce) })] } : {}),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const basic = new o.BasicOCSPResponse({
    tbsResponseData: tbs,
    signatureAlgorithm: AsnConvert.parse(signatureAlgorithm(a.signer.key.type), asnX509.AlgorithmIdentifier),
    signature: new Uint8Array(signBytes(tbsDer, KeyObject.from(a.signer.key.pair.privateKey), a.signer.key.type)).buffer,
    certs: [AsnConvert.parse(certDer(a.signer), asnX509.Certificate)],
  });
  const response = new o.OCSPResponse({
    responseStatus: o.OCSPResponseStatus.successful,
    responseBytes: new o.ResponseBytes({ responseType: o.id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) }),
  });
  return Buffer.from(AsnConvert.serialize(response));
}

/** An unsuccessful OCSPResponse (no responseBytes, §4.2.1): a malformed request, or one about a CA this responder does not serve. */
export function ocspErrorResponse(status: 'malformedRequest' | 'unauthorized' | 'internalError'): Buffer {
  const o = ocsp();
  return Buffer.from(asnSchema.AsnConvert.serialize(new o.OCSPResponse({ responseStatus: o.OCSPResponseStatus[status] })));
}

/** One CA a responder answers for: its revoked serials (serialKey form) and when each was revoked. */
export interface OcspAuthority {
  ca: Credential;
  revoked: ReadonlyMap<string, Date>;
}

/** What a responder answered, for its log and count: the serial and the status given. */
export interface OcspAnswered {
  serialHex: string;
  status: OcspStatus['status'] | 'unauthorized' | 'malformed';
}

/**
 * Answers an OCSPRequest for the CAs of `authorities`: signed by the issuer of the first certificate
 * asked about, `revoked` (keyCompromise) for a serial it lists, `good` for another of its serials,
 * `unknown` for a certificate of another CA in the same request; `unauthorized` when the first is of
 * none of them (§2.3), `malformedRequest` when the request cannot be read. Valid for one hour.
 */
export function answerOcsp(der: Uint8Array, authorities: readonly OcspAuthority[], now: Date): { response: Buffer; answered: OcspAnswered[] } {
  let info: OcspRequestInfo;
  try {
    info = parseOcspRequest(der);
  } catch {
    return { response: ocspErrorResponse('malformedRequest'), answered: [{ serialHex: '', status: 'malformed' }] };
  }
  const first = info.questions[0]!;
  const authority = authorities.find((a) => certIdIssuedBy(first.certId, a.ca));
  if (!authority) return { response: ocspErrorResponse('unauthorized'), answered: [{ serialHex: first.serialHex, status: 'unauthorized' }] };
  const statuses = info.questions.map((q) => {
    const revokedAt = authority.revoked.get(q.serialHex);
    const status: OcspStatus = !certIdIssuedBy(q.certId, authority.ca)
      ? { status: 'unknown' }
      : revokedAt
        ? { status: 'revoked', revokedAt, reason: 1 }
        : { status: 'good' };
    return { certId: q.certId, status };
  });
  const response = buildOcspResponse({ signer: authority.ca, statuses, now, nextUpdate: new Date(now.getTime() + 3600_000), nonce: info.nonce });
  return { response, answered: info.questions.map((q, i) => ({ serialHex: q.serialHex, status: statuses[i]!.status.status })) };
}
