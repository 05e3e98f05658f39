/**
 * Which protocol a port speaks, from what the server does (docs/protocols.md "Detection"), for a
 * target given no protocol. Driven by the registry (`PROTOCOL_MODULES`: `detection`,
 * `defaultPorts`, `session().startTls`), so a new database or broker module is detected without
 * touching this file; only HTTPS and gRPC, told apart by ALPN, are named here.
 *
 *  1. Connect and listen: a server that speaks first is recognised by its greeting (MySQL's
 *     handshake packet, SMTP's 220 …); a greeting no module knows is undecided.
 *  2. Silent: the STARTTLS protocols the client opens (PostgreSQL's SSLRequest), the port's first;
 *     the one whose request for TLS is answered yes (`S`) is it.
 *  3. TLS at connect, offering ALPN h2 and http/1.1: http/1.1 chosen → https; h2 chosen → gRPC when
 *     a second hello offering only http/1.1 is refused (alert 120), else https; no ALPN → an HTTP
 *     request answered → https, else each raw-TLS protocol's request (Redis PING, MQTT CONNECT), the
 *     port's first, answered as that protocol.
 *  4. Nothing decided: the port's protocol when the port is a well-known one, with that said as the
 *     reason; otherwise undecided, with what was observed (the runner then probes it as HTTPS and
 *     says so: "not decided (…): probed as HTTPS; give --protocol").
 *
 * Detection connects with the target's valid client certificate when it has one: it asks which
 * protocol is spoken, not whether a certificate is required.
 */
import * as net from 'node:net';
import { safeText } from '../core/text.js';
import type { ProbeOptions } from './options.js';
import { PROTOCOL_MODULES, type Protocol, type ProtocolModule } from './protocols/index.js';
import { probeEndpoint, type ProbeOutcome } from './tls-probe.js';

export interface ProtocolDetection {
  /** The protocol decided, or undefined: undecided. */
  protocol?: Protocol;
  /** How, in a few words: "port 5432, SSLRequest answered S"; undecided: why, and "give --protocol". */
  how: string;
  /** Connections made to decide. */
  connections: number;
}

const MODULES = Object.values(PROTOCOL_MODULES) as ProtocolModule[];

/** The modules of a port's well-known number first, then the others, each list in registry order. */
function byPort(mods: ProtocolModule[], port: number): ProtocolModule[] {
  return [...mods.filter((m) => m.defaultPorts.includes(port)), ...mods.filter((m) => !m.defaultPorts.includes(port))];
}

/** The first bytes a server sends after connect within `ms`, before the client sends anything. */
function listen(host: string, port: number, ms: number, lookup?: net.LookupFunction): Promise<{ bytes: Buffer } | { error: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = net.connect({ host, port, ...(lookup ? { lookup } : {}) });
    let done = false;
    const finish = (r: { bytes: Buffer } | { error: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    let timer = setTimeout(() => finish({ error: `no answer to the TCP connection within ${ms} ms` }), Math.max(ms, 3000));
    sock.on('connect', () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ bytes: Buffer.concat(chunks) }), ms);
    });
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      if (Buffer.concat(chunks).length >= 512) finish({ bytes: Buffer.concat(chunks) });
    });
    sock.on('end', () => finish({ bytes: Buffer.concat(chunks) }));
    sock.on('error', (e) => finish(chunks.length ? { bytes: Buffer.concat(chunks) } : { error: e.message }));
  });
}

/** Whether TLS started (the plaintext exchange of a STARTTLS protocol, if any, went through). */
const tlsStarted = (o: ProbeOutcome) =>
  o.failure?.phase !== 'starttls' && o.failure?.phase !== 'connect' && o.failure?.kind !== 'not-tls' && o.serverHello !== false;

