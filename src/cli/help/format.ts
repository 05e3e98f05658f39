// The pieces of help every command shares (issue 17, one option model): an option means the same
// thing in every command, so its help line is written once, here. Help modules import nothing
// heavy: `mtls-harness CMD --help` loads this folder (and the reporters' map), never the command.

/** What --quiet means, in every command that has it (docs/options.md). */
export const QUIET_LINE = `  --quiet                   no progress line or status notes; the table shows
                            only warn/fail/error rows (reports keep them all)`;

export const COMPACT_LINE = `  --compact                 one line per check (cut with … at the width) instead
                            of the table; tables fit $COLUMNS, else the terminal`;

export const REPORT_MODE_LINE = '  --report-mode OCTAL       mode of report files (default 0600; e.g. 0644)';

/** The selection options of every command that runs catalogue checks. */
export const CHECK_LINES = `  --check id,id             only these checks: IDs or globs, ! excludes
                            (repeatable: --check 'chain.*' --check '!reject.*')
  --list-checks             print the catalogue and exit`;

export const FAIL_ON_LINE = '  --fail-on warn|fail       exit 1 on warn too (default: fail)';

/** The examples section that ends every help. */
export function examples(...lines: string[]): string {
  return `Examples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}
