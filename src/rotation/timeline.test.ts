import { describe, expect, it } from 'vitest';
import type { Attempt } from './prober.js';
import { analyzeTimeline, rotationSummaryLine } from './timeline.js';

/** Attempts every 50 ms; `fail` marks which (by index) failed; `leaf` which leaf each served. */
function attempts(n: number, fail: (i: number) => boolean, leaf: (i: number) => number = () => 0): Attempt[] {
  return Array.from({ length: n }, (_, i) => ({
    seq: i,
    t: i * 50,
    lagMs: 0,
    latencyMs: 4,
    ok: !fail(i),
    outcome: fail(i) ? ('unreachable' as const) : ('accepted' as const),
    ...(fail(i) ? { failure: 'refused' as const, reason: 'connection refused' } : { leaf: leaf(i) }),
  }));
}
const certs = [
  { fingerprintSha256: 'AA:AA:AA:AA:AA', firstT: 0, lastT: 0, count: 0 },
  { fingerprintSha256: 'BB:BB:BB:BB:BB', firstT: 0, lastT: 0, count: 0 },
];

describe('analyzeTimeline', () => {
  it('no failure: no outage, gap 0, the leaf change and when it happened', () => {
    const a = analyzeTimeline({
      attempts: attempts(
        20,
        () => false,
        (i) => (i < 12 ? 0 : 1),
      ),
      certificates: certs,
    });
    expect(a).toMatchObject({
      attempts: 20,
      failures: 0,
      outages: [],
      longestGapMs: 0,
      fingerprintBefore: 'AA:AA:AA:AA:AA',
      fingerprintAfter: 'BB:BB:BB:BB:BB',
      changedAtT: 600,
      mixedAfterChange: 0,
    });
  });

  it('an outage: midpoint estimate, certain bounds, kinds counted', () => {
    // Attempts 10..15 fail (t = 500..750); last ok before at 450, first ok after at 800.
    const a = analyzeTimeline({ attempts: attempts(30, (i) => i >= 10 && i <= 15), certificates: certs });
    expect(a.outages).toHaveLength(1);
    const o = a.outages[0]!;
    expect(o).toMatchObject({ firstFailT: 500, lastFailT: 750, recoveredT: 800, failures: 6, kinds: { refused: 6 } });
    expect(o.gapMs).toBe((750 + 800) / 2 - (450 + 500) / 2);
    expect(o.boundsMs).toEqual([250, 350]);
    expect(a.longestGapMs).toBe(o.gapMs);
  });

  it('several outages: the longest wins; a target that never recovers is flagged', () => {
    const a = analyzeTimeline({ attempts: attempts(30, (i) => i === 3 || i >= 25), certificates: certs });
    expect(a.outages).toHaveLength(2);
    expect(a.outages[1]!.recoveredT).toBeUndefined();
    expect(a.longestGapMs).toBe(a.outages[1]!.gapMs);
    expect(a.outages[0]!.gapMs).toBe(50);
  });

  it('counts old leaves served after the new one (several instances)', () => {
    const a = analyzeTimeline({
      attempts: attempts(
        10,
        () => false,
        (i) => (i === 4 || i === 9 ? 1 : i > 6 ? 1 : 0),
      ),
      certificates: certs,
    });
    expect(a.fingerprintAfter).toBe('BB:BB:BB:BB:BB');
    expect(a.changedAtT).toBe(200);
    expect(a.mixedAfterChange).toBe(2); // attempts 5 and 6 served the old leaf again
  });

  it('summary line has attempts, failures, longest gap, fingerprints and the rate', () => {
    const att = attempts(
      30,
      (i) => i >= 10 && i <= 15,
      (i) => (i < 16 ? 0 : 1),
    );
    const a = analyzeTimeline({ attempts: att, certificates: certs });
    const line = rotationSummaryLine({ rate: { target: 20, achieved: 19.5, shortfallPct: 2.5 } } as never, a);
    expect(line).toBe('30 attempts, 6 failed, longest gap 300 ms, leaf AA:AA:AA:AA… → BB:BB:BB:BB…, 19.5/s achieved (target 20/s, shortfall 2.5%)');
  });
});
