/** (Rendered only as JSX text, as render.tsx: never markup by string concatenation.)
 * A check's evidence as a definition list: known keys labelled and ordered, values bounded; all of it hostile text, rendered only as JSX text. */
import type { ComponentChildren } from 'preact';

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
  controlCertificate: 'Control certificate',
  crafted: 'Crafted property',
  noCert: 'Probe without a certificate',
  withCert: 'Probe with the client certificate',
  acceptableCaNames: 'Acceptable CA names advertised',
  minTlsVersion: 'Policy minimum',
};

/** The evidence keys shown first, in this order (where it was refused, how, over what). */
const KEY_ORDER = ['rejectedAt', 'alert', 'tlsVersion', 'httpStatusLine', 'reason', 'mode', 'method'];

export const REJECTED_AT: Record<string, string> = {
  handshake: 'handshake — refused during the TLS handshake',
  'post-handshake': 'post-handshake — TLS 1.3: the handshake completed, then the server refused',
  application: 'application — TLS completed, refused at the HTTP layer',
  accepted: 'accepted — the request was served',
  unreachable: 'unreachable — no verdict could be reached',
};

export function label(key: string): string {
  if (KEY_LABELS[key]) return KEY_LABELS[key]!;
  // Timeline offsets (`firstFailT`) and durations (`gapMs`) say their unit.
  const unit = /[a-z]T$/.test(key) ? ' at (ms)' : /[a-z]Ms$/.test(key) ? ' (ms)' : /[a-z]Pct$/.test(key) ? ' (%)' : '';
  const base = unit ? key.replace(/(T|Ms|Pct)$/, '') : key;
  return (
    base
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .replace(/^./, (c) => c.toUpperCase()) + unit
  );
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
      const shown = v
        .slice(0, MAX_ITEMS)
        .map((x) => String(x))
        .join(', ');
      return v.length > MAX_ITEMS ? `${shown} … (${v.length - MAX_ITEMS} more)` : shown;
    }
    return (
      <ol class="ev-list">
        {v.slice(0, MAX_ITEMS).map((x) => (
          <li>
            <EvidenceValue k={k} v={x} depth={depth + 1} />
          </li>
        ))}
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

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A crafted certificate beside its control (the crafted profiles): one row per property, the rows
 * where they differ marked, so the one property under test stands out.
 */
function BesideControl({ crafted, control }: { crafted: Record<string, unknown>; control: Record<string, unknown> }) {
  const keys = [...new Set([...Object.keys(crafted), ...Object.keys(control)])].filter((k) => k !== 'fingerprintSha256');
  const text = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));
  return (
    <table class="beside">
      <thead>
        <tr>
          <th></th>
          <th>Crafted certificate</th>
          <th>Control (same CA)</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => (
          <tr class={k === 'serialNumber' || text(crafted[k]) === text(control[k]) ? undefined : 'differs'}>
            <th>{label(k)}</th>
            <td>
              <EvidenceValue k={k} v={crafted[k]} depth={4} />
            </td>
            <td>
              <EvidenceValue k={k} v={control[k]} depth={4} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EvidenceList({ evidence, depth = 0, omit = [] }: { evidence: Record<string, unknown>; depth?: number; omit?: string[] }) {
  const { presentedCertificate: crafted, controlCertificate: control } = evidence;
  if (depth === 0 && !omit.includes('controlCertificate') && isRecord(crafted) && isRecord(control)) {
    return (
      <>
        <EvidenceList evidence={evidence} depth={depth} omit={[...omit, 'presentedCertificate', 'controlCertificate']} />
        <BesideControl crafted={crafted} control={control} />
      </>
    );
  }
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
          <dd>
            <EvidenceValue k={k} v={evidence[k]} depth={depth} />
          </dd>
        </>
      ))}
    </dl>
  );
}
