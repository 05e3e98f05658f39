import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HarnessError } from '../core/errors.js';
import { reporterOptions } from '../report/reporters/index.js';
import { closest, safeText } from '../core/text.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict checking, turning its errors into one-line usage errors (exit 2). */
export function parseCommandArgs(command: string, argv: string[], options: OptionSpec): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const msg = err.message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const name = /'(-[^']*)'/.exec(msg)?.[1]?.replace(/=.*$/, '');
      const hint = name ? didYouMean(name, Object.keys(options)) : undefined;
      throw new HarnessError('usage.unknown-option', `${command}: ${safeText(msg, 200)}${hint ? ` (did you mean ${hint}?)` : ` (see mtls-harness ${command} --help)`}`);
    }
    throw new HarnessError('usage.invalid-value', `${command}: ${safeText(msg, 200)} (see mtls-harness ${command} --help)`);
  }
}

/**
 * Names other TLS tools give the same options (curl, openssl s_client, testssl.sh, grpcurl, kubectl):
 * a user typing theirs gets ours suggested.
 */
const OTHER_TOOLS_NAMES: Readonly<Record<string, string>> = {
  cacert: 'ca',
  cafile: 'ca',
  'ca-file': 'ca',
  'ca-cert': 'ca',
  capath: 'ca',
  cacerts: 'ca',
  'cert-file': 'cert',
  certfile: 'cert',
  'client-cert': 'cert',
  'key-file': 'key',
  keyfile: 'key',
  'client-key': 'key',
  sni: 'servername',
  'server-name': 'servername',
  'tls-server-name': 'servername',
  authority: 'servername',
  connect: 'target',
  host: 'target',
  'max-time': 'timeout',
  'connect-timeout': 'timeout',
};

/** The option a mistyped or other-tool flag most likely means (`--cacert` → `--ca`), or undefined. */
export function didYouMean(flag: string, known: readonly string[]): string | undefined {
  const bare = flag.replace(/^-+/, '');
  const mapped = OTHER_TOOLS_NAMES[bare.toLowerCase()];
  if (mapped && known.includes(mapped)) return `--${mapped}`;
  const near = closest(bare, known);
  return near ? `--${near}` : undefined;
}

/**
 * Upper bounds of durations (node turns a timer above 2^31-1 ms, ~24.8 days, into a 1 ms timer):
 * a connection timeout or grace at most 10 minutes, anything else (a target's budget, a rotation
 * window or command, a client command) at most 24 hours.
 */
export const DURATION_MAX = { connection: 10 * 60_000, long: 24 * 3_600_000 } as const;

/** Parses a duration: `5s`, `500ms`, `2m`, or a plain number of seconds, at most `max`. Returns milliseconds. */
export function parseDuration(flag: string, v: string, max: number = DURATION_MAX.long): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new HarnessError('usage.invalid-value', `${flag} "${safeText(v, 80)}" is not a duration (e.g. 5s, 500ms, 2m, 1h)`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : m[2] === 'h' ? n * 3_600_000 : n * 1000;
  if (!(ms > 0)) throw new HarnessError('usage.invalid-value', `${flag} must be greater than zero`);
  const maxText = max % 3_600_000 === 0 ? `${max / 3_600_000}h` : max % 60_000 === 0 ? `${max / 60_000}m` : `${max} ms`;
  if (!(ms <= max)) throw new HarnessError('usage.invalid-value', `${flag} "${safeText(v, 80)}" is longer than the maximum (${maxText})`);
  return ms;
}

/** Parses a non-negative integer flag. */
export function parseIntFlag(flag: string, v: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw new HarnessError('usage.invalid-value', `${flag} "${v}" must be a whole number between ${min} and ${max}`);
  }
  return n;
}

export function splitList(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The report flags every command that runs checks takes (run, k8s scan, client-test, audit): one
 * per reporter (src/report/reporters), --quiet and --report-mode. Derived when called, so a
 * reporter registered at run time has its flag too.
 */
export function reportOptions(): OptionSpec {
  return { ...reporterOptions(), quiet: { type: 'boolean' }, 'report-mode': { type: 'string' } };
}
