/**
 * (Rendered only as JSX text, as render.tsx: never markup by string concatenation.)
 * Waivers in the HTML report (docs/waivers.md): a "waived" badge with the reason, owner and last
 * day under a waived check, and a section with what the waivers did (waived, unused, expired).
 * Styled inline (the CSP allows inline styles): the shared stylesheet, and so every report without
 * waivers, stays byte for byte as it was.
 */
import type { AppliedWaiver, WaiverListed, WaiversReport } from '../../core/model.js';

/** Under a waived check: its status stays as found; this says who accepted it, why, until when. */
const NOTE_STYLE = 'margin:6px 0;padding:4px 8px;border:1.5px dashed var(--muted);border-radius:4px;background:var(--soft)';
const BADGE_STYLE = 'color:var(--muted);background:var(--soft);border-style:dashed';

export function WaiverNote({ w }: { w: AppliedWaiver }) {
  return (
    <p class="waived wrap" data-waived="true" style={NOTE_STYLE}>
      <span class="badge" style={BADGE_STYLE}>
        WAIVED
      </span>
      {` ${w.reason} — owner ${w.owner}, until ${w.expires} (UTC, inclusive); ${w.file} waivers[${w.index}]. It does not fail the run.`}
    </p>
  );
}

function Entries({ title, list, state }: { title: string; list: WaiverListed[]; state: 'unused' | 'expired' }) {
  if (list.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
      <table class="waivers" data-waivers={state}>
        <thead>
          <tr>
            <th>Entry</th>
            <th>Target</th>
            <th>Check</th>
            <th>Owner</th>
            <th>Expires</th>
            <th class="num">Matches</th>
          </tr>
        </thead>
        <tbody>
          {list.map((l) => (
            <tr>
              <td class="mono">{`waivers[${l.index}]${l.line ? ` (line ${l.line})` : ''}`}</td>
              <td class="mono wrap">{l.target}</td>
              <td class="mono wrap">{l.check}</td>
              <td class="wrap">{l.owner}</td>
              <td>{l.expires}</td>
              <td class="num">{l.matched}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** What the run's waivers did: how many findings they accept, and the entries to look at. */
export function WaiversSection({ w }: { w: WaiversReport }) {
  return (
    <section class="waivers" id="waivers">
      <h2>Waivers</h2>
      <p class="wrap">
        {`${w.file}: ${w.entries} entr${w.entries === 1 ? 'y' : 'ies'}; ${w.applied} finding${w.applied === 1 ? '' : 's'} waived (shown with their status as found and a WAIVED note; they do not fail the run)` +
          `; ${w.unused.length} unused; ${w.expired.length} expired.`}
      </p>
      <Entries title="Expired waivers (they waive nothing: their findings fail the run again)" list={w.expired} state="expired" />
      <Entries title="Unused waivers (they match no fail, warn or error result)" list={w.unused} state="unused" />
    </section>
  );
}
