/**
 * The HTML evidence report: one self-contained file (inline CSS, no scripts, no external requests;
 * a Content-Security-Policy forbids any), readable on screen and printed.
 *
 * Everything from a certificate or a server is hostile. It is rendered only as JSX text and
 * attribute values, which preact-render-to-string escapes; the one raw insertion is the constant
 * stylesheet. Never build markup by string concatenation in this file: the streamed report only
 * cuts the rendered page at its (random) slot markers and puts rendered pieces (and base64) there.
 */
import { randomBytes } from 'node:crypto';
import { renderToString } from 'preact-render-to-string';
import type { ComponentChildren, VNode } from 'preact';
import type { Policy } from '../../core/target.js';
import type { HtmlHead, HtmlModel, HtmlPage, HtmlSuiteCell, HtmlTarget } from './model.js';
import { REPORT_CSS } from './style.js';
import { Mark, newShown, type Shown } from './compact.js';
import { TargetSection } from './target.js';
import { DiffSection } from './diff.js';
import { auditSettingsText, Badge, countsText, duration, local, policyText, shellJoin, STATUS_ORDER, utc } from './parts.js';
import { ProvenanceRows } from './provenance.js';
import { Sources } from './sources.js';
import { WaiversSection } from './waivers.js';

/** The page's lists over the targets: summary rows, the targets × suites matrix, the sections. */
type TargetList = 'rows' | 'matrix' | 'sections';

/**
 * What a page is rendered from. The whole report (renderHtmlReport) lists its targets in place;
 * the streamed one (streamHtmlReport) renders the page around a slot for each list and one for the
 * embedded JSON, then writes each slot one target (one piece of JSON) at a time. Both render the
 * same components, so both give the same bytes.
 */
interface View {
  m: HtmlHead;
  /** How many targets, and the first (its name in the title, its suites' order for the matrix). */
  count: number;
  first: HtmlTarget | undefined;
  /** Some target's policy differs from the policy in force. */
  policyOverride: boolean;
  /** The matrix columns: the first target's suites that some target ran. */
  matrixSuites: HtmlSuiteCell[];
  digest: { sha256: string; of: string };
  /** The JSON report's bytes in base64 (or the slot where they go); undefined when not embedded (larger than EMBED_MAX_BYTES). */
  base64: string | undefined;
  /** What the target sections showed so far (certificates, results): shown once, referred to after. */
  shown: Shown;
  each(list: TargetList, render: (t: HtmlTarget) => VNode): ComponentChildren;
}

/** The view's figures over all targets, from `targets` (light ones suffice: no checks are read). */
function overview(m: HtmlHead, targets: Iterable<HtmlTarget>): Pick<View, 'count' | 'first' | 'policyOverride' | 'matrixSuites'> {
  let count = 0;
  let first: HtmlTarget | undefined;
  let policyOverride = false;
  const ran = new Set<string>();
  const policy = m.policy ? policyText(m.policy) : undefined;
  for (const t of targets) {
    if (count++ === 0) first = t;
    if (policy !== undefined && t.policy && policyText(t.policy) !== policy) policyOverride = true;
    // A suite ran on this target when its (first) cell of that id has a status.
    const seen = new Set<string>();
    for (const cell of t.suites) {
      if (seen.has(cell.id)) continue;
      seen.add(cell.id);
      if (cell.status) ran.add(cell.id);
    }
  }
  return { count, first, policyOverride, matrixSuites: first?.suites.filter((s) => ran.has(s.id)) ?? [] };
}

