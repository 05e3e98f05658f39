/**
 * What a probe is asked to do (`ProbeOptions`), checked before any connection (`validateProbeOptions`),
 * and the settings it derives from them: the secure-context options (`tlsContextOptions`, the
 * same for the probe's connection, its gRPC call and the diagnosis's shared contexts), the SNI and
 * the application user. (The ALPN protocols offered come from the protocol's module:
 * `protocols/index.ts` `offeredAlpn`.)
 */
import { X509Certificate } from 'node:crypto';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { HarnessError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { TLS_VERSIONS, type TlsVersion } from '../core/target.js';
import type { Protocol } from './protocols/names.js';
import { printable } from './rejection.js';

export interface ProbeOptions {
  host: string;
  port: number;
  /** SNI and the name the server certificate is checked against (default: host, unless it is an IP). */
  servername?: string;
  /** Trust anchors (PEM). Without it the system store is used for `authorized`. */
  ca?: string | Buffer;
  /** Client certificate chain (PEM, leaf first). Give with `key`, or neither. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** ALPN protocols offered (default: the protocol's, `['http/1.1']` for https, `['h2']` for grpc, none for the others). */
  alpn?: string[];
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  /** OpenSSL cipher string (e.g. `DEFAULT:@SECLEVEL=0` to be able to offer a TLS 1.1 hello at all). */
  ciphers?: string;
  /** Budget for the whole probe, connect to verdict, in ms (default 5000). */
  timeoutMs?: number;
  /** Raw TLS: how long the connection must stay open after the handshake to count as accepted (default 300 ms). */
  graceMs?: number;
  /**
   * What is spoken around TLS (docs/protocols.md; `protocols/`): `https` sends one HTTP/1.1 request
   * after the handshake; `tls` only reads; `grpc` offers ALPN h2, reads like `tls`, and when the
   * connection is accepted makes one real grpc.health.v1 Health/Check call with the same
   * credentials; `postgres` and `mysql` start TLS in their own protocol first (SSLRequest) and then
   * log in; `redis` sends PING; `mqtt` sends CONNECT; `amqp` sends the AMQP 0-9-1 header; `ldap`
   * starts TLS with StartTLS (at connect on 636) and sends WhoAmI (default `https`).
   */
  protocol?: Protocol;
  /**
   * postgres, mysql: the database user the probe logs in as (default: the CN of the client
   * certificate offered, else `mtls-harness`). Give every probe of one target the same user, so that
   * a refused client differs from its control in the certificate alone.
   */
  appUser?: string;
  /** Path of the HTTP request (default `/`). */
  httpPath?: string;
  /** HTTP statuses that mean "refused at the application layer" (default 400, 401, 403, 495, 496). */
  rejectStatuses?: number[];
  /**
   * A prepared secure context (trust anchors and client credentials) used instead of ca/cert/key:
   * no PEM parsing per connection (the rotation prober). `withClientCert` says whether it holds one; `pem`, its
   * certificate and key, for a connection remade by the reference client (`pha-client.ts`).
   */
  secureContext?: { context: tls.SecureContext; withClientCert: boolean; pem?: { cert: string; key: string } };
  /**
   * `exchange` (default): after the handshake, an HTTP request (https) or a read (tls).
   * `handshake`: accepted as soon as the server's verdict on the handshake is known, without
   * application data: TLS 1.2 its Finished; TLS 1.3 a session ticket (or no alert within the
   * verdict window). Refusals at the HTTP layer are not seen in this mode.
   */
  until?: 'exchange' | 'handshake';
  /**
   * `full` (default): the server's bytes are recorded (alerts, CertificateRequest, the chain as
   * sent) and the chain summarised. `fast`: a native TLS socket, alerts from the TLS library's
   * error, only the leaf's fingerprint; a server that closes mid-handshake without an alert cannot
   * be told from one that never spoke TLS. For the rotation prober's thousands of attempts.
   */
  detail?: 'full' | 'fast';
  /** DNS lookup override (tests use it to simulate resolution failures without touching a resolver). */
  lookup?: net.LookupFunction;
  clock?: Clock;
}

/** Accepts `1.2`, `tls1.2`, `TLSv1.2`; returns node's spelling. */
export function parseTlsVersion(v: string): TlsVersion {
  const m = /^(?:tls\s*v?)?1(?:\.([0-3]))?$/i.exec(v.trim());
  if (m) {
    const minor = m[1] ?? '0';
    const out = minor === '0' ? 'TLSv1' : (`TLSv1.${minor}` as TlsVersion);
    if (TLS_VERSIONS.includes(out)) return out;
  }
  throw new HarnessError('usage.invalid-value', `unknown TLS version "${v}": use 1.2 or 1.3 (or TLSv1.2, TLSv1.3)`);
}

/** Refuses options no probe can run with (exit 2): nothing is sent. */
export function validateProbeOptions(opts: ProbeOptions): void {
  if (!opts.host) throw new HarnessError('usage.missing-argument', 'probe needs a host');
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw new HarnessError('usage.invalid-value', `port ${opts.port} is not in 1..65535`);
  if (opts.secureContext && (opts.ca || opts.cert || opts.key))
    throw new HarnessError('usage.invalid-value', 'a prepared secure context replaces ca, cert and key: give one or the other');
  if (!!opts.cert !== !!opts.key)
    throw new HarnessError('usage.missing-argument', 'a client certificate needs its key and a key needs its certificate: pass both --cert and --key');
  if (opts.timeoutMs !== undefined && !(opts.timeoutMs > 0)) throw new HarnessError('usage.invalid-value', `timeout must be a positive number of milliseconds`);
  // Defence in depth (the loaders validate names and paths at the edge): these go into the request line and Host header.
  for (const [what, v] of [
    ['host', opts.host],
    ['servername', opts.servername],
    ['HTTP path', opts.httpPath],
  ] as const) {
    if (v !== undefined && /[\u0000-\u0020\u007f-\u009f]/.test(v))
      throw new HarnessError(
        'usage.invalid-value',
        `${what} "${printable(v, 80)}" contains a space or a control character (CR/LF would inject into the HTTP request): nothing was sent`,
      );
  }
  if (opts.appUser !== undefined && !isAppUser(opts.appUser))
    throw new HarnessError(
      'usage.invalid-value',
      `the application user "${printable(opts.appUser, 80)}" must be 1 to ${APP_USER_MAX} characters without control characters: nothing was sent`,
    );
}

/** Longest application user sent (MariaDB allows 80 characters, PostgreSQL truncates at 63 bytes). */
const APP_USER_MAX = 128;

function isAppUser(s: string): boolean {
  return s.length > 0 && s.length <= APP_USER_MAX && !/[\u0000-\u001f\u007f-\u009f]/.test(s);
}

/** The user a database probe logs in as: `appUser`, else the CN of the client certificate offered, else `mtls-harness`. */
export function appUserOf(opts: Pick<ProbeOptions, 'appUser' | 'cert'>): string {
  if (opts.appUser !== undefined) return opts.appUser;
  const cn = opts.cert ? commonNameOf(opts.cert) : undefined;
  return cn !== undefined && isAppUser(cn) ? cn : 'mtls-harness';
}

/** The CN of the first certificate of a PEM chain; undefined when there is none or it does not parse. */
function commonNameOf(pem: string | Buffer): string | undefined {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem.toString())?.[0];
  if (!first) return undefined;
  try {
    const subject = new X509Certificate(first).subject;
    return /^CN=(.*)$/m.exec(subject)?.[1];
  } catch {
    return undefined;
  }
}

/** The trust anchors, client credential, versions and ciphers of the options, as TLS context options (none of them: `{}`). */
export function tlsContextOptions(o: Pick<ProbeOptions, 'ca' | 'cert' | 'key' | 'minVersion' | 'maxVersion' | 'ciphers'>): tls.SecureContextOptions {
  return {
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.cert && o.key ? { cert: o.cert, key: o.key } : {}),
    ...(o.minVersion ? { minVersion: o.minVersion } : {}),
    ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
    ...(o.ciphers ? { ciphers: o.ciphers } : {}),
  };
}

/** The SNI sent: the servername, else the host unless it is an IP address. */
export function sniOf(opts: Pick<ProbeOptions, 'host' | 'servername'>): string | undefined {
  return opts.servername ?? (net.isIP(opts.host) ? undefined : opts.host);
}
