/** (Rendered only as JSX text, as render.tsx: never markup by string concatenation.)
 * A fleet report's sources (`report merge`, docs/fleet.md): each merged run report's file, the
 * SHA-256 of its bytes (what that run's own HTML and PDF print), who ran it, and its summary. */
import type { MergeSource } from '../../core/model.js';
import type { Status } from '../../core/status.js';
import { Badge, STATUS_ORDER, utc } from './parts.js';

const SEVERITY: Status[] = ['error', 'fail', 'warn', 'pass', 'skip'];

export function Sources({ sources }: { sources: readonly MergeSource[] }) {
  return (
    <section class="sources" id="sources">
      <h2>Sources</h2>
      <p class="muted">
        {`${sources.length} run report${sources.length === 1 ? '' : 's'} merged. Each SHA-256 is of the file's bytes as read: the digest its own HTML and PDF reports print (check it with sha256sum FILE). Target ids are prefixed by the source's label.`}
      </p>
      <table class="targets">
        <thead>
          <tr>
            <th>Source</th>
            <th>File and SHA-256</th>
            <th>Run</th>
            <th>Verdict</th>
            <th class="num">targets</th>
            {STATUS_ORDER.map((s) => (
              <th class="num">{s}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sources.map((s) => (
            <tr data-source={s.label}>
              <td class="wrap">{s.label}</td>
              <td class="wrap">
                <code>{s.file}</code>
                <br />
                <code class="small" data-digest="source-sha256">
                  {s.sha256}
                </code>
              </td>
              <td class="wrap small">
                {`${utc(s.startedAt)}${s.tool ? ` · ${s.tool.name} ${s.tool.version}` : ''}`}
                {s.provenance ? <div>{`by ${s.provenance.operator} on ${s.provenance.host}`}</div> : <div class="muted">no provenance recorded</div>}
                {s.incomplete ? <div>{`INCOMPLETE: ${s.incomplete.reason}`}</div> : null}
                {s.sources ? <div>{`itself merged from ${s.sources.map((x) => `${x.label} (${x.sha256})`).join(', ')}`}</div> : null}
              </td>
              <td>
                <Badge status={SEVERITY.find((x) => s.summary[x] > 0) ?? 'skip'} />
              </td>
              <td class="num">{s.targets}</td>
              {STATUS_ORDER.map((x) => (
                <td class="num">{s.summary[x]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
