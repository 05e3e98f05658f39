import { toolInfo } from '../io/version.js';
import type { RunReport } from '../core/model.js';

import { redactArgv } from '../core/redact.js';

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

/**
 * Characters a JSON report escapes as `\uXXXX` although JSON.stringify leaves them raw: C1
 * controls, DEL, bidi embeddings/overrides/isolates and marks, zero-width characters, the line and
 * paragraph separators and the BOM. Certificates and servers are hostile text: a raw U+202E in a
 * subject makes the report display as something else in a terminal or editor. Escaped, the file
 * shows `\u202e` while every JSON parser still reads back the exact value.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** A report's JSON text (2-space indent, final newline) with JSON_UNSAFE characters escaped. */
export function reportJsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}
