import type { Result, TargetReport } from '../core/model.js';

/** Where progress goes: a terminal (stderr), never the stream a report is piped to. */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** Progress only on an interactive terminal, never with --quiet or in CI (CI=true). */
export function progressEnabled(stream: ProgressStream, env: NodeJS.ProcessEnv, quiet: boolean): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return !!stream.isTTY && !quiet && !ci;
}

/**
 * A one-line progress display on stderr: targets done / total, targets failing so far, errors, ETA.
 * Redrawn at most every 100 ms and when a target finishes; cleared at the end so nothing of it stays
 * in the terminal's scrollback between the results.
 */
export class Progress {
  private done = 0;
  private failing = 0;
  private erroring = 0;
  private last = 0;
  private readonly t0: number;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.t0 = now();
  }

  onTarget(_t: TargetReport, results: Result[]): void {
    this.count(
      results.some((r) => r.status === 'fail'),
      results.some((r) => r.status === 'error'),
    );
  }

  /** One probed target: enforced (pass), not enforced (fail), not evaluated (error). */
  onDiagnosis(verdict: 'pass' | 'fail' | 'error'): void {
    this.count(verdict === 'fail', verdict === 'error');
  }

  private count(failing: boolean, erroring: boolean): void {
    this.done++;
    if (failing) this.failing++;
    if (erroring) this.erroring++;
    this.draw(this.done === this.total);
  }

  /** The line as shown (for tests). */
  line(): string {
    const elapsed = this.now() - this.t0;
    const left = this.total - this.done;
    const eta = this.done > 0 && left > 0 ? ` · ETA ${Math.max(1, Math.round(((elapsed / this.done) * left) / 1000))} s` : '';
    return `mtls-harness: ${this.done}/${this.total} targets · ${this.failing} failing · ${this.erroring} with errors${eta}`;
  }

  private draw(force: boolean): void {
    const t = this.now();
    if (!force && t - this.last < 100) return;
    this.last = t;
    this.stream.write(`\r\x1b[K${this.line()}`);
    this.drawn = true;
  }

  /** Clears the line. */
  end(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
