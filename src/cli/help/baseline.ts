import { examples, REPORT_MODE_LINE } from './format.js';

/** `mtls-harness baseline --help`. */
export function baselineHelp(): string {
  return `Usage: mtls-harness baseline REPORT.json [--out FILE] [--expires DATE|90d]

Writes a waivers file (docs/waivers.md) from the JSON report of a run or a
k8s scan: one entry per fail, warn and error result, its target the target's
id. Every entry has an empty reason and owner: the file is refused until a
human writes why each finding is accepted, and who accepted it (delete the
entries you do not accept). Then give the file to run or k8s scan (their
waivers option).

Options:
  --out FILE                write the file here (mode 0600) instead of stdout
  --expires DATE|Nd         each entry's last day, YYYY-MM-DD (UTC) or days
                            from today (default 90d)
${REPORT_MODE_LINE}

${examples('mtls-harness baseline report.json > mtls-waivers.yaml', 'mtls-harness baseline report.json --out mtls-waivers.yaml --expires 30d')}`;
}
