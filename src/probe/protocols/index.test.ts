// The registry: one module per name, each declaring what the state machine and the wording read.
import { describe, expect, it } from 'vitest';
import { answeringModule, isProtocol, offeredAlpn, PROTOCOL_MODULES, PROTOCOLS, protocolModule } from './index.js';
import type { ProbeOutcome } from '../outcome.js';

describe('the protocol registry', () => {
  it('has exactly one module per name, under its name', () => {
    expect(Object.keys(PROTOCOL_MODULES).sort()).toEqual([...PROTOCOLS].sort());
    for (const p of PROTOCOLS) expect(PROTOCOL_MODULES[p].name).toBe(p);
    expect(isProtocol('postgres')).toBe(true);
    expect(isProtocol('smtp')).toBe(true);
    expect(isProtocol('ftp')).toBe(false);
    expect(protocolModule(undefined).name).toBe('https');
  });

  it('offers ALPN http/1.1 for https, h2 for grpc, none for the others, unless the options say', () => {
    expect(offeredAlpn({})).toEqual(['http/1.1']);
    expect(offeredAlpn({ protocol: 'grpc' })).toEqual(['h2']);
    for (const p of ['tls', 'postgres', 'mysql', 'redis', 'mqtt', 'amqp', 'ldap', 'smtp', 'imap', 'pop3'] as const)
      expect(offeredAlpn({ protocol: p })).toEqual([]);
    expect(offeredAlpn({ protocol: 'grpc', alpn: ['x'] })).toEqual(['x']);
    expect(PROTOCOL_MODULES.grpc.alpnRefusal).toBe('it does not serve HTTP/2, which gRPC needs');
  });

  it('only the STARTTLS protocols start TLS in their own protocol; only raw TLS and gRPC read without a request', () => {
    const session = (p: (typeof PROTOCOLS)[number]) => PROTOCOL_MODULES[p].session({ opts: { host: 'h', port: 1 }, appUser: 'u' });
    expect(PROTOCOLS.filter((p) => session(p).startTls)).toEqual(['postgres', 'mysql', 'ldap', 'smtp', 'imap', 'pop3']);
    expect(PROTOCOLS.filter((p) => !session(p).request)).toEqual(['tls', 'grpc']);
    for (const p of PROTOCOLS) expect(PROTOCOL_MODULES[p].startsTls === 'at connect').toBe(!session(p).startTls);
  });

  it('names the layer a refusal came from: the application evidence, else gRPC, else HTTP', () => {
    const o = (x: Partial<ProbeOutcome>) => x as ProbeOutcome;
    expect(answeringModule(o({ application: { protocol: 'mqtt' } })).layer).toBe('MQTT');
    expect(answeringModule(o({ grpc: { code: 16, codeName: 'UNAUTHENTICATED', durationMs: 1 } })).layer).toBe('gRPC');
    expect(answeringModule(o({ httpStatus: 400 })).layer).toBe('HTTP');
  });
});

describe('the application user', () => {
  it('is appUser, else the CN of the client certificate offered, else mtls-harness; a control character is refused before any connection', async () => {
    const { appUserOf, validateProbeOptions } = await import('../options.js');
    const { mintFixturePki } = await import('../../pki/generate.js');
    const pki = await mintFixturePki({ clientCommonName: 'alice' });
    expect(appUserOf({ appUser: 'bob', cert: pki.client.chainPem })).toBe('bob');
    expect(appUserOf({ cert: pki.client.chainPem })).toBe('alice');
    expect(appUserOf({ cert: 'not a certificate' })).toBe('mtls-harness');
    expect(appUserOf({})).toBe('mtls-harness');
    expect(() => validateProbeOptions({ host: 'h', port: 1, appUser: 'a\u0000b' })).toThrow(
      /application user "a\?b" must be 1 to 128 characters without control characters/,
    );
    expect(() => validateProbeOptions({ host: 'h', port: 1, appUser: '' })).toThrow(/application user/);
    expect(() => validateProbeOptions({ host: 'h', port: 1, appUser: 'mtls-harness client' })).not.toThrow();
  });
});
