/**
 * pop3: the server greets (`+OK`), the client sends `STLS`, the server answers `+OK`, then TLS
 * (RFC 2595 4). After the handshake, `USER <user>` and `PASS ` (empty), pipelined: a server that
 * checks client certificates (Dovecot's `auth_ssl_require_client_cert`) completes the handshake
 * without one and refuses at the login (`-ERR [AUTH] Client didn't present valid SSL
 * certificate`). +OK to PASS is served; -ERR is a refusal at the POP3 layer (the control decides
 * whether it was the certificate); -ERR [SYS/TEMP] and [IN-USE] (RFC 3206) are unreachable.
 * Implicit TLS (995) is `--protocol tls`.
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

/** A POP3 greeting (RFC 1939 4). */
export const POP3_GREETING = /^\+OK\b/;

/** Every POP3 reply here is one status line. */
const oneLine = (b: Buffer) => replyUntil(b, () => true);

/** USER and an empty PASS, pipelined (the answers come in order). */
export function loginCommands(user: string): string {
  return `USER ${user}\r\nPASS \r\n`;
}

/** The plaintext dialog: greeting, STLS, its answer. */
export function pop3Dialog(app: (more?: Partial<ApplicationEvidence>) => ApplicationEvidence) {
  let stage: 'greeting' | 'STLS' = 'greeting';
  let server: string | undefined;
  return {
    get stage() {
      return stage;
    },
    reply: oneLine,
    next(reply: Buffer, rest: Buffer): StartTlsResult | { send: string } {
      const said = lineText(reply);
      const ok = reply.subarray(0, 3).toString('latin1') === '+OK';
      const err = reply.subarray(0, 4).toString('latin1') === '-ERR';
      if (stage === 'greeting') {
        server = said;
        if (ok) {
          stage = 'STLS';
          return { send: 'STLS\r\n' };
        }
        if (err) return noTls(`the POP3 server refused the connection before TLS: ${said}`, app({ message: said }), 'unavailable');
        return noTls(`the server's greeting is not POP3's ("${serverText(reply, 60)}"): it is not a POP3 server`, app());
      }
      const evidence = app({ ...(server ? { server } : {}), message: said });
      if (ok) return goAhead('POP3', said, rest, { ...evidence, startTls: 'STLS answered +OK' });
      if (err) return noTls(`the POP3 server refused STLS (${said}): TLS is not enabled on this POP3 server`, evidence);
      return noTls(`the server answered STLS with "${said}", not as POP3 does`, evidence);
    },
    ended: (partial: Buffer, end: { code?: string }) => endedBeforeTls(awaited(stage), partial, end, app(server ? { server } : {})),
  };
}

/** What the server's answers to USER and PASS mean (after TLS). */
export function readLogin(buffered: Buffer, ended: boolean, user: string): AppVerdict | undefined {
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'pop3', user: serverText(Buffer.from(user), 128), ...more });
  const decide = (reply: Buffer, index: number): AppVerdict | undefined => {
    const said = lineText(reply);
    const code = /^-ERR \[([A-Z/-]{1,32})\]/i.exec(reply.toString('latin1'))?.[1]?.toUpperCase();
    const evidence = app({ message: said, ...(code ? { code } : {}) });
    if (reply.subarray(0, 3).toString('latin1') === '+OK') {
      if (index === 0) return undefined; // USER accepted: the answer to PASS decides
      return served(`the POP3 server logged the client in as "${serverText(Buffer.from(user), 80)}" with an empty password: ${said}`, evidence);
    }
    if (reply.subarray(0, 4).toString('latin1') !== '-ERR')
      return served(`the server completed the handshake and answered, but not as POP3 does ("${serverText(reply, 60)}")`, app());
    const to = index === 0 ? 'USER' : 'the login';
    if (code === 'SYS/TEMP' || code === 'IN-USE') return unavailable(`the POP3 server cannot serve now (${to}): ${said}`, evidence);
    return refused(`the TLS connection was established, then the POP3 server refused ${to}: ${said}`, evidence);
  };
  return readReplies(buffered, ended, oneLine, decide, (_, why) => cutReply('POP3', app(), why));
}

export const pop3: ProtocolModule<'pop3'> = {
  name: 'pop3',
  title: 'POP3',
  layer: 'POP3',
  plaintextHttp: false,
  defaultPorts: [110],
  detection: { names: ['pop3'], greeting: (first) => POP3_GREETING.test(first.subarray(0, 16).toString('latin1')) },
  alpn: [],
  startsTls: 'the server greets (+OK), the client sends STLS, the server answers +OK',
  answer: 'POP3 answer to USER and PASS',
  session: (ctx) =>
    lineSession(
      'POP3',
      'pop3',
      pop3Dialog((more = {}) => ({ protocol: 'pop3', ...more })),
      loginCommands(ctx.appUser),
      (b, ended) => readLogin(b, ended, ctx.appUser),
    ),
  refusal: (o) => serverText(Buffer.from(o.application?.message ?? o.reason), 120),
  controlRefusedHint: (c) =>
    c.application?.protocol === 'pop3' && c.rejectedAt === 'application'
      ? `the POP3 server refused the valid client too (${c.application.message ?? '?'}): the harness logs in as "${c.application.user ?? '?'}" with an empty password, so the server must let a certificate admit the user without a password (Dovecot: a passdb with nopassword=y for certificate logins); else the refusal says nothing about the certificate`
      : undefined,
};
