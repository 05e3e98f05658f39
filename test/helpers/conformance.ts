// CONFORMANCE.md "Reference profiles and expected verdicts": the table lives beside the catalogue
// (suites/profile-verdicts.ts, which the docs are generated from); every matrix test reads it here.
import { isProfileName } from '../../src/targets/profiles.js';
import { expectedVerdicts as expectedFor, PROFILE_DEVIATIONS, SERVER_CHECK_IDS } from '../../suites/profile-verdicts.js';

export const ALL_CHECKS = SERVER_CHECK_IDS;

/** profile → deviations from all-pass. */
export const TABLE = PROFILE_DEVIATIONS;

/** Every check's expected status for a profile, with the implementation's declared deviations. */
export function expectedVerdicts(profile: string, implementation?: string): ReturnType<typeof expectedFor> {
  if (!isProfileName(profile)) throw new Error(`no profile "${profile}"`);
  return expectedFor(profile, implementation);
}

/**
 * rotation.continuity warned only because the prober launched fewer attempts than asked (a loaded
 * machine): such a run proved nothing either way, and the matrices run the pair again.
 */
export function shortOfRate(results: { check: string; status: string; message?: string }[]): boolean {
  const c = results.find((x) => x.check === 'rotation.continuity');
  return c?.status === 'warn' && /no handshake failed, but the prober launched only/.test(c.message ?? '');
}
