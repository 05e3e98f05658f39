import { safeText } from '../core/text.js';
import { DEFAULT_REPORT_MODE, writeFileAtomic } from '../io/files.js';
import type { RunReport } from '../core/model.js';
import { buildJsonReport, reportJsonText } from './json.js';
import { buildJunitXml } from './junit.js';
import { buildRunHtml } from './html/index.js';
import { findChromium, printHtmlToPdf } from './pdf.js';

/** Where a run's reports go (`-` for stdout). Each one is optional. */
export interface ReportOutputs {
  json?: string | undefined;
  junit?: string | undefined;
  html?: string | undefined;
  pdf?: string | undefined;
}

/** A report format: how to render it, and whether it may go to stdout. */
export interface ReportWriter {
  what: string;
  /** Renders the report's bytes (may be async, e.g. printing to PDF in a browser). */
  render(): string | Buffer | Promise<string | Buffer>;
}

/**
 * Writes each report on its own: one failing (unwritable path, renderer error) never loses another's
 * output, and the failure is one plain line on stderr. Each is written atomically with `mode` (0600 by
 * default: reports hold evidence). Returns false when any report failed.
 */
export async function writeReportFiles(
  writers: { file: string; writer: ReportWriter }[],
  io: { stdout: { write(s: string | Buffer): unknown }; stderr: { write(s: string): unknown } },
  mode: number = DEFAULT_REPORT_MODE,
): Promise<boolean> {
  let ok = true;
  for (const { file, writer } of writers) {
    try {
      const bytes = await writer.render();
      if (file === '-') {
        io.stdout.write(bytes);
        continue;
      }
      writeFileAtomic(file, bytes, mode); // temp file + rename: a symlink at `file` is replaced, never followed
    } catch (e) {
      ok = false;
      const err = e as NodeJS.ErrnoException;
      const reason = err.code && /^E[A-Z]+$/.test(err.code) ? err.code : (err.message ?? String(e)).split('\n')[0];
      io.stderr.write(`mtls-harness: error: could not write the ${writer.what} report to ${safeText(file, 300)}: ${safeText(String(reason), 300)}\n`);
    }
  }
  return ok;
}

/** The JSON report's exact bytes, as `--json` writes them (the HTML report carries their SHA-256). */
export function jsonReportText(run: RunReport, argv: string[]): string {
  return reportJsonText(buildJsonReport(run, argv));
}

/**
 * Writers for a run's reports. The HTML carries the SHA-256 of the JSON report's bytes (the same
 * bytes `--json` writes); the PDF is that HTML printed by Chromium (`chromiumPath`, resolved up front).
 */
export function runReportWriters(run: RunReport, argv: string[], out: ReportOutputs, chromiumPath?: string): { file: string; writer: ReportWriter }[] {
  const list: { file: string; writer: ReportWriter }[] = [];
  let json: string | undefined;
  const jsonText = () => (json ??= jsonReportText(run, argv));
  let html: string | undefined;
  const htmlText = () => (html ??= buildRunHtml(run, argv, jsonText()));
  if (out.json) list.push({ file: out.json, writer: { what: 'JSON', render: jsonText } });
  if (out.junit) list.push({ file: out.junit, writer: { what: 'JUnit', render: () => buildJunitXml(run) } });
  if (out.html) list.push({ file: out.html, writer: { what: 'HTML', render: htmlText } });
  if (out.pdf) list.push({ file: out.pdf, writer: { what: 'PDF', render: () => printHtmlToPdf(htmlText(), chromiumPath ?? findChromium()) } });
  return list;
}
