/**
 * ldap: the StartTLS extended operation before TLS (RFC 4511 §4.14, OID 1.3.6.1.4.1.1466.20037),
 * or TLS at connect on port 636 (LDAPS); after the handshake a WhoAmI extended operation (RFC 4532,
 * 1.3.6.1.4.1.4203.1.11.3), anonymous (no bind). Its resultCode decides: 0 is served (the authzId as
 * evidence), 50 insufficientAccessRights, 48 inappropriateAuthentication, 13
 * confidentialityRequired, 8 strongerAuthRequired and 53 unwillingToPerform (slapd `require authc`)
 * are refusals at the LDAP layer, 51 busy and 52
 * unavailable are unreachable, any other code answered the client. The messages are BER, encoded
 * by hand and read by a small bounded reader that never throws.
 */
import type { ApplicationEvidence } from '../rejection.js';
import type { AppVerdict, ProtocolModule, StartTlsResult } from './types.js';
import { endedHow, noTls, plainExchange, refused, served, serverText, unavailable } from './wire.js';

export const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';
export const WHOAMI_OID = '1.3.6.1.4.1.4203.1.11.3';

/** An LDAP message longer than this is not an answer to an extended operation. */
const MESSAGE_MAX = 64 * 1024;

/** A BER element: its length in definite form (short, or long up to 4 bytes). */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

/** LDAPMessage { messageID, ExtendedRequest [APPLICATION 23] { requestName [0] oid } }. */
export function extendedRequest(messageId: number, oid: string): Buffer {
  return tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([messageId])), tlv(0x77, tlv(0x80, Buffer.from(oid, 'latin1')))]));
}

/** One element read: its tag, content and where the next one starts; `more` when it runs past the bytes at hand. */
type Element = { tag: number; content: Buffer; next: number } | 'more' | 'bad';

/** Reads one BER element at `off` (definite lengths only, as LDAP requires). Never throws. */
export function readElement(b: Buffer, off = 0): Element {
  if (off + 2 > b.length) return 'more';
  const tag = b[off]!;
  const first = b[off + 1]!;
  let len = first;
  let head = 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) return 'bad';
    if (off + 2 + n > b.length) return 'more';
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[off + 2 + i]!;
    head += n;
  }
  if (len > MESSAGE_MAX) return 'bad';
  if (off + head + len > b.length) return 'more';
  return { tag, content: b.subarray(off + head, off + head + len), next: off + head + len };
}

/** The children of a constructed element, at most 16 (a malformed child ends the list). */
function children(content: Buffer): { tag: number; content: Buffer }[] {
  const out: { tag: number; content: Buffer }[] = [];
  let off = 0;
  while (off < content.length && out.length < 16) {
    const e = readElement(content, off);
    if (typeof e === 'string') break;
    out.push(e);
    off = e.next;
  }
  return out;
}

/** An ExtendedResponse read from the first LDAPMessage: its resultCode, diagnosticMessage, responseValue. */
export interface ExtendedResponse {
  messageId: number;
  resultCode: number;
  diagnostic: string;
  value?: Buffer;
  /** The bytes after this message. */
  rest: number;
}

/** The first LDAPMessage, if it is an ExtendedResponse: `more` when incomplete, `bad` when it is not one. */
export function readExtendedResponse(b: Buffer): ExtendedResponse | 'more' | 'bad' {
  if (b.length > 0 && b[0] !== 0x30) return 'bad';
  const msg = readElement(b);
  if (typeof msg === 'string') return msg;
  const [id, op] = children(msg.content);
  if (id?.tag !== 0x02 || id.content.length < 1 || id.content.length > 4 || op?.tag !== 0x78) return 'bad';
  const parts = children(op.content);
  const code = parts[0];
  if (code?.tag !== 0x0a || code.content.length < 1 || code.content.length > 4) return 'bad';
  const diag = parts[2]?.tag === 0x04 ? serverText(parts[2].content, 200) : '';
  const value = parts.find((p) => p.tag === 0x8b)?.content;
  return {
    messageId: id.content.readUIntBE(0, id.content.length),
    resultCode: code.content.readUIntBE(0, code.content.length),
    diagnostic: diag,
    ...(value ? { value } : {}),
    rest: b.length - msg.next,
  };
}

/** LDAP result codes, named (RFC 4511 Appendix A). */
const RESULT_NAMES: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'operationsError',
  2: 'protocolError',
  8: 'strongerAuthRequired',
  13: 'confidentialityRequired',
  48: 'inappropriateAuthentication',
  49: 'invalidCredentials',
  50: 'insufficientAccessRights',
  51: 'busy',
  52: 'unavailable',
  53: 'unwillingToPerform',
  80: 'other',
};

/** slapd's `require authc` answers an anonymous operation 53 unwillingToPerform "authentication required": a refusal too. */
const REFUSALS = new Set([8, 13, 48, 50, 53]);
const BUSY = new Set([51, 52]);

/** "resultCode 2 protocolError: unsupported extended operation". */
function describe(r: ExtendedResponse): string {
  return `resultCode ${r.resultCode} ${RESULT_NAMES[r.resultCode] ?? 'unknown'}${r.diagnostic ? `: ${r.diagnostic}` : ''}`;
}

