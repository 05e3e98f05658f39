// The mqtt module on CONNACKs recorded from a real broker: mosquitto 2.0.11 (Debian), one TLS
// listener, answering the harness's CONNECT (3.1.1, clean session, no credentials) with the settings
// named on each. Return codes mosquitto did not produce here are built from MQTT 3.1.1 §3.2.2.3.
import { describe, expect, it } from 'vitest';
import { clientId, connectPacket, mqtt, readConnack } from './mqtt.js';

const hex = (h: string) => Buffer.from(h, 'hex');

/** require_certificate true, use_identity_as_username true, the valid certificate. */
const ACCEPTED = hex('20020000');
/** require_certificate false, allow_anonymous false. */
const NOT_AUTHORIZED = hex('20020005');
/** require_certificate false, use_identity_as_username true (no certificate was asked for, so no identity). */
const BAD_USER = hex('20020004');

describe('mqtt: CONNECT and the CONNACK', () => {
  it('CONNECT is MQTT 3.1.1 with a clean session, keepalive 60 and a client id of at most 23 characters', () => {
    const id = clientId();
    expect(id).toMatch(/^mtls-harness-[0-9a-f]{10}$/);
    expect(id.length).toBeLessThanOrEqual(23);
    const p = connectPacket(id);
    expect(p[0]).toBe(0x10);
    expect(p[1]).toBe(p.length - 2);
    expect(p.subarray(2, 12)).toEqual(hex('00044d5154540402003c'));
    expect(p.subarray(14).toString()).toBe(id);
  });

  it('return code 0 is served; 4 and 5 are refusals at the MQTT layer', () => {
    expect(readConnack(ACCEPTED, false)).toEqual({
      rejectedAt: 'accepted',
      reason: 'the MQTT broker accepted the connection (CONNACK 0 connection accepted)',
      application: { protocol: 'mqtt', code: '0', message: 'CONNACK 0 connection accepted' },
    });
    expect(readConnack(NOT_AUTHORIZED, false)).toEqual({
      rejectedAt: 'application',
      reason: 'the TLS connection was established, then the MQTT broker refused the connection: CONNACK 5 not authorized',
      application: { protocol: 'mqtt', code: '5', message: 'CONNACK 5 not authorized' },
    });
    expect(readConnack(BAD_USER, false)).toMatchObject({ rejectedAt: 'application', application: { message: 'CONNACK 4 bad user name or password' } });
  });

  it('1 to 3 are unreachable (built)', () => {
    for (const rc of [1, 2, 3])
      expect(readConnack(Buffer.from([0x20, 2, 0, rc]), false)).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'unavailable' } });
    expect(readConnack(hex('20020003'), false)?.reason).toBe('the MQTT broker could not take the connection: CONNACK 3 server unavailable');
  });

  it('a close without CONNACK is left to the TLS rules; partial, foreign and unknown answers are classified', () => {
    expect(readConnack(Buffer.alloc(0), true)).toBeUndefined();
    expect(readConnack(hex('2002'), false)).toBeUndefined();
    expect(readConnack(hex('2002'), true)).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'closed' } });
    expect(readConnack(Buffer.from('HTTP/1.1 400 Bad Request\r\n'), false)).toMatchObject({
      rejectedAt: 'accepted',
      reason: /not with a CONNACK \(starting 0x485454502f312e31, "HTTP\/1\.1 400 Bad Request\?\?"\)/,
    });
    expect(readConnack(hex('200200ee'), false)).toMatchObject({ rejectedAt: 'accepted', application: { message: 'CONNACK 238 unknown return code' } });
    // MQTT 5 reason codes, should a broker send them.
    expect(readConnack(hex('20030087'), false)?.rejectedAt).toBe('application');
    for (let i = 0; i < 100; i++)
      expect(() => readConnack(Buffer.from(Array.from({ length: 1 + (i % 9) }, (_, j) => (i * 3 + j * 101) & 0xff)), true)).not.toThrow();
  });

  it('is in the registry with ports 8883 and 1883, words its deadline with CONNACK', () => {
    expect(mqtt.defaultPorts).toEqual([8883, 1883]);
    expect(mqtt.answer).toBe('CONNACK');
  });
});
