import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';
import { HarnessError } from '../core/errors.js';
import { runInProcessGroup } from '../io/process-group.js';
import { outputTail, safeText } from '../core/text.js';
import { redactArgv, redactCommandLine, redactText } from '../core/redact.js';

/**
 * A client under test: a command line the harness runs once per check. `command` as a list is run
 * directly (no shell); as a string it is run by /bin/sh (pipes, redirections).
 */
export interface ClientSpec {
  /** Display name: the Result's `target`. */
  name: string;
  command: string[] | string;
  /** Extra environment for the command; values may use the placeholders too. */
  env?: Record<string, string>;
  /** Time limit of one run of the command (ms). */
  timeoutMs: number;
}

/** What the harness substitutes for `{name}` in the command, its arguments and its environment. */
export interface Placeholders {
  /** The address the reference server listens on (127.0.0.1). */
  host: string;
  port: string;
  /** `https://{servername}:{port}/` (IPv6 in brackets). */
  url: string;
  /** Trust anchors the client must use for the server (PEM file). */
  ca: string;
  /** The client's certificate (PEM file, leaf first) and its key (PEM file, 0600). */
  cert: string;
  key: string;
  /** The name the client must verify the server's certificate against, and send as SNI. */
  servername: string;
  /** curl's `--resolve` value routing {servername}:{port} to {host}: `localhost:PORT:127.0.0.1`. */
  resolve: string;
}

export const PLACEHOLDERS: readonly (keyof Placeholders)[] = ['host', 'port', 'url', 'ca', 'cert', 'key', 'servername', 'resolve'];

/** Environment variables set for every run (besides the client's own `env`). */
export const PLACEHOLDER_ENV: Readonly<Record<keyof Placeholders, string>> = {
  host: 'MTLS_HOST',
  port: 'MTLS_PORT',
  url: 'MTLS_URL',
  ca: 'MTLS_CA',
  cert: 'MTLS_CERT',
  key: 'MTLS_KEY',
  servername: 'MTLS_SERVERNAME',
  resolve: 'MTLS_RESOLVE',
};

// `{name}` with a lower-case name, not preceded by `$` (a shell's `${var}` is left alone).
const PLACEHOLDER = /(?<!\$)\{([a-z][a-z_]*)\}/g;

/** Replaces the known placeholders in one string. */
export function substitute(s: string, p: Placeholders): string {
  return s.replace(PLACEHOLDER, (whole, name: string) => ((PLACEHOLDERS as readonly string[]).includes(name) ? p[name as keyof Placeholders] : whole));
}

/** `https://host:port/` with an IPv6 literal in brackets. */
export function urlFor(servername: string, port: number): string {
  return `https://${servername.includes(':') ? `[${servername}]` : servername}:${port}/`;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The program a command starts: the first element, or a shell string's first word when it is a plain word. */
function programOf(command: string[] | string): string | undefined {
  if (Array.isArray(command)) return command[0];
  const m = /^\s*([^\s;&|()<>'"`$=]+)(?:\s|$)/.exec(command);
  return m?.[1];
}

/**
 * Validates a client before anything starts (usage errors, exit 2): a command is given, its
 * program exists and is executable, and every `{placeholder}` is one the harness knows.
 */
export function checkClientSpec(spec: ClientSpec, where: string, env: NodeJS.ProcessEnv = process.env): void {
  const parts = Array.isArray(spec.command) ? spec.command : [spec.command];
  if (parts.length === 0 || !parts[0]!.trim())
    throw new HarnessError(
      'usage.missing-argument',
      `${where}: no client command (mtls-harness client-test -- curl --cacert {ca} --cert {cert} --key {key} {url})`,
    );
  for (const s of [...parts, ...Object.values(spec.env ?? {})]) {
    for (const m of s.matchAll(PLACEHOLDER)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!))
        throw new HarnessError('usage.invalid-value', `${where}: unknown placeholder {${m[1]}}; placeholders: ${PLACEHOLDERS.map((n) => `{${n}}`).join(' ')}`);
    }
  }
  const program = programOf(spec.command);
  if (program === undefined) return; // a shell construct first: /bin/sh will say
  const found = program.includes('/')
    ? isExecutable(path.resolve(program))
    : (env.PATH ?? '').split(path.delimiter).some((dir) => dir && isExecutable(path.join(dir, program)));
  if (!found)
    throw new HarnessError(
      'usage.invalid-value',
      `${where}: command "${safeText(program, 200)}" not found${program.includes('/') ? ' or not executable' : ' on PATH'}`,
    );
}

/** One run of the client command: its exit, and the tails of its output (keys redacted). */
export interface CommandRun {
  /** The command line as run (placeholders substituted; file paths only, never file contents). */
  argv: string[];
  exitCode?: number;
  /** Killed by this signal (after a timeout, SIGTERM then SIGKILL). */
  signal?: string;
  timedOut: boolean;
  /** The time limit it ran under (ms). */
  limitMs: number;
  /** The command could not be started (e.g. ENOENT). */
  spawnError?: string;
  durationMs: number;
  stdoutTail?: string;
  stderrTail?: string;
}

/** Runs the client once with the placeholders substituted; never throws for the command's own failure. */
export async function runClientCommand(spec: ClientSpec, p: Placeholders, onInterrupt?: (fn: () => Promise<void>) => () => void): Promise<CommandRun> {
  const env: Record<string, string> = {};
  for (const k of PLACEHOLDERS) env[PLACEHOLDER_ENV[k]] = p[k];
  for (const [k, v] of Object.entries(spec.env ?? {})) env[k] = substitute(v, p);
  const shell = !Array.isArray(spec.command);
  const argv = Array.isArray(spec.command) ? spec.command.map((a) => substitute(a, p)) : [substitute(spec.command, p)];
  // Its own process group (src/io/process-group.ts): the time limit, Ctrl-C and the client's own exit
  // reach its children too (a shell's `sleep`, a wrapper script's real client).
  const r = await runInProcessGroup({ command: shell ? argv[0]! : argv, env, timeoutMs: spec.timeoutMs, ...(onInterrupt ? { onInterrupt } : {}) });
  const { timedOut, durationMs } = r;
  const out = outputTail(r.stdout, 30, 2000);
  const err = outputTail(r.stderr, 30, 2000);
  const spawnCode = r.spawnCode;
  return {
    argv: redactArgv(argv).map((a) => safeText(a, 500)),
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(r.signal ? { signal: r.signal } : {}),
    timedOut,
    limitMs: spec.timeoutMs,
    ...(r.exitCode === undefined && !timedOut && !r.signal && spawnCode
      ? { spawnError: `${spawnCode}: ${safeText(redactText((r.shortMessage ?? '').replace(argv.join(' '), redactCommandLine(argv.join(' ')))), 200)}` }
      : {}),
    durationMs,
    ...(out ? { stdoutTail: out } : {}),
    ...(err ? { stderrTail: err } : {}),
  };
}
