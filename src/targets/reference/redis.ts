import { advertisesNoCaNames } from './types.js';
import { clientPolicyFor, type ClientPolicy } from '../profiles.js';
import { PKI_FILES, renderTemplate, type ProcessImplementation, type RenderContext } from './process.js';

/** `tls-auth-clients` per client policy: yes (required and verified), optional (verified when presented), no (never asked). */
const AUTH_CLIENTS: Partial<Record<RenderContext['policy'], string>> = { 'require-verified': 'yes', 'optional-verified': 'optional', none: 'no' };

/** Why the client policies it cannot express are unsupported (every other profile is). */
const UNSUPPORTED: Partial<Record<ClientPolicy, string>> = {
  'require-any':
    'Redis verifies every client certificate it receives (tls-auth-clients yes or optional, against tls-ca-cert-file): it cannot require a certificate without verifying it',
  'require-ignore-dates': "Redis has no setting to ignore a client certificate's validity dates",
};

/**
 * Redis (Debian redis-server, 7.0): TLS only (`port 0`, `tls-port`, TLS from the first byte) on
 * 127.0.0.1, no persistence, its directory the rendered one. `tls-auth-clients yes|optional|no`
 * with `tls-ca-cert-file`: a refused certificate, or none under `yes`, is a TLS alert. Graceful
 * reload: `CONFIG SET tls-cert-file … tls-key-file … tls-ca-cert-file …` over the unix socket in the
 * rendered directory (`reload.sh`, redis-cli), which re-creates the TLS context (Redis 6.2+).
 */
export const redis: ProcessImplementation = {
  name: 'redis',
  debianPackages: ['redis-server'],
  binary: 'redis-server',
  unsupported: (profile) =>
    profile === 'revocation-crl' || profile === 'revocation-ocsp'
      ? 'Redis 7.0 has no revocation setting, CRL or OCSP (its TLS options are tls-cert-file, tls-key-file, tls-ca-cert-file/dir, tls-auth-clients, protocols and ciphers): it cannot check whether a client certificate is revoked'
      : UNSUPPORTED[clientPolicyFor(profile)],
  deviations: advertisesNoCaNames('Redis'),
  render(ctx: RenderContext) {
    const auth = AUTH_CLIENTS[ctx.policy];
    if (!auth) throw new Error(`redis: no rendering for client policy ${ctx.policy}`);
    const ca = `${ctx.dir}/${PKI_FILES.clientCa}`;
    const clientAuth = ctx.policy === 'none' ? 'tls-auth-clients no' : `tls-ca-cert-file ${ca}\ntls-auth-clients ${auth}`;
    const files = [
      `tls-cert-file '${ctx.dir}/server-chain.pem'`,
      `tls-key-file '${ctx.dir}/server-key.pem'`,
      ...(ctx.policy === 'none' ? [] : [`tls-ca-cert-file '${ca}'`]),
    ].join(' ');
    const conf = renderTemplate('redis.conf.tmpl', { profile: ctx.profile, dir: ctx.dir, bind: ctx.bind, port: String(ctx.port), client_auth: clientAuth });
    const reload = renderTemplate('redis-reload.sh.tmpl', { profile: ctx.profile, dir: ctx.dir, files });
    return {
      files: { 'redis.conf': conf, 'reload.sh': reload },
      command: ['redis-server', `${ctx.dir}/redis.conf`],
      reloadCommand: ['/bin/sh', `${ctx.dir}/reload.sh`],
    };
  },
};
