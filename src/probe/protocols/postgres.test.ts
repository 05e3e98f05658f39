// The postgres module on bytes recorded from a real server: PostgreSQL 15.18 (Debian
// 15.18-0+deb12u1, initdb defaults, ssl = on, TLS 1.3), answering the harness's own SSLRequest and
// StartupMessage (user as named, database postgres, application_name mtls-harness) under the
// pg_hba.conf line named on each. Then truncated and hostile bytes: always a classified end.
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readLogin, readSslAnswer, SSL_REQUEST, startupMessage, postgres } from './postgres.js';
import { PROTOCOL_MODULES } from './index.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

/** `hostssl all all 127.0.0.1/32 cert`, a valid certificate with CN=alice, user alice: AuthenticationOk, ParameterStatus…, BackendKeyData, ReadyForQuery. */
const AUTH_OK = hex(
  `52000000080000000053000000226170706c69636174696f6e5f6e616d65006d746c732d6861726e657373005300000019636c69656e745f656e636f64696e670055544638005300000017446174655374796c650049534f2c204d445900530000002664656661756c745f7472616e73616374696f6e5f726561645f6f6e6c79006f6666005300000017696e5f686f745f7374616e646279006f6666005300000019696e74656765725f6461746574696d6573006f6e00530000001b496e74657276616c5374796c6500706f73746772657300530000001569735f737570657275736572006f66660053000000197365727665725f656e636f64696e6700555446380053000000327365727665725f76657273696f6e0031352e3138202844656269616e2031352e31382d302b646562313275312900530000002073657373696f6e5f617574686f72697a6174696f6e00616c6963650053000000237374616e646172645f636f6e666f726d696e675f737472696e6773006f6e00530000001554696d655a6f6e65004574632f555443004b0000000c0000790080a9af945a0000000549`,
);
/** `cert`, no client certificate. */
const NO_CERT = hex(
  '450000006d53464154414c0056464154414c00433238303030004d636f6e6e656374696f6e20726571756972657320612076616c696420636c69656e742063657274696669636174650046617574682e63004c3432380052436c69656e7441757468656e7469636174696f6e0000',
);
/** `cert`, the valid certificate (CN=alice) logging in as bob. */
const WRONG_USER = hex(
  '450000006653464154414c0056464154414c00433238303030004d63657274696669636174652061757468656e7469636174696f6e206661696c656420666f7220757365722022626f62220046617574682e63004c3333340052617574685f6661696c65640000',
);
/** Only `hostssl all bob … trust`: user alice has no line. */
const NO_HBA_ENTRY = hex(
  '450000009b53464154414c0056464154414c00433238303030004d6e6f2070675f6862612e636f6e6620656e74727920666f7220686f737420223132372e302e302e31222c20757365722022616c696365222c2064617461626173652022706f737467726573222c2053534c20656e6372797074696f6e0046617574682e63004c3534340052436c69656e7441757468656e7469636174696f6e0000',
);
/** `scram-sha-256`: AuthenticationSASL with its mechanisms. */
const SASL = hex('520000002a0000000a534352414d2d5348412d3235362d504c555300534352414d2d5348412d3235360000');
/** `password`: AuthenticationCleartextPassword. */
const CLEARTEXT = hex('520000000800000003');
/** max_connections = 1 with one session open. */
const TOO_MANY = hex(
  '450000005553464154414c0056464154414c00433533333030004d736f7272792c20746f6f206d616e7920636c69656e747320616c7265616479004670726f632e63004c3335370052496e697450726f636573730000',
);
/** `cert`, database nodb: logged in, then the database is missing. */
const NO_DATABASE = hex(
  '520000000800000000450000005953464154414c0056464154414c00433344303030004d646174616261736520226e6f64622220646f6573206e6f742065786973740046706f7374696e69742e63004c3934380052496e6974506f7374677265730000',
);

