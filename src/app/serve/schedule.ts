/**
 * `serve`'s schedule (docs/serve.md "Schedule"): a run at once, then one every interval plus a
 * random jitter, counted from the start of the run before. Runs never overlap: the next starts
 * only when the one before has ended, and a run that outlasted the interval is an overrun (the
 * next starts as soon as it ends, counted). `stop` aborts the run in progress and the wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface ScheduleOptions {
  intervalMs: number;
  /** At most this much (uniform) is added to each wait; 0 for none. */
  jitterMs: number;
  /** One run. Its failures are its own to report: a rejection is caught and the schedule goes on. */
  run(signal: AbortSignal): Promise<void>;
  /** A run took longer than the interval: the next one starts now, late. */
  onOverrun?(): void;
  /** [0, 1): injected so tests pin the jitter. */
  random?: () => number;
  /** Milliseconds, monotonic: injected so tests pin the clock. */
  now?: () => number;
}

export class Schedule {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly o: ScheduleOptions) {}

  /** Starts the first run now; later ones follow the interval. */
  start(): void {
    this.loop ??= this.runAll();
  }

  /** Aborts the run in progress (its report then is incomplete) and the wait; resolves when the run has ended. */
  async stop(reason: Error = new Error('serve is stopping')): Promise<void> {
    if (!this.abort.signal.aborted) this.abort.abort(reason);
    await this.loop;
  }

  /** How long to wait after a run that started at `startedAt`: undefined for an overrun (no wait). */
  nextWait(startedAt: number, endedAt: number): number | undefined {
    const { intervalMs, jitterMs } = this.o;
    if (endedAt - startedAt > intervalMs) return undefined;
    const jitter = jitterMs > 0 ? Math.floor((this.o.random ?? Math.random)() * jitterMs) : 0;
    return Math.max(0, startedAt + intervalMs + jitter - endedAt);
  }

  private async runAll(): Promise<void> {
    const now = this.o.now ?? (() => performance.now());
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const startedAt = now();
      // Each run its own signal (what a run hangs on it goes with it), aborted by stop().
      const one = new AbortController();
      const abortOne = () => one.abort(signal.reason);
      signal.addEventListener('abort', abortOne, { once: true });
      await this.o.run(one.signal).catch(() => undefined);
      signal.removeEventListener('abort', abortOne);
      if (signal.aborted) return;
      const wait = this.nextWait(startedAt, now());
      if (wait === undefined) {
        this.o.onOverrun?.();
        continue;
      }
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }
}
