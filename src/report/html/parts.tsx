/** (Rendered only as JSX text, as render.tsx: never markup by string concatenation.)
 * Small pieces of the HTML report: status badges and icons, and the text of dates, durations, policies and counts. */
import type { RunSettings } from '../../core/model.js';
import type { Policy } from '../../core/target.js';
import type { Status } from '../../core/status.js';
import type { RowStatus } from './model.js';

const LABEL: Record<RowStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', error: 'ERROR', skip: 'SKIP', info: 'INFO' };
export const STATUS_ORDER: Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];

/** Icon shapes differ per status (✓ circle, ! triangle, × square, ? octagon, – circle, i circle). */
function StatusIcon({ status }: { status: RowStatus }) {
  const common = { viewBox: '0 0 16 16', 'aria-hidden': 'true' as const, xmlns: 'http://www.w3.org/2000/svg' };
  switch (status) {
    case 'pass':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M4.5 8.2l2.3 2.3 4.7-4.9" stroke="#fff" stroke-width="2" fill="none" />
        </svg>
      );
    case 'warn':
      return (
        <svg {...common}>
          <path d="M8 1L15.5 14.5H.5z" fill="currentColor" />
          <path d="M8 5.5v4.5M8 11.5v1.5" stroke="#fff" stroke-width="1.8" />
        </svg>
      );
    case 'fail':
      return (
        <svg {...common}>
          <rect x="1" y="1" width="14" height="14" rx="2" fill="currentColor" />
          <path d="M4.5 4.5l7 7M11.5 4.5l-7 7" stroke="#fff" stroke-width="2" />
        </svg>
      );
    case 'error':
      return (
        <svg {...common}>
          <path d="M5 1h6l4 4v6l-4 4H5l-4-4V5z" fill="currentColor" />
          <path d="M6 6.2a2 2 0 1 1 2.8 1.8c-.5.3-.8.6-.8 1.3v.6M8 11.3v1.4" stroke="#fff" stroke-width="1.6" fill="none" />
        </svg>
      );
    case 'skip':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.5" />
          <path d="M4.5 8h7" stroke="currentColor" stroke-width="2" />
        </svg>
      );
    default:
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M8 7v5M8 4v1.5" stroke="#fff" stroke-width="2" />
        </svg>
      );
  }
}

export function Badge({ status, big }: { status: RowStatus; big?: boolean }) {
  return (
    <span class={`badge s-${status}${big ? ' big' : ''}`} data-status={status}>
      <StatusIcon status={status} />
      {LABEL[status]}
    </span>
  );
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** "2026-11-23 19:40:01 UTC" */
export function utc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** "2026-11-23 20:40:01 Europe/Berlin (GMT+01:00)" in the time zone of the machine that ran. */
export function local(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'longOffset',
      })
        .formatToParts(d)
        .map((p) => [p.type, p.value]),
    );
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${timeZone} (${parts.timeZoneName})`;
  } catch {
    return utc(iso);
  }
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A shell-quoted rendering of argv (display only). */
export function shellJoin(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function policyText(p: Policy): string {
  return `TLS ≥ ${p.minTlsVersion.replace('TLSv', '')} · expiry: warn under ${p.warnDays} days, fail under ${p.failDays} · refusal only at the HTTP layer counts as ${p.requireTlsRejection ? 'fail (--require-tls-rejection)' : 'enforcement'}`;
}

export function auditSettingsText(a: NonNullable<RunSettings['audit']>, failOn: string): string {
  const roles = a.roles.length ? ` · roles: ${a.roles.map((r) => `${r.file}=${r.role}`).join(', ')}` : '';
  const layouts = a.layouts.length ? a.layouts.map((l) => `${l.dir} (${l.layout})`).join(', ') : 'none recognised';
  return `fail on: ${failOn} · audited: ${a.paths.join(', ')} · certs init layouts: ${layouts} · trust anchors: ${a.ca ? `--ca ${a.ca}` : 'the CA files found'} · expected names: ${a.expectedNames.join(', ') || 'none'}${roles}`;
}

export function countsText(c: Record<Status, number>): string {
  return (
    STATUS_ORDER.filter((s) => c[s] > 0)
      .map((s) => `${c[s]} ${s}`)
      .join(' · ') || 'no checks'
  );
}
