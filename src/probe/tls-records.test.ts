// ServerFlightRecorder on its own: hand-built TLS 1.2 flights (plaintext), and a real TLS 1.3 flight
// captured on loopback by a recording TCP relay, decoded with and without the client's key log.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { X509Certificate, constants, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../pki/generate.js';
import { x509 } from '../pki/crypto.js';
import { ServerFlightRecorder } from './tls-records.js';

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const vec8 = (b: Buffer) => Buffer.concat([Buffer.from([b.length]), b]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const vec24 = (b: Buffer) => Buffer.concat([u24(b.length), b]);
const hsMsg = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type]), u24(body.length), body]);
const record = (type: number, payload: Buffer, version = 0x0303) => Buffer.concat([Buffer.from([type]), u16(version), u16(payload.length), payload]);

function serverHello12(random = Buffer.alloc(32, 7)): Buffer {
  // legacy_version 1.2, random, empty session id, ECDHE-ECDSA-AES128-GCM-SHA256, no compression, no extensions.
  return hsMsg(2, Buffer.concat([u16(0x0303), random, vec8(Buffer.alloc(0)), u16(0xc02b), Buffer.from([0])]));
}

function certificate12(ders: Buffer[]): Buffer {
  return hsMsg(11, vec24(Buffer.concat(ders.map(vec24))));
}

function certificateRequest12(names: Buffer[]): Buffer {
  // certificate_types (ecdsa_sign, rsa_sign), signature algorithms, certificate_authorities.
  return hsMsg(13, Buffer.concat([vec8(Buffer.from([64, 1])), vec16(Buffer.from([0x04, 0x03, 0x08, 0x04])), vec16(Buffer.concat(names.map(vec16)))]));
}

const serverHelloDone = hsMsg(14, Buffer.alloc(0));

let pki: FixturePki;
let rootName: Buffer;
beforeAll(async () => {
  pki = await mintFixturePki();
  rootName = Buffer.from(pki.root.cert.subjectName.toArrayBuffer());
});

const nameOf = (der: Buffer) => new x509.Name(new Uint8Array(der)).toString();

