import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fixedClock } from '../core/clock.js';
import { checkWaivers } from '../config/waivers.js';
import { baselineYaml, parseExpires, readReportFindings, yamlQuoted } from './baseline.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-baseline-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

const HOSTILE = 'evil"\n- target: "*"\u2028\u202e\u001b[2J #not-a-comment \\ \'';

const result = (targetId: string, check: string, status: string, message = 'm') => ({ targetId, target: targetId, check, status, message });

describe('baseline: a waivers file from a run report', () => {
  it('one entry per fail, warn and error (not pass, not skip), target the id; hostile text stays data', () => {
    const f = file(
      'r.json',
      JSON.stringify({
        schemaVersion: 2,
        results: [
          result('api', 'reject.no-client-cert', 'fail'),
          result('api', 'chain.server-trusted', 'pass'),
          result('api', 'rotation.continuity', 'skip'),
          result(HOSTILE, 'crafted.eku-absent', 'warn', HOSTILE),
          result('db', 'expiry.server-leaf', 'error'),
        ],
      }),
    );
    const findings = readReportFindings(f);
    expect(findings.map((x) => `${x.targetId}|${x.check}|${x.status}`)).toEqual([
      'api|reject.no-client-cert|fail',
      `${HOSTILE}|crafted.eku-absent|warn`,
      'db|expiry.server-leaf|error',
    ]);
    const text = baselineYaml(findings, { report: f, expires: '2027-02-27', today: '2026-11-29' });
    expect(text.split('\n').filter((l) => l.startsWith('  - target:'))).toHaveLength(3);
    expect(text).not.toMatch(/[\u2028\u202e\u001b]/);
    const doc = parse(text) as { waivers: Record<string, string>[] };
    expect(doc.waivers.map((w) => w.target)).toEqual(['api', HOSTILE, 'db']);
    expect(doc.waivers[0]).toEqual({ target: 'api', check: 'reject.no-client-cert', reason: '', owner: '', expires: '2027-02-27' });
    // Loading refuses it until a human writes the reasons (and owners).
    expect(() => checkWaivers(doc.waivers, 'w.yaml')).toThrow(/waivers\[0\]\.reason is empty/);
    const filled = doc.waivers.map((w) => ({ ...w, reason: 'accepted for the migration', owner: 'me' }));
    expect(checkWaivers(filled, 'w.yaml').entries).toHaveLength(3);
  });

  it('no findings: waivers: [] (a file that loads)', () => {
    const text = baselineYaml([], { report: 'r.json', expires: '2027-02-27', today: '2026-11-29' });
    expect(parse(text)).toEqual({ waivers: [] });
    expect(text).toMatch(/^# mtls-harness waivers/);
  });

  const bad: [string, string, RegExp][] = [
    ['not JSON', '{"schemaVersion": 2,', /baseline: .*bad\.json: not JSON/],
    ['an array', '[]', /not a run report/],
    ['another schema version', '{"schemaVersion": 1, "results": []}', /schemaVersion 1 is not 2/],
    ['no schema version', '{"results": []}', /schemaVersion missing is not 2/],
    ['a probe document', '{"schemaVersion": 2, "kind": "probe", "diagnosis": {}}', /a probe diagnosis, not a run report/],
    ['no results', '{"schemaVersion": 2}', /no results list/],
    ['a bad result', '{"schemaVersion": 2, "results": [{"targetId": "a", "check": "c", "status": "broken"}]}', /results\[0\] is not a result/],
  ];
  for (const [what, text, message] of bad)
    it(`refuses ${what} (exit 2)`, () => {
      const f = file('bad.json', text);
      expect(() => readReportFindings(f)).toThrow(message);
      try {
        readReportFindings(f);
      } catch (e) {
        expect((e as { code: string }).code).toMatch(/^usage\./);
      }
    });

  it('--expires: a date, or days from today by the clock; default 90 days', () => {
    const clock = fixedClock('2026-11-29T23:30:00Z');
    expect(parseExpires(undefined, clock)).toBe('2027-02-27');
    expect(parseExpires('30d', clock)).toBe('2026-12-29');
    expect(parseExpires('2027-01-15', clock)).toBe('2027-01-15');
    expect(parseExpires('2026-11-29', clock)).toBe('2026-11-29');
    expect(() => parseExpires('2026-11-28', clock)).toThrow(/in the past/);
    expect(() => parseExpires('0d', clock)).toThrow(/1d to 3650d/);
    expect(() => parseExpires('soon', clock)).toThrow(/YYYY-MM-DD or a number of days/);
    expect(() => parseExpires('2027-02-30', clock)).toThrow(/YYYY-MM-DD/);
  });

  it('YAML quoting: any text round-trips', () => {
    for (const s of [HOSTILE, '', 'a: b', '- x', '# c', '\u0085\ufeff', '\ud83d\ude00']) expect(parse(`v: ${yamlQuoted(s)}`).v).toBe(s);
  });
});
