import { describe, expect, it } from 'vitest';
import { alertFromError, alertOf, isReceivedAlertCode } from './alerts.js';
import { formatEndpoint, parseEndpoint } from '../core/endpoint.js';
import { parseTlsVersion } from './tls-probe.js';
import { printable } from './rejection.js';

describe('parseEndpoint', () => {
  it.each([
    ['localhost:8443', { host: 'localhost', port: 8443 }],
    [' api.internal:443 ', { host: 'api.internal', port: 443 }],
    ['127.0.0.1:1', { host: '127.0.0.1', port: 1 }],
    ['[::1]:8443', { host: '::1', port: 8443 }],
    ['https://gw.example', { host: 'gw.example', port: 443 }],
    ['https://gw.example:9443/health?x=1', { host: 'gw.example', port: 9443 }],
    ['https://[::1]/', { host: '::1', port: 443 }],
    ['HTTPS://gw.example', { host: 'gw.example', port: 443 }],
    ['https://[::1]:8443/path', { host: '::1', port: 8443 }],
    ['[fe80::1%eth0]:443', { host: 'fe80::1%eth0', port: 443 }],
    ['[2001:db8::1]:65535', { host: '2001:db8::1', port: 65535 }],
    ['localhost:08443', { host: 'localhost', port: 8443 }],
  ])('%s', (input, expected) => {
    expect(parseEndpoint(input)).toEqual(expected);
  });

  it.each([
    'localhost',
    'localhost:0',
    'localhost:65536',
    'localhost:http',
    '::1',
    ':443',
    'a b:443',
    'tcp://x',
    'host:1:2',
    '',
    '   ',
    'localhost:',
    '[::1]',
    '[::1]:',
    '[]:443',
    'http://x',
    'https://user@host:443',
    'localhost:+443',
    'localhost:443.0',
    'localhost:1e3',
    'localhost:-1',
    'localhost:0x1bb',
  ])('rejects %j with a usage error', (input) => {
    expect(() => parseEndpoint(input)).toThrow(
      expect.objectContaining({ name: 'HarnessError', code: 'usage.invalid-value', message: expect.stringContaining(`"${input}"`) }),
    );
  });

  it('tells the user how to write a bare IPv6 address', () => {
    expect(() => parseEndpoint('2001:db8::1')).toThrow(/write an IPv6 target as \[ADDRESS\]:PORT/);
  });

  it('formats IPv6 with brackets', () => {
    expect(formatEndpoint({ host: '::1', port: 1 })).toBe('[::1]:1');
    expect(formatEndpoint({ host: 'a', port: 2 })).toBe('a:2');
  });
});

describe('alerts and versions', () => {
  it('reads the alert number out of an OpenSSL error', () => {
    expect(
      alertFromError(
        new Error('error:0A00045C:SSL routines::tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 116'),
      ),
    ).toEqual({ code: 116, name: 'certificate_required' });
    expect(alertFromError(new Error('socket hang up'))).toBeUndefined();
    expect(alertOf(48).name).toBe('unknown_ca');
    expect(alertOf(45).name).toBe('certificate_expired');
    expect(alertOf(250).name).toBe('unknown(250)');
  });

  it('parses TLS versions users type', () => {
    expect(parseTlsVersion('1.2')).toBe('TLSv1.2');
    expect(parseTlsVersion('TLSv1.3')).toBe('TLSv1.3');
    expect(() => parseTlsVersion('1.5')).toThrow(/unknown TLS version "1.5"/);
  });

  it.each([
    ['1', 'TLSv1'],
    ['1.0', 'TLSv1'],
    ['1.1', 'TLSv1.1'],
    ['tls1.3', 'TLSv1.3'],
    ['tlsv1.2', 'TLSv1.2'],
    ['TLS 1.2', 'TLSv1.2'],
    [' TLSv1.2 ', 'TLSv1.2'],
  ])('parses %j as %s', (input, expected) => {
    expect(parseTlsVersion(input)).toBe(expected);
  });

  it.each(['', '1.4', '2', 'v1.2', 'SSLv3', '1.2.0', 'TLSv1.2x', 'latest'])('rejects %j with a usage error', (input) => {
    expect(() => parseTlsVersion(input)).toThrow(
      expect.objectContaining({
        name: 'HarnessError',
        code: 'usage.invalid-value',
        message: `unknown TLS version "${input}": use 1.2 or 1.3 (or TLSv1.2, TLSv1.3)`,
      }),
    );
  });

  it("tells node error codes that name a received alert from our own client's errors", () => {
    expect(isReceivedAlertCode('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE')).toBe(true);
    expect(isReceivedAlertCode('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')).toBe(true);
    expect(isReceivedAlertCode('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')).toBe(true);
    expect(isReceivedAlertCode('ERR_SSL_TLSV1_UNRECOGNIZED_NAME')).toBe(true);
    expect(isReceivedAlertCode('ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC')).toBe(false);
    expect(isReceivedAlertCode('ERR_SSL_UNEXPECTED_MESSAGE')).toBe(false);
    expect(isReceivedAlertCode('ERR_SSL_WRONG_VERSION_NUMBER')).toBe(false);
    expect(isReceivedAlertCode('ECONNRESET')).toBe(false);
    expect(isReceivedAlertCode(undefined)).toBe(false);
  });

  it('reads alerts from TLS 1.2 errors and ignores errors without one', () => {
    expect(
      alertFromError(
        new Error('error:0A000410:SSL routines::sslv3 alert handshake failure:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 40'),
      ),
    ).toEqual({ code: 40, name: 'handshake_failure' });
    expect(alertFromError(new Error('...:SSL alert number 48'))).toEqual({ code: 48, name: 'unknown_ca' });
    expect(alertFromError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(alertFromError(undefined)).toBeUndefined();
    expect(alertFromError('SSL alert number 116')).toEqual({ code: 116, name: 'certificate_required' });
    expect(alertOf(42, 2)).toEqual({ code: 42, name: 'bad_certificate', level: 2 });
  });

  it('makes hostile text printable and bounded', () => {
    expect(printable('ok\u001b[31m\r\n\u202e')).toBe('ok?[31m???');
    expect(printable('x'.repeat(300))).toBe(`${'x'.repeat(200)}…`);
    expect(printable('abc', 2)).toBe('ab…');
  });
});
