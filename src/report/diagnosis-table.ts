import Table from 'cli-table3';
import type { Diagnosis, FindingStatus } from '../probe/diagnose.js';
import { safeText } from '../text.js';
import type { Style } from './style.js';

const MARK: Record<FindingStatus, string> = { ok: 'OK', warn: 'WARN', problem: 'FAIL', info: 'info' };

function mark(s: FindingStatus, st: Style): string {
  const m = MARK[s];
  return s === 'ok' ? st.ok(m) : s === 'warn' ? st.warn(m) : s === 'problem' ? st.bad(m) : st.dim(m);
}

function tableStyle(st: Style): { head: string[]; border: string[] } {
  return st.color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] };
}

/** Renders a diagnosis as the `probe` command's terminal output: findings, the presented chain, fixes, verdict. */
export function renderDiagnosis(d: Diagnosis, st: Style, width = 100): string {
  const out: string[] = [];
  const sni = d.servername ? ` (SNI ${safeText(d.servername)})` : '';
  out.push(st.bold(`mtls-harness probe ${d.target}${sni}`) + st.dim(`  ${d.checkedAt}`));
  const findingWidth = Math.max(40, Math.min(width, 140) - 32);
  const t = new Table({ head: ['', 'Aspect', 'Finding'], colWidths: [7, 24, findingWidth], wordWrap: true, style: tableStyle(st) });
  for (const f of d.findings) t.push([mark(f.status, st), f.aspect, safeText(f.finding, 600)]);
  out.push(t.toString());

  const chainOutcome = [d.withCert, d.withoutCert].find((o) => o && o.peerChain.length > 0);
  if (chainOutcome) {
    out.push(`Server chain as sent (${chainOutcome.peerChainSource === 'wire' ? 'read from the handshake' : 'as rebuilt by node'}):`);
    const c = new Table({ head: ['#', 'Subject', 'Issuer', 'Days left', 'SHA-256'], colWidths: [4, 30, 30, 11, 23], wordWrap: true, style: tableStyle(st) });
    chainOutcome.peerChain.forEach((s, i) => {
      const sans = [...s.sans.dns, ...s.sans.ip].slice(0, 4).join(', ');
      c.push([String(i + 1), safeText(s.subject, 120) + (sans ? `\nSAN: ${safeText(sans, 120)}` : ''), safeText(s.issuer, 120), String(s.daysLeft), s.fingerprintSha256.slice(0, 17) + '…']);
    });
    out.push(c.toString());
  }
  const fixes = d.findings.filter((f) => f.fix && (f.status === 'problem' || f.status === 'warn'));
  if (fixes.length > 0) {
    out.push('How to fix:');
    fixes.forEach((f, i) => out.push(`  ${i + 1}. ${f.aspect}: ${safeText(f.fix!, 600)}`));
  }
  const verdict = d.unreachable
    ? st.bad('Verdict: could not evaluate the server (see Connection).')
    : d.enforced
      ? st.ok('Verdict: client certificates are enforced.')
      : st.bad(`Verdict: client certificates are NOT enforced (client-auth mode: ${d.clientAuth.mode}).`);
  out.push(verdict);
  return out.join('\n') + '\n';
}
