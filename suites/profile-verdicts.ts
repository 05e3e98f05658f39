/**
 * What every server check of the catalogue concludes on each reference profile (docs/CONFORMANCE.md
 * "Reference profiles and expected verdicts"): the self-test's expectations, and the source of that
 * table in the docs (npm run docs). A reference server's declared deviations (REFERENCES) override it.
 */
import type { Status } from '../src/core/status.js';
import type { ProfileName } from '../src/targets/profiles.js';
import { protocolModule } from '../src/probe/protocols/index.js';
import { referenceServer } from '../src/targets/reference/index.js';
import { checksClientOcsp, clientPolicyFor, loadsClientCrl } from '../src/targets/profiles.js';
import { UNDER_MINTED_INTERMEDIATE } from '../src/targets/reference/crafted.js';
import { CRAFTED_PROFILES } from '../src/pki/crafted-profiles.js';
import { SUITES } from './index.js';

/** Every server check id, in report order. */
export const SERVER_CHECK_IDS: readonly string[] = SUITES.flatMap((s) => s.checks.map((c) => c.id));

/**
 * Expected on every profile: OpenSSL-based servers accept a CA certificate as a client leaf
 * (`warn`), a reference target declares no identities (`skip`), and a revoked client is presented
 * only on the revocation profiles (`skip`).
 */
export const EVERYWHERE: Readonly<Record<string, Status>> = {
  'chain.rejects-ca-as-client': 'warn',
  'san.server-identity': 'skip',
  'san.rejects-wrong-identity-client': 'skip',
  // Presented only on the revocation profiles, where the fixture CRL lists it.
  'chain.rejects-revoked-client': 'skip',
  // A reference run reads no CRL for its own valid client (no --crl).
  'chain.client-cert-not-revoked': 'skip',
  // Presented only where the harness's OCSP responder runs (revocation-ocsp, no-revocation-check).
  'chain.rejects-ocsp-revoked-client': 'skip',
  // Mesh ports only (k8s scan): a reference is no mesh port.
  'mesh.strict-refuses-plaintext': 'skip',
  'mesh.declared-matches-observed': 'skip',
};

const CLIENT_REJECTS_FAIL: Record<string, Status> = {
  'chain.rejects-untrusted-ca-client': 'fail',
  'chain.rejects-self-signed-client': 'fail',
  'chain.rejects-wrong-eku-client': 'fail',
  'expiry.rejects-expired-client': 'fail',
  'expiry.rejects-not-yet-valid-client': 'fail',
};

/**
 * The crafted profiles a server verifying its clients with OpenSSL (the table's reference library)
 * accepts: policy rows (`warn`), measured (docs/CONFORMANCE.md "Which stacks accept which profiles").
 * Other libraries' differences are their servers' declared deviations (src/targets/reference/crafted.ts).
 */
export const OPENSSL_ACCEPTS: readonly string[] = [
  'ku-key-cert-sign-leaf',
  'unknown-critical-policy',
  'explicit-non-critical',
  'leaf-path-length',
  'eku-absent',
  'leaf-with-ca-key',
  'aki-absent',
  'empty-subject-no-san',
  'empty-san-extension',
  'two-uri-sans',
  'serial-zero',
  'serial-negative',
  'serial-21-octets',
  'v1-with-extensions',
  'v2-with-extensions',
  'generalized-time-before-2050',
  'validity-beyond-ca',
];

/** The leaf's validity is all a server ignoring (the leaf's) dates lets through of the refused profiles. */
const DATES = ['validity-inverted'];

/**
 * Each crafted profile's expected verdict on a profile: accepted by a server that verifies no client
 * (`fail` for a refuse row, `warn` for a policy row); when it verifies, refused unless OpenSSL
 * accepts it; `path-length-exceeded` skips (the fixture root's pathLenConstraint 1 leaves it no control);
 * on a profile that checks revocation (CRL or OCSP), the rows under the harness's own intermediate
 * are `error` (UNDER_MINTED_INTERMEDIATE: the server refuses their control for want of that
 * intermediate's CRL, or of an OCSP answer for it).
 */
