/**
 * `mtls-harness diff OLD.json NEW.json`: what changed between two runs (docs/diff.md): new findings,
 * fixed ones, other status changes, targets added and removed, changed certificates; as a table,
 * `--json FILE|-` and `--html FILE`. Exit 0, or 1 with `--fail-on new` when there are new findings.
 */
import { HarnessError } from '../../core/errors.js';
import type { RunDiff } from '../../core/diff.js';
import { SCHEMA_VERSION } from '../../core/model.js';
import { redactArgv } from '../../core/redact.js';
import { safeText } from '../../core/text.js';
import { assertReportPaths, DEFAULT_REPORT_MODE, parseReportMode, writeFileAtomic } from '../../io/files.js';
import { toolInfo } from '../../io/version.js';
import { diffRuns } from '../../report/diff.js';
import { readReportFile } from '../../report/diff-read.js';
import { renderDiffTable } from '../../report/diff-table.js';
import { reportJsonText } from '../../report/json-text.js';
import { makeStyle } from '../../report/style.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO } from '../io.js';
import { diffHelp } from '../help/diff.js';

/** `diff --json`'s document: `{schemaVersion, kind: "diff", tool, argv, diff}` (docs/diff.md). */
export function diffJsonDocument(d: RunDiff, argv: string[]) {
  const tool = toolInfo();
  return { schemaVersion: SCHEMA_VERSION, kind: 'diff', tool: { name: tool.name, version: tool.version }, argv: redactArgv(argv), diff: d };
}

export async function diffCommand(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('diff', argv, {
    json: { type: 'string' },
    html: { type: 'string' },
    'fail-on': { type: 'string' },
    'report-mode': { type: 'string' },
  });
  if (v.help) {
    io.stdout.write(diffHelp());
    return 0;
  }
  if (positionals.length !== 2)
    throw new HarnessError(
      'usage.missing-argument',
      `diff: give two JSON reports, the baseline then the new one (mtls-harness diff old.json new.json); got ${positionals.length}`,
    );
  const failOn = v['fail-on'] as string | undefined;
  if (failOn !== undefined && failOn !== 'new')
    throw new HarnessError('usage.invalid-value', `diff: --fail-on takes new (exit 1 on new findings), not "${failOn}"`);
  const json = v.json as string | undefined;
  const html = v.html as string | undefined;
  if (html === '-') throw new HarnessError('usage.invalid-value', 'diff: --html takes a file, not - (the table, or --json -, goes to stdout)');
  const mode = v['report-mode'] !== undefined ? parseReportMode(v['report-mode'] as string) : DEFAULT_REPORT_MODE;
  const [oldFile, newFile] = positionals as [string, string];
  assertReportPaths(
    'diff',
    [
      ['--json', json],
      ['--html', html],
    ],
    [
      ['the baseline report', oldFile],
      ['the new report', newFile],
    ],
  );
  const before = readReportFile(oldFile, 'diff');
  const after = readReportFile(newFile, 'diff');
  const d = diffRuns(before.run, after.run, { baseline: before.source, current: after.source });

  let written = true;
  const write = (flag: string, file: string, text: () => string | Promise<string>) =>
    Promise.resolve()
      .then(text)
      .then((t) => (file === '-' ? io.stdout.write(t) : writeFileAtomic(file, t, mode)))
      .catch((e: unknown) => {
        written = false;
        io.stderr.write(`mtls-harness: could not write ${flag} ${safeText(file, 200)}: ${safeText((e as Error).message ?? String(e), 300)}\n`);
      });
  if (json !== undefined) await write('--json', json, () => reportJsonText(diffJsonDocument(d, ['diff', ...argv])));
  if (html !== undefined)
    await write('--html', html, async () => (await import('../../report/html/diff-page.js')).renderDiffPage(d, toolInfo(), ['diff', ...argv]));
  if (json !== '-') io.stdout.write(renderDiffTable(d, makeStyle({ isTTY: !!io.stdout.isTTY, env: io.env }), io.stdout.columns ?? 80));
  if (!written) return 1;
  return failOn === 'new' && d.summary.new > 0 ? 1 : 0;
}
