/**
 * A JSON run report read back for a comparison (`diff old.json new.json`, `run --baseline FILE`).
 * The file is hostile input: its size is bounded before it is read, its `schemaVersion` checked,
 * and every field the comparison reads is checked for its type; anything else is exit 2 with one
 * line naming the file and the field. Strings are kept as they are (the displays make them safe).
 */
import { createHash } from 'node:crypto';
import { HarnessError } from '../core/errors.js';
import { SCHEMA_VERSION } from '../core/model.js';
import { STATUSES, type Status } from '../core/status.js';
import { readInputFile } from '../io/files.js';
import type { ComparableCert, ComparableResult, ComparableRun, ComparableTarget, RunSource } from './diff.js';

/** The largest report file read (a 3,000-target JSON report is about 93 MB). */
export const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/** A report read from a file: what the comparison reads of it, and where it came from. */
export interface ReadReport {
  run: ComparableRun;
  source: Required<RunSource>;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads fields of a hostile document, each failure one line naming the file and the field. */
class Fields {
  constructor(
    private readonly what: string,
    private readonly limit: number,
  ) {}

  bad(where: string, why: string): never {
    throw new HarnessError(
      'usage.invalid-value',
      `${this.what}: ${where} ${why}: not a run report of mtls-harness (--json of run, k8s scan, audit or client-test)`,
    );
  }

  obj(v: unknown, where: string): Obj {
    return isObj(v) ? v : this.bad(where, 'is not an object');
  }

  str(o: Obj, key: string, where: string): string {
    const v = o[key];
    return typeof v === 'string' ? v.slice(0, this.limit) : this.bad(`${where}.${key}`, 'is not a string');
  }

  arr(o: Obj, key: string, where: string, optional = false): unknown[] {
    const v = o[key];
    if (v === undefined && optional) return [];
    return Array.isArray(v) ? v : this.bad(`${where}.${key}`, 'is not a list');
  }
}

function certs(f: Fields, o: Obj, key: 'peerChain' | 'clientChain', where: string): ComparableCert[] {
  return f.arr(o, key, where, true).map((c, i) => {
    const w = `${where}.${key}[${i}]`;
    const cert = f.obj(c, w);
    return { fingerprintSha256: f.str(cert, 'fingerprintSha256', w), issuer: f.str(cert, 'issuer', w), notAfter: f.str(cert, 'notAfter', w) };
  });
}

/** The comparable run of a parsed JSON report; `what` names it in messages (`diff: old.json`). */
export function comparableOf(doc: unknown, what: string): ComparableRun {
  const f = new Fields(what, 4000);
  if (!isObj(doc)) return f.bad('the document', 'is not a JSON object');
  const version = doc.schemaVersion;
  if (typeof version !== 'number') return f.bad('schemaVersion', 'is missing');
  if (version !== SCHEMA_VERSION)
    throw new HarnessError(
      'usage.invalid-value',
      version < SCHEMA_VERSION
        ? `${what}: schemaVersion ${version} is older than this harness compares (${SCHEMA_VERSION}): run the targets again with this version to make a baseline`
        : `${what}: schemaVersion ${version} was written by a newer mtls-harness (this one reads ${SCHEMA_VERSION}): compare it with that version`,
    );
  if (typeof doc.kind === 'string') return f.bad('kind', `is "${doc.kind.slice(0, 40)}"`);
  const run = f.obj(doc.run, 'run');
  const targets: ComparableTarget[] = f.arr(doc, 'targets', 'the document').map((t, i) => {
    const w = `targets[${i}]`;
    const o = f.obj(t, w);
    const peer = certs(f, o, 'peerChain', w);
    const client = certs(f, o, 'clientChain', w);
    return {
      id: f.str(o, 'id', w),
      endpoint: f.str(o, 'endpoint', w),
      ...(peer.length ? { peerChain: peer } : {}),
      ...(client.length ? { clientChain: client } : {}),
    };
  });
  const results: ComparableResult[] = f.arr(doc, 'results', 'the document').map((r, i) => {
    const w = `results[${i}]`;
    const o = f.obj(r, w);
    const status = f.str(o, 'status', w);
    if (!STATUSES.includes(status as Status)) f.bad(`${w}.status`, `is not one of ${STATUSES.join(', ')}`);
    return { targetId: f.str(o, 'targetId', w), check: f.str(o, 'check', w), status: status as Status, message: f.str(o, 'message', w) };
  });
  return { startedAt: f.str(run, 'startedAt', 'run'), finishedAt: f.str(run, 'finishedAt', 'run'), targets, results };
}

/**
 * Reads a JSON run report (`-`: standard input) for a comparison: exit 2 for a file that is
 * missing, too large (MAX_REPORT_BYTES), not JSON, of another schemaVersion, or not a run report.
 */
export function readReportFile(file: string, command: string): ReadReport {
  const what = `${command}: ${file}`;
  const bytes = readInputFile(file, `${command}: report`, MAX_REPORT_BYTES, 'usage.invalid-value');
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new HarnessError(
      'usage.invalid-value',
      `${what} is not JSON (${(e as Error).message.split('\n')[0]!.slice(0, 120)}): give a --json report of mtls-harness`,
    );
  }
  return { run: comparableOf(doc, what), source: { file, sha256: createHash('sha256').update(bytes).digest('hex') } };
}
