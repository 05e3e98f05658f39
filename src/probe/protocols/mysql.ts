/**
 * mysql (MySQL and MariaDB): the server speaks first. Its Initial Handshake (protocol 10) must offer
 * CLIENT_SSL; the client answers with an SSLRequest packet, then TLS; after the handshake, a
 * HandshakeResponse41 with the user and an empty password
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html).
 * An OK packet is served; a request for a password (auth switch, more data) is served too
 * (docs/protocols.md "Asked for a password"); ERR 1045 and SQLSTATE class 28 are refusals at the
 * MySQL layer; too many connections and a blocked host are unreachable.
 */
import type * as net from 'node:net';
import type { ApplicationEvidence } from '../rejection.js';
import type { AppVerdict, ProtocolModule, StartTlsResult } from './types.js';
import { endedHow, noTls, plainExchange, refused, served, serverText, unavailable, type PlainEnd } from './wire.js';

export const CLIENT_LONG_PASSWORD = 0x1;
export const CLIENT_PROTOCOL_41 = 0x200;
export const CLIENT_SSL = 0x800;
export const CLIENT_SECURE_CONNECTION = 0x8000;
export const CLIENT_PLUGIN_AUTH = 0x80000;

/** A packet longer than this is not a greeting or a login answer. */
const PACKET_MAX = 16 * 1024;

/** What the server's greeting said. */
export interface Greeting {
  /** The packet's sequence number (the client answers with the next). */
  seq: number;
  version: string;
  capabilities: number;
  charset: number;
}

/** An ERR packet: error number, SQLSTATE (when marked with `#`), message. */
export interface ErrPacket {
  code: number;
  sqlstate?: string;
  message: string;
}

/** One packet of a buffer: its payload and sequence, `incomplete`, or `invalid` (a length no MySQL answer has). */
export function packetAt(b: Buffer, off: number): { payload: Buffer; seq: number; next: number } | 'incomplete' | 'invalid' {
  if (b.length < off + 4) return 'incomplete';
  const len = b.readUIntLE(off, 3);
  if (len === 0 || len > PACKET_MAX) return 'invalid';
  if (b.length < off + 4 + len) return 'incomplete';
  return { payload: b.subarray(off + 4, off + 4 + len), seq: b[off + 3]!, next: off + 4 + len };
}

/** An ERR packet's payload (0xFF first), read defensively. */
export function parseErr(p: Buffer): ErrPacket {
  const code = p.length >= 3 ? p.readUInt16LE(1) : 0;
  let rest = p.subarray(3);
  let sqlstate: string | undefined;
  if (rest[0] === 0x23 /* # */ && rest.length >= 6) {
    const s = rest.subarray(1, 6).toString('latin1');
    if (/^[0-9A-Z]{5}$/.test(s)) sqlstate = s;
    rest = rest.subarray(6);
  }
  return { code, ...(sqlstate ? { sqlstate } : {}), message: serverText(rest) };
}

/** "ERR 1045 (28000) Access denied for user …". */
export function errLine(e: ErrPacket): string {
  return `ERR ${e.code}${e.sqlstate ? ` (${e.sqlstate})` : ''} ${e.message}`;
}

/** The Initial Handshake packet (protocol 10); undefined when it is not one. */
export function parseGreeting(p: Buffer, seq: number): Greeting | undefined {
  if (p[0] !== 10) return undefined;
  const nul = p.indexOf(0, 1);
  if (nul < 0 || nul > 200) return undefined;
  const version = serverText(p.subarray(1, nul), 100);
  let off = nul + 1 + 4 + 8 + 1; // connection id, auth-plugin-data part 1, filler
  if (p.length < off + 2) return undefined;
  let capabilities = p.readUInt16LE(off);
  off += 2;
  let charset = 0;
  if (p.length >= off + 5) {
    charset = p[off]!;
    capabilities = (capabilities | (p.readUInt16LE(off + 3) << 16)) >>> 0;
  }
  return { seq, version, capabilities, charset };
}

/** The capabilities the client claims: protocol 4.1, TLS, secure connection, and plugin auth when the server has it. */
export function clientCapabilities(g: Greeting): number {
  return (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION | (g.capabilities & CLIENT_PLUGIN_AUTH)) >>> 0;
}

