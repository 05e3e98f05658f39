// The pop3 module on a transcript recorded from a real server: Dovecot 2.3.19 (Debian 12),
// ssl_verify_client_cert = yes, auth_ssl_require_client_cert = yes, passdb static nopassword=y. The
// STLS dialog runs on a scripted socket; the login answers are read as recorded. Then hostile and
// truncated bytes: always a classified end.
import { describe, expect, it } from 'vitest';
import { converse, script } from '../../../test/helpers/line-dialog.js';
import { loginCommands, pop3, readLogin } from './pop3.js';

const GREETING = '+OK Dovecot (Debian) ready.\r\n';
const STLS_OK = '+OK Begin TLS negotiation now.\r\n';
const NO_CERT = "-ERR [AUTH] Client didn't present valid SSL certificate\r\n";
const session = () => pop3.session({ opts: { host: 'h', port: 110 }, appUser: 'alice' });

describe('pop3: STLS', () => {
  it('greeting, STLS, +OK: TLS starts, the socket left paused, the greeting kept as evidence', async () => {
    const c = await converse(session().startTls!, GREETING, script({ 'STLS\r\n': STLS_OK }));
    expect(c.sent).toEqual(['STLS\r\n']);
    expect(c.paused).toBe(true);
    expect(c.result).toEqual({
      ok: true,
      evidence: { protocol: 'pop3', server: '+OK Dovecot (Debian) ready.', message: '+OK Begin TLS negotiation now.', startTls: 'STLS answered +OK' },
    });
  });

  it('bytes after the +OK, before the ClientHello, are refused (injected commands)', async () => {
    const c = await converse(session().startTls!, GREETING, script({ 'STLS\r\n': `${STLS_OK}USER x\r\n` }));
    expect(!c.result.ok && c.result.end.reason).toBe(
      'the server answered "+OK Begin TLS negotiation now.", then sent 8 more plaintext bytes before the TLS handshake: POP3 servers send none there (injected bytes?)',
    );
  });

  it('STLS not offered, -ERR greeting, a server that is not POP3, a close: no TLS, classified', async () => {
    const no = await converse(session().startTls!, GREETING, script({ 'STLS\r\n': '-ERR Unknown command.\r\n' }));
    expect(!no.result.ok && no.result.end.reason).toBe('the POP3 server refused STLS (-ERR Unknown command.): TLS is not enabled on this POP3 server');
    const err = await converse(session().startTls!, '-ERR [SYS/TEMP] busy\r\n', () => undefined);
    expect(err.result).toMatchObject({ ok: false, end: { failure: { kind: 'unavailable', phase: 'starttls' } } });
    const imap = await converse(session().startTls!, '* OK IMAP ready\r\n', () => undefined);
    expect(!imap.result.ok && imap.result.end.reason).toBe('the server\'s greeting is not POP3\'s ("* OK IMAP ready??"): it is not a POP3 server');
    const cut = await converse(session().startTls!, ['+OK Dov', undefined], () => undefined);
    expect(!cut.result.ok && cut.result.end.reason).toBe('the server closed the connection in the middle of a greeting, before TLS started');
  });

  it('recognises a POP3 greeting strictly', () => {
    expect(pop3.detection?.greeting?.(Buffer.from(GREETING))).toBe(true);
    for (const g of ['* OK IMAP', '220 mail ESMTP', '-ERR x', '+OKAY']) expect(pop3.detection?.greeting?.(Buffer.from(g))).toBe(false);
  });
});

describe('pop3: the login after TLS', () => {
  it('sends USER and an empty PASS, pipelined', () => {
    expect(loginCommands('alice')).toBe('USER alice\r\nPASS \r\n');
    expect(session().request!()).toBe('USER alice\r\nPASS \r\n');
  });

  it('+OK to USER then +OK to PASS is served; -ERR [AUTH] (no certificate) is a refusal at the POP3 layer', () => {
    expect(readLogin(Buffer.from('+OK\r\n'), false, 'alice')).toBeUndefined();
    expect(readLogin(Buffer.from('+OK\r\n+OK Logged in.\r\n'), false, 'alice')).toEqual({
      rejectedAt: 'accepted',
      reason: 'the POP3 server logged the client in as "alice" with an empty password: +OK Logged in.',
      application: { protocol: 'pop3', user: 'alice', message: '+OK Logged in.' },
    });
    expect(readLogin(Buffer.from(`+OK\r\n${NO_CERT}`), false, 'alice')).toEqual({
      rejectedAt: 'application',
      reason: "the TLS connection was established, then the POP3 server refused the login: -ERR [AUTH] Client didn't present valid SSL certificate",
      application: { protocol: 'pop3', user: 'alice', code: 'AUTH', message: "-ERR [AUTH] Client didn't present valid SSL certificate" },
    });
    expect(readLogin(Buffer.from('-ERR No such user\r\n'), false, 'alice')?.reason).toBe(
      'the TLS connection was established, then the POP3 server refused USER: -ERR No such user',
    );
    expect(readLogin(Buffer.from('+OK\r\n-ERR [SYS/TEMP] try later\r\n'), false, 'alice')).toMatchObject({ rejectedAt: 'unreachable' });
  });

  it('hostile and truncated bytes: shown safely, always classified', () => {
    expect(readLogin(Buffer.from('+OK\r\n-ERR \u001b]0;x\u0007\r\n'), false, 'alice')?.reason).toBe(
      'the TLS connection was established, then the POP3 server refused the login: -ERR ?]0;x?',
    );
    expect(readLogin(Buffer.from('SSH-2.0-OpenSSH\r\n'), false, 'alice')).toMatchObject({ rejectedAt: 'accepted', reason: /not as POP3 does/ });
    expect(readLogin(Buffer.from('+OK\r\n+O'), true, 'alice')).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'closed' } });
    expect(readLogin(Buffer.alloc(0), true, 'alice')).toBeUndefined();
  });
});
