import { performance } from 'node:perf_hooks';
import { HarnessError } from '../core/errors.js';
import { probeEndpoint, type ProbeOptions, type ProbeOutcome } from '../probe/tls-probe.js';
import type { FailureKind, RejectedAt } from '../probe/rejection.js';
import { safeText } from '../core/text.js';

/** One handshake attempt of the rotation prober: a row of the timeline. */
export interface Attempt {
  seq: number;
  /** Launch time, ms since the prober started (performance clock, sub-ms). */
  t: number;
  /** How late the launch was against its slot on the rate grid (the harness's own lag). */
  lagMs: number;
  latencyMs: number;
  /** The valid client was served (handshake accepted, and the request answered below 500 when one was sent). */
  ok: boolean;
  /** Where the probe classified the connection (CONFORMANCE.md "Rejection, precisely"). */
  outcome: RejectedAt;
  failure?: FailureKind;
  alert?: number;
  httpStatus?: number;
  /** The probe's sentence, on failures only (hostile text made printable). */
  reason?: string;
  /** Index into the run's `certificates` (the served leaf), when a leaf was served. */
  leaf?: number;
}

/** A distinct served leaf seen during the run. */
export interface SeenCertificate {
  fingerprintSha256: string;
  firstT: number;
  lastT: number;
  count: number;
}

/** A labelled moment on the timeline (rotation triggered, reload sent, command exited, …). */
export interface Mark {
  t: number;
  label: string;
}

export interface ProberOptions {
  /** Where and how to connect; `secureContext` is strongly advised (no PEM parsing per attempt). */
  probe: ProbeOptions;
  /** Attempts per second (default 20). */
  rate?: number;
  /** Attempts open at once at most (default 4); a slot that finds them all busy is missed, not failed. */
  maxInFlight?: number;
  /** Stop launching after this long (ms). */
  durationMs?: number;
  /** Stop launching after this many attempts. */
  maxAttempts?: number;
  /** Send one HTTP request per attempt (default false: the handshake and the server's verdict only). */
  request?: boolean;
  onAttempt?: (a: Attempt) => void;
}

/** What the prober measured: every attempt, and how honestly it kept its rate. */
export interface ProberRun {
  /** Wall-clock time of t = 0 (ISO 8601). */
  startedAt: string;
  /** From t = 0 to the last launch slot (ms). */
  durationMs: number;
  request: boolean;
  rate: {
    target: number;
    /** Launched attempts per second over the run. */
    achieved: number;
    /** Slots not launched (all in flight, or the harness stalled), as a percentage of slots. */
    shortfallPct: number;
  };
  maxInFlight: number;
  slots: number;
  launched: number;
  /** Slots skipped because `maxInFlight` attempts were open (a slow target) or the harness stalled. */
  missed: { inFlightFull: number; stalled: number };
  /** Launch lag behind the grid: the harness's own timing precision. */
  lagMs: { p50: number; p99: number; max: number };
  attempts: Attempt[];
  certificates: SeenCertificate[];
  marks: Mark[];
}

/** A slot later than this is counted missed (the event loop stalled) instead of launched in a burst. */
export const STALL_MS = 250;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * A continuous stream of full mTLS handshakes at a set rate. Slots sit on a fixed grid
 * (t = i / rate), so lag never accumulates; each attempt is a fresh connection without session
 * resumption; a slot that finds `maxInFlight` attempts open is recorded as missed (a shortfall of
 * the prober, never a failure of the target). Start it, `mark()` events, `stop()` for the run.
 */
export class RotationProber {
  private readonly rate: number;
  private readonly maxInFlight: number;
  private readonly request: boolean;
  private readonly attempts: Attempt[] = [];
  private readonly certs = new Map<string, number>();
  private readonly certList: SeenCertificate[] = [];
  private readonly marks: Mark[] = [];
  private readonly lags: number[] = [];
  private readonly pending = new Set<Promise<void>>();
  private t0 = 0;
  private startedAt = new Date();
  private slot = 0;
  private inFlight = 0;
  private missedFull = 0;
  private missedStall = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private lastSlotT = 0;
  private finished: Promise<void> | undefined;
  private resolveFinished: (() => void) | undefined;

