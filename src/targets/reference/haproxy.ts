import { craftedDeviations, HAPROXY_UNVERIFIED } from './crafted.js';
import { loadsClientCrl } from '../profiles.js';
import { renderTemplate, type ProcessImplementation, type RenderContext } from './process.js';

/**
 * haproxy in master-worker mode (`-W -db`, graceful reload with SIGUSR2 to the master).
 * `verify required|optional|none` with `ca-file`; trust-any is `verify required` with
 * `crt-ignore-err all ca-ignore-err all`; accept-expired is `crt-ignore-err 9,10`
 * (X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED on the client leaf).
 */
export const haproxy: ProcessImplementation = {
  name: 'haproxy',
  debianPackages: ['haproxy'],
  binary: 'haproxy',
  deviations: craftedDeviations({ unverified: HAPROXY_UNVERIFIED }),
  unsupported: (profile) =>
    profile === 'revocation-ocsp'
      ? "haproxy 2.6 checks no client certificate by OCSP: its OCSP support staples the server's own response (a .ocsp file beside crt); a client's revocation is crl-file only"
      : undefined,
  render(ctx: RenderContext) {
    const ca = `ca-file ${ctx.dir}/client-ca.pem`;
    const clientAuth: Record<RenderContext['policy'], string> = {
      'require-verified': `${ca} verify required${loadsClientCrl(ctx.profile) ? ` crl-file ${ctx.dir}/client-crl.pem` : ''}`,
      'optional-verified': `${ca} verify optional`,
      none: 'verify none',
      'require-any': `${ca} verify required crt-ignore-err all ca-ignore-err all`,
      'require-ignore-dates': `${ca} verify required crt-ignore-err 9,10`,
    };
    const cfg = renderTemplate('haproxy.cfg.tmpl', {
      profile: ctx.profile,
      dir: ctx.dir,
      bind: ctx.bind,
      port: String(ctx.port),
      client_auth: clientAuth[ctx.policy],
    });
    return {
      files: { 'haproxy.cfg': cfg },
      command: ['haproxy', '-W', '-db', '-f', `${ctx.dir}/haproxy.cfg`],
      reloadSignal: 'SIGUSR2',
      // The master logs this once the new worker runs; a USR2 sent before it is lost (signals do not queue).
      reloadDone: /Loading success\./,
    };
  },
};