function packet(seq: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUIntLE(payload.length, 0, 3);
  head[3] = seq & 0xff;
  return Buffer.concat([head, payload]);
}

/** The fixed part of SSLRequest and HandshakeResponse41: capabilities, max packet, charset, 23 zero bytes. */
function fixedPart(g: Greeting): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(clientCapabilities(g), 0);
  b.writeUInt32LE(16 * 1024 * 1024, 4);
  b[8] = g.charset || 33; // the server's default, else utf8_general_ci
  return b;
}

/** SSLRequest: the fixed part alone, sequence after the greeting's. */
export function sslRequest(g: Greeting): Buffer {
  return packet(g.seq + 1, fixedPart(g));
}

/** HandshakeResponse41 over TLS: the user, an empty auth response, `mysql_native_password` when plugin auth is on. */
export function handshakeResponse(g: Greeting, user: string): Buffer {
  const plugin = clientCapabilities(g) & CLIENT_PLUGIN_AUTH ? Buffer.from('mysql_native_password\0') : Buffer.alloc(0);
  return packet(g.seq + 2, Buffer.concat([fixedPart(g), Buffer.from(`${user}\0`, 'utf8'), Buffer.from([0]), plugin]));
}

/** ERR codes that say the server cannot take a connection now (1040 too many connections, 1129 host blocked, 1203, 1226 limits). */
const UNAVAILABLE = new Set([1040, 1129, 1203, 1226]);

/** What the greeting (or an ERR in its place) means; on success the SSLRequest is written at once. */
export function readGreeting(
  buffered: Buffer,
  end: PlainEnd | undefined,
  raw: Pick<net.Socket, 'write'>,
  onGreeting: (g: Greeting) => void,
): StartTlsResult | undefined {
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'mysql', ...more });
  const pk = packetAt(buffered, 0);
  if (pk === 'invalid')
    return noTls(
      `the server's first bytes are not a MySQL packet (0x${buffered.subarray(0, 8).toString('hex')}, "${serverText(buffered.subarray(0, 40), 40)}"): it is not a MySQL server`,
      app(),
    );
  if (pk === 'incomplete') {
    if (!end) return undefined;
    const what = buffered.length === 0 ? 'without a greeting' : 'in the middle of its greeting';
    return noTls(
      `the server ${endedHow(end)} ${what}: it is not a MySQL server, or it refuses this client before TLS`,
      app(),
      end.code === 'ECONNRESET' ? 'reset' : 'starttls',
    );
  }
  const p = pk.payload;
  if (p[0] === 0xff) {
    const e = parseErr(p);
    const evidence = app({ code: String(e.code), message: errLine(e) });
    return noTls(`the server refused the connection before TLS: ${errLine(e)}`, evidence, UNAVAILABLE.has(e.code) ? 'unavailable' : 'starttls');
  }
  const g = parseGreeting(p, pk.seq);
  if (!g) return noTls(`the server's first packet is not a MySQL greeting (protocol ${p[0]}): it is not a MySQL server this client speaks to`, app());
  const server = { server: g.version };
  if (!(g.capabilities & CLIENT_PROTOCOL_41)) return noTls(`the server (${g.version}) speaks a protocol older than MySQL 4.1`, app(server));
  if (!(g.capabilities & CLIENT_SSL))
    return noTls(`the server (${g.version}) does not offer TLS (no CLIENT_SSL in its greeting): TLS is not enabled on this MySQL/MariaDB server`, app(server));
  if (pk.next < buffered.length)
    return noTls(
      `the server sent ${buffered.length - pk.next} more plaintext bytes after its greeting, before the TLS handshake: a MySQL server sends none there (injected bytes?)`,
      app(server),
    );
  onGreeting(g);
  raw.write(sslRequest(g));
  return { ok: true, evidence: app({ ...server, startTls: 'the greeting offered CLIENT_SSL; SSLRequest sent' }) };
}

