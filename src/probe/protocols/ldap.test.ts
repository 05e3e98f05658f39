// The ldap module on messages recorded from a real server: slapd 2.5.13 (Debian), answering the
// harness's StartTLS and WhoAmI extended requests with the settings named on each. Result codes
// slapd did not produce here are built from RFC 4511 (the same LDAPMessage, another resultCode).
import { describe, expect, it } from 'vitest';
import { extendedRequest, ldap, readElement, readExtendedResponse, readStartTlsAnswer, readWhoAmI, STARTTLS_OID, WHOAMI_OID } from './ldap.js';

const hex = (h: string) => Buffer.from(h, 'hex');

/** StartTLS, TLS configured: resultCode 0. */
const STARTTLS_OK = hex('300c02010178070a010004000400');
/** StartTLS, no TLS certificate configured: resultCode 2 "unsupported extended operation". */
const STARTTLS_NO_TLS = hex('302a02010178250a01020400041e756e737570706f7274656420657874656e646564206f7065726174696f6e');
/** WhoAmI over TLS, TLSVerifyClient never, no bind: success, an empty authzId. */
const WHOAMI_ANON = hex('300e02010278090a0100040004008b00');
/** WhoAmI over TLS with `require authc`: 53 unwillingToPerform "authentication required". */
const WHOAMI_AUTHC = hex('3023020102781e0a01350400041761757468656e7469636174696f6e207265717569726564');

