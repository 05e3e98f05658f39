/**
 * `mtls-harness baseline REPORT.json`: a waivers file from a run report (src/app/baseline.ts;
 * docs/waivers.md), on stdout or `--out FILE` (0600, atomically).
 */
import { systemClock } from '../../core/clock.js';
import { HarnessError } from '../../core/errors.js';
import { assertReportPaths, parseReportMode, writeFileAtomic } from '../../io/files.js';
import { baselineYaml, parseExpires, readReportFindings } from '../../app/baseline.js';
import { utcDay } from '../../rules/waivers.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO } from '../io.js';
import { baselineHelp } from '../help/baseline.js';

export async function baselineCommand(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('baseline', argv, {
    out: { type: 'string' },
    expires: { type: 'string' },
    'report-mode': { type: 'string' },
  });
  if (v.help) {
    io.stdout.write(baselineHelp());
    return 0;
  }
  if (positionals.length !== 1)
    throw new HarnessError(
      positionals.length === 0 ? 'usage.missing-argument' : 'usage.invalid-value',
      'baseline: give one JSON run report (mtls-harness baseline report.json > mtls-waivers.yaml)',
    );
  const report = positionals[0]!;
  const clock = io.clock ?? systemClock;
  const expires = parseExpires(v.expires as string | undefined, clock);
  const mode = parseReportMode(v['report-mode'] as string | undefined);
  const out = v.out as string | undefined;
  assertReportPaths('baseline', [['--out', out]], [['REPORT', report]]);
  const yaml = baselineYaml(readReportFindings(report), { report, expires, today: utcDay(clock()) });
  if (out && out !== '-') writeFileAtomic(out, yaml, mode);
  else io.stdout.write(yaml);
  return 0;
}
