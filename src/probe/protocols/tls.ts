/**
 * tls: raw TLS at connect, nothing sent after the handshake. The connection is accepted when the
 * server sends data, or when it stays open for `graceMs` (default 300 ms) after the handshake; a
 * close or an alert before that is classified by the TLS rules.
 */
import { safeText } from '../../core/text.js';
import type { ProtocolModule, ProtocolSession } from './types.js';
import { served } from './wire.js';

/** Read only: any application data from the server means it kept the connection and spoke. */
export const readOnly: ProtocolSession = {
  read: (buffered) => (buffered.length > 0 ? served('the server completed the handshake and sent application data') : undefined),
};

export const tls: ProtocolModule<'tls'> = {
  name: 'tls',
  title: 'raw TLS',
  plaintextHttp: true,
  defaultPorts: [],
  alpn: [],
  startsTls: 'at connect',
  session: () => readOnly,
  refusal: (o) => safeText(o.reason, 120),
};
