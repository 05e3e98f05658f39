import { describe, expect, it } from 'vitest';
import type { CertSummary } from '../../core/model.js';
import { DEFAULT_POLICY } from '../../core/target.js';
import type { Result, RunReport } from '../../core/model.js';
import { CHECK_REFERENCES } from '../../../suites/references.js';
import { SUITES, suiteTitle } from '../../../suites/index.js';
import { jsonReportText } from '../outputs.js';
import { thinAttempts } from './chart.js';
import { buildRunHtml } from './index.js';
import { runHtmlModel, sha256Hex, worstStatus } from './model.js';

const EVIL = `<img src=x onerror=alert(1)></script><script>alert(2)</script>"'&`;

function cert(over: Partial<CertSummary> = {}): CertSummary {
  return {
    subject: `CN=${EVIL}`,
    issuer: `CN=issuer ${EVIL}`,
    serialNumber: '01',
    sans: { dns: [EVIL], ip: [], uri: [`javascript:${EVIL}`], email: [], other: [] },
    extKeyUsage: ['serverAuth'],
    keyUsage: ['digitalSignature'],
    basicConstraints: { ca: false, critical: true },
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: '2027-01-01T00:00:00.000Z',
    daysLeft: 5,
    expired: false,
    notYetValid: false,
    publicKey: { type: 'EC', curve: 'P-256', bits: 256 },
    signatureAlgorithm: 'SHA-256 with ECDSA',
    fingerprintSha256: 'AA:BB',
    selfIssued: false,
    ...over,
  };
}

function report(results: Partial<Result>[]): RunReport {
  const full: Result[] = results.map((r) => ({
    targetId: `t ${EVIL}`,
    target: `t ${EVIL}`,
    suite: 'rejection-without-cert',
    check: 'reject.no-client-cert',
    title: 'x',
    status: 'pass',
    message: 'm',
    evidence: {},
    durationMs: 1,
    ...r,
  }));
  return {
    startedAt: '2026-11-23T10:00:00.000Z',
    finishedAt: '2026-11-23T10:00:01.500Z',
    durationMs: 1500,
    settings: { failOn: 'fail', timeoutMs: 5000, concurrency: 8 },
    targets: [{ id: `t ${EVIL}`, name: `t ${EVIL}`, endpoint: '127.0.0.1:1', kind: 'live', peerChain: [cert()], policy: DEFAULT_POLICY }],
    results: full,
    summary: {
      pass: 0,
      warn: 0,
      fail: 0,
      skip: 0,
      error: 0,
      ...Object.fromEntries(['pass', 'warn', 'fail', 'skip', 'error'].map((s) => [s, full.filter((r) => r.status === s).length])),
    },
  };
}

