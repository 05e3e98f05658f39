/**
 * Record protection of the server's write side, from the secrets node's `keylog` event hands over
 * (NSS key log format): TLS 1.3 (RFC 8446 §7.1 key schedule, §5.2 record protection) and the TLS
 * 1.2 AEAD suites (RFC 5246 §5 PRF, RFC 5288 GCM, RFC 7905 ChaCha20-Poly1305). Used by the flight
 * decoder (tls-records.ts) to read what the server encrypted.
 */
import { createDecipheriv, createHmac, type CipherGCMTypes } from 'node:crypto';

export interface Tls13Suite {
  name: string;
  hash: 'sha256' | 'sha384';
  keyLen: number;
  cipher: string;
  tagLen: number;
}

export const TLS13_SUITES: Record<number, Tls13Suite> = {
  0x1301: { name: 'TLS_AES_128_GCM_SHA256', hash: 'sha256', keyLen: 16, cipher: 'aes-128-gcm', tagLen: 16 },
  0x1302: { name: 'TLS_AES_256_GCM_SHA384', hash: 'sha384', keyLen: 32, cipher: 'aes-256-gcm', tagLen: 16 },
  0x1303: { name: 'TLS_CHACHA20_POLY1305_SHA256', hash: 'sha256', keyLen: 32, cipher: 'chacha20-poly1305', tagLen: 16 },
  0x1304: { name: 'TLS_AES_128_CCM_SHA256', hash: 'sha256', keyLen: 16, cipher: 'aes-128-ccm', tagLen: 16 },
  0x1305: { name: 'TLS_AES_128_CCM_8_SHA256', hash: 'sha256', keyLen: 16, cipher: 'aes-128-ccm', tagLen: 8 },
};

/** TLS 1.2 AEAD suites the decoder can open (RFC 5288 GCM, RFC 7905 ChaCha20-Poly1305): read after the handshake only. */
export interface Tls12Suite {
  hash: 'sha256' | 'sha384';
  keyLen: number;
  cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
}
const GCM128: Tls12Suite = { hash: 'sha256', keyLen: 16, cipher: 'aes-128-gcm' };
const GCM256: Tls12Suite = { hash: 'sha384', keyLen: 32, cipher: 'aes-256-gcm' };
const CHACHA: Tls12Suite = { hash: 'sha256', keyLen: 32, cipher: 'chacha20-poly1305' };
export const TLS12_SUITES: Record<number, Tls12Suite> = {
  0xc02b: GCM128,
  0xc02f: GCM128,
  0x009e: GCM128,
  0x009c: GCM128,
  0xc02c: GCM256,
  0xc030: GCM256,
  0x009f: GCM256,
  0x009d: GCM256,
  0xcca8: CHACHA,
  0xcca9: CHACHA,
  0xccaa: CHACHA,
};

/** TLS 1.2 PRF (RFC 5246 §5). */
function prf12(hash: 'sha256' | 'sha384', secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const s = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a = s;
  let have = 0;
  while (have < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret)
      .update(Buffer.concat([a, s]))
      .digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** The server's write side of a TLS 1.2 AEAD connection, from the master secret in the key log. */
export class Tls12Protection {
  private seq = 0n;
  private readonly key: Buffer;
  private readonly iv: Buffer;
  constructor(
    private readonly suite: Tls12Suite,
    master: Buffer,
    clientRandom: Buffer,
    serverRandom: Buffer,
  ) {
    const ivLen = suite.cipher === 'chacha20-poly1305' ? 12 : 4;
    const block = prf12(suite.hash, master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 2 * suite.keyLen + 2 * ivLen);
    this.key = block.subarray(suite.keyLen, 2 * suite.keyLen); // client key, then server key (AEAD: no MAC keys)
    this.iv = block.subarray(2 * suite.keyLen + ivLen, 2 * suite.keyLen + 2 * ivLen);
  }
  /** Decrypts one record's payload; throws when authentication fails. */
  open(type: number, version: number, payload: Buffer): Buffer {
    const seqBuf = Buffer.alloc(8);
    seqBuf.writeBigUInt64BE(this.seq++);
    let nonce: Buffer;
    let body = payload;
    if (this.suite.cipher === 'chacha20-poly1305') {
      nonce = Buffer.from(this.iv);
      for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seqBuf[i]!;
    } else {
      if (payload.length < 8 + 16) throw new Error('record too short');
      nonce = Buffer.concat([this.iv, payload.subarray(0, 8)]);
      body = payload.subarray(8);
    }
    if (body.length < 16) throw new Error('record too short');
    const ct = body.subarray(0, body.length - 16);
    const aad = Buffer.concat([seqBuf, Buffer.from([type, version >> 8, version & 0xff, ct.length >> 8, ct.length & 0xff])]);
    const d = createDecipheriv(this.suite.cipher as CipherGCMTypes, this.key, nonce, { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([d.update(ct), d.final()]);
  }
}

/** HKDF-Expand-Label (RFC 8446 §7.1). */
export function hkdfExpandLabel(hash: 'sha256' | 'sha384', secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, fullLabel.length]), fullLabel, Buffer.from([0])]);
  // HKDF-Expand (RFC 5869 §2.3): only the expand step, the secret already is a PRK.
  const out: Buffer[] = [];
  let prev = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    prev = createHmac(hash, secret)
      .update(Buffer.concat([prev, info, Buffer.from([i])]))
      .digest();
    out.push(prev);
  }
  return Buffer.concat(out).subarray(0, length);
}

/** The server's write side of a TLS 1.3 connection, from one traffic secret. */
export class RecordProtection {
  private seq = 0n;
  private readonly key: Buffer;
  private readonly iv: Buffer;
  constructor(
    private readonly suite: Tls13Suite,
    secret: Buffer,
  ) {
    this.key = hkdfExpandLabel(suite.hash, secret, 'key', suite.keyLen);
    this.iv = hkdfExpandLabel(suite.hash, secret, 'iv', 12);
  }
  /** Decrypts one TLSCiphertext; returns inner content type and content. Throws when authentication fails. */
  open(header: Buffer, payload: Buffer): { type: number; content: Buffer } {
    const nonce = Buffer.from(this.iv);
    const seqBuf = Buffer.alloc(8);
    seqBuf.writeBigUInt64BE(this.seq++);
    for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seqBuf[i]!;
    const tagLen = this.suite.tagLen;
    const ct = payload.subarray(0, payload.length - tagLen);
    const tag = payload.subarray(payload.length - tagLen);
    const d = createDecipheriv(this.suite.cipher as CipherGCMTypes, this.key, nonce, { authTagLength: tagLen });
    if (this.suite.cipher.endsWith('ccm')) {
      d.setAuthTag(tag);
      d.setAAD(header, { plaintextLength: ct.length });
    } else {
      d.setAAD(header);
      d.setAuthTag(tag);
    }
    const plain = Buffer.concat([d.update(ct), d.final()]);
    let end = plain.length;
    while (end > 0 && plain[end - 1] === 0) end--;
    if (end === 0) throw new Error('record with no content type');
    return { type: plain[end - 1]!, content: plain.subarray(0, end - 1) };
  }
}