export function craftedVerdicts(profile: ProfileName): Record<string, Status> {
  const policy = clientPolicyFor(profile);
  const out: Record<string, Status> = {};
  for (const p of CRAFTED_PROFILES) {
    const accepted: Status = p.expect === 'refuse' ? 'fail' : 'warn';
    const verifies = policy !== 'none' && policy !== 'require-any';
    const letThrough = !verifies || OPENSSL_ACCEPTS.includes(p.id) || (policy === 'require-ignore-dates' && DATES.includes(p.id));
    const id = `crafted.${p.id}`;
    // A CRL-checking server refuses the control under the harness's own intermediate (no CRL for it): `error`.
    const noControl = verifies && (loadsClientCrl(profile) || checksClientOcsp(profile)) && UNDER_MINTED_INTERMEDIATE.includes(id);
    out[id] = p.id === 'path-length-exceeded' ? 'skip' : noControl ? 'error' : letThrough ? accepted : 'pass';
  }
  return out;
}

/** Each profile's deviations from all-pass (beyond EVERYWHERE, and the rotation checks' skips on static profiles). */
export const PROFILE_DEVIATIONS: Readonly<Record<ProfileName, Readonly<Record<string, Status>>>> = {
  strict: {},
  'optional-client-cert': { 'reject.no-client-cert': 'fail', 'handshake.client-auth-mode': 'fail' },
  'no-client-auth': {
    'reject.no-client-cert': 'fail',
    'handshake.client-auth-mode': 'fail',
    ...CLIENT_REJECTS_FAIL,
    'chain.rejects-ca-as-client': 'warn',
    // No CertificateRequest: no CA names and no signature schemes to judge.
    'handshake.advertised-cas-cover-client': 'skip',
    'handshake.client-key-types': 'skip',
  },
  'trust-any-client': CLIENT_REJECTS_FAIL,
  'accept-expired-client': { 'expiry.rejects-expired-client': 'fail', 'expiry.rejects-not-yet-valid-client': 'fail' },
  'wrong-san-server': { 'san.server-matches-name': 'fail' },
  'cn-only-server': { 'san.server-has-san': 'fail', 'san.server-matches-name': 'fail' },
  'incomplete-chain': { 'chain.server-complete': 'fail', 'chain.server-trusted': 'fail' },
  'expiring-server': { 'expiry.server-cert': 'fail' },
  'expired-server': { 'expiry.server-cert': 'fail', 'chain.server-trusted': 'fail' },
  'rotation-graceful': {},
  'rotation-restart': { 'rotation.continuity': 'fail' },
  'revocation-crl': { 'chain.rejects-revoked-client': 'pass' },
  'revocation-ocsp': { 'chain.rejects-ocsp-revoked-client': 'pass' },
  'no-revocation-check': { 'chain.rejects-revoked-client': 'fail', 'chain.rejects-ocsp-revoked-client': 'fail' },
};

/** The static profiles have no rotation trigger: the rotation checks skip. */
export const NO_ROTATION: Readonly<Record<string, Status>> = {
  'rotation.continuity': 'skip',
  'rotation.new-cert-served': 'skip',
  'rotation.ca-overlap': 'skip',
};

export const isRotationProfile = (profile: ProfileName): boolean => profile.startsWith('rotation-');

/**
 * Every server check's expected status on a profile; with an implementation, its protocol's
 * (reject.plaintext is `skip` for a protocol plaintext HTTP cannot test) and its declared deviations
 * (a real gap of that server, e.g. gnutls-serv's unchecked EKU) override the table.
 */
export function expectedVerdicts(profile: ProfileName, implementation?: string): Record<string, Status> {
  const rotation = isRotationProfile(profile) ? {} : NO_ROTATION;
  const out: Record<string, Status> = {};
  const crafted = craftedVerdicts(profile);
  for (const id of SERVER_CHECK_IDS) out[id] = PROFILE_DEVIATIONS[profile][id] ?? rotation[id] ?? EVERYWHERE[id] ?? crafted[id] ?? 'pass';
  const server = implementation === undefined ? undefined : referenceServer(implementation);
  // A database or broker: plaintext HTTP proves nothing about its own plaintext protocol (docs/protocols.md "Plaintext").
  if (server && !protocolModule(server.protocol).plaintextHttp && out['reject.plaintext'] === 'pass') out['reject.plaintext'] = 'skip';
  Object.assign(out, server?.deviations?.(profile)?.checks ?? {});
  return out;
}
