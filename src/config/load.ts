import type { Protocol } from '../core/target.js';
import { createRequire } from 'node:module';
import type { Node, YAMLMap } from 'yaml';
import { HarnessError } from '../core/errors.js';
import type { FailOn } from '../core/status.js';
import { MAX_CONFIG_BYTES, readInputFile, STDIN } from '../io/files.js';
import { configSchema, type Kind } from './schema.js';
import { similar } from '../core/text.js';

/**
 * The config file (`mtls.yaml`, or JSON), as written by the user. Every field is optional except
 * `targets[].endpoint` (or `targets[].reference`). Paths are relative to the file's directory.
 * Documented in README.md ("Config file").
 */
export interface FileConfig {
  policy?: FilePolicy;
  failOn?: FailOn;
  timeout?: string;
  /** Targets scanned at once (default 16). */
  concurrency?: number;
  /** Connections open at once to one target (default 8). */
  connectionsPerTarget?: number;
  /** Time one target may take (default max(30s, 6 × timeout)). */
  targetTimeout?: string;
  /** A file with one `host:port[,servername]` per line (relative to this file). */
  targetsFile?: string;
  suites?: string[];
  checks?: string[];
  /** Report files by reporter (src/report/reporters): json, junit, html, pdf … */
  reports?: Partial<Record<string, string>>;
  targets?: FileTarget[];
  /** Clients under test for `client-test` (README "client-test"). */
  clients?: FileClient[];
  /** Accepted findings (docs/waivers.md): the entries, or a waivers file relative to this file. */
  waivers?: FileWaiver[] | string;
}

/** A waiver entry as written (docs/waivers.md); checked by src/config/waivers.ts. */
export interface FileWaiver {
  target?: string;
  check?: string;
  reason?: string;
  expires?: string;
  owner?: string;
  /** Line of the entry in the file, for messages. */
  line?: number;
}

/** A client under test: a command the harness runs against its reference servers. */
export interface FileClient {
  name?: string;
  /** A list (run directly) or a string (run by /bin/sh), with {placeholders}. */
  command: string[] | string;
  /** Extra environment, values with {placeholders}. */
  env?: Record<string, string>;
  /** One run's time limit, e.g. 10s (default 10s). */
  timeout?: string;
  /** Line of the client in the file, for messages. */
  line?: number;
}

export interface FilePolicy {
  minTlsVersion?: string;
  warnDays?: number;
  failDays?: number;
  requireTlsRejection?: boolean;
}

/** How a live target rotates (README "Rotation"). Durations like 500ms, 5s, 10m. */
export interface FileRotation {
  /** A command (run by /bin/sh) that rotates the target, e.g. `kubectl rollout restart deploy/x && kubectl rollout status deploy/x`. */
  command?: string;
  /** Only observe for this long. */
  watch?: string;
  /** The command's time limit (default 10m). */
  timeout?: string;
  /** Probing before the command and after it exits (defaults 2s and 5s). */
  before?: string;
  after?: string;
  /** Handshakes per second (default 20) and open at once (default 4). */
  rate?: number;
  inFlight?: number;
  /** One HTTP request per handshake (default true for https). */
  request?: boolean;
  /** A client certificate and key from the other CA, for rotation.ca-overlap. */
  overlapCert?: string;
  overlapKey?: string;
}

export interface FileTarget {
  name?: string;
  endpoint?: string;
  reference?: { implementation: string; profile: string };
  servername?: string;
  expectedNames?: string[];
  appUser?: string;
  protocol?: Protocol;
  path?: string;
  /** Several HTTP paths: one target per path (`path` is the one-path form). */
  paths?: string[];
  /** TLS versions the harness offers this target (not the policy minimum). */
  tlsMin?: string;
  tlsMax?: string;
  /** A file path or inline PEM. */
  ca?: string;
  cert?: string;
  key?: string;
  keyPassphraseEnv?: string;
  /** A PKCS#12 file: the client certificate, its chain and key (instead of cert and key). */
  p12?: string;
  p12PassphraseEnv?: string;
  caKey?: string;
  /** A client certificate the CA has revoked, and its key (file paths or inline PEM). */
  revokedCert?: string;
  revokedKey?: string;
  /** CRL files for chain.client-cert-not-revoked, and whether the certificate's distribution points are fetched. */
  crl?: string[];
  fetchCrl?: boolean;
  clientCa?: string;
  plaintextPorts?: number[];
  expect?: { serverIdentity?: string; allowedClientIdentities?: string[] };
  policy?: FilePolicy;
  rotation?: FileRotation;
  /** Line of the target in the file, for messages. */
  line?: number;
}

/**
 * Reads and validates a config file. Every mistake is a `config.invalid` error (exit 2) that names
 * the file, the line and the key: "mtls.yaml:7: targets[0].endpont is not a known key (did you mean endpoint?)".
 */
/**
 * `reportKeys`: the keys `reports:` may hold (the report formats' config keys, which the layers above
 * know: src/report/reporters); without them any key is taken.
 */
export function loadConfigFile(file: string, reportKeys?: readonly string[]): FileConfig {
  const text = readInputFile(file, 'config file', MAX_CONFIG_BYTES).toString('utf8');
  return parseConfigText(text, file === STDIN ? '(stdin)' : file, reportKeys);
}

export function parseConfigText(text: string, file: string, reportKeys?: readonly string[]): FileConfig {
  const cfg = (parseYamlAs(text, file, configSchema(reportKeys)) ?? {}) as FileConfig;
  return checkConfig(cfg, file);
}

/**
 * Parses YAML (or JSON) text and walks it by `kind` (the config schema's kinds): every mistake is a
 * `config.invalid` error naming the file, the line and the key. Undefined for an empty document.
 */
