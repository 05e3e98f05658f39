import type { RunReport } from '../core/model.js';
import { buildJsonReport, reportJsonChunks, reportJsonText } from './json.js';
import type { ReportDocument } from './reporters/index.js';
import { makeDocument } from './write.js';

export { makeDocument, writeReports } from './write.js';

/** The JSON report's exact bytes, as `--json` writes them (the HTML report carries their SHA-256). */
export function jsonReportText(run: RunReport, argv: string[]): string {
  return reportJsonText(buildJsonReport(run, argv));
}

/** The reports' document of a run (`argv` as typed, for the reports; secrets are redacted there). */
export function runDocument(run: RunReport, argv: string[]): ReportDocument {
  return makeDocument(
    'run',
    () => reportJsonChunks(buildJsonReport(run, argv)),
    async (json) => (await import('./html/model.js')).runHtmlPage(run, argv, json),
    run,
  );
}