  constructor(private readonly opts: ProberOptions) {
    this.rate = opts.rate ?? 20;
    this.maxInFlight = opts.maxInFlight ?? 4;
    this.request = opts.request ?? false;
    if (!(this.rate > 0 && this.rate <= 10_000))
      throw new HarnessError('usage.invalid-value', `rate must be between 0 and 10000 handshakes per second, not ${this.rate}`);
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1 || this.maxInFlight > 1024)
      throw new HarnessError('usage.invalid-value', `in-flight bound must be a whole number from 1 to 1024, not ${this.maxInFlight}`);
  }

  /** Milliseconds since the prober started. */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Labels the current moment on the timeline. */
  mark(label: string): void {
    this.marks.push({ t: round1(this.now()), label });
  }

  /** The most recent served leaf (by launch order of the attempts that completed), if any. */
  latestFingerprint(): string | undefined {
    for (let i = this.attempts.length - 1; i >= 0; i--) {
      const a = this.attempts[i]!;
      if (a.ok && a.leaf !== undefined) return this.certList[a.leaf]!.fingerprintSha256;
    }
    return undefined;
  }

  /** Attempts recorded so far (completed ones). */
  get recorded(): readonly Attempt[] {
    return this.attempts;
  }

  start(): this {
    this.t0 = performance.now();
    this.startedAt = new Date();
    this.finished = new Promise((r) => (this.resolveFinished = r));
    this.tick();
    return this;
  }

  /** Resolves when the duration or attempt bound is reached (never, without one, until stop()). */
  done(): Promise<void> {
    return this.finished ?? Promise.resolve();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopping) return;
    const period = 1000 / this.rate;
    const now = this.now();
    const end = this.opts.durationMs;
    while (!this.stopping) {
      const due = this.slot * period;
      if (due > now) break;
      if (end !== undefined && due >= end) {
        this.halt();
        return;
      }
      if (this.opts.maxAttempts !== undefined && this.slot >= this.opts.maxAttempts) {
        this.halt();
        return;
      }
      this.slot++;
      this.lastSlotT = due;
      const lag = now - due;
      if (lag > STALL_MS) this.missedStall++;
      else if (this.inFlight >= this.maxInFlight) this.missedFull++;
      else this.launch(this.slot - 1, now, lag);
    }
    if (this.stopping) return;
    const next = this.slot * period;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - this.now()));
  }

  private halt(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.resolveFinished?.();
  }

  private launch(seq: number, t: number, lag: number): void {
    this.inFlight++;
    this.lags.push(lag);
    const p = probeEndpoint({ ...this.opts.probe, detail: 'fast', until: this.request ? 'exchange' : 'handshake' })
      .then((o) => this.record(seq, t, lag, o))
      .catch((e: unknown) => {
        // probeEndpoint only throws on invalid options: a harness bug, recorded, not hidden.
        this.attempts.push({
          seq,
          t: round1(t),
          lagMs: round1(lag),
          latencyMs: round1(this.now() - t),
          ok: false,
          outcome: 'unreachable',
          failure: 'tls-client',
          reason: safeText((e as Error).message, 200),
        });
      })
      .finally(() => {
        this.inFlight--;
        this.pending.delete(p);
      });
    this.pending.add(p);
  }

  private record(seq: number, t: number, lag: number, o: ProbeOutcome): void {
    const served = o.rejectedAt === 'accepted' && !(o.httpStatus !== undefined && o.httpStatus >= 500);
    let leaf: number | undefined;
    if (o.leafFingerprint) {
      leaf = this.certs.get(o.leafFingerprint);
      if (leaf === undefined) {
        leaf = this.certList.length;
        this.certs.set(o.leafFingerprint, leaf);
        this.certList.push({ fingerprintSha256: o.leafFingerprint, firstT: round1(t), lastT: round1(t), count: 0 });
      }
      const c = this.certList[leaf]!;
      c.count++;
      c.firstT = Math.min(c.firstT, round1(t));
      c.lastT = Math.max(c.lastT, round1(t));
    }
    const a: Attempt = {
      seq,
      t: round1(t),
      lagMs: round1(lag),
      latencyMs: round1(o.durationMs),
      ok: served,
      outcome: o.rejectedAt,
      ...(o.failure ? { failure: o.failure.kind } : {}),
      ...(o.alert ? { alert: o.alert.code } : {}),
      ...(o.httpStatus !== undefined ? { httpStatus: o.httpStatus } : {}),
      ...(!served ? { reason: safeText(o.reason, 200) } : {}),
      ...(leaf !== undefined ? { leaf } : {}),
    };
    this.attempts.push(a);
    this.opts.onAttempt?.(a);
  }

  /** Stops launching, waits for the attempts in flight, and returns the run (timeline in launch order). */
  async stop(): Promise<ProberRun> {
    this.halt();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    const slots = this.slot;
    const launched = slots - this.missedFull - this.missedStall;
    const durationMs = Math.max(this.lastSlotT + 1000 / this.rate, 1);
    const lags = [...this.lags].sort((a, b) => a - b);
    return {
      startedAt: this.startedAt.toISOString(),
      durationMs: round1(durationMs),
      request: this.request,
      rate: {
        target: this.rate,
        achieved: round1((launched / durationMs) * 1000),
        shortfallPct: slots === 0 ? 0 : round1(((slots - launched) / slots) * 100),
      },
      maxInFlight: this.maxInFlight,
      slots,
      launched,
      missed: { inFlightFull: this.missedFull, stalled: this.missedStall },
      lagMs: { p50: round1(percentile(lags, 50)), p99: round1(percentile(lags, 99)), max: round1(lags.at(-1) ?? 0) },
      attempts: [...this.attempts].sort((a, b) => a.seq - b.seq),
      certificates: this.certList.map((c) => ({ ...c })),
      marks: [...this.marks],
    };
  }
}

/** Runs the prober for its duration or attempt bound and returns the run. */
export async function runProber(opts: ProberOptions): Promise<ProberRun> {
  if (opts.durationMs === undefined && opts.maxAttempts === undefined)
    throw new HarnessError('usage.invalid-value', 'the prober needs a duration or an attempt count to stop by itself');
  const p = new RotationProber(opts).start();
  await p.done();
  return p.stop();
}
