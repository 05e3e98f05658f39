import { examples } from './format.js';

/** `mtls-harness github --help`. */
export function githubHelp(): string {
  return `Usage: mtls-harness github REPORT.json [--summary FILE] [--max-annotations N]

For a GitHub Actions step (the repository's action.yml runs it): reads a JSON
report of run, audit, k8s scan or client-test and prints a workflow command per
finding, ::error for fail, ::warning for warn, ::notice for an inconclusive
check (error: no finding of the server), placed on the config or targets file
line of the target when it has one; and appends a markdown summary (verdict,
a line per target, the findings) to the step summary. Text from the report is
escaped by GitHub's rules. Exit 0 once written: the run's exit status is the
verdict (docs/ci-integrations.md).

Options:
  --summary FILE            append the markdown summary here (default
                            $GITHUB_STEP_SUMMARY; neither: no summary)
  --max-annotations N       at most N annotations of each kind (default 10,
                            what GitHub shows of a step), then one notice

${examples('mtls-harness github reports/mtls.json', 'mtls-harness github r.json --summary summary.md --max-annotations 50')}`;
}
