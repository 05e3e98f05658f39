import { CATALOGUE, KINDS } from '../../suites/index.js';
import type { CliIO } from './io.js';

/**
 * `--list-checks` (run, k8s scan, audit, client-test): the one catalogue (suites/index.ts), every
 * check of every kind, grouped by kind — what it judges and the commands that run it — then by
 * suite, in report order.
 */
export async function listChecks(io: CliIO): Promise<number> {
  const { LIMBO_SUITE_ID } = await import('../client-test/limbo.js');
  const groups = KINDS.map((k) => {
    const lines = [`${k.kind} checks: ${k.judges} (${k.commands.join(', ')})`];
    for (const s of CATALOGUE.filter((x) => x.kind === k.kind)) {
      lines.push(`${s.id} — ${s.title}`);
      for (const c of s.checks) lines.push(`  ${c.id.padEnd(40)} ${c.title}`);
    }
    // The x509-limbo corpus is data, not a suite: one check per case of the corpus.
    if (k.kind === 'client')
      lines.push(`${LIMBO_SUITE_ID} (mtls-harness client-test --corpus limbo)`, `  ${'limbo.<case-id>'.padEnd(40)} agreement with the case's expected result`);
    return lines.join('\n');
  });
  io.stdout.write(`${groups.join('\n\n')}\n`);
  return 0;
}
