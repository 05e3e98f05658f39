// The revoked client of chain.rejects-revoked-client (docs/CONFORMANCE.md "Revocation"): a
// certificate the CA has revoked, presented where the verdict means something.
import { X509Certificate } from 'node:crypto';
import { addDays, type Clock } from '../core/clock.js';
import { revokedSerialFor } from '../pki/crl.js';
import { mintCertificate, type Credential } from '../pki/generate.js';
import { presentsRevokedClient, runsOcspResponder } from '../targets/profiles.js';
import type { TargetUnderTest } from '../targets/target.js';
import type { RevokedClient } from './types.js';

/** The subject of the minted revoked client. */
export const REVOKED_SUBJECT = 'CN=mtls-harness revoked client, O=mtls-harness';

/** Why a live target with a CA key but no revoked certificate is not tested (the harness cannot hand a server a CRL). */
export const REVOKED_NEEDS_GIVEN =
  "needs a client certificate your CA has really revoked (--revoked-cert and --revoked-key): a live server's revocation list cannot be handed to it by the harness, so a certificate minted now (--ca-key) is revoked nowhere the server looks. `mtls-harness certs revoke --ca-cert CA --ca-key KEY --out DIR` writes one with a CRL listing it: deploy the CRL on the server, then give --revoked-cert and --revoked-key";

/** Why a target without a CA key or a revoked certificate is not tested. */
export const REVOKED_NEEDS_CERT =
  'needs a client certificate your CA has revoked (--revoked-cert and --revoked-key), with the valid client (--cert) as its control';

/**
 * A valid client of `ca` (EKU clientAuth, now − 1 h … now + 30 d) with the serial a CRL lists: by
 * default the one the harness's CRLs revoke (revokedSerialFor); with `ocspUrls`, an
 * authorityInfoAccess naming the OCSP responder that revokes it.
 */
export function mintRevokedClient(ca: Credential, now: Date, serialHex = revokedSerialFor(ca), ocspUrls?: string[]): Promise<Credential> {
  return mintCertificate({
    ...(ocspUrls ? { ocspUrls } : {}),
    subject: REVOKED_SUBJECT,
    issuer: ca,
    notBefore: addDays(now, -1 / 24),
    notAfter: addDays(now, 30),
    eku: ['clientAuth'],
    serialNumber: serialHex,
  });
}

/**
 * The revoked client of a target: the one given (--revoked-cert); on a reference of a revocation
 * profile, a valid client of the fixture root whose serial is the one the fixture CRL lists
 * (revokedSerialFor), so the server refuses it exactly when it checks the CRL; otherwise why not.
 */
export async function revokedClientOf(target: TargetUnderTest, clock: Clock): Promise<RevokedClient | { skip: string }> {
  if (target.revokedClient) {
    const { certPem, keyPem } = target.revokedClient;
    return { certPem, chainPem: certPem, keyPem, source: 'given' };
  }
  const started = target.started;
  if (started) {
    if (!presentsRevokedClient(started.profile))
      return {
        skip: `the reference profile ${started.profile} gives the server no CRL: a revoked client is presented on the revocation profiles (revocation-crl, no-revocation-check)`,
      };
    const c = await mintRevokedClient(started.pki.root, clock());
    return { certPem: c.certPem, chainPem: c.chainPem, keyPem: c.keyPem, source: 'minted' };
  }
  return { skip: target.caKey ? REVOKED_NEEDS_GIVEN : REVOKED_NEEDS_CERT };
}

/** Why a live target with a CA key but no revoked certificate is not tested by OCSP. */
export const OCSP_REVOKED_NEEDS_GIVEN =
  'needs a client certificate your CA has really revoked, naming its OCSP responder (--revoked-cert and --revoked-key, with an authorityInfoAccess OCSP URL): what decides it is a responder the server consults saying revoked, and a certificate minted now (--ca-key) is revoked by no responder the server asks';

/** The OCSP responder URLs a certificate names (authorityInfoAccess, id-ad-ocsp). */
export function ocspUrlsOf(certPem: string): string[] {
  const aia = new X509Certificate(certPem).infoAccess ?? '';
  return [...aia.matchAll(/^OCSP - URI:(.+)$/gm)].map((m) => m[1]!.trim());
}

/**
 * The OCSP-revoked client of chain.rejects-ocsp-revoked-client: the given revoked certificate
 * (--revoked-cert) when it names an OCSP responder (the same evidence as for the CRL check: a
 * certificate its CA has revoked); on a reference of an OCSP profile, a client of the fixture root
 * with the serial the harness's responder answers `revoked` for, naming that responder
 * (authorityInfoAccess); otherwise why not.
 */
export async function ocspRevokedClientOf(target: TargetUnderTest, clock: Clock): Promise<RevokedClient | { skip: string }> {
  if (target.revokedClient) {
    const { certPem, keyPem } = target.revokedClient;
    if (ocspUrlsOf(certPem).length === 0)
      return {
        skip: 'the revoked client certificate given (--revoked-cert) names no OCSP responder (no authorityInfoAccess OCSP URL), so no server can learn its revocation by OCSP; chain.rejects-revoked-client judges it',
      };
    return { certPem, chainPem: certPem, keyPem, source: 'given' };
  }
  const started = target.started;
  if (started) {
    if (!runsOcspResponder(started.profile) || !started.ocsp)
      return {
        skip: `the reference profile ${started.profile} runs no OCSP responder: the OCSP-revoked client is presented on revocation-ocsp and no-revocation-check`,
      };
    const c = await mintRevokedClient(started.pki.root, clock(), revokedSerialFor(started.pki.root), [started.ocsp.url]);
    return { certPem: c.certPem, chainPem: c.chainPem, keyPem: c.keyPem, source: 'minted' };
  }
  return { skip: target.caKey ? OCSP_REVOKED_NEEDS_GIVEN : REVOKED_NEEDS_CERT };
}