function Header({ v }: { v: View }) {
  const { m } = v;
  const total = Object.values(m.summary).reduce((a, b) => a + b, 0);
  return (
    <header class="report">
      <div class="muted">{`${m.tool.name} ${m.tool.version}`}</div>
      <h1>{m.title}</h1>
      {m.incomplete ? (
        <div class="incomplete" role="alert">
          <strong>INCOMPLETE RUN. </strong>
          {`${m.incomplete.reason}: ${m.incomplete.targetsFinished} of ${m.incomplete.targetsTotal} target(s) finished. Checks that did not finish are shown as ERROR "not finished"; nothing shown here was invented.`}
        </div>
      ) : null}
      <div class="headline">
        <Badge status={m.verdict} big />
        <span class="counts">
          {`${v.count} target${v.count === 1 ? '' : 's'}, ${total} ${m.kind === 'probe' ? 'findings' : 'checks'}: `}
          {countsText(m.summary)}
        </span>
      </div>
      <table class="meta">
        <tbody>
          <tr>
            <th>Tool</th>
            <td>{`${m.tool.name} ${m.tool.version}`}</td>
          </tr>
          <tr>
            <th>Started</th>
            <td>
              {utc(m.startedAt)}
              <br />
              <span class="muted">{local(m.startedAt, m.timeZone)}</span>
            </td>
          </tr>
          <tr>
            <th>Finished</th>
            <td>
              {utc(m.finishedAt)}
              <br />
              <span class="muted">{local(m.finishedAt, m.timeZone)}</span>
            </td>
          </tr>
          <tr>
            <th>Duration</th>
            <td>{duration(m.durationMs)}</td>
          </tr>
          <tr>
            <th>Command</th>
            <td>
              <code class="cmd wrap">{shellJoin(m.command)}</code>
              <span class="muted">Secrets (passphrases, tokens, inline PEM) are redacted.</span>
            </td>
          </tr>
          <tr>
            <th>Host</th>
            <td class="wrap">{m.host}</td>
          </tr>
          {m.provenance ? <ProvenanceRows p={m.provenance} /> : null}
          {m.kind === 'audit' && m.policy ? (
            <tr>
              <th>Policy in force</th>
              <td>{`expiry: warn under ${m.policy.warnDays} days, fail under ${m.policy.failDays}; private keys readable by their owner only`}</td>
            </tr>
          ) : null}
          {m.kind === 'audit' && m.settings?.audit ? (
            <tr>
              <th>Audit settings</th>
              <td class="wrap">{auditSettingsText(m.settings.audit, m.settings.failOn)}</td>
            </tr>
          ) : null}
          {m.kind !== 'audit' && m.policy ? (
            <tr>
              <th>Policy in force</th>
              <td>
                {policyText(m.policy)}
                {v.policyOverride ? ' (some targets override it: see each target)' : ''}
              </td>
            </tr>
          ) : null}
          {m.kind !== 'audit' && m.settings ? (
            <tr>
              <th>Run settings</th>
              <td>
                {`fail on: ${m.settings.failOn} · timeout ${duration(m.settings.timeoutMs)} per connection · ${m.settings.concurrency} connections at once · suites: ${m.settings.suites?.join(', ') ?? 'all'}${m.settings.checks ? ` · checks: ${m.settings.checks.join(', ')}` : ''}`}
              </td>
            </tr>
          ) : null}
          <tr>
            <th>Evidence digest</th>
            <td>
              <code class="wrap" data-digest="sha256">{`SHA-256 ${v.digest.sha256}`}</code>
              <br />
              <span class="muted">
                {`of ${v.digest.of}. Check it with `}
                <code>{m.kind === 'probe' ? 'sha256sum diagnosis.json' : 'sha256sum report.json'}</code>
                {v.base64 !== undefined ? (
                  <>
                    {'. The same bytes are embedded here: '}
                    <a download={m.kind === 'probe' ? 'mtls-diagnosis.json' : 'mtls-report.json'} href={`data:application/json;base64,${v.base64}`}>
                      save the embedded JSON
                    </a>
                    .
                  </>
                ) : (
                  `. Not embedded: the JSON is larger than ${EMBED_MAX_BYTES / 1048576} MiB (a browser would load it whole); keep it beside this report, this digest names it.`
                )}
              </span>
            </td>
          </tr>
        </tbody>
      </table>
    </header>
  );
}

