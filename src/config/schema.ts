/**
 * The config file's one schema definition (`mtls.yaml`, or JSON). `load.ts` validates a file by
 * walking it (messages with file, line and key, "did you mean"); `configJsonSchema()` derives the
 * published JSON Schema (schema/mtls-harness.config.schema.json, `npm run schema`) from the same
 * definition, so editors and CI lint the file by the rules the harness applies.
 */
import { PROTOCOLS } from '../core/target.js';

/** What a key holds. `duration` is a string such as 500ms, 5s, 10m, 1h. */
export type Kind =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'duration'
  | 'string[]'
  | 'number[]'
  | 'string|string[]'
  | { t: 'dict'; of: 'string' }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'map'; shape: Shape; docs?: Docs; required?: readonly (readonly string[])[] }
  | { t: 'list'; of: Kind }
  /** A list of `of`, or a string (a file path holding the list). */
  | { t: 'pathOrList'; of: Kind };
export type Shape = Record<string, Kind>;
type Docs = Record<string, string>;

/**
 * A mapping with these keys (no others). `required`: the mapping must hold every key of at least one
 * of the lists (checked after the walk by load.ts, with its own message).
 */
const map = (shape: Shape, docs?: Docs, required?: readonly (readonly string[])[]): Kind => ({
  t: 'map',
  shape,
  ...(docs ? { docs } : {}),
  ...(required ? { required } : {}),
});
const oneOf = (...values: string[]): Kind => ({ t: 'enum', values });

const POLICY = map(
  { minTlsVersion: 'string', warnDays: 'integer', failDays: 'integer', requireTlsRejection: 'boolean' },
  {
    minTlsVersion: 'Lowest TLS version the target may negotiate (1.2 or 1.3; default 1.2).',
    warnDays: 'Warn when a certificate expires within this many days (default 30).',
    failDays: 'Fail when a certificate expires within this many days (default 7).',
    requireTlsRejection: 'A refusal only at the HTTP layer (after the handshake) counts as fail.',
  },
);

const ROTATION = map(
  {
    command: 'string',
    watch: 'duration',
    timeout: 'duration',
    before: 'duration',
    after: 'duration',
    rate: 'number',
    inFlight: 'integer',
    request: 'boolean',
    overlapCert: 'string',
    overlapKey: 'string',
  },
  {
    command: 'A command (run by /bin/sh, in its own process group) that rotates the target.',
    watch: 'Only observe the target for this long (instead of a command).',
    timeout: "The command's time limit (default 10m).",
    before: 'Probing before the command (default 2s).',
    after: 'Probing after the command exits (default 5s).',
    rate: 'Handshakes per second (default 20).',
    inFlight: 'Handshakes open at once (default 4).',
    request: 'One HTTP request per handshake (default true for https).',
    overlapCert: 'A client certificate from the other CA, for rotation.ca-overlap (file or inline PEM).',
    overlapKey: 'Its private key (file or inline PEM).',
  },
);

