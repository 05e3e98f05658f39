import { Table } from './table.js';
import type { Diagnosis, FindingStatus } from '../probe/diagnose.js';
import { safeText } from '../core/text.js';
import type { Style } from './style.js';

const MARK: Record<FindingStatus, string> = { ok: 'OK', warn: 'WARN', problem: 'FAIL', info: 'info' };

function mark(s: FindingStatus, st: Style): string {
  const m = MARK[s];
  return s === 'ok' ? st.ok(m) : s === 'warn' ? st.warn(m) : s === 'problem' ? st.bad(m) : st.dim(m);
}

function tableStyle(st: Style): { head: string[]; border: string[] } {
  return st.color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] };
}

/**
 * Renders a diagnosis as the `probe` command's terminal output: findings, the presented chain, fixes,
 * verdict. `quiet` (--quiet): only the WARN/FAIL findings.
 */
export function renderDiagnosis(d: Diagnosis, st: Style, width = 100, quiet = false): string {
  const out: string[] = [];
  const sni = d.servername ? ` (SNI ${safeText(d.servername)})` : '';
  out.push(st.bold(`mtls-harness probe ${d.target}${sni}`) + st.dim(`  ${d.checkedAt}`));
  const findingWidth = Math.max(40, Math.min(width, 140) - 32);
  const t = new Table({ head: ['', 'Aspect', 'Finding'], colWidths: [7, 24, findingWidth], wordWrap: true, style: tableStyle(st) });
  const shown = quiet ? d.findings.filter((f) => f.status === 'warn' || f.status === 'problem') : d.findings;
  for (const f of shown) t.push([mark(f.status, st), f.aspect, safeText(f.finding, 600)]);
  if (shown.length > 0) out.push(t.toString());

  const chainOutcome = [d.withCert, d.withoutCert].find((o) => o && o.peerChain.length > 0);
  if (chainOutcome) {
    out.push(`Server chain as sent (${chainOutcome.peerChainSource === 'wire' ? 'read from the handshake' : 'as rebuilt by node'}):`);
    const c = new Table({ head: ['#', 'Subject', 'Issuer', 'Days left', 'SHA-256'], colWidths: [4, 30, 30, 11, 23], wordWrap: true, style: tableStyle(st) });
    chainOutcome.peerChain.forEach((s, i) => {
      const sans = [...s.sans.dns, ...s.sans.ip].slice(0, 4).join(', ');
      c.push([
        String(i + 1),
        safeText(s.subject, 120) + (sans ? `\nSAN: ${safeText(sans, 120)}` : ''),
        safeText(s.issuer, 120),
        String(s.daysLeft),
        s.fingerprintSha256.slice(0, 17) + '…',
      ]);
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
      : d.trustsAnyCertificate
        ? st.bad('Verdict: client certificates are required but not verified: a self-signed certificate was accepted.')
        : d.clientAuth.inconclusive
          ? st.bad(`Verdict: inconclusive: enforcement of client certificates is not shown (${safeText(d.clientAuth.inconclusive.reason, 300)}).`)
          : st.bad(`Verdict: client certificates are NOT enforced (client-auth mode: ${d.clientAuth.mode}).`);
  out.push(verdict);
  return out.join('\n') + '\n';
}

/**
 * Many diagnoses at once: one row per target (mode, without / with a certificate, chain, expiry,
 * SANs, verdict). `quiet` (--quiet): only the targets that do not enforce (or did not finish).
 */
export function renderDiagnosisSummary(ds: (Diagnosis | { target: string; notFinished: string })[], st: Style, width = 120, quiet = false): string {
  const w = Math.max(100, Math.min(width, 200));
  const t = new Table({
    head: ['Target', 'Mode', 'Without cert', 'With cert', 'Chain', 'Expiry', 'SAN', 'Verdict'],
    colWidths: [Math.floor(w * 0.2), 14, Math.floor(w * 0.17), Math.floor(w * 0.13), 9, 9, 7, 13],
    wordWrap: true,
    style: tableStyle(st),
  });
  const cell = (d: Diagnosis, id: string) => {
    const f = d.findings.find((x) => x.id === id);
    return f ? mark(f.status, st) : st.dim('—');
  };
  let enforced = 0;
  for (const d of ds) {
    if ('notFinished' in d) {
      t.push([safeText(d.target, 80), st.dim('—'), st.dim(d.notFinished), '', '', '', '', st.bad('NOT FINISHED')]);
      continue;
    }
    if (d.enforced) enforced++;
    if (quiet && d.enforced) continue;
    const without = d.findings.find((x) => x.id === 'without-cert');
    const withC = d.findings.find((x) => x.id === 'with-cert');
    t.push([
      safeText(d.target, 80) + (d.servername ? `\n(SNI ${safeText(d.servername, 60)})` : ''),
      d.unreachable ? st.dim('—') : d.clientAuth.mode,
      d.unreachable ? st.bad(safeText(d.withoutCert.reason, 120)) : without ? `${mark(without.status, st)} ${safeText(without.finding, 100)}` : '',
      withC ? `${mark(withC.status, st)} ${safeText(withC.finding, 80)}` : '',
      cell(d, 'server-chain'),
      cell(d, 'server-expiry'),
      cell(d, 'san-coverage'),
      d.unreachable ? st.bad('ERROR') : d.enforced ? st.ok('ENFORCED') : st.bad('NOT ENFORCED'),
    ]);
  }
  return `${t.length > 0 ? `${t.toString()}\n` : ''}${enforced} of ${ds.length} target(s) enforce client certificates.\n`;
}
