import { appendFileSync } from 'node:fs';
import { HarnessError } from '../../core/errors.js';
import { parseIntFlag } from '../../config/values.js';
import { readInputFile } from '../../io/files.js';
import { annotationLines, DEFAULT_MAX_ANNOTATIONS, parseGithubInput, stepSummary } from '../../report/github.js';
import { parseCommandArgs } from '../args.js';
import { githubHelp } from '../help/github.js';
import type { CliIO } from '../io.js';

/** A JSON report is read whole: at most this large (a 1,000-target report is about 26 MB). */
const MAX_REPORT_BYTES = 512 * 1024 * 1024;

/** `mtls-harness github REPORT.json`: workflow-command annotations on stdout, the markdown step summary appended to a file. */
export async function githubCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs('github', argv, { summary: { type: 'string' }, 'max-annotations': { type: 'string' } });
  if (values.help) {
    io.stdout.write(githubHelp());
    return 0;
  }
  if (positionals.length !== 1) throw new HarnessError('usage.missing-argument', 'github: give one JSON report (mtls-harness github REPORT.json)');
  const max =
    values['max-annotations'] !== undefined ? parseIntFlag('--max-annotations', values['max-annotations'] as string, 0, 10_000) : DEFAULT_MAX_ANNOTATIONS;
  const file = positionals[0]!;
  const input = parseGithubInput(readInputFile(file, 'JSON report', MAX_REPORT_BYTES, 'usage.invalid-value').toString('utf8'), file);
  const summaryFile = (values.summary as string | undefined) ?? (io.env.GITHUB_STEP_SUMMARY || undefined);
  if (summaryFile !== undefined) {
    try {
      appendFileSync(summaryFile, stepSummary(input), { mode: 0o600 });
    } catch (e) {
      throw new HarnessError(
        'usage.invalid-value',
        `github: cannot append the step summary to ${summaryFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  for (const line of annotationLines(input, max)) io.stdout.write(`${line}\n`);
  return 0;
}