describe('HTML report rendering', () => {
  it('escapes every hostile string: certificate fields, messages, evidence, target names, argv', () => {
    const run = report([
      {
        status: 'fail',
        message: `served: HTTP/1.1 200 ${EVIL}`,
        remediation: `fix ${EVIL}`,
        evidence: { httpStatusLine: `HTTP/1.1 403 ${EVIL}`, [`key ${EVIL}`]: [EVIL, { nested: EVIL }] },
      },
    ]);
    const argv = ['run', '--target', `${EVIL}:1`];
    const html = buildRunHtml(run, argv, jsonReportText(run, argv));
    // No markup from the hostile text survives; it appears escaped.
    expect(html).not.toMatch(/<img|<script|<\/script>/i);
    expect(html).toContain('&lt;img src=x onerror=alert(1)>&lt;/script>&lt;script>alert(2)&lt;/script>');
    // The only links: fragment anchors, RFC references and the embedded JSON; never a certificate's URI.
    for (const [, href] of html.matchAll(/href="([^"]*)"/g))
      expect(href).toMatch(/^(#t\d|https:\/\/www\.rfc-editor\.org\/|https:\/\/github\.com\/spiffe\/|data:application\/json;base64,)/);
    // A CSP that forbids scripts and every external load.
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"/>`,
    );
  });

  it('neutralises control and bidi-override characters from hostile text', () => {
    const run = report([{ message: 'evil\u202eexe.pdf\u0007 \u001b[31mred' }]);
    const html = buildRunHtml(run, [], jsonReportText(run, []));
    expect(html).toContain('evil?exe.pdf? ?[31mred');
    expect(html).not.toMatch(/[\u202e\u0007\u001b]/);
  });

  it('carries the SHA-256 of the exact JSON bytes it is given and embeds them unmodified, however long', () => {
    const run = report([{ evidence: { big: 'x'.repeat(50_000) } }]);
    const json = jsonReportText(run, ['run']);
    const html = buildRunHtml(run, ['run'], json);
    expect(html).toContain(`SHA-256 ${sha256Hex(json)}`);
    const b64 = /data:application\/json;base64,([A-Za-z0-9+/=]+)/.exec(html)![1]!;
    expect(Buffer.from(b64, 'base64').toString()).toBe(json);
  });

  it('marks certificate days left against the policy and never prints a key', () => {
    const run = report([{}]);
    const html = buildRunHtml(run, [], jsonReportText(run, []));
    expect(html).toContain('<span class="days-low">5 day(s) left</span>');
    expect(html).not.toContain('PRIVATE KEY');
  });

  it('two targets with one name are two sections, each with its own checks, shown by their ids; every kind of suite by its catalogue title', () => {
    const base = report([]);
    const t0 = base.targets[0]!;
    const name = '127.0.0.1:8443';
    const r = (id: string, suite: string, check: string, status: Result['status']): Result => ({
      targetId: id,
      target: name,
      suite,
      check,
      title: check,
      status,
      message: `${check} on ${id}`,
      evidence: {},
      durationMs: 1,
    });
    const run: RunReport = {
      ...base,
      targets: [
        { ...t0, id: name, name },
        { ...t0, id: `${name}#2`, name, servername: 'other.example' },
      ],
      results: [
        r(name, 'rejection-without-cert', 'reject.no-client-cert', 'pass'),
        r(`${name}#2`, 'rejection-without-cert', 'reject.no-client-cert', 'fail'),
        r(`${name}#2`, 'k8s-audit', 'k8s.secret-cert-expiry', 'warn'),
      ],
      summary: { pass: 1, warn: 1, fail: 1, skip: 0, error: 0 },
    };
    const model = runHtmlModel(run, ['run'], jsonReportText(run, ['run']));
    expect(model.targets.map((t) => [t.id, t.name, t.verdict, t.checks.length])).toEqual([
      [name, name, 'pass', 1],
      [`${name}#2`, name, 'fail', 2],
    ]);
    const html = buildRunHtml(run, ['run'], jsonReportText(run, ['run']));
    expect([...html.matchAll(/<h2 class="wrap">([^<]*)<\/h2>/g)].map((m) => m[1])).toEqual([name, `${name}#2`]);
    // Headings of the suites of every kind: the catalogue's titles (k8s-audit was shown by its id).
    for (const id of ['rejection-without-cert', 'k8s-audit']) expect(html).toContain(`<h3>${suiteTitle(id)}</h3>`);
    expect(html).not.toContain('<h3>k8s-audit</h3>');
  });

  it('takes the worst status as a verdict: error > fail > warn > pass > skip', () => {
    expect(worstStatus(['pass', 'skip'])).toBe('pass');
    expect(worstStatus(['skip'])).toBe('skip');
    expect(worstStatus(['pass', 'warn', 'fail'])).toBe('fail');
    expect(worstStatus(['fail', 'error'])).toBe('error');
  });

  it('gives every check of the catalogue its references (rotation.continuity rests on none)', () => {
    for (const s of SUITES) for (const c of s.checks) expect(Object.keys(CHECK_REFERENCES), c.id).toContain(c.id);
    for (const [id, refs] of Object.entries(CHECK_REFERENCES)) if (id !== 'rotation.continuity') expect(refs.length, id).toBeGreaterThan(0);
  });

  it('thins a long timeline to the extremes per pixel but keeps every failure', () => {
    const attempts = Array.from({ length: 20_000 }, (_, i) => ({ t: i, latencyMs: (i * 7919) % 50, ok: i % 1000 !== 0, leaf: i < 10_000 ? 0 : 1 }));
    const kept = thinAttempts(attempts, (t) => (t / 20_000) * 900);
    expect(kept.filter((a) => !a.ok)).toHaveLength(20);
    expect(kept.length).toBeLessThan(2 * 902 * 2 + 20);
    expect(kept.some((a) => a.ok && a.latencyMs === 49)).toBe(true);
  });
});
