// The comparison of two runs (docs/diff.md): pairing, the new/fixed/changed lists, certificate changes,
// and the diff's terminal table (80 columns, hostile text made safe).
import { describe, expect, it } from 'vitest';
import type { Status } from '../core/status.js';
import { compareChains, diffRuns, pairTargets, type ComparableCert, type ComparableRun, type ComparableTarget } from './diff.js';
import { renderDiffSummary, renderDiffTable } from './diff-table.js';
import { makeStyle } from './style.js';

const fp = (n: number) => Array.from({ length: 32 }, (_, i) => ((n + i) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
const cert = (n: number, issuer = 'CN=CA', notAfter = '2027-01-01T00:00:00.000Z'): ComparableCert => ({ fingerprintSha256: fp(n), issuer, notAfter });
const target = (id: string, endpoint = `${id}:443`, extra: Partial<ComparableTarget> = {}): ComparableTarget => ({ id, endpoint, ...extra });
const run = (targets: ComparableTarget[], results: [string, string, Status][]): ComparableRun => ({
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  targets,
  results: results.map(([targetId, check, status]) => ({ targetId, check, status, message: `${check} is ${status}` })),
});
const plain = makeStyle({ isTTY: false, env: { NO_COLOR: '1' } });

describe('pairing targets', () => {
  it('by id first, then by a unique endpoint (said), the rest added or removed', () => {
    const p = pairTargets([target('a'), target('b', 'x:1'), target('gone')], [target('a', 'moved:1'), target('b2', 'x:1'), target('fresh')]);
    expect(p.pairs.map(([b, c]) => [b.id, c.id])).toEqual([
      ['a', 'a'],
      ['b', 'b2'],
    ]);
    expect(p.pairings).toEqual([{ by: 'endpoint', baseline: { id: 'b', endpoint: 'x:1' }, current: { id: 'b2', endpoint: 'x:1' } }]);
    expect(p.added.map((t) => t.id)).toEqual(['fresh']);
    expect(p.removed.map((t) => t.id)).toEqual(['gone']);
  });

  it('an endpoint two targets share on one side pairs nothing', () => {
    const p = pairTargets([target('a', 'x:1'), target('b', 'x:1')], [target('c', 'x:1'), target('d', 'y:1')]);
    expect(p.pairs).toEqual([]);
    expect(p.added).toHaveLength(2);
  });

  it('one target in each report, nothing else in common: those two, said so', () => {
    const p = pairTargets([target('node:strict', '127.0.0.1:1')], [target('node:optional-client-cert', '127.0.0.1:2')]);
    expect(p.pairs).toHaveLength(1);
    expect(p.pairings[0]!.by).toBe('only-target');
  });
});

describe('diffRuns', () => {
  const before = run(
    [target('a'), target('gone')],
    [
      ['a', 'reject.no-client-cert', 'pass'],
      ['a', 'chain.x', 'fail'],
      ['a', 'warned', 'warn'],
      ['a', 'skipped', 'skip'],
      ['a', 'dropped', 'fail'],
      ['a', 'same', 'fail'],
      ['gone', 'reject.no-client-cert', 'fail'],
    ],
  );
  const after = run(
    [target('a'), target('fresh')],
    [
      ['a', 'reject.no-client-cert', 'fail'],
      ['a', 'chain.x', 'pass'],
      ['a', 'warned', 'fail'],
      ['a', 'skipped', 'error'],
      ['a', 'same', 'fail'],
      ['a', 'added-check', 'warn'],
      ['fresh', 'reject.no-client-cert', 'fail'],
      ['fresh', 'ok', 'pass'],
    ],
  );
  const d = diffRuns(before, after, { baseline: { file: 'old.json', sha256: 'ab' } });

  it('new: a finding now that was pass, skip or absent (an added target included)', () => {
    expect(d.new.map((c) => [c.targetId, c.check, c.before, c.after])).toEqual([
      ['a', 'reject.no-client-cert', 'pass', 'fail'],
      ['a', 'skipped', 'skip', 'error'],
      ['a', 'added-check', null, 'warn'],
      ['fresh', 'reject.no-client-cert', null, 'fail'],
    ]);
  });

  it('fixed: a finding before, pass now; other changes apart (worse findings, checks gone)', () => {
    expect(d.fixed.map((c) => c.check)).toEqual(['chain.x']);
    expect(d.changed.map((c) => [c.check, c.before, c.after])).toEqual([
      ['warned', 'warn', 'fail'],
      ['dropped', 'fail', null],
    ]);
  });

  it('targets added and removed; the summary counts; the sources', () => {
    expect(d.targetsAdded).toEqual([{ id: 'fresh', endpoint: 'fresh:443' }]);
    expect(d.targetsRemoved).toEqual([{ id: 'gone', endpoint: 'gone:443' }]);
    expect(d.summary).toEqual({ new: 4, fixed: 1, changed: 2, targetsAdded: 1, targetsRemoved: 1, certificates: 0 });
    expect(d.baseline).toMatchObject({ file: 'old.json', sha256: 'ab', targets: 2, results: 7 });
    expect(d.current).not.toHaveProperty('file');
  });

  it('the same run against itself: nothing', () => {
    expect(diffRuns(after, after).summary).toEqual({ new: 0, fixed: 0, changed: 0, targetsAdded: 0, targetsRemoved: 0, certificates: 0 });
  });
});

describe('certificate changes', () => {
  it('new leaf, new issuer name, expiry moved', () => {
    const c = compareChains('a', 'peer', [cert(1, 'CN=Old CA')], [cert(2, 'CN=New CA', '2028-01-01T00:00:00.000Z')]);
    expect(c.map((x) => [x.change, x.before, x.after])).toEqual([
      ['leaf', fp(1), fp(2)],
      ['issuer', 'CN=Old CA', 'CN=New CA'],
      ['expiry', '2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z'],
    ]);
  });

  it('the same issuer name on another issuing certificate is a new issuer; the same leaf is nothing', () => {
    expect(compareChains('a', 'client', [cert(1), cert(5)], [cert(1), cert(6)]).map((x) => x.change)).toEqual(['issuer']);
    expect(compareChains('a', 'client', [cert(1), cert(5)], [cert(1), cert(5)])).toEqual([]);
  });

  it('a chain in one report only: added or removed', () => {
    expect(compareChains('a', 'peer', [], [cert(1)])).toEqual([{ targetId: 'a', chain: 'peer', change: 'added', after: fp(1) }]);
    expect(compareChains('a', 'peer', [cert(1)], undefined)).toEqual([{ targetId: 'a', chain: 'peer', change: 'removed', before: fp(1) }]);
  });

  it('diffRuns compares the peer and the client chain of paired targets', () => {
    const d = diffRuns(
      run([target('a', 'a:1', { peerChain: [cert(1)], clientChain: [cert(3)] })], []),
      run([target('a', 'a:1', { peerChain: [cert(2)], clientChain: [cert(3)] })], []),
    );
    expect(d.certificates.map((c) => [c.chain, c.change])).toEqual([['peer', 'leaf']]);
  });
});

describe('the terminal table', () => {
  const hostile = 'evil\u202efdp.exe\u001b[31m' + 'x'.repeat(100);
  const d = diffRuns(
    run([target('a', 'a:1', { peerChain: [cert(1)] })], [['a', 'reject.no-client-cert', 'pass']]),
    run([target(hostile, 'a:1', { peerChain: [cert(2, hostile)] })], [[hostile, 'reject.no-client-cert', 'fail']]),
  );

  it('fits 80 columns and shows no control or bidi character from the reports', () => {
    const text = renderDiffTable(d, plain, 80);
    const lines = text.split('\n');
    const table = lines.filter((l) => /^[┌│├└]/.test(l));
    expect(table.length).toBeGreaterThan(0);
    for (const l of table) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(text).not.toMatch(/[\u001b\u202e]/);
    expect(text).toContain('NEW');
    expect(text).toMatch(/diff: 1 new, 0 fixed/);
  });

  it("run --baseline's summary names the new findings", () => {
    const text = renderDiffSummary(d);
    expect(text).toMatch(/^since baseline \(run of 2026-01-01T00:00:00.000Z\): 1 new, /);
    expect(text).toContain('reject.no-client-cert (pass → FAIL)');
    expect(text).not.toMatch(/[\u001b\u202e]/);
  });
});

describe('the HTML section and page', () => {
  it('quote hostile text as data: no markup, no bidi or control character', async () => {
    const { renderDiffPage } = await import('./html/diff-page.js');
    const evil = '<script>alert(1)</script>\u202efdp.exe';
    const d = diffRuns(run([target('a')], [['a', 'reject.no-client-cert', 'pass']]), run([target(evil, 'a:443')], [[evil, 'reject.no-client-cert', 'fail']]));
    const html = renderDiffPage(d, { name: 'mtls-harness', version: '0' }, ['diff', 'a.json', 'b.json']);
    expect(html).toContain('Changes since baseline');
    expect(html).toContain('&lt;script>alert(1)&lt;/script>?fdp.exe');
    expect(html).not.toMatch(/<script|\u202e/);
    expect(html).toContain("default-src 'none'");
  });
});
