/**
 * The server's handshake messages (RFC 8446 §4, RFC 5246 §7.4), read in order from the plaintext or
 * decrypted handshake stream: ServerHello (or HelloRetryRequest), Certificate, CertificateRequest
 * and its CA names, ServerHelloDone, Finished, NewSessionTicket. Every read is bounds-checked; a
 * malformed message keeps what was read before it.
 */
import type { CertificateRequestInfo, ServerFlight } from './tls-flight.js';
import { TLS13_SUITES, type Tls13Suite } from './tls-keys.js';

const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

/** Splits a handshake byte stream into messages; returns them and the unconsumed rest. */
export function splitHandshake(buf: Buffer): { msgs: { type: number; body: Buffer }[]; rest: Buffer } {
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
  u8(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const v = this.buf.readUIntBE(this.off, 3);
    this.off += 3;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
  vec8(): Buffer {
    return this.bytes(this.u8());
  }
  vec16(): Buffer {
    return this.bytes(this.u16());
  }
  vec24(): Buffer {
    return this.bytes(this.u24());
  }
  get left(): number {
    return this.buf.length - this.off;
  }
  private need(n: number): void {
    if (this.off + n > this.buf.length) throw new Error('truncated TLS structure');
  }
}

function parseDistinguishedNames(list: Buffer): Buffer[] {
  const r = new Reader(list);
  const out: Buffer[] = [];
  while (r.left > 0) out.push(Buffer.from(r.vec16()));
  return out;
}

/** A list of 16-bit SignatureScheme code points (at most 256 kept: a hostile peer cannot grow it). */
function parseSchemes(list: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < list.length && out.length < 256; i += 2) out.push(list.readUInt16BE(i));
  return out;
}

const VERSION_NAMES: Record<number, string> = { 0x0304: 'TLSv1.3', 0x0303: 'TLSv1.2', 0x0302: 'TLSv1.1', 0x0301: 'TLSv1', 0x0300: 'SSLv3' };

/** Where the server's handshake stands, and what its messages revealed (written into `flight`). */
export class HandshakeMessages {
  /** The ServerHello (or a HelloRetryRequest) chose TLS 1.3. */
  tls13 = false;
  /** The TLS 1.3 suite, when the decoder supports it. */
  suite: Tls13Suite | undefined;
  serverRandom: Buffer | undefined;
  /** TLS 1.3: the server's Finished arrived; what follows is post-handshake. */
  serverFinished = false;
  /** A CertificateRequest of the initial handshake arrived. */
  sawCertificateRequest = false;
  /** The end of the server's first flight arrived (TLS 1.2 ServerHelloDone, TLS 1.3 Finished). */
  flightComplete = false;
  constructor(private readonly flight: ServerFlight) {}

  /** Reads one message. */
  onMessage(type: number, body: Buffer): void {
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
          this.flight.helloRetryRequest = true;
          this.tls13 = true;
          if (version !== 0x0304) this.flight.limitation = `a HelloRetryRequest without TLS 1.3 in supported_versions (0x${version.toString(16)})`;
          return;
        }
        if (this.flight.serverHello) return; // a second ServerHello is a protocol violation: keep the first
        this.flight.serverHello = true;
        this.serverRandom = Buffer.from(random);
        this.flight.cipherSuite = cs;
        this.flight.version = VERSION_NAMES[version] ?? `0x${version.toString(16)}`;
        this.tls13 = version === 0x0304;
        if (this.tls13) this.suite = TLS13_SUITES[cs];
      } else if (type === 11) {
        const r = new Reader(body);
        if (this.tls13) r.vec8(); // certificate_request_context
        const list = new Reader(r.vec24());
        const certs: Buffer[] = [];
        while (list.left > 0) {
          certs.push(Buffer.from(list.vec24()));
          if (this.tls13) list.vec16(); // per-certificate extensions
        }
        this.flight.certificates = certs;
      } else if (type === 13 && this.tls13 && this.serverFinished) {
        // After the server's Finished: post-handshake authentication, not part of the initial handshake.
        this.flight.postHandshakeCertificateRequest = true;
      } else if (type === 13) {
        this.sawCertificateRequest = true;
        const r = new Reader(body);
        const info: CertificateRequestInfo = {};
        this.flight.certificateRequest = info;
        if (this.tls13) {
          r.vec8(); // certificate_request_context
          const ext = new Reader(r.vec16());
          while (ext.left > 0) {
            const et = ext.u16();
            const ed = ext.vec16();
            if (et === 47) this.flight.acceptableCaNames = parseDistinguishedNames(new Reader(ed).vec16());
            else if (et === 13) info.signatureAlgorithms = parseSchemes(new Reader(ed).vec16());
            else if (et === 50) info.signatureAlgorithmsCert = parseSchemes(new Reader(ed).vec16());
          }
        } else {
          info.certificateTypes = [...r.vec8()];
          if (this.flight.version === 'TLSv1.2') info.signatureAlgorithms = parseSchemes(r.vec16());
          this.flight.acceptableCaNames = parseDistinguishedNames(r.vec16());
        }
      } else if (type === 14) {
        this.flightComplete = true; // ServerHelloDone (TLS 1.2)
      } else if (type === 20 && this.tls13) {
        this.serverFinished = true;
        this.flightComplete = true;
      } else if (type === 4 && this.tls13 && this.serverFinished) {
        this.flight.sessionTicket = true;
      }
    } catch {
      // A malformed message from a hostile or broken peer: keep what was read so far.
    }
  }
}
