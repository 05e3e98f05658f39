/**
 * Decoder for the server side of a TLS connection, fed with the raw bytes the server sent.
 *
 * Why: node:tls does not say whether the server sent a CertificateRequest, which CA names it
 * advertised, or exactly which certificates it presented (getPeerCertificate() shows the chain
 * OpenSSL *built*, not the one *sent*). In TLS 1.2 those messages are plaintext. In TLS 1.3 they
 * are encrypted with the server handshake traffic secret, which node hands to us through the
 * `keylog` event (NSS key log format); with it we decrypt the server's flight ourselves
 * (RFC 8446 §7.1 key schedule, §5.2 record protection). Application-traffic records are decrypted
 * too, so a post-handshake alert is read from the wire even when a TCP reset makes node lose it.
 */
import { createDecipheriv, createHmac, type CipherGCMTypes } from 'node:crypto';
import { alertOf, type TlsAlert } from './alerts.js';

const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

interface Tls13Suite {
  name: string;
  hash: 'sha256' | 'sha384';
  keyLen: number;
  cipher: string;
  tagLen: number;
}

const TLS13_SUITES: Record<number, Tls13Suite> = {
  0x1301: { name: 'TLS_AES_128_GCM_SHA256', hash: 'sha256', keyLen: 16, cipher: 'aes-128-gcm', tagLen: 16 },
  0x1302: { name: 'TLS_AES_256_GCM_SHA384', hash: 'sha384', keyLen: 32, cipher: 'aes-256-gcm', tagLen: 16 },
  0x1303: { name: 'TLS_CHACHA20_POLY1305_SHA256', hash: 'sha256', keyLen: 32, cipher: 'chacha20-poly1305', tagLen: 16 },
  0x1304: { name: 'TLS_AES_128_CCM_SHA256', hash: 'sha256', keyLen: 16, cipher: 'aes-128-ccm', tagLen: 16 },
  0x1305: { name: 'TLS_AES_128_CCM_8_SHA256', hash: 'sha256', keyLen: 16, cipher: 'aes-128-ccm', tagLen: 8 },
};

/** TLS 1.2 AEAD suites the decoder can open (RFC 5288 GCM, RFC 7905 ChaCha20-Poly1305): read after the handshake only. */
interface Tls12Suite {
  hash: 'sha256' | 'sha384';
  keyLen: number;
  cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
}
const GCM128: Tls12Suite = { hash: 'sha256', keyLen: 16, cipher: 'aes-128-gcm' };
const GCM256: Tls12Suite = { hash: 'sha384', keyLen: 32, cipher: 'aes-256-gcm' };
const CHACHA: Tls12Suite = { hash: 'sha256', keyLen: 32, cipher: 'chacha20-poly1305' };
const TLS12_SUITES: Record<number, Tls12Suite> = {
  0xc02b: GCM128, 0xc02f: GCM128, 0x009e: GCM128, 0x009c: GCM128,
  0xc02c: GCM256, 0xc030: GCM256, 0x009f: GCM256, 0x009d: GCM256,
  0xcca8: CHACHA, 0xcca9: CHACHA, 0xccaa: CHACHA,
};

