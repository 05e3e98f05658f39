import { examples } from './format.js';

/** `mtls-harness diff --help`. */
export function diffHelp(): string {
  return `Usage: mtls-harness diff OLD.json NEW.json [options]

Compares two JSON reports (--json of run, k8s scan, audit or client-test):
targets paired by id (else by endpoint, else the one target of each, said so),
results by target and check. Lists NEW findings (warn, fail or error now; pass,
skip or absent before), FIXED ones (a finding before, pass now), other status
changes, targets added and removed, and changed certificates of the peer and
client chains (new leaf, new issuer, expiry moved). A run given a baseline
(run's own option, docs/diff.md) puts the same diff in its reports.

Options:
  --json FILE               the diff as JSON (- for stdout instead of the table)
  --html FILE               the diff as an HTML page
  --fail-on new             exit 1 when there is a new finding (fixed findings
                            and changed certificates alone exit 0)
  --report-mode OCTAL       mode of report files (default 0600; e.g. 0644)

Exit status: 0 (also with new findings, unless --fail-on new); 1 new findings
with --fail-on new, or a report not written; 2 usage error (a file missing,
not JSON, of another schemaVersion, or not a run report).

${examples('mtls-harness diff old.json new.json', 'mtls-harness diff last-audit.json now.json --html changes.html --fail-on new')}`;
}
