// Waivers and `baseline` end to end (docs/waivers.md), against the node reference server's
// optional-client-cert profile (a real TLS server on 127.0.0.1 that serves a client without a
// certificate: reject.no-client-cert and handshake.client-auth-mode fail there).
import { spawnSync } from 'node:child_process';
import { promises as fs, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, fixedClock, type Clock } from '../src/core/clock.js';
import { runCli } from '../src/cli/run.js';
import { expectUsageError, spawnCli, type Ran } from './helpers/cli.js';

const XSD = path.resolve(import.meta.dirname, '../fixtures/junit/JUnit.xsd');
const HAVE_XMLLINT = spawnSync('sh', ['-c', 'command -v xmllint']).status === 0;

const REF = ['--reference', 'node', '--profile', 'optional-client-cert'];
const CHECKS = ['--check', 'reject.no-client-cert', '--check', 'handshake.client-auth-mode'];

let dir: string;
const f = (n: string) => path.join(dir, n);
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-waivers-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const day = (d: Date) => d.toISOString().slice(0, 10);
/** A day some way ahead of the real one: the waivers below are valid whatever the clock of the machine. */
const AHEAD = day(addDays(new Date(), 30));

function entry(target: string, check: string, o: { expires?: string; reason?: string } = {}): string {
  return `  - target: ${JSON.stringify(target)}\n    check: ${JSON.stringify(check)}\n    reason: ${JSON.stringify(o.reason ?? 'accepted: legacy clients until the migration')}\n    owner: platform-team\n    expires: "${o.expires ?? AHEAD}"\n`;
}

async function waivers(name: string, ...entries: string[]): Promise<string> {
  await fs.writeFile(f(name), `waivers:\n${entries.join('')}`);
  return f(name);
}

interface JsonReport {
  results: { targetId: string; check: string; status: string; waiver?: Record<string, unknown> }[];
  summary: Record<string, number>;
  waivers?: { file: string; applied: number; unused: { index: number }[]; expired: { index: number; matched: number }[] };
}
const readJson = async (n: string) => JSON.parse(await fs.readFile(f(n), 'utf8')) as JsonReport;
const waivedOf = (r: JsonReport) => r.results.filter((x) => x.waiver).map((x) => `${x.targetId} ${x.check}`);

describe('baseline, then reasons written, then the run passes (the built CLI, a real server)', () => {
  it('run fails; baseline writes one entry per finding; the file is refused until reasons are written; then the run passes with the findings kept', async () => {
    const first = await spawnCli(['run', ...REF, ...CHECKS, '--json', f('r.json')], dir);
    expect(first.code, first.stderr).toBe(1);

    const base = await spawnCli(['baseline', f('r.json')], dir);
    expect(base.code, base.stderr).toBe(0);
    expect(base.stdout).toMatch(/^# mtls-harness waivers/);
    const entries = base.stdout.split('\n').filter((l) => l.startsWith('  - target:'));
    expect(entries).toEqual(['  - target: "node:optional-client-cert"', '  - target: "node:optional-client-cert"']);
    await fs.writeFile(f('baseline.yaml'), base.stdout);

    const out = await spawnCli(['baseline', f('r.json'), '--out', f('out.yaml'), '--expires', '30d'], dir);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe('');
    expect(statSync(f('out.yaml')).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(f('out.yaml'), 'utf8')).toContain(`expires: "${day(addDays(new Date(), 30))}"`);

    const refused = await spawnCli(['run', ...REF, ...CHECKS, '--waivers', f('baseline.yaml')], dir);
    expectUsageError(refused, /baseline\.yaml:\d+: waivers\[0\]\.reason is empty: write why this finding is accepted/);

    const edited = base.stdout.replace(/reason: ""/g, 'reason: "legacy clients until Q3"').replace(/owner: ""/g, 'owner: "platform-team"');
    await fs.writeFile(f('edited.yaml'), edited);
    const ok = await spawnCli(
      ['run', ...REF, ...CHECKS, '--waivers', f('edited.yaml'), '--json', f('w.json'), '--junit', f('w.xml'), '--html', f('w.html')],
      dir,
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).not.toMatch(/waiver (unused|expired)/);
    expect(ok.stdout).toMatch(/2 failed, 0 skipped, 0 errors, 2 waived \(not failing the run\)/);
    expect(ok.stdout).toMatch(/FAIL +│[^\n]*\n│ waived/);

    const json = await readJson('w.json');
    expect(json.results.map((r) => r.status)).toEqual(['fail', 'fail']); // the evidence keeps the status
    expect(json.results[0]!.waiver).toEqual({
      reason: 'legacy clients until Q3',
      owner: 'platform-team',
      expires: expect.any(String),
      file: f('edited.yaml'),
      index: 0,
    });
    expect(json.summary).toMatchObject({ fail: 2, waived: 2 });
    expect(json.waivers).toEqual({ file: f('edited.yaml'), entries: 2, applied: 2, unused: [], expired: [] });

    const xml = await fs.readFile(f('w.xml'), 'utf8');
    expect(xml).not.toMatch(/<failure/);
    expect(xml).toMatch(/failures="0"/);
    expect(xml).toMatch(/<property name="reject\.no-client-cert\.status" value="fail"\/>/);
    expect(xml).toMatch(
      /<property name="reject\.no-client-cert\.waiver" value="legacy clients until Q3 \(owner platform-team, until \d{4}-\d\d-\d\d; [^"]*edited\.yaml waivers\[1\]\)"\/>/,
    );
    expect(xml).toMatch(/<system-out>[^<]*WAIVED FAIL reject\.no-client-cert: /);
    if (HAVE_XMLLINT) {
      const lint = spawnSync('xmllint', ['--noout', '--schema', XSD, f('w.xml')], { encoding: 'utf8' });
      expect(lint.status, lint.stderr).toBe(0);
    }

    const html = await fs.readFile(f('w.html'), 'utf8');
    expect(html.match(/data-waived="true"/g)).toHaveLength(2);
    expect(html).toContain('legacy clients until Q3 — owner platform-team');
    expect(html).toMatch(/<section class="waivers" id="waivers"><h2>Waivers<\/h2>/);
  });
});

