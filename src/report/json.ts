import { toolInfo } from '../version.js';
import type { RunReport } from '../runner/types.js';

export { redactArgv } from '../text.js';
import { redactArgv } from '../text.js';

/** The JSON report (DESIGN.md "Reports"): the machine contract, versioned by `schemaVersion`. */
export function buildJsonReport(run: RunReport, argv: string[]) {
  return {
    schemaVersion: 1 as const,
    tool: { name: toolInfo().name, version: toolInfo().version },
    run: { startedAt: run.startedAt, finishedAt: run.finishedAt, durationMs: run.durationMs, argv: redactArgv(argv), ...(run.settings ? { settings: run.settings } : {}), ...(run.incomplete ? { incomplete: run.incomplete } : {}) },
    targets: run.targets,
    results: run.results,
    summary: run.summary,
  };
}
