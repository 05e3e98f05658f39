/**
 * imap: the server greets (`* OK`), the client sends `a1 STARTTLS`, the server answers `a1 OK`,
 * then TLS (RFC 9051 6.2.1, RFC 2595). After the handshake, `a2 LOGIN "<user>" ""`: a server that
 * checks client certificates (Dovecot's `auth_ssl_require_client_cert`) completes the handshake
 * without one and refuses at the login (`a2 NO [ALERT] Client didn't present valid SSL
 * certificate`). A tagged OK is served; NO or BAD is a refusal at the IMAP layer (the control
 * decides whether it was the certificate: a real password database refuses the empty password of
 * the valid client too); NO [UNAVAILABLE] and `* BYE` are unreachable. Implicit TLS (993) is
 * `--protocol tls`.
 */
import type { ApplicationEvidence } from '../rejection.js';
import type { AppVerdict, ProtocolModule, StartTlsResult } from './types.js';
import {
  awaited,
  cutReply,
  endedBeforeTls,
  goAhead,
  lineSession,
  lineText,
  noTls,
  readReplies,
  refused,
  replyUntil,
  served,
  serverText,
  unavailable,
} from './wire.js';

const STARTTLS_TAG = 'a1';
const LOGIN_TAG = 'a2';

/** A greeting: `* OK`, `* PREAUTH` or `* BYE` (RFC 9051 7.1). */
export const IMAP_GREETING = /^\* (OK|PREAUTH|BYE)\b/i;

/** An IMAP quoted string: backslash and double quote escaped (a control character never reaches here: `validateProbeOptions`). */
export function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The LOGIN command sent after TLS: the user and an empty password. */
export function loginCommand(user: string): string {
  return `${LOGIN_TAG} LOGIN ${quoted(user)} ""\r\n`;
}

/** One reply: the greeting is one line; an answer to a command runs to its tagged line (or a `* BYE`). */
function replyTo(tag: string | undefined): (b: Buffer) => number | undefined {
  return (b) => replyUntil(b, (line) => (tag === undefined ? true : line.startsWith(`${tag} `) || /^\* BYE\b/i.test(line) || !/^[*+] /.test(line)));
}

/** The last line of a reply. */
function lastLine(b: Buffer): string {
  return b
    .toString('latin1')
    .replace(/\r?\n$/, '')
    .split('\n')
    .pop()!
    .replace(/\r$/, '');
}

/** The plaintext dialog: greeting, STARTTLS, its tagged answer. */
export function imapDialog(app: (more?: Partial<ApplicationEvidence>) => ApplicationEvidence) {
  let stage: 'greeting' | 'STARTTLS' = 'greeting';
  let server: string | undefined;
  return {
    get stage() {
      return stage;
    },
    reply: (b: Buffer) => replyTo(stage === 'greeting' ? undefined : STARTTLS_TAG)(b),
    next(reply: Buffer, rest: Buffer): StartTlsResult | { send: string } {
      const line = lastLine(reply);
      const said = lineText(Buffer.from(line, 'latin1'));
      if (stage === 'greeting') {
        server = said;
        if (/^\* OK\b/i.test(line)) {
          stage = 'STARTTLS';
          return { send: `${STARTTLS_TAG} STARTTLS\r\n` };
        }
        if (/^\* BYE\b/i.test(line)) return noTls(`the IMAP server refused the connection before TLS: ${said}`, app({ message: said }), 'unavailable');
        if (/^\* PREAUTH\b/i.test(line))
          return noTls(`the IMAP server greeted with PREAUTH (already authenticated): STARTTLS is not possible on this connection`, app({ message: said }));
        return noTls(`the server's greeting is not IMAP's ("${serverText(reply, 60)}"): it is not an IMAP server`, app());
      }
      const evidence = app({ ...(server ? { server } : {}), message: said });
      if (new RegExp(`^${STARTTLS_TAG} OK\\b`, 'i').test(line)) return goAhead('IMAP', said, rest, { ...evidence, startTls: 'STARTTLS answered OK' });
      if (/^\* BYE\b/i.test(line)) return noTls(`the IMAP server ended the session on STARTTLS: ${said}`, evidence, 'unavailable');
      if (new RegExp(`^${STARTTLS_TAG} (NO|BAD)\\b`, 'i').test(line))
        return noTls(`the IMAP server refused STARTTLS (${said}): TLS is not enabled on this IMAP server, or not offered before login`, evidence);
      return noTls(`the server answered STARTTLS with "${said}", not as IMAP does`, evidence);
    },
    ended: (partial: Buffer, end: { code?: string }) => endedBeforeTls(awaited(stage), partial, end, app(server ? { server } : {})),
  };
}

/** What the server's answer to LOGIN means (after TLS). */
export function readLogin(buffered: Buffer, ended: boolean, user: string): AppVerdict | undefined {
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'imap', user: serverText(Buffer.from(user), 128), ...more });
  const decide = (reply: Buffer): AppVerdict | undefined => {
    const line = lastLine(reply);
    const said = lineText(Buffer.from(line, 'latin1'));
    const code = /^\S+ (?:OK|NO|BAD|BYE) \[([A-Z-]{1,32})/i.exec(line)?.[1]?.toUpperCase();
    const evidence = app({ message: said, ...(code ? { code } : {}) });
    if (/^\* BYE\b/i.test(line)) return unavailable(`the IMAP server ended the session: ${said}`, evidence);
    if (!line.startsWith(`${LOGIN_TAG} `))
      return served(`the server completed the handshake and answered, but not as IMAP does ("${serverText(reply, 60)}")`, app());
    const status = /^\S+ (OK|NO|BAD)\b/i.exec(line)?.[1]?.toUpperCase();
    if (status === 'OK')
      return served(`the IMAP server logged the client in as "${serverText(Buffer.from(user), 80)}" with an empty password: ${said}`, evidence);
    if (code === 'UNAVAILABLE') return unavailable(`the IMAP server cannot serve now: ${said}`, evidence);
    if (status === 'NO' || status === 'BAD') return refused(`the TLS connection was established, then the IMAP server refused the login: ${said}`, evidence);
    return served(`the IMAP server answered the login with "${said}", not a status`, evidence);
  };
  return readReplies(buffered, ended, replyTo(LOGIN_TAG), decide, (_, why) => cutReply('IMAP', app(), why));
}

export const imap: ProtocolModule<'imap'> = {
  name: 'imap',
  title: 'IMAP',
  layer: 'IMAP',
  plaintextHttp: false,
  defaultPorts: [143],
  detection: { names: ['imap'], greeting: (first) => IMAP_GREETING.test(first.subarray(0, 64).toString('latin1')) },
  alpn: [],
  startsTls: 'the server greets (* OK), the client sends STARTTLS, the server answers OK',
  answer: 'IMAP answer to LOGIN',
  session: (ctx) =>
    lineSession(
      'IMAP',
      'imap',
      imapDialog((more = {}) => ({ protocol: 'imap', ...more })),
      loginCommand(ctx.appUser),
      (b, ended) => readLogin(b, ended, ctx.appUser),
    ),
  refusal: (o) => serverText(Buffer.from(o.application?.message ?? o.reason), 120),
  controlRefusedHint: (c) =>
    c.application?.protocol === 'imap' && c.rejectedAt === 'application'
      ? `the IMAP server refused the valid client too (${c.application.message ?? '?'}): the harness logs in as "${c.application.user ?? '?'}" with an empty password, so the server must let a certificate admit the user without a password (Dovecot: a passdb with nopassword=y for certificate logins, auth_ssl_username_from_cert); else the refusal says nothing about the certificate`
      : undefined,
};
