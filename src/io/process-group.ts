import { performance } from 'node:perf_hooks';

/** Between SIGTERM and SIGKILL when a command's time limit is hit. */
export const KILL_GRACE_MS = 1000;

export interface GroupCommand {
  /** A list is run directly (no shell); a string is run by /bin/sh (pipes, redirections, `&`). */
  command: string[] | string;
  env?: Record<string, string>;
  timeoutMs: number;
  /** Registers a cleanup for Ctrl-C; returns an unregister function. */
  onInterrupt?: (fn: () => Promise<void>) => () => void;
}

export interface GroupRun {
  exitCode?: number;
  signal?: string;
  /** The time limit was hit: the group got SIGTERM, then SIGKILL after KILL_GRACE_MS. */
  timedOut: boolean;
  /** Real elapsed time, start to the last output closed. */
  durationMs: number;
  stdout?: string;
  stderr?: string;
  /** The command could not be started: its errno code (ENOENT) and execa's message. */
  spawnCode?: string;
  shortMessage?: string;
  failed: boolean;
}

// One 'exit' listener for every group still running (limbo runs up to 32 at once).
const live = new Set<() => void>();
process.on('exit', () => {
  for (const kill of live) kill();
});

/**
 * Runs a command in its own process group, so that the time limit, Ctrl-C, the command's own exit
 * and the harness's exit reach its children too (a shell's `sleep 30 &`, a wrapper script's real
 * program), not only the first process: a child left holding the command's stdout never keeps the
 * harness waiting. Never throws for the command's own failure.
 */
export async function runInProcessGroup(c: GroupCommand): Promise<GroupRun> {
  // execa (about 100 ms of module loading) is loaded by the commands that run a process, when they do.
  const { execa } = await import('execa');
  const t0 = performance.now();
  const shell = !Array.isArray(c.command);
  const argv = Array.isArray(c.command) ? c.command : [c.command];
  const opts = { reject: false, stdin: 'ignore', maxBuffer: 1_000_000, ...(c.env ? { env: c.env } : {}), shell, detached: true } as const;
  const child = shell ? execa(argv[0]!, opts) : execa(argv[0]!, argv.slice(1), opts);
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const killAll = () => killGroup('SIGKILL');
  // The command exited: whatever it left running in its group goes too (and its output closes).
  child.once('exit', killAll);
  // The harness exits (Ctrl-C's process.exit included): a detached group would outlive it.
  live.add(killAll);
  let timedOut = false;
  let forceKill: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup('SIGTERM');
    forceKill = setTimeout(killAll, KILL_GRACE_MS);
  }, c.timeoutMs);
  const unregister = c.onInterrupt?.(async () => killAll());
  const r = await child;
  clearTimeout(timer);
  clearTimeout(forceKill);
  unregister?.();
  live.delete(killAll);
  killAll(); // whatever it left running
  return {
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(r.signal ? { signal: r.signal } : {}),
    timedOut,
    durationMs: Math.round(performance.now() - t0),
    ...(typeof r.stdout === 'string' ? { stdout: r.stdout } : {}),
    ...(typeof r.stderr === 'string' ? { stderr: r.stderr } : {}),
    ...((r.cause as NodeJS.ErrnoException | undefined)?.code ? { spawnCode: (r.cause as NodeJS.ErrnoException).code! } : {}),
    ...(r.shortMessage ? { shortMessage: r.shortMessage } : {}),
    failed: r.failed,
  };
}

/** A time limit as said in messages: "2 s", "1.5 s", "300 ms", "10 min". */
export function formatLimit(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}
