/**
 * How a connection ended, classified (docs/CONFORMANCE.md "Rejection, precisely"): pure functions of
 * what the probe observed — the phase, our TLS client's error, the server's decoded flight, the
 * HTTP response head — so the rules are table-tested (rejection.test.ts) apart from the connection
 * state machine in tls-probe.ts. Only the server can refuse: an error raised by our own TLS client
 * is never read as the server's verdict.
 */
import { ALERT_MEANINGS, alertLabel, isReceivedAlertCode, type TlsAlert } from './alerts.js';
import type { Protocol } from './protocols/names.js';
import type { ServerFlight } from './tls-records.js';

/** Where a connection was refused (CONFORMANCE.md "Rejection, precisely"), or `unreachable`. */
export type RejectedAt = 'handshake' | 'post-handshake' | 'application' | 'accepted' | 'unreachable';

/**
 * Why the harness could not evaluate a target (only with `rejectedAt: 'unreachable'`). `starttls`:
 * the plaintext exchange before TLS did not start it (TLS not enabled, the server refused the
 * connection before TLS, not the protocol expected); `unavailable`: the application answered that
 * it cannot serve now (too many connections, starting up, protocol version).
 */
export type FailureKind =
  'refused' | 'reset' | 'timeout' | 'dns' | 'plaintext-http' | 'not-tls' | 'closed' | 'network' | 'tls-client' | 'alpn' | 'starttls' | 'unavailable';

/** Where a probe was when it ended: `starttls` is the plaintext exchange before TLS (postgres, mysql). */
export type ProbePhase = 'connect' | 'starttls' | 'handshake' | 'exchange';

/**
 * What the application said, for the protocols other than https and gRPC (which keep their own
 * fields): the server's code and message, printable and bounded (hostile input).
 */
export interface ApplicationEvidence {
  protocol: Protocol;
  /** How TLS was started, for a protocol that negotiates it in plaintext first ("SSLRequest answered S"). */
  startTls?: string;
  /** The server software as it announced itself (MySQL's greeting, AMQP's Connection.Start; the SMTP, IMAP or POP3 greeting line). */
  server?: string;
  /** postgres, mysql, imap, pop3: the user the probe logged in as; ldap: the authzId WhoAmI answered. */
  user?: string;
  /** The server's code: a SQLSTATE, a MySQL error number, a CONNACK return code, a Redis error prefix, an LDAP resultCode. */
  code?: string;
  /** The server's answer in one line ("FATAL 28000 connection requires a valid client certificate"). */
  message?: string;
}

/** A classified end: the fields of the probe's outcome that say where and why. */
export interface Classified {
  rejectedAt: RejectedAt;
  reason: string;
  failure?: { kind: FailureKind; phase: ProbePhase };
  errorCode?: string;
  alert?: TlsAlert;
  httpStatus?: number;
  httpStatusLine?: string;
  /** The response's Server header (for stack recognition), when there was one. */
  httpServer?: string;
  /** The application's answer (postgres, mysql, redis, mqtt, amqp, ldap, smtp, imap, pop3). */
  application?: ApplicationEvidence;
}

/** Makes hostile text safe for one-line display: printable ASCII only, bounded length. */
export function printable(s: string, max = 200): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** What a peer that answered with something other than TLS is. */
export function describeNonTls(prefix: Buffer): { kind: FailureKind; reason: string } {
  const text = prefix.toString('latin1');
  if (/^HTTP\/\d/.test(text)) {
    const line = printable(text.split(/\r?\n/)[0] ?? '');
    return {
      kind: 'plaintext-http',
      reason: `the peer answered plaintext HTTP, not TLS ("${line}"): point the harness at the TLS port, or enable TLS on this one`,
    };
  }
  if (/^SSH-/.test(text)) return { kind: 'not-tls', reason: `the peer speaks SSH, not TLS ("${printable(text.split(/\r?\n/)[0] ?? '')}")` };
  return { kind: 'not-tls', reason: `the peer sent bytes that are not TLS (starting 0x${prefix.subarray(0, 8).toString('hex')}): it is not a TLS server` };
}

/** OpenSSL's errors when the peer's first bytes are not a TLS record (an HTTP or SSH server). */
const NOT_TLS_ERRORS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_RECORD_LAYER_FAILURE']);

