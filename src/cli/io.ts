import type { Clock } from '../core/clock.js';

/** Where a command writes; injected so the CLI can run in-process in tests. */
export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** "Now" for what the date decides (waivers' expiry); default the system clock. Tests pin it. */
  clock?: Clock;
  /** Registers cleanup for Ctrl-C (or, with `reason`, an internal error that escaped); returns an unregister function. */
  onInterrupt?(fn: (reason?: Error) => void | Promise<void>): () => void;
}
