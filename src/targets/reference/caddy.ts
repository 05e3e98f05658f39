import { craftedDeviations, GO_PARSER, GO_X509 } from './crafted.js';
import { advertisesNoCaNames, bothDeviations } from './types.js';
import { HarnessError } from '../../core/errors.js';
import { renderTemplate, type ProcessImplementation, type RenderContext } from './process.js';

/**
 * Caddy 2 (Debian caddy; Go's crypto/tls, not OpenSSL), from a JSON config: the server chain and
 * key from `tls.certificates.load_files`, automatic HTTPS off (no ACME, no redirect listener), the
 * admin endpoint on a unix socket and the storage in the rendered directory, HOME and XDG dirs
 * there too. Client auth is `tls_connection_policies[].client_authentication.mode`, Go's
 * ClientAuthType: `require_and_verify` (strict), `verify_if_given` (optional), `require` (any
 * certificate, unverified). `strict_sni_host` is off: Caddy turns it on by default with client
 * auth and answers 421 when SNI (localhost) and Host (127.0.0.1) differ; with one policy for every
 * name it protects nothing here. Reload: `caddy reload --force` (POST /load on the admin socket),
 * forced because Caddy skips a reload whose config text is unchanged even if the files it names did
 * change; it can reset a queued handshake (SO_REUSEPORT), so rotation-graceful is unsupported.
 */
export const caddy: ProcessImplementation = {
  name: 'caddy',
  debianPackages: ['caddy'],
  binary: 'caddy',
  deviations: bothDeviations(advertisesNoCaNames('Caddy', true), craftedDeviations({ verified: GO_X509, unverified: GO_PARSER })),
  unsupported: (profile) =>
    profile === 'accept-expired-client'
      ? "Caddy 2.6's client_authentication has no option to ignore validity dates: Go's crypto/tls verifies the client chain with x509.Certificate.Verify at the current time (only trusted_ca_certs, trusted_leaf_certs and mode are configurable)"
      : profile === 'rotation-graceful'
        ? 'Caddy 2.6 binds its listeners with SO_REUSEPORT on Linux and `caddy reload` opens the new socket beside the old one: a handshake queued on the old socket is reset when it closes (measured: one reset handshake in 2 of 36 reloads at 100 handshakes/s on a loaded machine), so a reload without a dropped handshake cannot be promised; rotation-restart covers its rotation'
        : profile === 'revocation-crl' || profile === 'revocation-ocsp'
          ? "Caddy's client_authentication has no CRL or OCSP option for clients, and Go's crypto/tls never checks a client certificate's revocation (x509.Certificate.Verify ignores CRLs): it cannot refuse a revoked client"
          : undefined,
  render(ctx: RenderContext) {
    const ca = `"trusted_ca_certs_pem_files": ["${ctx.dir}/client-ca.pem"]`;
    const clientAuth: Record<RenderContext['policy'], string> = {
      'require-verified': `{ "mode": "require_and_verify", ${ca} }`,
      'optional-verified': `{ "mode": "verify_if_given", ${ca} }`,
      none: 'null',
      'require-any': '{ "mode": "require" }',
      'require-ignore-dates': '',
    };
    if (!clientAuth[ctx.policy]) throw new HarnessError('internal', `caddy cannot express the ${ctx.policy} client policy`);
    const config = renderTemplate('caddy.json.tmpl', {
      profile: ctx.profile,
      dir: ctx.dir,
      bind: ctx.bind,
      port: String(ctx.port),
      client_auth: clientAuth[ctx.policy],
    });
    try {
      JSON.parse(config);
    } catch (e) {
      throw new HarnessError('internal', `caddy.json.tmpl rendered invalid JSON: ${(e as Error).message}`);
    }
    const file = `${ctx.dir}/caddy.json`;
    const admin = `unix/${ctx.dir}/admin.sock`;
    return {
      files: { 'caddy.json': config },
      command: ['caddy', 'run', '--config', file],
      reloadCommand: ['caddy', 'reload', '--config', file, '--address', admin, '--force'],
      env: { HOME: ctx.dir, XDG_DATA_HOME: ctx.dir, XDG_CONFIG_HOME: ctx.dir },
    };
  },
};
