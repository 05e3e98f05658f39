/**
 * redis: raw TLS at connect, `PING` after the handshake, one RESP line back
 * (https://redis.io/docs/latest/develop/reference/protocol-spec/). `+PONG` (any reply) is served;
 * `-NOAUTH`/`-WRONGPASS` asked for a password, which is served too (docs/protocols.md "Asked for a
 * password"); `-NOPERM` (an ACL refusal) and `-DENIED` (protected mode) are refusals at the Redis
 * layer; `-LOADING`, `-BUSY`, `-MASTERDOWN`, `-TRYAGAIN` are unreachable (it cannot serve now).
 * Redis refuses a missing or untrusted certificate in TLS (`tls-auth-clients`): those ends are
 * classified by the TLS rules.
 */
import type { ApplicationEvidence } from '../rejection.js';
import type { AppVerdict, ProtocolModule } from './types.js';
import { refused, served, serverText, unavailable } from './wire.js';

/** A reply line longer than this is not Redis answering PING. */
const LINE_MAX = 4096;

const PASSWORD = new Set(['NOAUTH', 'WRONGPASS']);
const REFUSALS = new Set(['NOPERM', 'DENIED']);
const BUSY = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN']);

/** What the server's reply to PING means. */
export function readPong(buffered: Buffer, ended: boolean): AppVerdict | undefined {
  const eol = buffered.indexOf(0x0a);
  if (eol < 0 && !ended && buffered.length < LINE_MAX) return undefined;
  if (buffered.length === 0) return undefined;
  let first = buffered.subarray(0, eol < 0 ? LINE_MAX : eol);
  if (first[first.length - 1] === 0x0d) first = first.subarray(0, first.length - 1);
  const line = serverText(first, 200);
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'redis', message: line, ...more });
  const type = buffered[0];
  if (type === 0x2d /* - */) {
    const code = /^-([A-Z]{1,32})\b/.exec(line)?.[1];
    const evidence = app(code ? { code } : {});
    if (code && PASSWORD.has(code))
      return served(
        `the Redis server asked for a password (${line}): the certificate is not what admits this client, and the server did not refuse it for lack of one`,
        evidence,
      );
    if (code && REFUSALS.has(code)) return refused(`the TLS connection was established, then the Redis server refused the command: ${line}`, evidence);
    if (code && BUSY.has(code)) return unavailable(`the Redis server cannot serve now: ${line}`, evidence);
    return served(`the Redis server answered PING with an error: ${line}`, evidence);
  }
  if (type !== undefined && '+$*:_%|#,(=~>'.includes(String.fromCharCode(type))) return served(`the Redis server answered PING: ${line}`, app());
  return served(`the server completed the handshake and answered, but not as Redis does ("${serverText(buffered.subarray(0, 40), 40)}")`, app());
}

export const redis: ProtocolModule<'redis'> = {
  name: 'redis',
  title: 'Redis',
  layer: 'Redis',
  plaintextHttp: false,
  defaultPorts: [6379, 6380],
  // Any RESP reply to PING (its first byte a RESP type) is Redis (or a server speaking its protocol).
  detection: { names: ['redis', 'rediss'], recognises: (a) => /^[+\-:$*_%|#,(=~>]/.test(a.message ?? '') },
  alpn: [],
  startsTls: 'at connect',
  answer: 'Redis reply',
  session: () => ({
    request: () => 'PING\r\n',
    read: readPong,
  }),
  refusal: (o) => serverText(Buffer.from(o.application?.message ?? o.reason), 120),
};
