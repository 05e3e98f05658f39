/**
 * postgres-direct: PostgreSQL 17's direct TLS (https://www.postgresql.org/docs/17/protocol-flow.html#PROTOCOL-FLOW-SSL,
 * libpq `sslnegotiation=direct`): the ClientHello at connect, with ALPN `postgresql` (the server
 * refuses a direct connection without it), no SSLRequest; after the handshake the same
 * StartupMessage and answers as `postgres`. A separate name, not `postgres` with `--alpn
 * postgresql`: PostgreSQL 17's libpq offers that ALPN after the SSLRequest too, so the ALPN does not
 * say how TLS starts. A server before 17 reads the ClientHello as a startup packet and closes
 * without a byte: that is no TLS server on that path (unreachable), never a refusal.
 */
import { readLogin, startupMessage } from './postgres.js';
import type { ProtocolModule } from './types.js';
import { serverText } from './wire.js';

/** PostgreSQL's ALPN protocol name (IANA), required on a direct TLS connection. */
export const POSTGRES_ALPN = 'postgresql';

export const postgresDirect: ProtocolModule<'postgres-direct'> = {
  name: 'postgres-direct',
  title: 'PostgreSQL (direct TLS)',
  layer: 'PostgreSQL',
  plaintextHttp: false,
  // 5432 is `postgres` (SSLRequest), which every PostgreSQL server answers: direct TLS is asked for by name.
  defaultPorts: [],
  alpn: [POSTGRES_ALPN],
  startsTls: 'at connect',
  answer: 'PostgreSQL answer',
  alpnRefusal: `it does not accept ALPN "${POSTGRES_ALPN}" (PostgreSQL 17 and later require it for direct TLS)`,
  unansweredHello:
    'a PostgreSQL server before 17 reads a direct-TLS ClientHello as a startup packet and closes without answering (its log: "invalid length of startup packet"): try --protocol postgres (SSLRequest)',
  session: (ctx) => ({
    request: () => startupMessage(ctx.appUser),
    read: (buffered, ended) => readLogin(buffered, ended, ctx.appUser),
  }),
  refusal: (o) => serverText(Buffer.from(o.application?.message ?? o.reason), 120),
};
