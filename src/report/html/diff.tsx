/** (Rendered only as JSX text, as render.tsx: never markup by string concatenation.)
 * "Changes since baseline": a diff (docs/diff.md) as a section of the HTML report (`run
 * --baseline`) and of `diff --html`'s page. Every string from a report passes safeText too (bidi
 * and control characters shown as "?"), as the report model's strings are cleaned. */
import type { DiffCertChange, DiffResultChange, RunDiff } from '../../core/diff.js';
import { safeText } from '../../core/text.js';
import { diffSummaryLine } from '../diff-table.js';
import { Badge } from './parts.js';

const t = (s: string | undefined, max = 400) => (s === undefined ? '—' : safeText(s, max));

function StatusCell({ s }: { s: DiffResultChange['before'] }) {
  return s === null ? <span class="muted">absent</span> : <Badge status={s} />;
}

function Changes({ title, rows }: { title: string; rows: DiffResultChange[] }) {
  if (rows.length === 0) return null;
  return (
    <>
      <h3>{`${title} (${rows.length})`}</h3>
      <table class="targets" data-diff={title}>
        <thead>
          <tr>
            <th>Target</th>
            <th>Check</th>
            <th>Before</th>
            <th>Now</th>
            <th>Finding</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr data-check={t(c.check, 120)}>
              <td class="wrap">
                {t(c.targetId, 200)}
                {c.baselineTargetId !== undefined ? <span class="muted">{` (was ${t(c.baselineTargetId, 200)})`}</span> : null}
              </td>
              <td>
                <code class="wrap">{t(c.check, 120)}</code>
              </td>
              <td>
                <StatusCell s={c.before} />
              </td>
              <td>
                <StatusCell s={c.after} />
              </td>
              <td class="wrap">{t(c.message, 600)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Certificates({ rows }: { rows: DiffCertChange[] }) {
  if (rows.length === 0) return null;
  return (
    <>
      <h3>{`Certificates changed (${rows.length})`}</h3>
      <table class="targets" data-diff="certificates">
        <thead>
          <tr>
            <th>Target</th>
            <th>Chain</th>
            <th>Change</th>
            <th>Before</th>
            <th>Now</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr data-change={c.change}>
              <td class="wrap">{t(c.targetId, 200)}</td>
              <td>{c.chain}</td>
              <td>{c.change}</td>
              <td class="mono wrap">{t(c.before)}</td>
              <td class="mono wrap">{t(c.after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** The section "Changes since baseline" of a diff. */
export function DiffSection({ d }: { d: RunDiff }) {
  const ref = (r: { id: string; endpoint: string }) => `${t(r.id, 200)} (${t(r.endpoint, 200)})`;
  return (
    <section class="summary" id="changes-since-baseline">
      <h2>Changes since baseline</h2>
      <p class="wrap">
        {`Baseline: ${d.baseline.file !== undefined ? `${t(d.baseline.file, 300)}, ` : ''}run of ${t(d.baseline.startedAt, 40)}`}
        {d.baseline.sha256 !== undefined ? <span class="muted">{` · SHA-256 ${t(d.baseline.sha256, 64)}`}</span> : null}
        <br />
        {`Now: ${d.current.file !== undefined ? `${t(d.current.file, 300)}, ` : ''}run of ${t(d.current.startedAt, 40)}`}
        {d.current.sha256 !== undefined ? <span class="muted">{` · SHA-256 ${t(d.current.sha256, 64)}`}</span> : null}
      </p>
      <p>
        <strong>{diffSummaryLine(d)}</strong>
      </p>
      {d.pairings.length + d.targetsAdded.length + d.targetsRemoved.length > 0 ? (
        <ul>
          {d.pairings.map((p) => (
            <li class="wrap">{`${p.by === 'endpoint' ? 'Paired by endpoint' : 'Paired as the only target of each report'}: ${ref(p.baseline)} then, ${ref(p.current)} now`}</li>
          ))}
          {d.targetsAdded.map((a) => (
            <li class="wrap">{`Target added: ${ref(a)}`}</li>
          ))}
          {d.targetsRemoved.map((r) => (
            <li class="wrap">{`Target removed: ${ref(r)}`}</li>
          ))}
        </ul>
      ) : null}
      <Changes title="New findings" rows={d.new} />
      <Changes title="Fixed" rows={d.fixed} />
      <Changes title="Other status changes" rows={d.changed} />
      <Certificates rows={d.certificates} />
    </section>
  );
}
