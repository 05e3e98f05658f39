// Issue 21: `--junit-warn-as` (MTLS_JUNIT_WARN_AS, reports.junitWarnAs) on real runs of the built CLI
// against the node reference server (strict: the CA-as-leaf check and crafted profiles warn).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectUsageError, spawnCli } from './helpers/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-junit-warn-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const f = (n: string) => path.join(dir, n);
const XSD = path.resolve(import.meta.dirname, '../fixtures/junit');
const HAVE_XMLLINT = spawnSync('sh', ['-c', 'command -v xmllint']).status === 0;
const STRICT = ['run', '--reference', 'node', '--profile', 'strict'];

function warnedChecks(json: string): string[] {
  const j = JSON.parse(readFileSync(json, 'utf8')) as { results: { check: string; status: string }[] };
  return j.results.filter((r) => r.status === 'warn').map((r) => r.check);
}

function lint(xml: string, xsd: string): number | null {
  return spawnSync('xmllint', ['--noout', '--schema', path.join(XSD, xsd), xml], { encoding: 'utf8' }).status;
}

describe('--junit-warn-as on a real run (node reference, strict)', () => {
  it('failure: every warned check is a <failure type="warn">; the exit code stays 0', async () => {
    const r = await spawnCli([...STRICT, '--junit', f('fail.xml'), '--json', f('fail.json'), '--junit-warn-as', 'failure', '--quiet'], dir, {}, 60_000);
    expect(r.code, r.stderr).toBe(0);
    const warned = warnedChecks(f('fail.json'));
    expect(warned.length).toBeGreaterThan(0);
    const xml = readFileSync(f('fail.xml'), 'utf8');
    const failures = [...xml.matchAll(/<testcase name="([^"]+)"[^>]*>\n\s*<failure message="[^"]*" type="warn">/g)].map((m) => m[1]);
    expect(failures.sort()).toEqual([...warned].sort());
    if (HAVE_XMLLINT) expect(lint(f('fail.xml'), 'JUnit.xsd')).toBe(0);
  });

  it('output (MTLS_JUNIT_WARN_AS): the testcase holds status=warn and its system-out; valid against the extended schema', async () => {
    const r = await spawnCli([...STRICT, '--junit', f('out.xml'), '--json', f('out.json'), '--quiet'], dir, { MTLS_JUNIT_WARN_AS: 'output' }, 60_000);
    expect(r.code, r.stderr).toBe(0);
    const warned = warnedChecks(f('out.json'));
    const xml = readFileSync(f('out.xml'), 'utf8');
    const tested = [
      ...xml.matchAll(/<testcase name="([^"]+)"[^>]*>\n\s*<properties>\n\s*<property name="status" value="warn"\/>\n\s*<\/properties>\n\s*<system-out>WARN /g),
    ].map((m) => m[1]);
    expect(tested.sort()).toEqual([...warned].sort());
    expect(xml).not.toContain('type="warn"');
    if (HAVE_XMLLINT) expect(lint(f('out.xml'), 'JUnit-testcase-output.xsd')).toBe(0);
  });

  it('suite (the config file): a warned check is a passed testcase again', async () => {
    writeFileSync(f('mtls.yaml'), 'reports:\n  junit: suite.xml\n  junitWarnAs: suite\n');
    const r = await spawnCli([...STRICT, '--config', f('mtls.yaml'), '--quiet'], dir, {}, 60_000);
    expect(r.code, r.stderr).toBe(0);
    const xml = readFileSync(f('suite.xml'), 'utf8');
    expect(xml).toMatch(/<testcase name="chain.rejects-ca-as-client" [^>]*\/>/);
    expect(xml).not.toContain('<property name="status" value="warn"/>');
    if (HAVE_XMLLINT) expect(lint(f('suite.xml'), 'JUnit.xsd')).toBe(0);
  });
  if (!HAVE_XMLLINT) console.warn('SKIPPED the XSD validation: xmllint not installed (apt-get install libxml2-utils)');
});

describe('--junit-warn-as: bad input is exit 2 before anything runs', () => {
  it('an unknown value, from the flag, the environment or the config file', async () => {
    expectUsageError(
      await spawnCli([...STRICT, '--junit', f('x.xml'), '--junit-warn-as', 'error'], dir),
      /--junit-warn-as must be output or failure or suite, not "error"/,
    );
    expectUsageError(
      await spawnCli([...STRICT, '--junit', f('x.xml')], dir, { MTLS_JUNIT_WARN_AS: 'fail\u001b[31m' }),
      /\$MTLS_JUNIT_WARN_AS must be .*not "fail\?\[31m"/,
    );
    writeFileSync(f('bad.yaml'), 'reports:\n  junit: x.xml\n  junitWarnAs: loud\n');
    expectUsageError(await spawnCli([...STRICT, '--config', f('bad.yaml')], dir), /reports\.junitWarnAs must be output or failure or suite, not "loud"/);
  });

  it('the flag without a JUnit report', async () => {
    expectUsageError(await spawnCli([...STRICT, '--junit-warn-as', 'failure'], dir), /--junit-warn-as applies to the JUnit report: give --junit FILE too/);
  });

  it('k8s scan, client-test and audit take it too (their help lists it)', async () => {
    for (const cmd of [['k8s', 'scan'], ['client-test'], ['audit']]) {
      const r = await spawnCli([...cmd, '--help'], dir);
      expect(r.stdout, cmd.join(' ')).toContain('--junit-warn-as output|failure|suite');
    }
  });
});
