import { existsSync } from 'node:fs';
import type { ProfileName } from '../profiles.js';
import { checksClientOcsp, clientPolicyFor, loadsClientCrl } from '../profiles.js';
import { ocspUrlOf } from './types.js';
import { renderTemplate, type ProcessImplementation, type RenderContext } from './process.js';

/** Where Debian's apache2 keeps its modules (mod_ssl is in apache2 itself). */
const MODULES =
  ['/usr/lib/apache2/modules', '/usr/lib/httpd/modules', '/usr/lib64/httpd/modules'].find((d) => existsSync(`${d}/mod_ssl.so`)) ?? '/usr/lib/apache2/modules';

/** What neither form can express honestly, with the reason. */
function commonUnsupported(profile: ProfileName): string | undefined {
  switch (clientPolicyFor(profile)) {
    case 'require-any':
      return 'Apache cannot require a client certificate without verifying it: SSLVerifyClient optional_no_ca also serves a client without one';
    case 'require-ignore-dates':
      return 'Apache cannot verify a client chain while ignoring its validity dates';
    default:
      return profile === 'rotation-graceful'
        ? "this reference does not use Apache's graceful restart (SIGUSR1): it is only restarted (rotation-restart)"
        : undefined;
  }
}

const DIRECTIVE: Record<'require-verified' | 'optional-verified' | 'none', string> = {
  'require-verified': 'SSLVerifyClient require',
  'optional-verified': 'SSLVerifyClient optional',
  none: 'SSLVerifyClient none',
};

/**
 * Apache httpd (Debian apache2, mod_ssl), as two references from one template:
 * - `apache`: the profile's client auth at server level (`SSLVerifyClient require|optional|none`),
 *   asked for in the initial handshake;
 * - `apache-location`: per-path client auth: `/` asks for no certificate, `<Location /secure>`
 *   carries the profile's (`require` for strict, `optional` for optional-client-cert), which
 *   Apache asks for after the handshake: a TLS 1.2 renegotiation (`--tls-max 1.2`), or TLS 1.3
 *   post-handshake authentication (answered by openssl s_client -enable_pha). Test it with
 *   `--path / --path /secure`: its profile describes `/secure`.
 * Runs as www-data when the harness is root (its worker reads the pages).
 */
function apacheImpl(name: 'apache' | 'apache-location'): ProcessImplementation {
  const perLocation = name === 'apache-location';
  return {
    name,
    debianPackages: ['apache2'],
    binary: 'apache2',
    runAs: 'www-data',
    ...(perLocation
      ? {
          deviations: (profile: ProfileName) =>
            profile === 'strict' || profile === 'optional-client-cert'
              ? {
                  checks: { 'handshake.advertised-cas-cover-client': 'error' as const, 'handshake.client-key-types': 'error' as const },
                  reason:
                    'apache-location asks for a certificate only after the handshake (<Location /secure>): the harness does not read that CertificateRequest (encrypted under the renegotiation, or TLS 1.3 post-handshake), so the checks that read its CA names and signature schemes say so (error)',
                }
              : undefined,
        }
      : {}),
    unsupported(profile) {
      if (perLocation && profile !== 'strict' && profile !== 'optional-client-cert')
        return 'apache-location is the per-path form (client auth in <Location /secure>): it expresses strict and optional-client-cert there; the other profiles are the apache reference';
      return commonUnsupported(profile);
    },
    render(ctx: RenderContext) {
      if (ctx.policy !== 'none' && ctx.policy !== 'require-verified' && ctx.policy !== 'optional-verified')
        throw new Error(`${name}: no rendering for client policy ${ctx.policy}`);
      const conf = renderTemplate('apache.conf.tmpl', {
        name,
        profile: ctx.profile,
        dir: ctx.dir,
        bind: ctx.bind,
        port: String(ctx.port),
        modules: MODULES,
        // revocation-crl: the CRL file, checked for every certificate of the chain (as nginx's ssl_crl).
        server_auth:
          (perLocation ? DIRECTIVE.none : DIRECTIVE[ctx.policy]) +
          (loadsClientCrl(ctx.profile) ? `\nSSLCARevocationFile "${ctx.dir}/client-crl.pem"\nSSLCARevocationCheck chain` : '') +
          // revocation-ocsp: the harness's responder for every certificate of the client's chain, whatever its AIA names.
          (checksClientOcsp(ctx.profile) ? `\nSSLOCSPEnable on\nSSLOCSPDefaultResponder ${ocspUrlOf(ctx, name)}\nSSLOCSPOverrideResponder on` : ''),
        location_auth: perLocation ? `  ${DIRECTIVE[ctx.policy]}` : '',
      });
      return {
        files: { 'httpd.conf': conf, 'index.html': `${name} reference\n`, secure: `${name} reference: /secure\n` },
        command: ['apache2', '-d', ctx.dir, '-f', `${ctx.dir}/httpd.conf`, '-DFOREGROUND'],
        // Debian's apache2 reads these from /etc/apache2/envvars under apache2ctl; set so nothing falls back to the system's.
        env: {
          APACHE_RUN_DIR: ctx.dir,
          APACHE_PID_FILE: `${ctx.dir}/httpd.pid`,
          APACHE_LOCK_DIR: ctx.dir,
          APACHE_LOG_DIR: ctx.dir,
          APACHE_RUN_USER: 'www-data',
          APACHE_RUN_GROUP: 'www-data',
          LANG: 'C',
        },
      };
    },
  };
}

export const apache = apacheImpl('apache');
export const apacheLocation = apacheImpl('apache-location');
