import type { Credential, FixturePki } from '../pki/generate.js';

/** Reference profiles of CONFORMANCE.md: one configuration each, expressed by every implementation that can. */
export const PROFILES = [
  'strict',
  'optional-client-cert',
  'no-client-auth',
  'trust-any-client',
  'accept-expired-client',
  'wrong-san-server',
  'cn-only-server',
  'incomplete-chain',
  'expiring-server',
  'expired-server',
  'rotation-graceful',
  'rotation-restart',
  'revocation-crl',
  'revocation-ocsp',
  'no-revocation-check',
] as const;

export type ProfileName = (typeof PROFILES)[number];

export const PROFILE_DESCRIPTIONS: Readonly<Record<ProfileName, string>> = {
  strict: 'requires a client cert chaining to the fixture CA; full chain; SAN covers localhost, 127.0.0.1',
  'optional-client-cert': 'requests a client cert, serves without one (an invalid one is still refused)',
  'no-client-auth': 'never requests a client cert',
  'trust-any-client': 'requires a client cert, does not verify it',
  'accept-expired-client': 'verifies the client chain but not its validity dates',
  'wrong-san-server': 'server cert SAN is wrong.example',
  'cn-only-server': 'server cert has no SAN',
  'incomplete-chain': 'leaf issued by an intermediate the server does not send',
  'expiring-server': 'server cert expires in 3 days',
  'expired-server': 'server cert expired yesterday',
  'rotation-graceful': "rotates with the implementation's graceful reload",
  'rotation-restart': 'rotates by stopping and starting the process',
  'revocation-crl': "as strict, and checks client certificates against the fixture CAs' CRLs (one lists the revoked client)",
  'revocation-ocsp':
    "as strict, and checks client certificates by OCSP against the harness's loopback responder (it answers revoked for the OCSP-revoked client)",
  'no-revocation-check': "as strict; the CRL listing the revoked client is not loaded and OCSP is not consulted (the harness's responder runs, unasked)",
};

/** Whether the server of a profile is given the fixture CRLs (client-crl.pem) and checks them. */
export const loadsClientCrl = (profile: ProfileName): boolean => profile === 'revocation-crl';

/**
 * Whether a revoked client is presented on a reference of this profile
 * (chain.rejects-revoked-client): only on the revocation profiles, where the CRL exists and the
 * verdict says whether the server checks it; elsewhere the check is `skip`.
 */
export const presentsRevokedClient = (profile: string): boolean => profile === 'revocation-crl' || profile === 'no-revocation-check';

/** Whether the server of a profile checks client certificates by OCSP (the harness's loopback responder). */
export const checksClientOcsp = (profile: ProfileName): boolean => profile === 'revocation-ocsp';

/**
 * Whether a reference of this profile runs the harness's OCSP responder and is presented the
 * OCSP-revoked client (chain.rejects-ocsp-revoked-client): on revocation-ocsp, where the server
 * asks it, and on no-revocation-check, where it runs and nothing asks (the check must fail there).
 */
export const runsOcspResponder = (profile: string): boolean => profile === 'revocation-ocsp' || profile === 'no-revocation-check';

export function isProfileName(s: string): s is ProfileName {
  return (PROFILES as readonly string[]).includes(s);
}

/** The server certificate a profile serves, and whether its intermediate is sent (CONFORMANCE.md table). */
export function serverCredentialFor(profile: ProfileName, pki: FixturePki): { cred: Credential; sendChain: boolean } {
  switch (profile) {
    case 'wrong-san-server':
      return { cred: pki.badServers.wrongSan, sendChain: true };
    case 'cn-only-server':
      return { cred: pki.badServers.cnOnly, sendChain: true };
    case 'incomplete-chain':
      return { cred: pki.badServers.incompleteChain, sendChain: false };
    case 'expiring-server':
      return { cred: pki.badServers.expiring, sendChain: true };
    case 'expired-server':
      return { cred: pki.badServers.expired, sendChain: true };
    default:
      return { cred: pki.server, sendChain: true };
  }
}

/** The client-certificate policy of a profile, implementation-neutral. */
export type ClientPolicy = 'require-verified' | 'optional-verified' | 'none' | 'require-any' | 'require-ignore-dates';

export function clientPolicyFor(profile: ProfileName): ClientPolicy {
  switch (profile) {
    case 'optional-client-cert':
      return 'optional-verified';
    case 'no-client-auth':
      return 'none';
    case 'trust-any-client':
      return 'require-any';
    case 'accept-expired-client':
      return 'require-ignore-dates';
    default:
      return 'require-verified';
  }
}