/** TLS 1.2 PRF (RFC 5246 §5). */
function prf12(hash: 'sha256' | 'sha384', secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const s = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a = s;
  let have = 0;
  while (have < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(Buffer.concat([a, s])).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** The server's write side of a TLS 1.2 AEAD connection, from the master secret in the key log. */
class Tls12Protection {
  private seq = 0n;
  private readonly key: Buffer;
  private readonly iv: Buffer;
  constructor(private readonly suite: Tls12Suite, master: Buffer, clientRandom: Buffer, serverRandom: Buffer) {
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

/** What the server's bytes revealed. */
export interface ServerFlight {
  /** True once at least one well-formed TLS record arrived. */
  spokeTls: boolean;
  /** A real ServerHello (not a HelloRetryRequest) arrived and was parsed. */
  serverHello: boolean;
  /** The server answered the first ClientHello with a HelloRetryRequest (RFC 8446 §4.1.4; TLS 1.3). */
  helloRetryRequest?: true;
  /** Negotiated version from ServerHello (`TLSv1.3`, `TLSv1.2`, …). */
  version?: string;
  cipherSuite?: number;
  /**
   * Whether the server sent a CertificateRequest in the initial handshake; undefined when its flight
   * could not be read. A CertificateRequest after the handshake is `postHandshakeCertificateRequest`.
   */
  certificateRequested?: boolean;
  /** Distinguished names from the CertificateRequest's certificate_authorities (DER). */
  acceptableCaNames: Buffer[];
  /** The certificates the server sent, in the order sent (DER). */
  certificates: Buffer[];
  /** Alerts the server sent (plaintext where allowed, or decrypted), in order. */
  alerts: TlsAlert[];
  /**
   * Alert records that arrived in plaintext where the protocol demands protection: TLS 1.3 after the
   * server's ServerHello (RFC 8446 §5), TLS 1.2 after its ChangeCipherSpec. The TLS client rejects
   * them (it does not take them as the server's alert); a relay or a broken stack put them there.
   */
  unprotectedAlerts?: TlsAlert[];
  /** TLS 1.3: the server sent a CertificateRequest after its Finished (post-handshake authentication, RFC 8446 §4.6.2). */
  postHandshakeCertificateRequest?: true;
  /**
   * TLS 1.2 and older: encrypted handshake records the server sent after its Finished — a
   * HelloRequest and the flight of a renegotiation (their contents are encrypted; the outer record
   * type is not).
   */
  renegotiationRecords?: number;
  /**
   * TLS 1.2, when the records after the server's Finished could be decrypted (an AEAD suite and the
   * client's CLIENT_RANDOM key log line): what the renegotiation carried. `helloRequest`: the
   * server asked for one; `serverHello`: the renegotiation's ServerHello arrived;
   * `certificateRequested`: its flight (read up to ServerHelloDone, or the CertificateRequest itself)
   * contained a CertificateRequest (false for a resumed renegotiation). Absent when unreadable.
   */
  renegotiation?: { helloRequest: boolean; serverHello?: true; certificateRequested?: boolean };
  /** The first bytes of data that is not a TLS record, after well-formed records (stray bytes in the stream). */
  trailingNonTls?: Buffer;
  /** TLS 1.3: a NewSessionTicket arrived (the server processed our Finished and kept the connection). */
  sessionTicket: boolean;
  /** First bytes of decrypted application data (TLS 1.3; TLS 1.2 with an AEAD suite). */
  appDataPrefix?: Buffer;
  /** The end of the server's first flight arrived (TLS 1.2 ServerHelloDone, TLS 1.3 Finished). */
  flightComplete?: boolean;
  /** How the flight was read, and why not when it could not be. */
  method: 'tls1.2-plaintext' | 'tls1.3-keylog' | 'unavailable';
  limitation?: string;
  /** The first bytes when the peer is not speaking TLS at all. */
  nonTlsPrefix?: Buffer;
}

/** HKDF-Expand-Label (RFC 8446 §7.1). */
export function hkdfExpandLabel(hash: 'sha256' | 'sha384', secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, fullLabel.length]), fullLabel, Buffer.from([0])]);
  // HKDF-Expand (RFC 5869 §2.3): only the expand step, the secret already is a PRK.
  const out: Buffer[] = [];
  let prev = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    prev = createHmac(hash, secret).update(Buffer.concat([prev, info, Buffer.from([i])])).digest();
    out.push(prev);
  }
  return Buffer.concat(out).subarray(0, length);
}

