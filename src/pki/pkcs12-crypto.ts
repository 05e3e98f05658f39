// The cryptography of a PKCS#12 file, on node:crypto: the PKCS#12 key derivation (RFC 7292
// appendix B), the password-based encryption schemes such files use (PBES2 of RFC 8018 with PBKDF2,
// and the PKCS#12 PBE schemes of RFC 7292 appendix C) and the integrity MAC. Everything here reads
// hostile input: parameters are bounded, iteration counts capped, every failure a coded error.
import { createDecipheriv, createHash, createHmac, getCiphers, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { HarnessError } from '../core/errors.js';
import { children, readTlv, type Tlv } from './der.js';

/** An iteration count above this is refused (a hostile file could otherwise hold the run for hours). */
export const MAX_PBE_ITERATIONS = 10_000_000;

/** What openssl re-exports a file with, in a scheme node's OpenSSL can read. */
export const REEXPORT_HINT = 'openssl pkcs12 -legacy -in FILE -nodes | openssl pkcs12 -export -out NEW.p12 (OpenSSL 3 writes PBES2, AES-256-CBC, HMAC-SHA256)';

interface Hash {
  name: string;
  /** Output length u and block length v (RFC 7292 B.2). */
  u: number;
  v: number;
}
/** Digest algorithms by OID (MAC digests and PKCS#12 KDF hashes). */
const DIGESTS: Readonly<Record<string, Hash>> = {
  '1.3.14.3.2.26': { name: 'sha1', u: 20, v: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', u: 28, v: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', u: 32, v: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', u: 48, v: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', u: 64, v: 128 },
};
/** PBKDF2 pseudo-random functions by OID (RFC 8018 B.1). */
const PRFS: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
interface Cipher {
  /** `pbes2`: an encryption scheme inside PBES2 (RFC 8018 B.2); `pkcs12`: a PKCS#12 PBE scheme on SHA-1 (RFC 7292 appendix C). */
  kind: 'pbes2' | 'pkcs12';
  cipher: string;
  keyLen: number;
  ivLen: number;
  label: string;
}
/** The ciphers by OID, from rows of [OID, kind, node cipher, key length, IV length, name]. */
const CIPHERS: Readonly<Record<string, Cipher>> = Object.fromEntries(
  (
    [
      ['2.16.840.1.101.3.4.1.2', 'pbes2', 'aes-128-cbc', 16, 16, 'AES-128-CBC'],
      ['2.16.840.1.101.3.4.1.22', 'pbes2', 'aes-192-cbc', 24, 16, 'AES-192-CBC'],
      ['2.16.840.1.101.3.4.1.42', 'pbes2', 'aes-256-cbc', 32, 16, 'AES-256-CBC'],
      ['1.2.840.113549.3.7', 'pbes2', 'des-ede3-cbc', 24, 8, 'DES-EDE3-CBC'],
      ['1.3.14.3.2.7', 'pbes2', 'des-cbc', 8, 8, 'DES-CBC'],
      ['1.2.840.113549.1.12.1.1', 'pkcs12', 'rc4', 16, 0, 'pbeWithSHAAnd128BitRC4'],
      ['1.2.840.113549.1.12.1.2', 'pkcs12', 'rc4-40', 5, 0, 'pbeWithSHAAnd40BitRC4'],
      ['1.2.840.113549.1.12.1.3', 'pkcs12', 'des-ede3-cbc', 24, 8, 'pbeWithSHAAnd3-KeyTripleDES-CBC'],
      ['1.2.840.113549.1.12.1.4', 'pkcs12', 'des-ede-cbc', 16, 8, 'pbeWithSHAAnd2-KeyTripleDES-CBC'],
      ['1.2.840.113549.1.12.1.5', 'pkcs12', 'rc2-cbc', 16, 8, 'pbeWithSHAAnd128BitRC2-CBC'],
      ['1.2.840.113549.1.12.1.6', 'pkcs12', 'rc2-40-cbc', 5, 8, 'pbeWithSHAAnd40BitRC2-CBC'],
    ] as const
  ).map(([oid, kind, cipher, keyLen, ivLen, label]) => [oid, { kind, cipher, keyLen, ivLen, label }]),
);
const scheme = (oid: string, kind: Cipher['kind']): Cipher | undefined => (CIPHERS[oid]?.kind === kind ? CIPHERS[oid] : undefined);
const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';

function bmp(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2 + 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return out;
}

/**
 * The encodings a passphrase is tried in by the PKCS#12 KDF: its BMPString; for the empty
 * passphrase, also no password at all (OpenSSL writes either for "").
 */
export function pkcs12PasswordForms(text: string): Buffer[] {
  return text === '' ? [bmp(''), Buffer.alloc(0)] : [bmp(text)];
}

/** Work spent on key derivation across one file, so many bags of a hostile file cannot add up. */
export class IterationBudget {
  private spent = 0;
  constructor(
    private readonly source: string,
    private readonly total = 2 * MAX_PBE_ITERATIONS,
  ) {}
  /** Checks a count and charges it `times` (hash blocks × passphrase forms tried). */
  take(count: unknown, what: string, times = 1): number {
    // The ASN.1 library gives integers of 4 bytes and more as decimal text.
    const n = typeof count === 'string' && /^\d{1,15}$/.test(count) ? Number(count) : typeof count === 'string' && /^\d+$/.test(count) ? Infinity : count;
    if (n === Infinity) return this.take(MAX_PBE_ITERATIONS + 1, what);
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
      throw new HarnessError('pki.malformed-pem', `${this.source}: the ${what} iteration count is not a positive whole number; the file is corrupt`);
    if (n > MAX_PBE_ITERATIONS)
      throw new HarnessError(
        'pki.unsupported-key',
        `${this.source}: the ${what} asks for ${n} iterations; more than ${MAX_PBE_ITERATIONS.toLocaleString('en')} are refused (a file made to hold the run); re-export it: ${REEXPORT_HINT}`,
      );
    this.spent += n * times;
    if (this.spent > this.total)
      throw new HarnessError(
        'pki.unsupported-key',
        `${this.source}: the file's key derivations add up to more than ${this.total.toLocaleString('en')} iterations; refused`,
      );
    return n;
  }
}

/** The PKCS#12 key derivation (RFC 7292 B.2): `id` 1 key, 2 IV, 3 MAC key. */
export function pkcs12Kdf(hash: Hash, password: Buffer, salt: Buffer, id: 1 | 2 | 3, iterations: number, n: number): Buffer {
  const { u, v } = hash;
  const fill = (b: Buffer) => {
    const len = b.length === 0 ? 0 : v * Math.ceil(b.length / v);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[i] = b[i % b.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(password)]);
  const blocks: Buffer[] = [];
  for (let got = 0; got < n; got += u) {
    let A = createHash(hash.name).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(hash.name).update(A).digest();
    blocks.push(A);
    if (got + u >= n) break;
    const B = Buffer.alloc(v);
    for (let i = 0; i < v; i++) B[i] = A[i % u]!;
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const s = I[j + k]! + B[k]! + carry;
        I[j + k] = s & 0xff;
        carry = s >> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, n);
}

function bad(source: string, what: string): HarnessError {
  return new HarnessError('pki.malformed-pem', `${source}: ${what}; the file is corrupt or not PKCS#12`);
}

/** The elements of a DER SEQUENCE (parameters of the schemes), with the source named on failure. */
function seq(buf: Buffer, t: Tlv, source: string, what: string): Tlv[] {
  if (t.tag !== 0x30) throw bad(source, `${what} is not a SEQUENCE`);
  try {
    return children(buf, t);
  } catch {
    throw bad(source, `${what} is malformed`);
  }
}

function tlvAt(buf: Buffer, source: string, what: string): Tlv {
  try {
    return readTlv(buf, 0);
  } catch {
    throw bad(source, `${what} is malformed`);
  }
}

function intOf(buf: Buffer, t: Tlv | undefined): number | undefined {
  if (!t || t.tag !== 0x02 || t.end - t.contentStart > 6 || t.end === t.contentStart) return undefined;
  const b = buf.subarray(t.contentStart, t.end);
  if (b[0]! & 0x80) return -1;
  return b.reduce((n, x) => n * 256 + x, 0);
}

function oidOf(buf: Buffer, t: Tlv | undefined): string | undefined {
  if (!t || t.tag !== 0x06) return undefined;
  const b = buf.subarray(t.contentStart, t.end);
  if (b.length === 0 || b.length > 64) return undefined;
  const parts: number[] = [];
  let n = 0;
  for (const x of b) {
    n = n * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  const first = parts.shift() ?? 0;
  return [Math.min(2, Math.floor(first / 40)), first - 40 * Math.min(2, Math.floor(first / 40)), ...parts].join('.');
}

function octets(buf: Buffer, t: Tlv | undefined): Buffer | undefined {
  return t && t.tag === 0x04 && t.end - t.contentStart <= 1024 ? buf.subarray(t.contentStart, t.end) : undefined;
}

/** Fails clearly when node's OpenSSL lacks a cipher (RC2 and RC4 live in OpenSSL 3's legacy provider). */
function decipher(cipher: string, key: Buffer, iv: Buffer, data: Buffer, label: string, source: string): Buffer {
  let d;
  try {
    d = createDecipheriv(cipher, key, iv.length ? iv : null);
  } catch {
    const legacy = !getCiphers().includes(cipher);
    throw new HarnessError(
      'pki.unsupported-key',
      `${source}: encrypted with ${label}, which ${legacy ? "this node's OpenSSL cannot decrypt (it is in OpenSSL 3's legacy provider, not loaded)" : 'cannot be used here'}; re-export the file: ${REEXPORT_HINT}${legacy ? ', or run with NODE_OPTIONS=--openssl-legacy-provider' : ''}`,
    );
  }
  return Buffer.concat([d.update(data), d.final()]);
}

/** A scheme's name for messages (the OID when unknown). */
export function schemeLabel(oid: string, params?: Buffer): string {
  const p12 = scheme(oid, 'pkcs12');
  if (p12) return p12.label;
  if (oid === PBES2 && params) {
    try {
      const top = readTlv(params, 0);
      const [, enc] = children(params, top);
      const e = enc ? oidOf(params, children(params, enc)[0]) : undefined;
      return `PBES2 with ${(e && scheme(e, 'pbes2')?.label) ?? e ?? 'an unknown cipher'}`;
    } catch {
      return 'PBES2';
    }
  }
  return oid;
}

/**
 * Decrypts data protected by a password-based scheme (AlgorithmIdentifier `oid` with DER `params`).
 * Throws `pki.bad-passphrase` when the passphrase does not decrypt it, `pki.unsupported-key` for a
 * scheme node cannot do (named, with the re-export command).
 */
export function pbeDecrypt(oid: string, params: Buffer | undefined, data: Buffer, passphrase: string, budget: IterationBudget, source: string): Buffer {
  if (data.length % 8 !== 0 && !scheme(oid, 'pkcs12')?.cipher.startsWith('rc4')) throw bad(source, 'encrypted data whose length is not whole cipher blocks');
  const p12 = scheme(oid, 'pkcs12');
  if (p12) {
    if (!params) throw bad(source, `${p12.label} without parameters`);
    const [saltT, iterT] = seq(params, tlvAt(params, source, 'the PBE parameters'), source, 'the PBE parameters');
    const salt = octets(params, saltT);
    if (!salt) throw bad(source, 'the PBE salt is missing');
    const blocks = Math.ceil(p12.keyLen / 20) + Math.ceil(p12.ivLen / 20);
    const iterations = budget.take(intOf(params, iterT), p12.label, blocks * pkcs12PasswordForms(passphrase).length);
    const sha1 = DIGESTS['1.3.14.3.2.26']!;
    for (const [i, pw] of pkcs12PasswordForms(passphrase).entries()) {
      const key = pkcs12Kdf(sha1, pw, salt, 1, iterations, p12.keyLen);
      const iv = p12.ivLen ? pkcs12Kdf(sha1, pw, salt, 2, iterations, p12.ivLen) : Buffer.alloc(0);
      try {
        return decipher(p12.cipher, key, iv, data, p12.label, source);
      } catch (e) {
        if (e instanceof HarnessError) throw e;
        if (i === pkcs12PasswordForms(passphrase).length - 1) throw wrongPassphrase(source);
      }
    }
    throw wrongPassphrase(source);
  }
  if (oid !== PBES2)
    throw new HarnessError('pki.unsupported-key', `${source}: encrypted with an unknown scheme (${oid}); re-export the file: ${REEXPORT_HINT}`);
  if (!params) throw bad(source, 'PBES2 without parameters');
  const [kdf, enc] = seq(params, tlvAt(params, source, 'the PBES2 parameters'), source, 'the PBES2 parameters');
  if (!kdf || !enc) throw bad(source, 'PBES2 parameters incomplete');
  const [kdfOidT, kdfParamsT] = seq(params, kdf, source, 'the PBES2 key derivation');
  const kdfOid = oidOf(params, kdfOidT);
  if (kdfOid !== PBKDF2 || !kdfParamsT)
    throw new HarnessError(
      'pki.unsupported-key',
      `${source}: PBES2 with the key derivation ${kdfOid ?? '?'} (only PBKDF2 is read); re-export the file: ${REEXPORT_HINT}`,
    );
  const [saltT, iterT, ...rest] = seq(params, kdfParamsT, source, 'the PBKDF2 parameters');
  const salt = octets(params, saltT);
  if (!salt) throw bad(source, 'the PBKDF2 salt is missing (or not given in the file)');
  const iterations = budget.take(intOf(params, iterT), 'PBKDF2');
  const keyLenT = rest.find((t) => t.tag === 0x02);
  const prfT = rest.find((t) => t.tag === 0x30);
  const prfOid = prfT ? oidOf(params, seq(params, prfT, source, 'the PBKDF2 PRF')[0]) : '1.2.840.113549.2.7';
  const prf = prfOid && PRFS[prfOid];
  if (!prf)
    throw new HarnessError(
      'pki.unsupported-key',
      `${source}: PBKDF2 with the PRF ${prfOid ?? '?'} (read: HMAC-SHA1/224/256/384/512); re-export the file: ${REEXPORT_HINT}`,
    );
  const [encOidT, ivT] = seq(params, enc, source, 'the PBES2 encryption scheme');
  const encOid = oidOf(params, encOidT) ?? '?';
  const c = scheme(encOid, 'pbes2');
  if (!c)
    throw new HarnessError(
      'pki.unsupported-key',
      `${source}: PBES2 with the cipher ${encOid} (read: AES-128/192/256-CBC, DES-EDE3-CBC); re-export the file: ${REEXPORT_HINT}`,
    );
  const iv = octets(params, ivT);
  if (!iv || iv.length !== c.ivLen) throw bad(source, `the ${c.label} IV is missing or not ${c.ivLen} bytes`);
  const keyLen = intOf(params, keyLenT);
  if (keyLen !== undefined && keyLen !== c.keyLen) throw bad(source, `PBKDF2 key length ${keyLen} does not fit ${c.label}`);
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, c.keyLen, prf);
  try {
    return decipher(c.cipher, key, iv, data, `PBES2 with ${c.label}`, source);
  } catch (e) {
    if (e instanceof HarnessError) throw e;
    throw wrongPassphrase(source);
  }
}

function wrongPassphrase(source: string): HarnessError {
  return new HarnessError('pki.bad-passphrase', `${source}: the passphrase does not decrypt the file's contents: wrong passphrase or corrupt file`);
}

/** The MAC of a PKCS#12 file (RFC 7292 §5, HMAC keyed by the PKCS#12 KDF). */
export interface MacParams {
  digestOid: string;
  digest: Buffer;
  salt: Buffer;
  iterations: unknown;
}

/**
 * Verifies the file's MAC over the authenticated safe; returns the passphrase form that verified.
 * A MAC that does not verify is `pki.bad-passphrase` exit 2, a digest it cannot compute is named.
 */
export function verifyMac(mac: MacParams, content: Buffer, passphrase: string, budget: IterationBudget, source: string): boolean {
  const hash = DIGESTS[mac.digestOid];
  if (!hash)
    throw new HarnessError(
      'pki.unsupported-key',
      `${source}: the MAC uses the digest ${mac.digestOid} (read: SHA-1, SHA-224, SHA-256, SHA-384, SHA-512; PBMAC1 is not read); re-export the file: ${REEXPORT_HINT}`,
    );
  if (mac.salt.length > 1024 || mac.digest.length !== hash.u) throw bad(source, 'the MAC salt or digest has the wrong length');
  const iterations = budget.take(mac.iterations, 'MAC', pkcs12PasswordForms(passphrase).length);
  for (const pw of pkcs12PasswordForms(passphrase)) {
    const key = pkcs12Kdf(hash, pw, mac.salt, 3, iterations, hash.u);
    const got = createHmac(hash.name, key).update(content).digest();
    if (timingSafeEqual(got, mac.digest)) return true;
  }
  return false;
}
