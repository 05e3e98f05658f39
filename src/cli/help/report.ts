import { examples, FAIL_ON_LINE } from './format.js';
import { reportsSection } from './reports.js';

/** `mtls-harness report --help` (and `report merge --help`). */
export function reportHelp(): string {
  return `Usage: mtls-harness report merge FILE.json... [--label NAME=FILE] [reports]

Works on reports already written.

report merge: merges the JSON run reports of several runs (one per cluster,
environment, ...) into one fleet report: each source's file name, the SHA-256
of its bytes (the digest its own HTML and PDF print) and its recorded
provenance, a per-source summary, every target kept distinct (its id prefixed
by the source's label), the results and the summary recomputed. Exit 1 when a
merged result fails the run (--fail-on), 2 when a file is not a run report of
schema version 2 (or too large, altered, given twice). docs/fleet.md

Options:
  --label NAME=FILE         the label of FILE's targets (default: the file name
                            without .json; repeat for several files)
${FAIL_ON_LINE}
${reportsSection()}

${examples(
  'mtls-harness report merge prod.json staging.json --html fleet.html --junit fleet.xml',
  'mtls-harness report merge --label eu=eu/r.json --label us=us/r.json eu/r.json us/r.json --json fleet.json',
)}`;
}
