import type { Diagnosis } from '../../probe/diagnose.js';
import type { Policy } from '../../core/target.js';
import type { RunReport } from '../../core/model.js';
import { probeHtmlModel, runHtmlModel, type HtmlModel } from './model.js';
import { renderHtmlReport } from './render.js';

export { renderHtmlReport, streamHtmlReport } from './render.js';
export {
  runHtmlModel,
  runHtmlPage,
  probeHtmlModel,
  probeHtmlPage,
  pageOfModel,
  modelOfPage,
  worstStatus,
  sha256Hex,
  type HtmlModel,
  type HtmlPage,
} from './model.js';

/**
 * The HTML evidence report of a run, as one string. `jsonText` must be the exact bytes of the run's
 * JSON report (`jsonReportText`): the HTML carries their SHA-256 and embeds them. The CLI writes
 * the same bytes streamed (streamHtmlReport of runHtmlPage), never as one string.
 */
export function buildRunHtml(run: RunReport, argv: string[], jsonText: string): string {
  return renderHtmlReport(runHtmlModel(run, argv, jsonText));
}

/** The HTML report of `probe` diagnoses (one target each); `jsonText` is the exact `probe --json` document. */
export function buildProbeHtml(
  ds: Diagnosis[],
  argv: string[],
  jsonText: string,
  timing: { startedAt: string; finishedAt: string; durationMs: number },
  policy: Policy,
  incomplete?: HtmlModel['incomplete'],
): string {
  return renderHtmlReport(probeHtmlModel(ds, argv, jsonText, timing, policy, incomplete));
}
