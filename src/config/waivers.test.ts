import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText } from './load.js';
import { checkWaivers, isCalendarDate, loadWaiversFile } from './waivers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-waivers-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

const ENTRY = `  - target: "api*"
    check: reject.no-client-cert
    reason: legacy clients until the migration
    owner: platform-team
    expires: "2027-03-31"
`;

describe('waivers file: loading and checking (exit 2 naming file, line, entry and field)', () => {
  it('reads the entries with their index and line', () => {
    const f = file('ok.yaml', `# comment\nwaivers:\n${ENTRY}${ENTRY.replace('api*', 'db-?')}`);
    const set = loadWaiversFile(f);
    expect(set.file).toBe(f);
    expect(set.entries).toEqual([
      {
        target: 'api*',
        check: 'reject.no-client-cert',
        reason: 'legacy clients until the migration',
        owner: 'platform-team',
        expires: '2027-03-31',
        index: 0,
        line: 3,
      },
      expect.objectContaining({ target: 'db-?', index: 1, line: 8 }),
    ]);
    expect(loadWaiversFile(file('none.yaml', 'waivers: []\n')).entries).toEqual([]);
  });

  const bad: [string, string, RegExp][] = [
    ['missing expires', ENTRY.replace(/ {4}expires.*\n/, ''), /bad\.yaml:2: waivers\[0\]\.expires is required/],
    ['missing owner', ENTRY.replace(/ {4}owner.*\n/, ''), /waivers\[0\]\.owner is required/],
    ['empty reason', ENTRY.replace(/reason: .*/, 'reason: ""'), /waivers\[0\]\.reason is empty: write why/],
    ['blank owner', ENTRY.replace(/owner: .*/, 'owner: "  "'), /waivers\[0\]\.owner is empty/],
    ['the placeholder', ENTRY.replace(/reason: .*/, 'reason: "TODO: later"'), /waivers\[0\]\.reason is still the placeholder "TODO"/],
    ['a bad date', ENTRY.replace(/expires: .*/, 'expires: "2027-02-30"'), /waivers\[0\]\.expires must be a date YYYY-MM-DD .*not "2027-02-30"/],
    ['not a date', ENTRY.replace(/expires: .*/, 'expires: never'), /waivers\[0\]\.expires must be a date/],
    ['a number', ENTRY.replace(/owner: .*/, 'owner: 42'), /bad\.yaml:5: waivers\[0\]\.owner must be a string/],
    ['an unknown key', ENTRY + '    status: fail\n', /bad\.yaml:7: waivers\[0\]\.status is not a known key/],
  ];
  for (const [what, entry, message] of bad)
    it(`refuses ${what}`, () => {
      const f = file('bad.yaml', `waivers:\n${entry}`);
      expect(() => loadWaiversFile(f)).toThrow(message);
      try {
        loadWaiversFile(f);
      } catch (e) {
        expect((e as { code: string }).code).toBe('config.invalid');
      }
    });

  it('refuses a file without waivers:, another top-level key, a list at the top, and bad YAML', () => {
    expect(() => loadWaiversFile(file('empty.yaml', ''))).toThrow(/empty\.yaml: no waivers: list/);
    expect(() => loadWaiversFile(file('other.yaml', 'targets: []\n'))).toThrow(/other\.yaml:1: targets is not a known key/);
    expect(() => loadWaiversFile(file('list.yaml', ENTRY))).toThrow(/list\.yaml:1: the file must be a mapping/);
    expect(() => loadWaiversFile(file('yaml.yaml', 'waivers: [\n'))).toThrow(/yaml\.yaml:\d+: not valid YAML/);
    expect(() => loadWaiversFile(path.join(dir, 'absent.yaml'))).toThrow(/absent\.yaml/);
  });

  it("the config file's waivers: holds entries or a path; each is checked the same way", () => {
    const inline = parseConfigText(`waivers:\n${ENTRY}`, 'mtls.yaml');
    expect(checkWaivers(inline.waivers as never, 'mtls.yaml').entries[0]).toMatchObject({ target: 'api*', line: 2 });
    expect(parseConfigText('waivers: mtls-waivers.yaml\n', 'mtls.yaml').waivers).toBe('mtls-waivers.yaml');
    expect(() => parseConfigText('waivers: {a: 1}\n', 'mtls.yaml')).toThrow(/mtls\.yaml:1: waivers must be a list or a file path/);
    expect(() => parseConfigText(`waivers:\n${ENTRY}    when: x\n`, 'mtls.yaml')).toThrow(/mtls\.yaml:7: waivers\[0\]\.when is not a known key/);
    const noReason = parseConfigText(`waivers:\n${ENTRY.replace(/ {4}reason.*\n/, '')}`, 'mtls.yaml');
    expect(() => checkWaivers(noReason.waivers as never, 'mtls.yaml')).toThrow(/^mtls\.yaml:2: waivers\[0\]\.reason is required/);
  });

  it('dates: only real calendar days', () => {
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(isCalendarDate('2027-02-29')).toBe(false);
    expect(isCalendarDate('2027-13-01')).toBe(false);
    expect(isCalendarDate('2027-1-01')).toBe(false);
    expect(isCalendarDate('2027-01-01T00:00:00Z')).toBe(false);
  });
});
