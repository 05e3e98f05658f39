/** Option values as text: durations, whole numbers and comma lists, parsed with a usage error (exit 2) for a bad one. */
import { HarnessError } from '../core/errors.js';
import { safeText } from '../core/text.js';

/**
 * Upper bounds of durations (node turns a timer above 2^31-1 ms, ~24.8 days, into a 1 ms timer):
 * a connection timeout or grace at most 10 minutes, anything else (a target's budget, a rotation
 * window or command, a client command) at most 24 hours.
 */
export const DURATION_MAX = { connection: 10 * 60_000, long: 24 * 3_600_000 } as const;

/** Parses a duration: `5s`, `500ms`, `2m`, or a plain number of seconds, at most `max`. Returns milliseconds. */
export function parseDuration(flag: string, v: string, max: number = DURATION_MAX.long): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new HarnessError('usage.invalid-value', `${flag} "${safeText(v, 80)}" is not a duration (e.g. 5s, 500ms, 2m, 1h)`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : m[2] === 'h' ? n * 3_600_000 : n * 1000;
  if (!(ms > 0)) throw new HarnessError('usage.invalid-value', `${flag} must be greater than zero`);
  const maxText = max % 3_600_000 === 0 ? `${max / 3_600_000}h` : max % 60_000 === 0 ? `${max / 60_000}m` : `${max} ms`;
  if (!(ms <= max)) throw new HarnessError('usage.invalid-value', `${flag} "${safeText(v, 80)}" is longer than the maximum (${maxText})`);
  return ms;
}

/** Parses a non-negative integer flag. */
export function parseIntFlag(flag: string, v: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw new HarnessError('usage.invalid-value', `${flag} "${v}" must be a whole number between ${min} and ${max}`);
  }
  return n;
}

export function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