/** An ExtendedResponse with another resultCode, diagnosticMessage and optional responseValue. */
function response(id: number, code: number, diag = '', value?: string): Buffer {
  const d = Buffer.from(diag);
  const v = value === undefined ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x8b, value.length]), Buffer.from(value)]);
  const op = Buffer.concat([Buffer.from([0x0a, 1, code, 0x04, 0, 0x04, d.length]), d, v]);
  const body = Buffer.concat([Buffer.from([0x02, 1, id, 0x78, op.length]), op]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

describe('ldap: StartTLS', () => {
  it('sends the StartTLS extended request (messageID 1), then WhoAmI (messageID 2), as BER', () => {
    expect(extendedRequest(1, STARTTLS_OID).toString('hex')).toBe(`301d02010177188016${Buffer.from(STARTTLS_OID).toString('hex')}`);
    expect(extendedRequest(2, WHOAMI_OID).toString('hex')).toBe(`301e02010277198017${Buffer.from(WHOAMI_OID).toString('hex')}`);
    const session = ldap.session({ opts: { host: 'h', port: 389 }, appUser: 'u' });
    expect(session.startTls).toBeTypeOf('function');
    expect(session.request?.()).toEqual(extendedRequest(2, WHOAMI_OID));
  });

  it('LDAPS: TLS at connect on port 636, StartTLS on any other port', () => {
    expect(ldap.session({ opts: { host: 'h', port: 636 }, appUser: 'u' }).startTls).toBeUndefined();
    expect(ldap.session({ opts: { host: 'h', port: 10389 }, appUser: 'u' }).startTls).toBeTypeOf('function');
    expect(ldap.defaultPorts).toEqual([389, 636]);
    expect(ldap.detection?.names).toEqual(['ldap', 'ldaps']);
  });

  it('resultCode 0 starts TLS; 2 (no TLS configured) and 52 end it with the code and message', () => {
    expect(readStartTlsAnswer(STARTTLS_OK, undefined)).toEqual({ ok: true, evidence: { protocol: 'ldap', startTls: 'StartTLS answered success (0)' } });
    expect(readStartTlsAnswer(STARTTLS_NO_TLS, undefined)).toEqual({
      ok: false,
      end: {
        rejectedAt: 'unreachable',
        failure: { kind: 'starttls', phase: 'starttls' },
        reason:
          'the LDAP server refused StartTLS: resultCode 2 protocolError: unsupported extended operation (an LDAP server without TLS configured answers so)',
        application: {
          protocol: 'ldap',
          startTls: 'StartTLS answered resultCode 2 protocolError: unsupported extended operation',
          code: '2',
          message: 'resultCode 2 protocolError: unsupported extended operation',
        },
      },
    });
    expect(readStartTlsAnswer(response(1, 52, 'Could not initialize TLS'), undefined)).toMatchObject({
      ok: false,
      end: {
        rejectedAt: 'unreachable',
        failure: { kind: 'starttls' },
        application: { code: '52', message: 'resultCode 52 unavailable: Could not initialize TLS' },
      },
    });
  });

  it('a byte after the success before the ClientHello ends it (injection); a partial answer waits', () => {
    const r = readStartTlsAnswer(Buffer.concat([STARTTLS_OK, Buffer.from('x')]), undefined);
    expect(r).toMatchObject({ ok: false, end: { rejectedAt: 'unreachable', failure: { kind: 'starttls' } } });
    expect(!r!.ok && r!.end.reason).toContain('then sent 1 more plaintext bytes before the TLS handshake');
    for (let n = 0; n < STARTTLS_OK.length; n++) expect(readStartTlsAnswer(STARTTLS_OK.subarray(0, n), undefined)).toBeUndefined();
    expect(readStartTlsAnswer(STARTTLS_OK.subarray(0, 5), {})).toMatchObject({
      ok: false,
      end: { reason: expect.stringMatching(/closed the connection in the middle/) },
    });
    expect(readStartTlsAnswer(Buffer.alloc(0), { code: 'ECONNRESET' })).toMatchObject({ ok: false, end: { failure: { kind: 'reset' } } });
    expect(readStartTlsAnswer(Buffer.from('HTTP/1.1 400 Bad Request\r\n'), undefined)).toMatchObject({
      ok: false,
      end: { reason: expect.stringMatching(/not an LDAP ExtendedResponse: it is not an LDAP server/) },
    });
  });
});

describe('ldap: WhoAmI after TLS', () => {
  it('resultCode 0 is served, with the authzId (anonymous when empty)', () => {
    expect(readWhoAmI(WHOAMI_ANON, false)).toEqual({
      rejectedAt: 'accepted',
      reason: 'the LDAP server answered WhoAmI: anonymous (an empty authzId)',
      application: { protocol: 'ldap', code: '0', message: 'WhoAmI anonymous (an empty authzId)' },
    });
    expect(readWhoAmI(response(2, 0, '', 'dn:cn=alice,dc=example'), false)).toMatchObject({
      rejectedAt: 'accepted',
      application: { user: 'dn:cn=alice,dc=example', message: 'WhoAmI "dn:cn=alice,dc=example"' },
    });
  });

  it('50, 48, 13, 8 and 53 (slapd require authc) are refusals at the LDAP layer; 51 and 52 unreachable; others served', () => {
    expect(readWhoAmI(WHOAMI_AUTHC, false)).toEqual({
      rejectedAt: 'application',
      reason: 'the TLS connection was established, then the LDAP server refused the operation: resultCode 53 unwillingToPerform: authentication required',
      application: { protocol: 'ldap', code: '53', message: 'resultCode 53 unwillingToPerform: authentication required' },
    });
    for (const code of [50, 48, 13, 8]) expect(readWhoAmI(response(2, code), false)?.rejectedAt).toBe('application');
    for (const code of [51, 52]) expect(readWhoAmI(response(2, code), false)).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'unavailable' } });
    expect(readWhoAmI(response(0, 52, 'shutting down'), false)?.reason).toBe(
      'the LDAP server cannot serve now: a Notice of Disconnection, resultCode 52 unavailable: shutting down',
    );
    expect(readWhoAmI(response(2, 2, 'unsupported extended operation'), false)).toMatchObject({ rejectedAt: 'accepted' });
    expect(ldap.refusal({ application: { protocol: 'ldap', message: 'resultCode 50 insufficientAccessRights' } } as never)).toBe(
      'resultCode 50 insufficientAccessRights',
    );
  });

  it('waits for the whole message; cut short at the end is unreachable (closed); not BER is an answer, not as LDAP', () => {
    for (let n = 1; n < WHOAMI_ANON.length; n++) expect(readWhoAmI(WHOAMI_ANON.subarray(0, n), false)).toBeUndefined();
    expect(readWhoAmI(WHOAMI_ANON.subarray(0, 9), true)).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'closed' } });
    expect(readWhoAmI(Buffer.from('+PONG\r\n'), false)?.reason).toMatch(/not with an LDAP ExtendedResponse/);
  });

  it('the BER reader is bounded and never throws on hostile bytes', () => {
    expect(readElement(hex('3084ffffffff'))).toBe('bad');
    expect(readElement(hex('3080'))).toBe('bad');
    expect(readElement(hex('308200'))).toBe('more');
    expect(readElement(hex('30820003010203'))).toMatchObject({ tag: 0x30, next: 7 });
    expect(readExtendedResponse(hex('300602010165000000'))).toBe('bad');
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.from(WHOAMI_AUTHC);
      for (let k = 0; k < 4; k++) junk[Math.floor(Math.random() * junk.length)] = Math.floor(Math.random() * 256);
      expect(() => readWhoAmI(junk, true)).not.toThrow();
      expect(() => readStartTlsAnswer(junk, {})).not.toThrow();
    }
  });
});
