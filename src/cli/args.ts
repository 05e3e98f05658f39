import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HarnessError } from '../core/errors.js';
import { reporterOptions } from '../report/reporters/index.js';
import { closest, safeText } from '../core/text.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict checking, turning its errors into one-line usage errors (exit 2). */
export function parseCommandArgs(
  command: string,
  argv: string[],
  options: OptionSpec,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const msg = err.message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const name = /'(-[^']*)'/.exec(msg)?.[1]?.replace(/=.*$/, '');
      const hint = name ? didYouMean(name, Object.keys(options)) : undefined;
      throw new HarnessError(
        'usage.unknown-option',
        `${command}: ${safeText(msg, 200)}${hint ? ` (did you mean ${hint}?)` : ` (see mtls-harness ${command} --help)`}`,
      );
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
  pkcs12: 'p12',
  pfx: 'p12',
  keystore: 'p12',
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

export { DURATION_MAX, parseDuration, parseIntFlag, splitList } from '../config/values.js';

/**
 * The flags of a connection to a target, the same in every command that connects (probe, run, k8s
 * scan): trust anchors, the client credential, names, TLS versions offered, protocol and path, the
 * connection timeout, the expiry thresholds and TLS-layer refusal.
 */
export const CONNECTION_OPTIONS: OptionSpec = {
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'key-passphrase-env': { type: 'string' },
  p12: { type: 'string' },
  'p12-passphrase-env': { type: 'string' },
  servername: { type: 'string' },
  'tls-min': { type: 'string' },
  'tls-max': { type: 'string' },
  'max-tls': { type: 'string' },
  protocol: { type: 'string' },
  'app-user': { type: 'string' },
  path: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  'warn-days': { type: 'string' },
  'fail-days': { type: 'string' },
  'require-tls-rejection': { type: 'boolean' },
  concurrency: { type: 'string' },
};

/**
 * The report flags every command that runs checks takes (run, k8s scan, client-test, audit): one
 * per reporter (src/report/reporters), --quiet and --report-mode. Derived when called, so a
 * reporter registered at run time has its flag too.
 */
export function reportOptions(): OptionSpec {
  return { ...reporterOptions(), quiet: { type: 'boolean' }, compact: { type: 'boolean' }, 'report-mode': { type: 'string' } };
}
