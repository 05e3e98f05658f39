/**
 * postgres: the SSLRequest before TLS, the StartupMessage after it (protocol 3.0,
 * https://www.postgresql.org/docs/current/protocol-flow.html). The server's first answer to the
 * login decides: AuthenticationOk is served; a request for a password is served too (the server
 * did not refuse the client for its certificate: docs/protocols.md "Asked for a password"); an
 * ErrorResponse of SQLSTATE class 28 is a refusal at the PostgreSQL layer; too many connections
 * and "starting up" are unreachable; any other error answered the client after its login.
 */
import type { ApplicationEvidence } from '../rejection.js';
import type { AppVerdict, ProtocolModule, StartTlsResult } from './types.js';
import { endedHow, noTls, plainExchange, refused, served, serverText, unavailable } from './wire.js';

/** SSLRequest: length 8, code 80877103 (1234 << 16 | 5679). */
export const SSL_REQUEST = Buffer.from('0000000804d2162f', 'hex');

/** A backend message longer than this is not PostgreSQL's answer to a login. */
const MESSAGE_MAX = 64 * 1024;

/** The StartupMessage of protocol 3.0: user, database, application_name. */
export function startupMessage(user: string, database = 'postgres'): Buffer {
  const params = Buffer.from(`user\0${user}\0database\0${database}\0application_name\0mtls-harness\0\0`, 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4); // 3.0
  return Buffer.concat([head, params]);
}

/** The fields of an ErrorResponse or NoticeResponse body: type byte → value (bounded, never throws). */
export function errorFields(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < body.length && body[off] !== 0 && out.size < 32) {
    const type = String.fromCharCode(body[off]!);
    const end = body.indexOf(0, off + 1);
    if (end < 0) {
      out.set(type, serverText(body.subarray(off + 1)));
      break;
    }
    out.set(type, serverText(body.subarray(off + 1, end)));
    off = end + 1;
  }
  return out;
}

/** An ErrorResponse in one line ("FATAL 28000 connection requires a valid client certificate") with its SQLSTATE. */
export function describeError(body: Buffer): { code?: string; message: string } {
  const f = errorFields(body);
  const code = f.get('C');
  const sqlstate = code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const message = [f.get('V') ?? f.get('S'), sqlstate, f.get('M') ?? '(no message)'].filter(Boolean).join(' ');
  return { ...(sqlstate ? { code: sqlstate } : {}), message: serverText(Buffer.from(message), 240) };
}

/** The authentication request codes of an `R` message, named. */
const AUTH_REQUESTS: Readonly<Record<number, string>> = {
  2: 'AuthenticationKerberosV5',
  3: 'AuthenticationCleartextPassword',
  5: 'AuthenticationMD5Password',
  7: 'AuthenticationGSS',
  9: 'AuthenticationSSPI',
  10: 'AuthenticationSASL',
};

/** SQLSTATEs (and classes) that say the server cannot take a connection now: not a verdict on the client. */
function unavailableState(code: string | undefined): boolean {
  return !!code && (code.startsWith('53') || code.startsWith('57') || code.startsWith('08'));
}

/** What the server's answer to the StartupMessage means (after TLS). */
export function readLogin(buffered: Buffer, ended: boolean, user: string): AppVerdict | undefined {
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'postgres', user: serverText(Buffer.from(user), 128), ...more });
  let off = 0;
  while (off + 5 <= buffered.length) {
    const type = String.fromCharCode(buffered[off]!);
    const len = buffered.readUInt32BE(off + 1);
    if (len < 4 || len > MESSAGE_MAX || !/[A-Za-z]/.test(type)) {
      return served(
        `the server completed the handshake and answered, but not as PostgreSQL does (starting 0x${buffered.subarray(off, off + 8).toString('hex')})`,
        app(),
      );
    }
    if (off + 1 + len > buffered.length) break;
    const body = buffered.subarray(off + 5, off + 1 + len);
    off += 1 + len;
    if (type === 'R') {
      if (body.length < 4) return served('the server completed the handshake and answered with a malformed authentication message', app());
      const code = body.readUInt32BE(0);
      if (code === 0)
        return served(
          `the PostgreSQL server logged the client in as "${serverText(Buffer.from(user), 80)}" without asking for a password (AuthenticationOk)`,
          app({ message: 'AuthenticationOk' }),
        );
      const name = AUTH_REQUESTS[code] ?? `authentication request ${code}`;
      const mechanisms = code === 10 ? ` ${serverText(body.subarray(4), 80).split('?').filter(Boolean).join(', ')}` : '';
      return served(
        `the PostgreSQL server asked for a password (${name}${mechanisms}): the certificate is not what admits this client, and the server did not refuse it for lack of one`,
        app({ message: `${name}${mechanisms}` }),
      );
    }
    if (type === 'E') {
      const e = describeError(body);
      const evidence = app({ ...(e.code ? { code: e.code } : {}), message: e.message });
      if (e.code?.startsWith('28')) return refused(`the TLS connection was established, then the PostgreSQL server refused the login: ${e.message}`, evidence);
      if (unavailableState(e.code)) return unavailable(`the PostgreSQL server could not take the connection: ${e.message}`, evidence);
      return served(`the PostgreSQL server answered the login: ${e.message}`, evidence);
    }
    // NoticeResponse, NegotiateProtocolVersion, ParameterStatus, BackendKeyData: read on.
    if (!'NvSK'.includes(type)) return served(`the PostgreSQL server answered the login with message '${type}', not an authentication message`, app());
  }
  if (!ended || buffered.length === 0) return undefined;
  return unavailable(
    'the PostgreSQL answer was cut short in the middle of a message (the connection ended, or the answer passed the read limit)',
    app(),
    'closed',
  );
}

