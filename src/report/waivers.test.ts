// Waived results in the reports that are not HTML (docs/waivers.md): the terminal table (one row per
// check, and one per target above 10 targets), JUnit (a passing testcase, the waiver as a property
// and in system-out, the status kept), the JSON report (results[].waiver, summary.waived, waivers).
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import type { Result, RunReport, TargetReport } from '../core/model.js';
import { summarize, type Status } from '../core/status.js';
import { applyWaivers } from '../rules/waivers.js';
import { buildJsonReport } from './json.js';
import { buildJunitXml } from './junit.js';
import { renderResultsTable } from './results-table.js';
import { makeStyle } from './style.js';

function run(targets: number): RunReport {
  const ts: TargetReport[] = Array.from({ length: targets }, (_, i) => ({ id: `t${i}`, name: `t${i}`, endpoint: `10.0.0.${i}:443`, kind: 'live' }));
  const r = (t: TargetReport, check: string, status: Status): Result => ({
    targetId: t.id,
    target: t.name,
    suite: 'rejection-without-cert',
    check,
    title: check,
    status,
    message: `${check}: ${status}`,
    evidence: {},
    durationMs: 1,
  });
  const results = ts.flatMap((t) => [r(t, 'reject.no-client-cert', 'fail'), r(t, 'reject.expired-client-cert', 'pass')]);
  const report: RunReport = {
    startedAt: '2026-11-29T00:00:00Z',
    finishedAt: '2026-11-29T00:00:01Z',
    durationMs: 1000,
    targets: ts,
    results,
    summary: summarize(results),
  };
  applyWaivers(
    report,
    {
      file: 'w.yaml',
      entries: [{ target: 't0', check: 'reject.no-client-cert', reason: 'legacy <clients> & "co"', owner: 'team', expires: '2027-01-31', index: 0, line: 2 }],
    },
    fixedClock('2026-11-29T00:00:00Z'),
  );
  return report;
}

const plain = makeStyle({ isTTY: false, env: {} });

describe('a waived result in the table, JUnit and JSON', () => {
  it('the table marks it and says the waiver; the summary line counts it', () => {
    const text = renderResultsTable(run(2), plain, 200);
    expect(text).toMatch(/│ FAIL +│ reject\.no-client-cert/);
    expect(text).toMatch(/│ waived +│/);
    expect(text).toContain('waived until 2027-01-31 by team: legacy <clients> & "co"');
    expect(text.match(/waived until/g)).toHaveLength(1);
    expect(text).toMatch(/2 failed, 0 skipped, 0 errors, 1 waived \(not failing the run\)\n/);
    const many = renderResultsTable(run(12), plain, 120);
    expect(many).toContain('reject.no-client-cert (waived)');
    expect(many.match(/\(waived\)/g)).toHaveLength(1);
    expect(many).toMatch(/12 failed, 0 skipped, 0 errors, 1 waived \(not failing the run\);/);
  });

  it('JUnit: a passing testcase, not counted as a failure; the status and the waiver as properties; a WAIVED line in system-out', () => {
    const xml = buildJunitXml(run(2));
    const [t0, t1] = xml.split('<testsuite ').slice(1);
    expect(t0).toMatch(/failures="0"/);
    expect(t0).toMatch(/<testcase name="reject\.no-client-cert" [^>]*\/>/);
    expect(t0).toContain('<property name="reject.no-client-cert.status" value="fail"/>');
    expect(t0).toContain(
      '<property name="reject.no-client-cert.waiver" value="legacy &lt;clients&gt; &amp; &quot;co&quot; (owner team, until 2027-01-31; w.yaml waivers[0])"/>',
    );
    expect(t0).toMatch(/<system-out>WAIVED FAIL reject\.no-client-cert: reject\.no-client-cert: fail\n {2}waiver: legacy &lt;clients&gt; &amp; "co"/);
    expect(t1).toMatch(/failures="1"/);
    expect(t1).toMatch(/<failure message="reject\.no-client-cert: fail"/);
  });

  it('JSON: results[].waiver, summary.waived, waivers last', () => {
    const j = buildJsonReport(run(2), ['run']);
    expect(Object.keys(j).slice(-2)).toEqual(['summary', 'waivers']);
    expect(j.summary).toEqual({ pass: 2, warn: 0, fail: 2, skip: 0, error: 0, waived: 1 });
    expect(j.results[0]!.waiver).toEqual({ reason: 'legacy <clients> & "co"', owner: 'team', expires: '2027-01-31', file: 'w.yaml', index: 0 });
    expect(j.waivers).toEqual({ file: 'w.yaml', entries: 1, applied: 1, unused: [], expired: [] });
  });
});
