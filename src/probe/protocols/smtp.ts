/**
 * smtp (submission and relay): the server greets (`220`), the client sends EHLO; the reply must
 * list STARTTLS; the client sends STARTTLS, the server answers `220`, then TLS (RFC 3207). After the
 * handshake, EHLO again: Postfix with `smtpd_tls_req_ccert = yes` completes the handshake without
 * a certificate and answers that EHLO with `421 4.7.1 … Error: No client certificate presented`.
 * 250 is served; 421 with an enhanced code 4.7.x and 530/535/550/554 with 5.7.x are refusals at the
 * SMTP layer; any other 421 is unreachable. Implicit TLS (465) is `--protocol tls`.
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
  rawLines,
  readReplies,
  refused,
  replyUntil,
  served,
  serverText,
  unavailable,
} from './wire.js';

/** An SMTP greeting: 220 and a space or a hyphen (RFC 5321 4.2). */
export const SMTP_GREETING = /^220[ -]/;

/** The name the client gives in EHLO: a domain reserved for no real host (RFC 6761). */
export const EHLO = 'EHLO mtls-harness.invalid\r\n';

/** A reply runs to its last line, the one without a hyphen after the code (a line that is no reply line ends it too). */
const smtpReply = (b: Buffer) => replyUntil(b, (line) => !/^\d{3}-/.test(line));

/** The reply code of a reply (its last line's), undefined when it has none. */
function replyCode(reply: Buffer): number | undefined {
  const last = rawLines(reply).pop() ?? '';
  const m = /^(\d{3})(?: |$)/.exec(last);
  return m ? Number(m[1]) : undefined;
}

/** The enhanced status code (RFC 3463) of the reply's last line: "4.7.1". */
function enhanced(reply: Buffer): string | undefined {
  return /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(rawLines(reply).pop() ?? '')?.[1];
}

/** The plaintext dialog: greeting, EHLO (must offer STARTTLS), STARTTLS, its 220. */
export function smtpDialog(app: (more?: Partial<ApplicationEvidence>) => ApplicationEvidence) {
  let stage: 'greeting' | 'EHLO' | 'STARTTLS' = 'greeting';
  let server: string | undefined;
  return {
    get stage() {
      return stage;
    },
    reply: smtpReply,
    next(reply: Buffer, rest: Buffer): StartTlsResult | { send: string } {
      const code = replyCode(reply);
      const said = lineText(reply);
      const evidence = app({ ...(server ? { server } : {}), message: said, ...(code ? { code: String(code) } : {}) });
      if (code === undefined) return noTls(`the server's answer is not an SMTP reply ("${serverText(reply, 60)}"): it is not an SMTP server`, evidence);
      if (stage === 'greeting') {
        server = lineText(reply, 120);
        if (code === 220) {
          stage = 'EHLO';
          return { send: EHLO };
        }
        return noTls(`the SMTP server refused the connection before TLS: ${said}`, evidence, code === 421 ? 'unavailable' : 'starttls');
      }
      if (stage === 'EHLO') {
        if (code !== 250) return noTls(`the SMTP server refused EHLO before TLS: ${said}`, evidence, code === 421 ? 'unavailable' : 'starttls');
        if (!rawLines(reply).some((l) => /^250[ -]STARTTLS\s*$/i.test(l)))
          return noTls('the SMTP server does not offer STARTTLS (not in its EHLO reply): TLS is not enabled on this SMTP server', evidence);
        stage = 'STARTTLS';
        return { send: 'STARTTLS\r\n' };
      }
      if (code === 220) return goAhead('SMTP', said, rest, { ...evidence, startTls: 'EHLO offered STARTTLS; STARTTLS answered 220' });
      return noTls(`the SMTP server refused STARTTLS: ${said}`, evidence, code === 421 ? 'unavailable' : 'starttls');
    },
    ended: (partial: Buffer, end: { code?: string }) => endedBeforeTls(awaited(stage), partial, end, app(server ? { server } : {})),
  };
}

/** The codes of a refusal for the client's credentials, when the enhanced code says security (5.7.x). */
const SECURITY_REFUSALS = new Set([530, 535, 550, 554]);

/** What the server's answer to the EHLO after TLS means. */
export function readEhlo(buffered: Buffer, ended: boolean): AppVerdict | undefined {
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'smtp', ...more });
  const decide = (reply: Buffer): AppVerdict => {
    const code = replyCode(reply);
    const said = lineText(reply);
    if (code === undefined) return served(`the server completed the handshake and answered, but not as SMTP does ("${serverText(reply, 60)}")`, app());
    const status = enhanced(reply);
    const evidence = app({ code: status ? `${code} ${status}` : String(code), message: said });
    if (code === 250) return served(`the SMTP server answered EHLO: ${lineText(Buffer.from(rawLines(reply)[0] ?? ''), 120)}`, evidence);
    if ((code === 421 && status?.startsWith('4.7.')) || (SECURITY_REFUSALS.has(code) && status?.startsWith('5.7.')))
      return refused(`the TLS connection was established, then the SMTP server refused the client: ${said}`, evidence);
    if (code === 421) return unavailable(`the SMTP server cannot serve now: ${said}`, evidence);
    return served(`the SMTP server answered EHLO: ${said}`, evidence);
  };
  return readReplies(buffered, ended, smtpReply, decide, (_, why) => cutReply('SMTP', app(), why));
}

export const smtp: ProtocolModule<'smtp'> = {
  name: 'smtp',
  title: 'SMTP',
  layer: 'SMTP',
  plaintextHttp: false,
  defaultPorts: [587, 25],
  detection: { names: ['smtp', 'submission'], greeting: (first) => SMTP_GREETING.test(first.subarray(0, 8).toString('latin1')) },
  alpn: [],
  startsTls: 'the server greets (220), the client sends EHLO (STARTTLS offered), then STARTTLS, the server answers 220',
  answer: 'SMTP answer to EHLO',
  session: () =>
    lineSession(
      'SMTP',
      'smtp',
      smtpDialog((more = {}) => ({ protocol: 'smtp', ...more })),
      EHLO,
      readEhlo,
    ),
  refusal: (o) => serverText(Buffer.from(o.application?.message ?? o.reason), 120),
  controlRefusedHint: (c) =>
    c.application?.protocol === 'smtp' && c.rejectedAt === 'application'
      ? `the SMTP server refused the valid client too (${c.application.message ?? '?'}): its certificate must chain to the CA the server trusts for clients (Postfix: smtpd_tls_CAfile), and a relay may also require the certificate's fingerprint in a table (check_ccert_access); else the refusal says nothing about the certificate`
      : undefined,
};
