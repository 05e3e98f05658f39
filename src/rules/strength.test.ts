import { describe, expect, it } from 'vitest';
import { keyStrength, signatureStrength, type KeyStrength } from './strength.js';

describe('key strength', () => {
  it.each<[string, Parameters<typeof keyStrength>[0], KeyStrength]>([
    ['EC P-256', { type: 'EC', curve: 'P-256', bits: 256 }, { ok: true }],
    ['EC P-384', { type: 'EC', curve: 'P-384', bits: 384 }, { ok: true }],
    ['EC on an unknown-size curve (P-224 as node names it)', { type: 'EC', curve: 'secp224r1' }, { ok: false, code: 'ec-too-small', curve: 'secp224r1' }],
    ['EC secp256k1 (not a TLS curve)', { type: 'EC', curve: 'secp256k1' }, { ok: false, code: 'ec-too-small', curve: 'secp256k1' }],
    ['EC with 224 bits', { type: 'EC', bits: 224 }, { ok: false, code: 'ec-too-small', bits: 224 }],
    ['RSA 2048', { type: 'RSA', bits: 2048 }, { ok: true }],
    ['RSA 4096', { type: 'RSA', bits: 4096 }, { ok: true }],
    ['RSA 1024', { type: 'RSA', bits: 1024 }, { ok: false, code: 'rsa-too-short', bits: 1024 }],
    ['RSA of unknown size', { type: 'RSA' }, { ok: false, code: 'rsa-too-short' }],
    ['DSA', { type: 'DSA', bits: 2048 }, { ok: false, code: 'dsa' }],
    ['Ed25519', { type: 'ED25519' }, { ok: true }],
    [
      'undecodable',
      { type: 'undecodable', undecodable: 'subject public key (SPKI) cannot be decoded: x' },
      { ok: false, code: 'undecodable', reason: 'subject public key (SPKI) cannot be decoded: x' },
    ],
  ])('%s', (_, pk, want) => {
    expect(keyStrength(pk)).toEqual(want);
  });
});

describe('signature algorithms', () => {
  it.each<[string, boolean, boolean]>([
    ['SHA-256 with ECDSA', false, true],
    ['SHA-384 with RSASSA-PKCS1-v1_5', false, true],
    ['SHA-512 with RSA-PSS', false, true],
    ['SHA-1 with RSASSA-PKCS1-v1_5', false, false],
    ['SHA-1 with ECDSA', false, false],
    ['sha1WithRSAEncryption', false, false],
    ['ecdsa-with-SHA1', false, false],
    ['md5WithRSAEncryption', false, false],
    ['MD2 with RSA', false, false],
    ['SHA-1 with RSASSA-PKCS1-v1_5', true, true],
    ['unknown', false, true],
  ])('%s (self-signed %s): ok %s', (alg, selfSigned, ok) => {
    const r = signatureStrength(alg, selfSigned);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r).toEqual({ ok: false, code: 'weak-hash', algorithm: alg });
  });
});
