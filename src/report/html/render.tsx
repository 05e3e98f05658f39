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
import type { CertSummary, RunSettings } from '../../core/model.js';
import type { Policy } from '../../core/target.js';
import type { Status } from '../../core/status.js';
import { RotationChart, chartDataOf } from './chart.js';
import type { HtmlCheck, HtmlHead, HtmlModel, HtmlPage, HtmlSuiteCell, HtmlTarget, RowStatus } from './model.js';
import { REPORT_CSS } from './style.js';

const LABEL: Record<RowStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', error: 'ERROR', skip: 'SKIP', info: 'INFO' };
const STATUS_ORDER: Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];

/** Icon shapes differ per status (✓ circle, ! triangle, × square, ? octagon, – circle, i circle). */
function StatusIcon({ status }: { status: RowStatus }) {
  const common = { viewBox: '0 0 16 16', 'aria-hidden': 'true' as const, xmlns: 'http://www.w3.org/2000/svg' };
  switch (status) {
    case 'pass':
      return (<svg {...common}><circle cx="8" cy="8" r="7" fill="currentColor" /><path d="M4.5 8.2l2.3 2.3 4.7-4.9" stroke="#fff" stroke-width="2" fill="none" /></svg>);
    case 'warn':
      return (<svg {...common}><path d="M8 1L15.5 14.5H.5z" fill="currentColor" /><path d="M8 5.5v4.5M8 11.5v1.5" stroke="#fff" stroke-width="1.8" /></svg>);
    case 'fail':
      return (<svg {...common}><rect x="1" y="1" width="14" height="14" rx="2" fill="currentColor" /><path d="M4.5 4.5l7 7M11.5 4.5l-7 7" stroke="#fff" stroke-width="2" /></svg>);
    case 'error':
      return (<svg {...common}><path d="M5 1h6l4 4v6l-4 4H5l-4-4V5z" fill="currentColor" /><path d="M6 6.2a2 2 0 1 1 2.8 1.8c-.5.3-.8.6-.8 1.3v.6M8 11.3v1.4" stroke="#fff" stroke-width="1.6" fill="none" /></svg>);
    case 'skip':
      return (<svg {...common}><circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.5" /><path d="M4.5 8h7" stroke="currentColor" stroke-width="2" /></svg>);
    default:
      return (<svg {...common}><circle cx="8" cy="8" r="7" fill="currentColor" /><path d="M8 7v5M8 4v1.5" stroke="#fff" stroke-width="2" /></svg>);
  }
}

function Badge({ status, big }: { status: RowStatus; big?: boolean }) {
  return (
    <span class={`badge s-${status}${big ? ' big' : ''}`} data-status={status}>
      <StatusIcon status={status} />
      {LABEL[status]}
    </span>
  );
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** "2026-11-23 19:40:01 UTC" */
function utc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** "2026-11-23 20:40:01 Europe/Berlin (GMT+01:00)" in the time zone of the machine that ran. */
function local(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' })
        .formatToParts(d)
        .map((p) => [p.type, p.value]),
    );
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${timeZone} (${parts.timeZoneName})`;
  } catch {
    return utc(iso);
  }
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A shell-quoted rendering of argv (display only). */
function shellJoin(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function policyText(p: Policy): string {
  return `TLS ≥ ${p.minTlsVersion.replace('TLSv', '')} · expiry: warn under ${p.warnDays} days, fail under ${p.failDays} · refusal only at the HTTP layer counts as ${p.requireTlsRejection ? 'fail (--require-tls-rejection)' : 'enforcement'}`;
}

function auditSettingsText(a: NonNullable<RunSettings['audit']>, failOn: string): string {
  const roles = a.roles.length ? ` · roles: ${a.roles.map((r) => `${r.file}=${r.role}`).join(', ')}` : '';
  const layouts = a.layouts.length ? a.layouts.map((l) => `${l.dir} (${l.layout})`).join(', ') : 'none recognised';
  return `fail on: ${failOn} · audited: ${a.paths.join(', ')} · certs init layouts: ${layouts} · trust anchors: ${a.ca ? `--ca ${a.ca}` : 'the CA files found'} · expected names: ${a.expectedNames.join(', ') || 'none'}${roles}`;
}

function countsText(c: Record<Status, number>): string {
  return STATUS_ORDER.filter((s) => c[s] > 0).map((s) => `${c[s]} ${s}`).join(' · ') || 'no checks';
}

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
  /** The JSON report's bytes in base64 (or the slot where they go). */
  base64: string;
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
          <tr><th>Tool</th><td>{`${m.tool.name} ${m.tool.version}`}</td></tr>
          <tr><th>Started</th><td>{utc(m.startedAt)}<br /><span class="muted">{local(m.startedAt, m.timeZone)}</span></td></tr>
          <tr><th>Finished</th><td>{utc(m.finishedAt)}<br /><span class="muted">{local(m.finishedAt, m.timeZone)}</span></td></tr>
          <tr><th>Duration</th><td>{duration(m.durationMs)}</td></tr>
          <tr><th>Command</th><td><code class="cmd wrap">{shellJoin(m.command)}</code><span class="muted">Secrets (passphrases, tokens, inline PEM) are redacted.</span></td></tr>
          <tr><th>Host</th><td class="wrap">{m.host}</td></tr>
          {m.kind === 'audit' && m.policy ? <tr><th>Policy in force</th><td>{`expiry: warn under ${m.policy.warnDays} days, fail under ${m.policy.failDays}; private keys readable by their owner only`}</td></tr> : null}
          {m.kind === 'audit' && m.settings?.audit ? <tr><th>Audit settings</th><td class="wrap">{auditSettingsText(m.settings.audit, m.settings.failOn)}</td></tr> : null}
          {m.kind !== 'audit' && m.policy ? <tr><th>Policy in force</th><td>{policyText(m.policy)}{v.policyOverride ? ' (some targets override it: see each target)' : ''}</td></tr> : null}
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
                {'. The same bytes are embedded here: '}
                <a download={m.kind === 'probe' ? 'mtls-diagnosis.json' : 'mtls-report.json'} href={`data:application/json;base64,${v.base64}`}>
                  save the embedded JSON
                </a>
                .
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
          <tr><th>Target</th><th>Endpoint</th><th>Verdict</th>{STATUS_ORDER.map((s) => <th class="num">{s}</th>)}</tr>
        </thead>
        <tbody>
          {v.each('rows', (t) => (
            <tr data-target={t.anchor}>
              <td class="wrap"><a href={`#${t.anchor}`}>{t.id}</a></td>
              <td class="mono wrap">{t.endpoint}</td>
              <td><Badge status={t.verdict} /></td>
              {STATUS_ORDER.map((s) => <td class="num">{t.counts[s]}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      {m.kind !== 'probe' ? (
        <>
          <h3>Targets × suites</h3>
          <table class="matrix">
            <thead>
              <tr><th>Target</th>{suites.map((s) => <th class="wrap">{s.id}</th>)}</tr>
            </thead>
            <tbody>
              {v.each('matrix', (t) => (
                <tr>
                  <td class="wrap"><a href={`#${t.anchor}`}>{t.id}</a></td>
                  {suites.map((s) => {
                    const cell = t.suites.find((x) => x.id === s.id);
                    if (!cell?.status) return <td class="muted">—</td>;
                    const ran = cell.counts.pass + cell.counts.warn + cell.counts.fail + cell.counts.error;
                    return (
                      <td>
                        <span class="cell">
                          <Badge status={cell.status} />
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

const KEY_LABELS: Record<string, string> = {
  rejectedAt: 'Outcome',
  alert: 'TLS alert',
  tlsVersion: 'TLS version',
  httpStatusLine: 'HTTP status',
  httpStatus: 'HTTP status',
  cipher: 'Cipher suite',
  reason: 'What happened',
  errorCode: 'Error code',
  certificateRequested: 'Server asked for a client certificate',
  clientCertificateOffered: 'Client certificate offered',
  durationMs: 'Duration (ms)',
  fingerprintSha256: 'SHA-256 fingerprint',
  presentedCertificate: 'Certificate presented',
  noCert: 'Probe without a certificate',
  withCert: 'Probe with the client certificate',
  acceptableCaNames: 'Acceptable CA names advertised',
  minTlsVersion: 'Policy minimum',
};

/** The evidence keys shown first, in this order (where it was refused, how, over what). */
const KEY_ORDER = ['rejectedAt', 'alert', 'tlsVersion', 'httpStatusLine', 'reason', 'mode', 'method'];

const REJECTED_AT: Record<string, string> = {
  handshake: 'handshake — refused during the TLS handshake',
  'post-handshake': 'post-handshake — TLS 1.3: the handshake completed, then the server refused',
  application: 'application — TLS completed, refused at the HTTP layer',
  accepted: 'accepted — the request was served',
  unreachable: 'unreachable — no verdict could be reached',
};

function label(key: string): string {
  if (KEY_LABELS[key]) return KEY_LABELS[key]!;
  // Timeline offsets (`firstFailT`) and durations (`gapMs`) say their unit.
  const unit = /[a-z]T$/.test(key) ? ' at (ms)' : /[a-z]Ms$/.test(key) ? ' (ms)' : /[a-z]Pct$/.test(key) ? ' (%)' : '';
  const base = unit ? key.replace(/(T|Ms|Pct)$/, '') : key;
  return base.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().replace(/^./, (c) => c.toUpperCase()) + unit;
}

const MAX_ITEMS = 60;

function EvidenceValue({ k, v, depth }: { k: string; v: unknown; depth: number }): ComponentChildren {
  if (v === null || v === undefined) return <span class="muted">—</span>;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    if (k === 'rejectedAt' && REJECTED_AT[v]) return REJECTED_AT[v];
    if (/fingerprint/i.test(k) || k === 'serialNumber') return <span class="mono">{v}</span>;
    return v;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return <span class="muted">none</span>;
    if (v.every((x) => x === null || typeof x !== 'object')) {
      const shown = v.slice(0, MAX_ITEMS).map((x) => String(x)).join(', ');
      return v.length > MAX_ITEMS ? `${shown} … (${v.length - MAX_ITEMS} more)` : shown;
    }
    return (
      <ol class="ev-list">
        {v.slice(0, MAX_ITEMS).map((x) => <li><EvidenceValue k={k} v={x} depth={depth + 1} /></li>)}
        {v.length > MAX_ITEMS ? <li class="muted">{`… ${v.length - MAX_ITEMS} more in the JSON report`}</li> : null}
      </ol>
    );
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.code === 'number' && typeof o.name === 'string' && Object.keys(o).length === 2) return `${o.code} ${o.name}`;
    if (depth >= 5) return <span class="mono">{JSON.stringify(o).slice(0, 500)}</span>;
    return <EvidenceList evidence={o} depth={depth + 1} />;
  }
  return String(v);
}

function EvidenceList({ evidence, depth = 0, omit = [] }: { evidence: Record<string, unknown>; depth?: number; omit?: string[] }) {
  const keys = Object.keys(evidence).filter((k) => !omit.includes(k));
  keys.sort((a, b) => {
    const ia = KEY_ORDER.indexOf(a);
    const ib = KEY_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  });
  if (keys.length === 0) return null;
  return (
    <dl class="ev">
      {keys.map((k) => (
        <>
          <dt>{label(k)}</dt>
          <dd><EvidenceValue k={k} v={evidence[k]} depth={depth} /></dd>
        </>
      ))}
    </dl>
  );
}

function Check({ c, target }: { c: HtmlCheck; target: HtmlTarget }) {
  const chart = c.id === 'rotation.continuity' ? chartDataOf(c.evidence) : undefined;
  return (
    <article class={`check c-${c.status}`} id={`${target.anchor}-${c.id}`} data-check={c.id} data-status={c.status}>
      <div class="check-head">
        <Badge status={c.status} />
        <code>{c.id}</code>
        <span class="title">{c.title}</span>
      </div>
      <p class="wrap">{c.message}</p>
      {c.remediation ? <p class="fix wrap"><strong>Fix: </strong>{c.remediation}</p> : null}
      {c.references.length > 0 ? (
        <p class="refs">
          {'References: '}
          {c.references.map((r, i) => (
            <>
              {i > 0 ? '; ' : ''}
              <a href={r.url} rel="noreferrer">{r.cite}</a>
              {` (${r.about})`}
            </>
          ))}
        </p>
      ) : null}
      {chart ? <RotationChart id={`${target.anchor}-rotation-chart`} data={chart} caption={`Rotation timeline of ${target.id}: ${chart.attempts.length} handshake attempts, ${chart.attempts.filter((a) => !a.ok).length} failed`} /> : null}
      {Object.keys(c.evidence).length > 0 ? (
        <>
          <h4>Evidence</h4>
          <EvidenceList evidence={c.evidence} omit={chart ? ['timeline'] : []} />
        </>
      ) : null}
    </article>
  );
}

function daysClass(days: number, p?: Policy): string {
  if (days < (p?.failDays ?? 7)) return 'days-low';
  if (days < (p?.warnDays ?? 30)) return 'days-warn';
  return '';
}

function sanText(c: CertSummary): string {
  const all = [...c.sans.dns.map((d) => `DNS:${d}`), ...c.sans.ip.map((d) => `IP:${d}`), ...c.sans.uri.map((d) => `URI:${d}`), ...c.sans.email.map((d) => `email:${d}`), ...c.sans.other];
  return all.length ? all.join(', ') : 'none (no subjectAltName)';
}

function keyText(c: CertSummary): string {
  return [c.publicKey.type, c.publicKey.curve, c.publicKey.bits ? `${c.publicKey.bits} bits` : undefined].filter(Boolean).join(' ');
}

function CertCard({ c, role, policy }: { c: CertSummary; role: string; policy?: Policy }) {
  const validity = c.expired ? `expired ${-c.daysLeft} day(s) ago` : c.notYetValid ? 'not yet valid' : `${c.daysLeft} day(s) left`;
  return (
    <div class="cert" data-fingerprint={c.fingerprintSha256}>
      <h4>{role}</h4>
      <dl class="ev">
        <dt>Subject</dt><dd>{c.subject}</dd>
        <dt>Issuer</dt><dd>{c.issuer}</dd>
        <dt>Serial</dt><dd class="mono">{c.serialNumber}</dd>
        <dt>SANs</dt><dd>{sanText(c)}</dd>
        <dt>Extended key usage</dt><dd>{c.extKeyUsage.length ? c.extKeyUsage.join(', ') : 'none (any purpose)'}</dd>
        <dt>Key usage</dt><dd>{c.keyUsage.length ? c.keyUsage.join(', ') : 'none'}</dd>
        <dt>Basic constraints</dt><dd>{c.basicConstraints ? `CA:${c.basicConstraints.ca ? 'TRUE' : 'FALSE'}${c.basicConstraints.pathLength !== undefined ? `, pathlen ${c.basicConstraints.pathLength}` : ''}${c.basicConstraints.critical ? ' (critical)' : ''}` : 'absent'}</dd>
        <dt>Valid</dt>
        <dd>
          {`${utc(c.notBefore)} → ${utc(c.notAfter)} · `}
          <span class={daysClass(c.daysLeft, policy)}>{validity}</span>
          <span class="muted"> (at the time of the run)</span>
        </dd>
        <dt>Public key</dt><dd>{keyText(c)}</dd>
        <dt>Signature</dt><dd>{c.signatureAlgorithm}</dd>
        <dt>SHA-256 fingerprint</dt><dd class="mono">{c.fingerprintSha256}</dd>
      </dl>
    </div>
  );
}

/** The chain as sent, leaf first, each box issued by the next, ending at the trust anchor. */
function ChainDiagram({ chain, anchor, label: what }: { chain: CertSummary[]; anchor?: string; label: string }) {
  const anchorSent = anchor !== undefined && chain.some((c) => c.subject === anchor && c.selfIssued);
  const role = (i: number, c: CertSummary) => (i === 0 ? 'leaf' : c.selfIssued ? 'root (sent)' : 'intermediate');
  return (
    <div class="chain" role="img" aria-label={`${what}: ${chain.length} certificate(s)`}>
      {chain.map((c, i) => (
        <>
          {i > 0 ? <span class="arrow">issued by →</span> : null}
          <span class="node"><span class="role">{role(i, c)}</span>{c.subject}</span>
        </>
      ))}
      {anchor !== undefined && !anchorSent ? (
        <>
          <span class="arrow">issued by →</span>
          <span class="node anchor"><span class="role">trust anchor (not sent)</span>{anchor}</span>
        </>
      ) : null}
      {anchor === undefined && chain.length > 0 && !chain[chain.length - 1]!.selfIssued ? (
        <>
          <span class="arrow">issued by →</span>
          <span class="node anchor"><span class="role">no trusted issuer found</span>{chain[chain.length - 1]!.issuer}</span>
        </>
      ) : null}
    </div>
  );
}

function Certificates({ t }: { t: HtmlTarget }) {
  if (t.serverChain.length === 0 && t.clientChain.length === 0 && t.fileCertificates.length === 0) return null;
  return (
    <section class="certificates">
      <h3>Certificates</h3>
      {t.serverChain.length > 0 ? (
        <>
          <h4>Server chain, as presented</h4>
          <ChainDiagram chain={t.serverChain} {...(t.anchorSubject ? { anchor: t.anchorSubject } : {})} label="server chain" />
          <div class="certs">
            {t.serverChain.map((c, i) => <CertCard c={c} role={i === 0 ? 'Server leaf' : `${c.selfIssued ? 'Root' : 'Intermediate'} #${i + 1}, sent by the server`} {...(t.policy ? { policy: t.policy } : {})} />)}
          </div>
        </>
      ) : null}
      {t.fileCertificates.length > 0 ? (
        <>
          <h4>Certificates in the audited files</h4>
          <div class="certs">
            {t.fileCertificates.map((f) => <CertCard c={f.cert} role={`${f.role} · ${f.file}${f.index > 1 ? ` #${f.index}` : ''}`} {...(t.policy ? { policy: t.policy } : {})} />)}
          </div>
        </>
      ) : null}
      {t.clientChain.length > 0 ? (
        <>
          <h4>Client certificate the harness presented</h4>
          <div class="certs">
            {t.clientChain.map((c, i) => <CertCard c={c} role={i === 0 ? 'Client leaf' : `Client chain #${i + 1} (${c.selfIssued ? 'root' : 'intermediate'})`} {...(t.policy ? { policy: t.policy } : {})} />)}
          </div>
        </>
      ) : null}
      <p class="muted">Certificates only: this report never contains a private key.</p>
    </section>
  );
}

function TargetSection({ t, v }: { t: HtmlTarget; v: View }) {
  const { m } = v;
  const problems = t.checks.filter((c) => c.status === 'fail' || c.status === 'error' || c.status === 'warn');
  const suites = [...new Set(t.checks.map((c) => c.suite))];
  return (
    <section class="target" id={t.anchor} data-target-name={t.name}>
      <div class="target-head">
        <div>
          <h2 class="wrap">{t.id}</h2>
          <div class="muted wrap">
            <span class="mono">{t.endpoint}</span>
            {t.servername ? ` · SNI ${t.servername}` : ''}
            {t.kind === 'client' ? ` · client under test, observed by the ${t.reference?.implementation ?? 'node'} reference server` : t.reference ? ` · reference ${t.reference.implementation}, profile ${t.reference.profile}` : t.kind === 'files' ? ' · audited files' : ` · ${t.kind} target`}
            {t.protocol ? ` · ${t.protocol}` : ''}
          </div>
          {t.policy && m.policy && policyText(t.policy) !== policyText(m.policy) ? <div class="muted">{`Policy for this target: ${policyText(t.policy)}`}</div> : null}
        </div>
        <div><Badge status={t.verdict} big /><div class="muted">{countsText(t.counts)}</div></div>
      </div>
      {problems.length > 0 ? (
        <div class="problems">
          <strong>{`${problems.length} finding${problems.length === 1 ? '' : 's'} to act on`}</strong>
          <ul>
            {problems.map((c) => (
              <li><Badge status={c.status} /> <a href={`#${t.anchor}-${c.id}`}><code>{c.id}</code></a>{` — ${c.message}`}</li>
            ))}
          </ul>
        </div>
      ) : (
        <div class="nothing">Nothing to act on: every check that ran passed.</div>
      )}
      {suites.map((s) => (
        <>
          <h3>{t.suites.find((x) => x.id === s)?.title ?? s}</h3>
          {t.checks.filter((c) => c.suite === s).map((c) => <Check c={c} target={t} />)}
        </>
      ))}
      <Certificates t={t} />
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
          <Summary v={v} />
          {v.each('sections', (t) => <TargetSection t={t} v={v} />)}
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

/** Renders the model as one self-contained HTML document (one string: small reports, tests). */
export function renderHtmlReport(m: HtmlModel): string {
  const v: View = {
    m,
    ...overview(m, m.targets),
    digest: m.digest,
    base64: Buffer.from(m.digest.json, 'utf8').toString('base64'),
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
    base64: slot('json'),
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
