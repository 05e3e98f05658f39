import { X509Certificate } from 'node:crypto';
import { addDays } from '../src/core/clock.js';
import { mintCertificate } from '../src/pki/generate.js';
import { summarizeCertificate } from '../src/pki/inspect.js';
import { verifyChain } from '../src/pki/verify.js';
import type { ProbeOutcome } from '../src/probe/tls-probe.js';
import { probeWith, RELOAD_DEADLINE_MS, rotationSkipReason, type RotationObservation } from '../src/rotation/observe.js';
import { STALL_MS } from '../src/rotation/prober.js';
import { rotationSummaryLine, shortFingerprint } from '../src/rotation/timeline.js';
import { probeEvidence, skip, trustAnchors, whereRefused } from '../src/checks/judge.js';
import type { CheckContext, Suite } from '../src/checks/types.js';
import type { CheckVerdict, Evidence } from '../src/core/model.js';
import type { ClientCredentials, RotationConfig, TargetConfig } from '../src/core/target.js';
import { safeText } from '../src/core/text.js';

/** Below this achieved share of the asked rate, "no failure" proves continuity only at the lower rate. */
const SHORTFALL_WARN_PCT = 5;

/** Everything the timeline shows, JSON-ready for the reports and the HTML chart. */
export function rotationEvidence(r: RotationObservation): Evidence {
  const { run, analysis: a } = r;
  return {
    summary: rotationSummaryLine(run, a),
    trigger: r.trigger,
    attempts: a.attempts,
    failures: a.failures,
    longestGapMs: a.longestGapMs,
    outages: a.outages,
    ...(a.fingerprintBefore ? { fingerprintBefore: a.fingerprintBefore } : {}),
    ...(a.fingerprintAfter ? { fingerprintAfter: a.fingerprintAfter } : {}),
    ...(a.changedAtT !== undefined ? { changedAtT: a.changedAtT } : {}),
    rate: run.rate,
    prober: { maxInFlight: run.maxInFlight, slots: run.slots, launched: run.launched, missed: run.missed, lagMs: run.lagMs, request: run.request },
    timeline: { startedAt: run.startedAt, durationMs: run.durationMs, attempts: run.attempts, certificates: run.certificates, marks: run.marks },
  };
}

function budget(target: TargetConfig): number {
  const t = target.rotation?.trigger;
  const c = target.rotation;
  const window = (c?.beforeMs ?? 0) + (c?.afterMs ?? 0) + RELOAD_DEADLINE_MS;
  const trig = !t ? 0 : t.kind === 'watch' ? t.durationMs : t.kind === 'command' ? t.timeoutMs : 60_000;
  return window + trig + 60_000;
}

function remediationFor(r: RotationObservation): string {
  const t = r.trigger;
  if (t.kind === 'reference' && t.mode === 'restart')
    return "rotate with the server's graceful reload (nginx -s reload, haproxy reload, stunnel/node SIGHUP) instead of a restart";
  if (t.kind === 'command')
    return 'roll out with overlap: keep old instances serving until new ones are ready (maxUnavailable: 0, readiness probes, a preStop delay), or reload certificates in place';
  return 'reload certificates in place (SIGHUP, nginx -s reload, a file watcher) rather than restarting, and keep old instances serving until new ones are ready';
}

function describeOutages(r: RotationObservation): string {
  const o = r.analysis.outages;
  if (o.length === 0) return '';
  const longest = o.reduce((m, x) => (x.gapMs > m.gapMs ? x : m));
  const kinds = Object.entries(longest.kinds)
    .map(([k, n]) => `${k}×${n}`)
    .join(', ');
  return `${o.length} outage(s); the longest ~${Math.round(longest.gapMs)} ms (between ${longest.boundsMs[0]} and ${longest.boundsMs[1]} ms) from t=${Math.round(longest.firstFailT)} ms${longest.recoveredT === undefined ? ', never recovered' : ''} (${kinds})`;
}

