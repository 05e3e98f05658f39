import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { reissue } from '../pki/generate.js';
import { formatLimit, KILL_GRACE_MS, runInProcessGroup } from '../io/process-group.js';
import type { Clock } from '../core/clock.js';
import { protocolModule } from '../probe/protocols/index.js';
import { probeEndpoint, type ProbeOptions, type ProbeOutcome } from '../probe/tls-probe.js';
import { serverCredentialFor } from '../targets/profiles.js';
import { outputTail, safeText } from '../core/text.js';
import { redactCommandLine, redactText } from '../core/redact.js';
import type { ClientCredentials, RotationConfig, TargetConfig } from '../core/target.js';
import type { ApplyMode } from '../core/target.js';
import type { TargetUnderTest } from '../targets/target.js';
import { RotationProber, type ProberRun } from './prober.js';
import { analyzeTimeline, type TimelineAnalysis } from './timeline.js';

/** How long a reference's graceful reload may take before the new leaf must be served. */
export const RELOAD_DEADLINE_MS = 15_000;

/** What the trigger did, on the prober's clock. */
export interface TriggerRecord {
  kind: 'reference' | 'command' | 'watch';
  /** Reference targets: the implementation's reload, or a restart. */
  mode?: ApplyMode;
  /** Human description: "nginx graceful reload (SIGHUP)", the command line, "watch 10m". */
  description: string;
  startedT?: number;
  finishedT?: number;
  /** Reference targets: the leaf the harness installed. */
  expectedFingerprint?: string;
  /** When the expected leaf was first served (reference targets). */
  appliedT?: number;
  exitCode?: number;
  /** Commands: the real elapsed time (ms) and the time limit it ran under. */
  durationMs?: number;
  limitMs?: number;
  /** The command hit its time limit: it and its process group were stopped. */
  timedOut?: boolean;
  /** Last lines of the command's output (hostile text made safe). */
  stdoutTail?: string;
  stderrTail?: string;
  /** The trigger itself failed (command not found, reload error, restart did not come back). */
  error?: string;
}

/** Full probes with both client credentials (rotation.ca-overlap on live targets). */
export interface OverlapProbes {
  when: 'before' | 'after';
  main: ProbeOutcome;
  other: ProbeOutcome;
}

export interface RotationObservation {
  trigger: TriggerRecord;
  run: ProberRun;
  analysis: TimelineAnalysis;
  /** Attempts launched before the trigger, and how many of those were served. */
  baseline: { attempts: number; served: number };
  overlap: OverlapProbes[];
}