const TARGET = map(
  {
    name: 'string',
    endpoint: 'string',
    reference: map(
      { implementation: 'string', profile: 'string' },
      {
        implementation: 'A reference server implementation (node, nginx, haproxy, stunnel, openssl, caddy, gnutls, apache, …).',
        profile: 'A reference profile (strict, no-client-auth, …).',
      },
      [['implementation', 'profile']],
    ),
    servername: 'string',
    expectedNames: 'string[]',
    protocol: oneOf(...PROTOCOLS),
    appUser: 'string',
    path: 'string',
    paths: 'string[]',
    tlsMin: 'string',
    tlsMax: 'string',
    ca: 'string',
    cert: 'string',
    key: 'string',
    keyPassphraseEnv: 'string',
    p12: 'string',
    p12PassphraseEnv: 'string',
    caKey: 'string',
    revokedCert: 'string',
    revokedKey: 'string',
    crl: 'string[]',
    fetchCrl: 'boolean',
    clientCa: 'string',
    plaintextPorts: 'number[]',
    expect: map({ serverIdentity: 'string', allowedClientIdentities: 'string[]' }),
    policy: POLICY,
    rotation: ROTATION,
  },
  {
    name: 'A name for the target in the reports (default: its endpoint).',
    endpoint: 'host:port of a live target (or [v6]:port).',
    reference: 'A reference server the harness starts itself, instead of an endpoint.',
    servername: 'SNI and the name the server certificate must cover.',
    expectedNames: 'More names the server certificate must cover.',
    protocol: 'What is spoken around TLS (docs/protocols.md); without it, decided from what the server does.',
    appUser: "The user a database or mail probe logs in as (postgres, mysql, imap, pop3; default the valid client certificate's CN).",
    path: 'HTTP path of the request after the handshake (default /).',
    paths: 'Several HTTP paths: the target is tested once per path (targets `NAME /path`), e.g. where client auth is asked for per path.',
    tlsMin: 'Lowest TLS version the harness offers (1.2, 1.3); not the policy minimum.',
    tlsMax: 'Highest TLS version the harness offers (1.2, 1.3).',
    ca: 'The CA bundle the server certificate must chain to (file or inline PEM).',
    cert: 'The valid client certificate (file or inline PEM).',
    key: 'Its private key (file or inline PEM).',
    keyPassphraseEnv: 'Name of the environment variable holding the key passphrase.',
    p12: 'A PKCS#12 file (.p12/.pfx) with the client certificate, its chain and key, instead of cert and key; never trust anchors.',
    p12PassphraseEnv: 'Name of the environment variable holding the PKCS#12 passphrase (none: the empty passphrase is tried).',
    caKey: "The client CA's private key: the harness then mints the crafted client certificates and their controls.",
    revokedCert:
      'A client certificate your CA has really revoked (file or inline PEM): chain.rejects-revoked-client, and the OCSP check when it names a responder.',
    revokedKey: 'Its private key (file or inline PEM); goes with revokedCert.',
    crl: "Your CA's CRL files (PEM or DER): is the valid client certificate listed? (chain.client-cert-not-revoked)",
    fetchCrl: "Also fetch the valid client certificate's CRL distribution points (http; default false).",
    clientCa: 'The CA the server trusts for clients, when it is not the one in ca.',
    plaintextPorts: 'Ports that must not serve plaintext.',
    expect: 'Identities to check (serverIdentity; allowedClientIdentities).',
    policy: 'Policy for this target (overrides the file-level policy).',
    rotation: 'How the target rotates its certificate (rotation-continuity suite).',
  },
  [['endpoint'], ['reference']],
);

/** One accepted finding (docs/waivers.md): every key is required, checked by src/config/waivers.ts. */
export const WAIVER = map(
  { target: 'string', check: 'string', reason: 'string', expires: 'string', owner: 'string' },
  {
    target: "A glob (* and ?) matched against the target's id, name and endpoint.",
    check: 'A check id or a glob (e.g. chain.*).',
    reason: 'Why the finding is accepted (required; not empty, not a TODO placeholder).',
    expires: 'The last day the waiver holds, YYYY-MM-DD (UTC, inclusive); the day after, the finding fails the run again.',
    owner: 'Who accepted it (a person or team).',
  },
  [['target', 'check', 'reason', 'expires', 'owner']],
);

const CLIENT = map(
  { name: 'string', command: 'string|string[]', env: { t: 'dict', of: 'string' }, timeout: 'duration' },
  {
    name: 'A name for the client in the reports.',
    command: 'A list (run directly) or a string (run by /bin/sh), with {placeholders} such as {url}, {ca}, {cert}, {key}.',
    env: 'Extra environment, values with {placeholders}.',
    timeout: "One run's time limit (default 10s).",
  },
  [['command']],
);

/**
 * The whole file. `reports:` holds one key per report format (their config keys, from the report
 * layer: src/report/reporters); without them (a library caller) any key is taken.
 */
