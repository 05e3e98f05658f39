/**
 * The requests that start TLS on a database port, for the reference servers' readiness check (and
 * the tests' handshakes): PostgreSQL's SSLRequest and MySQL/MariaDB's SSL request packet. Only how
 * TLS starts: what the application answers after it is the probe's (issue 18's protocol registry).
 */
import * as net from 'node:net';
import type { StartTls } from './types.js';

/**
 * The database user of the PostgreSQL and MariaDB references (no password: the client certificate
 * and TLS are what they check). PostgreSQL: the cluster's superuser, database `postgres`.
 */
export const REFERENCE_DB_USER = 'mtls-harness';

/** PostgreSQL's SSLRequest: length 8, code 80877103 (1234 << 16 | 5679). The server answers one byte, `S` (TLS follows) or `N`. */
const PG_SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** MySQL capability flags of the SSL request: CLIENT_LONG_PASSWORD, CLIENT_PROTOCOL_41, CLIENT_SSL, CLIENT_SECURE_CONNECTION. */
const MYSQL_CLIENT_CAPS = 0x1 | 0x200 | 0x800 | 0x8000;
const MYSQL_CLIENT_SSL = 0x800;

/** The SSL request packet (sequence 1): capabilities, max packet size, utf8mb4, 23 zero bytes. */
function mysqlSslRequest(): Buffer {
  const payload = Buffer.alloc(32);
  payload.writeUInt32LE(MYSQL_CLIENT_CAPS, 0);
  payload.writeUInt32LE(16 * 1024 * 1024, 4);
  payload[8] = 45;
  return Buffer.concat([Buffer.from([32, 0, 0, 1]), payload]);
}

/** The server's capability flags (lower 16 bits) from a Handshake v10 packet's payload, or why it is no handshake. */
function mysqlGreeting(payload: Buffer): { caps: number } | { error: string } {
  if (payload[0] === 0xff) return { error: `error packet ${payload.readUInt16LE(1)}: ${payload.subarray(payload[3] === 0x23 ? 9 : 3).toString('utf8')}` };
  if (payload[0] !== 10) return { error: `protocol version ${payload[0]}, not 10` };
  const end = payload.indexOf(0, 1);
  const at = end + 1 + 4 + 8 + 1;
  if (end < 0 || payload.length < at + 2) return { error: 'a truncated greeting' };
  return { caps: payload.readUInt16LE(at) };
}

/**
 * Connects and speaks `protocol`'s request for TLS; resolves with the socket the ClientHello goes
 * on, or rejects with what the server said instead.
 */
export function startTlsSocket(host: string, port: number, protocol: StartTls, timeoutMs = 3000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let got = Buffer.alloc(0);
    const fail = (why: string) => {
      s.destroy();
      reject(new Error(`${protocol} at ${host}:${port}: ${why}`));
    };
    const done = () => {
      s.removeAllListeners('data');
      s.removeAllListeners('error');
      s.setTimeout(0);
      resolve(s);
    };
    s.setTimeout(timeoutMs, () => fail('no answer'));
    s.once('error', (e) => fail(e.message));
    s.once('close', () => fail('closed the connection'));
    if (protocol === 'postgres') s.once('connect', () => s.write(PG_SSL_REQUEST));
    s.on('data', (b: Buffer) => {
      got = Buffer.concat([got, b]);
      if (protocol === 'postgres') {
        if (got[0] !== 0x53)
          return fail(got[0] === 0x4e ? 'SSLRequest refused (N): the server does not do TLS' : `unexpected answer to SSLRequest: 0x${got[0]!.toString(16)}`);
        if (got.length > 1) return fail('data after S');
        s.removeAllListeners('close');
        return done();
      }
      if (got.length < 4 || got.length < 4 + got.readUIntLE(0, 3)) return;
      const greeting = mysqlGreeting(got.subarray(4, 4 + got.readUIntLE(0, 3)));
      if ('error' in greeting) return fail(greeting.error);
      if (!(greeting.caps & MYSQL_CLIENT_SSL)) return fail('the server does not offer TLS (no CLIENT_SSL)');
      s.removeAllListeners('close');
      s.write(mysqlSslRequest(), () => done());
    });
  });
}
