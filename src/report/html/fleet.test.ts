// Issue 21, the HTML at fleet scale: structure, never time (the load time is measured by
// `npm run bench`, scripts/bench-html-fleet.ts). A fleet of identical passing targets and a few
// failing ones: failing targets open, the others collapsed with every check still named, no block
// or row repeated per target for the same result, one card per certificate, the JSON embedded only
// up to EMBED_MAX_BYTES, and the streamed page the same bytes as the one-string render.
import { describe, expect, it } from 'vitest';
import type { CertSummary, Result, RunReport } from '../../core/model.js';
import type { Status } from '../../core/status.js';
import { DEFAULT_POLICY } from '../../core/target.js';
import { jsonReportText } from '../outputs.js';
import { buildRunHtml, pageOfModel, renderHtmlReport, runHtmlModel, sha256Hex, streamHtmlReport } from './index.js';
import { EMBED_MAX_BYTES } from './render.js';

const CERT: CertSummary = {
  subject: 'CN=svc, O=Example',
  issuer: 'CN=Fleet CA',
  serialNumber: '0A',
  sans: { dns: ['svc.example'], ip: [], uri: [], email: [], other: [] },
  extKeyUsage: ['serverAuth'],
  keyUsage: ['digitalSignature'],
  basicConstraints: { ca: false, critical: true },
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2027-01-01T00:00:00.000Z',
  daysLeft: 200,
  expired: false,
  notYetValid: false,
  publicKey: { type: 'EC', curve: 'P-256', bits: 256 },
  signatureAlgorithm: 'SHA-256 with ECDSA',
  fingerprintSha256: 'AB:CD:EF',
  selfIssued: false,
};

const CHECKS = 26;
const failing = (i: number) => i % 7 === 3;

/** `n` targets × 26 checks, the same evidence everywhere but the timings; every 7th target fails check.2. */
function fleet(n: number, evidence: Record<string, unknown> = {}): RunReport {
  const results: Result[] = [];
  const names = Array.from({ length: n }, (_, i) => `svc-${i}.example:8443`);
  for (const [i, name] of names.entries()) {
    for (let c = 0; c < CHECKS; c++) {
      const status: Status = failing(i) && c === 2 ? 'fail' : c === 5 ? 'warn' : c === 7 ? 'skip' : 'pass';
      results.push({
        targetId: name,
        target: name,
        suite: c < 10 ? 'handshake-with-cert' : 'chain-validation',
        check: `check.n${c}`,
        title: `Check ${c}`,
        status,
        message: `${status}: the same sentence on every target`,
        ...(status === 'pass' ? {} : { remediation: 'do the fix' }),
        evidence: { rejectedAt: 'accepted', tlsVersion: 'TLSv1.3', durationMs: (i * 31 + c) % 97, presentedCertificate: CERT, ...evidence },
        durationMs: c,
      });
    }
  }
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const r of results) summary[r.status]++;
  return {
    startedAt: '2026-11-28T12:00:00.000Z',
    finishedAt: '2026-11-28T12:01:00.000Z',
    durationMs: 60_000,
    targets: names.map((name) => ({ id: name, name, endpoint: name, kind: 'live', peerChain: [CERT], policy: DEFAULT_POLICY })),
    results,
    summary,
  };
}

/** The target sections of a page, each with the check ids it names (a row, a block, or a repeated-results row). */
function sections(html: string): { open: boolean; checks: string[]; html: string }[] {
  return html
    .split('<section class="target"')
    .slice(1)
    .map((s) => ({
      open: /<details class="target" open>/.test(s),
      checks: [...s.matchAll(/data-checks?="([^"]+)"/g)].flatMap((m) => m[1]!.split(' ')),
      html: s,
    }));
}

describe('the HTML report at fleet scale', () => {
  const N = 300;
  const run = fleet(N);
  const json = jsonReportText(run, ['run']);
  const html = buildRunHtml(run, ['run'], json);
  const secs = sections(html);

  it('failing targets are open, the others collapsed, and every result is named in its own target', () => {
    expect(secs).toHaveLength(N);
    for (const [i, s] of secs.entries()) {
      expect(s.open, `target ${i}`).toBe(failing(i));
      expect([...s.checks].sort(), `target ${i}`).toEqual(Array.from({ length: CHECKS }, (_, c) => `check.n${c}`).sort());
    }
  });

  it('repeats no block or row for the same result: only the first target of each kind has rows, later ones one row naming them', () => {
    // Full rows (with their evidence) for the first passing target and the first failing one alone.
    expect(html.match(/class="ev-text"/g)!.length).toBeLessThanOrEqual(2 * CHECKS);
    // A failure is a block every time (its evidence in full), nothing else is.
    expect(html.match(/<article class="check/g)).toHaveLength(secs.filter((s) => s.open).length);
    // A later passing target: its checks in one row per status, linking to the first target.
    expect(secs[10]!.html.includes('with the same result as on <a href="#t1">svc-0.example:8443</a>')).toBe(true);
    expect(secs[10]!.html.includes('class="ev-text"')).toBe(false);
    // The warning found on every target links to the row that shows it (the first target's).
    expect(secs[10]!.html.includes('href="#t1-check.n5"')).toBe(true);
    // One certificate card in full; every later mention is a line linking to it.
    expect(html.match(/<div class="cert" id="cert-ABCDEF"/g)).toHaveLength(1);
    expect(html.match(/<div class="cert seen"/g)).toHaveLength(N - 1);
    // Bounded: under 6 KB per target, summary rows included (a block per check took several times that).
    expect(html.length / N).toBeLessThan(6144);
  });

  it('embeds the JSON up to EMBED_MAX_BYTES; above, shows its digest alone; streamed and whole are the same bytes', () => {
    const few = fleet(5);
    expect(buildRunHtml(few, ['run'], jsonReportText(few, ['run'])).includes('data:application/json;base64,')).toBe(true);
    const big = fleet(40, { padding: 'x'.repeat(Math.ceil(EMBED_MAX_BYTES / (40 * CHECKS)) + 100) });
    const bigJson = jsonReportText(big, ['run']);
    expect(Buffer.byteLength(bigJson)).toBeGreaterThan(EMBED_MAX_BYTES);
    const model = runHtmlModel(big, ['run'], bigJson);
    const page = renderHtmlReport(model);
    expect(page.includes('data:application/json')).toBe(false);
    expect(page.includes(`SHA-256 ${sha256Hex(bigJson)}`)).toBe(true);
    expect(page.includes('Not embedded: the JSON is larger than 4 MiB')).toBe(true);
    expect([...streamHtmlReport(pageOfModel(model))].join('') === page).toBe(true);
    const small = runHtmlModel(few, ['run'], jsonReportText(few, ['run']));
    expect([...streamHtmlReport(pageOfModel(small))].join('') === renderHtmlReport(small)).toBe(true);
  });
});
