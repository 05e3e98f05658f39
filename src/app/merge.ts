/**
 * Fleet reports (`mtls-harness report merge`, docs/fleet.md): run reports (JSON, schema 2) read
 * back, checked, and merged into one run report whose `sources` keep each file's name, the SHA-256
 * of the bytes read and its own recorded provenance. Every input is hostile: bounded in size, its
 * schema version and shape checked (a usage error, exit 2, naming the file and what is wrong),
 * its summary recomputed from its results and compared with the one it states.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { HarnessError } from '../core/errors.js';
import { SCHEMA_VERSION, type MergeSource, type Provenance, type Result, type RunReport, type TargetReport } from '../core/model.js';
import { STATUSES, summarize, type Summary } from '../core/status.js';
import { safeText } from '../core/text.js';
import { readInputFile } from '../io/files.js';

/** A report larger than this is refused (a 1,000-target run report is about 26 MB). */
export const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/** A source's label: what prefixes its targets' ids. */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const KINDS = new Set(['live', 'reference', 'client', 'files', 'kubernetes']);

/** One run report read and checked, ready to merge. */
export interface ReadSource {
  label: string;
  file: string;
  bytes: number;
  sha256: string;
  doc: RunJson;
}

/** The parts of a JSON run report (docs/reports.md) the merge reads. */
interface RunJson {
  schemaVersion: number;
  tool?: { name: string; version: string };
  run: { startedAt: string; finishedAt: string; incomplete?: MergeSource['incomplete']; provenance?: Provenance };
  sources?: MergeSource[];
  targets: TargetReport[];
  results: Result[];
  summary: Summary;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isTime = (v: unknown): v is string => isString(v) && v.length <= 40 && !Number.isNaN(Date.parse(v));
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The label of a file given without one: its name without `.json`. */
export function defaultLabel(file: string): string {
  return path.basename(file).replace(/\.json$/i, '');
}

/** Checks a label (from --label or a file name). */
export function checkLabel(label: string, file: string): string {
  if (!LABEL.test(label))
    throw new HarnessError(
      'usage.invalid-value',
      `report merge: "${safeText(label, 80)}" (for ${safeText(file, 200)}) is no label: letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit; give one with --label NAME=FILE`,
    );
  return label;
}

/** Reads and checks one run report; `label` names it in the merged report. */
export function readSource(file: string, label: string): ReadSource {
  const what = `report merge: ${safeText(file, 200)}`;
  const bytes = readInputFile(file, 'report', MAX_REPORT_BYTES, 'usage.invalid-value');
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new HarnessError('usage.invalid-value', `${what}: not JSON (${safeText((e as Error).message, 120)}); give the --json report of a run`);
  }
  const bad = (why: string) => new HarnessError('usage.invalid-value', `${what}: ${why}`);
  if (!isObject(doc)) throw bad('not a run report (a JSON object with schemaVersion, run, targets, results)');
  if (doc.schemaVersion === 1) throw bad('schema version 1 (an mtls-harness before issue 17): run it again with this version to merge it');
  if (doc.schemaVersion !== SCHEMA_VERSION)
    throw bad(
      `schema version ${safeText(JSON.stringify(doc.schemaVersion) ?? 'absent', 40)}: this version reads ${SCHEMA_VERSION} (the --json report of run, k8s scan, client-test, audit or demo)`,
    );
  checkShape(doc, bad);
  return { label, file, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), doc: doc as unknown as RunJson };
}

