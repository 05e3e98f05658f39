import { craftedDeviations, OPENSSL_NO_CHECK_TIME } from './crafted.js';
import { bothDeviations } from './types.js';
import { loadsClientCrl } from '../profiles.js';
import { renderTemplate, type ProcessImplementation, type RenderContext } from './process.js';

/**
 * `openssl s_server -www`. Client auth: `-Verify 1` requests and requires a certificate, `-verify 1`
 * requests one; only `-verify_return_error` makes a failed verification fatal; `-no_check_time`
 * skips validity dates. s_server sends only the first certificate of `-cert`, so the intermediate
 * goes in `-cert_chain`.
 */
export const openssl: ProcessImplementation = {
  name: 'openssl',
  debianPackages: ['openssl'],
  binary: 'openssl',
  unsupported: (profile) =>
    profile === 'rotation-graceful'
      ? 'openssl s_server cannot reload its certificate (it has no reload signal): it can only be restarted (rotation-restart)'
      : profile === 'revocation-ocsp'
        ? "openssl s_server checks no client certificate by OCSP: its OCSP options (-status, -status_url, -status_file) staple the server's own status; a client's revocation is -CRL with -crl_check only"
        : undefined,
  // s_server -CRL reads a single CRL (apps/s_server.c: load_crl): the root's; -crl_check then finds
  // none for the intermediate and refuses the client it issued (X509_V_ERR_UNABLE_TO_GET_CRL, alert 48).
  deviations: bothDeviations(
    (profile) =>
      loadsClientCrl(profile)
        ? {
            checks: { 'chain.accepts-intermediate-client': 'warn' },
            reason:
              "openssl s_server's -CRL reads one CRL (the root's): with -crl_check a client issued by the intermediate has no CRL to be checked against and is refused (alert 48 unknown_ca, unable to get certificate CRL)",
          }
        : undefined,
    craftedDeviations({ ignoringDates: OPENSSL_NO_CHECK_TIME }),
  ),
  render(ctx: RenderContext) {
    const base = renderTemplate('openssl-s_server.args.tmpl', { bind: ctx.bind, port: String(ctx.port), dir: ctx.dir })
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const verify: Record<RenderContext['policy'], string[]> = {
      'require-verified': ['-Verify', '1', '-verify_return_error'],
      'optional-verified': ['-verify', '1', '-verify_return_error'],
      none: [],
      'require-any': ['-Verify', '1'],
      'require-ignore-dates': ['-Verify', '1', '-verify_return_error', '-no_check_time'],
    };
    return {
      files: {},
      command: [
        'openssl',
        ...base,
        ...(ctx.sendChain ? ['-cert_chain', `${ctx.dir}/intermediates.pem`] : []),
        ...verify[ctx.policy],
        ...(loadsClientCrl(ctx.profile) ? ['-CRL', `${ctx.dir}/client-crl.pem`, '-crl_check'] : []),
      ],
    };
  },
};
