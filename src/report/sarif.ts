/**
 * SARIF 2.1.0 (issue 21, docs/sarif.md) for GitHub code scanning and other SARIF viewers: one rule
 * per check of the catalogue (its title, suite, normative references, the fix as help text), one
 * result per finding (fail → error, warn → warning, error → note saying it is not a finding of the
 * server; pass and skip are not results), located at the config file or targets file line the
 * target was written on (an audited credential set: its certificate file), else at an artificial
 * repository-relative path naming the target
 * (`mtls-harness/target/<target id, percent-encoded>`). partialFingerprints are derived from the
 * target id and the check id, so a finding keeps its alert across runs.
 */
import { createHash } from 'node:crypto';
import type { Result, RunReport, TargetReport } from '../core/model.js';
import { toolInfo } from '../io/version.js';
import { CATALOGUE, suiteInfo } from '../../suites/index.js';
import { referencesOf } from '../../suites/references.js';
import { reportJsonChunks } from './json-text.js';

/** The OASIS schema the log declares (fixtures/sarif/sarif-schema-2.1.0.json is this one). */
export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** The folder of the artificial locations of targets not written in a file (`--target`, references started by flags, k8s scan). */
export const ARTIFICIAL_ROOT = 'mtls-harness/target/';
/** The partialFingerprints key: a hash of the target id and the check id (versioned, as GitHub's own keys are). */
export const FINGERPRINT_KEY = 'mtlsHarnessTargetCheck/v1';
/** At most this many distinct fixes seen in a run go into a rule's help text. */
const MAX_FIXES = 3;

type Level = 'error' | 'warning' | 'note';

/** What a status is in SARIF; pass and skip are not results. */
const LEVELS: Partial<Record<Result['status'], Level>> = { fail: 'error', warn: 'warning', error: 'note' };

/** An identifier-like rule name from a check id: `reject.no-client-cert` → `RejectNoClientCert`. */
export function ruleName(checkId: string): string {
  return checkId
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** A file path as a relative URI reference (each segment percent-encoded), or a file: URI when absolute. */
export function fileUri(file: string): { uri: string; uriBaseId?: string } {
  const segments = file.split('/').map((s) => encodeURIComponent(s));
  return file.startsWith('/') ? { uri: `file://${segments.join('/')}` } : { uri: segments.join('/'), uriBaseId: '%SRCROOT%' };
}

/** Where a target's results are shown: the file line it was written on, else the artificial path naming it. */
export function targetLocation(
  t: Pick<TargetReport, 'id' | 'name' | 'endpoint' | 'origin' | 'source' | 'kind' | 'fileCertificates'> | undefined,
  targetId: string,
) {
  const logical = [
    {
      name: t?.name ?? targetId,
      fullyQualifiedName: t?.origin ? `${t.origin.kind}/${t.origin.namespace}/${t.origin.name}${t.origin.section ? ` ${t.origin.section}` : ''}` : targetId,
      kind: 'resource',
    },
  ];
  if (t?.source)
    return {
      physicalLocation: { artifactLocation: fileUri(t.source.file), region: { startLine: t.source.line } },
      logicalLocations: logical,
    };
  // An offline audit's credential set: its first certificate file (the leaf's, for a leaf set).
  const file = t?.kind === 'files' ? t.fileCertificates?.[0]?.file : undefined;
  if (file) return { physicalLocation: { artifactLocation: fileUri(file), region: { startLine: 1 } }, logicalLocations: logical };
  return {
    physicalLocation: { artifactLocation: { uri: ARTIFICIAL_ROOT + encodeURIComponent(targetId), uriBaseId: '%SRCROOT%' }, region: { startLine: 1 } },
    logicalLocations: logical,
    message: { text: `target ${targetId}${t ? ` (${t.endpoint})` : ''}: not written in a config or targets file` },
  };
}

/** The fingerprint of a (target, check) pair: the same across runs of the same configuration. */
export function fingerprint(targetId: string, checkId: string): string {
  return createHash('sha256').update(`${targetId}\n${checkId}`, 'utf8').digest('hex');
}

interface RuleSource {
  id: string;
  title: string;
  suite: string;
}

/** One reportingDescriptor: title, suite, references, and the fixes the run's findings of it carry. */
function rule(r: RuleSource, fixes: readonly string[]) {
  const suite = suiteInfo(r.suite);
  const refs = referencesOf(r.id);
  const where = `What it passes on: docs/CONFORMANCE.md, suite ${r.suite}; docs/checks.md#${r.suite}.`;
  const refText = refs.length ? `References: ${refs.map((x) => `${x.cite} (${x.about})`).join('; ')}.` : '';
  const fixText = fixes.length ? `How to fix: ${fixes.join(' / ')}` : 'How to fix: see each result (the message says what was seen and what to change).';
  const mdRefs = refs.map((x) => `- [${x.cite}](${x.url}): ${x.about}`).join('\n');
  return {
    id: r.id,
    name: ruleName(r.id),
    shortDescription: { text: r.title },
    fullDescription: { text: [`${r.title}.`, `Suite: ${suite?.title ?? r.suite} (${r.suite}).`, refText].filter(Boolean).join(' ') },
    help: {
      text: [fixText, where, refText].filter(Boolean).join('\n'),
      markdown: [`**How to fix:** ${fixes.length ? fixes.join('\n\n') : 'see each result.'}`, where, mdRefs ? `References:\n\n${mdRefs}` : '']
        .filter(Boolean)
        .join('\n\n'),
    },
    ...(refs[0] ? { helpUri: refs[0].url } : {}),
    defaultConfiguration: { level: 'error' },
    properties: {
      tags: ['security', 'mtls', r.suite, ...(suite ? [suite.kind] : [])],
      references: refs.map((x) => ({ cite: x.cite, url: x.url })),
    },
  };
}

/**
 * A waived finding (the waivers branch's `result.waiver`, docs/waivers.md): read structurally, so
 * this builds on a model with or without it. SARIF's own word for it is an accepted suppression.
 */
function suppressions(r: Result) {
  const w = (r as { waiver?: { reason?: unknown; owner?: unknown; expires?: unknown } }).waiver;
  if (!w || typeof w !== 'object') return {};
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const justification = `waived${str(w.owner) ? ` by ${str(w.owner)}` : ''}${str(w.expires) ? ` until ${str(w.expires)}` : ''}: ${str(w.reason)}`;
  return { suppressions: [{ kind: 'external', status: 'accepted', justification }] };
}

/** The message of a result: what was seen, the fix; an inconclusive check says it is not a finding of the server. */
function message(r: Result): string {
  const sentence = (s: string) => (/[.!?)]$/.test(s) ? s : `${s}.`);
  if (r.status === 'error') return `${r.targetId}: inconclusive, not a finding of the server: the harness could not judge this check (${r.message}).`;
  return `${r.targetId}: ${sentence(r.message)}${r.remediation ? ` Fix: ${r.remediation}` : ''}`;
}

