// src/pki/ocsp.ts: requests read and responses built, round-tripped through the same ASN.1 types,
// and the signature checked with node:crypto (the real `openssl ocsp` CLI: test/ocsp-responder.test.ts).
import { createRequire } from 'node:module';
import { createHash, KeyObject, verify as nodeVerify, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as Ocsp from '@peculiar/asn1-ocsp';
import { asnSchema, asnX509 } from './crypto.js';
import { subjectDer } from './der.js';
import { keyIdentifier } from './encode.js';
import { certDer, mintCertificate, mintFixturePki, type Credential, type FixturePki } from './generate.js';
import { answerOcsp, ocspRequestDer, parseOcspRequest, serialKey, type OcspAuthority } from './ocsp.js';

const require = createRequire(import.meta.url);
const ocsp = require('@peculiar/asn1-ocsp') as typeof Ocsp;
const { AsnConvert, OctetString } = asnSchema;

/** An OCSPRequest for `certs` of `ca` (SHA-1 CertIDs, as OpenSSL sends), with a nonce when given. */
function request(ca: Credential, certs: Credential[], nonce?: Buffer): Buffer {
  const spki = KeyObject.from(ca.key.pair.publicKey).export({ format: 'der', type: 'spki' });
  const certId = (c: Credential) =>
    new ocsp.CertID({
      hashAlgorithm: new asnX509.AlgorithmIdentifier({ algorithm: '1.3.14.3.2.26' }),
      issuerNameHash: new OctetString(
        createHash('sha1')
          .update(subjectDer(certDer(ca)))
          .digest(),
      ),
      issuerKeyHash: new OctetString(keyIdentifier(spki)),
      serialNumber: new Uint8Array(Buffer.from(new X509Certificate(c.certPem).serialNumber, 'hex')).buffer,
    });
  const tbs = new ocsp.TBSRequest({
    requestList: certs.map((c) => new ocsp.Request({ reqCert: certId(c) })),
    ...(nonce ? { requestExtensions: [new asnX509.Extension({ extnID: ocsp.id_pkix_ocsp_nonce, extnValue: new OctetString(nonce) })] } : {}),
  });
  return Buffer.from(AsnConvert.serialize(new ocsp.OCSPRequest({ tbsRequest: tbs })));
}

function read(response: Buffer) {
  const r = AsnConvert.parse(response, ocsp.OCSPResponse);
  if (!r.responseBytes) return { status: r.responseStatus };
  const basic = AsnConvert.parse(r.responseBytes.response, ocsp.BasicOCSPResponse);
  return { status: r.responseStatus, basic };
}

let pki: FixturePki;
let authorities: OcspAuthority[];
let revoked: Credential;
const now = new Date('2026-11-28T12:00:00.500Z');
beforeAll(async () => {
  pki = await mintFixturePki();
  revoked = await mintCertificate({ subject: 'CN=revoked', issuer: pki.root, notBefore: now, notAfter: now, eku: ['clientAuth'] });
  authorities = [
    { ca: pki.root, revoked: new Map([[serialKey(new X509Certificate(revoked.certPem).serialNumber), new Date('2026-11-27T00:00:00Z')]]) },
    { ca: pki.intermediate, revoked: new Map() },
  ];
});

describe('answerOcsp', () => {
  it('revoked (keyCompromise) and good in one response signed by the CA, times to the second, the nonce echoed, the CA in certs', () => {
    const nonce = Buffer.from('0410' + 'ab'.repeat(16), 'hex');
    const { response, answered } = answerOcsp(request(pki.root, [revoked, pki.client], nonce), authorities, now);
    expect(answered.map((a) => a.status)).toEqual(['revoked', 'good']);
    const { status, basic } = read(response);
    expect(status).toBe(ocsp.OCSPResponseStatus.successful);
    const [r0, r1] = basic!.tbsResponseData.responses;
    expect(r0!.certStatus.revoked?.revocationTime.toISOString()).toBe('2026-11-27T00:00:00.000Z');
    expect(r0!.certStatus.revoked?.revocationReason?.reason).toBe(1);
    expect(r1!.certStatus.good).toBeNull();
    expect(r0!.thisUpdate.toISOString()).toBe('2026-11-28T12:00:00.000Z');
    expect(r0!.nextUpdate!.toISOString()).toBe('2026-11-28T13:00:00.000Z');
    expect(Buffer.from(basic!.tbsResponseData.responseExtensions![0]!.extnValue.buffer)).toEqual(nonce);
    const spki = KeyObject.from(pki.root.key.pair.publicKey).export({ format: 'der', type: 'spki' });
    expect(Buffer.from(basic!.tbsResponseData.responderID.byKey!.buffer)).toEqual(keyIdentifier(spki));
    expect(Buffer.from(AsnConvert.serialize(basic!.certs![0]!))).toEqual(certDer(pki.root));
    // The signature covers the ResponseData as encoded.
    const tbs = Buffer.from(AsnConvert.serialize(basic!.tbsResponseData));
    const sig = Buffer.from(basic!.signature);
    const ok = nodeVerify('sha256', tbs, { key: KeyObject.from(pki.root.key.pair.publicKey), dsaEncoding: 'der' }, sig);
    expect(ok).toBe(true);
  });

  it('signed by the intermediate for its own certificates; a certificate of another CA in the same request is unknown', async () => {
    const byIntermediate = pki.badClients.intermediateIssued;
    const { response, answered } = answerOcsp(Buffer.concat([request(pki.intermediate, [byIntermediate])]), authorities, now);
    expect(answered).toEqual([{ serialHex: serialKey(new X509Certificate(byIntermediate.certPem).serialNumber), status: 'good' }]);
    const spki = KeyObject.from(pki.intermediate.key.pair.publicKey).export({ format: 'der', type: 'spki' });
    expect(Buffer.from(read(response).basic!.tbsResponseData.responderID.byKey!.buffer)).toEqual(keyIdentifier(spki));
    // A request whose CertIDs name two issuers: the first decides the signer, the other is unknown.
    const mixed = request(pki.root, [pki.client]);
    const other = parseOcspRequest(request(pki.intermediate, [byIntermediate]));
    const req = AsnConvert.parse(mixed, ocsp.OCSPRequest);
    req.tbsRequest.requestList.push(new ocsp.Request({ reqCert: other.questions[0]!.certId }));
    const both = answerOcsp(Buffer.from(AsnConvert.serialize(req)), authorities, now);
    expect(both.answered.map((a) => a.status)).toEqual(['good', 'unknown']);
  });

  it('another CA: unauthorized; bytes that are no OCSPRequest: malformedRequest (no responseBytes either way)', async () => {
    const other = await mintFixturePki();
    const u = answerOcsp(request(other.root, [other.client]), authorities, now);
    expect(u.answered[0]!.status).toBe('unauthorized');
    expect(read(u.response)).toEqual({ status: ocsp.OCSPResponseStatus.unauthorized });
    const m = answerOcsp(Buffer.from('not der'), authorities, now);
    expect(m.answered[0]!.status).toBe('malformed');
    expect(read(m.response)).toEqual({ status: ocsp.OCSPResponseStatus.malformedRequest });
  });
});

describe('ocspRequestDer', () => {
  it('POST: the body; GET: the path base64 then URL-decoded (RFC 6960 A.1); anything else refused', () => {
    const der = request(pki.root, [pki.client]);
    expect(ocspRequestDer('POST', '/', der)).toEqual(der);
    expect(ocspRequestDer('GET', `/${encodeURIComponent(der.toString('base64'))}`, Buffer.alloc(0))).toEqual(der);
    expect(() => ocspRequestDer('GET', '/not%20base64!', Buffer.alloc(0))).toThrow(/not base64/);
    expect(() => ocspRequestDer('PUT', '/', der)).toThrow(/GET or POST/);
  });
});

describe('serialKey', () => {
  it('lower-case hex without leading zero bytes, from bytes or text', () => {
    expect(serialKey(new Uint8Array([0, 0x8f, 0x01]))).toBe('8f01');
    expect(serialKey('008F01')).toBe('8f01');
    expect(serialKey(new Uint8Array([0]))).toBe('00');
  });
});

describe('authorityInfoAccess on a minted certificate', () => {
  it('an OCSP URL, as OpenSSL (node:crypto) reads it', async () => {
    const c = await mintCertificate({ subject: 'CN=aia', issuer: pki.root, notBefore: now, notAfter: now, ocspUrls: ['http://127.0.0.1:1234/'] });
    expect(new X509Certificate(c.certPem).infoAccess).toMatch(/^OCSP - URI:http:\/\/127\.0\.0\.1:1234\/\n?$/);
  });
});
