// The amqp module on the Connection.Start recorded from a real broker (RabbitMQ 3.10.8, Debian,
// Erlang/OTP 25, one TLS listener, answering the harness's protocol header), and on frames built to
// the AMQP 0-9-1 specification (§4.2.3 frames, §4.2.5 field tables, the Connection class) for what
// RabbitMQ did not send here (Connection.Close, AMQP 1.0 headers, hostile lengths).
import { describe, expect, it } from 'vitest';
import { amqp, PROTOCOL_HEADER, readStart, tableStrings } from './amqp.js';

const shortstr = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const longstr = (s: string | Buffer) => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
  return Buffer.concat([u32(b.length), b]);
};
const entry = (name: string, type: string, value: Buffer) => Buffer.concat([shortstr(name), Buffer.from(type), value]);
const table = (...entries: Buffer[]) => longstr(Buffer.concat(entries));

/** A method frame on channel 0: class, method, arguments, frame-end 0xCE. */
function methodFrame(cls: number, method: number, args: Buffer, channel = 0): Buffer {
  const payload = Buffer.concat([Buffer.from([cls >> 8, cls & 0xff, method >> 8, method & 0xff]), args]);
  const head = Buffer.alloc(7);
  head[0] = 1;
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([0xce])]);
}

const capabilities = table(entry('publisher_confirms', 't', Buffer.from([1])), entry('consumer_priorities', 't', Buffer.from([1])));
const SERVER_PROPERTIES = table(
  entry('capabilities', 'F', capabilities),
  entry('cluster_name', 'S', longstr('rabbit@localhost')),
  entry('copyright', 'S', longstr('Copyright (c) 2007-2023 VMware, Inc. or its affiliates.')),
  entry('information', 'S', longstr('Licensed under the MPL 2.0. Website: https://rabbitmq.com')),
  entry('platform', 'S', longstr('Erlang/OTP 25.2.3')),
  entry('product', 'S', longstr('RabbitMQ')),
  entry('version', 'S', longstr('3.10.8')),
);
/** RabbitMQ 3.10.8's Connection.Start (cluster_name rabbit-t1@vm). */
const RECORDED = Buffer.from(
  '010000000001f3000a000a0009000001ce0c6361706162696c697469657346000000c7127075626c69736865725f636f6e6669726d7374011a65786368616e67655f65786368616e67655f62696e64696e677374010a62617369632e6e61636b740116636f6e73756d65725f63616e63656c5f6e6f74696679740112636f6e6e656374696f6e2e626c6f636b6564740113636f6e73756d65725f7072696f72697469657374011c61757468656e7469636174696f6e5f6661696c7572655f636c6f73657401107065725f636f6e73756d65725f716f7374010f6469726563745f7265706c795f746f74010c636c75737465725f6e616d65530000000c7261626269742d743140766d09636f707972696768745300000037436f707972696768742028632920323030372d3230323220564d776172652c20496e632e206f722069747320616666696c69617465732e0b696e666f726d6174696f6e53000000394c6963656e73656420756e64657220746865204d504c20322e302e20576562736974653a2068747470733a2f2f7261626269746d712e636f6d08706c6174666f726d530000001145726c616e672f4f54502032352e322e330770726f6475637453000000085261626269744d510776657273696f6e5300000006332e31302e380000000e414d51504c41494e20504c41494e00000005656e5f5553ce',
  'hex',
);
/** RabbitMQ's answer to a protocol header it does not accept (AMQP 1.0 without its plugin): its own, then it closes. */
const RECORDED_HEADER = Buffer.from('414d515000000901', 'hex');
const START = methodFrame(10, 10, Buffer.concat([Buffer.from([0, 9]), SERVER_PROPERTIES, longstr('PLAIN AMQPLAIN'), longstr('en_US')]));

