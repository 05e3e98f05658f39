// The imap module on a transcript recorded from a real server: Dovecot 2.3.19 (Debian 12),
// ssl_verify_client_cert = yes, auth_ssl_require_client_cert = yes, passdb static nopassword=y. The
// STARTTLS dialog runs on a scripted socket; the login answers are read as recorded. Then hostile
// and truncated bytes: always a classified end.
import { describe, expect, it } from 'vitest';
import { converse, script } from '../../../test/helpers/line-dialog.js';
import { imap, IMAP_GREETING, loginCommand, quoted, readLogin } from './imap.js';

const GREETING = '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN AUTH=EXTERNAL] Dovecot (Debian) ready.\r\n';
const STARTTLS_OK = 'a1 OK Begin TLS negotiation now.\r\n';
const NO_CERT = "a2 NO [ALERT] Client didn't present valid SSL certificate\r\n";
const LOGGED_IN =
  'a2 OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE] Logged in\r\n';
const session = () => imap.session({ opts: { host: 'h', port: 143 }, appUser: 'alice' });

describe('imap: STARTTLS', () => {
  it('greeting, STARTTLS, tagged OK: TLS starts, the socket left paused, the greeting kept as evidence', async () => {
    const c = await converse(session().startTls!, GREETING, script({ 'a1 STARTTLS\r\n': STARTTLS_OK }));
    expect(c.sent).toEqual(['a1 STARTTLS\r\n']);
    expect(c.paused).toBe(true);
    expect(c.result).toMatchObject({ ok: true, evidence: { protocol: 'imap', startTls: 'STARTTLS answered OK', message: 'a1 OK Begin TLS negotiation now.' } });
    expect(c.result.ok && c.result.evidence.server).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 .*\] Dovecot \(Debian\) ready\.$/);
  });

  it('the greeting arrives in pieces, untagged lines before the tagged answer are read over', async () => {
    const c = await converse(session().startTls!, GREETING, script({ 'a1 STARTTLS\r\n': `* CAPABILITY IMAP4rev1\r\n${STARTTLS_OK}` }));
    expect(c.result.ok).toBe(true);
  });

  it('bytes after the OK, before the ClientHello, are refused (injected commands, CVE-2011-0411 class)', async () => {
    const c = await converse(session().startTls!, GREETING, script({ 'a1 STARTTLS\r\n': `${STARTTLS_OK}a2 OK LOGIN done\r\n` }));
    expect(c.result).toMatchObject({ ok: false, end: { rejectedAt: 'unreachable', failure: { kind: 'starttls', phase: 'starttls' } } });
    expect(!c.result.ok && c.result.end.reason).toMatch(/sent 18 more plaintext bytes before the TLS handshake: IMAP servers send none there/);
  });

  it('STARTTLS refused (not offered), BYE, PREAUTH, and a server that is not IMAP: no TLS, classified', async () => {
    const bad = await converse(session().startTls!, '* OK ready\r\n', script({ 'a1 STARTTLS\r\n': 'a1 BAD Unknown command\r\n' }));
    expect(!bad.result.ok && bad.result.end.reason).toBe(
      'the IMAP server refused STARTTLS (a1 BAD Unknown command): TLS is not enabled on this IMAP server, or not offered before login',
    );
    const bye = await converse(session().startTls!, '* BYE Too many connections\r\n', () => undefined);
    expect(bye.result).toMatchObject({ ok: false, end: { failure: { kind: 'unavailable' }, application: { message: '* BYE Too many connections' } } });
    const pre = await converse(session().startTls!, '* PREAUTH welcome\r\n', () => undefined);
    expect(!pre.result.ok && pre.result.end.reason).toMatch(/PREAUTH/);
    const smtp = await converse(session().startTls!, '220 mail ESMTP\r\n', () => undefined);
    expect(!smtp.result.ok && smtp.result.end.reason).toBe('the server\'s greeting is not IMAP\'s ("220 mail ESMTP??"): it is not an IMAP server');
    const silent = await converse(session().startTls!, undefined, () => undefined);
    expect(!silent.result.ok && silent.result.end.reason).toBe('the server closed the connection without a greeting, before TLS started');
    const cut = await converse(session().startTls!, GREETING, () => undefined);
    expect(!cut.result.ok && cut.result.end.reason).toBe('the server closed the connection without an answer to STARTTLS, before TLS started');
  });

  it('a line longer than 4096 bytes is not IMAP', async () => {
    const c = await converse(session().startTls!, `* OK ${'x'.repeat(5000)}`, () => undefined);
    expect(!c.result.ok && c.result.end.reason).toMatch(/a line longer than 4096 bytes before TLS started/);
  });

  it('recognises an IMAP greeting strictly', () => {
    expect(imap.detection?.greeting?.(Buffer.from(GREETING))).toBe(true);
    expect(IMAP_GREETING.test('* PREAUTH x')).toBe(true);
    for (const g of ['+OK Dovecot ready.', '220 mail ESMTP', '* NO x', 'HTTP/1.1 200 OK']) expect(imap.detection?.greeting?.(Buffer.from(g))).toBe(false);
  });
});

