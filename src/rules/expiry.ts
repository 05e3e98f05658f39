/**
 * Expiry thresholds: the one rule that turns a certificate's validity (or a number of days) into
 * pass / warn / fail under the policy's warnDays and failDays. Pure: it returns a result, never
 * throws; each catalogue words the result its own way.
 */
import type { CertSummary } from '../core/model.js';

/** `warn` under `warnDays` days left, `fail` under `failDays` (the policy, --warn-days, --fail-days). */
export interface ExpiryThresholds {
  warnDays: number;
  failDays: number;
}

/** Where a certificate stands: not valid yet, expired, under the fail or warn threshold, or valid. */
export type ExpiryState = 'not-yet-valid' | 'expired' | 'under-fail' | 'under-warn' | 'valid';

export interface ExpiryResult {
  status: 'pass' | 'warn' | 'fail';
  state: ExpiryState;
  daysLeft: number;
}

/** The validity of one certificate, as a `CertSummary` carries it (by the injected clock). */
export type Validity = Pick<CertSummary, 'daysLeft' | 'expired' | 'notYetValid'>;

/** A number of days against the thresholds: under `failDays` fails, under `warnDays` warns. */
export function daysStatus(days: number, t: ExpiryThresholds): 'pass' | 'warn' | 'fail' {
  return days < t.failDays ? 'fail' : days < t.warnDays ? 'warn' : 'pass';
}

/**
 * One certificate against the thresholds: not yet valid or expired fails (RFC 5280 §4.1.2.5), then
 * the days left decide (`daysStatus`).
 */
export function expiryOf(v: Validity, t: ExpiryThresholds): ExpiryResult {
  const daysLeft = v.daysLeft;
  if (v.notYetValid) return { status: 'fail', state: 'not-yet-valid', daysLeft };
  if (v.expired) return { status: 'fail', state: 'expired', daysLeft };
  const status = daysStatus(daysLeft, t);
  return { status, state: status === 'fail' ? 'under-fail' : status === 'warn' ? 'under-warn' : 'valid', daysLeft };
}
