import { toolInfo } from '../version.js';
import type { RunReport } from '../runner/types.js';

/** Flags whose values are never written to a report. */
const SECRET_FLAG = /pass|secret|token|password/i;

/** argv with secrets redacted: values of secret-looking flags, inline PEM, `pass:` strings. */
export function redactArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = /^(--[^=]+)=(.*)$/s.exec(a);
    if (eq && SECRET_FLAG.test(eq[1]!) && !/-env$/.test(eq[1]!)) {
      out.push(`${eq[1]}=[REDACTED]`);
      continue;
    }
    if (/-----BEGIN [A-Z ]*-----/.test(a) || /^pass:/.test(a)) {
      out.push('[REDACTED]');
      continue;
    }
    out.push(a);
    if (a.startsWith('--') && !a.includes('=') && SECRET_FLAG.test(a) && !/-env$/.test(a) && i + 1 < argv.length) {
      out.push('[REDACTED]');
      i++;
    }
  }
  return out;
}

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
