/** (Rendered only as JSX text, as render.tsx: never markup by string concatenation.)
 * The checks that need no block of their own (pass, warn, skip, info): one compact table row each,
 * the evidence as one line of text. At fleet scale these are most of the report (the same passes on
 * a thousand targets): a row and a text node each instead of a card and a definition list. */
import { WaiverNote } from './waivers.js';
import { createHash } from 'node:crypto';
import type { HtmlCheck, HtmlTarget, RowStatus } from './model.js';
import { label, REJECTED_AT } from './evidence.js';
import { chartDataOf } from './chart.js';

const LABEL: Record<RowStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', error: 'ERROR', skip: 'SKIP', info: 'INFO' };

/** A status as a label in a badge's frame, without the icon (the label carries it: colour never alone). */
export function Mark({ status }: { status: RowStatus }) {
  return (
    <span class={`badge s-${status}`} data-status={status}>
      {LABEL[status]}
    </span>
  );
}

/** Evidence text longer than this is cut; the JSON report holds all of it. */
export const EVIDENCE_TEXT_MAX = 3000;

/** Nested evidence as compact text: `(key=value, …)`, lists `[a; b]`, bounded in depth. */
function nestedText(v: unknown, seen: Set<string> | undefined, depth: number): string {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'object') return String(v);
  if (depth > 6) return '…';
  if (Array.isArray(v)) return v.length ? `[${v.map((x) => nestedText(x, seen, depth + 1)).join('; ')}]` : 'none';
  const o = v as Record<string, unknown>;
  // A certificate (it has a fingerprint) already shown in full is named by its fingerprint alone.
  const fp = typeof o.fingerprintSha256 === 'string' ? o.fingerprintSha256 : undefined;
  if (fp && seen?.has(fp)) return `(the certificate SHA-256 ${fp}, in full earlier in this report)`;
  if (fp) seen?.add(fp);
  const entries = Object.entries(o);
  return entries.length ? `(${entries.map(([k, x]) => `${k}=${nestedText(x, seen, depth + 1)}`).join(', ')})` : 'none';
}

function valueText(k: string, v: unknown, seen: Set<string> | undefined): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return k === 'rejectedAt' && REJECTED_AT[v] ? REJECTED_AT[v] : v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return v.length ? v.map(String).join(', ') : 'none';
  return nestedText(v, seen, 0);
}

/**
 * A check's evidence as one line: "Label: value · Label: value", bounded (the JSON report has the
 * rest). A certificate in it whose fingerprint `seen` holds is named by that fingerprint alone.
 */
export function evidenceText(evidence: Record<string, unknown>, seen?: Set<string>): string {
  const text = Object.entries(evidence)
    .map(([k, v]) => `${label(k)}: ${valueText(k, v, seen)}`)
    .join(' · ');
  return text.length > EVIDENCE_TEXT_MAX
    ? `${text.slice(0, EVIDENCE_TEXT_MAX)}… (${text.length - EVIDENCE_TEXT_MAX} more characters in the JSON report)`
    : text;
}

/** Whether a check gets a block of its own: failures, errors and the rotation timeline (its chart) do; the rest are compact rows. */
export const hasBlock = (c: HtmlCheck): boolean =>
  c.status === 'fail' || c.status === 'error' || (c.id === 'rotation.continuity' && chartDataOf(c.evidence) !== undefined);

/**
 * What the page has shown so far, in target order: the certificates shown in full (fingerprints)
 * and the compact results (by signature: where first shown). Both renderers (whole and streamed)
 * fill it in the same order, so both give the same bytes.
 */
export interface Shown {
  certs: Set<string>;
  results: Map<string, { anchor: string; id: string }>;
}

export const newShown = (): Shown => ({ certs: new Set(), results: new Map() });

/** Evidence without its timings (`durationMs` at any depth): what makes two results the same. */
function untimed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untimed);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => k !== 'durationMs')
      .map(([k, x]) => [k, untimed(x)]),
  );
}