/** The SARIF log of a run (docs/sarif.md). */
export function buildSarif(run: RunReport) {
  const findings = run.results.filter((r) => LEVELS[r.status] !== undefined);
  // Rules: every check of the catalogue, then any check of the results it does not know (a corpus case, a caller's own).
  const sources: RuleSource[] = CATALOGUE.flatMap((s) => s.checks.map((c) => ({ id: c.id, title: c.title, suite: s.id })));
  const index = new Map(sources.map((s, i) => [s.id, i]));
  for (const r of findings)
    if (!index.has(r.check)) {
      index.set(r.check, sources.length);
      sources.push({ id: r.check, title: r.title, suite: r.suite });
    }
  const fixes = new Map<string, string[]>();
  for (const r of findings) {
    if (!r.remediation || r.status === 'error') continue;
    const list = fixes.get(r.check) ?? [];
    if (list.length < MAX_FIXES && !list.includes(r.remediation)) list.push(r.remediation);
    fixes.set(r.check, list);
  }
  const targets = new Map(run.targets.map((t) => [t.id, t]));
  const results = findings.map((r) => {
    const t = targets.get(r.targetId);
    return {
      ruleId: r.check,
      ruleIndex: index.get(r.check)!,
      level: LEVELS[r.status]!,
      message: { text: message(r) },
      locations: [targetLocation(t, r.targetId)],
      partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(r.targetId, r.check) },
      ...suppressions(r),
      properties: {
        status: r.status,
        targetId: r.targetId,
        target: r.target,
        ...(t ? { endpoint: t.endpoint } : {}),
        suite: r.suite,
        ...(typeof r.evidence.rejectedAt === 'string' ? { rejectedAt: r.evidence.rejectedAt } : {}),
      },
    };
  });
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: toolInfo().name,
            version: toolInfo().version,
            semanticVersion: toolInfo().version,
            rules: sources.map((s) => rule(s, fixes.get(s.id) ?? [])),
          },
        },
        invocations: [
          {
            executionSuccessful: !run.incomplete,
            startTimeUtc: run.startedAt,
            endTimeUtc: run.finishedAt,
            ...(run.incomplete ? { toolExecutionNotifications: [{ level: 'warning', message: { text: run.incomplete.reason } }] } : {}),
          },
        ],
        results,
        properties: { summary: run.summary },
      },
    ],
  };
}

/** The SARIF log's text in pieces: the containers down to the rules and results arrays are opened, so the largest piece is one rule or result. */
export function sarifChunks(run: RunReport): Iterable<string> {
  return reportJsonChunks(buildSarif(run), 6);
}
