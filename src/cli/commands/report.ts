/**
 * `mtls-harness report SUBCOMMAND`: commands on reports already written. Each subcommand is one
 * module, loaded on demand; `merge` merges run reports into a fleet report (docs/fleet.md).
 */
import { HarnessError } from '../../core/errors.js';
import { safeText } from '../../core/text.js';
import { reportHelp } from '../help/report.js';
import type { CliIO } from '../io.js';

const SUBCOMMANDS: Record<string, (argv: string[], io: CliIO) => Promise<number>> = {
  merge: async (argv, io) => (await import('./report-merge.js')).reportMergeCommand(argv, io),
};

export async function reportCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(reportHelp());
    return sub === undefined ? 2 : 0;
  }
  const run = SUBCOMMANDS[sub];
  if (!run)
    throw new HarnessError(
      'usage.invalid-value',
      `report: unknown subcommand "${safeText(sub, 80)}"; subcommands: ${Object.keys(SUBCOMMANDS).join(', ')} (mtls-harness report --help)`,
    );
  return run(rest, io);
}
