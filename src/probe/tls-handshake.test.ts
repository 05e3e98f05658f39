// The CertificateRequest as HandshakeMessages reads it: TLS 1.3 extensions (certificate_authorities,
// signature_algorithms, signature_algorithms_cert, in any order, unknown ones skipped) and the TLS 1.2
// fields, the CA names kept as DER byte for byte (a PrintableString name stays PrintableString).
import { describe, expect, it } from 'vitest';
import type { ServerFlight } from './tls-flight.js';
import { HandshakeMessages } from './tls-handshake.js';

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const vec8 = (b: Buffer) => Buffer.concat([Buffer.from([b.length]), b]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const ext = (type: number, data: Buffer) => Buffer.concat([u16(type), vec16(data)]);
const schemes = (...s: number[]) => vec16(Buffer.concat(s.map(u16)));

// Name ::= SEQUENCE { SET { SEQUENCE { id-at-commonName, PrintableString "Root" } } }, and the same in UTF8String.
const printable = Buffer.from('300f310d300b06035504031304526f6f74', 'hex');
const utf8 = Buffer.from('300f310d300b06035504030c04526f6f74', 'hex');

function flight(): ServerFlight {
  return { spokeTls: true, serverHello: false, acceptableCaNames: [], certificates: [], alerts: [], sessionTicket: false, method: 'unavailable' };
}

function serverHello(version: 0x0303 | 0x0304): Buffer {
  const exts = version === 0x0304 ? vec16(ext(0x002b, u16(0x0304))) : Buffer.alloc(0);
  return Buffer.concat([u16(0x0303), Buffer.alloc(32, 1), vec8(Buffer.alloc(0)), u16(version === 0x0304 ? 0x1301 : 0xc02f), Buffer.from([0]), exts]);
}

describe('CertificateRequest', () => {
  it('TLS 1.3: CA names as DER, signature_algorithms and signature_algorithms_cert, unknown extensions skipped', () => {
    const f = flight();
    const hs = new HandshakeMessages(f);
    hs.onMessage(2, serverHello(0x0304));
    const body = Buffer.concat([
      vec8(Buffer.alloc(0)), // certificate_request_context
      vec16(
        Buffer.concat([
          ext(50, schemes(0x0401, 0x0804)), // signature_algorithms_cert first
          ext(0xfafa, Buffer.from('grease')),
          ext(47, vec16(Buffer.concat([vec16(printable), vec16(utf8)]))),
          ext(13, schemes(0x0403, 0x0804, 0x0807)),
        ]),
      ),
    ]);
    hs.onMessage(13, body);
    expect(f.acceptableCaNames).toEqual([printable, utf8]);
    expect(f.certificateRequest).toEqual({ signatureAlgorithms: [0x0403, 0x0804, 0x0807], signatureAlgorithmsCert: [0x0401, 0x0804] });
  });

  it('TLS 1.3 without certificate_authorities (Go without ClientCAs, -no_ca_names): no names, the schemes kept', () => {
    const f = flight();
    const hs = new HandshakeMessages(f);
    hs.onMessage(2, serverHello(0x0304));
    hs.onMessage(13, Buffer.concat([vec8(Buffer.alloc(0)), vec16(ext(13, schemes(0x0804)))]));
    expect(f.acceptableCaNames).toEqual([]);
    expect(f.certificateRequest).toEqual({ signatureAlgorithms: [0x0804] });
  });

  it('TLS 1.2: certificate_types, supported_signature_algorithms and the CA list', () => {
    const f = flight();
    const hs = new HandshakeMessages(f);
    hs.onMessage(2, serverHello(0x0303));
    hs.onMessage(13, Buffer.concat([vec8(Buffer.from([1, 64])), schemes(0x0401, 0x0403), vec16(vec16(utf8))]));
    expect(f.acceptableCaNames).toEqual([utf8]);
    expect(f.certificateRequest).toEqual({ certificateTypes: [1, 64], signatureAlgorithms: [0x0401, 0x0403] });
  });

  it('a truncated scheme list keeps what was read before it and does not throw', () => {
    const f = flight();
    const hs = new HandshakeMessages(f);
    hs.onMessage(2, serverHello(0x0303));
    hs.onMessage(13, Buffer.concat([vec8(Buffer.from([64])), u16(40), Buffer.from([4, 3])]));
    expect(f.certificateRequest).toEqual({ certificateTypes: [64] });
    expect(f.acceptableCaNames).toEqual([]);
  });
});