/** What the server's answer to the StartTLS request means. */
export function readStartTlsAnswer(b: Buffer, end: { code?: string } | undefined): StartTlsResult | undefined {
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'ldap', ...more });
  if (b.length === 0) {
    if (!end) return undefined;
    return noTls(
      `the server ${endedHow(end)} on the StartTLS request without answering: it is not an LDAP server, or it refuses this client before TLS`,
      app(),
      end.code === 'ECONNRESET' ? 'reset' : 'starttls',
    );
  }
  const r = readExtendedResponse(b);
  if (r === 'more') {
    if (!end) return undefined;
    return noTls(`the server ${endedHow(end)} in the middle of its answer to the StartTLS request`, app());
  }
  if (r === 'bad')
    return noTls(
      `the server answered the StartTLS request with 0x${b.subarray(0, 8).toString('hex')} ("${serverText(b.subarray(0, 40), 40)}"), not an LDAP ExtendedResponse: it is not an LDAP server`,
      app(),
    );
  const message = describe(r);
  const evidence = app({ startTls: `StartTLS answered ${message}`, code: String(r.resultCode), message });
  if (r.resultCode !== 0) {
    const hint = r.resultCode === 2 ? ' (an LDAP server without TLS configured answers so)' : '';
    return noTls(`the LDAP server refused StartTLS: ${message}${hint}`, evidence);
  }
  if (r.rest > 0)
    // A server sends nothing after its StartTLS success until our ClientHello: bytes there were put in the plaintext stream.
    return noTls(
      `the LDAP server accepted StartTLS, then sent ${r.rest} more plaintext bytes before the TLS handshake: an LDAP server sends none there (injected bytes?)`,
      app({ startTls: 'StartTLS answered success, with bytes after it', code: '0', message }),
    );
  return { ok: true, evidence: app({ startTls: 'StartTLS answered success (0)' }) };
}

/** What the server's answer to WhoAmI (after TLS) means. */
export function readWhoAmI(b: Buffer, ended: boolean): AppVerdict | undefined {
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'ldap', ...more });
  if (b.length === 0) return undefined;
  const r = readExtendedResponse(b);
  if (r === 'more') {
    if (!ended) return undefined;
    return unavailable('the LDAP answer was cut short in the middle of a message (the connection ended, or the answer passed the read limit)', app(), 'closed');
  }
  if (r === 'bad')
    return served(
      `the server completed the handshake and answered, but not with an LDAP ExtendedResponse (starting 0x${b.subarray(0, 8).toString('hex')}, "${serverText(b.subarray(0, 40), 40)}")`,
      app(),
    );
  const message = describe(r);
  // messageID 0 is an unsolicited notification (a Notice of Disconnection, RFC 4511 §4.4.1).
  const notice = r.messageId === 0 ? 'a Notice of Disconnection, ' : '';
  if (r.resultCode === 0) {
    const authz = r.value && r.value.length > 0 ? serverText(r.value, 200) : '';
    const who = authz ? `"${authz}"` : 'anonymous (an empty authzId)';
    return served(`the LDAP server answered WhoAmI: ${who}`, app({ code: '0', message: `WhoAmI ${who}`, ...(authz ? { user: authz } : {}) }));
  }
  const evidence = app({ code: String(r.resultCode), message });
  if (REFUSALS.has(r.resultCode))
    return refused(`the TLS connection was established, then the LDAP server refused the operation: ${notice}${message}`, evidence);
  if (BUSY.has(r.resultCode)) return unavailable(`the LDAP server cannot serve now: ${notice}${message}`, evidence);
  return served(`the LDAP server answered WhoAmI with ${notice}${message}`, evidence);
}

/** LDAPS: TLS at connect on this port; StartTLS on any other. */
export const LDAPS_PORT = 636;

export const ldap: ProtocolModule<'ldap'> = {
  name: 'ldap',
  title: 'LDAP',
  layer: 'LDAP',
  plaintextHttp: false,
  defaultPorts: [389, 636],
  detection: { names: ['ldap', 'ldaps'] },
  alpn: [],
  startsTls: `the StartTLS extended operation, the server answers success (at connect on port ${LDAPS_PORT})`,
  answer: 'LDAP answer to WhoAmI',
  session: (ctx) => ({
    ...(ctx.opts.port === LDAPS_PORT
      ? {}
      : {
          startTls: (raw) => plainExchange(raw, extendedRequest(1, STARTTLS_OID), readStartTlsAnswer, { protocol: 'ldap' }),
          startTlsStalled: (ms: number) => `the server accepted the TCP connection but did not answer the LDAP StartTLS request within ${ms} ms`,
        }),
    request: () => extendedRequest(2, WHOAMI_OID),
    read: readWhoAmI,
  }),
  refusal: (o) => serverText(Buffer.from(o.application?.message ?? o.reason), 120),
  controlRefusedHint: (c) =>
    c.application?.protocol === 'ldap' && c.rejectedAt === 'application'
      ? `the LDAP server refused the valid client too (${c.application.message}): the harness sends no bind, so its WhoAmI is anonymous; a server that refuses anonymous operations (slapd "disallow bind_anon", "require authc") refuses every client of the harness, whatever its certificate`
      : undefined,
};
