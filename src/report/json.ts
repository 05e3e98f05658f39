import { toolInfo } from '../io/version.js';
import { SCHEMA_VERSION, type RunReport } from '../core/model.js';
import { redactArgv } from '../core/redact.js';
import { CATALOGUE, CORPUS_SUITES, suiteInfo, type SuiteInfo } from '../../suites/index.js';

export { SCHEMA_VERSION } from '../core/model.js';
export { reportJsonChunks, reportJsonText } from './json-text.js';

/**
 * The suites a report's results are in, with their titles and kinds from the catalogue, in
 * catalogue order (a suite the catalogue does not know, e.g. a library caller's own, after them by
 * first appearance, titled by its id, without a kind).
 */
export function reportSuites(results: RunReport['results']): (Omit<SuiteInfo, 'kind'> & { kind?: SuiteInfo['kind'] })[] {
  const ran = new Set<string>();
  for (const r of results) ran.add(r.suite);
  const known = [...CATALOGUE, ...CORPUS_SUITES].filter((s) => ran.has(s.id)).map((s) => suiteInfo(s.id)!);
  const unknown = [...ran].filter((id) => !suiteInfo(id)).map((id) => ({ id, title: id }));
  return [...known, ...unknown];
}

/** The JSON report (docs/reports.md): the machine contract, versioned by `schemaVersion`. */
export function buildJsonReport(run: RunReport, argv: string[]) {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: toolInfo().name, version: toolInfo().version },
    run: {
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      durationMs: run.durationMs,
      argv: redactArgv(argv),
      ...(run.settings ? { settings: run.settings } : {}),
      ...(run.incomplete ? { incomplete: run.incomplete } : {}),
      ...(run.provenance ? { provenance: run.provenance } : {}),
    },
    ...(run.sources ? { sources: run.sources } : {}),
    suites: reportSuites(run.results),
    targets: run.targets,
    results: run.results,
    ...(run.diff ? { diff: run.diff } : {}),
    summary: run.summary,
    ...(run.waivers ? { waivers: run.waivers } : {}),
  };
}
