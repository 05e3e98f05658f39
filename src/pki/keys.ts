import { KeyObject } from 'node:crypto';
import { HarnessError } from '../core/errors.js';
import { registerPrivateKey } from '../core/redact.js';
import { subtle } from './crypto.js';

/** Key algorithms the fixture PKI can mint. ECDSA P-256 is the default. */
export type KeyType = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

export const KEY_TYPES: readonly KeyType[] = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'];

/** Key types of minted client leaves (handshake.client-key-types): every KeyType, and Ed25519 (RFC 8410). */
export type LeafKeyType = KeyType | 'ed25519';

/** Accepts the spellings users type (`ec`, `rsa`, `rsa4096`, `rsa:3072`, `p384`) and returns a KeyType. */
export function parseKeyType(input: string): KeyType {
  const s = input.trim().toLowerCase().replace(/[:_]/g, '-');
  const aliases: Record<string, KeyType> = {
    ec: 'ec-p256',
    ecdsa: 'ec-p256',
    'ec-p256': 'ec-p256',
    p256: 'ec-p256',
    'p-256': 'ec-p256',
    'ec-p-256': 'ec-p256',
    'ec-p384': 'ec-p384',
    p384: 'ec-p384',
    'p-384': 'ec-p384',
    'ec-p-384': 'ec-p384',
    rsa: 'rsa-2048',
    'rsa-2048': 'rsa-2048',
    rsa2048: 'rsa-2048',
    'rsa-3072': 'rsa-3072',
    rsa3072: 'rsa-3072',
    'rsa-4096': 'rsa-4096',
    rsa4096: 'rsa-4096',
  };
  const t = aliases[s];
  if (!t) {
    throw new HarnessError('usage.invalid-value', `unknown key type "${input}": use one of ec (P-256, default), ec-p384, rsa (2048), rsa-3072, rsa-4096`);
  }
  return t;
}

export interface KeyAlgorithms {
  generate: EcKeyGenParams | RsaHashedKeyGenParams;
  /** Signature algorithm used when this key signs a certificate. */
  sign: Algorithm | EcdsaParams;
}

export function keyAlgorithms(type: LeafKeyType): KeyAlgorithms {
  switch (type) {
    case 'ed25519':
      return { generate: { name: 'Ed25519' } as unknown as EcKeyGenParams, sign: { name: 'Ed25519' } };
    case 'ec-p256':
      return { generate: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams };
    case 'ec-p384':
      return { generate: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams };
    default: {
      const modulusLength = Number(type.slice(4));
      return {
        generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
        sign: { name: 'RSASSA-PKCS1-v1_5' },
      };
    }
  }
}

/** A generated key pair with its type; the private key is extractable so it can be written as PKCS#8 PEM. */
export interface GeneratedKey {
  type: LeafKeyType;
  pair: CryptoKeyPair;
}

export async function generateKey(type: LeafKeyType): Promise<GeneratedKey> {
  const pair = (await subtle.generateKey(keyAlgorithms(type).generate, true, ['sign', 'verify'])) as CryptoKeyPair;
  return { type, pair };
}

/** Leaf keys by type, generated once per process when first asked for (an RSA-4096 key takes seconds). */
const LEAF_KEYS = new Map<LeafKeyType, Promise<GeneratedKey>>();

/**
 * A key of this type for test leaves, shared by every certificate of the process that asks for
 * one: the key-type probes of every target and run (handshake.client-key-types). Generated on the
 * libuv pool, so several types are made in parallel.
 */
export function sharedLeafKey(type: LeafKeyType): Promise<GeneratedKey> {
  let k = LEAF_KEYS.get(type);
  if (!k) {
    k = generateKey(type);
    k.catch(() => LEAF_KEYS.delete(type));
    LEAF_KEYS.set(type, k);
  }
  return k;
}

/** PKCS#8 PEM of a private CryptoKey. */
export function privateKeyToPem(key: CryptoKey): string {
  registerPrivateKey(key); // every key the harness mints: its bytes are redacted from command output
  return KeyObject.from(key).export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * Imports an existing private key (e.g. a user's CA key given with --ca-key) for signing, with the
 * public key taken from its certificate. Supports EC P-256/P-384 and RSA keys.
 */
export async function importKeyPair(privateKey: KeyObject, publicKey: KeyObject): Promise<GeneratedKey> {
  const d = privateKey.asymmetricKeyDetails ?? {};
  let type: KeyType;
  if (privateKey.asymmetricKeyType === 'ec') {
    if (d.namedCurve === 'prime256v1') type = 'ec-p256';
    else if (d.namedCurve === 'secp384r1') type = 'ec-p384';
    else
      throw new HarnessError('pki.unsupported-key', `EC curve ${d.namedCurve ?? 'unknown'} is not supported for signing test certificates; use P-256 or P-384`);
  } else if (privateKey.asymmetricKeyType === 'rsa') {
    const bits = d.modulusLength ?? 0;
    type = bits >= 4096 ? 'rsa-4096' : bits >= 3072 ? 'rsa-3072' : 'rsa-2048';
  } else {
    throw new HarnessError(
      'pki.unsupported-key',
      `${privateKey.asymmetricKeyType ?? 'unknown'} keys are not supported for signing test certificates; use an EC (P-256/P-384) or RSA CA key`,
    );
  }
  const alg = keyAlgorithms(type).generate;
  const importAlg = alg.name === 'ECDSA' ? { name: 'ECDSA', namedCurve: (alg as EcKeyGenParams).namedCurve } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const priv = await subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), importAlg, true, ['sign']);
  const pub = await subtle.importKey('spki', publicKey.export({ format: 'der', type: 'spki' }), importAlg, true, ['verify']);
  return { type, pair: { privateKey: priv, publicKey: pub } };
}
