/** (Rendered only as JSX text, as render.tsx: never markup by string concatenation.)
 * A target's certificates in the HTML report: a card per certificate, the chain as a diagram. Certificates only, never a key. */
import type { CertSummary } from '../../core/model.js';
import type { Policy } from '../../core/target.js';
import type { HtmlTarget } from './model.js';
import { utc } from './parts.js';

function daysClass(days: number, p?: Policy): string {
  if (days < (p?.failDays ?? 7)) return 'days-low';
  if (days < (p?.warnDays ?? 30)) return 'days-warn';
  return '';
}

function sanText(c: CertSummary): string {
  const all = [
    ...c.sans.dns.map((d) => `DNS:${d}`),
    ...c.sans.ip.map((d) => `IP:${d}`),
    ...c.sans.uri.map((d) => `URI:${d}`),
    ...c.sans.email.map((d) => `email:${d}`),
    ...c.sans.other,
  ];
  return all.length ? all.join(', ') : 'none (no subjectAltName)';
}

function keyText(c: CertSummary): string {
  return [c.publicKey.type, c.publicKey.curve, c.publicKey.bits ? `${c.publicKey.bits} bits` : undefined].filter(Boolean).join(' ');
}

/** A fingerprint as an anchor id: hex digits only (never hostile text in an id). */
const certAnchor = (c: CertSummary) => `cert-${c.fingerprintSha256.replace(/[^0-9A-Fa-f]/g, '')}`;

/**
 * A certificate's card; when `seen` already holds its fingerprint (shown in full for an earlier
 * target), one line naming it and linking to that card.
 */
function CertCard({ c, role, policy, seen }: { c: CertSummary; role: string; policy?: Policy; seen?: Set<string> }) {
  if (seen?.has(c.fingerprintSha256)) {
    return (
      <div class="cert seen" data-fingerprint={c.fingerprintSha256}>
        <h4>{role}</h4>
        <span class="wrap">{c.subject}</span>
        <span class="muted">
          {' · the same certificate as '}
          <a href={`#${certAnchor(c)}`}>shown in full above</a>
          {` (SHA-256 ${c.fingerprintSha256})`}
        </span>
      </div>
    );
  }
  seen?.add(c.fingerprintSha256);
  const validity = c.expired ? `expired ${-c.daysLeft} day(s) ago` : c.notYetValid ? 'not yet valid' : `${c.daysLeft} day(s) left`;
  return (
    <div class="cert" id={seen ? certAnchor(c) : undefined} data-fingerprint={c.fingerprintSha256}>
      <h4>{role}</h4>
      <dl class="ev">
        <dt>Subject</dt>
        <dd>{c.subject}</dd>
        <dt>Issuer</dt>
        <dd>{c.issuer}</dd>
        <dt>Serial</dt>
        <dd class="mono">{c.serialNumber}</dd>
        <dt>SANs</dt>
        <dd>{sanText(c)}</dd>
        <dt>Extended key usage</dt>
        <dd>{c.extKeyUsage.length ? c.extKeyUsage.join(', ') : 'none (any purpose)'}</dd>
        <dt>Key usage</dt>
        <dd>{c.keyUsage.length ? c.keyUsage.join(', ') : 'none'}</dd>
        <dt>Basic constraints</dt>
        <dd>
          {c.basicConstraints
            ? `CA:${c.basicConstraints.ca ? 'TRUE' : 'FALSE'}${c.basicConstraints.pathLength !== undefined ? `, pathlen ${c.basicConstraints.pathLength}` : ''}${c.basicConstraints.critical ? ' (critical)' : ''}`
            : 'absent'}
        </dd>
        <dt>Valid</dt>
        <dd>
          {`${utc(c.notBefore)} → ${utc(c.notAfter)} · `}
          <span class={daysClass(c.daysLeft, policy)}>{validity}</span>
          <span class="muted"> (at the time of the run)</span>
        </dd>
        <dt>Public key</dt>
        <dd>{keyText(c)}</dd>
        <dt>Signature</dt>
        <dd>{c.signatureAlgorithm}</dd>
        <dt>SHA-256 fingerprint</dt>
        <dd class="mono">{c.fingerprintSha256}</dd>
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
          <span class="node">
            <span class="role">{role(i, c)}</span>
            {c.subject}
          </span>
        </>
      ))}
      {anchor !== undefined && !anchorSent ? (
        <>
          <span class="arrow">issued by →</span>
          <span class="node anchor">
            <span class="role">trust anchor (not sent)</span>
            {anchor}
          </span>
        </>
      ) : null}
      {anchor === undefined && chain.length > 0 && !chain[chain.length - 1]!.selfIssued ? (
        <>
          <span class="arrow">issued by →</span>
          <span class="node anchor">
            <span class="role">no trusted issuer found</span>
            {chain[chain.length - 1]!.issuer}
          </span>
        </>
      ) : null}
    </div>
  );
}

export function Certificates({ t, seen }: { t: HtmlTarget; seen?: Set<string> }) {
  if (t.serverChain.length === 0 && t.clientChain.length === 0 && t.fileCertificates.length === 0) return null;
  return (
    <section class="certificates">
      <h3>Certificates</h3>
      {t.serverChain.length > 0 ? (
        <>
          <h4>Server chain, as presented</h4>
          <ChainDiagram chain={t.serverChain} {...(t.anchorSubject ? { anchor: t.anchorSubject } : {})} label="server chain" />
          <div class="certs">
            {t.serverChain.map((c, i) => (
              <CertCard
                c={c}
                role={i === 0 ? 'Server leaf' : `${c.selfIssued ? 'Root' : 'Intermediate'} #${i + 1}, sent by the server`}
                {...(t.policy ? { policy: t.policy } : {})}
                seen={seen}
              />
            ))}
          </div>
        </>
      ) : null}
      {t.fileCertificates.length > 0 ? (
        <>
          <h4>Certificates in the audited files</h4>
          <div class="certs">
            {t.fileCertificates.map((f) => (
              <CertCard c={f.cert} role={`${f.role} · ${f.file}${f.index > 1 ? ` #${f.index}` : ''}`} {...(t.policy ? { policy: t.policy } : {})} seen={seen} />
            ))}
          </div>
        </>
      ) : null}
      {t.clientChain.length > 0 ? (
        <>
          <h4>Client certificate the harness presented</h4>
          <div class="certs">
            {t.clientChain.map((c, i) => (
              <CertCard
                c={c}
                role={i === 0 ? 'Client leaf' : `Client chain #${i + 1} (${c.selfIssued ? 'root' : 'intermediate'})`}
                {...(t.policy ? { policy: t.policy } : {})}
                seen={seen}
              />
            ))}
          </div>
        </>
      ) : null}
      <p class="muted">Certificates only: this report never contains a private key.</p>
    </section>
  );
}
