/**
 * amqp: raw TLS at connect (5671), then the AMQP 0-9-1 protocol header `AMQP\0\0\x09\x01`; the
 * broker's first frame decides (https://www.rabbitmq.com/resources/specs/amqp0-9-1.pdf §4.2.2,
 * §2.2.4). Connection.Start (a method frame on channel 0, class 10 method 10) is served, with the
 * broker's `product`/`version` and SASL mechanisms as evidence. A broker that answers with a
 * protocol header instead did not take ours (RabbitMQ answers a header it does not accept with
 * its own, `AMQP\0\0\x09\x01`; an AMQP 1.0 broker answers `AMQP\0\x01\0\0` or
 * `AMQP\x03\x01\0\0`): it answered, so it served, and the reason says what it speaks. The probe stops at Connection.Start: a refusal at the AMQP layer (ACCESS_REFUSED after
 * Connection.StartOk) needs credentials, which the harness does not send; a Connection.Close read
 * instead of Connection.Start is classified by its reply code all the same.
 */
import type { ApplicationEvidence } from '../rejection.js';
import type { AppVerdict, ProtocolModule } from './types.js';
import { refused, served, serverText, unavailable } from './wire.js';

/** The AMQP 0-9-1 protocol header. */
export const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');

/** A frame larger than this is not a broker's Connection.Start (RabbitMQ's is about 500 bytes). */
const FRAME_MAX = 64 * 1024;
const FRAME_END = 0xce;

/** Connection.Close reply codes: access refused and not allowed are refusals; the broker's own trouble is unavailable. */
const REFUSAL_CODES = new Set([403, 530]);
const UNAVAILABLE_CODES = new Set([320, 506, 541]);

