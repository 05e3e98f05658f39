import { advertisesNoCaNames, bothDeviations } from './types.js';
import { clientPolicyFor, loadsClientCrl, type ClientPolicy } from '../profiles.js';
import { PKI_FILES, renderTemplate, type ProcessImplementation, type RenderContext } from './process.js';

/** Why the client policies it cannot express are unsupported (every other profile is). */
const UNSUPPORTED: Partial<Record<ClientPolicy, string>> = {
  'optional-verified':
    'mosquitto asks for a client certificate only with require_certificate true, which refuses a client without one; with false it never asks: it has no optional mode',
  'require-any': 'mosquitto verifies every client certificate against its cafile/capath: it cannot require a certificate without verifying it',
  'require-ignore-dates': "mosquitto has no setting to ignore a client certificate's validity dates",
};

/**
 * Its real gap on rotation-graceful (measured: rotation.ca-overlap fail, the continuity itself
 * zero failed handshakes at 100/s): SIGHUP reloads each listener's certificate and key
 * (listeners__reload_all_certificates → net__load_certificates) but not its cafile, which is read
 * once when the listener opens (net__tls_load_verify); a new CA bundle takes a restart.
 */
const CA_NOT_RELOADED =
  "mosquitto's SIGHUP reloads the listener's certificate and key but not its cafile (read once, when the listener opens): a client of a CA added to the bundle is refused until a restart";

/**
 * mosquitto (Debian mosquitto, 2.0): an MQTT broker with one TLS listener (TLS from the first
 * byte) on 127.0.0.1, anonymous clients allowed (the certificate is the only check).
 * `require_certificate true` with `cafile` requests a certificate and refuses a client without a
 * valid one in the TLS handshake (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT); with `false`
 * it never asks. As root it runs as the `mosquitto` user of the Debian package (mosquitto drops to
 * that user itself before it reads its key). Graceful reload: SIGHUP re-reads the listener's
 * certificate and key, the listening socket kept (not its CA file: CA_NOT_RELOADED).
 */
export const mosquitto: ProcessImplementation = {
  name: 'mosquitto',
  debianPackages: ['mosquitto'],
  binary: 'mosquitto',
  runAs: 'mosquitto',
  unsupported: (profile) =>
    profile === 'revocation-ocsp'
      ? "mosquitto checks a client certificate against crlfile only: its OCSP option (bridge_require_ocsp) is a bridge's check of the remote broker's stapled status"
      : UNSUPPORTED[clientPolicyFor(profile)],
  deviations: bothDeviations(advertisesNoCaNames('mosquitto'), (profile) =>
    profile === 'rotation-graceful' ? { checks: { 'rotation.ca-overlap': 'fail' }, reason: CA_NOT_RELOADED } : undefined,
  ),
  render(ctx: RenderContext) {
    if (ctx.policy !== 'require-verified' && ctx.policy !== 'none') throw new Error(`mosquitto: no rendering for client policy ${ctx.policy}`);
    const clientAuth =
      ctx.policy === 'none'
        ? 'require_certificate false'
        : `cafile ${ctx.dir}/${PKI_FILES.clientCa}\nrequire_certificate true${loadsClientCrl(ctx.profile) ? `\ncrlfile ${ctx.dir}/${PKI_FILES.clientCrl}` : ''}`;
    const conf = renderTemplate('mosquitto.conf.tmpl', { profile: ctx.profile, dir: ctx.dir, bind: ctx.bind, port: String(ctx.port), client_auth: clientAuth });
    return { files: { 'mosquitto.conf': conf }, command: ['mosquitto', '-c', `${ctx.dir}/mosquitto.conf`], reloadSignal: 'SIGHUP' };
  },
};