/** A result's signature: equal for two results that differ at most in their timings. */
function signature(c: HtmlCheck): string {
  return createHash('sha256')
    .update(JSON.stringify([c.id, c.status, c.title, c.message, c.remediation ?? '', untimed(c.evidence), c.waiver ?? null]))
    .digest('hex');
}

function Row({ c, target, shown }: { c: HtmlCheck; target: HtmlTarget; shown: Shown }) {
  return (
    <tr id={`${target.anchor}-${c.id}`} data-check={c.id} data-status={c.status}>
      <td>
        <Mark status={c.status} />
      </td>
      <td class="wrap">
        <code>{c.id}</code>
        <br />
        <span class="muted">{c.title}</span>
      </td>
      <td class="wrap">
        {c.waiver ? <WaiverNote w={c.waiver} /> : null}
        {c.message}
        {c.remediation && c.status !== 'pass' ? <span class="fix-inline">{` Fix: ${c.remediation}`}</span> : null}
        {Object.keys(c.evidence).length > 0 ? <span class="ev-text">{evidenceText(c.evidence, shown.certs)}</span> : null}
        {c.references.length > 0 ? <span class="ev-text">{`References: ${c.references.map((r) => r.cite).join('; ')}`}</span> : null}
      </td>
    </tr>
  );
}

/** Where each compact check of a target is shown: undefined for its own row, else the earlier target whose row it repeats. */
export type Placement = Map<HtmlCheck, { anchor: string; id: string } | undefined>;

/** Places a target's compact checks (results not seen before are registered as this target's rows). */
export function placeChecks(checks: HtmlCheck[], target: HtmlTarget, shown: Shown): Placement {
  const placed: Placement = new Map();
  for (const c of checks) {
    const sig = signature(c);
    const first = shown.results.get(sig);
    if (!first) shown.results.set(sig, { anchor: target.anchor, id: target.id });
    placed.set(c, first);
  }
  return placed;
}

/** The anchor of the row that shows `c` (its own, or the earlier target's it repeats). */
export const rowHref = (c: HtmlCheck, target: HtmlTarget, placed: Placement): string => `#${placed.get(c)?.anchor ?? target.anchor}-${c.id}`;

/**
 * One suite's compact checks of a target: a row each (status, check, title, message, fix,
 * evidence, the references cited), except results the same as one shown for an earlier target (timings aside): those are
 * one row per status and earlier target naming the checks (data-checks lists them).
 */
export function CompactChecks({ checks, target, shown, placed }: { checks: HtmlCheck[]; target: HtmlTarget; shown: Shown; placed: Placement }) {
  if (checks.length === 0) return null;
  const fresh: HtmlCheck[] = [];
  const same = new Map<string, { status: RowStatus; first: { anchor: string; id: string }; checks: HtmlCheck[] }>();
  for (const c of checks) {
    const first = placed.get(c);
    if (!first) {
      fresh.push(c);
      continue;
    }
    const key = `${c.status} ${first.anchor}`;
    const group = same.get(key) ?? { status: c.status, first, checks: [] };
    group.checks.push(c);
    same.set(key, group);
  }
  return (
    <table class="compact">
      <tbody>
        {fresh.map((c) => (
          <Row c={c} target={target} shown={shown} />
        ))}
        {[...same.values()].map((g) => (
          <tr class="same" data-checks={g.checks.map((c) => c.id).join(' ')} data-status={g.status}>
            <td>
              <Mark status={g.status} />
            </td>
            <td colSpan={2} class="wrap">
              {`${g.checks.length} check${g.checks.length === 1 ? '' : 's'} with the same result as on `}
              <a href={`#${g.first.anchor}`}>{g.first.id}</a>
              {` (timings aside: in the JSON report): ${g.checks.map((c) => c.id).join(', ')}`}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
