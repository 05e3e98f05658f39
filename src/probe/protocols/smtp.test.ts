// The smtp module on a transcript recorded from a real server: Postfix 3.7 (Debian 12),
// smtpd_tls_security_level = encrypt, smtpd_tls_req_ccert = yes. The STARTTLS dialog runs on a
// scripted socket; the answers to EHLO after TLS are read as recorded. Then hostile and truncated
// bytes: always a classified end.
import { describe, expect, it } from 'vitest';
import { converse, script } from '../../../test/helpers/line-dialog.js';
import { EHLO, readEhlo, smtp } from './smtp.js';

const GREETING = '220 mtls-harness.test ESMTP Postfix\r\n';
const EHLO_REPLY =
  '250-mtls-harness.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n';
const READY = '220 2.0.0 Ready to start TLS\r\n';
const NO_CERT = '421 4.7.1 mtls-harness.test Error: No client certificate presented\r\n';
const UNTRUSTED = '421 4.7.1 mtls-harness.test Error: Client certificate not trusted\r\n';
const session = () => smtp.session({ opts: { host: 'h', port: 587 }, appUser: 'alice' });

describe('smtp: STARTTLS', () => {
  it('greeting, EHLO listing STARTTLS, STARTTLS, 220: TLS starts, the socket left paused', async () => {
    const c = await converse(session().startTls!, GREETING, script({ [EHLO]: EHLO_REPLY, 'STARTTLS\r\n': READY }));
    expect(c.sent).toEqual(['EHLO mtls-harness.invalid\r\n', 'STARTTLS\r\n']);
    expect(c.paused).toBe(true);
    expect(c.result).toEqual({
      ok: true,
      evidence: {
        protocol: 'smtp',
        server: '220 mtls-harness.test ESMTP Postfix',
        code: '220',
        message: '220 2.0.0 Ready to start TLS',
        startTls: 'EHLO offered STARTTLS; STARTTLS answered 220',
      },
    });
  });

  it('a multi-line greeting, the EHLO reply in pieces', async () => {
    const c = await converse(session().startTls!, ['220-mail.example ESMTP\r\n', '220 welcome\r\n'], script({ [EHLO]: EHLO_REPLY, 'STARTTLS\r\n': READY }));
    expect(c.result.ok).toBe(true);
  });

  it('bytes after the 220, before the ClientHello, are refused (CVE-2011-0411)', async () => {
    const c = await converse(session().startTls!, GREETING, script({ [EHLO]: EHLO_REPLY, 'STARTTLS\r\n': `${READY}250 injected\r\n` }));
    expect(c.result).toMatchObject({ ok: false, end: { rejectedAt: 'unreachable', failure: { kind: 'starttls', phase: 'starttls' } } });
    expect(!c.result.ok && c.result.end.reason).toBe(
      'the server answered "220 2.0.0 Ready to start TLS", then sent 14 more plaintext bytes before the TLS handshake: SMTP servers send none there (injected bytes?)',
    );
  });

  it('no STARTTLS in the EHLO reply, a 554 or 421 greeting, a server that is not SMTP: no TLS, classified', async () => {
    const plain = EHLO_REPLY.replace('250-STARTTLS\r\n', '');
    const no = await converse(session().startTls!, GREETING, script({ [EHLO]: plain }));
    expect(!no.result.ok && no.result.end.reason).toBe(
      'the SMTP server does not offer STARTTLS (not in its EHLO reply): TLS is not enabled on this SMTP server',
    );
    const busy = await converse(session().startTls!, '421 4.3.2 Service not available\r\n', () => undefined);
    expect(busy.result).toMatchObject({ ok: false, end: { failure: { kind: 'unavailable' }, application: { code: '421' } } });
    const denied = await converse(session().startTls!, '554 5.7.1 No service for you\r\n', () => undefined);
    expect(!denied.result.ok && denied.result.end.reason).toBe('the SMTP server refused the connection before TLS: 554 5.7.1 No service for you');
    const imap = await converse(session().startTls!, '* OK IMAP ready\r\n', () => undefined);
    expect(!imap.result.ok && imap.result.end.reason).toBe('the server\'s answer is not an SMTP reply ("* OK IMAP ready??"): it is not an SMTP server');
    const cut = await converse(session().startTls!, GREETING, script({ [EHLO]: '250-mail\r\n250-PIPE' }));
    expect(!cut.result.ok && cut.result.end.reason).toBe('the server closed the connection in the middle of an answer to EHLO, before TLS started');
  });

  it('recognises an SMTP greeting strictly', () => {
    expect(smtp.detection?.greeting?.(Buffer.from(GREETING))).toBe(true);
    expect(smtp.detection?.greeting?.(Buffer.from('220-first line'))).toBe(true);
    for (const g of ['2200 x', '554 go away', '+OK pop', '* OK imap']) expect(smtp.detection?.greeting?.(Buffer.from(g))).toBe(false);
    expect(smtp.detection?.names).toEqual(['smtp', 'submission']);
  });
});

describe('smtp: EHLO after TLS', () => {
  it('250 is served', () => {
    expect(session().request!()).toBe('EHLO mtls-harness.invalid\r\n');
    expect(readEhlo(Buffer.from(EHLO_REPLY.replace('250-STARTTLS\r\n', '')), false)).toMatchObject({
      rejectedAt: 'accepted',
      reason: 'the SMTP server answered EHLO: 250-mtls-harness.test',
      application: { protocol: 'smtp', code: '250' },
    });
    expect(readEhlo(Buffer.from('250-mtls-harness.test\r\n250-PIPE'), false)).toBeUndefined();
  });

  it('421 4.7.1 (no certificate, not trusted) is a refusal at the SMTP layer; 530 5.7.0 too; a plain 421 is unreachable', () => {
    expect(readEhlo(Buffer.from(NO_CERT), false)).toEqual({
      rejectedAt: 'application',
      reason: 'the TLS connection was established, then the SMTP server refused the client: 421 4.7.1 mtls-harness.test Error: No client certificate presented',
      application: { protocol: 'smtp', code: '421 4.7.1', message: '421 4.7.1 mtls-harness.test Error: No client certificate presented' },
    });
    expect(readEhlo(Buffer.from(UNTRUSTED), false)?.rejectedAt).toBe('application');
    expect(readEhlo(Buffer.from('530 5.7.0 Must issue a STARTTLS command first\r\n'), false)?.rejectedAt).toBe('application');
    expect(readEhlo(Buffer.from('421 4.3.2 Service shutting down\r\n'), false)).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'unavailable' } });
    expect(readEhlo(Buffer.from('550 5.1.1 no such user\r\n'), false)?.rejectedAt).toBe('accepted');
  });

  it('hostile and truncated bytes: shown safely, always classified', () => {
    expect(readEhlo(Buffer.from('421 4.7.1 \u001b[2J\u202egone\r\n'), false)?.reason).toBe(
      'the TLS connection was established, then the SMTP server refused the client: 421 4.7.1 ?[2J?gone',
    );
    expect(readEhlo(Buffer.from('HTTP/1.1 400 Bad Request\r\n'), false)).toMatchObject({ rejectedAt: 'accepted', reason: /not as SMTP does/ });
    expect(readEhlo(Buffer.from('250-a\r\n25'), true)).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'closed' } });
    expect(readEhlo(Buffer.alloc(0), true)).toBeUndefined();
  });
});
