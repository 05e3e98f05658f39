import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mintCertificate } from '../pki/generate.js';
import {
  certificateSignatureSchemes,
  caNamesCoverage,
  clientKeyKind,
  leafKeyKind,
  schemeName,
  usableSchemes,
  type ClientKeyKind,
} from './client-auth-request.js';

// CN=Root in PrintableString and in UTF8String: the same text, other bytes.
const printable = Buffer.from('300f310d300b06035504031304526f6f74', 'hex');
const utf8 = Buffer.from('300f310d300b06035504030c04526f6f74', 'hex');
const other = Buffer.from('3010310e300c06035504030c054f74686572', 'hex'); // CN=Other

describe('advertised CA names against the issuer chain, by DER', () => {
  it('matches the same bytes only; the same text in another encoding is reported, not matched', () => {
    expect(caNamesCoverage([other, utf8], [utf8]).matched).toEqual([utf8]);
    const c = caNamesCoverage([printable, other], [utf8]);
    expect(c.matched).toEqual([]);
    expect(c.sameTextOtherBytes).toEqual([{ issuer: utf8, advertised: printable }]);
    expect(caNamesCoverage([other], [utf8])).toEqual({ matched: [], sameTextOtherBytes: [] });
    expect(caNamesCoverage([], [utf8]).matched).toEqual([]);
  });
});

describe('signature schemes a client key can sign CertificateVerify with', () => {
  const offered = [0x0401, 0x0403, 0x0503, 0x0804, 0x0807];
  it.each<[string, ClientKeyKind, number[], number[]]>([
    ['RSA', leafKeyKind('rsa-3072'), [0x0804], [0x0401, 0x0804]],
    ['P-256', leafKeyKind('ec-p256'), [0x0403], [0x0403, 0x0503]],
    ['P-384', leafKeyKind('ec-p384'), [0x0503], [0x0403, 0x0503]],
    ['Ed25519', leafKeyKind('ed25519'), [0x0807], [0x0807]],
    ['P-521', { type: 'ec', curve: 'secp521r1', label: 'ECDSA P-521' }, [], [0x0403, 0x0503]],
  ])('%s: TLS 1.3 by curve and RSA-PSS only, TLS 1.2 by signature algorithm', (_, key, tls13, tls12) => {
    expect(usableSchemes(key, offered, true)).toEqual(tls13);
    expect(usableSchemes(key, offered, false)).toEqual(tls12);
  });
  it('RSA with PKCS#1 schemes only: none in TLS 1.3 (RFC 8446 §4.4.3), usable in TLS 1.2', () => {
    expect(usableSchemes(leafKeyKind('rsa-2048'), [0x0401, 0x0501], true)).toEqual([]);
    expect(usableSchemes(leafKeyKind('rsa-2048'), [0x0401, 0x0501], false)).toEqual([0x0401, 0x0501]);
  });
  it('names schemes, unknown code points in hex', () => {
    expect([0x0804, 0x0807, 0x0503, 0xfe00].map(schemeName)).toEqual(['rsa_pss_rsae_sha256', 'ed25519', 'ecdsa_secp384r1_sha384', '0xfe00']);
  });
  it('reads a key object: RSA bits, EC curve, Ed25519', () => {
    expect(clientKeyKind(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey)).toEqual({ type: 'ec', curve: 'secp384r1', label: 'ECDSA P-384' });
    expect(clientKeyKind(generateKeyPairSync('ed25519').publicKey)).toEqual({ type: 'ed25519', label: 'Ed25519' });
    expect(clientKeyKind(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey)).toEqual({ type: 'rsa', bits: 1024, label: 'RSA-1024' });
  });
});

describe("a certificate's own signature, as schemes", () => {
  it('ECDSA P-256/SHA-256, RSA PKCS#1/SHA-256, Ed25519 (a CA with an Ed25519 key signs too)', async () => {
    const t = { notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 86400_000) };
    const sig = async (keyType: 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'ed25519') => {
      const ca = await mintCertificate({ subject: 'CN=CA', keyType, ca: true, ...t });
      const leaf = await mintCertificate({ subject: 'CN=leaf', issuer: ca, keyType: 'ec-p256', ...t });
      return certificateSignatureSchemes(Buffer.from(leaf.cert.rawData))?.map(schemeName);
    };
    expect(await sig('ec-p256')).toEqual(['ecdsa_secp256r1_sha256']);
    expect(await sig('ec-p384')).toEqual(['ecdsa_secp384r1_sha384']);
    expect(await sig('rsa-2048')).toEqual(['rsa_pkcs1_sha256']);
    expect(await sig('ed25519')).toEqual(['ed25519']);
    expect(certificateSignatureSchemes(Buffer.from('not a certificate'))).toBeUndefined();
  });
});
