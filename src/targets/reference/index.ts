/**
 * The reference servers, in one map (issue 17; REPORTERS is the model): each entry declares its
 * protocol, the profiles it supports (`unsupported`), its Debian packages, whether it has a
 * container form and how it starts. `--reference`, `reference start`, the container provider, the
 * self-test's expectations, the reference image's package list (test/reference-registry.test.ts)
 * and the support table of docs/reference-servers.md (npm run docs) are derived from it. A new
 * file-based server is one file here (its ProcessImplementation, with a template in
 * fixtures/reference/) and one entry below.
 */
import { apache, apacheLocation } from './apache.js';
import { caddy } from './caddy.js';
import { gnutls } from './gnutls.js';
import { grpcReference } from './grpc.js';
import { haproxy } from './haproxy.js';
import { mariadb } from './mariadb.js';
import { mosquitto } from './mosquitto.js';
import { nginx } from './nginx.js';
import { nodeReference } from './node-process.js';
import { openssl } from './openssl.js';
import { postgres } from './postgres.js';
import { REFERENCE_DB_USER } from './starttls.js';
import { startProcessReference } from './process.js';
import { redis } from './redis.js';
import { stunnel } from './stunnel.js';
import type { ProcessImplementation, ReferenceProtocol, ReferenceServer } from './types.js';

export type { Deviation, ProcessImplementation, ReferenceProtocol, ReferenceServer } from './types.js';

/**
 * The entry of a file-based server: it runs as a local process from its rendered config, and in the
 * reference image too when `container` (its packages must then be in fixtures/images).
 */
export function processReference(
  impl: ProcessImplementation,
  o: { title: string; protocol?: ReferenceProtocol; appUser?: string; container: boolean },
): ReferenceServer {
  return {
    name: impl.name,
    title: o.title,
    protocol: o.protocol ?? 'https',
    ...(o.appUser ? { appUser: o.appUser } : {}),
    debianPackages: impl.debianPackages,
    runs: 'process',
    unsupported: impl.unsupported,
    ...(impl.deviations ? { deviations: impl.deviations } : {}),
    ...(impl.rotationHandshakeOnly ? { rotationHandshakeOnly: impl.rotationHandshakeOnly } : {}),
    start: (s) => startProcessReference(impl, s),
    process: impl,
    container: o.container,
  };
}

/** The reference servers by name, in the order they are listed (help, docs). */
export const REFERENCES: Readonly<Record<string, ReferenceServer>> = {
  node: nodeReference,
  'node-grpc': grpcReference,
  openssl: processReference(openssl, { title: 'openssl s_server', container: true }),
  nginx: processReference(nginx, { title: 'nginx', container: true }),
  haproxy: processReference(haproxy, { title: 'haproxy', container: true }),
  stunnel: processReference(stunnel, { title: 'stunnel', container: true }),
  caddy: processReference(caddy, { title: 'caddy (Go crypto/tls)', container: true }),
  gnutls: processReference(gnutls, { title: 'gnutls-serv (GnuTLS)', container: true }),
  // Issue 18's per-path client auth: Apache httpd, server-level and per <Location /secure> (a local process only).
  apache: processReference(apache, { title: 'Apache httpd (mod_ssl)', container: false }),
  'apache-location': processReference(apacheLocation, { title: 'Apache httpd, client auth in <Location /secure> (per path)', container: false }),
  // The databases and brokers of issue 18: in the reference image too, run there as their own user (container.ts).
  postgres: processReference(postgres, { title: 'PostgreSQL (pg_hba.conf, SSLRequest)', protocol: 'postgres', appUser: REFERENCE_DB_USER, container: true }),
  mariadb: processReference(mariadb, { title: 'MariaDB (mariadbd, SSL request)', protocol: 'mysql', appUser: REFERENCE_DB_USER, container: true }),
  mosquitto: processReference(mosquitto, { title: 'mosquitto (MQTT broker)', protocol: 'mqtt', container: true }),
  redis: processReference(redis, { title: 'Redis (tls-port)', protocol: 'redis', container: true }),
};

const names: string[] = Object.keys(REFERENCES);

/** The names `--reference` takes, in map order (kept up to date by registerReference). */
export const IMPLEMENTATIONS: readonly string[] = names;

/** The entry of a reference server, by name (own entries only: `constructor` is no server). */
export function referenceServer(name: string): ReferenceServer | undefined {
  return Object.hasOwn(REFERENCES, name) ? REFERENCES[name] : undefined;
}

/**
 * Adds a reference server at run time (embedding, tests): from then on `--reference NAME` and
 * `reference start NAME` start it like the others. Its name must be new.
 */
export function registerReference(r: ReferenceServer): void {
  if (!/^[a-z][a-z0-9-]*$/.test(r.name)) throw new Error(`reference name "${r.name}": lower-case letters, digits and hyphens`);
  if (referenceServer(r.name)) throw new Error(`reference ${r.name}: the name is already taken`);
  if (r.process && r.process.name !== r.name) throw new Error(`reference ${r.name}: its file-based form is named ${r.process.name}`);
  if (r.container && !r.process) throw new Error(`reference ${r.name}: a container form needs its file-based form (process)`);
  (REFERENCES as Record<string, ReferenceServer>)[r.name] = r;
  names.push(r.name);
}