/** What the server's answer to the SSLRequest means. */
export function readSslAnswer(buffered: Buffer, end: { code?: string } | undefined): StartTlsResult | undefined {
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'postgres', ...more });
  if (buffered.length === 0) {
    if (!end) return undefined;
    return noTls(
      `the server ${endedHow(end)} on the SSLRequest without answering: it is not a PostgreSQL server, or it refuses this client before TLS`,
      app(),
      end.code === 'ECONNRESET' ? 'reset' : 'starttls',
    );
  }
  const first = buffered[0]!;
  if (first === 0x53 /* S */) {
    if (buffered.length > 1) {
      // A PostgreSQL server sends nothing after its 'S' until our ClientHello: bytes there were put in the plaintext stream (CVE-2021-23214).
      return noTls(
        `the server answered S to the SSLRequest, then sent ${buffered.length - 1} more plaintext bytes before the TLS handshake: a PostgreSQL server sends none there (injected bytes?)`,
        app({ startTls: 'SSLRequest answered S, with bytes after it' }),
      );
    }
    return { ok: true, evidence: app({ startTls: 'SSLRequest answered S' }) };
  }
  if (first === 0x4e /* N */)
    return noTls(
      'the server answered N to the SSLRequest: TLS is not enabled on this PostgreSQL server (ssl = off)',
      app({ startTls: 'SSLRequest answered N' }),
    );
  if (first === 0x45 /* E */) {
    const len = buffered.length >= 5 ? buffered.readUInt32BE(1) : 0;
    const complete = len >= 4 && len <= MESSAGE_MAX && buffered.length >= 1 + len;
    if (!complete && !end && buffered.length < MESSAGE_MAX) return undefined;
    // A protocol 3 ErrorResponse, or (very old servers, pgbouncer) an 'E' and a bare message.
    const e = complete ? describeError(buffered.subarray(5, 1 + len)) : { message: serverText(buffered.subarray(1)) };
    return noTls(
      `the server answered the SSLRequest with an error: ${e.message}`,
      app({ startTls: 'SSLRequest answered E', ...('code' in e && e.code ? { code: e.code } : {}), message: e.message }),
    );
  }
  return noTls(
    `the server answered the SSLRequest with 0x${buffered.subarray(0, 8).toString('hex')} ("${serverText(buffered.subarray(0, 40), 40)}"): it is not a PostgreSQL server`,
    app(),
  );
}

export const postgres: ProtocolModule<'postgres'> = {
  name: 'postgres',
  title: 'PostgreSQL',
  layer: 'PostgreSQL',
  plaintextHttp: false,
  defaultPorts: [5432],
  detection: { names: ['postgres', 'postgresql', 'pg'] },
  alpn: [],
  startsTls: 'SSLRequest (8 bytes), the server answers S',
  answer: 'PostgreSQL answer',
  session: (ctx) => ({
    startTls: (raw) => plainExchange(raw, SSL_REQUEST, readSslAnswer, { protocol: 'postgres' }),
    startTlsStalled: (ms) => `the server accepted the TCP connection but did not answer the PostgreSQL SSLRequest within ${ms} ms`,
    request: () => startupMessage(ctx.appUser),
    read: (buffered, ended) => readLogin(buffered, ended, ctx.appUser),
  }),
  refusal: (o) => serverText(Buffer.from(o.application?.message ?? o.reason), 120),
  controlRefusedHint: (c) =>
    c.application?.protocol === 'postgres' && c.application.code?.startsWith('28')
      ? `PostgreSQL refused the valid client (${c.application.message ?? c.application.code}): the harness logged in as "${c.application.user ?? '?'}"; with pg_hba.conf "cert" (or clientcert=verify-full) the certificate's CN must name a role that may log in (or a pg_ident.conf map must), and a hostssl line must match it`
      : undefined,
};
