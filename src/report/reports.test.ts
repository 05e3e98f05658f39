import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from 'xmlbuilder2';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../core/model.js';
import { redactArgv } from '../core/redact.js';
import { buildJsonReport } from './json.js';
import { buildJunitXml } from './junit.js';

const XSD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/junit/JUnit.xsd');
const HOSTILE = 'CN=<script>alert(1)</script> & "quotes" \u0000\u001b[31m\u202e';

const report: RunReport = {
  startedAt: '2026-11-23T10:00:00.123Z',
  finishedAt: '2026-11-23T10:00:01.000Z',
  durationMs: 877,
  targets: [{ name: 'gw:443', endpoint: 'gw:443', kind: 'live' }],
  results: [
    { target: 'gw:443', suite: 'san-validation', check: 'san.server-has-san', title: 't', status: 'fail', message: `the server certificate (${HOSTILE}) has no subjectAltName`, remediation: 'reissue', evidence: { subject: HOSTILE, nested: { a: [1, 2] } }, durationMs: 12 },
    { target: 'gw:443', suite: 'san-validation', check: 'san.server-identity', title: 't', status: 'skip', message: 'no identity', evidence: {}, durationMs: 0 },
    { target: 'gw:443', suite: 'expiry', check: 'expiry.server-cert', title: 't', status: 'error', message: 'unreachable', evidence: {}, durationMs: 5000 },
    { target: 'gw:443', suite: 'expiry', check: 'expiry.server-chain', title: 't', status: 'warn', message: 'expiring soon', evidence: {}, durationMs: 1 },
  ],
  summary: { pass: 0, warn: 1, fail: 1, skip: 1, error: 1 },
};

describe('JUnit', () => {
  it('an evidence value that is undefined is left out, as the JSON report leaves it out (it crashed the writer)', () => {
    const r0 = report.results[0]!;
    const xml = buildJunitXml({ ...report, results: [{ ...r0, evidence: { present: 'yes', absent: undefined } }] });
    expect(xml).toContain('name="san.server-has-san.evidence.present" value="yes"');
    expect(xml).not.toContain('evidence.absent');
  });
  it('hostile certificate text stays text: escaped, control characters dropped, schema-valid', () => {
    const xml = buildJunitXml(report);
    expect(xml).not.toContain('<script>');
    expect(xml).toContain('&lt;script&gt;');
    expect(xml).not.toMatch(/[\u0000\u001b]/);
    const doc = create(xml).end({ format: 'object' }) as { testsuites: { testsuite: { '@name': string; '@failures': string; '@errors': string; '@skipped': string; properties: { property: { '@name': string; '@value': string }[] } }[] } };
    const [san, exp] = doc.testsuites.testsuite;
    expect(san!['@name']).toBe('gw:443 san-validation');
    expect([san!['@failures'], san!['@skipped'], exp!['@errors']]).toEqual(['1', '1', '1']);
    const subject = san!.properties.property.find((p) => p['@name'] === 'san.server-has-san.evidence.subject')!;
    // Escaped exactly once (xmlbuilder2's object view leaves entities as written).
    expect(subject['@value']).toMatch(/^CN=&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot; \?\?/);
    if (spawnSync('sh', ['-c', 'command -v xmllint']).status !== 0) {
      console.warn('SKIPPED the XSD validation: xmllint not installed (apt-get install libxml2-utils)');
      return;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-junit-'));
    try {
      writeFileSync(path.join(dir, 'r.xml'), xml);
      const lint = spawnSync('xmllint', ['--noout', '--schema', XSD, path.join(dir, 'r.xml')], { encoding: 'utf8' });
      expect(lint.status, lint.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('JSON', () => {
  it('has the DESIGN.md shape and redacts secrets from argv', () => {
    const j = buildJsonReport(report, ['run', '--target', 'gw:443', '--key-passphrase', 'hunter2', '--token=abc', '--key-passphrase-env', 'VAR', '-----BEGIN PRIVATE KEY-----x']);
    expect(Object.keys(j)).toEqual(['schemaVersion', 'tool', 'run', 'targets', 'results', 'summary']);
    expect(j.schemaVersion).toBe(1);
    expect(j.tool.name).toBe('mtls-harness');
    expect(j.run.argv).toEqual(['run', '--target', 'gw:443', '--key-passphrase', '[REDACTED]', '--token=[REDACTED]', '--key-passphrase-env', 'VAR', '[REDACTED]']);
    expect(redactArgv(['pass:secret'])).toEqual(['[REDACTED]']);
    // k8s scan's --secret / --ca-key-secret name a Kubernetes Secret: evidence, not a secret.
    expect(redactArgv(['k8s', 'scan', '--secret', 'grpc-tls-certs', '--ca-key-secret=nova/ca', '--client-secret', 'x'])).toEqual(['k8s', 'scan', '--secret', 'grpc-tls-certs', '--ca-key-secret=nova/ca', '--client-secret', '[REDACTED]']);
  });
});