export interface ObserveOptions {
  timeoutMs: number;
  clock: Clock;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The user a database probe of the target logs in as: its own, else the valid client certificate's CN. */
function appUserOfTarget(target: TargetConfig): string | undefined {
  if (target.appUser !== undefined) return target.appUser;
  const cn = target.client?.chain[0] ? /^CN=(.+)$/m.exec(target.client.chain[0].subject)?.[1] : undefined;
  return cn && cn.length <= 128 ? cn : undefined;
}

/** Where and how to reach a target: the probe options every check and the prober start from (no trust, no credentials). */
export function targetProbeOptions(target: TargetConfig, timeoutMs: number, clock: Clock): ProbeOptions {
  return {
    host: target.host,
    port: target.port,
    ...(target.servername ? { servername: target.servername } : {}),
    protocol: target.protocol,
    ...(appUserOfTarget(target) ? { appUser: appUserOfTarget(target)! } : {}),
    ...(target.httpPath ? { httpPath: target.httpPath } : {}),
    ...(target.tlsVersions?.min ? { minVersion: target.tlsVersions.min } : {}),
    ...(target.tlsVersions?.max ? { maxVersion: target.tlsVersions.max } : {}),
    timeoutMs,
    clock,
  };
}

/** A full probe with a client credential (trust anchors from the target). */
export function probeWith(target: TargetConfig, client: ClientCredentials, o: ObserveOptions): Promise<ProbeOutcome> {
  return probeEndpoint({
    ...targetProbeOptions(target, o.timeoutMs, o.clock),
    ...(target.trustPem ? { ca: target.trustPem } : {}),
    cert: client.certPem,
    key: client.keyPem,
  });
}

/** Why a target's rotation cannot be observed, or undefined. */
export function rotationSkipReason(target: TargetConfig): string | undefined {
  if (target.reference && !target.rotation?.trigger)
    return `profile ${target.reference.profile} does not rotate (the rotation profiles are rotation-graceful and rotation-restart)`;
  if (!target.rotation?.trigger)
    return 'no rotation to observe: configure rotation.command (a command that rotates the target) or rotation.watch (a window to observe), or pass --rotation-command / --rotation-watch';
  if (!target.client) return 'needs the valid client credentials (--cert/--key) for the stream of handshakes';
  return undefined;
}

/**
 * Observes one rotation: a continuous stream of full mTLS handshakes before, during and after the
 * trigger (or for the watch window), then analyses the timeline.
 */
export async function observeRotation(target: TargetUnderTest, o: ObserveOptions): Promise<RotationObservation | { skip: string }> {
  const why = rotationSkipReason(target);
  if (why) return { skip: why };
  const cfg = target.rotation as RotationConfig & { trigger: NonNullable<RotationConfig['trigger']> };
  const client = target.client!;
  const context = tls.createSecureContext({ ...(target.trustPem ? { ca: target.trustPem } : {}), cert: client.certPem, key: client.keyPem });
  const trigger = cfg.trigger;
  const prober = new RotationProber({
    probe: { ...targetProbeOptions(target, o.timeoutMs, o.clock), secureContext: { context, withClientCert: true } },
    rate: cfg.rate,
    maxInFlight: cfg.maxInFlight,
    // The protocol's request per attempt (https GET, the databases' login, Redis PING, MQTT CONNECT):
    // served means the application answered; raw TLS and gRPC have none here.
    request: cfg.request && !!protocolModule(target.protocol).answer,
    ...(trigger.kind === 'watch' ? { durationMs: trigger.durationMs } : {}),
  });
  const overlap: OverlapProbes[] = [];
  const probeOverlap = async (when: OverlapProbes['when']) => {
    if (!cfg.overlapClient) return;
    const [main, other] = await Promise.all([probeWith(target, client, o), probeWith(target, cfg.overlapClient, o)]);
    overlap.push({ when, main, other });
  };

  let record: TriggerRecord | undefined;
  let run: ProberRun;
  let triggerT = 0;
  prober.start();
  try {
    if (trigger.kind === 'watch') {
      record = { kind: 'watch', description: `watch for ${Math.round(trigger.durationMs / 1000)} s` };
      await probeOverlap('before');
      prober.mark('watch started');
      await prober.done();
      prober.mark('watch ended');
      await probeOverlap('after');
    } else {
      await sleep(cfg.beforeMs);
      await probeOverlap('before');
      triggerT = prober.now();
      prober.mark('rotation triggered');
      record = trigger.kind === 'reference' ? await rotateReference(target, trigger, prober) : await runCommand(trigger, prober);
      if (!record.error && trigger.kind === 'reference' && record.expectedFingerprint) {
        // A graceful reload is asynchronous: the rotation is in effect once the new leaf is served.
        const deadline = prober.now() + RELOAD_DEADLINE_MS;
        while (prober.now() < deadline && prober.latestFingerprint() !== record.expectedFingerprint) await sleep(20);
        if (prober.latestFingerprint() === record.expectedFingerprint) {
          record.appliedT = Math.round(prober.now() * 10) / 10;
          prober.mark('new certificate served');
        }
      }
      await sleep(cfg.afterMs);
      await probeOverlap('after');
    }
  } finally {
    // Always stop: a failed trigger still leaves a timeline worth reporting.
    run = await prober.stop();
  }
  const analysis = analyzeTimeline(run);
  const before = run.attempts.filter((a) => trigger.kind === 'watch' || a.t < triggerT);
  return {
    trigger: record ?? { kind: trigger.kind, description: trigger.kind, error: 'the rotation did not complete' },
    run,
    analysis,
    baseline: { attempts: before.length, served: before.filter((a) => a.ok).length },
    overlap,
  };
}

async function rotateReference(
  target: TargetUnderTest,
  trigger: Extract<NonNullable<RotationConfig['trigger']>, { kind: 'reference' }>,
  prober: RotationProber,
): Promise<TriggerRecord> {
  const ref = target.started;
  const implementation = ref?.implementation ?? target.reference?.implementation ?? target.name;
  const description =
    trigger.mode === 'graceful'
      ? `${implementation} graceful reload with a new server certificate`
      : `${implementation} restarted with a new server certificate`;
  const record: TriggerRecord = { kind: 'reference', mode: trigger.mode, description, startedT: round1(prober.now()) };
  try {
    if (!ref?.apply || !target.reference) throw new Error(`${implementation} cannot be rotated by the harness`);
    const current = serverCredentialFor(ref.profile, ref.pki).cred;
    const next = await reissue(current);
    record.expectedFingerprint = new X509Certificate(next.certPem).fingerprint256;
    await ref.apply({ server: next }, trigger.mode, (label) => prober.mark(label));
  } catch (e) {
    record.error = safeText((e as Error).message, 500);
  }
  record.finishedT = round1(prober.now());
  prober.mark('rotation applied');
  return record;
}

async function runCommand(trigger: Extract<NonNullable<RotationConfig['trigger']>, { kind: 'command' }>, prober: RotationProber): Promise<TriggerRecord> {
  const record: TriggerRecord = { kind: 'command', description: safeText(redactCommandLine(trigger.command), 500), startedT: round1(prober.now()) };
  prober.mark('command started');
  // The user's own command line, as they would type it (pipes, &&): run by /bin/sh, in its own
  // process group, stopped whole at the time limit and when it exits (src/io/process-group.ts).
  const r = await runInProcessGroup({ command: trigger.command, timeoutMs: trigger.timeoutMs });
  record.finishedT = round1(prober.now());
  record.durationMs = r.durationMs;
  record.limitMs = trigger.timeoutMs;
  if (r.exitCode !== undefined) record.exitCode = r.exitCode;
  if (r.timedOut) record.timedOut = true;
  const out = outputTail(r.stdout);
  const err = outputTail(r.stderr);
  if (out) record.stdoutTail = out;
  if (err) record.stderrTail = err;
  if (r.timedOut)
    record.error = `the rotation command timed out after ${formatLimit(trigger.timeoutMs)} (its time limit, --rotation-timeout) and was stopped with its process group (SIGTERM, SIGKILL after ${formatLimit(KILL_GRACE_MS)}); it ran ${formatLimit(r.durationMs)} in all`;
  else if (r.failed)
    record.error = `the rotation command failed (${r.exitCode !== undefined ? `exit ${r.exitCode}` : safeText(redactText((r.shortMessage ?? 'error').replace(trigger.command, redactCommandLine(trigger.command))), 200)})`;
  prober.mark(r.timedOut ? 'command timed out' : `command exited (${r.exitCode ?? 'error'})`);
  return record;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
