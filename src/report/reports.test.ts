import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from 'xmlbuilder2';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../core/model.js';
import { redactArgv } from '../core/redact.js';
import { buildJsonReport, reportSuites } from './json.js';
import { buildJunitXml } from './junit.js';
import { buildRunHtml } from './html/index.js';
import { renderResultsTable } from './results-table.js';
import { makeStyle } from './style.js';
import { SUITES } from '../../suites/index.js';

const XSD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/junit/JUnit-testcase-output.xsd');
const HOSTILE = 'CN=<script>alert(1)</script> & "quotes" \u0000\u001b[31m\u202e';

const report: RunReport = {
  startedAt: '2026-11-23T10:00:00.123Z',
  finishedAt: '2026-11-23T10:00:01.000Z',
  durationMs: 877,
  targets: [{ id: 'gw:443', name: 'gw:443', endpoint: 'gw:443', kind: 'live' }],
  results: [
    {
      targetId: 'gw:443',
      target: 'gw:443',
      suite: 'san-validation',
      check: 'san.server-has-san',
      title: 't',
      status: 'fail',
      message: `the server certificate (${HOSTILE}) has no subjectAltName`,
      remediation: 'reissue',
      evidence: { subject: HOSTILE, nested: { a: [1, 2] } },
      durationMs: 12,
    },
    {
      targetId: 'gw:443',
      target: 'gw:443',
      suite: 'san-validation',
      check: 'san.server-identity',
      title: 't',
      status: 'skip',
      message: 'no identity',
      evidence: {},
      durationMs: 0,
    },
    {
      targetId: 'gw:443',
      target: 'gw:443',
      suite: 'expiry',
      check: 'expiry.server-cert',
      title: 't',
      status: 'error',
      message: 'unreachable',
      evidence: {},
      durationMs: 5000,
    },
    {
      targetId: 'gw:443',
      target: 'gw:443',
      suite: 'expiry',
      check: 'expiry.server-chain',
      title: 't',
      status: 'warn',
      message: 'expiring soon',
      evidence: {},
      durationMs: 1,
    },
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
    const doc = create(xml).end({ format: 'object' }) as {
      testsuites: {
        testsuite: {
          '@name': string;
          '@failures': string;
          '@errors': string;
          '@skipped': string;
          properties: { property: { '@name': string; '@value': string }[] };
        }[];
      };
    };
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
    const j = buildJsonReport(report, [
      'run',
      '--target',
      'gw:443',
      '--key-passphrase',
      'hunter2',
      '--token=abc',
      '--key-passphrase-env',
      'VAR',
      '-----BEGIN PRIVATE KEY-----x',
    ]);
    expect(Object.keys(j)).toEqual(['schemaVersion', 'tool', 'run', 'suites', 'targets', 'results', 'summary']);
    expect(j.schemaVersion).toBe(2);
    expect(j.tool.name).toBe('mtls-harness');
    expect(j.run.argv).toEqual([
      'run',
      '--target',
      'gw:443',
      '--key-passphrase',
      '[REDACTED]',
      '--token=[REDACTED]',
      '--key-passphrase-env',
      'VAR',
      '[REDACTED]',
    ]);
    expect(redactArgv(['pass:secret'])).toEqual(['[REDACTED]']);
    // k8s scan's --secret / --ca-key-secret name a Kubernetes Secret: evidence, not a secret.
    expect(redactArgv(['k8s', 'scan', '--secret', 'grpc-tls-certs', '--ca-key-secret=nova/ca', '--client-secret', 'x'])).toEqual([
      'k8s',
      'scan',
      '--secret',
      'grpc-tls-certs',
      '--ca-key-secret=nova/ca',
      '--client-secret',
      '[REDACTED]',
    ]);
  });
});

/** Two targets at one address (the second with another servername), as the runner reports them. */
function twoTargetsOneAddress(): RunReport {
  const r0 = report.results[0]!;
  const targets = [
    { id: 'gw:443', name: 'gw:443', endpoint: 'gw:443', servername: 'a.example', kind: 'live' as const },
    { id: 'gw:443#2', name: 'gw:443', endpoint: 'gw:443', servername: 'b.example', kind: 'live' as const },
  ];
  const results = targets.flatMap((t, i) => [
    { ...r0, targetId: t.id, target: t.name, status: i === 0 ? ('pass' as const) : ('fail' as const) },
    { ...report.results[2]!, targetId: t.id, target: t.name },
  ]);
  return { ...report, targets, results, summary: { pass: 1, warn: 0, fail: 1, skip: 0, error: 2 } };
}

