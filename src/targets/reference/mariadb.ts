import { advertisesNoCaNames } from './types.js';
import { clientPolicyFor, loadsClientCrl, type ClientPolicy } from '../profiles.js';
import { findBinary, PKI_FILES, renderTemplate, type ProcessImplementation, type RenderContext } from './process.js';
import { REFERENCE_DB_USER } from './starttls.js';

/** What the reference's user requires, per client policy (`CREATE USER … REQUIRE`). */
const REQUIRE: Partial<Record<RenderContext['policy'], string>> = {
  // A verified client certificate (SSL_get_verify_result == X509_V_OK), checked at authentication.
  'require-verified': 'X509',
  // TLS, with or without a certificate (one presented is still verified in the handshake).
  'optional-verified': 'SSL',
};

/** Why the client policies it cannot express are unsupported (every other profile is). */
const UNSUPPORTED: Partial<Record<ClientPolicy, string>> = {
  none: 'mariadbd always asks for a client certificate (its TLS acceptor sets SSL_VERIFY_PEER whatever the configuration) and verifies one presented against ssl-ca, or the system trust store without it: it cannot be configured never to ask',
  'require-any':
    'mariadbd verifies every client certificate it receives (a failure is alert 48 in the handshake) and REQUIRE X509 accepts only a verified one: it cannot require a certificate without verifying it',
  'require-ignore-dates': "mariadbd has no setting to ignore a client certificate's validity dates",
};

/**
 * MariaDB (Debian mariadb-server): a throwaway data directory created by `mariadb-install-db` on
 * the first start (`start.sh`), mariadbd on 127.0.0.1 and a unix socket in the rendered directory,
 * configured by `my.cnf`. TLS starts after the SSL request of the connection phase. mariadbd always
 * sends a CertificateRequest and verifies a presented certificate against `ssl-ca` (a failure is a
 * TLS alert, 48 unknown_ca); whether a client without one is served is the user's `REQUIRE`: X509
 * refuses it after the handshake, at authentication (ERROR 1045 (28000) Access denied). The user
 * (REFERENCE_DB_USER, no password) is created by `init-file` at every start. As root, it runs as the
 * `mysql` user of the Debian package. Graceful reload: `FLUSH SSL` over the unix socket, as the
 * server's OS user (unix_socket authentication; no account but the reference's is reachable over TCP).
 */
export const mariadb: ProcessImplementation = {
  name: 'mariadb',
  debianPackages: ['mariadb-server'],
  binary: 'mariadbd',
  runAs: 'mysql',
  starttls: 'mysql',
  unsupported: (profile) =>
    profile === 'revocation-ocsp'
      ? 'mariadbd checks a client certificate against ssl-crl/ssl-crlpath only: it has no OCSP setting'
      : UNSUPPORTED[clientPolicyFor(profile)],
  deviations: advertisesNoCaNames('MariaDB'),
  render(ctx: RenderContext) {
    const require = REQUIRE[ctx.policy];
    if (!require) throw new Error(`mariadb: no rendering for client policy ${ctx.policy}`);
    const cnf = renderTemplate('mariadb.cnf.tmpl', {
      profile: ctx.profile,
      dir: ctx.dir,
      bind: ctx.bind,
      port: String(ctx.port),
      ssl_crl: loadsClientCrl(ctx.profile) ? `ssl-crl = ${ctx.dir}/${PKI_FILES.clientCrl}` : '',
    });
    const start = renderTemplate('mariadb-start.sh.tmpl', { profile: ctx.profile, dir: ctx.dir, mariadbd: findBinary('mariadbd') ?? 'mariadbd' });
    const init = `CREATE USER IF NOT EXISTS '${REFERENCE_DB_USER}'@'%' IDENTIFIED BY '' REQUIRE ${require};\n`;
    return {
      files: { 'my.cnf': cnf, 'init.sql': init, 'start.sh': start },
      command: ['/bin/sh', `${ctx.dir}/start.sh`],
      // As the server's OS user, which the client takes as its user name (unix_socket authentication).
      reloadCommand: ['mariadb', '--no-defaults', `--socket=${ctx.dir}/mysqld.sock`, '--execute=FLUSH SSL'],
    };
  },
};