/** What the server's answer to the HandshakeResponse41 means (after TLS). */
export function readLogin(buffered: Buffer, ended: boolean, user: string): AppVerdict | undefined {
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'mysql', user: serverText(Buffer.from(user), 128), ...more });
  const password = (what: string) =>
    served(
      `the MySQL server asked for a password (${what}): the certificate is not what admits this client, and the server did not refuse it for lack of one`,
      app({ message: what }),
    );
  let off = 0;
  for (;;) {
    const pk = packetAt(buffered, off);
    if (pk === 'invalid')
      return served(
        `the server completed the handshake and answered, but not as MySQL does (starting 0x${buffered.subarray(off, off + 8).toString('hex')})`,
        app(),
      );
    if (pk === 'incomplete') break;
    const p = pk.payload;
    off = pk.next;
    if (p[0] === 0x00)
      return served(`the MySQL server logged the client in as "${serverText(Buffer.from(user), 80)}" without a password (OK packet)`, app({ message: 'OK' }));
    if (p[0] === 0xff) {
      const e = parseErr(p);
      const evidence = app({ code: String(e.code), message: errLine(e) });
      if (e.code === 1045 || e.sqlstate?.startsWith('28'))
        return refused(`the TLS connection was established, then the MySQL server refused the login: ${errLine(e)}`, evidence);
      if (UNAVAILABLE.has(e.code)) return unavailable(`the MySQL server could not take the connection: ${errLine(e)}`, evidence);
      return served(`the MySQL server answered the login: ${errLine(e)}`, evidence);
    }
    if (p[0] === 0xfe) {
      const nul = p.indexOf(0, 1);
      const plugin = p.length > 1 ? serverText(p.subarray(1, nul < 0 ? p.length : nul), 60) : '';
      return password(plugin ? `auth switch to ${plugin}` : 'old password authentication');
    }
    if (p[0] === 0x01) {
      if (p[1] === 0x03) continue; // caching_sha2_password fast authentication succeeded: the OK packet follows
      return password(p[1] === 0x04 ? 'caching_sha2_password full authentication' : 'more authentication data');
    }
    return served(`the MySQL server answered the login with packet 0x${p.subarray(0, 1).toString('hex')}, not an authentication answer`, app());
  }
  if (!ended || off >= buffered.length) return undefined;
  return unavailable('the MySQL answer was cut short in the middle of a packet (the connection ended, or the answer passed the read limit)', app(), 'closed');
}

export const mysql: ProtocolModule<'mysql'> = {
  name: 'mysql',
  title: 'MySQL/MariaDB',
  layer: 'MySQL',
  plaintextHttp: false,
  defaultPorts: [3306],
  // The server speaks first: a packet of sequence 0 holding a v10 handshake (0x0a) or an ERR (0xff).
  detection: {
    names: ['mysql', 'mariadb'],
    greeting: (b) => b.length >= 5 && b[3] === 0 && (b[4] === 0x0a || b[4] === 0xff) && b.readUIntLE(0, 3) > 0 && b.readUIntLE(0, 3) < 0x10000,
  },
  alpn: [],
  startsTls: 'the server greets (protocol 10, CLIENT_SSL), the client sends an SSLRequest packet',
  answer: 'MySQL answer',
  session(ctx) {
    let greeting: Greeting | undefined;
    return {
      startTls: (raw) => plainExchange(raw, undefined, (b, end) => readGreeting(b, end, raw, (g) => (greeting = g)), { protocol: 'mysql' }),
      startTlsStalled: (ms) =>
        greeting ? `the TLS handshake did not start within ${ms} ms` : `the server accepted the TCP connection but sent no MySQL greeting within ${ms} ms`,
      request: () => handshakeResponse(greeting!, ctx.appUser),
      read: (buffered, ended) => readLogin(buffered, ended, ctx.appUser),
    };
  },
  refusal: (o) => serverText(Buffer.from(o.application?.message ?? o.reason), 120),
  controlRefusedHint: (c) =>
    c.application?.protocol === 'mysql' && c.rejectedAt === 'application'
      ? `MySQL refused the valid client (${c.application.message ?? c.application.code}): the harness logged in as "${c.application.user ?? '?'}" with no password; the account must exist for this host, and REQUIRE X509 (or SUBJECT/ISSUER) must match the certificate`
      : undefined,
};
