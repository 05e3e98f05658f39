import { describe, expect, it } from 'vitest';
import { alertFromError, alertOf } from './alerts.js';
import { formatEndpoint, parseEndpoint } from './endpoint.js';
import { parseTlsVersion } from './tls-probe.js';

describe('parseEndpoint', () => {
  it.each([
    ['localhost:8443', { host: 'localhost', port: 8443 }],
    [' api.internal:443 ', { host: 'api.internal', port: 443 }],
    ['127.0.0.1:1', { host: '127.0.0.1', port: 1 }],
    ['[::1]:8443', { host: '::1', port: 8443 }],
    ['https://gw.example', { host: 'gw.example', port: 443 }],
    ['https://gw.example:9443/health?x=1', { host: 'gw.example', port: 9443 }],
    ['https://[::1]/', { host: '::1', port: 443 }],
  ])('%s', (input, expected) => {
    expect(parseEndpoint(input)).toEqual(expected);
  });

  it.each(['localhost', 'localhost:0', 'localhost:65536', 'localhost:http', '::1', ':443', 'a b:443', 'tcp://x', 'host:1:2'])('rejects %s with a usage error', (input) => {
    expect(() => parseEndpoint(input)).toThrow(expect.objectContaining({ name: 'HarnessError', code: 'usage.invalid-value' }));
  });

  it('formats IPv6 with brackets', () => {
    expect(formatEndpoint({ host: '::1', port: 1 })).toBe('[::1]:1');
    expect(formatEndpoint({ host: 'a', port: 2 })).toBe('a:2');
  });
});

describe('alerts and versions', () => {
  it('reads the alert number out of an OpenSSL error', () => {
    expect(alertFromError(new Error('error:0A00045C:SSL routines::tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 116'))).toEqual({ code: 116, name: 'certificate_required' });
    expect(alertFromError(new Error('socket hang up'))).toBeUndefined();
    expect(alertOf(48).name).toBe('unknown_ca');
    expect(alertOf(45).name).toBe('certificate_expired');
    expect(alertOf(250).name).toBe('unknown_alert_250');
  });

  it('parses TLS versions users type', () => {
    expect(parseTlsVersion('1.2')).toBe('TLSv1.2');
    expect(parseTlsVersion('TLSv1.3')).toBe('TLSv1.3');
    expect(() => parseTlsVersion('1.5')).toThrow(/unknown TLS version "1.5"/);
  });
});
