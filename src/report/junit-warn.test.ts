// Issue 21: a warned check visible at testcase level in JUnit (`--junit-warn-as`), each rendering
// validated by xmllint against the schema it claims (fixtures/junit/PROVENANCE.md).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { create } from 'xmlbuilder2';
import type { Result, RunReport } from '../core/model.js';
import { buildJunitXml, JUNIT_WARN_AS } from './junit.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/junit');
const ANT = path.join(FIXTURES, 'JUnit.xsd');
const WITH_OUTPUT = path.join(FIXTURES, 'JUnit-testcase-output.xsd');
const HAVE_XMLLINT = spawnSync('sh', ['-c', 'command -v xmllint']).status === 0;
const HOSTILE = 'CN=<b>x</b> & "q" \u0000\u001b[31m\u202e';

function result(check: string, status: Result['status'], message: string, remediation?: string): Result {
  return {
    targetId: 'gw:443',
    target: 'gw:443',
    suite: 'chain',
    check,
    title: check,
    status,
    message,
    ...(remediation ? { remediation } : {}),
    evidence: {},
    durationMs: 3,
  };
}

const when = { startedAt: '2026-11-23T10:00:00.000Z', finishedAt: '2026-11-23T10:00:01.000Z', durationMs: 1000 };
const run: RunReport = {
  ...when,
  targets: [{ id: 'gw:443', name: 'gw:443', endpoint: 'gw:443', kind: 'live' }],
  results: [
    result('chain.rejects-ca-as-client', 'warn', `a CA certificate (${HOSTILE}) was accepted as a client leaf`, 'refuse CA:TRUE client certificates'),
    result('reject.no-client-cert', 'fail', 'served without a client certificate', 'require client certificates'),
    result('chain.trusted-ok', 'pass', 'accepted'),
  ],
  summary: { pass: 1, warn: 1, fail: 1, skip: 0, error: 0 },
} as unknown as RunReport;

/** xmllint's verdict on `xml` against `xsd` (status 0: valid). */
function lint(xml: string, xsd: string): { status: number | null; stderr: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-junit-warn-'));
  try {
    writeFileSync(path.join(dir, 'r.xml'), xml);
    const r = spawnSync('xmllint', ['--noout', '--schema', xsd, path.join(dir, 'r.xml')], { encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Node = Record<string, unknown>;
const asList = (x: unknown): Node[] => (Array.isArray(x) ? x : x === undefined ? [] : [x]) as Node[];
function testcases(xml: string): Node[] {
  const doc = create(xml).end({ format: 'object' }) as { testsuites: { testsuite: Node } };
  return asList(asList(doc.testsuites.testsuite)[0]!.testcase);
}
const warned = (xml: string) => testcases(xml).find((t) => t['@name'] === 'chain.rejects-ca-as-client')!;

describe('JUnit: a warned check at testcase level', () => {
  it('output (default): its own status=warn property and system-out with the fix; no failure', () => {
    const xml = buildJunitXml(run);
    expect(buildJunitXml(run, { warnAs: 'output' })).toBe(xml);
    const tc = warned(xml);
    expect(tc.failure).toBeUndefined();
    expect((tc.properties as Node).property).toEqual({ '@name': 'status', '@value': 'warn' });
    // (xmlbuilder2's object keeps the text's entities): escaped, controls and bidi replaced
    expect(tc['system-out']).toBe(
      'WARN a CA certificate (CN=&lt;b&gt;x&lt;/b&gt; &amp; "q" ??[31m?) was accepted as a client leaf\nFix: refuse CA:TRUE client certificates',
    );
    expect(xml).toContain('&lt;b&gt;x&lt;/b&gt; &amp;');
    expect(xml).toMatch(/<testsuite [^>]*failures="1"/);
    // the suite keeps its WARN line, as before
    expect(xml).toContain('<system-out>WARN chain.rejects-ca-as-client: a CA certificate');
  });

  it('failure: <failure type="warn"> with the message and fix, counted in failures', () => {
    const xml = buildJunitXml(run, { warnAs: 'failure' });
    const f = warned(xml).failure as Node;
    expect(f['@type']).toBe('warn');
    expect(f['@message']).toMatch(/^a CA certificate/);
    expect(f['#']).toMatch(/\nFix: refuse CA:TRUE/);
    expect(xml).toMatch(/<testsuite [^>]*failures="2"/);
    expect(warned(xml).properties).toBeUndefined();
  });

  it('suite: a plain passed testcase (the rendering before issue 21)', () => {
    const xml = buildJunitXml(run, { warnAs: 'suite' });
    expect(xml).toContain('<testcase name="chain.rejects-ca-as-client" classname="gw:443.chain" time="0.003"/>');
    expect(xml).toMatch(/<testsuite [^>]*failures="1"/);
  });

  it.skipIf(!HAVE_XMLLINT)('each rendering is valid against the schema it claims (xmllint)', () => {
    for (const warnAs of JUNIT_WARN_AS) expect(lint(buildJunitXml(run, { warnAs }), WITH_OUTPUT).status, warnAs).toBe(0);
    expect(lint(buildJunitXml(run, { warnAs: 'failure' }), ANT).status).toBe(0);
    expect(lint(buildJunitXml(run, { warnAs: 'suite' }), ANT).status).toBe(0);
    // the default is beyond the strict Ant schema: that is what the second schema is for
    const strict = lint(buildJunitXml(run), ANT);
    expect(strict.status).not.toBe(0);
    expect(strict.stderr).toMatch(/Element 'properties': This element is not expected/);
  });
  if (!HAVE_XMLLINT) console.warn('SKIPPED the XSD validation: xmllint not installed (apt-get install libxml2-utils)');
});
