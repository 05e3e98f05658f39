/** (Rendered only as JSX text, as render.tsx: never markup by string concatenation.)
 * A target's section of the HTML report. Its failures first (a block each, with all their
 * evidence), then its certificates, then every other check as a compact row per suite (the
 * evidence appendix). A failing target is open; any other is collapsed (<details>), its content
 * still in the page (and printed: style.ts). */
import { RotationChart, chartDataOf } from './chart.js';
import type { HtmlCheck, HtmlHead, HtmlTarget } from './model.js';
import { Certificates } from './certificates.js';
import { CompactChecks, hasBlock, Mark, placeChecks, rowHref, type Shown } from './compact.js';
import { EvidenceList } from './evidence.js';
import { Badge, countsText, policyText } from './parts.js';
import { declaredText, originText } from '../origin.js';
import { WaiverNote } from './waivers.js';

function Check({ c, target }: { c: HtmlCheck; target: HtmlTarget }) {
  const chart = c.id === 'rotation.continuity' ? chartDataOf(c.evidence) : undefined;
  return (
    <article class={`check c-${c.status}`} id={`${target.anchor}-${c.id}`} data-check={c.id} data-status={c.status}>
      <div class="check-head">
        <Badge status={c.status} />
        <code>{c.id}</code>
        <span class="title">{c.title}</span>
      </div>
      {c.waiver ? <WaiverNote w={c.waiver} /> : null}
      <p class="wrap">{c.message}</p>
      {c.remediation ? (
        <p class="fix wrap">
          <strong>Fix: </strong>
          {c.remediation}
        </p>
      ) : null}
      {c.references.length > 0 ? (
        <p class="refs">
          {'References: '}
          {c.references.map((r, i) => (
            <>
              {i > 0 ? '; ' : ''}
              <a href={r.url} rel="noreferrer">
                {r.cite}
              </a>
              {` (${r.about})`}
            </>
          ))}
        </p>
      ) : null}
      {chart ? (
        <RotationChart
          id={`${target.anchor}-rotation-chart`}
          data={chart}
          caption={`Rotation timeline of ${target.id}: ${chart.attempts.length} handshake attempts, ${chart.attempts.filter((a) => !a.ok).length} failed`}
        />
      ) : null}
      {Object.keys(c.evidence).length > 0 ? (
        <>
          <h4>Evidence</h4>
          <EvidenceList evidence={c.evidence} omit={chart ? ['timeline'] : []} />
        </>
      ) : null}
    </article>
  );
}

/** The verdicts whose target is shown open: the ones that fail the run. */
export const isOpen = (t: HtmlTarget): boolean => t.verdict === 'fail' || t.verdict === 'error';

/**
 * One target. `shown` is what earlier targets showed: a fleet's shared certificate is one card, a
 * result the same as an earlier target's one link (compact.tsx).
 */
export function TargetSection({ t, m, shown }: { t: HtmlTarget; m: HtmlHead; shown: Shown }) {
  const problems = t.checks.filter((c) => c.status === 'fail' || c.status === 'error' || c.status === 'warn');
  const blocks = t.checks.filter(hasBlock);
  const placed = placeChecks(
    t.checks.filter((c) => !hasBlock(c)),
    t,
    shown,
  );
  const suites = [...new Set(t.checks.map((c) => c.suite))];
  return (
    <section class="target" id={t.anchor} data-target-name={t.name} data-verdict={t.verdict}>
      <details class="target" open={isOpen(t)}>
        <summary class="target-head">
          <div>
            <h2 class="wrap">{t.id}</h2>
            <div class="muted wrap">
              <span class="mono">{t.endpoint}</span>
              {t.servername ? ` · SNI ${t.servername}` : ''}
              {t.kind === 'client'
                ? ` · client under test, observed by the ${t.reference?.implementation ?? 'node'} reference server`
                : t.reference
                  ? ` · reference ${t.reference.implementation}, profile ${t.reference.profile}`
                  : t.kind === 'files'
                    ? ' · audited files'
                    : ` · ${t.kind} target`}
              {t.protocol ? ` · ${t.protocol}` : ''}
            </div>
            {t.origin ? (
              <div class="muted wrap">
                {`From ${originText(t.origin)}`}
                {t.origin.declared ? ` · declares ${declaredText(t.origin)}` : ''}
              </div>
            ) : null}
            {t.policy && m.policy && policyText(t.policy) !== policyText(m.policy) ? (
              <div class="muted">{`Policy for this target: ${policyText(t.policy)}`}</div>
            ) : null}
          </div>
          <div>
            <Badge status={t.verdict} big />
            <div class="muted">{countsText(t.counts)}</div>
          </div>
        </summary>
        {problems.length > 0 ? (
          <div class="problems">
            <strong>{`${problems.length} finding${problems.length === 1 ? '' : 's'} to act on`}</strong>
            <ul>
              {problems.map((c) => (
                <li>
                  <Mark status={c.status} />{' '}
                  <a class="mono" href={hasBlock(c) ? `#${t.anchor}-${c.id}` : rowHref(c, t, placed)}>
                    {c.id}
                  </a>
                  {` — ${c.message}`}
                </li>
              ))}
            </ul>
          </div>
        ) : (
          <div class="nothing">Nothing to act on: every check that ran passed.</div>
        )}
        {blocks.map((c) => (
          <Check c={c} target={t} />
        ))}
        <Certificates t={t} seen={shown.certs} />
        {suites.map((s) => (
          <div class="suite-checks">
            <h3>{t.suites.find((x) => x.id === s)?.title ?? s}</h3>
            <CompactChecks checks={t.checks.filter((c) => c.suite === s && !hasBlock(c))} target={t} shown={shown} placed={placed} />
            {blocks.some((c) => c.suite === s) ? (
              <p class="muted small">{`Above: ${blocks
                .filter((c) => c.suite === s)
                .map((c) => c.id)
                .join(', ')}.`}</p>
            ) : null}
          </div>
        ))}
      </details>
    </section>
  );
}