/** A bounded reader over a frame's payload: every read checks its length, none throws. */
class Reader {
  constructor(
    private readonly b: Buffer,
    public off = 0,
  ) {}
  u8(): number | undefined {
    return this.off + 1 <= this.b.length ? this.b[this.off++] : undefined;
  }
  u16(): number | undefined {
    if (this.off + 2 > this.b.length) return undefined;
    const v = this.b.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }
  u32(): number | undefined {
    if (this.off + 4 > this.b.length) return undefined;
    const v = this.b.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }
  bytes(n: number | undefined): Buffer | undefined {
    if (n === undefined || this.off + n > this.b.length) return undefined;
    const v = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
  shortstr(): Buffer | undefined {
    return this.bytes(this.u8());
  }
  longstr(): Buffer | undefined {
    return this.bytes(this.u32());
  }
}

/** Fixed sizes of the field-table value types (RabbitMQ's spelling of 0-9-1's errata). */
const FIXED: Readonly<Record<string, number>> = { t: 1, b: 1, B: 1, s: 2, u: 2, I: 4, i: 4, l: 8, L: 8, f: 4, d: 8, D: 5, T: 8, V: 0 };

/**
 * The long-string entries of a field table (server-properties), at most 64; stops at the first
 * value it cannot size. Nested tables and arrays are skipped, not read.
 */
export function tableStrings(table: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  const r = new Reader(table);
  for (let n = 0; n < 64 && r.off < table.length; n++) {
    const name = r.shortstr();
    const type = r.u8();
    if (name === undefined || type === undefined) break;
    const t = String.fromCharCode(type);
    if ('SAFx'.includes(t)) {
      const v = r.longstr();
      if (v === undefined) break;
      if (t === 'S') out.set(serverText(name, 64), serverText(v, 120));
    } else if (FIXED[t] !== undefined) {
      if (r.bytes(FIXED[t]) === undefined) break;
    } else break;
  }
  return out;
}

/** What a protocol header sent back by the server says. */
function describeHeader(h: Buffer): string {
  const [id, a, b, c] = [h[4]!, h[5]!, h[6]!, h[7]!];
  if (a === 1 && b === 0) {
    const layer = id === 3 ? ' (its SASL layer)' : id === 2 ? ' (its TLS layer)' : '';
    return `AMQP 1.0${layer}: it speaks AMQP 1.0, not 0-9-1`;
  }
  if (id === 0 && a === 0) return `AMQP 0-${b}-${c}: the version it speaks; it did not take the header as sent`;
  return `AMQP ${id}-${a}-${b}-${c}: an AMQP version the harness does not speak`;
}

/** What the broker's answer to the protocol header means. */
export function readStart(buffered: Buffer, ended: boolean): AppVerdict | undefined {
  const app = (more: Partial<ApplicationEvidence> = {}): ApplicationEvidence => ({ protocol: 'amqp', ...more });
  if (buffered.length === 0) return undefined;
  const notAmqp = () =>
    served(
      `the server completed the handshake and answered, but not as an AMQP broker does (starting 0x${buffered.subarray(0, 8).toString('hex')}, "${serverText(buffered.subarray(0, 40), 40)}")`,
      app(),
    );
  const cut = () => (ended ? unavailable("the broker's answer was cut short (the connection ended in the middle of a frame)", app(), 'closed') : undefined);
  if (buffered[0] === 0x41 /* A */) {
    if (!PROTOCOL_HEADER.subarray(0, Math.min(4, buffered.length)).equals(buffered.subarray(0, Math.min(4, buffered.length)))) return notAmqp();
    if (buffered.length < 8) return cut();
    const words = describeHeader(buffered.subarray(0, 8));
    return served(
      `the server answered the AMQP 0-9-1 protocol header with its own, ${words} (the harness stops there)`,
      app({ code: buffered.subarray(4, 8).toString('hex'), message: `protocol header ${words}` }),
    );
  }
  if (buffered[0] !== 1) return notAmqp();
  if (buffered.length < 7) return cut();
  const channel = buffered.readUInt16BE(1);
  const size = buffered.readUInt32BE(3);
  if (channel !== 0 || size < 4 || size > FRAME_MAX) return notAmqp();
  if (buffered.length < 8 + size) return cut();
  if (buffered[7 + size] !== FRAME_END) return notAmqp();
  const r = new Reader(buffered.subarray(7, 7 + size));
  const cls = r.u16();
  const method = r.u16();
  if (cls === 10 && method === 10) {
    const major = r.u8();
    const minor = r.u8();
    const props = tableStrings(r.longstr() ?? Buffer.alloc(0));
    const mechanisms = serverText(r.longstr() ?? Buffer.alloc(0), 120).trim();
    const product = [props.get('product'), props.get('version')].filter(Boolean).join(' ');
    const message = `Connection.Start ${major ?? '?'}-${minor ?? '?'}${mechanisms ? `, mechanisms ${mechanisms}` : ''}`;
    return served(
      `the AMQP broker${product ? ` (${product})` : ''} answered the protocol header with Connection.Start${mechanisms ? ` (mechanisms ${mechanisms})` : ''}; the harness stops there (it sends no credentials)`,
      app({ ...(product ? { server: product } : {}), message }),
    );
  }
  if (cls === 10 && method === 50) {
    const code = r.u16();
    const text = serverText(r.shortstr() ?? Buffer.alloc(0), 200);
    const message = `Connection.Close ${code ?? '?'} ${text}`.trim();
    const evidence = app({ ...(code !== undefined ? { code: String(code) } : {}), message });
    if (code !== undefined && REFUSAL_CODES.has(code))
      return refused(`the TLS connection was established, then the AMQP broker closed the connection: ${message}`, evidence);
    if (code !== undefined && UNAVAILABLE_CODES.has(code)) return unavailable(`the AMQP broker could not take the connection: ${message}`, evidence);
    return served(`the AMQP broker answered the protocol header with ${message}`, evidence);
  }
  return served(`the AMQP broker answered the protocol header with method ${cls}.${method}, not Connection.Start`, app({ message: `method ${cls}.${method}` }));
}

export const amqp: ProtocolModule<'amqp'> = {
  name: 'amqp',
  title: 'AMQP',
  layer: 'AMQP',
  plaintextHttp: false,
  defaultPorts: [5671],
  detection: { names: ['amqp', 'amqps'], recognises: (a) => /^(Connection\.Start |protocol header |method \d+\.\d+)/.test(a.message ?? '') },
  alpn: [],
  startsTls: 'at connect',
  answer: 'AMQP Connection.Start',
  session: () => ({
    request: () => PROTOCOL_HEADER,
    read: readStart,
  }),
  refusal: (o) => serverText(Buffer.from(o.application?.message ?? o.reason), 120),
  controlRefusedHint: (c) =>
    c.application?.protocol === 'amqp' && c.rejectedAt === 'application'
      ? `the broker refused the valid client (${c.application.message}) before any credentials: the harness stops at Connection.Start and sends none; check the broker's listener and its ssl options`
      : undefined,
};