/** Error codes of the TCP connection ending (the server's close or reset), not of the TLS client. */
const SOCKET_END_CODES = new Set(['', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** OpenSSL's complaints about what it read, in plain words. */
const CLIENT_ERROR_WORDS: [RegExp, string][] = [
  [
    /^ERR_SSL_(?:DECRYPTION_FAILED_OR_BAD_RECORD_MAC|DECRYPTION_FAILED|BAD_RECORD_MAC|INVALID_AAD|BAD_DECRYPT)$/,
    'a record from the server failed to decrypt or authenticate',
  ],
  [
    /^ERR_SSL_(?:WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE|ENCRYPTED_LENGTH_TOO_LONG|RECORD_LENGTH_MISMATCH)$/,
    'bytes that are not a valid TLS record arrived',
  ],
  [/^ERR_SSL_UNEXPECTED_MESSAGE$/, 'a handshake message that is not allowed at this point arrived'],
  [/^ERR_SSL_(?:UNEXPECTED_RECORD|BAD_RECORD_TYPE)$/, 'a record of a type not allowed at this point arrived'],
];

/** What our TLS client gave up on after the handshake, in plain words, from what the recorder saw. */
export function clientGaveUpOn(flight: ServerFlight, err: { code?: string; message: string }): string {
  if (flight.postHandshakeCertificateRequest)
    return 'the server asked for a client certificate after the handshake (TLS 1.3 post-handshake authentication), which this client did not offer and cannot answer';
  const unprotected = flight.unprotectedAlerts?.[0];
  if (unprotected)
    return `an alert record (${unprotected.code} ${unprotected.name}) arrived unprotected, in plaintext, after the ${flight.version === 'TLSv1.3' ? 'TLS 1.3 ServerHello' : "server's ChangeCipherSpec"}, where only encrypted records are valid`;
  if (flight.trailingNonTls) return `bytes that are not a TLS record arrived (starting 0x${flight.trailingNonTls.subarray(0, 8).toString('hex')})`;
  const code = err.code ?? '';
  for (const [re, words] of CLIENT_ERROR_WORDS) if (re.test(code)) return words;
  if (flight.limitation === 'a TLS 1.3 record failed to decrypt with the logged secret') return 'a record failed to decrypt';
  return printable(err.message);
}

/** The `Server` header of an HTTP response head, as printable ASCII of at most 100 characters. */
export function httpServerHeader(text: string): string | undefined {
  const head = text.split(/\r?\n\r?\n/)[0] ?? '';
  const m = /^server:[ \t]*(.*)$/im.exec(head.split(/\r?\n/).slice(1).join('\n'));
  if (!m) return undefined;
  return m[1]!
    .replace(/[^\x20-\x7e]/g, '?')
    .trim()
    .slice(0, 100);
}

/**
 * The server's first fatal alert: the one that ended the connection. A server may send a second
 * (gnutls-serv follows its verify callback's 49 access_denied with 42 bad_certificate); reading the
 * last would make the evidence depend on how many records arrived before the close.
 */
export function firstFatalAlert(flight: ServerFlight): TlsAlert | undefined {
  return flight.alerts.find((a) => a.code !== 0);
}

/** A TCP connect that failed, by its errno. */
export function classifyConnectError(code: string | undefined, target: string, host: string): Classified {
  const c = code ?? 'ERROR';
  const map: Record<string, [FailureKind, string]> = {
    ECONNREFUSED: ['refused', `connection refused: nothing listens on ${target}`],
    ENOTFOUND: ['dns', `DNS lookup of "${printable(host)}" failed: the name does not resolve`],
    EAI_AGAIN: ['dns', `DNS lookup of "${printable(host)}" failed temporarily (no resolver answer)`],
    ECONNRESET: ['reset', `the connection to ${target} was reset while connecting`],
    EHOSTUNREACH: ['network', `no route to host ${printable(host)}`],
    ENETUNREACH: ['network', `network unreachable for ${printable(host)}`],
    ETIMEDOUT: ['timeout', `TCP connect to ${target} timed out`],
  };
  const [kind, reason] = map[c] ?? ['network', `cannot connect to ${target}: ${c}`];
  return { rejectedAt: 'unreachable', failure: { kind, phase: 'connect' }, errorCode: c, reason };
}

/** The HTTP response head the server sent after the handshake: served, or refused by its status. */
export function classifyHttp(text: string, rejectStatuses: readonly number[]): Classified {
  const line = text.split(/\r?\n/)[0] ?? '';
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(line);
  if (!m) return { rejectedAt: 'accepted', reason: 'the server completed the handshake and answered, but not with HTTP', httpStatusLine: printable(line) };
  const status = Number(m[1]);
  const statusLine = printable(line);
  const server = httpServerHeader(text);
  const withServer = server !== undefined ? { httpServer: server } : {};
  if (rejectStatuses.includes(status)) {
    return {
      rejectedAt: 'application',
      httpStatus: status,
      httpStatusLine: statusLine,
      ...withServer,
      reason: `the TLS connection was established, then the request was refused with HTTP ${status} (${statusLine})`,
    };
  }
  return { rejectedAt: 'accepted', httpStatus: status, httpStatusLine: statusLine, ...withServer, reason: `the request was served: ${statusLine}` };
}

/** What the probe saw when a connection ended during or after the TLS handshake. */
export interface TlsEnd {
  phase: 'handshake' | 'exchange';
  /** The rotation prober's fast mode: no record of the server's bytes, the TLS library's error alone. */
  fast: boolean;
  /** The error that ended it, if any (our TLS client's, or the socket's). */
  err?: { code?: string; message: string };
  /** The error code of the socket (the raw socket's, when the TLS socket had none). */
  errCode?: string;
  /** The server's flight as decoded from the wire. */
  flight: ServerFlight;
  /** The first fatal alert: decoded from the flight, else named by our TLS library as received. */
  alert?: TlsAlert;
  /** Bytes the server sent. */
  bytesReceived: number;
  /** The ALPN protocols offered (for alert 120). */
  offeredAlpn: readonly string[];
  /** What the protocol adds to an ALPN refusal (alert 120), from its module: "it does not serve HTTP/2, which gRPC needs". */
  alpnRefusal?: string;
  /** TLS 1.2: a second handshake (renegotiation) was seen. */
  renegotiated: boolean;
}

/**
 * Classifies a connection that ended during the handshake (refused, or the peer was not a TLS
 * server, or our client gave up) or after it (the server's alert, close or reset after the handshake;
 * or our own client giving up, which is not a refusal).
 */
export function classifyTlsEnd(e: TlsEnd): Classified {
  const { phase, fast, err, errCode, flight, alert } = e;
  if (phase === 'handshake' && fast && !alert) {
    // No record of the server's bytes: classify from the TLS library's error alone.
    if (errCode && NOT_TLS_ERRORS.has(errCode))
      return { rejectedAt: 'unreachable', failure: { kind: 'not-tls', phase }, errorCode: errCode, reason: `the peer does not speak TLS (${errCode})` };
    if (errCode === 'ECONNRESET')
      return {
        rejectedAt: 'unreachable',
        failure: { kind: 'reset', phase },
        errorCode: errCode,
        reason: 'the peer reset the connection during the TLS handshake',
      };
    if (err && !errCode?.startsWith('ECONN'))
      return {
        rejectedAt: 'unreachable',
        failure: { kind: 'tls-client', phase },
        ...(errCode ? { errorCode: errCode } : {}),
        reason: `the TLS handshake failed: ${printable(err.message)}`,
      };
    return {
      rejectedAt: 'unreachable',
      failure: { kind: 'closed', phase },
      ...(errCode ? { errorCode: errCode } : {}),
      reason: 'the peer closed the connection during the TLS handshake, without an alert',
    };
  }
  if (phase === 'handshake') {
    if (!flight.spokeTls && !fast) {
      if (flight.nonTlsPrefix || (e.bytesReceived > 0 && !flight.spokeTls)) {
        const d = describeNonTls(flight.nonTlsPrefix ?? Buffer.alloc(0));
        return { rejectedAt: 'unreachable', failure: { kind: d.kind, phase }, reason: d.reason, ...(errCode ? { errorCode: errCode } : {}) };
      }
      if (errCode === 'ECONNRESET')
        return {
          rejectedAt: 'unreachable',
          failure: { kind: 'reset', phase },
          errorCode: errCode,
          reason: 'the peer reset the connection without answering the TLS ClientHello',
        };
      if (err && !errCode?.startsWith('ECONN'))
        return {
          rejectedAt: 'unreachable',
          failure: { kind: 'tls-client', phase },
          ...(errCode ? { errorCode: errCode } : {}),
          reason: `the TLS client gave up before the server answered: ${printable(err.message)}`,
        };
      return {
        rejectedAt: 'unreachable',
        failure: { kind: 'closed', phase },
        ...(errCode ? { errorCode: errCode } : {}),
        reason: 'the peer closed the connection without answering the TLS ClientHello',
      };
    }
    if (!alert && errCode && /^ERR_SSL_/.test(errCode) && !isReceivedAlertCode(errCode)) {
      // Our own TLS library gave up on what the server sent (an oversized or malformed message):
      // the server did not refuse anything, and nothing can be concluded about client auth.
      return {
        rejectedAt: 'unreachable',
        failure: { kind: 'tls-client', phase },
        errorCode: errCode,
        reason: `the harness's TLS client aborted the handshake on the server's messages (${errCode}): e.g. a certificate list larger than the client accepts, or a malformed message`,
      };
    }
    if (!alert && !fast && flight.version && flight.flightComplete === false && flight.limitation === "the server's first flight did not arrive complete") {
      // No client certificate is sent before the server's first flight is complete: a close here
      // is a broken or overloaded server, not a verdict on the client.
      const how = errCode === 'ECONNRESET' ? 'reset' : 'closed';
      return {
        rejectedAt: 'unreachable',
        failure: { kind: how === 'reset' ? 'reset' : 'closed', phase },
        ...(errCode ? { errorCode: errCode } : {}),
        reason: `the server ${how} the connection in the middle of its own handshake flight (after ${e.bytesReceived} bytes), before any client certificate was sent`,
      };
    }
    if (alert && ALERT_MEANINGS[alert.code]?.alpnRefusal) {
      // no_application_protocol: the server speaks none of the protocols offered (ALPN). That is
      // not a verdict on the client's certificate.
      const offered = e.offeredAlpn.join(', ');
      return {
        rejectedAt: 'unreachable',
        failure: { kind: 'alpn', phase },
        alert,
        ...(errCode ? { errorCode: errCode } : {}),
        reason: `the server refused the application protocol offered by ALPN (${offered || 'none'}) with ${alertLabel(alert)}${e.alpnRefusal ? `: ${e.alpnRefusal}` : ''}`,
      };
    }
    const how = alert ? `with ${alertLabel(alert)}` : errCode === 'ECONNRESET' ? 'with a TCP reset (no alert)' : 'by closing the connection (no alert)';
    return {
      rejectedAt: 'handshake',
      ...(alert ? { alert } : {}),
      ...(errCode ? { errorCode: errCode } : {}),
      reason: `the server refused the TLS handshake ${how}`,
    };
  }
  // After the handshake completed. Only the server can refuse: an alert it sent (decrypted from
  // the wire, or named by our TLS library as received), or its TCP close or reset. Any other error
  // is our own TLS client giving up on what it read (stray bytes, a record that does not decrypt,
  // an unprotected alert, a post-handshake CertificateRequest it cannot answer): not a verdict.
  const receivedAlert = !!alert || isReceivedAlertCode(errCode);
  if (!receivedAlert && err && !SOCKET_END_CODES.has(errCode ?? '')) {
    return {
      rejectedAt: 'unreachable',
      failure: { kind: 'tls-client', phase: 'exchange' },
      errorCode: errCode ?? 'ERR_TLS_CLIENT',
      reason: `the harness's TLS client gave up after the handshake (${errCode ?? 'no error code'}): ${clientGaveUpOn(flight, err)}; this is not a refusal by the server`,
    };
  }
  const named = alert && alert.code !== 0 ? alert : undefined;
  const how = named
    ? `sent ${alertLabel(named)}`
    : !alert && receivedAlert
      ? `sent an alert (${errCode})`
      : errCode === 'ECONNRESET'
        ? 'reset the connection without an alert'
        : 'closed the connection without a response';
  const during = e.renegotiated
    ? `, in the renegotiation it started after the handshake${flight.renegotiation?.certificateRequested ? ' to request a client certificate' : ''}`
    : '';
  return {
    rejectedAt: 'post-handshake',
    ...(named ? { alert: named } : {}),
    ...(errCode ? { errorCode: errCode } : {}),
    reason: `the handshake completed, then the server ${how}${during}`,
  };
}
