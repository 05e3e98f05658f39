// CONFORMANCE.md "Reference profiles and expected verdicts", transcribed once for every matrix test.
import type { Status } from '../../src/core/status.js';
import { SUITES } from '../../suites/index.js';
import { isProfileName } from '../../src/targets/profiles.js';
import { PROCESS_IMPLEMENTATIONS } from '../../src/targets/reference/index.js';
import type { ProcessImplementation } from '../../src/targets/reference/process.js';

export const ALL_CHECKS = SUITES.flatMap((s) => s.checks.map((c) => c.id));

/** Deviations everywhere: OpenSSL-based servers accept a CA certificate as client leaf; no identities declared. */
const EVERYWHERE: Record<string, Status> = {
  'chain.rejects-ca-as-client': 'warn',
  'san.server-identity': 'skip',
  'san.rejects-wrong-identity-client': 'skip',
};

const CLIENT_REJECTS_FAIL: Record<string, Status> = {
  'chain.rejects-untrusted-ca-client': 'fail',
  'chain.rejects-self-signed-client': 'fail',
  'chain.rejects-wrong-eku-client': 'fail',
  'expiry.rejects-expired-client': 'fail',
  'expiry.rejects-not-yet-valid-client': 'fail',
};

/** profile → deviations from all-pass. */
export const TABLE: Record<string, Record<string, Status>> = {
  strict: {},
  'optional-client-cert': { 'reject.no-client-cert': 'fail', 'handshake.client-auth-mode': 'fail' },
  'no-client-auth': { 'reject.no-client-cert': 'fail', 'handshake.client-auth-mode': 'fail', ...CLIENT_REJECTS_FAIL, 'chain.rejects-ca-as-client': 'warn' },
  'trust-any-client': CLIENT_REJECTS_FAIL,
  'accept-expired-client': { 'expiry.rejects-expired-client': 'fail', 'expiry.rejects-not-yet-valid-client': 'fail' },
  'wrong-san-server': { 'san.server-matches-name': 'fail' },
  'cn-only-server': { 'san.server-has-san': 'fail', 'san.server-matches-name': 'fail' },
  'incomplete-chain': { 'chain.server-complete': 'fail', 'chain.server-trusted': 'fail' },
  'expiring-server': { 'expiry.server-cert': 'fail' },
  'expired-server': { 'expiry.server-cert': 'fail', 'chain.server-trusted': 'fail' },
  'rotation-graceful': {},
  'rotation-restart': { 'rotation.continuity': 'fail' },
};

/** The static profiles have no rotation trigger: the rotation checks skip (README "Rotation"). */
const NO_ROTATION: Record<string, Status> = { 'rotation.continuity': 'skip', 'rotation.new-cert-served': 'skip', 'rotation.ca-overlap': 'skip' };

/**
 * Every check's expected status for a profile; with an implementation, its declared deviations
 * (a real gap of that server, e.g. gnutls-serv's unchecked EKU) override the table.
 */
export function expectedVerdicts(profile: string, implementation?: string): Record<string, Status> {
  const out: Record<string, Status> = {};
  const rotation = profile.startsWith('rotation-') ? {} : NO_ROTATION;
  for (const id of ALL_CHECKS) out[id] = TABLE[profile]![id] ?? rotation[id] ?? EVERYWHERE[id] ?? 'pass';
  const impl = implementation ? (PROCESS_IMPLEMENTATIONS as Record<string, ProcessImplementation | undefined>)[implementation] : undefined;
  if (impl?.deviations && isProfileName(profile)) Object.assign(out, impl.deviations(profile)?.checks ?? {});
  return out;
}