export function parseYamlAs(text: string, file: string, kind: Kind): unknown {
  // yaml (about 30 ms of module loading) is loaded when a config file is read, not by every command.
  const { isMap, isScalar, isSeq, LineCounter, parseDocument } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const lineOf = (n: Node | null | undefined) => (n?.range ? lc.linePos(n.range[0]).line : 1);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line;
    throw new HarnessError('config.invalid', `${file}:${line}: not valid YAML/JSON: ${e.message.split('\n')[0]}`);
  }
  if (doc.contents === null) return undefined;
  const fail = (n: Node | null | undefined, msg: string): never => {
    throw new HarnessError('config.invalid', `${file}:${lineOf(n)}: ${msg}`);
  };

  const walk = (node: Node | null | undefined, kind: Kind, where: string): unknown => {
    if (kind === 'string' || kind === 'number' || kind === 'boolean' || kind === 'duration') {
      const type = kind === 'duration' ? 'string' : kind;
      if (!isScalar(node) || typeof node.value !== type) fail(node, `${where} must be a ${kind === 'duration' ? 'duration (e.g. 5s, 500ms, 2m)' : kind}`);
      return (node as { value: unknown }).value;
    }
    if (kind === 'integer') {
      if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) fail(node, `${where} must be a whole number`);
      return (node as { value: unknown }).value;
    }
    if (kind === 'string|string[]') return isSeq(node) ? walk(node, 'string[]', where) : walk(node, 'string', where);
    if (kind === 'string[]' || kind === 'number[]') {
      const item = kind === 'string[]' ? 'string' : 'number';
      if (!isSeq(node)) fail(node, `${where} must be a list of ${item}s`);
      return (node as { items: Node[] }).items.map((n, i) => walk(n, item, `${where}[${i}]`));
    }
    if (kind.t === 'dict') {
      if (!isMap(node)) fail(node, `${where} must be a mapping of names to ${kind.of}s`);
      const out: Record<string, unknown> = {};
      for (const pair of (node as YAMLMap).items) {
        const key = isScalar(pair.key) ? String((pair.key as { value: unknown }).value) : '?';
        out[key] = walk(pair.value as Node, kind.of, `${where}.${key}`);
      }
      return out;
    }
    if (kind.t === 'enum') {
      if (!isScalar(node) || typeof node.value !== 'string' || !kind.values.includes(node.value))
        fail(node, `${where} must be one of ${kind.values.join(', ')}`);
      return (node as { value: unknown }).value;
    }
    if (kind.t === 'pathOrList') {
      if (isSeq(node)) return walk(node, { t: 'list', of: kind.of }, where);
      if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') fail(node, `${where} must be a list or a file path`);
      return (node as { value: unknown }).value;
    }
    if (kind.t === 'list') {
      if (!isSeq(node)) fail(node, `${where} must be a list`);
      return (node as { items: Node[] }).items.map((n, i) => {
        const v = walk(n, kind.of, `${where}[${i}]`) as Record<string, unknown>;
        return { ...v, line: lineOf(n) };
      });
    }
    if (!isMap(node)) return fail(node, `${where || 'the file'} must be a mapping`);
    const out: Record<string, unknown> = {};
    for (const pair of (node as YAMLMap).items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : '?';
      const path = where ? `${where}.${key}` : key;
      const sub = kind.shape[key];
      if (!sub) {
        const near = Object.keys(kind.shape).find((k) => similar(k, key));
        fail(keyNode, `${path} is not a known key${near ? ` (did you mean ${near}?)` : `; known keys here: ${Object.keys(kind.shape).join(', ')}`}`);
      }
      out[key] = walk(pair.value as Node, sub!, path);
    }
    return out;
  };
  return walk(doc.contents as Node, kind, '');
}

/** The config file's rules across keys (after the walk checked each key). */
function checkConfig(cfg: FileConfig, file: string): FileConfig {
  for (const [i, t] of (cfg.targets ?? []).entries()) {
    if (!t.endpoint && !t.reference)
      throw new HarnessError('config.invalid', `${file}:${t.line}: targets[${i}] needs an endpoint (host:port) or a reference (implementation, profile)`);
    if (t.endpoint && t.reference) throw new HarnessError('config.invalid', `${file}:${t.line}: targets[${i}] has both an endpoint and a reference; give one`);
    const r = t.rotation;
    if (r?.command !== undefined && r.watch !== undefined)
      throw new HarnessError(
        'config.invalid',
        `${file}:${t.line}: targets[${i}].rotation has both command and watch; give one (a command to trigger the rotation, or a window to watch)`,
      );
    if (t.reference && (!t.reference.implementation || !t.reference.profile))
      throw new HarnessError('config.invalid', `${file}:${t.line}: targets[${i}].reference needs an implementation and a profile`);
    if (r && !!r.overlapCert !== !!r.overlapKey)
      throw new HarnessError('config.invalid', `${file}:${t.line}: targets[${i}].rotation.overlapCert and overlapKey go together`);
  }
  for (const [i, c] of (cfg.clients ?? []).entries()) {
    if (c.command === undefined || (Array.isArray(c.command) ? c.command.length === 0 : !c.command.trim()))
      throw new HarnessError('config.invalid', `${file}:${c.line}: clients[${i}] needs a command (a list, or a string run by /bin/sh)`);
  }
  if (cfg.concurrency !== undefined && (!Number.isInteger(cfg.concurrency) || cfg.concurrency < 1 || cfg.concurrency > 256)) {
    throw new HarnessError('config.invalid', `${file}: concurrency must be a whole number from 1 to 256`);
  }
  return cfg;
}