describe('postgres: the SSLRequest', () => {
  it('is the 8 bytes of the protocol, and the StartupMessage is 3.0 with the user', () => {
    expect(SSL_REQUEST.toString('hex')).toBe('0000000804d2162f');
    const m = startupMessage('alice');
    expect(m.readInt32BE(0)).toBe(m.length);
    expect(m.readInt32BE(4)).toBe(196608);
    expect(m.subarray(8).toString()).toBe('user\0alice\0database\0postgres\0application_name\0mtls-harness\0\0');
  });

  it('S starts TLS; N (ssl = off) and anything else end it, classified', () => {
    expect(readSslAnswer(hex('53'), undefined)).toEqual({ ok: true, evidence: { protocol: 'postgres', startTls: 'SSLRequest answered S' } });
    const n = readSslAnswer(hex('4e'), undefined);
    expect(n).toMatchObject({ ok: false, end: { rejectedAt: 'unreachable', failure: { kind: 'starttls', phase: 'starttls' } } });
    expect(n && !n.ok && n.end.reason).toBe('the server answered N to the SSLRequest: TLS is not enabled on this PostgreSQL server (ssl = off)');
    // An HTTP server on the port.
    const h = readSslAnswer(Buffer.from('HTTP/1.1 400 Bad Request\r\n'), undefined);
    expect(h && !h.ok && h.end.reason).toMatch(
      /^the server answered the SSLRequest with 0x485454502f312e31 \("HTTP\/1\.1 400 Bad Request\?\?"\): it is not a PostgreSQL server$/,
    );
  });

  it('bytes after the S, before TLS, are refused (plaintext injection)', () => {
    const r = readSslAnswer(hex('53 16 03 01'), undefined);
    expect(r && !r.ok && r.end.reason).toMatch(/sent 3 more plaintext bytes before the TLS handshake/);
  });

  it('an E is read to its end (an ErrorResponse), or as a bare message from an old server', () => {
    expect(readSslAnswer(TOO_MANY.subarray(0, 20), undefined)).toBeUndefined();
    const r = readSslAnswer(TOO_MANY, undefined);
    expect(r).toMatchObject({ ok: false, end: { application: { code: '53300', message: 'FATAL 53300 sorry, too many clients already' } } });
    const old = readSslAnswer(Buffer.from('EUnsupported frontend protocol\0'), {});
    expect(old && !old.ok && old.end.reason).toBe('the server answered the SSLRequest with an error: Unsupported frontend protocol?');
  });

  it('a close or reset with no answer is classified (reset keeps its kind)', () => {
    expect(readSslAnswer(Buffer.alloc(0), undefined)).toBeUndefined();
    expect(readSslAnswer(Buffer.alloc(0), {})).toMatchObject({
      ok: false,
      end: { failure: { kind: 'starttls' }, reason: /closed the connection on the SSLRequest without answering/ },
    });
    expect(readSslAnswer(Buffer.alloc(0), { code: 'ECONNRESET' })).toMatchObject({ ok: false, end: { failure: { kind: 'reset' } } });
  });
});

