import { describe, expect, it } from 'vitest';
import type { Attempt, ProberRun } from '../src/rotation/prober.js';
import { analyzeTimeline } from '../src/rotation/timeline.js';
import type { RotationObservation, TriggerRecord } from '../src/rotation/observe.js';
import { rotationContinuity } from './rotation-continuity.js';

/** A recorded observation: 20 attempts every 50 ms, the old leaf until `failFrom`, then refused. */
function observation(trigger: TriggerRecord, failFrom: number): RotationObservation {
  const attempts: Attempt[] = Array.from({ length: 20 }, (_, i) => ({
    seq: i,
    t: i * 50,
    lagMs: 0,
    latencyMs: 4,
    ok: i < failFrom,
    outcome: i < failFrom ? ('accepted' as const) : ('unreachable' as const),
    ...(i < failFrom ? { leaf: 0 } : { failure: 'refused' as const, reason: 'connection refused' }),
  }));
  const run = {
    startedAt: '2026-11-28T00:00:00.000Z',
    durationMs: 1000,
    request: false,
    rate: { target: 20, achieved: 20, shortfallPct: 0 },
    maxInFlight: 4,
    slots: 20,
    launched: 20,
    missed: { inFlightFull: 0, stalled: 0 },
    lagMs: { p50: 0, p99: 0, max: 0 },
    attempts,
    certificates: [{ fingerprintSha256: 'AA:AA:AA:AA:AA:AA', firstT: 0, lastT: 0, count: failFrom }],
    marks: [],
  } as ProberRun;
  return { trigger, run, analysis: analyzeTimeline(run), baseline: { attempts: 5, served: 5 }, overlap: [] };
}

const check = (id: string) => rotationContinuity.checks.find((c) => c.id === id)!;
const ctxWith = (o: RotationObservation) => ({ rotation: async () => o, target: {} }) as never;

describe('rotation verdicts when the rotation itself did not happen', () => {
  const failedRestart: TriggerRecord = {
    kind: 'reference',
    mode: 'restart',
    description: 'stunnel restarted with a new server certificate',
    expectedFingerprint: 'BB:BB',
    error: 'stunnel did not come back after the restart: stunnel exited (1) during restart',
  };

  it("a reference the harness could not restart: continuity and new-cert-served are error, never the server's fail", async () => {
    const o = observation(failedRestart, 8);
    const continuity = await check('rotation.continuity').run(ctxWith(o));
    expect(continuity.status).toBe('error');
    expect(continuity.message).toMatch(/the harness could not rotate the reference.*stunnel exited \(1\) during restart/);
    const served = await check('rotation.new-cert-served').run(ctxWith(o));
    expect(served.status).toBe('error');
    expect(served.message).toMatch(/the rotation did not complete, so there is no new certificate to judge/);
  });

  it("the same outage after a restart that did complete is the server's fail", async () => {
    const { error: _, ...completed } = failedRestart;
    const o = observation(completed, 8);
    expect((await check('rotation.continuity').run(ctxWith(o))).status).toBe('fail');
    expect((await check('rotation.new-cert-served').run(ctxWith(o))).status).toBe('fail');
  });
});

describe('a shortfall says whose limit it was', () => {
  const done: TriggerRecord = { kind: 'reference', mode: 'graceful', description: 'postgres graceful reload', expectedFingerprint: 'AA' };
  const slow = (missed: { inFlightFull: number; stalled: number }, latencyMs: number) => {
    const o = observation(done, 20);
    o.run = {
      ...o.run,
      rate: { target: 100, achieved: 31.5, shortfallPct: 68.5 },
      maxInFlight: 16,
      missed,
      attempts: o.run.attempts.map((a) => ({ ...a, latencyMs })),
    };
    return o;
  };

  it("slots that found every in-flight place taken: the target's pace, with its median latency and the rate it allows", async () => {
    const v = await check('rotation.continuity').run(ctxWith(slow({ inFlightFull: 140, stalled: 0 }, 508)));
    expect(v.status).toBe('warn');
    expect(v.message).toMatch(
      /140 slots found all 16 attempts still open, each taking 508 ms at the median \(the target's pace at 16 in flight, not the harness's\)/,
    );
    expect(v.remediation).toMatch(/answers 31\/s at most with 16 in flight/);
  });

  it("slots that came too late: the harness's own limit", async () => {
    const v = await check('rotation.continuity').run(ctxWith(slow({ inFlightFull: 0, stalled: 140 }, 5)));
    expect(v.status).toBe('warn');
    expect(v.message).toMatch(/140 slots came more than 250 ms late \(the harness stalled: its own limit, not the target's\)/);
  });
});
