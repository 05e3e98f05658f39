/**
 * mqtt: raw TLS at connect, an MQTT 3.1.1 CONNECT after the handshake (clean session, keepalive 60,
 * a random client id, no credentials), and the broker's CONNACK decides
 * (https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html §3.2): return code 0 is
 * served, 4 (bad user name or password) and 5 (not authorized) are refusals at the MQTT layer, 1–3
 * are unreachable (protocol version, identifier, server unavailable). A broker that closes without
 * a CONNACK (mosquitto on some refusals) leaves the end to the TLS rules: a close after the
 * handshake is never `accepted`.
 */
import { randomBytes } from 'node:crypto';
import type { ApplicationEvidence } from '../rejection.js';
import type { AppVerdict, ProtocolModule } from './types.js';
import { refused, served, serverText, unavailable } from './wire.js';

/** CONNACK return codes of MQTT 3.1.1, and the MQTT 5 reason codes a broker might send instead. */
const RETURN_CODES: Readonly<Record<number, { words: string; verdict: 'served' | 'refused' | 'unavailable' }>> = {
  0: { words: 'connection accepted', verdict: 'served' },
  1: { words: 'unacceptable protocol version', verdict: 'unavailable' },
  2: { words: 'identifier rejected', verdict: 'unavailable' },
  3: { words: 'server unavailable', verdict: 'unavailable' },
  4: { words: 'bad user name or password', verdict: 'refused' },
  5: { words: 'not authorized', verdict: 'refused' },
  0x86: { words: 'bad user name or password (MQTT 5)', verdict: 'refused' },
  0x87: { words: 'not authorized (MQTT 5)', verdict: 'refused' },
  0x8a: { words: 'banned (MQTT 5)', verdict: 'refused' },
  0x8c: { words: 'bad authentication method (MQTT 5)', verdict: 'refused' },
  0x88: { words: 'server unavailable (MQTT 5)', verdict: 'unavailable' },
  0x89: { words: 'server busy (MQTT 5)', verdict: 'unavailable' },
  0x97: { words: 'quota exceeded (MQTT 5)', verdict: 'unavailable' },
};

/** CONNECT, MQTT 3.1.1: protocol name MQTT, level 4, clean session, keepalive 60 s, the client id. */
export function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const variable = Buffer.concat([
    Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c]),
    Buffer.from([id.length >> 8, id.length & 0xff]),
    id,
  ]);
  return Buffer.concat([Buffer.from([0x10, variable.length]), variable]);
}

/** A client id of 23 characters at most (the length every 3.1.1 broker must accept). */
export function clientId(): string {
  return `mtls-harness-${randomBytes(5).toString('hex')}`;
}

/** What the broker's answer to CONNECT means. */
export function readConnack(buffered: Buffer, ended: boolean): AppVerdict | undefined {
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'mqtt', ...more });
  if (buffered.length === 0) return undefined;
  if (buffered[0] !== 0x20)
    return served(
      `the server completed the handshake and answered, but not with a CONNACK (starting 0x${buffered.subarray(0, 8).toString('hex')}, "${serverText(buffered.subarray(0, 40), 40)}")`,
      app(),
    );
  if (buffered.length < 4) {
    if (!ended) return undefined;
    return unavailable("the broker's CONNACK was cut short (the connection ended in the middle of it)", app(), 'closed');
  }
  const rc = buffered[3]!;
  const known = RETURN_CODES[rc];
  const message = `CONNACK ${rc} ${known?.words ?? 'unknown return code'}`;
  const evidence = app({ code: String(rc), message });
  switch (known?.verdict) {
    case 'served':
      return served(`the MQTT broker accepted the connection (${message})`, evidence);
    case 'refused':
      return refused(`the TLS connection was established, then the MQTT broker refused the connection: ${message}`, evidence);
    case 'unavailable':
      return unavailable(`the MQTT broker could not take the connection: ${message}`, evidence);
    default:
      return served(`the MQTT broker answered CONNECT with ${message}`, evidence);
  }
}

export const mqtt: ProtocolModule<'mqtt'> = {
  name: 'mqtt',
  title: 'MQTT',
  layer: 'MQTT',
  plaintextHttp: false,
  defaultPorts: [8883, 1883],
  detection: { names: ['mqtt', 'mqtts', 'secure-mqtt'], recognises: (a) => /^CONNACK /.test(a.message ?? '') },
  alpn: [],
  startsTls: 'at connect',
  answer: 'CONNACK',
  session: () => ({
    request: () => connectPacket(clientId()),
    read: readConnack,
  }),
  refusal: (o) => serverText(Buffer.from(o.application?.message ?? o.reason), 120),
  controlRefusedHint: (c) =>
    c.application?.protocol === 'mqtt' && c.rejectedAt === 'application'
      ? `the broker refused the valid client (${c.application.message}): the harness sends no user name; with mosquitto, set use_identity_as_username true (the certificate's CN becomes the user) or allow_anonymous true on this listener`
      : undefined,
};
