/**
 * The protocol registry: one module per protocol the probe speaks (docs/protocols.md). The state
 * machine (`tls-probe.ts`), the refusal wording (`controls.ts`) and the ALPN offered read a
 * protocol's behaviour from here: the probe branches on no protocol's name.
 */
import type { ProbeOptions } from '../options.js';
import type { ProbeOutcome } from '../outcome.js';
import { amqp } from './amqp.js';
import { grpc } from './grpc.js';
import { https } from './https.js';
import { ldap } from './ldap.js';
import { imap } from './imap.js';
import { mqtt } from './mqtt.js';
import type { Protocol } from './names.js';
import { mysql } from './mysql.js';
import { postgres } from './postgres.js';
import { pop3 } from './pop3.js';
import { postgresDirect } from './postgres-direct.js';
import { redis } from './redis.js';
import { smtp } from './smtp.js';
import { tls } from './tls.js';
import type { ProtocolModule } from './types.js';

export { PROTOCOLS, isProtocol, type Protocol } from './names.js';
export type { AppVerdict, ProtocolContext, ProtocolModule, ProtocolSession, StartTlsResult } from './types.js';

/** Every protocol, by name: exactly the names of `PROTOCOLS` (the type holds it to that). */
export const PROTOCOL_MODULES: { readonly [P in Protocol]: ProtocolModule<P> } = {
  https,
  tls,
  grpc,
  postgres,
  'postgres-direct': postgresDirect,
  mysql,
  redis,
  mqtt,
  amqp,
  ldap,
  smtp,
  imap,
  pop3,
};

/** The module of a protocol (default `https`). */
export function protocolModule(p: Protocol | undefined): ProtocolModule {
  return PROTOCOL_MODULES[p ?? 'https'];
}

/** The ALPN protocols offered: the options', else the protocol's. */
export function offeredAlpn(opts: Pick<ProbeOptions, 'alpn' | 'protocol'>): string[] {
  return opts.alpn ?? [...protocolModule(opts.protocol).alpn];
}

/** The module whose layer an outcome's application-layer answer came from. */
export function answeringModule(o: ProbeOutcome): ProtocolModule {
  return protocolModule(o.application?.protocol ?? (o.grpc ? 'grpc' : 'https'));
}
