// Issue 16 (10): every phase after the checks reads the results grouped by target once. These tests
// assert behaviour and structure, never time: the grouping keeps every result in order, each
// per-target view sees exactly its own results, the chunked terminal table is the same text as one
// table, and 3,000 targets (78,000 results) go through the table, the HTML model and JUnit within
// the test timeout (the old per-target scans over all results took minutes there).
import { describe, expect, it } from 'vitest';
import type { Result, RunReport } from '../core/model.js';
import type { Status } from '../core/status.js';
import { resultsByTarget } from './by-target.js';
import { runHtmlModel } from './html/model.js';
import { buildJunitXml } from './junit.js';
import { renderChunkedTable, renderResultsTable } from './results-table.js';
import { makeStyle } from './style.js';

const STATUSES: Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];

function syntheticRun(targets: number, checksPerTarget: number): RunReport {
  const results: Result[] = [];
  const names = Array.from({ length: targets }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}:8443`);
  // Results interleaved across targets (as a report built in another order could be): grouping
  // must not depend on them being contiguous.
  for (let c = 0; c < checksPerTarget; c++) {
    for (const [i, target] of names.entries()) {
      const status = i % 7 === 0 && c === 3 ? 'fail' : i % 11 === 0 && c === 5 ? 'error' : c % 9 === 8 ? 'skip' : 'pass';
      results.push({
        targetId: target,
        target,
        suite: c < 6 ? 'handshake-with-cert' : 'chain-validation',
        check: `check.${c}`,
        title: `Check ${c}`,
        status,
        message: `${status} on ${target}`,
        evidence: { n: c },
        durationMs: c,
      });
    }
  }
  const summary = Object.fromEntries(STATUSES.map((s) => [s, results.filter((r) => r.status === s).length])) as RunReport['summary'];
  return {
    startedAt: '2026-11-28T12:00:00.000Z',
    finishedAt: '2026-11-28T12:01:00.000Z',
    durationMs: 60_000,
    targets: names.map((name) => ({ id: name, name, endpoint: name, kind: 'live' })),
    results,
    summary,
  };
}

describe('results grouped by target once', () => {
  it('keeps every result, in report order within each target', () => {
    const run = syntheticRun(40, 5);
    const groups = resultsByTarget(run.results);
    expect([...groups.keys()]).toEqual(run.targets.map((t) => t.id));
    expect([...groups.values()].reduce((a, g) => a + g.length, 0)).toBe(run.results.length);
    for (const [id, rs] of groups) {
      expect(rs.every((r) => r.targetId === id)).toBe(true);
      expect(rs.map((r) => r.check)).toEqual(['check.0', 'check.1', 'check.2', 'check.3', 'check.4']);
    }
  });

  it('two targets with one name stay two groups: results are grouped by targetId', () => {
    const run = syntheticRun(2, 3);
    for (const r of run.results) r.target = 'same:443';
    const groups = resultsByTarget(run.results);
    expect([...groups.keys()]).toEqual(run.targets.map((t) => t.id));
    for (const rs of groups.values()) expect(rs).toHaveLength(3);
  });

  it('the chunked terminal table is the same text as one cli-table3 table, whatever the chunk size', () => {
    const rows = Array.from({ length: 23 }, (_, i) => [`t${i}`, i % 2 ? 'PASS' : 'FAIL', String(i), `a longer note ${'word '.repeat(i % 5)}`]);
    const one = renderChunkedTable(['Target', 'Verdict', 'n', 'Note'], [12, 9, 5, 24], rows, 1000);
    for (const chunk of [1, 2, 5, 10, 22, 23, 24]) expect(renderChunkedTable(['Target', 'Verdict', 'n', 'Note'], [12, 9, 5, 24], rows, chunk)).toBe(one);
  });

  it('3,000 targets × 26 checks: table, HTML model and JUnit, each target with its own results', () => {
    const run = syntheticRun(3000, 26);
    const table = renderResultsTable(run, makeStyle({ isTTY: false, env: {} }), 120, false);
    const summary = table.replace(/\s+/g, ' '); // (wrapped to the width)
    expect(summary).toContain('78000 checks on 3000 targets');
    // Targets 0, 7, 14 … fail check.3; 0, 11, 22 … have an error: 429 + 273 − 39 with both.
    expect(summary).toContain(`${429 + 273 - 39} target(s) with failures or errors`);
    expect(table.split('\n').filter((l) => l.startsWith('│ 10.0.')).length).toBe(3000);

    const model = runHtmlModel(run, ['run'], '{}\n');
    expect(model.targets).toHaveLength(3000);
    for (const [i, t] of model.targets.entries()) {
      expect(t.checks).toHaveLength(26);
      expect(t.name).toBe(run.targets[i]!.name);
    }
    expect(model.targets[7]!.verdict).toBe('fail');
    expect(model.targets[11]!.verdict).toBe('error');
    expect(model.targets[1]!.verdict).toBe('pass');

    const xml = buildJunitXml(run);
    expect(xml.match(/<testsuite /g)).toHaveLength(6000);
  }, 120_000);
});

describe('JUnit written as text', () => {
  it('escapes every & (also one that looks like an entity), < > and quotes; empty runs are one element', () => {
    const run = syntheticRun(1, 2);
    run.results[0] = { ...run.results[0]!, status: 'fail', message: 'CN=a &lt;b&gt; & "c" <d>' };
    const xml = buildJunitXml(run);
    expect(xml).toContain('message="CN=a &amp;lt;b&amp;gt; &amp; &quot;c&quot; &lt;d&gt;"');
    expect(xml).toContain('>CN=a &amp;lt;b&amp;gt; &amp; "c" &lt;d&gt;</failure>');
    expect(buildJunitXml({ ...run, results: [] })).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites/>\n');
  });
});
