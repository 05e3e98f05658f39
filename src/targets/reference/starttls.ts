/**
 * How TLS starts on a database reference's port, for its readiness check (and the tests'
 * handshakes): the protocol module's own exchange before TLS (`src/probe/protocols/`: PostgreSQL's
 * SSLRequest, MySQL's greeting and SSL request), so the bytes live in one place.
 */
import * as net from 'node:net';
import { protocolModule } from '../../probe/protocols/index.js';
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
