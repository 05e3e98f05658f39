// postgres-direct (PostgreSQL 17's direct TLS) on bytes: no PostgreSQL 17 can run here (Debian
// bookworm has 15, which has no direct TLS), so a TLS server replays what PostgreSQL writes — the
// ALPN it requires, AuthenticationOk (the first message of a recorded PostgreSQL 15 answer, the same
// after TLS in 17) or an ErrorResponse of SQLSTATE 28000 — and checks what the probe sends: the
// ClientHello at connect with ALPN postgresql, then the StartupMessage, no SSLRequest. What a real
// server before 17 does with a direct ClientHello is in test/reference-databases.test.ts.
import * as tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../../pki/generate.js';
import { probeEndpoint } from '../tls-probe.js';
import { offeredAlpn, PROTOCOL_MODULES } from './index.js';
import { postgresDirect, POSTGRES_ALPN } from './postgres-direct.js';
import { startupMessage } from './postgres.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
/** AuthenticationOk: 'R', length 8, code 0. */
const AUTH_OK = hex('52 00000008 00000000');

/** An ErrorResponse as PostgreSQL writes it: 'E', length, then S/V/C/M fields, each NUL-ended, and a final NUL. */
function errorResponse(code: string, message: string): Buffer {
  const body = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeUInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

let pki: FixturePki;
beforeAll(async () => {
  pki = await mintFixturePki();
});

interface Seen {
  alpn: string | false | null;
  first: Buffer;
}

/**
 * A direct-TLS PostgreSQL 17 on bytes: TLS from the first byte, ALPN `postgresql` only (none
 * offered, or another: alert 120, as PostgreSQL 17 refuses), a certificate requested; answers the
 * first message after the handshake with `answer(clientSentCert)`.
 */
async function pg17(answer: (withCert: boolean) => Buffer): Promise<{ port: number; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = tls.createServer(
    {
      key: pki.server.keyPem,
      cert: pki.server.chainPem,
      ca: pki.root.certPem,
      requestCert: true,
      rejectUnauthorized: false,
      ALPNCallback: ({ protocols }) => (protocols.includes(POSTGRES_ALPN) ? POSTGRES_ALPN : undefined),
    },
    (s) => {
      s.on('error', () => undefined);
      s.once('data', (d: Buffer) => {
        seen.push({ alpn: s.alpnProtocol, first: d });
        s.end(answer(!!s.getPeerCertificate()?.raw));
      });
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const probe = (port: number, o: { cert?: boolean; alpn?: string[] } = {}) =>
  probeEndpoint({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    protocol: 'postgres-direct',
    appUser: 'alice',
    ca: pki.root.certPem,
    ...(o.cert ? { cert: pki.client.chainPem, key: pki.client.keyPem } : {}),
    ...(o.alpn ? { alpn: o.alpn } : {}),
    timeoutMs: 3000,
  });

describe('postgres-direct: PostgreSQL 17 direct TLS', () => {
  it('starts TLS at connect with ALPN postgresql, then logs in as postgres does; a separate name in the registry', () => {
    expect(PROTOCOL_MODULES['postgres-direct']).toBe(postgresDirect);
    expect(postgresDirect.startsTls).toBe('at connect');
    expect(offeredAlpn({ protocol: 'postgres-direct' })).toEqual(['postgresql']);
    expect(offeredAlpn({ protocol: 'postgres' })).toEqual([]);
    // Never guessed from a port: 5432 is `postgres` (SSLRequest), which every PostgreSQL answers.
    expect(postgresDirect.defaultPorts).toEqual([]);
    const session = postgresDirect.session({ opts: { host: 'h', port: 1 }, appUser: 'alice' });
    expect(session.startTls).toBeUndefined();
    expect(session.request!()).toEqual(startupMessage('alice'));
    expect(session.read(AUTH_OK, false)).toMatchObject({ rejectedAt: 'accepted', application: { protocol: 'postgres', message: 'AuthenticationOk' } });
  });

  const refusal = errorResponse('28000', 'connection requires a valid client certificate');
  const server = (withCert: boolean) => (withCert ? AUTH_OK : refusal);

  it('the valid client is served (AuthenticationOk); the bytes after the handshake are the StartupMessage, no SSLRequest', async () => {
    const s = await pg17(server);
    try {
      const o = await probe(s.port, { cert: true });
      expect(o.rejectedAt, o.reason).toBe('accepted');
      expect(o.alpn).toBe('postgresql');
      expect(o.application).toMatchObject({ protocol: 'postgres', user: 'alice', message: 'AuthenticationOk' });
      expect(s.seen).toEqual([{ alpn: 'postgresql', first: startupMessage('alice') }]);
    } finally {
      await s.close();
    }
  });

  it('a client without a certificate refused at the PostgreSQL layer: FATAL 28000 is the evidence', async () => {
    const s = await pg17(server);
    try {
      const o = await probe(s.port);
      expect(o.rejectedAt).toBe('application');
      expect(o.application).toMatchObject({ protocol: 'postgres', code: '28000', message: 'FATAL 28000 connection requires a valid client certificate' });
      expect(o.reason).toMatch(/then the PostgreSQL server refused the login: FATAL 28000/);
    } finally {
      await s.close();
    }
  });

  it('without ALPN postgresql the server refuses with alert 120, which says so (an ALPN problem, not a certificate verdict)', async () => {
    const s = await pg17(server);
    try {
      const o = await probe(s.port, { cert: true, alpn: ['http/1.1'] });
      expect(o.rejectedAt).toBe('unreachable');
      expect(o.failure?.kind).toBe('alpn');
      expect(o.reason).toMatch(/does not accept ALPN "postgresql" \(PostgreSQL 17 and later require it for direct TLS\)/);
      expect(s.seen).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
