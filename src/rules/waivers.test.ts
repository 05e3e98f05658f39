import { describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import type { Result, RunReport, TargetReport } from '../core/model.js';
import { summarize, type Status } from '../core/status.js';
import type { Waiver, WaiverSet } from '../config/waivers.js';
import { exitCodeOf } from '../app/run.js';
import { applyWaivers, globRegExp, waiverNotices } from './waivers.js';

function target(id: string, endpoint: string, name = id): TargetReport {
  return { id, name, endpoint, kind: 'live' };
}

function result(t: TargetReport, check: string, status: Status): Result {
  return {
    targetId: t.id,
    target: t.name,
    suite: check.split('.')[0]!,
    check,
    title: check,
    status,
    message: `${check} is ${status}`,
    evidence: {},
    durationMs: 1,
  };
}

const API = target('api', '10.0.0.1:443');
const DB = target('db (primary)', '10.0.0.2:5432', 'db');

function report(): RunReport {
  const results = [
    result(API, 'reject.no-client-cert', 'fail'),
    result(API, 'handshake.client-auth-mode', 'fail'),
    result(API, 'chain.server-trusted', 'pass'),
    result(API, 'rotation.continuity', 'skip'),
    result(DB, 'reject.no-client-cert', 'fail'),
    result(DB, 'crafted.eku-absent', 'warn'),
    result(DB, 'expiry.server-leaf', 'error'),
  ];
  return { startedAt: '', finishedAt: '', durationMs: 0, targets: [API, DB], results, summary: summarize(results) };
}

let n = 0;
function waiver(target: string, check: string, expires = '2027-03-31'): Waiver {
  return { target, check, reason: 'accepted', owner: 'team', expires, index: n++, line: 2 + 5 * n };
}
function set(...entries: Waiver[]): WaiverSet {
  entries.forEach((e, i) => (e.index = i));
  return { file: 'mtls-waivers.yaml', entries };
}

const plan = (failOn: 'fail' | 'warn' = 'fail') => ({ settings: { failOn } }) as Parameters<typeof exitCodeOf>[0];
const waived = (r: RunReport) => r.results.filter((x) => x.waiver).map((x) => `${x.targetId} ${x.check}`);

describe('waivers applied to a run (pinned clock)', () => {
  const clock = fixedClock('2027-03-31T12:00:00Z');

  it('a waiver silences exactly its finding: the same check elsewhere and other checks here still fail the run', () => {
    const r = report();
    const w = applyWaivers(r, set(waiver('api', 'reject.no-client-cert')), clock);
    expect(waived(r)).toEqual(['api reject.no-client-cert']);
    expect(r.results[0]!.status).toBe('fail'); // the evidence keeps the status
    expect(r.results[0]!.waiver).toEqual({ reason: 'accepted', owner: 'team', expires: '2027-03-31', file: 'mtls-waivers.yaml', index: 0 });
    expect(r.summary).toMatchObject({ fail: 3, warn: 1, error: 1, waived: 1 });
    expect(w).toMatchObject({ applied: 1, entries: 1, unused: [], expired: [] });
    expect(exitCodeOf(plan(), r)).toBe(1);
  });

  it('every failing finding waived: the run passes; with --fail-on warn a waived warn does not fail it either', () => {
    const r = report();
    applyWaivers(r, set(waiver('*', 'reject.*'), waiver('api', 'handshake.client-auth-mode'), waiver('db*', 'expiry.server-leaf')), clock);
    expect(exitCodeOf(plan(), r)).toBe(0);
    expect(exitCodeOf(plan('warn'), r)).toBe(1); // the warn is not waived
    applyWaivers(r, set(waiver('*', '*')), clock);
    expect(r.summary.waived).toBe(5);
    expect(exitCodeOf(plan('warn'), r)).toBe(0);
  });

  it('expires is inclusive: valid through that day (UTC); the day after, the finding fails the run again and the entry is reported', () => {
    const entries = () => set(waiver('*', '*', '2027-03-31'));
    const lastDay = report();
    applyWaivers(lastDay, entries(), fixedClock('2027-03-31T23:59:59.999Z'));
    expect(exitCodeOf(plan(), lastDay)).toBe(0);
    expect(lastDay.waivers!.expired).toEqual([]);
    const dayAfter = report();
    const w = applyWaivers(dayAfter, entries(), fixedClock('2027-04-01T00:00:00Z'));
    expect(waived(dayAfter)).toEqual([]);
    expect(exitCodeOf(plan(), dayAfter)).toBe(1);
    expect(w.expired).toEqual([{ index: 0, line: expect.any(Number), target: '*', check: '*', owner: 'team', expires: '2027-03-31', matched: 5 }]);
    expect(w.unused).toEqual([]);
    expect(dayAfter.summary.waived).toBe(0);
  });

  it('unused: an entry that matches nothing, or only passes and skips; the first valid entry that matches wins', () => {
    const r = report();
    const w = applyWaivers(
      r,
      set(
        waiver('nothing', '*'),
        waiver('api', 'chain.server-trusted'),
        waiver('api', 'rotation.*'),
        waiver('api', 'reject.*'),
        waiver('*', 'reject.no-client-cert'),
      ),
      clock,
    );
    expect(w.unused.map((u) => u.index)).toEqual([0, 1, 2]);
    expect(r.results.find((x) => x.targetId === 'api' && x.check === 'reject.no-client-cert')!.waiver!.index).toBe(3);
    expect(r.results.find((x) => x.targetId === 'db (primary)' && x.check === 'reject.no-client-cert')!.waiver!.index).toBe(4);
    expect(r.results.find((x) => x.status === 'skip')!.waiver).toBeUndefined();
    expect(w.applied).toBe(2);
  });

  it("target globs match the target's id, name or endpoint", () => {
    for (const pattern of ['db (primary)', 'db', '10.0.0.2:*', '*:5432', 'db*']) {
      const r = report();
      applyWaivers(r, set(waiver(pattern, 'crafted.eku-absent')), clock);
      expect(waived(r), pattern).toEqual(['db (primary) crafted.eku-absent']);
    }
    const r = report();
    applyWaivers(r, set(waiver('10.0.0.*', 'reject.no-client-cert')), clock);
    expect(waived(r)).toEqual(['api reject.no-client-cert', 'db (primary) reject.no-client-cert']);
  });

  it('glob: * and ? only, everything else literal, anchored', () => {
    expect(globRegExp('chain.*').test('chain.server-trusted')).toBe(true);
    expect(globRegExp('chain.*').test('xchain.server')).toBe(false);
    expect(globRegExp('chain.*').test('chainXserver')).toBe(false);
    expect(globRegExp('a?c').test('abc')).toBe(true);
    expect(globRegExp('a?c').test('abbc')).toBe(false);
    expect(globRegExp('[a]+(b)|c$').test('[a]+(b)|c$')).toBe(true);
    expect(globRegExp('*').test('multi\nline')).toBe(true);
  });

  it('notices: one line per expired and unused entry, hostile text cleaned by the caller', () => {
    const r = report();
    const w = applyWaivers(r, set(waiver('gone\u001b[31m', '*'), waiver('*', '*', '2020-01-01')), clock);
    const lines = waiverNotices(w, (s) => s.replace(/\u001b/g, '?'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^mtls-harness: waiver expired: mtls-waivers\.yaml:\d+: waivers\[1\] \(target \*, check \*\) expired on 2020-01-01 .*5 finding\(s\) fail the run again$/,
    );
    expect(lines[1]).toMatch(
      /^mtls-harness: waiver unused: mtls-waivers\.yaml:\d+: waivers\[0\] \(target gone\?\[31m, check \*\) matched no fail, warn or error result/,
    );
  });

  it('applied again (a report re-judged), earlier waivers are cleared first', () => {
    const r = report();
    applyWaivers(r, set(waiver('*', '*')), clock);
    applyWaivers(r, set(waiver('*', '*')), fixedClock('2028-01-01T00:00:00Z'));
    expect(waived(r)).toEqual([]);
  });
});