/** The shape the merge relies on; the first thing wrong, said plainly. */
function checkShape(doc: Record<string, unknown>, bad: (why: string) => HarnessError): void {
  const run = doc.run;
  if (!isObject(run) || !isTime(run.startedAt) || !isTime(run.finishedAt)) throw bad('"run" needs startedAt and finishedAt times');
  if (run.provenance !== undefined && (!isObject(run.provenance) || !isString(run.provenance.operator) || !isString(run.provenance.host)))
    throw bad('"run.provenance" needs operator and host');
  if (run.incomplete !== undefined && (!isObject(run.incomplete) || !isString(run.incomplete.reason))) throw bad('"run.incomplete" needs a reason');
  if (doc.tool !== undefined && (!isObject(doc.tool) || !isString(doc.tool.name) || !isString(doc.tool.version))) throw bad('"tool" needs name and version');
  if (!Array.isArray(doc.targets)) throw bad('"targets" is not a list');
  if (!Array.isArray(doc.results)) throw bad('"results" is not a list');
  const ids = new Set<string>();
  for (const [i, t] of doc.targets.entries()) {
    if (!isObject(t) || !isString(t.id) || t.id === '' || t.id.length > 1000 || !isString(t.name) || !isString(t.endpoint) || !KINDS.has(t.kind as string))
      throw bad(`target #${i + 1} needs id, name, endpoint and a known kind`);
    if (ids.has(t.id)) throw bad(`two targets have the id "${safeText(t.id, 100)}"`);
    ids.add(t.id);
    for (const key of ['peerChain', 'clientChain', 'fileCertificates'] as const) {
      const list = t[key];
      if (list === undefined) continue;
      const ok = Array.isArray(list) && list.every((c) => isObject(c) && (key !== 'fileCertificates' || (isString(c.file) && isObject(c.cert))));
      if (!ok) throw bad(`target "${safeText(t.id, 100)}": "${key}" is not a list of certificates`);
      const certs = key === 'fileCertificates' ? list.map((c) => (c as { cert: unknown }).cert) : list;
      if (!certs.every((c) => isObject(c) && isString(c.subject) && isString(c.fingerprintSha256) && isObject(c.sans)))
        throw bad(`target "${safeText(t.id, 100)}": a certificate of "${key}" lacks subject, fingerprint or SANs`);
    }
  }
  for (const [i, r] of doc.results.entries()) {
    const ok =
      isObject(r) &&
      isString(r.targetId) &&
      isString(r.target) &&
      isString(r.suite) &&
      isString(r.check) &&
      isString(r.title) &&
      isString(r.message) &&
      (STATUSES as readonly unknown[]).includes(r.status) &&
      isObject(r.evidence) &&
      typeof r.durationMs === 'number' &&
      (r.remediation === undefined || isString(r.remediation));
    if (!ok) throw bad(`result #${i + 1} needs targetId, target, suite, check, title, a status, message, evidence and durationMs`);
    if (!ids.has(r.targetId as string)) throw bad(`result #${i + 1} names target "${safeText(r.targetId as string, 100)}", which is not in "targets"`);
  }
  if (!isObject(doc.summary) || !STATUSES.every((s) => isCount((doc.summary as Record<string, unknown>)[s]))) throw bad('"summary" needs a count per status');
  const counted = summarize(doc.results as Result[]);
  if (STATUSES.some((s) => counted[s] !== (doc.summary as Summary)[s]))
    throw bad(`its summary (${countsOf(doc.summary as Summary)}) does not match its results (${countsOf(counted)}): the file was altered`);
  if (doc.sources !== undefined) {
    const ok = Array.isArray(doc.sources) && doc.sources.every((s) => isObject(s) && isString(s.label) && isString(s.file) && isString(s.sha256));
    if (!ok) throw bad('"sources" needs label, file and sha256 for each');
  }
}

const countsOf = (s: Summary) => STATUSES.map((k) => `${s[k]} ${k}`).join(', ');

/**
 * The fleet report of `sources` (labels unique, files distinct): their targets with ids prefixed
 * by the label, their results, the summary recomputed, and one `sources` entry each.
 */
export function mergeSources(sources: readonly ReadSource[]): RunReport {
  const labels = new Set<string>();
  const digests = new Map<string, string>();
  for (const s of sources) {
    const other = digests.get(s.sha256);
    if (other !== undefined)
      throw new HarnessError(
        'usage.invalid-value',
        `report merge: ${safeText(s.file, 200)} and ${safeText(other, 200)} are the same report (SHA-256 ${s.sha256})`,
      );
    digests.set(s.sha256, s.file);
    if (labels.has(s.label))
      throw new HarnessError('usage.invalid-value', `report merge: two sources are labelled "${s.label}": give each its own with --label NAME=FILE`);
    labels.add(s.label);
  }
  const targets: TargetReport[] = [];
  const results: Result[] = [];
  for (const s of sources) {
    const prefix = (id: string) => `${s.label}/${id}`;
    for (const t of s.doc.targets) targets.push({ ...t, id: prefix(t.id) });
    for (const r of s.doc.results) results.push({ ...r, targetId: prefix(r.targetId) });
  }
  const started = Math.min(...sources.map((s) => Date.parse(s.doc.run.startedAt)));
  const finished = Math.max(...sources.map((s) => Date.parse(s.doc.run.finishedAt)));
  return {
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: Math.max(0, finished - started),
    targets,
    results,
    summary: summarize(results),
    sources: sources.map(sourceEntry),
  };
}

function sourceEntry(s: ReadSource): MergeSource {
  const { doc } = s;
  return {
    label: s.label,
    file: s.file,
    bytes: s.bytes,
    sha256: s.sha256,
    schemaVersion: doc.schemaVersion,
    ...(doc.tool ? { tool: { name: doc.tool.name, version: doc.tool.version } } : {}),
    startedAt: doc.run.startedAt,
    finishedAt: doc.run.finishedAt,
    ...(doc.run.provenance ? { provenance: doc.run.provenance } : {}),
    ...(doc.sources ? { sources: doc.sources.map((x) => ({ label: x.label, file: x.file, sha256: x.sha256 })) } : {}),
    ...(doc.run.incomplete ? { incomplete: doc.run.incomplete } : {}),
    targets: doc.targets.length,
    summary: summarize(doc.results),
  };
}
