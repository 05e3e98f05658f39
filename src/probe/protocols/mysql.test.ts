// The mysql module on bytes recorded from a real server: MariaDB 10.11.19 (Debian
// 10.11.19-MariaDB-0+deb12u1, --ssl-cert/--ssl-key/--ssl-ca, TLS 1.3), answering the harness's own
// SSLRequest and HandshakeResponse41 (empty password, mysql_native_password) for the accounts named
// on each. Bytes no MariaDB here could produce (MySQL's first-packet ERR, caching_sha2_password) are
// built from the protocol documentation and marked so. Then truncated and hostile bytes.
import { describe, expect, it } from 'vitest';
import {
  CLIENT_PLUGIN_AUTH,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  CLIENT_SSL,
  handshakeResponse,
  mysql,
  packetAt,
  parseGreeting,
  readGreeting,
  readLogin,
  sslRequest,
  type Greeting,
} from './mysql.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

/** The Initial Handshake of MariaDB 10.11.19 with TLS configured (capabilities 0x81fffffe: CLIENT_SSL set). */
const GREETING = hex(
  '640000000a352e352e352d31302e31312e31392d4d6172696144422d302b6465623132753100040000005e635973573a5c4100feff080200ff81150000000000001d0000006d23644e3972563442316a47006d7973716c5f6e61746976655f70617373776f726400',
);
/** The same server started with --skip-ssl (capabilities 0x81fff7fe: no CLIENT_SSL). */
const GREETING_NO_TLS = hex(
  '640000000a352e352e352d31302e31312e31392d4d6172696144422d302b646562313275310003000000242739295e232e5c00fef7080200ff81150000000000001d000000666d6f65305c5e42702d2e40006d7973716c5f6e61746976655f70617373776f726400',
);
/** alice (REQUIRE X509, no password) with the valid certificate: OK packet, sequence 3. */
const OK = hex('0700000300000002000000');
/** alice without a certificate. */
const DENIED = hex(
  '48000003ff15042332383030304163636573732064656e69656420666f7220757365722027616c6963652740276c6f63616c686f73742720287573696e672070617373776f72643a204e4f29',
);
/** bob (IDENTIFIED BY a password) claiming caching_sha2_password: the server switches to mysql_native_password. */
const AUTH_SWITCH = hex('2c000003fe6d7973716c5f6e61746976655f70617373776f72640063514c684664466f214f4c6d6122217d7450716700');
/** Built (MySQL 8 sends it before any greeting when max_connections is reached; no SQLSTATE: the client's capabilities are unknown). */
const TOO_MANY_FIRST = Buffer.concat([hex('170000 00 ff 1004'), Buffer.from('Too many connections')]);

function sink() {
  const written: Buffer[] = [];
  return { written, write: (b: Buffer) => (written.push(b), true) };
}