function Summary({ v }: { v: View }) {
  const { m } = v;
  const suites = v.matrixSuites;
  return (
    <section class="summary">
      <h2>Summary</h2>
      <table class="targets">
        <thead>
          <tr>
            <th>Target</th>
            <th>Endpoint</th>
            <th>Verdict</th>
            {STATUS_ORDER.map((s) => (
              <th class="num">{s}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {v.each('rows', (t) => (
            <tr data-target={t.anchor}>
              <td class="wrap">
                <a href={`#${t.anchor}`}>{t.id}</a>
              </td>
              <td class="mono wrap">{t.endpoint}</td>
              <td>
                <Mark status={t.verdict} />
              </td>
              {STATUS_ORDER.map((s) => (
                <td class="num">{t.counts[s]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {m.kind !== 'probe' ? (
        <>
          <h3>Targets × suites</h3>
          <table class="matrix">
            <thead>
              <tr>
                <th>Target</th>
                {suites.map((s) => (
                  <th class="wrap">{s.id}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {v.each('matrix', (t) => (
                <tr>
                  <td class="wrap">
                    <a href={`#${t.anchor}`}>{t.id}</a>
                  </td>
                  {suites.map((s) => {
                    const cell = t.suites.find((x) => x.id === s.id);
                    if (!cell?.status) return <td class="muted">—</td>;
                    const ran = cell.counts.pass + cell.counts.warn + cell.counts.fail + cell.counts.error;
                    return (
                      <td>
                        <span class="cell">
                          <Mark status={cell.status} />
                          <span class="small">{`${cell.counts.pass}/${ran} pass${cell.counts.skip ? `, ${cell.counts.skip} skip` : ''}`}</span>
                        </span>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

function Page({ v }: { v: View }) {
  const { m } = v;
  const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="Content-Security-Policy" content={csp} />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="generator" content={`${m.tool.name} ${m.tool.version}`} />
        <title>{`${m.title} — ${m.incomplete ? 'INCOMPLETE — ' : ''}${m.verdict.toUpperCase()} — ${v.count === 1 ? v.first!.name : `${v.count} targets`}`}</title>
        <style dangerouslySetInnerHTML={{ __html: REPORT_CSS }} />
      </head>
      <body>
        <main>
          <Header v={v} />
          {m.diff ? <DiffSection d={m.diff} /> : null}
          <Summary v={v} />
          {m.sources ? <Sources sources={m.sources} /> : null}
          {v.m.waivers ? <WaiversSection w={v.m.waivers} /> : null}
          {v.each('sections', (t) => (
            <TargetSection t={t} m={m} shown={v.shown} />
          ))}
          <footer class="report">
            <p>
              {`Generated by ${m.tool.name} ${m.tool.version} on ${utc(m.finishedAt)}. Statuses: PASS the target behaved as mTLS requires; WARN acceptable but weaker than best practice; FAIL the target violates the requirement; SKIP not applicable or not testable with what was given (the reason is stated); ERROR the harness could not evaluate (the reason is classified).`}
            </p>
            <p>{`Everything shown from certificates and servers is quoted as data. SHA-256 of the JSON evidence: ${v.digest.sha256}.`}</p>
          </footer>
        </main>
      </body>
    </html>
  );
}

/**
 * The JSON report is embedded (base64, behind a download link) up to this many bytes; a larger one
 * (a fleet's: 26 MB at 1,000 targets) is not, and the page names it by its digest alone.
 */
export const EMBED_MAX_BYTES = 4 * 1048576;

/** Whether `pieces` hold at most `max` bytes of UTF-8 (reads no further than `max` bytes). */
function atMost(pieces: Iterable<string>, max: number): boolean {
  let n = 0;
  for (const piece of pieces) if ((n += Buffer.byteLength(piece, 'utf8')) > max) return false;
  return true;
}

/** Renders the model as one self-contained HTML document (one string: small reports, tests). */
export function renderHtmlReport(m: HtmlModel): string {
  const v: View = {
    m,
    ...overview(m, m.targets),
    digest: m.digest,
    base64: atMost([m.digest.json], EMBED_MAX_BYTES) ? Buffer.from(m.digest.json, 'utf8').toString('base64') : undefined,
    shown: newShown(),
    each: (_list, render) => m.targets.map(render),
  };
  return `<!DOCTYPE html>\n${renderToString(<Page v={v} />)}\n`;
}

/**
 * The same document as renderHtmlReport(modelOfPage(p)), byte for byte, in pieces: the page
 * around the target lists is rendered once with a slot for each list (and one for the embedded
 * JSON); each slot is then written one target (one base64 piece of the JSON) at a time. The slot
 * markers carry a random nonce, so no text from a certificate or a server can pose as one.
 */
export function* streamHtmlReport(p: HtmlPage): Generator<string> {
  const nonce = randomBytes(16).toString('hex');
  const slot = (name: string) => `mtls-slot-${nonce}-${name}`;
  const lists = new Map<string, (t: HtmlTarget) => VNode>();
  const light = function* () {
    for (let i = 0; i < p.count; i++) yield p.target(i, false);
  };
  const v: View = {
    m: p.head,
    ...overview(p.head, light()),
    digest: p.digest,
    base64: atMost(p.digest.json(), EMBED_MAX_BYTES) ? slot('json') : undefined,
    shown: newShown(),
    each: (list, render) => {
      lists.set(list, render);
      return slot(list);
    },
  };
  const page = `<!DOCTYPE html>\n${renderToString(<Page v={v} />)}\n`;
  let at = 0;
  for (const m of page.matchAll(new RegExp(`mtls-slot-${nonce}-(json|rows|matrix|sections)`, 'g'))) {
    yield page.slice(at, m.index);
    at = m.index + m[0].length;
    const name = m[1]!;
    if (name === 'json') {
      yield* base64Pieces(p.digest.json());
      continue;
    }
    const render = lists.get(name)!;
    for (let i = 0; i < p.count; i++) yield renderToString(render(p.target(i, name === 'sections')));
  }
  yield page.slice(at);
}

/** Base64 of the UTF-8 bytes of `pieces` joined, in pieces (3-byte groups carried across). */
function* base64Pieces(pieces: Iterable<string>): Generator<string> {
  let carry = Buffer.alloc(0);
  for (const piece of pieces) {
    const bytes = carry.length ? Buffer.concat([carry, Buffer.from(piece, 'utf8')]) : Buffer.from(piece, 'utf8');
    const whole = bytes.length - (bytes.length % 3);
    if (whole > 0) yield bytes.subarray(0, whole).toString('base64');
    carry = bytes.subarray(whole);
  }
  if (carry.length) yield carry.toString('base64');
}
