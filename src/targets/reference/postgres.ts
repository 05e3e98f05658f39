import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { clientPolicyFor, loadsClientCrl, type ClientPolicy } from '../profiles.js';
import { PKI_FILES, renderTemplate, type ProcessImplementation, type RenderContext } from './process.js';
import { REFERENCE_DB_USER } from './starttls.js';

/** Where Debian installs each PostgreSQL major version (`/usr/lib/postgresql/15/bin`). */
const PG_LIB = '/usr/lib/postgresql';

/** The bin directory of the newest PostgreSQL installed, or undefined. */
export function postgresBinDir(): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync(PG_LIB).filter((v) => /^\d+$/.test(v));
  } catch {
    return undefined;
  }
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? path.join(PG_LIB, newest, 'bin') : undefined;
}

/** pg_hba.conf per client policy: TLS only (`hostssl`), on every address the server listens on. */
const HBA: Partial<Record<RenderContext['policy'], string>> = {
  // A certificate is required and must verify against ssl_ca_file; the role is not matched to its CN (the reference declares no identities).
  'require-verified': 'hostssl all all all trust clientcert=verify-ca',
  // ssl_ca_file set: a certificate is requested and a presented one is verified (TLS alert); none is served.
  'optional-verified': 'hostssl all all all trust',
  // No ssl_ca_file: no certificate is requested.
  none: 'hostssl all all all trust',
};

/** Why the client policies it cannot express are unsupported (every other profile is). */
const UNSUPPORTED: Partial<Record<ClientPolicy, string>> = {
  'require-any':
    'PostgreSQL verifies every client certificate it receives against ssl_ca_file (OpenSSL SSL_VERIFY_PEER; its verify callback never overrides a failure): it cannot require a certificate without verifying it',
  'require-ignore-dates': "PostgreSQL has no setting to ignore a client certificate's validity dates",
};

/**
 * PostgreSQL (Debian postgresql): a throwaway cluster in the rendered directory, created by
 * `initdb` on the first start (`start.sh`), listening on 127.0.0.1 and the unix socket in that
 * directory. TLS starts after the SSLRequest. Client certificates: `ssl_ca_file` makes the server
 * request one and verify a presented one (a failure is a TLS alert); pg_hba.conf's
 * `clientcert=verify-ca` refuses a client without one after the handshake, at authentication
 * (FATAL 28000 "connection requires a valid client certificate"). PostgreSQL refuses to run as
 * root: when the harness is root it runs as the `postgres` user of the Debian package. Graceful
 * reload: SIGHUP (what `pg_ctl reload` sends) re-reads the certificate, key and CA files (since
 * PostgreSQL 10); stop: SIGINT, the fast shutdown.
 */
export const postgres: ProcessImplementation = {
  name: 'postgres',
  debianPackages: ['postgresql'],
  get binary() {
    const bin = postgresBinDir();
    return bin ? path.join(bin, 'postgres') : 'postgres';
  },
  runAs: 'postgres',
  starttls: 'postgres',
  unsupported: (profile) =>
    profile === 'revocation-ocsp'
      ? 'PostgreSQL checks a client certificate against ssl_crl_file/ssl_crl_dir only: it has no OCSP setting'
      : UNSUPPORTED[clientPolicyFor(profile)],
  render(ctx: RenderContext) {
    const hba = HBA[ctx.policy];
    const bindir = postgresBinDir();
    if (!hba || !bindir) throw new Error(`postgres: no rendering for client policy ${ctx.policy}${bindir ? '' : ' (no PostgreSQL installed)'}`);
    const sslCa =
      ctx.policy === 'none'
        ? "ssl_ca_file = ''"
        : `ssl_ca_file = '${ctx.dir}/${PKI_FILES.clientCa}'${loadsClientCrl(ctx.profile) ? `\nssl_crl_file = '${ctx.dir}/${PKI_FILES.clientCrl}'` : ''}`;
    const conf = renderTemplate('postgresql.conf.tmpl', { profile: ctx.profile, dir: ctx.dir, bind: ctx.bind, port: String(ctx.port), ssl_ca: sslCa });
    const start = renderTemplate('postgres-start.sh.tmpl', { profile: ctx.profile, dir: ctx.dir, bindir, user: REFERENCE_DB_USER });
    return {
      files: {
        'postgresql.conf': conf,
        'pg_hba.conf': `# mtls-harness reference: PostgreSQL, profile ${ctx.profile}\nlocal all all trust\n${hba}\n`,
        'pg_ident.conf': '',
        'start.sh': start,
      },
      command: ['/bin/sh', `${ctx.dir}/start.sh`],
      reloadSignal: 'SIGHUP',
      stopSignal: 'SIGINT',
    };
  },
};
