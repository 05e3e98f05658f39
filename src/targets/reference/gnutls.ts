import { craftedDeviations, crlOnlyWhereHeld, GNUTLS, GNUTLS_UNVERIFIED } from './crafted.js';
import { bothDeviations } from './types.js';
import { clientPolicyFor, loadsClientCrl } from '../profiles.js';
import { renderTemplate, type ProcessImplementation, type RenderContext } from './process.js';

/**
 * Why gnutls-serv cannot express the profiles that verify client certificates: its
 * `--verify-client-cert` calls gnutls_certificate_verify_peers without a key purpose (src/serv.c
 * cert_verify_callback → cert_verify(session, NULL, NULL)), and GnuTLS checks the extended key usage
 * only when a purpose is given. Chain and dates are checked (alert 49 access_denied), a client leaf
 * with EKU serverAuth only is served.
 */
const NO_EKU_CHECK =
  "gnutls-serv --verify-client-cert does not check the client certificate's extended key usage (it passes no key purpose to gnutls_certificate_verify_peers): a trusted-CA client certificate with EKU serverAuth only is served";

/**
 * `gnutls-serv --http` (GnuTLS, Debian gnutls-bin): a non-OpenSSL TLS stack. It answers every GET
 * with `HTTP/1.0 200 OK` and a page describing the session. Client auth: `--disable-client-cert`
 * (no CertificateRequest), `--require-client-cert` (a certificate is required, not verified),
 * `--verify-client-cert` (a presented certificate is verified; without a purpose, see NO_EKU_CHECK).
 * The priority string allows TLS 1.2 and 1.3 only. gnutls-serv has no listen-address option: it
 * binds the wildcard addresses (IPv4 and IPv6) of its port; the harness connects to 127.0.0.1.
 * No reload (it ignores SIGHUP).
 */
export const gnutls: ProcessImplementation = {
  name: 'gnutls',
  debianPackages: ['gnutls-bin'],
  binary: 'gnutls-serv',
  unsupported: (profile) => {
    switch (profile) {
      case 'accept-expired-client':
        return 'gnutls-serv cannot verify a client chain while ignoring its validity dates (no option sets GNUTLS_VERIFY_DISABLE_TIME_CHECKS)';
      case 'rotation-graceful':
        return 'gnutls-serv cannot re-read its certificate (it ignores SIGHUP and has no reload): it can only be restarted (rotation-restart)';
      case 'revocation-ocsp':
        return "gnutls-serv checks no client certificate by OCSP: --ocsp-response staples the server's own status";
      default:
        return undefined;
    }
  },
  // Every profile that verifies clients is expressed exactly (--verify-client-cert); the server's
  // real gap is that it never checks the EKU, which the harness must report as a failure.
  deviations: bothDeviations(
    (profile) =>
      clientPolicyFor(profile) === 'require-verified' || clientPolicyFor(profile) === 'optional-verified'
        ? { checks: { 'chain.rejects-wrong-eku-client': 'fail' }, reason: NO_EKU_CHECK }
        : undefined,
    craftedDeviations({ verified: GNUTLS, unverified: GNUTLS_UNVERIFIED }),
    crlOnlyWhereHeld('gnutls-serv'),
  ),
  render(ctx: RenderContext) {
    const base = renderTemplate('gnutls-serv.args.tmpl', { port: String(ctx.port), dir: ctx.dir })
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const clientAuth: Record<RenderContext['policy'], string[]> = {
      'require-verified': [
        '--require-client-cert',
        '--verify-client-cert',
        ...(loadsClientCrl(ctx.profile) ? ['--x509crlfile', `${ctx.dir}/client-crl.pem`] : []),
      ],
      'optional-verified': ['--verify-client-cert'],
      none: ['--disable-client-cert'],
      'require-any': ['--require-client-cert'],
      'require-ignore-dates': [],
    };
    return { files: {}, command: ['gnutls-serv', ...base, ...clientAuth[ctx.policy]] };
  },
};
