/**
 * What the protocol modules share: the verdicts in words (`served`, `refused`, `unavailable`), the
 * server's text made safe (`serverText`), and the plaintext exchange before TLS on the raw socket
 * (`plainExchange`), bounded and never throwing.
 */
import type * as net from 'node:net';
import { safeText } from '../../core/text.js';
import type { ApplicationEvidence, FailureKind } from '../rejection.js';
import type { AppVerdict, StartTlsResult } from './types.js';

/** The application answered. */
export function served(reason: string, application?: ApplicationEvidence): AppVerdict {
  return { rejectedAt: 'accepted', reason, ...(application ? { application } : {}) };
}

/** The application refused the client after the TLS connection was established. */
export function refused(reason: string, application: ApplicationEvidence): AppVerdict {
  return { rejectedAt: 'application', reason, application };
}

/** The application cannot serve now (too many connections, starting up): not a verdict. */
export function unavailable(reason: string, application: ApplicationEvidence, kind: FailureKind = 'unavailable'): AppVerdict {
  return { rejectedAt: 'unreachable', failure: { kind, phase: 'exchange' }, reason, application };
}

/** The exchange before TLS ended without TLS. */
export function noTls(reason: string, application: ApplicationEvidence, kind: FailureKind = 'starttls'): StartTlsResult {
  return { ok: false, end: { rejectedAt: 'unreachable', failure: { kind, phase: 'starttls' }, reason, application } };
}

/** The server's text (UTF-8, hostile): controls and bidi overrides replaced, at most `max` characters. */
export function serverText(b: Buffer, max = 200): string {
  return safeText(b.toString('utf8'), max);
}

/** How the raw socket ended during the plaintext exchange: closed by the server, or with a socket error. */
export interface PlainEnd {
  code?: string;
}

/** Most bytes read before TLS: a greeting or a one-byte answer is far smaller. */
export const PLAIN_MAX = 16 * 1024;

/**
 * The plaintext exchange before TLS: writes `send` (if any), then hands everything read so far to
 * `parse` until it decides. When the server ends the connection, `parse` is called once more with
 * `end` and must decide. More than `PLAIN_MAX` bytes end it. On return the socket is paused and its
 * listeners removed, so that the TLS client that follows reads the next byte.
 */
export function plainExchange(
  raw: net.Socket,
  send: Buffer | undefined,
  parse: (buffered: Buffer, end: PlainEnd | undefined) => StartTlsResult | undefined,
  app: ApplicationEvidence,
): Promise<StartTlsResult> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    let done = false;
    const finish = (r: StartTlsResult) => {
      if (done) return;
      done = true;
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('close', onClose);
      raw.off('error', onError);
      raw.pause();
      resolve(r);
    };
    const ended = (e: PlainEnd) =>
      finish(parse(buffered, e) ?? noTls('the server ended the connection before TLS started', app, e.code === 'ECONNRESET' ? 'reset' : 'starttls'));
    const onData = (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      if (buffered.length > PLAIN_MAX)
        return finish(noTls(`the server sent more than ${PLAIN_MAX} bytes before TLS started: it does not speak this protocol`, app));
      const r = parse(buffered, undefined);
      if (r) finish(r);
    };
    const onEnd = () => ended({});
    const onClose = () => ended({});
    const onError = (e: NodeJS.ErrnoException) => ended(e.code ? { code: e.code } : {});
    raw.on('data', onData);
    raw.once('end', onEnd);
    raw.once('close', onClose);
    raw.once('error', onError);
    if (send) raw.write(send);
  });
}

/** The reason for a server that ended the plaintext exchange: "closed the connection" or "reset the connection". */
export function endedHow(e: PlainEnd): string {
  return e.code === 'ECONNRESET' ? 'reset the connection' : e.code ? `ended the connection (${e.code})` : 'closed the connection';
}