describe('mysql: the greeting and the SSLRequest', () => {
  it('reads the version and the capabilities, and answers with an SSLRequest (sequence 1) at once', () => {
    const raw = sink();
    let g: Greeting | undefined;
    const r = readGreeting(GREETING, undefined, raw, (x) => (g = x));
    expect(r).toEqual({
      ok: true,
      evidence: { protocol: 'mysql', server: '5.5.5-10.11.19-MariaDB-0+deb12u1', startTls: 'the greeting offered CLIENT_SSL; SSLRequest sent' },
    });
    expect(g).toEqual({ seq: 0, version: '5.5.5-10.11.19-MariaDB-0+deb12u1', capabilities: 0x81fffffe, charset: 8 });
    const req = raw.written[0]!;
    expect(req.length).toBe(36);
    expect(req.subarray(0, 4)).toEqual(hex('20000001'));
    const caps = req.readUInt32LE(4);
    for (const flag of [CLIENT_PROTOCOL_41, CLIENT_SSL, CLIENT_SECURE_CONNECTION, CLIENT_PLUGIN_AUTH]) expect(caps & flag).toBe(flag);
    expect(req.readUInt32LE(8)).toBe(16 * 1024 * 1024);
    expect(req[12]).toBe(8);
    expect(req.subarray(13)).toEqual(Buffer.alloc(23));
    // The HandshakeResponse41 after TLS: sequence 2, the user, an empty auth response, the plugin.
    const resp = handshakeResponse(g!, 'alice');
    expect(resp[3]).toBe(2);
    expect(resp.subarray(4, 36)).toEqual(req.subarray(4));
    expect(resp.subarray(36).toString('latin1')).toBe('alice\0\0mysql_native_password\0');
    expect(resp.readUIntLE(0, 3)).toBe(resp.length - 4);
    expect(sslRequest(g!)).toEqual(req);
  });

  it('waits for the whole greeting, and refuses bytes after it', () => {
    expect(readGreeting(GREETING.subarray(0, 50), undefined, sink(), () => {})).toBeUndefined();
    const r = readGreeting(Buffer.concat([GREETING, hex('16030100')]), undefined, sink(), () => {});
    expect(r && !r.ok && r.end.reason).toMatch(/sent 4 more plaintext bytes after its greeting/);
  });

  it('no CLIENT_SSL: "the server does not offer TLS", nothing sent', () => {
    const raw = sink();
    const r = readGreeting(GREETING_NO_TLS, undefined, raw, () => {});
    expect(r).toMatchObject({
      ok: false,
      end: { rejectedAt: 'unreachable', failure: { kind: 'starttls', phase: 'starttls' }, application: { server: '5.5.5-10.11.19-MariaDB-0+deb12u1' } },
    });
    expect(r && !r.ok && r.end.reason).toBe(
      'the server (5.5.5-10.11.19-MariaDB-0+deb12u1) does not offer TLS (no CLIENT_SSL in its greeting): TLS is not enabled on this MySQL/MariaDB server',
    );
    expect(raw.written).toEqual([]);
  });

  it("an ERR instead of a greeting ends it with the server's message (too many connections: unavailable)", () => {
    const r = readGreeting(TOO_MANY_FIRST, undefined, sink(), () => {});
    expect(r).toMatchObject({
      ok: false,
      end: {
        failure: { kind: 'unavailable', phase: 'starttls' },
        reason: 'the server refused the connection before TLS: ERR 1040 Too many connections',
        application: { code: '1040' },
      },
    });
    // Built: MariaDB's host-blocked message (1129) before the greeting.
    const blocked = Buffer.concat([Buffer.from([0x2a, 0, 0, 0, 0xff, 0x69, 0x04]), Buffer.from("Host '10.0.0.9' is blocked because of m")]);
    expect(readGreeting(blocked, undefined, sink(), () => {})).toMatchObject({ ok: false, end: { failure: { kind: 'unavailable' } } });
  });

  it('not MySQL at all, a close, a reset: classified', () => {
    const ssh = readGreeting(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'), undefined, sink(), () => {});
    expect(ssh && !ssh.ok && ssh.end.reason).toMatch(/^the server's first bytes are not a MySQL packet \(0x5353482d322e302d/);
    expect(readGreeting(Buffer.alloc(0), {}, sink(), () => {})).toMatchObject({ ok: false, end: { reason: /closed the connection without a greeting/ } });
    expect(readGreeting(GREETING.subarray(0, 30), { code: 'ECONNRESET' }, sink(), () => {})).toMatchObject({
      ok: false,
      end: { failure: { kind: 'reset' }, reason: /reset the connection in the middle of its greeting/ },
    });
    // Protocol 9, or a greeting cut before its capabilities.
    expect(parseGreeting(hex('09352e3000'), 0)).toBeUndefined();
    expect(parseGreeting(GREETING.subarray(4, 40), 0)).toBeUndefined();
    expect(readGreeting(hex('0500000009352e3000'), undefined, sink(), () => {})).toMatchObject({
      ok: false,
      end: { reason: /not a MySQL greeting \(protocol 9\)/ },
    });
  });
});

describe('mysql: the answer to the login', () => {
  it('OK is served', () => {
    expect(readLogin(OK, false, 'alice')).toMatchObject({
      rejectedAt: 'accepted',
      reason: 'the MySQL server logged the client in as "alice" without a password (OK packet)',
      application: { protocol: 'mysql', user: 'alice' },
    });
  });

  it('ERR 1045 (28000) is a refusal at the MySQL layer', () => {
    const message = "ERR 1045 (28000) Access denied for user 'alice'@'localhost' (using password: NO)";
    expect(readLogin(DENIED, false, 'alice')).toEqual({
      rejectedAt: 'application',
      reason: `the TLS connection was established, then the MySQL server refused the login: ${message}`,
      application: { protocol: 'mysql', user: 'alice', code: '1045', message },
    });
  });

  it('a request for a password is served; 1040 and 1129 are unreachable; other errors served', () => {
    expect(readLogin(AUTH_SWITCH, false, 'bob')).toMatchObject({
      rejectedAt: 'accepted',
      reason: /^the MySQL server asked for a password \(auth switch to mysql_native_password\): the certificate is not what admits this client/,
    });
    // Built (MySQL 8, caching_sha2_password): "perform full authentication"; "fast auth OK" followed by OK.
    expect(readLogin(hex('0200000201 04'), false, 'bob')).toMatchObject({
      rejectedAt: 'accepted',
      application: { message: 'caching_sha2_password full authentication' },
    });
    expect(readLogin(hex('0200000201 03'), false, 'bob')).toBeUndefined();
    expect(readLogin(Buffer.concat([hex('0200000201 03'), OK]), false, 'bob')).toMatchObject({ application: { message: 'OK' } });
    const err = (code: number, state: string, msg: string) => {
      const p = Buffer.concat([Buffer.from([0xff, code & 0xff, code >> 8]), Buffer.from(`#${state}${msg}`)]);
      return Buffer.concat([Buffer.from([p.length, 0, 0, 3]), p]);
    };
    expect(readLogin(err(1040, '08004', 'Too many connections'), false, 'a')).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'unavailable' } });
    expect(readLogin(err(1049, '42000', "Unknown database 'x'"), false, 'a')).toMatchObject({
      rejectedAt: 'accepted',
      reason: "the MySQL server answered the login: ERR 1049 (42000) Unknown database 'x'",
    });
    expect(readLogin(err(1698, '28000', "Access denied for user 'root'@'localhost'"), false, 'a')?.rejectedAt).toBe('application');
  });

  it('truncated, hostile and foreign bytes end classified, never a throw', () => {
    expect(readLogin(DENIED.subarray(0, 20), false, 'alice')).toBeUndefined();
    expect(readLogin(DENIED.subarray(0, 20), true, 'alice')).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'closed' } });
    expect(readLogin(Buffer.alloc(0), true, 'alice')).toBeUndefined();
    expect(packetAt(hex('ffffff00'), 0)).toBe('invalid');
    expect(readLogin(Buffer.from('HTTP/1.1 400 Bad Request\r\n'), false, 'alice')).toMatchObject({ rejectedAt: 'accepted', reason: /not as MySQL does/ });
    const evil = Buffer.concat([Buffer.from([0xff, 0x15, 0x04]), Buffer.from('#28000\x1b]0;pwned\x07\u202eAccess denied')]);
    const v = readLogin(Buffer.concat([Buffer.from([evil.length, 0, 0, 3]), evil]), false, 'alice');
    expect(v?.rejectedAt).toBe('application');
    expect(v?.application?.message).not.toMatch(/[\u0000-\u001f\u202e]/);
    // An ERR of one byte, a greeting of two.
    expect(readLogin(hex('010000 03 ff'), false, 'a')).toMatchObject({ rejectedAt: 'accepted', reason: /ERR 0/ });
    expect(readGreeting(hex('020000000a00'), undefined, sink(), () => {})).toMatchObject({ ok: false });
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + (i % 60) }, (_, j) => (i * 13 + j * 29) & 0xff));
      expect(() => readLogin(junk, true, 'alice')).not.toThrow();
      expect(() => readGreeting(junk, {}, sink(), () => {})).not.toThrow();
    }
  });

  it('is in the registry with port 3306, starting TLS in its own protocol', () => {
    expect(mysql.defaultPorts).toEqual([3306]);
    const s = mysql.session({ opts: { host: 'h', port: 1 }, appUser: 'alice' });
    expect(typeof s.startTls).toBe('function');
    expect(s.startTlsStalled?.(100)).toBe('the server accepted the TCP connection but sent no MySQL greeting within 100 ms');
  });
});