describe('a waiver silences exactly its finding', () => {
  it('another check on the same target still fails the run', async () => {
    const w = await waivers('one.yaml', entry('node:optional-client-cert', 'reject.no-client-cert'));
    const r = await spawnCli(['run', ...REF, ...CHECKS, '--waivers', w, '--json', f('one.json')], dir);
    expect(r.code, r.stderr).toBe(1);
    expect(waivedOf(await readJson('one.json'))).toEqual(['node:optional-client-cert reject.no-client-cert']);
  });

  it('the same check on another target still fails the run (config file: waivers: a file relative to it, MTLS_WAIVERS over it)', async () => {
    await fs.mkdir(f('conf'), { recursive: true });
    const ref = '    reference: { implementation: node, profile: optional-client-cert }\n';
    await fs.writeFile(
      f('conf/mtls.yaml'),
      `checks: [reject.no-client-cert, handshake.client-auth-mode]\nwaivers: accepted.yaml\ntargets:\n  - name: legacy\n${ref}  - name: api\n${ref}`,
    );
    await fs.writeFile(f('conf/accepted.yaml'), `waivers:\n${entry('leg*', '*')}`);
    const r = await spawnCli(['run', '--config', f('conf/mtls.yaml'), '--json', f('two.json')], dir);
    expect(r.code, r.stderr).toBe(1);
    expect(waivedOf(await readJson('two.json')).sort()).toEqual(['legacy handshake.client-auth-mode', 'legacy reject.no-client-cert']);

    const all = await waivers('all.yaml', entry('*', 'reject.no-client-cert'), entry('*', 'handshake.*'));
    const env = await spawnCli(['run', '--config', f('conf/mtls.yaml'), '--json', f('env.json')], dir, { MTLS_WAIVERS: all });
    expect(env.code, env.stderr).toBe(0);
    expect(waivedOf(await readJson('env.json'))).toHaveLength(4);
  });

  it("the config file's waivers: list", async () => {
    const ref = '    reference: { implementation: node, profile: optional-client-cert }\n';
    await fs.writeFile(f('inline.yaml'), `waivers:\n${entry('*', 'reject.*')}${entry('*', 'handshake.client-auth-mode')}targets:\n  - name: x\n${ref}`);
    const r = await spawnCli(['run', '--config', f('inline.yaml'), ...CHECKS, '--json', f('inline.json')], dir);
    expect(r.code, r.stderr).toBe(0);
    expect((await readJson('inline.json')).waivers).toMatchObject({ file: f('inline.yaml'), applied: 2 });
  });
});

