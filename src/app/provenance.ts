/**
 * Provenance (docs/evidence.md): who ran a command, where, with which versions, and the full
 * settings beyond the command line the report already records (its `argv`): the policy in force,
 * the config file and its SHA-256, the MTLS_* variables, and every file a flag named with its
 * SHA-256 and the fingerprints of the certificates in it. Key material never: a key file (or any
 * file holding a private key, or a PKCS#12 bundle) is recorded by its path only.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Provenance, ProvenanceFile } from '../core/model.js';
import type { Policy } from '../core/target.js';
import { readInputFile } from '../io/files.js';
import { toolInfo } from '../io/version.js';
import { parseCertificates } from '../pki/inspect.js';
import { optionName, REPORTERS } from '../report/reporters/index.js';

/** The variable that overrides `user@host` (CI: the pipeline's identity, e.g. `gitlab-ci@project`). */
export const OPERATOR_ENV = 'MTLS_OPERATOR';

/** A file a flag names is hashed up to this size (a larger one is recorded by its path). */
const MAX_HASHED = 16 * 1024 * 1024;

/** Flags and variables whose value names key material (path only) or a secret (redacted). */
const KEY_FLAG = /key|p12|pfx/i;
const SECRET_VALUE = /pass|secret|token|bearer|api-?key|credential|auth/i;
/** MTLS_* variables that name a file or a secret's variable, not a secret: kept as they are. */
const NAMES_ONLY = /(?:_ENV|_FILE|_PATH|_DIR)$/;

export interface ProvenanceInput {
  /** The command as reports name it (`run`, `k8s scan`, `report merge` …). */
  command: string;
  /** The parsed flags (by option name): every string value naming an existing file is recorded. */
  values?: Record<string, unknown>;
  /** Positional arguments naming files (audit paths, merged reports). */
  files?: readonly string[];
  env: NodeJS.ProcessEnv;
  configFile?: string | undefined;
  policy?: Policy;
}

/** `user@host` from the system, or $MTLS_OPERATOR. */
export function operatorOf(env: NodeJS.ProcessEnv): { operator: string; operatorFrom: Provenance['operatorFrom'] } {
  const given = env[OPERATOR_ENV]?.trim();
  if (given) return { operator: given.slice(0, 200), operatorFrom: 'MTLS_OPERATOR' };
  let user = env.USER ?? env.LOGNAME ?? 'unknown';
  try {
    user = os.userInfo().username || user;
  } catch {
    /* no passwd entry (containers running as a bare uid): the environment's name */
  }
  return { operator: `${user}@${os.hostname() || 'localhost'}`, operatorFrom: 'system' };
}

/** The provenance of a command about to write its reports. */
export function collectProvenance(input: ProvenanceInput): Provenance {
  const env = input.env;
  const environment: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('MTLS_') || name === 'MTLS_HARNESS_DEBUG') continue;
    const value = env[name] ?? '';
    environment[name] = SECRET_VALUE.test(name) && !NAMES_ONLY.test(name) ? '[REDACTED]' : value.slice(0, 1000);
  }
  const files: ProvenanceFile[] = [];
  const seen = new Set<string>();
  const add = (from: string, file: string) => {
    const key = `${from}\u0000${file}`;
    if (file === '' || file === '-' || seen.has(key)) return;
    seen.add(key);
    const f = fileRecord(from, file);
    if (f) files.push(f);
  };
  // Report files are outputs (and may be left over from an earlier run): not inputs.
  const outputs = new Set(['config', ...Object.values(REPORTERS).map(optionName)]);
  for (const [name, value] of Object.entries(input.values ?? {})) {
    if (outputs.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') add(`--${name}`, v);
  }
  for (const f of input.files ?? []) add('argument', f);
  const config = input.configFile && input.configFile !== '-' ? fileRecord('--config', input.configFile) : undefined;
  return {
    ...operatorOf(env),
    host: os.hostname() || 'localhost',
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    versions: { tool: toolInfo().version, node: process.versions.node, openssl: process.versions.openssl ?? 'unknown' },
    cwd: process.cwd(),
    command: input.command,
    ...(input.policy ? { policy: input.policy } : {}),
    ...(config?.sha256 ? { config: { path: config.path, sha256: config.sha256 } } : {}),
    environment,
    files,
  };
}

/**
 * One file a flag named: undefined when the value is no regular file (a host name, a number); its
 * SHA-256 and certificates, or its path only for key material.
 */
function fileRecord(from: string, file: string): ProvenanceFile | undefined {
  let bytes: Buffer;
  try {
    bytes = readInputFile(file, 'file', MAX_HASHED);
  } catch {
    return undefined;
  }
  const shown = path.isAbsolute(file) ? file : path.normalize(file);
  const text = bytes.toString('latin1');
  if ((KEY_FLAG.test(from) && !/cert/i.test(from)) || /\.(?:p12|pfx|key)$/i.test(file)) return { from, path: shown, note: 'key material: path only' };
  if (text.includes('PRIVATE KEY')) return { from, path: shown, note: 'holds a private key: path only' };
  const out: ProvenanceFile = { from, path: shown, sha256: createHash('sha256').update(bytes).digest('hex') };
  if (text.includes('-----BEGIN ') && text.includes('CERTIFICATE-----')) {
    try {
      out.certificates = parseCertificates(bytes, file).map((c) => ({ subject: c.subject.replace(/\n/g, ', '), fingerprintSha256: c.fingerprint256 }));
    } catch {
      /* not parseable: its digest only */
    }
  }
  return out;
}