describe('postgres: the answer to the login', () => {
  it('AuthenticationOk is served', () => {
    expect(readLogin(AUTH_OK, false, 'alice')).toMatchObject({
      rejectedAt: 'accepted',
      reason: 'the PostgreSQL server logged the client in as "alice" without asking for a password (AuthenticationOk)',
      application: { protocol: 'postgres', user: 'alice', message: 'AuthenticationOk' },
    });
    // The first message alone decides; the rest need not have arrived.
    expect(readLogin(AUTH_OK.subarray(0, 9), false, 'alice')?.rejectedAt).toBe('accepted');
    expect(readLogin(AUTH_OK.subarray(0, 8), false, 'alice')).toBeUndefined();
  });

  it('SQLSTATE class 28 is a refusal at the PostgreSQL layer, with its code and message', () => {
    for (const [bytes, message] of [
      [NO_CERT, 'FATAL 28000 connection requires a valid client certificate'],
      [WRONG_USER, 'FATAL 28000 certificate authentication failed for user "bob"'],
      [NO_HBA_ENTRY, 'FATAL 28000 no pg_hba.conf entry for host "127.0.0.1", user "alice", database "postgres", SSL encryption'],
    ] as const) {
      expect(readLogin(bytes, false, 'alice')).toEqual({
        rejectedAt: 'application',
        reason: `the TLS connection was established, then the PostgreSQL server refused the login: ${message}`,
        application: { protocol: 'postgres', user: 'alice', code: '28000', message },
      });
    }
  });

  it('a request for a password is served, saying the certificate is not what admits the client', () => {
    expect(readLogin(SASL, false, 'alice')).toMatchObject({
      rejectedAt: 'accepted',
      reason:
        /^the PostgreSQL server asked for a password \(AuthenticationSASL SCRAM-SHA-256-PLUS, SCRAM-SHA-256\): the certificate is not what admits this client/,
    });
    expect(readLogin(CLEARTEXT, false, 'alice')).toMatchObject({ rejectedAt: 'accepted', application: { message: 'AuthenticationCleartextPassword' } });
  });

  it('too many connections is unreachable; an error after the login is served', () => {
    expect(readLogin(TOO_MANY, false, 'alice')).toMatchObject({
      rejectedAt: 'unreachable',
      failure: { kind: 'unavailable', phase: 'exchange' },
      application: { code: '53300' },
    });
    expect(readLogin(NO_DATABASE, false, 'alice')?.rejectedAt).toBe('accepted');
    expect(readLogin(NO_DATABASE.subarray(9), false, 'alice')).toMatchObject({
      rejectedAt: 'accepted',
      reason: 'the PostgreSQL server answered the login: FATAL 3D000 database "nodb" does not exist',
    });
  });

  it('truncated, hostile and foreign bytes end classified, never a throw', () => {
    // Cut in the middle of the ErrorResponse: more is needed; at the end, a truncated message.
    expect(readLogin(NO_CERT.subarray(0, 40), false, 'alice')).toBeUndefined();
    expect(readLogin(NO_CERT.subarray(0, 40), true, 'alice')).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'closed' } });
    // Nothing at all: the TLS rules decide (an alert, a close).
    expect(readLogin(Buffer.alloc(0), true, 'alice')).toBeUndefined();
    // A length of 2 GiB.
    expect(readLogin(hex('457fffffff53'), false, 'alice')).toMatchObject({ rejectedAt: 'accepted', reason: /not as PostgreSQL does/ });
    // Control characters and an escape sequence in the message, no terminator anywhere.
    const body = Buffer.concat([Buffer.from('SFATAL\0C28000\0M\x1b[31mred\u202e\r\nline'), Buffer.from([0xff, 0xfe])]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length + 4);
    const v = readLogin(Buffer.concat([Buffer.from('E'), len, body]), false, 'alice');
    expect(v?.rejectedAt).toBe('application');
    expect(v?.application?.message).not.toMatch(/[\u0000-\u001f\u202e]/);
    // A huge message is bounded.
    const long = Buffer.concat([Buffer.from('SFATAL\0C28000\0M'), Buffer.alloc(10_000, 0x41), Buffer.from('\0\0')]);
    len.writeUInt32BE(long.length + 4);
    expect(readLogin(Buffer.concat([Buffer.from('E'), len, long]), false, 'alice')?.application?.message?.length).toBeLessThanOrEqual(241);
    // An SQLSTATE that is not one is not taken as a code.
    const odd = Buffer.from('SFATAL\0C2\u00ff\0Mx\0\0', 'latin1');
    len.writeUInt32BE(odd.length + 4);
    expect(readLogin(Buffer.concat([Buffer.from('E'), len, odd]), false, 'alice')).toMatchObject({
      rejectedAt: 'accepted',
      application: { message: 'FATAL x' },
    });
    // Random bytes.
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + (i % 40) }, (_, j) => (i * 31 + j * 17) & 0xff));
      expect(() => readLogin(junk, true, 'alice')).not.toThrow();
      expect(() => readSslAnswer(junk, {})).not.toThrow();
    }
  });
});

describe('postgres: the module', () => {
  const servers: net.Server[] = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  /** A loopback peer that answers the SSLRequest with recorded bytes. */
  async function peer(answer: Buffer, extra?: Buffer): Promise<number> {
    const server = net.createServer((c) => {
      c.once('data', (d) => {
        expect(d).toEqual(SSL_REQUEST);
        c.write(answer);
        if (extra) setTimeout(() => c.write(extra), 20);
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as net.AddressInfo).port;
  }

  it('startTls on a socket: S leaves it paused with nothing read past the S; N ends classified', async () => {
    const session = postgres.session({ opts: { host: '127.0.0.1', port: 1 }, appUser: 'alice' });
    const sock = net.connect(await peer(hex('53')), '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const r = await session.startTls!(sock);
    expect(r).toEqual({ ok: true, evidence: { protocol: 'postgres', startTls: 'SSLRequest answered S' } });
    expect(sock.isPaused()).toBe(true);
    expect(sock.listenerCount('data')).toBe(0);
    sock.destroy();
    const sock2 = net.connect(await peer(hex('4e')), '127.0.0.1');
    await new Promise((r) => sock2.once('connect', r));
    expect(await session.startTls!(sock2)).toMatchObject({ ok: false, end: { failure: { kind: 'starttls' } } });
    sock2.destroy();
    expect(session.startTlsStalled?.(5000)).toBe('the server accepted the TCP connection but did not answer the PostgreSQL SSLRequest within 5000 ms');
    expect(postgres.refusal({ application: { protocol: 'postgres', message: 'FATAL 28000 connection requires a valid client certificate' } } as never)).toBe(
      'FATAL 28000 connection requires a valid client certificate',
    );
  });

  it('is in the registry under its name, with its port and no ALPN', () => {
    expect(PROTOCOL_MODULES.postgres).toBe(postgres);
    expect(postgres.defaultPorts).toContain(5432);
    expect(postgres.alpn).toEqual([]);
  });
});
