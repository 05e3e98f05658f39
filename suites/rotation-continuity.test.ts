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