export function configSchema(reportKeys?: readonly string[]): Kind {
  const reports: Kind = reportKeys
    ? map(
        Object.fromEntries(reportKeys.map((k) => [k, 'string' as const])),
        Object.fromEntries(reportKeys.map((k) => [k, REPORT_DOCS[k] ?? `${k} report path.`])),
      )
    : { t: 'dict', of: 'string' };
  return map(
    {
      policy: POLICY,
      failOn: oneOf('warn', 'fail'),
      timeout: 'duration',
      concurrency: 'integer',
      connectionsPerTarget: 'integer',
      targetTimeout: 'duration',
      targetsFile: 'string',
      suites: 'string[]',
      checks: 'string[]',
      reports,
      targets: { t: 'list', of: TARGET },
      clients: { t: 'list', of: CLIENT },
      waivers: { t: 'pathOrList', of: WAIVER },
    },
    {
      policy: 'The policy every target is judged by (minimum TLS version, expiry thresholds).',
      failOn: 'Exit 1 on fail only (default) or on warn too.',
      timeout: 'One connection attempt (default 5s).',
      concurrency: 'Targets scanned at once (1–256, default 16).',
      connectionsPerTarget: 'Connections open at once to one target (default 8).',
      targetTimeout: 'Time one target may take (default max(30s, 6 × timeout)).',
      targetsFile: 'A file with one host:port[,servername] per line (relative to this file).',
      suites: 'Only these suites.',
      checks: "Only these checks: IDs or globs, '!' excludes (e.g. chain.*, !chain.rejects-ca-as-client).",
      reports: 'Where to write the reports (relative to this file).',
      targets: 'Servers to test.',
      clients: 'Clients under test, for client-test.',
      waivers: 'Accepted findings (docs/waivers.md): a list of waivers, or a waivers file (relative to this file).',
    },
  );
}

/** Descriptions of the built-in report formats' keys (the JSON Schema's help text). */
const REPORT_DOCS: Record<string, string> = {
  json: 'JSON report path.',
  junit: 'JUnit XML report path.',
  junitWarnAs:
    'A warned check in the JUnit report: output (default: its testcase\'s own system-out and a status=warn property), failure (<failure type="warn">) or suite (the testsuite\'s system-out only).',
  html: 'HTML evidence report path.',
  pdf: 'PDF evidence report path (needs Chromium).',
};

/** A duration as the harness parses it (src/cli/args.ts parseDuration). */
export const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?(ms|s|m|h)?\\s*$';

type JsonSchema = Record<string, unknown>;

function toJsonSchema(kind: Kind): JsonSchema {
  switch (kind) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
      return { type: kind };
    case 'duration':
      return { type: 'string', pattern: DURATION_PATTERN, description: 'A duration: 500ms, 5s, 2m, 1h.' };
    case 'string[]':
      return { type: 'array', items: { type: 'string' } };
    case 'number[]':
      return { type: 'array', items: { type: 'number' } };
    case 'string|string[]':
      return {
        oneOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', items: { type: 'string' }, minItems: 1 },
        ],
      };
  }
  switch (kind.t) {
    case 'dict':
      return { type: 'object', additionalProperties: { type: kind.of } };
    case 'enum':
      return { enum: [...kind.values] };
    case 'list':
      return { type: 'array', items: toJsonSchema(kind.of) };
    case 'pathOrList':
      return {
        oneOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', items: toJsonSchema(kind.of) },
        ],
      };
    case 'map': {
      const properties: Record<string, JsonSchema> = {};
      for (const [key, sub] of Object.entries(kind.shape)) {
        const s = toJsonSchema(sub);
        const doc = kind.docs?.[key];
        properties[key] = doc ? { ...s, description: doc } : s;
      }
      const out: JsonSchema = { type: 'object', properties, additionalProperties: false };
      if (kind.required?.length === 1) out.required = [...kind.required[0]!];
      else if (kind.required) out.oneOf = kind.required.map((keys) => ({ required: [...keys] }));
      return out;
    }
  }
}

/** The JSON Schema (draft 2020-12) of the config file, derived from `CONFIG_SCHEMA`. */
export function configJsonSchema(reportKeys: readonly string[]): JsonSchema {
  const root = toJsonSchema(configSchema(reportKeys));
  const props = root.properties as Record<string, JsonSchema>;
  props.concurrency = { ...props.concurrency, minimum: 1, maximum: 256 };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'mtls-harness config file (mtls.yaml)',
    description: 'Targets, clients, policy and reports for mtls-harness run, k8s scan and client-test. Relative paths are relative to the file.',
    ...root,
  };
}
