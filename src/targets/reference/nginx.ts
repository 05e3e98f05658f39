import { checksClientOcsp, loadsClientCrl } from '../profiles.js';
import { ocspSignerByKey } from './crafted.js';
import { ocspUrlOf } from './types.js';
import { renderTemplate, type ProcessImplementation, type RenderContext } from './process.js';

/**
 * nginx (Debian nginx-light). `ssl_verify_client on|optional|off`. Unsupported: trust-any-client
 * (`optional_no_ca` skips only the CA check: dates and purpose are still enforced) and
 * accept-expired-client (no way to ignore dates while verifying the chain).
 * nginx completes the TLS handshake and refuses at the HTTP layer (400).
 */
export const nginx: ProcessImplementation = {
  name: 'nginx',
  deviations: ocspSignerByKey('nginx'),
  debianPackages: ['nginx-light'],
  binary: 'nginx',
  unsupported: (profile) =>
    profile === 'accept-expired-client'
      ? 'nginx cannot verify a client chain while ignoring its validity dates'
      : profile === 'trust-any-client'
        ? 'nginx cannot accept any certificate: even ssl_verify_client optional_no_ca still refuses expired, not-yet-valid and wrong-purpose certificates (400)'
        : undefined,
  render(ctx: RenderContext) {
    const ca = `    ssl_client_certificate ${ctx.dir}/client-ca.pem;\n    ssl_verify_depth 2;\n`;
    // revocation-ocsp: every certificate of the client's chain but the root, asked of the harness's responder (an IP URL: no resolver).
    const ocsp = checksClientOcsp(ctx.profile) ? `\n    ssl_ocsp on;\n    ssl_ocsp_responder ${ocspUrlOf(ctx, 'nginx')};` : '';
    const clientAuth: Record<RenderContext['policy'], string> = {
      'require-verified': `${ca}    ssl_verify_client on;${loadsClientCrl(ctx.profile) ? `\n    ssl_crl ${ctx.dir}/client-crl.pem;` : ''}${ocsp}`,
      'optional-verified': `${ca}    ssl_verify_client optional;`,
      none: '    ssl_verify_client off;',
      'require-any': '',
      'require-ignore-dates': '',
    };
    // optional: a certificate that fails verification is refused (nginx serves it otherwise).
    const guard: Record<RenderContext['policy'], string> = {
      'require-verified': '',
      'optional-verified': '      if ($ssl_client_verify ~ ^FAILED) { return 400 "client certificate failed verification\\n"; }',
      none: '',
      'require-any': '',
      'require-ignore-dates': '',
    };
    const conf = renderTemplate('nginx.conf.tmpl', {
      profile: ctx.profile,
      dir: ctx.dir,
      bind: ctx.bind,
      port: String(ctx.port),
      client_auth: clientAuth[ctx.policy],
      location_guard: guard[ctx.policy],
    });
    return {
      files: { 'nginx.conf': conf },
      command: ['nginx', '-p', ctx.dir, '-c', `${ctx.dir}/nginx.conf`, '-e', `${ctx.dir}/error.log`],
      reloadSignal: 'SIGHUP',
    };
  },
};