/** Decides the protocol of `opts.host:opts.port` (see the file comment). Never throws. */
export async function detectProtocol(opts: ProbeOptions): Promise<ProtocolDetection> {
  // Each detection connection within 3 s: a hung server is not waited for twice as long as the checks wait.
  const base: ProbeOptions = { ...opts, timeoutMs: Math.min(opts.timeoutMs ?? 5000, 3000) };
  let connections = 0;
  const probe = (o: Partial<ProbeOptions>) => {
    connections++;
    return probeEndpoint({ ...base, ...o });
  };
  const port = opts.port;
  const hint = MODULES.find((m) => m.name !== 'https' && m.name !== 'grpc' && m.defaultPorts.includes(port));
  const decided = (m: ProtocolModule, how: string): ProtocolDetection => ({ protocol: m.name, how, connections });

  // 1. A server that speaks first.
  connections++;
  const heard = await listen(opts.host, port, Math.min(500, Math.max(200, (base.timeoutMs ?? 5000) / 10)), opts.lookup);
  if ('error' in heard) return { how: `the port did not answer (${safeText(heard.error, 200)})`, connections };
  if (heard.bytes.length > 0 && heard.bytes[0] !== 0x16) {
    const m = MODULES.find((x) => x.detection?.greeting?.(heard.bytes));
    if (m) return decided(m, `${m.title} greeting`);
    return { how: `the server spoke first, in no protocol the harness knows ("${safeText(heard.bytes.subarray(0, 60).toString('latin1'), 60)}")`, connections };
  }

  // 2. STARTTLS opened by the client, the port's protocol first.
  const clientFirst = MODULES.filter((m) => m.startsTls !== 'at connect' && !m.detection?.greeting);
  for (const m of byPort(clientFirst, port).filter((x) => x.defaultPorts.includes(port))) {
    const o = await probe({ protocol: m.name, until: 'handshake' });
    if (tlsStarted(o) && o.application?.startTls) return decided(m, `port ${port}, ${safeText(o.application.startTls, 80)}`);
  }

  // 3. TLS at connect.
  const tlsHello = await probe({ protocol: 'tls', alpn: ['h2', 'http/1.1'], until: 'handshake' });
  if (tlsHello.failure?.kind === 'timeout')
    return hint
      ? decided(hint, `port ${port} (${hint.title}'s); the server did not answer a ClientHello`)
      : { how: 'the server did not answer a ClientHello in time', connections };
  if (tlsStarted(tlsHello) && tlsHello.serverHello !== false && tlsHello.protocol) {
    if (tlsHello.alpn === 'http/1.1') return decided(PROTOCOL_MODULES.https, 'TLS at connect, ALPN http/1.1');
    if (tlsHello.alpn === 'h2') {
      const h1 = await probe({ protocol: 'tls', alpn: ['http/1.1'], until: 'handshake' });
      if (h1.alert?.code === 120 || h1.failure?.kind === 'alpn')
        return decided(PROTOCOL_MODULES.grpc, 'TLS at connect, ALPN h2 only (a hello offering http/1.1 alone was refused with no_application_protocol)');
      return decided(PROTOCOL_MODULES.https, 'TLS at connect, ALPN h2 (http/1.1 accepted too)');
    }
    if (tlsHello.rejectedAt === 'accepted') {
      const http = await probe({ protocol: 'https', alpn: [] });
      if (http.httpStatus !== undefined)
        return decided(PROTOCOL_MODULES.https, `TLS at connect without ALPN, HTTP answered (${safeText(http.httpStatusLine ?? String(http.httpStatus), 60)})`);
      const rawTls = MODULES.filter((m) => m.startsTls === 'at connect' && m.detection?.recognises);
      for (const m of byPort(rawTls, port)) {
        const o = await probe({ protocol: m.name });
        if (o.application && m.detection!.recognises!(o.application))
          return decided(m, `TLS at connect, ${m.title} answered (${safeText(o.application.message ?? '', 60)})`);
      }
    }
  } else {
    // Not TLS at connect: a STARTTLS protocol on a port that is not its own.
    for (const m of clientFirst.filter((x) => !x.defaultPorts.includes(port))) {
      const o = await probe({ protocol: m.name, until: 'handshake' });
      if (tlsStarted(o) && o.application?.startTls) return decided(m, `${safeText(o.application.startTls, 80)}`);
    }
  }

  // 4. The port's well-known protocol, said as the reason; else undecided.
  const seen = tlsHello.protocol
    ? `TLS at connect (${tlsHello.protocol}${tlsHello.alpn ? `, ALPN ${tlsHello.alpn}` : ', no ALPN'}), ${tlsHello.rejectedAt === 'accepted' ? 'no application answer recognised' : `${tlsHello.rejectedAt} ${safeText(tlsHello.reason, 120)}`}`
    : safeText(tlsHello.reason, 160);
  if (hint) return decided(hint, `port ${port} (${hint.title}'s); observed: ${seen}`);
  return { how: seen, connections };
}
