// The crafted-profile tables of docs/CONFORMANCE.md, written by `npm run docs` (catalogue-docs.ts):
// every crafted kind with the clause it comes from (the data table, src/pki/crafted-table.ts), and
// which reference stack accepts which profile on `strict` — the verdicts the self-test expects of
// each (suites/profile-verdicts.ts with the stack's declared deviations), which the reference
// matrices prove against the real servers on every run.
import type { Status } from '../src/core/status.js';
import { CRAFTED_PROFILES } from '../src/pki/crafted-profiles.js';
import { REFERENCES } from '../src/targets/reference/index.js';
import { expectedVerdicts } from '../suites/profile-verdicts.js';

type Table = (head: readonly string[], rows: readonly (readonly string[])[]) => string;
const code = (s: string) => `\`${s}\``;

/** Every crafted kind: the property that differs from its control, the control, the clauses, the verdict when accepted. */
export function craftedKindsBlock(table: Table): string {
  return table(
    ['check', 'what differs from the control', 'control', 'clause', 'accepted is'],
    CRAFTED_PROFILES.map((p) => [
      code(`crafted.${p.id}`),
      p.what,
      p.control,
      p.clauses.map((c) => `[${c.cite}](${c.url})`).join(', '),
      p.expect === 'refuse' ? '`fail`' : '`warn` (policy)',
    ]),
  );
}

/** A verdict as the stack's behaviour: accepted (the check's fail or warn), refused (pass), or why not tested. */
const behaviour = (s: Status | undefined): string => (s === 'pass' ? 'refused' : s === 'fail' || s === 'warn' ? '**accepted**' : (s ?? '–'));

/** Which reference stack accepts which crafted profile on `strict` (those that can express it). */
export function craftedStacksBlock(table: Table): string {
  const servers = Object.values(REFERENCES).filter((s) => !s.unsupported('strict'));
  const verdicts = new Map(servers.map((s) => [s.name, expectedVerdicts('strict', s.name)]));
  return table(
    ['profile', ...servers.map((s) => code(s.name))],
    CRAFTED_PROFILES.map((p) => [code(p.id), ...servers.map((s) => behaviour(verdicts.get(s.name)![`crafted.${p.id}`]))]),
  );
}
