/**
 * Database references (PostgreSQL, MariaDB): their user, when they are ready (`notAnswering`, the
 * probe of their protocol) and how TLS starts on their port for the tests' own handshakes
 * (`startTlsSocket`). Both go through the protocol modules (`src/probe/protocols/`: PostgreSQL's
 * SSLRequest, MySQL's greeting and SSL request), so the bytes live in one place.
 */
import * as net from 'node:net';
import { protocolModule } from '../../probe/protocols/index.js';
import { probeEndpoint } from '../../probe/tls-probe.js';
import type { StartTls } from './types.js';

/**
 * The database user of the PostgreSQL and MariaDB references (no password: the client certificate
 * and TLS are what they check). PostgreSQL: the cluster's superuser, database `postgres`.
 */
export const REFERENCE_DB_USER = 'mtls-harness';

/**
 * Connects and speaks `protocol`'s request for TLS (its module's `startTls`); resolves with the
 * socket the ClientHello goes on, or rejects with what the server did instead.
 */
export function startTlsSocket(host: string, port: number, protocol: StartTls, timeoutMs = 3000): Promise<net.Socket> {
  const session = protocolModule(protocol).session({ opts: { host, port, protocol }, appUser: REFERENCE_DB_USER });
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const fail = (why: string) => {
      s.destroy();
      reject(new Error(`${protocol} at ${host}:${port}: ${why}`));
    };
    s.setTimeout(timeoutMs, () => fail(session.startTlsStalled?.(timeoutMs) ?? 'no answer'));
    const onError = (e: Error) => fail(e.message);
    s.once('error', onError);
    s.once('connect', () => {
      session.startTls!(s).then(
        (r) => {
          if (!r.ok) return fail(r.end.reason);
          // The socket is the TLS client's from here: no timeout, no error handler of ours.
          s.setTimeout(0);
          s.off('error', onError);
          resolve(s);
        },
        (e: Error) => fail(e.message),
      );
    });
  });
}

/**
 * A database reference's readiness: why it does not answer its protocol's login after TLS yet
 * (unreachable: no TLS yet, or "the database system is starting up"), or undefined once it answers
 * (served, or refused: either way the server is up).
 */
export async function notAnswering(host: string, port: number, protocol: StartTls): Promise<string | undefined> {
  const o = await probeEndpoint({ host, port, protocol, servername: 'localhost', appUser: REFERENCE_DB_USER, detail: 'fast', timeoutMs: 1000 });
  return o.rejectedAt === 'unreachable' ? o.reason : undefined;
}