describe('imap: the login after TLS', () => {
  it('sends LOGIN with the user quoted and an empty password', () => {
    expect(loginCommand('alice')).toBe('a2 LOGIN "alice" ""\r\n');
    expect(quoted('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(session().request!()).toBe('a2 LOGIN "alice" ""\r\n');
  });

  it('tagged OK is served; NO (no certificate) is a refusal at the IMAP layer with the text', () => {
    expect(readLogin(Buffer.from(LOGGED_IN), false, 'alice')).toMatchObject({
      rejectedAt: 'accepted',
      reason: expect.stringMatching(/^the IMAP server logged the client in as "alice" with an empty password: a2 OK \[CAPABILITY/),
      application: { protocol: 'imap', user: 'alice', code: 'CAPABILITY' },
    });
    expect(readLogin(Buffer.from(NO_CERT), false, 'alice')).toEqual({
      rejectedAt: 'application',
      reason: "the TLS connection was established, then the IMAP server refused the login: a2 NO [ALERT] Client didn't present valid SSL certificate",
      application: { protocol: 'imap', user: 'alice', code: 'ALERT', message: "a2 NO [ALERT] Client didn't present valid SSL certificate" },
    });
    expect(readLogin(Buffer.from('a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n'), false, 'alice')?.rejectedAt).toBe('application');
  });

  it('untagged lines are read over; an unfinished answer waits; BYE and UNAVAILABLE are unreachable', () => {
    expect(readLogin(Buffer.from('* CAPABILITY IMAP4rev1\r\na2 OK'), false, 'alice')).toBeUndefined();
    expect(readLogin(Buffer.from(`* CAPABILITY IMAP4rev1\r\n${LOGGED_IN}`), false, 'alice')?.rejectedAt).toBe('accepted');
    expect(readLogin(Buffer.from('* BYE Server shutting down.\r\n'), false, 'alice')).toMatchObject({
      rejectedAt: 'unreachable',
      failure: { kind: 'unavailable' },
    });
    expect(readLogin(Buffer.from('a2 NO [UNAVAILABLE] Temporary failure\r\n'), false, 'alice')).toMatchObject({ rejectedAt: 'unreachable' });
  });

  it('hostile and truncated bytes: shown safely, always classified', () => {
    const hostile = readLogin(Buffer.from('a2 NO \u001b[31mred\u202e\r\n'), false, 'alice');
    expect(hostile?.reason).toBe('the TLS connection was established, then the IMAP server refused the login: a2 NO ?[31mred?');
    expect(readLogin(Buffer.from('HTTP/1.1 400 Bad Request\r\n'), false, 'alice')).toMatchObject({
      rejectedAt: 'accepted',
      reason: 'the server completed the handshake and answered, but not as IMAP does ("HTTP/1.1 400 Bad Request??")',
    });
    expect(readLogin(Buffer.from('a2 O'), true, 'alice')).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'closed' } });
    expect(readLogin(Buffer.alloc(0), true, 'alice')).toBeUndefined();
    expect(readLogin(Buffer.from('x'.repeat(5000)), false, 'alice')).toMatchObject({ rejectedAt: 'accepted', reason: /a line longer than 4096 bytes/ });
  });
});
