import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, checkTitle, CORPUS_SUITES, findCheck, KINDS, SUITES, suiteInfo, suitesOfKind, suiteTitle } from './index.js';
import { CHECK_REFERENCES } from './references.js';
import { CLIENT_CHECKS } from './client-conformance.js';
import { offlineAudit } from './offline-audit.js';

const ROOT = path.resolve(import.meta.dirname, '..');

function productionFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return productionFiles(rel);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [rel] : [];
  });
}

describe('the one catalogue', () => {
  const checks = CATALOGUE.flatMap((s) => s.checks.map((c) => ({ suite: s, check: c })));

  it('every kind has its suites, listed in the order of KINDS; the server suites are SUITES, in report order', () => {
    expect(KINDS.map((k) => k.kind)).toEqual(['server', 'cluster', 'files', 'client']);
    for (const k of KINDS) expect(suitesOfKind(k.kind).length, k.kind).toBeGreaterThan(0);
    expect(CATALOGUE.map((s) => s.kind)).toEqual(
      [...CATALOGUE.map((s) => s.kind)].sort((a, b) => KINDS.findIndex((k) => k.kind === a) - KINDS.findIndex((k) => k.kind === b)),
    );
    expect(suitesOfKind('server')).toEqual([...SUITES]);
    expect(suitesOfKind('cluster').map((s) => s.id)).toEqual(['k8s-audit']);
    expect(suitesOfKind('files').map((s) => s.id)).toEqual(['offline-audit']);
    expect(suitesOfKind('client').map((s) => s.id)).toEqual(['client-conformance']);
  });

  it('suite and check ids are unique across every kind; each check has a title and its normative references', () => {
    expect(new Set(CATALOGUE.map((s) => s.id)).size).toBe(CATALOGUE.length);
    expect(new Set(checks.map((c) => c.check.id)).size).toBe(checks.length);
    for (const { check } of checks) {
      expect(check.title.trim(), check.id).not.toBe('');
      expect(Object.keys(CHECK_REFERENCES), check.id).toContain(check.id);
    }
  });

  it('titles are looked up here, by check id and by suite id', () => {
    for (const { suite, check } of checks) {
      expect(checkTitle(check.id)).toBe(check.title);
      expect(findCheck(check.id)).toEqual({ suite, check });
      expect(suiteTitle(suite.id)).toBe(suite.title);
    }
    expect(checkTitle('no.such-check')).toBeUndefined();
    expect(suiteTitle('no-such-suite')).toBeUndefined();
  });

  it('a corpus run as a suite (x509-limbo) has its id, title and kind here too, for the reports', async () => {
    const { LIMBO_SUITE_ID } = await import('../src/client-test/limbo.js');
    expect(CORPUS_SUITES.map((s) => s.id)).toEqual([LIMBO_SUITE_ID]);
    expect(suiteInfo(LIMBO_SUITE_ID)).toEqual(CORPUS_SUITES[0]);
    expect(suiteTitle(LIMBO_SUITE_ID)).toBe(CORPUS_SUITES[0]!.title);
    for (const s of CATALOGUE) expect(suiteInfo(s.id)).toEqual({ id: s.id, title: s.title, kind: s.kind });
    expect(suiteInfo('no-such-suite')).toBeUndefined();
  });

  it('what the engines rely on: the offline audit starts with audit.parse, client-conformance with the valid server', () => {
    expect(offlineAudit.checks[0]!.id).toBe('audit.parse');
    expect(CLIENT_CHECKS[0]).toMatchObject({ id: 'client.presents-cert', profile: 'valid' });
    expect(CLIENT_CHECKS.slice(1).every((c) => c.profile !== 'valid')).toBe(true);
  });

  it('no check or suite title is written again outside suites/ (a check is one hop from suites/)', () => {
    const files = productionFiles('src').map((f) => ({ f, text: readFileSync(path.join(ROOT, f), 'utf8') }));
    const titles = [...CATALOGUE.map((s) => s.title), ...checks.map((c) => c.check.title)];
    const copies = titles.flatMap((t) =>
      files.filter(({ text }) => text.includes(`'${t}'`) || text.includes(`"${t}"`) || text.includes(`\`${t}\``)).map(({ f }) => `${f}: ${t}`),
    );
    expect(copies).toEqual([]);
  });
});