describe('amqp: the protocol header and Connection.Start', () => {
  it('sends the AMQP 0-9-1 protocol header, over TLS at connect', () => {
    expect(PROTOCOL_HEADER).toEqual(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]));
    expect(amqp.session({ opts: { host: 'h', port: 5671 }, appUser: 'u' }).request?.()).toEqual(PROTOCOL_HEADER);
    expect(amqp.startsTls).toBe('at connect');
    expect(amqp.defaultPorts).toEqual([5671]);
    expect(amqp.detection?.names).toEqual(['amqp', 'amqps']);
  });

  it('Connection.Start is served, with the product, version and mechanisms as evidence', () => {
    expect(readStart(START, false)).toEqual({
      rejectedAt: 'accepted',
      reason:
        'the AMQP broker (RabbitMQ 3.10.8) answered the protocol header with Connection.Start (mechanisms PLAIN AMQPLAIN); the harness stops there (it sends no credentials)',
      application: { protocol: 'amqp', server: 'RabbitMQ 3.10.8', message: 'Connection.Start 0-9, mechanisms PLAIN AMQPLAIN' },
    });
  });

  it("RabbitMQ 3.10.8's Connection.Start (recorded) is served", () => {
    expect(readStart(RECORDED, false)).toEqual({
      rejectedAt: 'accepted',
      reason:
        'the AMQP broker (RabbitMQ 3.10.8) answered the protocol header with Connection.Start (mechanisms AMQPLAIN PLAIN); the harness stops there (it sends no credentials)',
      application: { protocol: 'amqp', server: 'RabbitMQ 3.10.8', message: 'Connection.Start 0-9, mechanisms AMQPLAIN PLAIN' },
    });
    expect(readStart(RECORDED.subarray(0, 200), false)).toBeUndefined();
    expect(readStart(RECORDED_HEADER, false)?.application?.message).toBe(
      'protocol header AMQP 0-9-1: the version it speaks; it did not take the header as sent',
    );
  });

  it('waits for the whole frame; a frame cut short by the end is unreachable (closed)', () => {
    for (const n of [1, 6, 7, 40, START.length - 1]) expect(readStart(START.subarray(0, n), false)).toBeUndefined();
    expect(readStart(START.subarray(0, 40), true)).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'closed' } });
  });

  it('a protocol header back is served, saying which AMQP the server speaks', () => {
    const v10 = readStart(Buffer.from('AMQP\x00\x01\x00\x00', 'latin1'), false);
    expect(v10).toMatchObject({
      rejectedAt: 'accepted',
      application: { code: '00010000', message: 'protocol header AMQP 1.0: it speaks AMQP 1.0, not 0-9-1' },
    });
    expect(readStart(Buffer.from('AMQP\x03\x01\x00\x00', 'latin1'), false)?.application?.message).toBe(
      'protocol header AMQP 1.0 (its SASL layer): it speaks AMQP 1.0, not 0-9-1',
    );
    expect(readStart(Buffer.from('AMQP\x00\x00\x08\x00', 'latin1'), false)?.reason).toContain('AMQP 0-8-0: the version it speaks');
    expect(readStart(Buffer.from('AMQP\x01\x01', 'latin1'), false)).toBeUndefined();
    expect(readStart(Buffer.from('AMQP\x01\x01', 'latin1'), true)).toMatchObject({ rejectedAt: 'unreachable' });
  });

  it('Connection.Close: 403 and 530 are refusals at the AMQP layer, 320/506/541 unreachable, others served', () => {
    const close = (code: number, text: string) =>
      methodFrame(10, 50, Buffer.concat([Buffer.from([code >> 8, code & 0xff]), shortstr(text), Buffer.from([0, 0, 0, 0])]));
    expect(readStart(close(403, 'ACCESS_REFUSED - Login was refused'), false)).toEqual({
      rejectedAt: 'application',
      reason: 'the TLS connection was established, then the AMQP broker closed the connection: Connection.Close 403 ACCESS_REFUSED - Login was refused',
      application: { protocol: 'amqp', code: '403', message: 'Connection.Close 403 ACCESS_REFUSED - Login was refused' },
    });
    expect(readStart(close(320, 'CONNECTION_FORCED - broker forced connection closure'), false)).toMatchObject({
      rejectedAt: 'unreachable',
      failure: { kind: 'unavailable' },
    });
    expect(readStart(close(501, 'FRAME_ERROR'), false)).toMatchObject({ rejectedAt: 'accepted' });
    expect(amqp.refusal({ application: { protocol: 'amqp', message: 'Connection.Close 403 X' } } as never)).toBe('Connection.Close 403 X');
  });

  it('anything else is an answer, not as AMQP; hostile bytes never throw', () => {
    expect(readStart(Buffer.from('HTTP/1.1 400 Bad Request\r\n'), false)?.reason).toMatch(/not as an AMQP broker does/);
    const badEnd = Buffer.from(START);
    badEnd[badEnd.length - 1] = 0;
    expect(readStart(badEnd, false)?.reason).toMatch(/not as an AMQP broker does/);
    expect(readStart(methodFrame(10, 10, Buffer.alloc(0), 1), false)?.reason).toMatch(/not as an AMQP broker does/);
    // A Connection.Start with its arguments missing or lying about their lengths.
    expect(readStart(methodFrame(10, 10, Buffer.from([0, 9, 0xff, 0xff, 0xff, 0xff])), false)).toMatchObject({
      rejectedAt: 'accepted',
      application: { message: 'Connection.Start 0-9' },
    });
    expect(readStart(methodFrame(60, 40, Buffer.alloc(3)), false)?.reason).toMatch(/method 60\.40, not Connection.Start/);
    for (let i = 0; i < 300; i++) {
      const junk = Buffer.from(START);
      for (let k = 0; k < 6; k++) junk[7 + Math.floor(Math.random() * (junk.length - 8))] = Math.floor(Math.random() * 256);
      expect(() => readStart(junk, true)).not.toThrow();
    }
  });

  it('server-properties: long strings read, nested tables and fixed-size values skipped, unknown types stop the read', () => {
    const t = tableStrings(SERVER_PROPERTIES.subarray(4));
    expect(t.get('product')).toBe('RabbitMQ');
    expect(t.get('capabilities')).toBeUndefined();
    const stop = Buffer.concat([entry('a', 'S', longstr('1')), entry('b', '?', Buffer.alloc(2)), entry('c', 'S', longstr('3'))]);
    expect([...tableStrings(stop)]).toEqual([['a', '1']]);
    expect(tableStrings(Buffer.concat([entry('p', 'S', longstr('x\u0007\u202ey'))])).get('p')).not.toMatch(/[\u0007\u202e]/);
  });
});