describe('until its date (a pinned clock, in-process): the day after, the finding fails the run again', () => {
  async function runAt(clock: Clock, args: string[]): Promise<Ran> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { NO_COLOR: '1' },
      clock,
    });
    return { code, stdout, stderr };
  }

  it('valid through the expires day (UTC), expired from the next; unused and expired entries reported in JSON, on stderr and in the HTML', async () => {
    const w = await waivers(
      'dated.yaml',
      entry('*', 'reject.no-client-cert', { expires: AHEAD }),
      entry('*', 'handshake.client-auth-mode', { expires: AHEAD }),
      entry('no-such-target', '*'),
    );
    const args = (n: string) => ['run', ...REF, ...CHECKS, '--waivers', w, '--json', f(`${n}.json`), '--html', f(`${n}.html`)];

    const last = await runAt(fixedClock(`${AHEAD}T23:59:59.999Z`), args('last'));
    expect(last.code, last.stderr).toBe(0);
    const lastJson = await readJson('last.json');
    expect(waivedOf(lastJson)).toHaveLength(2);
    expect(lastJson.waivers!.unused.map((u) => u.index)).toEqual([2]);
    expect(last.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^mtls-harness: waiver unused: .*dated\.yaml:\d+: waivers\[2\] \(target no-such-target, check \*\) matched no fail, warn or error result/,
      ),
    ]);

    const next = day(addDays(new Date(`${AHEAD}T00:00:00Z`), 1));
    const after = await runAt(fixedClock(`${next}T00:00:00Z`), args('after'));
    expect(after.code, after.stderr).toBe(1);
    const afterJson = await readJson('after.json');
    expect(waivedOf(afterJson)).toEqual([]);
    expect(afterJson.summary).toMatchObject({ fail: 2, waived: 0 });
    // Entry 2 (no target of that name) has expired too: expired is reported before unused.
    expect(afterJson.waivers!.expired.map((e) => [e.index, e.matched])).toEqual([
      [0, 1],
      [1, 1],
      [2, 0],
    ]);
    expect(afterJson.waivers!.unused).toEqual([]);
    expect(after.stderr).toMatch(
      new RegExp(`waiver expired: .*waivers\\[0\\] \\(target \\*, check reject\\.no-client-cert\\) expired on ${AHEAD} .*1 finding\\(s\\) fail the run again`),
    );
    expect(after.stdout).toMatch(/0 waived \(not failing the run\)/);
    const html = await fs.readFile(f('after.html'), 'utf8');
    expect(html).not.toContain('data-waived');
    expect(html).toMatch(/data-waivers="expired"/);
    const lastHtml = await fs.readFile(f('last.html'), 'utf8');
    expect(lastHtml).toMatch(/data-waivers="unused"/);
    expect(lastHtml).not.toMatch(/data-waivers="expired"/);
  });
});

describe('bad input: exit 2, one line, nothing run', () => {
  const bad: [string, string, RegExp][] = [
    ['an unknown key', `waivers:\n${entry('*', '*')}    severity: low\n`, /bad\.yaml:7: waivers\[0\]\.severity is not a known key/],
    ['no expires', `waivers:\n${entry('*', '*').replace(/ {4}expires.*\n/, '')}`, /bad\.yaml:2: waivers\[0\]\.expires is required/],
    ['an eternal date', `waivers:\n${entry('*', '*', { expires: 'never' })}`, /waivers\[0\]\.expires must be a date YYYY-MM-DD/],
    ['a TODO reason', `waivers:\n${entry('*', '*', { reason: 'TODO' })}`, /waivers\[0\]\.reason is still the placeholder/],
  ];
  for (const [what, text, message] of bad)
    it(`a waivers file with ${what}`, async () => {
      await fs.writeFile(f('bad.yaml'), text);
      expectUsageError(await spawnCli(['run', ...REF, '--waivers', f('bad.yaml')], dir), message);
    });

  it('a missing waivers file; baseline without a report, with a bad one, over its own input', async () => {
    expectUsageError(await spawnCli(['run', ...REF, '--waivers', f('absent.yaml')], dir), /absent\.yaml/);
    expectUsageError(await spawnCli(['baseline'], dir), /baseline: give one JSON run report/);
    await fs.writeFile(f('junk.json'), '<html>');
    expectUsageError(await spawnCli(['baseline', f('junk.json')], dir), /baseline: .*junk\.json: not JSON/);
    await fs.writeFile(f('v1.json'), '{"schemaVersion":1,"results":[]}');
    expectUsageError(await spawnCli(['baseline', f('v1.json')], dir), /schemaVersion 1 is not 2/);
    expectUsageError(await spawnCli(['baseline', f('v1.json'), '--out', f('v1.json')], dir), /would overwrite it/);
    expectUsageError(await spawnCli(['baseline', f('v1.json'), '--expires', 'forever'], dir), /--expires must be a date/);
  });
});
