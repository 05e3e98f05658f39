import { describe, expect, it } from 'vitest';
import { failsRun, isWorse, SEVERITY, STATUSES, summarize, worstOf, worstStatus, type Status } from './status.js';

describe('status order, ranking and summary', () => {
  it('report order and severity are fixed', () => {
    expect(STATUSES).toEqual(['pass', 'warn', 'fail', 'skip', 'error']);
    expect(SEVERITY).toEqual(['error', 'fail', 'warn', 'pass', 'skip']);
    expect([...STATUSES].sort()).toEqual([...SEVERITY].sort());
  });

  it('ranks every pair as SEVERITY says', () => {
    for (const a of STATUSES) for (const b of STATUSES) expect(isWorse(a, b)).toBe(SEVERITY.indexOf(a) < SEVERITY.indexOf(b));
  });

  it('the worst status: error > fail > warn > pass > skip; none or all skipped is skip', () => {
    expect(worstStatus([])).toBe('skip');
    expect(worstStatus(['skip', 'skip'])).toBe('skip');
    expect(worstStatus(['skip', 'pass'])).toBe('pass');
    expect(worstStatus(['pass', 'warn', 'skip'])).toBe('warn');
    expect(worstStatus(['warn', 'fail', 'pass'])).toBe('fail');
    expect(worstStatus(new Set<Status>(['fail', 'error']))).toBe('error');
  });

  it('the first of the worst items decides (ties keep the earlier one)', () => {
    const v = (status: Status, message: string) => ({ status, message });
    expect(worstOf([v('pass', 'a'), v('warn', 'b'), v('fail', 'c'), v('fail', 'd'), v('warn', 'e')])).toEqual(v('fail', 'c'));
    expect(worstOf([v('pass', 'a'), v('pass', 'b')])).toEqual(v('pass', 'a'));
    expect(() => worstOf([])).toThrow();
  });

  it('summarize counts every status, keys in report order', () => {
    const s = summarize([{ status: 'fail' }, { status: 'pass' }, { status: 'fail' }, { status: 'skip' }]);
    expect(s).toEqual({ pass: 1, warn: 0, fail: 2, skip: 1, error: 0 });
    expect(Object.keys(s)).toEqual([...STATUSES]);
    expect(JSON.stringify(summarize([]))).toBe('{"pass":0,"warn":0,"fail":0,"skip":0,"error":0}');
  });

  it('a run fails on any fail or error, and on a warn with --fail-on warn', () => {
    const s = (p: Partial<Record<Status, number>>) => ({ pass: 0, warn: 0, fail: 0, skip: 0, error: 0, ...p });
    expect(failsRun(s({ pass: 3, skip: 2 }), 'fail')).toBe(false);
    expect(failsRun(s({ pass: 3, warn: 1 }), 'fail')).toBe(false);
    expect(failsRun(s({ pass: 3, warn: 1 }), 'warn')).toBe(true);
    expect(failsRun(s({ fail: 1 }), 'fail')).toBe(true);
    expect(failsRun(s({ error: 1 }), 'fail')).toBe(true);
    expect(failsRun(s({ skip: 5 }), 'warn')).toBe(false);
  });
});