describe('TLS 1.2 (plaintext handshake)', () => {
  it('reads the CertificateRequest, its CA names, the certificates in the order sent, and a fatal alert', () => {
    const leaf = Buffer.from(new X509Certificate(pki.server.certPem).raw);
    const inter = Buffer.from(new X509Certificate(pki.intermediate.certPem).raw);
    const flight = Buffer.concat([
      record(22, Buffer.concat([serverHello12(), certificate12([leaf, inter]), certificateRequest12([rootName]), serverHelloDone])),
      record(21, Buffer.from([2, 40])),
    ]);
    const r = new ServerFlightRecorder();
    r.push(flight);
    const f = r.decode();
    expect(f).toMatchObject({
      spokeTls: true,
      version: 'TLSv1.2',
      cipherSuite: 0xc02b,
      certificateRequested: true,
      method: 'tls1.2-plaintext',
      sessionTicket: false,
    });
    expect(f.limitation).toBeUndefined();
    expect(f.certificates).toEqual([leaf, inter]);
    expect(f.acceptableCaNames.map(nameOf)).toEqual([pki.root.cert.subject]);
    expect(f.acceptableCaNames).toEqual([rootName]); // the DER as sent, byte for byte
    expect(f.certificateRequest).toEqual({ certificateTypes: [64, 1], signatureAlgorithms: [0x0403, 0x0804] });
    expect(f.alerts).toEqual([{ code: 40, name: 'handshake_failure', level: 2 }]);
    expect(r.bytesReceived).toBe(flight.length);
  });

  it('decodes the same flight fed one byte at a time, and handshake messages split across records', () => {
    const hs = Buffer.concat([serverHello12(), certificate12([Buffer.from('not a real certificate')]), serverHelloDone]);
    const flight = Buffer.concat([record(22, hs.subarray(0, 10)), record(22, hs.subarray(10))]);
    const r = new ServerFlightRecorder();
    for (const b of flight) r.push(Buffer.from([b]));
    const f = r.decode();
    expect(f.certificateRequested).toBe(false);
    expect(f.certificateRequest).toBeUndefined();
    expect(f.method).toBe('tls1.2-plaintext');
    expect(f.certificates).toEqual([Buffer.from('not a real certificate')]);
    expect(f.acceptableCaNames).toEqual([]);
  });

  it('does not guess when the first flight is incomplete', () => {
    const r = new ServerFlightRecorder();
    r.push(record(22, serverHello12()));
    const f = r.decode();
    expect(f.spokeTls).toBe(true);
    expect(f.version).toBe('TLSv1.2');
    expect(f.certificateRequested).toBeUndefined();
    expect(f.method).toBe('unavailable');
    expect(f.limitation).toMatch(/first flight did not arrive complete/);
  });

  it('a record whose body never arrived is not TLS evidence', () => {
    const r = new ServerFlightRecorder();
    r.push(Buffer.from([0x16, 0x03, 0x03, 0x00, 0xc8, 0x02, 0x00]));
    const f = r.decode();
    expect(f.spokeTls).toBe(false);
    expect(f.nonTlsPrefix).toBeUndefined();
    expect(f.method).toBe('unavailable');
  });

  it('follows a HelloRetryRequest and its compatibility ChangeCipherSpec to the real ServerHello', () => {
    const hrrRandom = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');
    const supportedVersions13 = Buffer.concat([u16(0x002b), vec16(u16(0x0304))]);
    const hello = (random: Buffer, cs: number) =>
      hsMsg(2, Buffer.concat([u16(0x0303), random, vec8(Buffer.alloc(0)), u16(cs), Buffer.from([0]), vec16(supportedVersions13)]));
    const r = new ServerFlightRecorder();
    r.push(record(22, hello(hrrRandom, 0x1302)));
    r.push(record(20, Buffer.from([1]))); // middlebox-compatibility CCS right after the HRR
    let f = r.decode();
    expect(f.version).toBeUndefined();
    expect(f.serverHello).toBe(false);
    expect(f.helloRetryRequest).toBe(true);
    r.push(record(22, hello(Buffer.alloc(32, 9), 0x1301)));
    r.push(record(21, Buffer.from([2, 40]))); // a plaintext alert after the real TLS 1.3 ServerHello is not valid
    f = r.decode();
    expect(f.serverHello).toBe(true);
    expect(f.version).toBe('TLSv1.3');
    expect(f.cipherSuite).toBe(0x1301);
    expect(f.alerts).toEqual([]);
    expect(f.unprotectedAlerts).toEqual([{ code: 40, name: 'handshake_failure', level: 2 }]);
  });

  it('an alert in answer to the ClientHello: no ServerHello, any code (unknown ones named)', () => {
    for (const [code, name] of [
      [70, 'protocol_version'],
      [112, 'unrecognized_name'],
      [199, 'unknown(199)'],
    ] as const) {
      const r = new ServerFlightRecorder();
      r.push(record(21, Buffer.from([2, code]), 0x0301));
      const f = r.decode();
      expect(f).toMatchObject({ spokeTls: true, serverHello: false, method: 'unavailable', alerts: [{ code, name, level: 2 }] });
      expect(f.version).toBeUndefined();
    }
  });

  it("TLS 1.2: encrypted handshake records after the server's Finished are counted as a renegotiation", () => {
    const r = new ServerFlightRecorder();
    r.push(record(22, Buffer.concat([serverHello12(), certificate12([Buffer.from('x')]), serverHelloDone])));
    r.push(record(20, Buffer.from([1])));
    r.push(record(22, randomBytes(40))); // the server's Finished (encrypted)
    let f = r.decode();
    expect(f.renegotiationRecords).toBeUndefined();
    expect(f.certificateRequested).toBe(false);
    r.push(record(23, randomBytes(60))); // application data
    r.push(record(22, randomBytes(40))); // an encrypted HelloRequest
    r.push(record(22, randomBytes(400))); // the renegotiation's server flight
    f = r.decode();
    expect(f.renegotiationRecords).toBe(2);
    expect(f.certificateRequested).toBe(false); // the initial handshake's, unchanged
  });

  it('stray bytes after well-formed records are kept as evidence', () => {
    const r = new ServerFlightRecorder();
    r.push(Buffer.concat([record(22, Buffer.concat([serverHello12(), serverHelloDone])), Buffer.from('9f3a0c7e11223344', 'hex')]));
    const f = r.decode();
    expect(f.certificateRequested).toBe(false);
    expect(f.trailingNonTls?.toString('hex')).toBe('9f3a0c7e11223344');
  });

  it('survives malformed messages from a hostile peer', () => {
    const r = new ServerFlightRecorder();
    // A CertificateRequest whose CA list claims more bytes than it has, then ServerHelloDone.
    const bad = hsMsg(13, Buffer.concat([vec8(Buffer.from([64])), vec16(Buffer.from([4, 3])), u16(500), Buffer.from([1, 2, 3])]));
    r.push(record(22, Buffer.concat([serverHello12(), bad, serverHelloDone])));
    const f = r.decode();
    expect(f.certificateRequested).toBe(true);
    expect(f.acceptableCaNames).toEqual([]);
  });
});

