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
 *
 * This file reads records; `tls-handshake.ts` the handshake messages in them, `tls-keys.ts` the
 * record protection, `tls-flight.ts` says what the result holds.
 */
import { alertOf } from './alerts.js';
import { HandshakeMessages, splitHandshake } from './tls-handshake.js';
import type { ServerFlight } from './tls-flight.js';
import { RecordProtection, TLS12_SUITES, Tls12Protection } from './tls-keys.js';

export type { ServerFlight } from './tls-flight.js';

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
    if (parts.length === 3 && parts[0] === 'CLIENT_RANDOM' && this.masters.length < 8)
      this.masters.push({ clientRandom: Buffer.from(parts[1]!, 'hex'), master: Buffer.from(parts[2]!, 'hex') });
  }

  get bytesReceived(): number {
    return this.size;
  }

  decode(): ServerFlight {
    const data = Buffer.concat(this.chunks);
    const flight: ServerFlight = {
      spokeTls: false,
      serverHello: false,
      acceptableCaNames: [],
      certificates: [],
      alerts: [],
      sessionTicket: false,
      method: 'unavailable',
    };
    if (data.length === 0) {
      flight.limitation = 'the server sent no bytes';
      return flight;
    }
    let hsPlain: Buffer = Buffer.alloc(0);
    let hsEncrypted: Buffer = Buffer.alloc(0);
    let postHs: Buffer = Buffer.alloc(0);
    let hsKeys: RecordProtection | undefined;
    let appKeys: RecordProtection | undefined;
    let tls12Encrypted = false;
    let tls12Finished = false; // the server's Finished (the first handshake record after its ChangeCipherSpec)
    let tls12Keys: Tls12Protection | undefined; // the first epoch's server write keys (until its next ChangeCipherSpec)
    let tls12Hs: Buffer = Buffer.alloc(0);
    let tls12HsMsgs = 0;
    const hs = new HandshakeMessages(flight);
    let off = 0;

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
        if (!hs.tls13 && flight.serverHello) {
          if (!tls12Encrypted) {
            const s12 = TLS12_SUITES[flight.cipherSuite ?? -1];
            const m = this.masters[0];
            if (s12 && m && hs.serverRandom) tls12Keys = new Tls12Protection(s12, m.master, m.clientRandom, hs.serverRandom);
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
            hs.flightComplete = true;
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
        if ((hs.tls13 && flight.serverHello) || tls12Encrypted) (flight.unprotectedAlerts ??= []).push(alert);
        else flight.alerts.push(alert);
        continue;
      }
      if (type === 22 && tls12Encrypted) {
        if (!tls12Finished) {
          tls12Finished = true;
          hs.flightComplete = true;
        } else {
          flight.renegotiationRecords = (flight.renegotiationRecords ?? 0) + 1;
        }
        continue;
      }
      if (type === 22 && !tls12Encrypted) {
        hsPlain = Buffer.concat([hsPlain, payload]);
        const { msgs, rest } = splitHandshake(hsPlain);
        hsPlain = rest;
        for (const m of msgs) hs.onMessage(m.type, m.body);
        if (hs.tls13 && hs.suite && !hsKeys) {
          const secret = this.keylog.get('SERVER_HANDSHAKE_TRAFFIC_SECRET');
          if (secret) hsKeys = new RecordProtection(hs.suite, secret);
        }
        continue;
      }
      if (type === 23 && hs.tls13) {
        if (!hs.suite) {
          flight.limitation = `TLS 1.3 cipher suite 0x${(flight.cipherSuite ?? 0).toString(16)} is not supported by the decoder`;
          break;
        }
        const keys = hs.serverFinished ? appKeys : hsKeys;
        if (!keys) {
          flight.limitation = hs.serverFinished
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
          if (!hs.serverFinished) {
            hsEncrypted = Buffer.concat([hsEncrypted, rec.content]);
            const { msgs, rest } = splitHandshake(hsEncrypted);
            hsEncrypted = rest;
            for (const m of msgs) {
              hs.onMessage(m.type, m.body);
              if (hs.serverFinished && !appKeys) {
                const s = this.keylog.get('SERVER_TRAFFIC_SECRET_0');
                if (s) appKeys = new RecordProtection(hs.suite, s);
              }
            }
          } else {
            postHs = Buffer.concat([postHs, rec.content]);
            const { msgs, rest } = splitHandshake(postHs);
            postHs = rest;
            for (const m of msgs) hs.onMessage(m.type, m.body);
          }
        } else if (rec.type === 23 && !flight.appDataPrefix) {
          flight.appDataPrefix = Buffer.from(rec.content.subarray(0, 512));
        }
        continue;
      }
      // TLS 1.2 encrypted records (after the server's ChangeCipherSpec) are not needed: skip.
    }
    if (flight.spokeTls && flight.version) {
      flight.flightComplete = hs.flightComplete;
      flight.method = hs.tls13 ? 'tls1.3-keylog' : 'tls1.2-plaintext';
      if (hs.flightComplete || hs.sawCertificateRequest) {
        flight.certificateRequested = hs.sawCertificateRequest;
      } else if (!flight.limitation) {
        flight.limitation = "the server's first flight did not arrive complete";
      }
      if (flight.certificateRequested === undefined) flight.method = 'unavailable';
    }
    return flight;
  }
}