const accepted = (o: ProbeOutcome) => o.rejectedAt === 'accepted';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Probes until `pred` holds or the deadline passes; the last outcome either way. */
async function until(
  probe: () => Promise<ProbeOutcome>,
  pred: (o: ProbeOutcome) => boolean,
  deadlineMs: number,
): Promise<{ o: ProbeOutcome; met: boolean; afterMs: number }> {
  const t0 = Date.now();
  for (;;) {
    const o = await probe();
    if (pred(o)) return { o, met: true, afterMs: Date.now() - t0 };
    if (Date.now() - t0 > deadlineMs) return { o, met: false, afterMs: Date.now() - t0 };
    await sleep(100);
  }
}

/** rotation.ca-overlap on a reference target: the harness rotates the client CA itself. */
async function referenceCaOverlap(ctx: CheckContext, cfg: RotationConfig & { trigger: { kind: 'reference' } }): Promise<CheckVerdict> {
  const target = ctx.target;
  const ref = target.started;
  const mode = cfg.trigger.mode;
  if (!ref?.apply) return skip(`${ref?.implementation ?? target.reference?.implementation ?? target.name} cannot be rotated by the harness`);
  const f = ref.pki;
  const o = { timeoutMs: ctx.timeoutMs, clock: ctx.clock };
  const now = ctx.clock();
  const newRoot = await mintCertificate({
    subject: 'CN=mtls-harness Test Root CA 2 (rotated), O=mtls-harness',
    notBefore: addDays(now, -1 / 24),
    notAfter: addDays(now, 3650),
    ca: true,
    pathLength: 1,
  });
  const newLeaf = await mintCertificate({
    subject: 'CN=mtls-harness client (new CA), O=mtls-harness',
    issuer: newRoot,
    notBefore: addDays(now, -1 / 24),
    notAfter: addDays(now, 30),
    eku: ['clientAuth'],
  });
  const oldClient = target.client!;
  const newClient: ClientCredentials = { certPem: newLeaf.chainPem, keyPem: newLeaf.keyPem, chain: [new X509Certificate(newLeaf.certPem)] };
  const pOld = () => probeWith(target, oldClient, o);
  const pNew = () => probeWith(target, newClient, o);
  const steps: Evidence[] = [];

  const before = await pNew();
  steps.push({ step: 'before: bundle = old CA', newCaClient: probeEvidence(before) });
  if (accepted(before)) {
    return {
      status: 'fail',
      message:
        'a client from a CA the server was never given was accepted before the rotation: client certificates are not verified, so a CA rotation cannot be judged',
      remediation: 'verify client certificates against the configured CA bundle',
      evidence: { mode, steps },
    };
  }
  await ref.apply({ clientCaPem: f.root.certPem + newRoot.certPem }, mode);
  const both = await until(pNew, accepted, RELOAD_DEADLINE_MS);
  const oldDuring = await pOld();
  steps.push({
    step: 'overlap: bundle = old CA + new CA',
    newCaClient: probeEvidence(both.o),
    oldCaClient: probeEvidence(oldDuring),
    newAcceptedAfterMs: both.afterMs,
  });
  if (!both.met || !accepted(oldDuring)) {
    const who = [
      !both.met ? `the new CA's client (refused ${whereRefused(both.o)})` : '',
      !accepted(oldDuring) ? `the old CA's client (refused ${whereRefused(oldDuring)})` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return {
      status: 'fail',
      message: `with a bundle of old and new CA, ${who} was not accepted`,
      remediation:
        'during a CA rotation, trust the old and the new CA together (one bundle file) until every client has new certificates, and make sure the server reloads the bundle',
      evidence: { mode, steps },
    };
  }
  await ref.apply({ clientCaPem: newRoot.certPem }, mode);
  const gone = await until(pOld, (x) => !accepted(x) && x.rejectedAt !== 'unreachable', RELOAD_DEADLINE_MS);
  const newAfter = await pNew();
  steps.push({ step: 'after: bundle = new CA', oldCaClient: probeEvidence(gone.o), newCaClient: probeEvidence(newAfter) });
  if (!gone.met)
    return {
      status: 'fail',
      message: `the old CA was removed from the bundle, yet its client was still ${accepted(gone.o) ? 'accepted' : 'not refused'} ${Math.round(gone.afterMs / 1000)} s later: the server keeps trusting a retired CA`,
      remediation: 'reload the server after changing its client CA bundle (the old trust stays in memory until then)',
      evidence: { mode, steps },
    };
  if (!accepted(newAfter))
    return {
      status: 'fail',
      message: `after the old CA was removed, the new CA's client was refused ${whereRefused(newAfter)}`,
      remediation: 'keep the new CA in the bundle',
      evidence: { mode, steps },
    };
  return {
    status: 'pass',
    message: `with a bundle of old and new CA both CAs' clients were accepted; once the old CA was removed its client was refused ${whereRefused(gone.o)} and the new one still served`,
    evidence: { mode, steps },
  };
}

/** rotation.ca-overlap on a live target: both client credentials must be accepted (before and after the trigger, when there is one). */
async function liveCaOverlap(ctx: CheckContext, cfg: RotationConfig): Promise<CheckVerdict> {
  const target = ctx.target;
  if (!cfg.overlapClient)
    return skip('needs a client certificate from the other CA (rotation.overlapCert / overlapKey, or --rotation-overlap-cert/--rotation-overlap-key)');
  if (!target.client) return skip('needs the valid client credentials (--cert/--key)');
  let rounds: { when: string; main: ProbeOutcome; other: ProbeOutcome }[];
  if (cfg.trigger && !rotationSkipReason(target)) {
    const r = await ctx.rotation();
    if ('skip' in r) return skip(r.skip);
    rounds = r.overlap;
  } else {
    const o = { timeoutMs: ctx.timeoutMs, clock: ctx.clock };
    const [main, other] = await Promise.all([probeWith(target, target.client, o), probeWith(target, cfg.overlapClient, o)]);
    rounds = [{ when: 'now', main, other }];
  }
  const evidence = { rounds: rounds.map((x) => ({ when: x.when, mainClient: probeEvidence(x.main), otherCaClient: probeEvidence(x.other) })) };
  const unreachable = rounds.flatMap((x) => [x.main, x.other]).find((x) => x.rejectedAt === 'unreachable');
  if (unreachable) return { status: 'error', message: `could not test the CA overlap: ${safeText(unreachable.reason, 300)}`, evidence };
  const refused = rounds.flatMap((x) => [
    ...(!accepted(x.main) ? [`the main client ${x.when} (${whereRefused(x.main)})`] : []),
    ...(!accepted(x.other) ? [`the other CA's client ${x.when} (${whereRefused(x.other)})`] : []),
  ]);
  if (refused.length > 0)
    return {
      status: 'fail',
      message: `not every client was accepted during the CA overlap: ${refused.join('; ')}`,
      remediation: 'trust the old and the new CA together (one bundle) until every client has a certificate from the new CA',
      evidence,
    };
  return { status: 'pass', message: `clients from both CAs were accepted (${rounds.map((x) => x.when).join(', ')})`, evidence };
}

/**
 * Why the prober launched fewer attempts than asked, by whose limit: slots that found every
 * in-flight place taken (the target answers slower than rate / in-flight allows: its limit at
 * that bound), or slots that came too late (the harness stalled: its own limit).
 */
export function shortfall(run: RotationObservation['run']): { message: string; remediation: string } {
  const { achieved, target, shortfallPct } = run.rate;
  const head = `no handshake failed, but the prober launched only ${achieved}/s of ${target}/s (shortfall ${shortfallPct}%)`;
  const tail = 'continuity is proven only at the achieved rate';
  const latencies = run.attempts.map((a) => a.latencyMs).sort((a, b) => a - b);
  const p50 = latencies[Math.floor(latencies.length / 2)] ?? 0;
  if (run.missed.inFlightFull >= run.missed.stalled) {
    return {
      message: `${head}: ${run.missed.inFlightFull} slots found all ${run.maxInFlight} attempts still open, each taking ${Math.round(p50)} ms at the median (the target's pace at ${run.maxInFlight} in flight, not the harness's)${run.missed.stalled ? `, ${run.missed.stalled} came too late (the harness stalled)` : ''}: ${tail}`,
      remediation: `the target answers ${Math.round((run.maxInFlight * 1000) / Math.max(p50, 1))}/s at most with ${run.maxInFlight} in flight: raise --in-flight if it can take more connections at once, or lower --rate to what it sustains`,
    };
  }
  return {
    message: `${head}: ${run.missed.stalled} slots came more than ${STALL_MS} ms late (the harness stalled: its own limit, not the target's)${run.missed.inFlightFull ? `, ${run.missed.inFlightFull} found all ${run.maxInFlight} attempts still open` : ''}: ${tail}`,
    remediation: 'run the harness on a less loaded machine, or lower --rate',
  };
}

export const rotationContinuity: Suite = {
  id: 'rotation-continuity',
  title: 'Rotation continuity (certificates rotate with zero failed handshakes)',
  kind: 'server',
  checks: [
    {
      id: 'rotation.continuity',
      title: 'No handshake fails while the certificate rotates',
      exclusive: true,
      budgetMs: budget,
      async run(ctx) {
        const r = await ctx.rotation();
        if ('skip' in r) return skip(r.skip);
        const evidence = rotationEvidence(r);
        const a = r.analysis;
        const first = r.run.attempts.find((x) => !x.ok);
        if (a.attempts === 0) return { status: 'error', message: 'the prober made no attempt (the harness could not keep any slot)', evidence };
        if (r.baseline.served === 0) {
          return {
            status: 'error',
            message: `no handshake with the valid client certificate succeeded ${r.trigger.kind === 'watch' ? 'during the watch' : 'before the rotation'} (${safeText(first?.reason ?? 'no attempt', 200)}): fix that first (handshake.valid-client-cert)`,
            evidence,
          };
        }
        if (r.trigger.kind === 'reference' && r.trigger.error) {
          // The harness itself rotates a reference: when that fails, the outage is ours, not the server's.
          return { status: 'error', message: `the harness could not rotate the reference, so its handshakes judge nothing: ${r.trigger.error}`, evidence };
        }
        if (a.failures > 0) {
          return {
            status: 'fail',
            message: `${a.failures} of ${a.attempts} handshakes failed across the rotation: ${describeOutages(r)}`,
            remediation: remediationFor(r),
            evidence,
          };
        }
        if (r.trigger.error) return { status: 'error', message: `no handshake failed, but the rotation itself did not complete: ${r.trigger.error}`, evidence };
        if (r.run.rate.shortfallPct > SHORTFALL_WARN_PCT) return { status: 'warn', ...shortfall(r.run), evidence };
        return {
          status: 'pass',
          message: `all ${a.attempts} handshakes succeeded across the rotation (${r.run.rate.achieved}/s, ${r.trigger.description})`,
          evidence,
        };
      },
    },
    {
      id: 'rotation.new-cert-served',
      title: 'After the rotation a new, trusted leaf is served',
      exclusive: true,
      budgetMs: budget,
      async run(ctx) {
        const r = await ctx.rotation();
        if ('skip' in r) return skip(r.skip);
        const a = r.analysis;
        const base = {
          fingerprintBefore: a.fingerprintBefore,
          fingerprintAfter: a.fingerprintAfter,
          ...(r.trigger.expectedFingerprint ? { expectedFingerprint: r.trigger.expectedFingerprint } : {}),
          ...(a.changedAtT !== undefined ? { changedAtT: a.changedAtT } : {}),
          mixedAfterChange: a.mixedAfterChange,
          trigger: r.trigger.description,
        };
        if (!a.fingerprintBefore) return { status: 'error', message: 'no handshake served a certificate, so no change can be judged', evidence: base };
        if (a.fingerprintBefore === a.fingerprintAfter) {
          if (r.trigger.error)
            return { status: 'error', message: `the rotation did not complete, so there is no new certificate to judge: ${r.trigger.error}`, evidence: base };
          if (r.trigger.kind === 'watch')
            return skip(`no certificate change was seen during the watch window (leaf ${shortFingerprint(a.fingerprintBefore)} throughout)`);
          return {
            status: 'fail',
            message:
              r.trigger.kind === 'reference'
                ? `the server still served the old leaf ${shortFingerprint(a.fingerprintBefore)} ${Math.round(RELOAD_DEADLINE_MS / 1000)} s after the new files were applied`
                : `after the rotation command the server still serves the same leaf ${shortFingerprint(a.fingerprintBefore)}: the certificate was not replaced`,
            remediation: 'make sure the new certificate files reach the server (Secret mounted, not subPath) and that it reloads them',
            evidence: base,
          };
        }
        // The leaf changed: does the new one still verify (chain.server-trusted)?
        const o = await probeWith(ctx.target, ctx.target.client!, { timeoutMs: ctx.timeoutMs, clock: ctx.clock });
        if (o.peerChainPem.length === 0)
          return { status: 'error', message: `could not read the new chain: ${safeText(o.reason, 200)}`, evidence: { ...base, probe: probeEvidence(o) } };
        const chain = o.peerChainPem.map((p) => new X509Certificate(p));
        const v = verifyChain(chain, trustAnchors(ctx), ctx.clock);
        const leaf = summarizeCertificate(chain[0]!, ctx.clock);
        const evidence = {
          ...base,
          leaf: {
            subject: leaf.subject,
            serialNumber: leaf.serialNumber,
            notBefore: leaf.notBefore,
            notAfter: leaf.notAfter,
            fingerprintSha256: leaf.fingerprintSha256,
          },
          path: v.path,
          problems: v.problems,
        };
        if (r.trigger.expectedFingerprint && leaf.fingerprintSha256 !== r.trigger.expectedFingerprint) {
          return {
            status: 'fail',
            message: `the server serves a leaf (${shortFingerprint(leaf.fingerprintSha256)}) that is neither the old one nor the one installed (${shortFingerprint(r.trigger.expectedFingerprint)})`,
            evidence,
          };
        }
        if (!v.ok)
          return {
            status: 'fail',
            message: `the new leaf ${shortFingerprint(leaf.fingerprintSha256)} is served but its chain does not verify: ${safeText(v.problems.map((p) => p.message).join('; '), 300)}`,
            remediation: 'issue the new certificate from the CA clients trust and serve its intermediates',
            evidence,
          };
        const mixed = a.mixedAfterChange > 0 ? `; ${a.mixedAfterChange} later handshake(s) still got the old leaf (several instances)` : '';
        return {
          status: 'pass',
          message: `the served leaf changed ${shortFingerprint(a.fingerprintBefore)} → ${shortFingerprint(leaf.fingerprintSha256)} (serial ${safeText(leaf.serialNumber, 40)}) and its chain verifies to ${safeText(v.anchor ?? '', 120)}${mixed}`,
          evidence,
        };
      },
    },
    {
      id: 'rotation.ca-overlap',
      title: 'During a CA rotation, clients from the old and the new CA are accepted',
      exclusive: true,
      budgetMs: (t) => budget(t) + 4 * RELOAD_DEADLINE_MS,
      async run(ctx) {
        const cfg = ctx.target.rotation;
        if (ctx.target.reference) {
          const why = rotationSkipReason(ctx.target);
          if (why || !cfg?.trigger || cfg.trigger.kind !== 'reference') return skip(why ?? 'the reference cannot be rotated');
          return referenceCaOverlap(ctx, cfg as RotationConfig & { trigger: { kind: 'reference' } });
        }
        if (!cfg)
          return skip('needs a client certificate from the other CA (rotation.overlapCert / overlapKey, or --rotation-overlap-cert/--rotation-overlap-key)');
        return liveCaOverlap(ctx, cfg);
      },
    },
  ],
};
