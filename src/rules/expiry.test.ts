import { describe, expect, it } from 'vitest';
import { daysStatus, expiryOf, type ExpiryResult } from './expiry.js';

const T = { warnDays: 30, failDays: 7 };
const v = (daysLeft: number, o: { expired?: boolean; notYetValid?: boolean } = {}) => ({
  daysLeft,
  expired: o.expired ?? daysLeft < 0,
  notYetValid: o.notYetValid ?? false,
});

describe('expiry thresholds', () => {
  it.each<[string, ReturnType<typeof v>, ExpiryResult]>([
    ['valid for long', v(365), { status: 'pass', state: 'valid', daysLeft: 365 }],
    ['exactly warnDays left is still valid', v(30), { status: 'pass', state: 'valid', daysLeft: 30 }],
    ['under warnDays warns', v(29), { status: 'warn', state: 'under-warn', daysLeft: 29 }],
    ['exactly failDays left warns', v(7), { status: 'warn', state: 'under-warn', daysLeft: 7 }],
    ['under failDays fails', v(6), { status: 'fail', state: 'under-fail', daysLeft: 6 }],
    ['the last day fails', v(0), { status: 'fail', state: 'under-fail', daysLeft: 0 }],
    ['expired fails as expired', v(-1), { status: 'fail', state: 'expired', daysLeft: -1 }],
    ['not yet valid fails first, whatever the days left', v(400, { notYetValid: true }), { status: 'fail', state: 'not-yet-valid', daysLeft: 400 }],
    [
      'not yet valid and expired (inverted dates): not yet valid',
      v(-3, { expired: true, notYetValid: true }),
      { status: 'fail', state: 'not-yet-valid', daysLeft: -3 },
    ],
  ])('%s', (_, validity, want) => {
    expect(expiryOf(validity, T)).toEqual(want);
  });

  it.each<[number, { warnDays: number; failDays: number }, 'pass' | 'warn' | 'fail']>([
    [30, T, 'pass'],
    [29.9, T, 'warn'],
    [7, T, 'warn'],
    [6.9, T, 'fail'],
    [-1, T, 'fail'],
    [0, { warnDays: 0, failDays: 0 }, 'pass'],
    [5, { warnDays: 10, failDays: 10 }, 'fail'],
  ])('%s days under %o: %s', (days, t, want) => {
    expect(daysStatus(days, t)).toBe(want);
  });
});
