// "Rejection, precisely" as a table: every way a connection can end, and what the probe concludes.
// The connection state machine (tls-probe.ts) feeds these functions what it observed; integration
// tests (test/probe-failures, false-verdicts, probe-post-handshake) prove the observations against
// real peers.
import { describe, expect, it } from 'vitest';
import type { ServerFlight } from './tls-records.js';
import { classifyConnectError, classifyHttp, classifyTlsEnd, describeNonTls, httpServerHeader, type TlsEnd } from './rejection.js';

const flight = (over: Partial<ServerFlight> = {}): ServerFlight =>
  ({
    spokeTls: true,
    serverHello: true,
    version: 'TLSv1.3',
    acceptableCaNames: [],
    certificates: [],
    alerts: [],
    method: 'tls13-keylog',
    ...over,
  }) as ServerFlight;
const end = (over: Partial<TlsEnd>): TlsEnd => ({
  phase: 'handshake',
  fast: false,
  flight: flight(),
  bytesReceived: 1200,
  offeredAlpn: ['http/1.1'],
  renegotiated: false,
  ...over,
});
const alert = (code: number, name: string) => ({ code, name });

describe('classifyTlsEnd', () => {
  const rows: [string, Partial<TlsEnd>, { rejectedAt: string; kind?: string; reason: RegExp }][] = [
    [
      'handshake: the server sent a fatal alert',
      { alert: alert(116, 'certificate_required') },
      { rejectedAt: 'handshake', reason: /refused the TLS handshake with alert 116 certificate_required/ },
    ],
    [
      'handshake: closed without an alert after its whole flight',
      { flight: flight({ flightComplete: true }) },
      { rejectedAt: 'handshake', reason: /by closing the connection \(no alert\)/ },
    ],
    ['handshake: reset after its whole flight', { errCode: 'ECONNRESET' }, { rejectedAt: 'handshake', reason: /with a TCP reset \(no alert\)/ }],
    [
      'handshake: closed in the middle of its own first flight (no certificate was sent yet)',
      { flight: flight({ flightComplete: false, limitation: "the server's first flight did not arrive complete" }) },
      {
        rejectedAt: 'unreachable',
        kind: 'closed',
        reason: /in the middle of its own handshake flight \(after 1200 bytes\), before any client certificate was sent/,
      },
    ],
    [
      'handshake: our TLS client gave up on what the server sent (not a refusal)',
      { err: { code: 'ERR_SSL_EXCESSIVE_MESSAGE_SIZE', message: 'excessive message size' }, errCode: 'ERR_SSL_EXCESSIVE_MESSAGE_SIZE' },
      { rejectedAt: 'unreachable', kind: 'tls-client', reason: /the harness's TLS client aborted the handshake/ },
    ],
    [
      "handshake: an alert our library names as received is still the server's",
      { err: { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: 'alert' }, errCode: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' },
      { rejectedAt: 'handshake', reason: /refused the TLS handshake by closing/ },
    ],
    [
      'handshake: alert 120 is the ALPN, not the certificate',
      { alert: alert(120, 'no_application_protocol'), alpnRefusal: 'it does not serve HTTP/2, which gRPC needs', offeredAlpn: ['h2'] },
      { rejectedAt: 'unreachable', kind: 'alpn', reason: /ALPN \(h2\) with alert 120 no_application_protocol: it does not serve HTTP\/2/ },
    ],
    [
      'handshake: the peer answered plaintext HTTP',
      { flight: flight({ spokeTls: false, nonTlsPrefix: Buffer.from('HTTP/1.1 400 Bad Request\r\n') }) },
      { rejectedAt: 'unreachable', kind: 'plaintext-http', reason: /answered plaintext HTTP, not TLS \("HTTP\/1.1 400 Bad Request"\)/ },
    ],
    [
      'handshake: the peer speaks SSH',
      { flight: flight({ spokeTls: false, nonTlsPrefix: Buffer.from('SSH-2.0-OpenSSH_9.2\r\n') }) },
      { rejectedAt: 'unreachable', kind: 'not-tls', reason: /speaks SSH/ },
    ],
    [
      'handshake: no answer to the ClientHello, reset',
      { flight: flight({ spokeTls: false }), bytesReceived: 0, errCode: 'ECONNRESET' },
      { rejectedAt: 'unreachable', kind: 'reset', reason: /reset the connection without answering the TLS ClientHello/ },
    ],
    [
      'handshake: no answer to the ClientHello, closed',
      { flight: flight({ spokeTls: false }), bytesReceived: 0 },
      { rejectedAt: 'unreachable', kind: 'closed', reason: /closed the connection without answering the TLS ClientHello/ },
    ],
    [
      'fast mode: the library says the peer is not TLS',
      { fast: true, errCode: 'ERR_SSL_WRONG_VERSION_NUMBER', err: { code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'x' } },
      { rejectedAt: 'unreachable', kind: 'not-tls', reason: /does not speak TLS/ },
    ],
    [
      'fast mode: reset during the handshake',
      { fast: true, errCode: 'ECONNRESET' },
      { rejectedAt: 'unreachable', kind: 'reset', reason: /reset the connection during the TLS handshake/ },
    ],
    ['fast mode: an alert is still a refusal', { fast: true, alert: alert(48, 'unknown_ca') }, { rejectedAt: 'handshake', reason: /alert 48 unknown_ca/ }],
    [
      "after the handshake: the server's alert (TLS 1.3 client-auth refusal)",
      { phase: 'exchange', alert: alert(116, 'certificate_required') },
      { rejectedAt: 'post-handshake', reason: /the handshake completed, then the server sent alert 116 certificate_required/ },
    ],
    [
      'after the handshake: the server reset',
      { phase: 'exchange', errCode: 'ECONNRESET', err: { code: 'ECONNRESET', message: 'read ECONNRESET' } },
      { rejectedAt: 'post-handshake', reason: /reset the connection without an alert/ },
    ],
    [
      'after the handshake: our client could not answer a post-handshake CertificateRequest (not a refusal)',
      {
        phase: 'exchange',
        flight: flight({ postHandshakeCertificateRequest: true }),
        err: { code: 'ERR_SSL_UNEXPECTED_MESSAGE', message: 'unexpected message' },
        errCode: 'ERR_SSL_UNEXPECTED_MESSAGE',
      },
      {
        rejectedAt: 'unreachable',
        kind: 'tls-client',
        reason: /asked for a client certificate after the handshake \(TLS 1.3 post-handshake authentication\).*this is not a refusal by the server/,
      },
    ],
    [
      "after the handshake: an unprotected alert is rejected by our client, not taken as the server's",
      {
        phase: 'exchange',
        flight: flight({ unprotectedAlerts: [alert(40, 'handshake_failure')] }),
        err: { code: 'ERR_SSL_UNEXPECTED_RECORD', message: 'x' },
        errCode: 'ERR_SSL_UNEXPECTED_RECORD',
      },
      { rejectedAt: 'unreachable', kind: 'tls-client', reason: /alert record \(40 handshake_failure\) arrived unprotected/ },
    ],
    [
      'after the handshake: a refusal in a TLS 1.2 renegotiation that asked for a certificate',
      {
        phase: 'exchange',
        flight: flight({
          version: 'TLSv1.2',
          renegotiation: { helloRequest: true, serverHello: true, certificateRequested: true } as ServerFlight['renegotiation'],
        }),
        renegotiated: true,
        alert: alert(40, 'handshake_failure'),
      },
      { rejectedAt: 'post-handshake', reason: /in the renegotiation it started after the handshake to request a client certificate/ },
    ],
  ];
  it.each(rows)('%s', (_what, input, want) => {
    const c = classifyTlsEnd(end(input));
    expect(c.rejectedAt).toBe(want.rejectedAt);
    expect(c.failure?.kind).toBe(want.kind);
    expect(c.reason).toMatch(want.reason);
  });
});

describe('classifyHttp', () => {
  it.each([
    ['HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n', 'accepted', 200, 'nginx/1.22.1'],
    ['HTTP/1.1 403 Forbidden\r\n\r\n', 'application', 403, undefined],
    ['HTTP/1.0 400 No required SSL certificate was sent\r\nServer: nginx\r\n\r\n', 'application', 400, 'nginx'],
    ['HTTP/1.1 404 Not Found\r\n\r\n', 'accepted', 404, undefined],
    ['SSH-2.0-x\r\n\r\n', 'accepted', undefined, undefined],
  ])('%j → %s', (text, rejectedAt, status, server) => {
    const c = classifyHttp(text, [400, 401, 403, 495, 496]);
    expect(c.rejectedAt).toBe(rejectedAt);
    expect(c.httpStatus).toBe(status);
    expect(c.httpServer).toBe(server);
  });
  it('hostile header text is made printable and bounded', () => {
    expect(httpServerHeader(`HTTP/1.1 200 OK\r\nServer: \x1b[31mevil\u202e${'x'.repeat(300)}\r\n\r\n`)).toMatch(/^\?\[31mevil\?x{90}$/);
  });
});

describe('classifyConnectError and non-TLS peers', () => {
  it.each([
    ['ECONNREFUSED', 'refused', /nothing listens on h:1/],
    ['ENOTFOUND', 'dns', /does not resolve/],
    ['EHOSTUNREACH', 'network', /no route to host/],
    ['EWHATEVER', 'network', /cannot connect to h:1: EWHATEVER/],
  ])('%s → %s', (code, kind, reason) => {
    const c = classifyConnectError(code, 'h:1', 'h');
    expect(c).toMatchObject({ rejectedAt: 'unreachable', failure: { kind, phase: 'connect' }, errorCode: code });
    expect(c.reason).toMatch(reason);
  });
  it('bytes that are not TLS are named by their first bytes', () => {
    expect(describeNonTls(Buffer.from([0xde, 0xad, 0xbe, 0xef]))).toEqual({
      kind: 'not-tls',
      reason: 'the peer sent bytes that are not TLS (starting 0xdeadbeef): it is not a TLS server',
    });
  });
});
