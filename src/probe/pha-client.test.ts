// The s_client -msg trace reader on recorded traces (OpenSSL 3.0, against Apache httpd 2.4 with
// SSLVerifyClient require in <Location /secure>, TLS 1.3).
import { describe, expect, it } from 'vitest';
import { needsPha, readPhaTrace } from './pha-client.js';
import type { ProbeOutcome } from './outcome.js';

const HANDSHAKE = `>>> TLS 1.0, RecordHeader [length 0005]
>>> TLS 1.3, Handshake [length 013a], ClientHello
<<< TLS 1.3, Handshake [length 007a], ServerHello
<<< TLS 1.3, Handshake [length 000a], EncryptedExtensions
<<< TLS 1.3, Handshake [length 040c], Certificate
<<< TLS 1.3, Handshake [length 004e], CertificateVerify
<<< TLS 1.3, Handshake [length 0034], Finished
>>> TLS 1.3, ChangeCipherSpec [length 0001]
>>> TLS 1.3, Handshake [length 0034], Finished
<<< TLS 1.3, Handshake [length 0109], NewSessionTicket
>>> TLS 1.2, InnerContent [length 0001]
<<< TLS 1.3, Handshake [length 0092], CertificateRequest
    0d 00 00 8e 20 4b
`;

describe('readPhaTrace', () => {
  it('no certificate: an empty Certificate, then alert 116', () => {
    const t = readPhaTrace(`${HANDSHAKE}>>> TLS 1.3, Handshake [length 0028], Certificate
>>> TLS 1.3, Handshake [length 0034], Finished
<<< TLS 1.3, Alert [length 0002], fatal certificate_required
`);
    expect(t).toEqual({
      serverHello: true,
      handshakeDone: true,
      initialRequest: false,
      postHandshakeRequest: true,
      certificateSent: false,
      sessionTicket: true,
      alert: { code: 116, name: 'certificate_required', level: 2 },
    });
  });

  it('a certificate: Certificate, CertificateVerify, Finished; no alert', () => {
    const t = readPhaTrace(`${HANDSHAKE}>>> TLS 1.3, Handshake [length 0215], Certificate
>>> TLS 1.3, Handshake [length 0050], CertificateVerify
>>> TLS 1.3, Handshake [length 0034], Finished
`);
    expect(t).toMatchObject({ postHandshakeRequest: true, certificateSent: true });
    expect(t.alert).toBeUndefined();
  });

  it('an initial CertificateRequest is not post-handshake; warnings and unknown names are not fatal alerts; garbage is ignored', () => {
    const t = readPhaTrace(`<<< TLS 1.3, Handshake [length 007a], ServerHello
<<< TLS 1.3, Handshake [length 0092], CertificateRequest
<<< TLS 1.3, Alert [length 0002], warning close_notify
<<< TLS 1.3, Alert [length 0002], fatal no_such_alert
HTTP/1.1 200 <<< TLS 1.3, Alert [length 0002], fatal certificate_required
\u0000\u001b[31m`);
    expect(t).toMatchObject({ serverHello: true, initialRequest: true, postHandshakeRequest: false, handshakeDone: false });
    expect(t.alert).toBeUndefined();
  });
});

describe('needsPha', () => {
  const o = (x: Partial<ProbeOutcome>) => ({ protocol: 'TLSv1.3', rejectedAt: 'accepted', ...x }) as ProbeOutcome;
  const opts = { host: 'h', port: 443 };
  it('TLS 1.3 https: a 403, or a post-handshake CertificateRequest node could not answer', () => {
    expect(needsPha(opts, o({ rejectedAt: 'application', httpStatus: 403 }))).toBe(true);
    expect(needsPha(opts, o({ rejectedAt: 'unreachable', postHandshakeAuth: { kind: 'tls13' } }))).toBe(true);
  });
  it('not: TLS 1.2, another protocol, another status, fast or handshake-only probes', () => {
    expect(needsPha(opts, o({ protocol: 'TLSv1.2', rejectedAt: 'application', httpStatus: 403 }))).toBe(false);
    expect(needsPha({ ...opts, protocol: 'tls' }, o({ postHandshakeAuth: { kind: 'tls13' } }))).toBe(false);
    expect(needsPha(opts, o({ rejectedAt: 'application', httpStatus: 401 }))).toBe(false);
    expect(needsPha({ ...opts, detail: 'fast' }, o({ rejectedAt: 'application', httpStatus: 403 }))).toBe(false);
    expect(needsPha({ ...opts, until: 'handshake' }, o({ postHandshakeAuth: { kind: 'tls13' } }))).toBe(false);
  });
});
