import { checksClientOcsp, loadsClientCrl } from '../profiles.js';
import { ocspSignerByKey } from './crafted.js';
import { advertisesNoCaNames, bothDeviations, ocspUrlOf } from './types.js';
import { renderTemplate, type ProcessImplementation, type RenderContext } from './process.js';

/**
 * stunnel4, serving each connection with a tiny HTTP responder (`exec`, inetd style), so no backend
 * is needed. `verifyChain = yes` (implies requireCert), `requireCert = no` after it for optional,
 * `requireCert = yes` alone for trust-any. stunnel cannot ignore validity dates while verifying:
 * accept-expired-client is unsupported. Reload: SIGHUP, which drops connections (rotation-graceful unsupported).
 */
export const stunnel: ProcessImplementation = {
  name: 'stunnel',
  debianPackages: ['stunnel4'],
  binary: 'stunnel4',
  deviations: bothDeviations(advertisesNoCaNames('stunnel', true), ocspSignerByKey('stunnel')),
  unsupported: (profile) =>
    profile === 'accept-expired-client'
      ? 'stunnel cannot verify a client chain while ignoring its validity dates'
      : profile === 'rotation-graceful'
        ? "stunnel's reload (SIGHUP) closes and re-binds its listening socket: new connections are refused for tens of milliseconds (measured: docs/rotation.md), so it has no zero-drop reload; it can be restarted (rotation-restart)"
        : undefined,
  rotationHandshakeOnly:
    'stunnel answers each connection by running a shell script (inetd style): at 100 attempts a second a request per attempt measures fork and exec of the responder (hundreds of ms on a busy machine), not the TLS continuity; each attempt is judged by its handshake (TLS 1.3: the session ticket)',
  render(ctx: RenderContext) {
    const ca = `CAfile = ${ctx.dir}/client-ca.pem`;
    // revocation-ocsp: the harness's responder for the client's certificates (OCSP overrides the AIA URL).
    const ocsp = checksClientOcsp(ctx.profile) ? `\nOCSP = ${ocspUrlOf(ctx, 'stunnel')}` : '';
    const clientAuth: Record<RenderContext['policy'], string> = {
      'require-verified': `${ca}\nverifyChain = yes${loadsClientCrl(ctx.profile) ? `\nCRLfile = ${ctx.dir}/client-crl.pem` : ''}${ocsp}`,
      'optional-verified': `${ca}\nverifyChain = yes\nrequireCert = no`,
      none: '',
      'require-any': 'requireCert = yes',
      'require-ignore-dates': '',
    };
    const conf = renderTemplate('stunnel.conf.tmpl', {
      profile: ctx.profile,
      dir: ctx.dir,
      bind: ctx.bind,
      port: String(ctx.port),
      client_auth: clientAuth[ctx.policy],
    });
    const respond = renderTemplate('stunnel-respond.sh.tmpl', { profile: ctx.profile });
    return { files: { 'stunnel.conf': conf, 'respond.sh': respond }, command: ['stunnel4', `${ctx.dir}/stunnel.conf`], reloadSignal: 'SIGHUP' };
  },
};
