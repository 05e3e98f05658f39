// Issue 21, "diff reports a regression introduced between two real runs": the node reference in strict,
// then in optional-client-cert (a regression: a client without a certificate is served), each run by the
// built CLI into a JSON report; `diff` lists reject.no-client-cert as new (exit 1 only with --fail-on new),
// the reverse as fixed (exit 0), and the fresh leaf each run mints; `run --baseline` carries the same diff
// in its JSON and HTML reports. Plus every bad input: exit 2, one line.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDiff } from '../src/core/diff.js';
import { expectUsageError, runInProcess, spawnCli } from './helpers/cli.js';

let dir: string;
const at = (f: string) => path.join(dir, f);
const readJson = async (f: string) => JSON.parse(await fs.readFile(at(f), 'utf8')) as Record<string, unknown>;
const checks = (list: RunDiff['new']) => list.map((c) => `${c.check} ${c.before ?? 'absent'}→${c.after ?? 'absent'}`);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-diff-'));
  const strict = await spawnCli(['run', '--reference', 'node', '--profile', 'strict', '--json', 'a.json', '--quiet'], dir, {}, 120_000);
  expect(strict.code, strict.stderr).toBe(0);
  const optional = await spawnCli(['run', '--reference', 'node', '--profile', 'optional-client-cert', '--json', 'b.json', '--quiet'], dir, {}, 120_000);
  expect(optional.code, optional.stderr).toBe(1);
}, 240_000);
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe('diff between two real runs of the node reference', () => {
  it('strict → optional-client-cert: reject.no-client-cert is new; exit 0, and 1 with --fail-on new', async () => {
    const r = await spawnCli(['diff', 'a.json', 'b.json', '--json', 'd.json', '--html', 'd.html'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/│ NEW +│ node:optional-cl/);
    expect(r.stdout).toContain('reject.no-client-cert');
    expect(r.stdout).toMatch(/paired as the only target of each report: node:strict/);
    for (const l of r.stdout.split('\n')) expect(l.startsWith('│') || l.startsWith('┌') ? l.length : 0, l).toBeLessThanOrEqual(80);

    const doc = await readJson('d.json');
    expect(doc).toMatchObject({ schemaVersion: 2, kind: 'diff' });
    const d = doc.diff as RunDiff;
    expect(checks(d.new)).toContain('reject.no-client-cert pass→fail');
    expect(d.fixed).toEqual([]);
    expect(d.baseline.file).toBe('a.json');
    expect(d.baseline.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The reference mints a fresh PKI each run: another server leaf, another client leaf.
    const leaf = d.certificates.find((c) => c.chain === 'peer' && c.change === 'leaf')!;
    expect(leaf.before).not.toBe(leaf.after);
    expect(d.certificates.some((c) => c.chain === 'client' && c.change === 'leaf')).toBe(true);
    expect((await fs.stat(at('d.json'))).mode & 0o777).toBe(0o600);
    const html = await fs.readFile(at('d.html'), 'utf8');
    expect(html).toContain('Changes since baseline');
    expect(html).toMatch(/data-check="reject.no-client-cert"/);

    const gate = await spawnCli(['diff', 'a.json', 'b.json', '--fail-on', 'new'], dir);
    expect(gate.code, gate.stderr).toBe(1);
  });

  it('run --baseline --fail-on new with waivers: a new finding a waiver covers does not fail the run, one it does not cover does', async () => {
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const entry = (check: string) =>
      `  - target: "*"\n    check: "${check}"\n    reason: accepted while the clients migrate\n    owner: platform-team\n    expires: ${expires}\n`;
    await fs.writeFile(at('one.yaml'), `waivers:\n${entry('reject.no-client-cert')}`);
    await fs.writeFile(at('all.yaml'), `waivers:\n${entry('*')}`);
    const run = (waivers: string) =>
      spawnCli(
        ['run', '--reference', 'node', '--profile', 'optional-client-cert', '--baseline', 'a.json', '--fail-on', 'new', '--waivers', waivers, '--json', '-'],
        dir,
        {},
        120_000,
      );
    const one = await run('one.yaml');
    const j = JSON.parse(one.stdout) as { diff: RunDiff; results: { check: string; waiver?: unknown }[] };
    // Other findings are new too (the client-auth mode, …): those still fail it.
    expect(j.diff.new.filter((c) => c.check !== 'reject.no-client-cert').length).toBeGreaterThan(0);
    expect(j.results.find((r) => r.check === 'reject.no-client-cert')!.waiver).toBeDefined();
    expect(one.code, one.stderr).toBe(1);
    const all = await run('all.yaml');
    expect((JSON.parse(all.stdout) as { diff: RunDiff }).diff.new.length).toBeGreaterThan(0);
    expect(all.code, all.stderr).toBe(0);
  }, 240_000);

  it('optional-client-cert → strict: reject.no-client-cert is fixed, --fail-on new exits 0', async () => {
    const r = await spawnCli(['diff', 'b.json', 'a.json', '--fail-on', 'new', '--json', '-'], dir);
    expect(r.code, r.stderr).toBe(0);
    const d = (JSON.parse(r.stdout) as { diff: RunDiff }).diff;
    expect(d.new).toEqual([]);
    expect(checks(d.fixed)).toContain('reject.no-client-cert fail→pass');
    expect(d.summary.certificates).toBeGreaterThan(0);
  });

  it('run --baseline: the JSON report gains the diff, the HTML its section, the table a summary; --fail-on new decides', async () => {
    const r = await spawnCli(
      [
        'run',
        '--reference',
        'node',
        '--profile',
        'optional-client-cert',
        '--baseline',
        'a.json',
        '--fail-on',
        'new',
        '--json',
        'c.json',
        '--html',
        'c.html',
        '--quiet',
      ],
      dir,
      {},
      120_000,
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/since baseline a\.json \(run of .*\): \d+ new, /);
    expect(r.stdout).toContain('new: node:optional-client-cert reject.no-client-cert (pass → FAIL)');
    const report = await readJson('c.json');
    const d = report.diff as RunDiff;
    expect(checks(d.new)).toContain('reject.no-client-cert pass→fail');
    expect(d.current.file).toBeUndefined();
    expect((report.run as { settings: { failOn: string } }).settings.failOn).toBe('new');
    const html = await fs.readFile(at('c.html'), 'utf8');
    expect(html).toContain('<h2>Changes since baseline</h2>');

    // Against a baseline with the same findings: nothing new, exit 0 although the run has failures.
    const same = await spawnCli(
      ['run', '--reference', 'node', '--profile', 'optional-client-cert', '--baseline', 'b.json', '--fail-on', 'new', '--quiet'],
      dir,
      {},
      120_000,
    );
    expect(same.stdout).toMatch(/\d+ failed/);
    expect(same.stdout).toMatch(/since baseline b\.json .*: 0 new, /);
    expect(same.code, same.stderr).toBe(0);
  }, 240_000);
});

describe('bad input: exit 2, one line, nothing run', () => {
  const write = (f: string, text: string) => fs.writeFile(at(f), text);

  it.each([
    [['diff', 'a.json'], /give two JSON reports/],
    [['diff', 'a.json', 'b.json', 'c.json'], /give two JSON reports/],
    [['diff', 'missing.json', 'b.json'], /report not found: .*missing\.json/],
    [['diff', '.', 'b.json'], /is not a regular file/],
    [['diff', 'a.json', 'b.json', '--fail-on', 'warn'], /--fail-on takes new/],
    [['diff', 'a.json', 'b.json', '--json', 'a.json'], /--json .*a\.json is the input file the baseline report/],
    [['diff', 'a.json', 'b.json', '--html', '-'], /--html takes a file/],
  ])('%j', async (args, message) => {
    expectUsageError(await runInProcess(args.map((a) => (a.endsWith('.json') ? at(a) : a === '.' ? dir : a))), message);
  });

  it('a file that is not JSON, not a run report, or of another schemaVersion', async () => {
    const a = await readJson('a.json');
    const cases: [string, string, RegExp][] = [
      ['text.json', 'hello', /is not JSON/],
      ['array.json', '[]', /the document is not a JSON object/],
      ['probe.json', JSON.stringify({ schemaVersion: 2, kind: 'probe', diagnosis: {} }), /kind is "probe": not a run report/],
      ['v1.json', JSON.stringify({ ...a, schemaVersion: 1 }), /schemaVersion 1 is older/],
      ['v3.json', JSON.stringify({ ...a, schemaVersion: 3 }), /schemaVersion 3 was written by a newer/],
      ['status.json', JSON.stringify({ ...a, results: [{ ...(a.results as object[])[0], status: 'pwned' }] }), /results\[0\]\.status is not one of pass/],
      ['targets.json', JSON.stringify({ ...a, targets: [{ id: 7 }] }), /targets\[0\]\.id is not a string/],
      ['chain.json', JSON.stringify({ ...a, targets: [{ id: 'x', endpoint: 'x:1', peerChain: [{ issuer: 'CN=x' }] }] }), /peerChain\[0\]\.fingerprintSha256/],
    ];
    for (const [f, text, message] of cases) {
      await write(f, text);
      expectUsageError(await runInProcess(['diff', at('a.json'), at(f)]), message);
    }
  });

  it('run: --fail-on new without --baseline, and a --baseline that is not a report', async () => {
    expectUsageError(await runInProcess(['run', '--reference', 'node', '--profile', 'strict', '--fail-on', 'new']), /--fail-on new needs --baseline FILE/);
    await write('bad.json', '{"schemaVersion": 2}');
    expectUsageError(
      await runInProcess(['run', '--reference', 'node', '--profile', 'strict', '--baseline', at('bad.json')]),
      /run: .*bad\.json: run is not an object/,
    );
    expectUsageError(await runInProcess(['run', '--reference', 'node', '--profile', 'strict', '--fail-on', 'nope']), /--fail-on must be warn, fail or new/);
  });
});