describe('v2: targets told apart by targetId, suites named from the catalogue', () => {
  it('JSON: targets carry their id first, results their targetId first; suites lists the suites that ran, in catalogue order, with title and kind', () => {
    const j = buildJsonReport(twoTargetsOneAddress(), ['run']);
    expect(j.targets.map((t) => Object.keys(t)[0])).toEqual(['id', 'id']);
    expect(j.targets.map((t) => t.id)).toEqual(['gw:443', 'gw:443#2']);
    expect(j.results.map((r) => Object.keys(r).slice(0, 2))).toEqual(Array(4).fill(['targetId', 'target']));
    expect(j.results.map((r) => r.targetId)).toEqual(['gw:443', 'gw:443', 'gw:443#2', 'gw:443#2']);
    // san-validation comes before expiry in the catalogue, whatever the results' order.
    const reversed = buildJsonReport({ ...report, results: [...report.results].reverse() }, ['run']);
    for (const doc of [j, reversed])
      expect(doc.suites).toEqual(['san-validation', 'expiry'].map((id) => ({ id, title: SUITES.find((x) => x.id === id)!.title, kind: 'server' })));
    expect(j.suites.every((s) => typeof s.title === 'string' && s.title !== s.id)).toBe(true);
  });

  it('suites of every kind take their catalogue title; the limbo corpus its own; an unknown suite its id (no kind)', () => {
    const at = (suite: string) => ({ ...report.results[0]!, suite });
    const got = reportSuites([
      at('mine'),
      at('client-conformance'),
      at('x509-limbo'),
      at('offline-audit'),
      at('k8s-audit'),
      at('handshake-with-cert'),
      at('mine'),
    ]);
    expect(got.map((s) => [s.id, s.kind])).toEqual([
      ['handshake-with-cert', 'server'],
      ['k8s-audit', 'cluster'],
      ['offline-audit', 'files'],
      ['client-conformance', 'client'],
      ['x509-limbo', 'client'],
      ['mine', undefined],
    ]);
    for (const s of got.slice(0, 5)) expect(s.title, s.id).not.toBe(s.id);
    expect(got[5]).toEqual({ id: 'mine', title: 'mine' });
    expect(reportSuites([])).toEqual([]);
  });

  it('JUnit: two targets at one address are two testsuites per suite, named by targetId, with a targetId property on the second', () => {
    const xml = buildJunitXml(twoTargetsOneAddress());
    const doc = create(xml).end({ format: 'object' }) as {
      testsuites: {
        testsuite: {
          '@name': string;
          '@failures': string;
          properties: { property: { '@name': string; '@value': string }[] };
          testcase: { '@classname': string }[] | { '@classname': string };
        }[];
      };
    };
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => s['@name'])).toEqual(['gw:443 san-validation', 'gw:443 expiry', 'gw:443#2 san-validation', 'gw:443#2 expiry']);
    expect(suites.map((s) => s['@failures'])).toEqual(['0', '0', '1', '0']);
    const props = (i: number) => Object.fromEntries(suites[i]!.properties.property.map((p) => [p['@name'], p['@value']]));
    expect(props(0)).toMatchObject({ target: 'gw:443' });
    expect(props(0)).not.toHaveProperty('targetId');
    expect(props(2)).toMatchObject({ target: 'gw:443', targetId: 'gw:443#2' });
    const classnames = suites.flatMap((s) => (Array.isArray(s.testcase) ? s.testcase : [s.testcase]).map((c) => c['@classname']));
    expect(classnames).toEqual(['gw:443.san-validation', 'gw:443.expiry', 'gw:443#2.san-validation', 'gw:443#2.expiry']);
  });
});

describe('origin: the Kubernetes object a target came from (k8s scan)', () => {
  const withOrigin: RunReport = {
    ...report,
    targets: [
      {
        ...report.targets[0]!,
        origin: {
          kind: 'Gateway',
          namespace: 'shop',
          name: `gw${HOSTILE}`,
          section: 'listener https',
          declared: { 'tls.mode': 'Terminate', frontendValidation: 'none' },
          fixes: { 'san-coverage': 'never shown: no finding carries it', 'require-client-cert': 'reissue' },
        },
      },
    ],
  };

  it('JUnit: origin and origin.declared properties, escaped and schema-valid', () => {
    const xml = buildJunitXml(withOrigin);
    expect(xml).toMatch(
      /<property name="origin" value="Gateway shop\/gwCN=&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot;[^"]*, listener https"\/>/,
    );
    expect(xml).toContain('<property name="origin.declared" value="tls.mode=Terminate; frontendValidation=none"/>');
    expect(xml).not.toContain('<script>');
    expect(buildJunitXml(report)).not.toContain('name="origin"');
  });

  it('table: a line per target with a finding, and the fixes its findings carry', () => {
    const text = renderResultsTable(withOrigin, makeStyle({ isTTY: false, env: {} }), 120, false);
    expect(text).toMatch(/^gw:443 ← Gateway shop\/gwCN=<script>.*, listener https \(tls\.mode=Terminate; frontendValidation=none\)$/m);
    expect(text).toContain('\n  fix: reissue\n');
    expect(text).not.toContain('never shown');
    expect(text).not.toMatch(/\u001b|\u202e/);
    expect(renderResultsTable(report, makeStyle({ isTTY: false, env: {} }), 120, false)).not.toContain('←');
  });

  it('HTML: the target card says where it came from and what it declares', () => {
    const page = buildRunHtml(withOrigin, ['k8s', 'scan'], '{}');
    expect(page).toContain('From Gateway shop/gwCN=&lt;script>alert(1)&lt;/script>');
    expect(page).toContain('listener https · declares tls.mode=Terminate; frontendValidation=none');
    expect(page).not.toContain('<script>alert');
  });
});