class RecordProtection {
  private seq = 0n;
  private readonly key: Buffer;
  private readonly iv: Buffer;
  constructor(private readonly suite: Tls13Suite, secret: Buffer) {
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

/** Splits a handshake byte stream into messages; returns them and the unconsumed rest. */
function splitHandshake(buf: Buffer): { msgs: { type: number; body: Buffer }[]; rest: Buffer } {
  const msgs: { type: number; body: Buffer }[] = [];
  let off = 0;
  while (buf.length - off >= 4) {
    const len = buf.readUIntBE(off + 1, 3);
    if (buf.length - off - 4 < len) break;
    msgs.push({ type: buf[off]!, body: buf.subarray(off + 4, off + 4 + len) });
    off += 4 + len;
  }
  return { msgs, rest: buf.subarray(off) };
}

/** A bounds-checked reader; any overrun throws and the message is treated as undecodable. */
class Reader {
  off = 0;
  constructor(readonly buf: Buffer) {}
  u8(): number { this.need(1); return this.buf[this.off++]!; }
  u16(): number { this.need(2); const v = this.buf.readUInt16BE(this.off); this.off += 2; return v; }
  u24(): number { this.need(3); const v = this.buf.readUIntBE(this.off, 3); this.off += 3; return v; }
  bytes(n: number): Buffer { this.need(n); const b = this.buf.subarray(this.off, this.off + n); this.off += n; return b; }
  vec8(): Buffer { return this.bytes(this.u8()); }
  vec16(): Buffer { return this.bytes(this.u16()); }
  vec24(): Buffer { return this.bytes(this.u24()); }
  get left(): number { return this.buf.length - this.off; }
  private need(n: number): void { if (this.off + n > this.buf.length) throw new Error('truncated TLS structure'); }
}

function parseDistinguishedNames(list: Buffer): Buffer[] {
  const r = new Reader(list);
  const out: Buffer[] = [];
  while (r.left > 0) out.push(Buffer.from(r.vec16()));
  return out;
}

const VERSION_NAMES: Record<number, string> = { 0x0304: 'TLSv1.3', 0x0303: 'TLSv1.2', 0x0302: 'TLSv1.1', 0x0301: 'TLSv1', 0x0300: 'SSLv3' };

/**
 * Accumulates the server's bytes and, on `decode()`, interprets them with the key log lines seen.
 * Bounded: at most `maxBytes` are kept (default 256 KiB) so a hostile peer cannot grow it.
 */
export class ServerFlightRecorder {
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly keylog = new Map<string, Buffer>();
  /** TLS 1.2 `CLIENT_RANDOM` lines in order: one per handshake (a renegotiation adds one). */
  private readonly masters: { clientRandom: Buffer; master: Buffer }[] = [];
  constructor(private readonly maxBytes = 256 * 1024) {}

  /** Feed bytes received from the server. */
  push(chunk: Buffer): void {
    if (this.size >= this.maxBytes) return;
    const take = chunk.subarray(0, this.maxBytes - this.size);
    this.chunks.push(Buffer.from(take));
    this.size += take.length;
  }

  /** Feed one NSS key log line from node's `keylog` event. */
  addKeylogLine(line: Buffer | string): void {
    const parts = line.toString('latin1').trim().split(/\s+/);
    if (parts.length === 3 && parts[0] && parts[2]) this.keylog.set(parts[0], Buffer.from(parts[2], 'hex'));
    if (parts.length === 3 && parts[0] === 'CLIENT_RANDOM' && this.masters.length < 8) this.masters.push({ clientRandom: Buffer.from(parts[1]!, 'hex'), master: Buffer.from(parts[2]!, 'hex') });
  }

  get bytesReceived(): number {
    return this.size;
  }

  decode(): ServerFlight {
    const data = Buffer.concat(this.chunks);
    const flight: ServerFlight = { spokeTls: false, serverHello: false, acceptableCaNames: [], certificates: [], alerts: [], sessionTicket: false, method: 'unavailable' };
    if (data.length === 0) {
      flight.limitation = 'the server sent no bytes';
      return flight;
    }
    let hsPlain: Buffer = Buffer.alloc(0);
    let hsEncrypted: Buffer = Buffer.alloc(0);
    let postHs: Buffer = Buffer.alloc(0);
    let suite: Tls13Suite | undefined;
    let hsKeys: RecordProtection | undefined;
    let appKeys: RecordProtection | undefined;
    let tls13 = false;
    let tls12Encrypted = false;
    let tls12Finished = false; // the server's Finished (the first handshake record after its ChangeCipherSpec)
    let serverRandom: Buffer | undefined;
    let tls12Keys: Tls12Protection | undefined; // the first epoch's server write keys (until its next ChangeCipherSpec)
    let tls12Hs: Buffer = Buffer.alloc(0);
    let tls12HsMsgs = 0;
    let serverFinished = false;
    let sawCertRequestMsg = false;
    let flightComplete = false; // saw the end of the server's first flight (ServerHelloDone / Finished)
    let off = 0;
    const onHandshakeMsg = (type: number, body: Buffer): void => {
      try {
        if (type === 2) {
          const r = new Reader(body);
          const legacy = r.u16();
          const random = r.bytes(32);
          r.vec8();
          const cs = r.u16();
          r.u8();
          let version = legacy;
          if (r.left > 0) {
            const ext = new Reader(r.vec16());
            while (ext.left > 0) {
              const et = ext.u16();
              const ed = ext.vec16();
              if (et === 0x002b && ed.length === 2) version = ed.readUInt16BE(0);
            }
          }
          if (random.equals(HRR_RANDOM)) {
            // HelloRetryRequest (RFC 8446 §4.1.4): TLS 1.3 by definition (its supported_versions says
            // so). The real ServerHello follows the client's second ClientHello; a compatibility
            // ChangeCipherSpec may come in between.
            flight.helloRetryRequest = true;
            tls13 = true;
            if (version !== 0x0304) flight.limitation = `a HelloRetryRequest without TLS 1.3 in supported_versions (0x${version.toString(16)})`;
            return;
          }
          if (flight.serverHello) return; // a second ServerHello is a protocol violation: keep the first
          flight.serverHello = true;
          serverRandom = Buffer.from(random);
          flight.cipherSuite = cs;
          flight.version = VERSION_NAMES[version] ?? `0x${version.toString(16)}`;
          tls13 = version === 0x0304;
          if (tls13) suite = TLS13_SUITES[cs];
        } else if (type === 11) {
          const r = new Reader(body);
          if (tls13) r.vec8(); // certificate_request_context
          const list = new Reader(r.vec24());
          const certs: Buffer[] = [];
          while (list.left > 0) {
            certs.push(Buffer.from(list.vec24()));
            if (tls13) list.vec16(); // per-certificate extensions
          }
          flight.certificates = certs;
        } else if (type === 13 && tls13 && serverFinished) {
          // After the server's Finished: post-handshake authentication, not part of the initial handshake.
          flight.postHandshakeCertificateRequest = true;
        } else if (type === 13) {
          sawCertRequestMsg = true;
          const r = new Reader(body);
          if (tls13) {
            r.vec8(); // certificate_request_context
            const ext = new Reader(r.vec16());
            while (ext.left > 0) {
              const et = ext.u16();
              const ed = ext.vec16();
              if (et === 47) flight.acceptableCaNames = parseDistinguishedNames(new Reader(ed).vec16());
            }
          } else {
            r.vec8(); // certificate_types
            if (flight.version === 'TLSv1.2') r.vec16(); // supported_signature_algorithms
            flight.acceptableCaNames = parseDistinguishedNames(r.vec16());
          }
        } else if (type === 14) {
          flightComplete = true; // ServerHelloDone (TLS 1.2)
        } else if (type === 20 && tls13) {
          serverFinished = true;
          flightComplete = true;
        } else if (type === 4 && tls13 && serverFinished) {
          flight.sessionTicket = true;
        }
      } catch {
        // A malformed message from a hostile or broken peer: keep what was read so far.
      }
    };

    while (data.length - off >= 5) {
      const type = data[off]!;
      const major = data[off + 1]!;
      const len = data.readUInt16BE(off + 3);
      if (type < 20 || type > 24 || major !== 3 || len > 16384 + 2048) {
        if (!flight.spokeTls) flight.nonTlsPrefix = data.subarray(off, off + 64);
        else flight.trailingNonTls = Buffer.from(data.subarray(off, off + 64));
        break;
      }
      if (data.length - off - 5 < len) break; // the rest of the record never arrived
      flight.spokeTls = true;
      const header = data.subarray(off, off + 5);
      const payload = data.subarray(off + 5, off + 5 + len);
      off += 5 + len;
      if (type === 20) {
        // TLS 1.2: from here on the server encrypts. Not before a real ServerHello: a TLS 1.3 server
        // sends its compatibility ChangeCipherSpec right after a HelloRetryRequest too.
        if (!tls13 && flight.serverHello) {
          if (!tls12Encrypted) {
            const s12 = TLS12_SUITES[flight.cipherSuite ?? -1];
            const m = this.masters[0];
            if (s12 && m && serverRandom) tls12Keys = new Tls12Protection(s12, m.master, m.clientRandom, serverRandom);
          } else {
            // A renegotiation's ChangeCipherSpec: new keys, not followed here. Right after its
            // ServerHello it is an abbreviated (resumed) handshake, which has no CertificateRequest.
            if (tls12Keys && flight.renegotiation?.serverHello) flight.renegotiation.certificateRequested ??= false;
            tls12Keys = undefined;
          }
          tls12Encrypted = true;
        }
        continue;
      }
      if (tls12Encrypted && tls12Keys && (type === 21 || type === 22 || type === 23)) {
        // TLS 1.2 after the server's ChangeCipherSpec, decrypted: its Finished, then what it sends
        // after the handshake (a HelloRequest and a renegotiation's flight, alerts, data).
        let plain: Buffer | undefined;
        try {
          plain = tls12Keys.open(type, header.readUInt16BE(1), payload);
        } catch {
          tls12Keys = undefined; // not decryptable (a stray record, or a wrong secret): fall back to the outer types
          flight.renegotiation = undefined;
        }
        if (plain) {
          if (type === 21 && plain.length >= 2) {
            flight.alerts.push(alertOf(plain[1]!, plain[0]!));
            continue;
          }
          if (type === 23) {
            if (!flight.appDataPrefix) flight.appDataPrefix = Buffer.from(plain.subarray(0, 512));
            continue;
          }
          if (type === 22) {
            if (tls12Finished) flight.renegotiationRecords = (flight.renegotiationRecords ?? 0) + 1;
            tls12Finished = true;
            flightComplete = true;
            tls12Hs = Buffer.concat([tls12Hs, plain]);
            const { msgs, rest } = splitHandshake(tls12Hs);
            tls12Hs = rest;
            for (const m of msgs) {
              if (tls12HsMsgs++ === 0) continue; // the server's Finished
              const r = (flight.renegotiation ??= { helloRequest: false });
              if (m.type === 0) r.helloRequest = true;
              else if (m.type === 2) r.serverHello = true;
              else if (m.type === 13) r.certificateRequested = true;
              else if (m.type === 14) r.certificateRequested ??= false;
            }
            continue;
          }
        }
      }
      if (type === 21) {
        // An outer alert record is plaintext (TLS 1.3 protects alerts inside application_data records).
        if (payload.length < 2) continue;
        // After a TLS 1.2 ChangeCipherSpec, alerts are encrypted (not read here); a 2-byte one cannot
        // be (an AEAD record carries at least its tag), so it is an unprotected alert.
        if (tls12Encrypted && payload.length !== 2) continue;
        const alert = alertOf(payload[1]!, payload[0]!);
        if ((tls13 && flight.serverHello) || tls12Encrypted) (flight.unprotectedAlerts ??= []).push(alert);
        else flight.alerts.push(alert);
        continue;
      }
      if (type === 22 && tls12Encrypted) {
        if (!tls12Finished) {
          tls12Finished = true;
          flightComplete = true;
        } else {
          flight.renegotiationRecords = (flight.renegotiationRecords ?? 0) + 1;
        }
        continue;
      }
      if (type === 22 && !tls12Encrypted) {
        hsPlain = Buffer.concat([hsPlain, payload]);
        const { msgs, rest } = splitHandshake(hsPlain);
        hsPlain = rest;
        for (const m of msgs) onHandshakeMsg(m.type, m.body);
        if (tls13 && suite && !hsKeys) {
          const secret = this.keylog.get('SERVER_HANDSHAKE_TRAFFIC_SECRET');
          if (secret) hsKeys = new RecordProtection(suite, secret);
        }
        continue;
      }
      if (type === 23 && tls13) {
        if (!suite) {
          flight.limitation = `TLS 1.3 cipher suite 0x${(flight.cipherSuite ?? 0).toString(16)} is not supported by the decoder`;
          break;
        }
        const keys = serverFinished ? appKeys : hsKeys;
        if (!keys) {
          flight.limitation = serverFinished
            ? 'no application traffic secret in the key log'
            : 'no handshake traffic secret in the key log (node emitted no keylog line)';
          break;
        }
        let rec;
        try {
          rec = keys.open(header, payload);
        } catch {
          flight.limitation = 'a TLS 1.3 record failed to decrypt with the logged secret';
          break;
        }
        if (rec.type === 21 && rec.content.length >= 2) {
          flight.alerts.push(alertOf(rec.content[1]!, rec.content[0]!));
        } else if (rec.type === 22) {
          if (!serverFinished) {
            hsEncrypted = Buffer.concat([hsEncrypted, rec.content]);
            const { msgs, rest } = splitHandshake(hsEncrypted);
            hsEncrypted = rest;
            for (const m of msgs) {
              onHandshakeMsg(m.type, m.body);
              if (serverFinished && !appKeys) {
                const s = this.keylog.get('SERVER_TRAFFIC_SECRET_0');
                if (s) appKeys = new RecordProtection(suite, s);
              }
            }
          } else {
            postHs = Buffer.concat([postHs, rec.content]);
            const { msgs, rest } = splitHandshake(postHs);
            postHs = rest;
            for (const m of msgs) onHandshakeMsg(m.type, m.body);
          }
        } else if (rec.type === 23 && !flight.appDataPrefix) {
          flight.appDataPrefix = Buffer.from(rec.content.subarray(0, 512));
        }
        continue;
      }
      // TLS 1.2 encrypted records (after the server's ChangeCipherSpec) are not needed: skip.
    }
    if (flight.spokeTls && flight.version) {
      flight.flightComplete = flightComplete;
      flight.method = tls13 ? 'tls1.3-keylog' : 'tls1.2-plaintext';
      if (flightComplete || sawCertRequestMsg) {
        flight.certificateRequested = sawCertRequestMsg;
      } else if (!flight.limitation) {
        flight.limitation = 'the server\'s first flight did not arrive complete';
      }
      if (flight.certificateRequested === undefined) flight.method = 'unavailable';
    }
    return flight;
  }
}
