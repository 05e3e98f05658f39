/**
 * What the protocol modules share: the verdicts in words (`served`, `refused`, `unavailable`), the
 * server's text made safe (`serverText`), and the plaintext exchange before TLS on the raw socket
 * (`plainExchange`), bounded and never throwing.
 */
import type * as net from 'node:net';
import { safeText } from '../../core/text.js';
import type { ApplicationEvidence, FailureKind } from '../rejection.js';
import type { Protocol } from './names.js';
import type { AppVerdict, ProtocolSession, StartTlsResult } from './types.js';

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

/** Longest line of a line-based protocol's reply (SMTP, IMAP, POP3): a longer one is not the protocol speaking. */
export const LINE_MAX = 4096;

/** The bytes of the first complete reply of `b`: up to the end of the first line (LF, CR stripped) that `last` accepts; undefined until one arrives. */
export function replyUntil(b: Buffer, last: (line: string) => boolean): number | undefined {
  let off = 0;
  for (;;) {
    const eol = b.indexOf(0x0a, off);
    if (eol < 0) return undefined;
    const line = b.subarray(off, eol).toString('latin1').replace(/\r$/, '');
    off = eol + 1;
    if (last(line)) return off;
  }
}

/** The lines of a reply, without their line ends, as raw text (latin1) for matching: never shown as is (serverText). */
export function rawLines(b: Buffer): string[] {
  const lines = b.toString('latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.replace(/\r$/, ''));
}

/** Whether the unfinished last line of `b` is already longer than LINE_MAX. */
export function overlong(b: Buffer): boolean {
  return b.length - (b.lastIndexOf(0x0a) + 1) > LINE_MAX;
}

/** A line-based conversation before TLS (SMTP, IMAP, POP3): the replies one by one, each answered with a command or ending the exchange. */
export interface LineDialog {
  /** The length of the first complete reply of `b` (`replyUntil`), undefined while more is needed. */
  reply(b: Buffer): number | undefined;
  /** What a complete reply means: the next command to send, or the end of the exchange (`rest`: what the server sent after it). */
  next(reply: Buffer, rest: Buffer): StartTlsResult | { send: string };
  /** The server ended the connection with `partial` (maybe nothing) unread. */
  ended(partial: Buffer, end: PlainEnd): StartTlsResult;
}

/** `plainExchange` for a line-based protocol: `send` first (if any), then the dialog, bounded (LINE_MAX per line, PLAIN_MAX in all). */
export function lineExchange(raw: net.Socket, dialog: LineDialog, app: ApplicationEvidence, send?: string): Promise<StartTlsResult> {
  let off = 0;
  const parse = (buffered: Buffer, end: PlainEnd | undefined): StartTlsResult | undefined => {
    for (;;) {
      const rest = buffered.subarray(off);
      const n = dialog.reply(rest);
      if (n === undefined) {
        if (end) return dialog.ended(rest, end);
        if (overlong(rest)) return noTls(`the server sent a line longer than ${LINE_MAX} bytes before TLS started: it does not speak this protocol`, app);
        return undefined;
      }
      const r = dialog.next(rest.subarray(0, n), rest.subarray(n));
      off += n;
      if (!('send' in r)) return r;
      raw.write(r.send);
    }
  };
  return plainExchange(raw, send === undefined ? undefined : Buffer.from(send, 'latin1'), parse, app);
}

/**
 * The replies after the handshake, in order, until `decide` returns a verdict (`undefined`: read
 * on). An unfinished reply when the connection ended, or a line longer than LINE_MAX, goes to `cut`;
 * nothing left unread when it ended leaves the end to the TLS rules.
 */
export function readReplies(
  buffered: Buffer,
  ended: boolean,
  reply: (b: Buffer) => number | undefined,
  decide: (reply: Buffer, index: number) => AppVerdict | undefined,
  cut: (partial: Buffer, why: 'ended' | 'overlong') => AppVerdict,
): AppVerdict | undefined {
  let off = 0;
  for (let i = 0; ; i++) {
    const rest = buffered.subarray(off);
    const n = reply(rest);
    if (n === undefined) {
      if (rest.length === 0) return undefined;
      if (overlong(rest)) return cut(rest, 'overlong');
      return ended ? cut(rest, 'ended') : undefined;
    }
    const v = decide(rest.subarray(0, n), i);
    if (v) return v;
    off += n;
  }
}

/** A reply of a line-based protocol in one line, safe to show: line ends dropped, lines joined with " ". */
export function lineText(b: Buffer, max = 200): string {
  return serverText(
    Buffer.from(
      b
        .toString('utf8')
        .replace(/\r?\n$/, '')
        .replace(/\r?\n/g, ' '),
    ),
    max,
  );
}

/** The server of a line-based protocol ended the exchange before TLS, `what` unanswered ("a greeting", "an answer to STARTTLS"). */
export function endedBeforeTls(what: string, partial: Buffer, end: PlainEnd, app: ApplicationEvidence): StartTlsResult {
  const how = partial.length > 0 ? `in the middle of ${what}` : `without ${what}`;
  return noTls(`the server ${endedHow(end)} ${how}, before TLS started`, app, end.code === 'ECONNRESET' ? 'reset' : 'starttls');
}

/**
 * The server's go-ahead for TLS (`said`, e.g. "220 Ready to start TLS"): TLS starts, unless bytes
 * followed it before our ClientHello. A server sends none there; a man in the middle may have
 * injected commands into the plaintext stream to be read as if after TLS (CVE-2011-0411).
 */
export function goAhead(title: string, said: string, rest: Buffer, app: ApplicationEvidence): StartTlsResult {
  if (rest.length > 0)
    return noTls(
      `the server answered "${said}", then sent ${rest.length} more plaintext bytes before the TLS handshake: ${title} servers send none there (injected bytes?)`,
      { ...app, startTls: `${app.startTls ?? 'STARTTLS'}, with bytes after the answer` },
    );
  return { ok: true, evidence: app };
}

/** A reply after TLS cut short (`readReplies`'s `cut`): a line too long is not the protocol speaking; a reply cut by the end is unreachable. */
export function cutReply(title: string, app: ApplicationEvidence, why: 'ended' | 'overlong'): AppVerdict {
  return why === 'overlong'
    ? served(`the server completed the handshake and answered, but not as ${title} does (a line longer than ${LINE_MAX} bytes)`, app)
    : unavailable(`the ${title} answer was cut short in the middle of a line (the connection ended, or the answer passed the read limit)`, app, 'closed');
}

/** A line-based dialog that says what it awaits: `greeting`, or the command sent (`EHLO`, `STARTTLS`, `STLS`). */
export interface StagedDialog extends LineDialog {
  readonly stage: string;
}

/** What a staged dialog awaits, in words: "a greeting", "an answer to STARTTLS". */
export function awaited(stage: string): string {
  return stage === 'greeting' ? 'a greeting' : `an answer to ${stage}`;
}

/** The session of a line-based STARTTLS protocol (smtp, imap, pop3): its dialog before TLS, one request after it. */
export function lineSession(title: string, protocol: Protocol, dialog: StagedDialog, request: string, read: ProtocolSession['read']): ProtocolSession {
  return {
    startTls: (raw) => lineExchange(raw, dialog, { protocol }),
    startTlsStalled: (ms) =>
      dialog.stage === 'greeting'
        ? `the server accepted the TCP connection but sent no ${title} greeting within ${ms} ms`
        : `the ${title} server did not answer ${dialog.stage} within ${ms} ms`,
    request: () => request,
    read,
  };
}