describe('peers that do not speak TLS', () => {
  it.each([
    ['HTTP', Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')],
    ['SSH', Buffer.from('SSH-2.0-OpenSSH_9.2\r\n')],
    ['binary', Buffer.from('9f3a0c7e1122334455', 'hex')],
  ])('%s: keeps the first bytes as evidence', (_name, bytes) => {
    const r = new ServerFlightRecorder();
    r.push(bytes);
    const f = r.decode();
    expect(f.spokeTls).toBe(false);
    expect(f.nonTlsPrefix).toEqual(bytes.subarray(0, 64));
    expect(f.method).toBe('unavailable');
  });

  it('reports an empty flight plainly', () => {
    const f = new ServerFlightRecorder().decode();
    expect(f).toMatchObject({ spokeTls: false, method: 'unavailable', limitation: 'the server sent no bytes' });
  });

  it('keeps at most maxBytes of a flood', () => {
    const r = new ServerFlightRecorder(1024);
    for (let i = 0; i < 100; i++) r.push(Buffer.alloc(100, 0x41));
    expect(r.bytesReceived).toBe(1024);
  });
});

describe('TLS 1.3 (handshake decrypted with the key log), captured on loopback', () => {
  let server: tls.Server;
  /** Offers only P-384: node's client sends an X25519 key share first, so every handshake starts with a HelloRetryRequest. */
  let hrrServer: tls.Server;
  let hrrServerNoAuth: tls.Server;
  let relay: net.Server;

  beforeAll(async () => {
    server = tls.createServer(
      { cert: pki.server.chainPem, key: pki.server.keyPem, ca: pki.root.certPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
      (s) => {
        s.on('error', () => {});
        s.end('hello\n');
      },
    );
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const hrr = (requestCert: boolean) => {
      const s = tls.createServer(
        {
          cert: pki.server.chainPem,
          key: pki.server.keyPem,
          ca: pki.root.certPem,
          requestCert,
          rejectUnauthorized: requestCert,
          minVersion: 'TLSv1.3',
          ecdhCurve: 'P-384',
        },
        (c) => {
          c.on('error', () => {});
          c.end('hello\n');
        },
      );
      s.on('tlsClientError', () => {});
      return s;
    };
    hrrServer = hrr(true);
    hrrServerNoAuth = hrr(false);
    await new Promise<void>((r) => hrrServer.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => hrrServerNoAuth.listen(0, '127.0.0.1', r));
    relay = net.createServer();
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await new Promise((r) => hrrServer.close(r));
    await new Promise((r) => hrrServerNoAuth.close(r));
    await new Promise((r) => relay.close(r));
  });

  /** One TLS 1.3 connection through a relay that records what the server sent; returns the bytes and key log. */
  async function capture(clientCert: boolean, target: tls.Server = server): Promise<{ bytes: Buffer; keylog: Buffer[] }> {
    const serverPort = (target.address() as net.AddressInfo).port;
    const chunks: Buffer[] = [];
    const relayed = new Promise<void>((resolve) => {
      relay.once('connection', (c) => {
        const upstream = net.connect(serverPort, '127.0.0.1');
        upstream.on('data', (d: Buffer) => chunks.push(Buffer.from(d)));
        c.on('error', () => {});
        upstream.on('error', () => {});
        c.pipe(upstream).pipe(c);
        upstream.on('close', () => {
          c.destroy();
          resolve();
        });
      });
    });
    const keylog: Buffer[] = [];
    const sock = tls.connect({
      host: '127.0.0.1',
      port: (relay.address() as net.AddressInfo).port,
      servername: 'localhost',
      ca: pki.root.certPem,
      ...(clientCert ? { cert: pki.client.chainPem, key: pki.client.keyPem } : {}),
    });
    sock.on('keylog', (l) => keylog.push(l));
    sock.on('error', () => {});
    sock.resume();
    await new Promise<void>((r) => sock.once('close', () => r()));
    await relayed;
    return { bytes: Buffer.concat(chunks), keylog };
  }

  it('with the key log: CertificateRequest, CA names, the sent chain and the session ticket', async () => {
    const { bytes, keylog } = await capture(true);
    const r = new ServerFlightRecorder();
    r.push(bytes);
    for (const l of keylog) r.addKeylogLine(l);
    const f = r.decode();
    expect(f).toMatchObject({ spokeTls: true, version: 'TLSv1.3', certificateRequested: true, method: 'tls1.3-keylog', sessionTicket: true });
    expect(f.limitation).toBeUndefined();
    expect(f.acceptableCaNames.map(nameOf)).toEqual([pki.root.cert.subject]);
    expect(f.acceptableCaNames).toEqual([rootName]);
    // node's (OpenSSL's) default schemes, read from the encrypted CertificateRequest: ECDSA P-256, RSA-PSS, Ed25519 among them.
    expect(f.certificateRequest?.signatureAlgorithms).toEqual(expect.arrayContaining([0x0403, 0x0804, 0x0807]));
    expect(f.certificates.map((d) => new X509Certificate(d).subject)).toEqual(
      [pki.server.certPem, pki.intermediate.certPem].map((p) => new X509Certificate(p).subject),
    );
    expect(f.appDataPrefix?.toString()).toBe('hello\n');
    expect(f.alerts.filter((a) => a.code !== 0)).toEqual([]);
  });

  it('without a client certificate: decrypts the post-handshake alert 116', async () => {
    const { bytes, keylog } = await capture(false);
    const r = new ServerFlightRecorder();
    r.push(bytes);
    for (const l of keylog) r.addKeylogLine(l);
    const f = r.decode();
    expect(f.certificateRequested).toBe(true);
    expect(f.sessionTicket).toBe(false);
    expect(f.alerts).toContainEqual({ code: 116, name: 'certificate_required', level: 2 });
  });

  it('without the key log: says why it cannot tell', async () => {
    const { bytes } = await capture(true);
    const r = new ServerFlightRecorder();
    r.push(bytes);
    const f = r.decode();
    expect(f.version).toBe('TLSv1.3');
    expect(f.certificateRequested).toBeUndefined();
    expect(f.method).toBe('unavailable');
    expect(f.limitation).toMatch(/no handshake traffic secret in the key log/);
  });

  it('with a wrong secret: says the record failed to decrypt', async () => {
    const { bytes, keylog } = await capture(true);
    const r = new ServerFlightRecorder();
    r.push(bytes);
    for (const l of keylog) {
      const [label, random, secret] = l.toString('latin1').trim().split(' ');
      r.addKeylogLine(`${label} ${random} ${label === 'SERVER_HANDSHAKE_TRAFFIC_SECRET' ? '00'.repeat(Buffer.from(secret!, 'hex').length) : secret}`);
    }
    const f = r.decode();
    expect(f.method).toBe('unavailable');
    expect(f.limitation).toBe('a TLS 1.3 record failed to decrypt with the logged secret');
  });

  it('a HelloRetryRequest (server offers only P-384): the compatibility CCS does not stop the decoder, the CertificateRequest is read', async () => {
    const { bytes, keylog } = await capture(true, hrrServer);
    // The recording really starts with an HRR: ServerHello whose random is the RFC 8446 constant.
    expect(bytes.subarray(11, 43).toString('hex')).toBe('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');
    const r = new ServerFlightRecorder();
    r.push(bytes);
    for (const l of keylog) r.addKeylogLine(l);
    const f = r.decode();
    expect(f).toMatchObject({
      spokeTls: true,
      serverHello: true,
      helloRetryRequest: true,
      version: 'TLSv1.3',
      certificateRequested: true,
      method: 'tls1.3-keylog',
      sessionTicket: true,
      flightComplete: true,
    });
    expect(f.limitation).toBeUndefined();
    expect(f.acceptableCaNames.map(nameOf)).toEqual([pki.root.cert.subject]);
    expect(f.certificates).toHaveLength(2);
    expect(f.appDataPrefix?.toString()).toBe('hello\n');
  });

  it('a HelloRetryRequest from a server that asks for no certificate: certificateRequested false', async () => {
    const { bytes, keylog } = await capture(false, hrrServerNoAuth);
    const r = new ServerFlightRecorder();
    r.push(bytes);
    for (const l of keylog) r.addKeylogLine(l);
    const f = r.decode();
    expect(f).toMatchObject({
      serverHello: true,
      helloRetryRequest: true,
      version: 'TLSv1.3',
      certificateRequested: false,
      method: 'tls1.3-keylog',
      sessionTicket: true,
    });
    expect(f.postHandshakeCertificateRequest).toBeUndefined();
  });

  describe('TLS 1.2 renegotiation started by a node server (tlsSocket.renegotiate), decrypted with CLIENT_RANDOM', () => {
    const servers: tls.Server[] = [];
    afterAll(async () => {
      await Promise.all(servers.map((x) => new Promise((r) => x.close(r))));
    });
    /** `resume`: node resumes the session on renegotiation unless told not to (then no CertificateRequest can come). */
    async function renegotiating(requestCert: boolean, resume = false): Promise<tls.Server> {
      const s = tls.createServer(
        {
          cert: pki.server.chainPem,
          key: pki.server.keyPem,
          ca: pki.root.certPem,
          maxVersion: 'TLSv1.2',
          ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
          ...(resume ? {} : { secureOptions: constants.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION }),
        },
        (c) => {
          c.on('error', () => {});
          c.write('before\n', () => c.renegotiate({ requestCert, rejectUnauthorized: false }, () => c.end('after\n')));
        },
      );
      s.on('tlsClientError', () => {});
      servers.push(s);
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return s;
    }

    it.each([
      [true, false, true],
      [false, false, false],
      [true, true, false],
    ])(
      "requestCert %s, resumed %s: HelloRequest and the renegotiation's CertificateRequest (%s) read from the encrypted records",
      async (requestCert, resume, expected) => {
        const { bytes, keylog } = await capture(true, await renegotiating(requestCert, resume));
        expect(keylog.filter((l) => l.toString().startsWith('CLIENT_RANDOM '))).toHaveLength(2);
        const r = new ServerFlightRecorder();
        r.push(bytes);
        for (const l of keylog) r.addKeylogLine(l);
        const f = r.decode();
        expect(f).toMatchObject({
          version: 'TLSv1.2',
          certificateRequested: false,
          method: 'tls1.2-plaintext',
          renegotiation: { helloRequest: true, serverHello: true, certificateRequested: expected },
        });
        expect(f.renegotiationRecords).toBeGreaterThanOrEqual(2);
        expect(f.appDataPrefix?.toString()).toBe('before\n');
      },
    );

    it('without the key log (or with a wrong master secret): only the outer record types say a renegotiation happened', async () => {
      const { bytes, keylog } = await capture(true, await renegotiating(true));
      for (const lines of [
        [],
        keylog.map((l) =>
          l
            .toString()
            .trim()
            .replace(/ [0-9a-f]+$/i, ` ${'00'.repeat(48)}`),
        ),
      ]) {
        const r = new ServerFlightRecorder();
        r.push(bytes);
        for (const l of lines) r.addKeylogLine(l);
        const f = r.decode();
        expect(f.certificateRequested).toBe(false);
        expect(f.renegotiation).toBeUndefined();
        expect(f.renegotiationRecords).toBeGreaterThanOrEqual(2);
        expect(f.appDataPrefix).toBeUndefined();
      }
    });
  });
});
