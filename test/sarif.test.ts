// The SARIF report (docs/sarif.md) of real runs of the built CLI (npm run build first) against real
// TLS servers on 127.0.0.1, validated against the OASIS SARIF 2.1.0 schema
// (fixtures/sarif/sarif-schema-2.1.0.json, draft-04) with ajv-draft-04 and ajv-formats.
import { createHash } from 'node:crypto';
import { readFileSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';
import { CATALOGUE } from '../suites/index.js';
import { spawnCli, writeClientFiles } from './helpers/cli.js';
import { ENFORCEMENT_CHECKS, liveTargetLines } from './helpers/config-yaml.js';
import { freePort } from './helpers/servers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// ajv-draft-04 and ajv-formats are CommonJS: their default imports are the class and the function at run time.
const Ajv = AjvDraft04 as unknown as typeof import('ajv-draft-04').default;
const formats = addFormats as unknown as typeof import('ajv-formats').default;
const ajv = new Ajv({ allErrors: true, strict: false });
formats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(path.join(root, 'fixtures/sarif/sarif-schema-2.1.0.json'), 'utf8')) as object);

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region?: { startLine: number } };
    logicalLocations: { name: string; fullyQualifiedName: string }[];
  }[];
  partialFingerprints: Record<string, string>;
  properties: { status: string; targetId: string };
}
interface SarifLog {
  version: string;
  runs: {
    tool: {
      driver: {
        name: string;
        rules: { id: string; shortDescription: { text: string }; help: { text: string }; helpUri?: string; properties: { tags: string[] } }[];
      };
    };
    results: SarifResult[];
    invocations: { executionSuccessful: boolean }[];
  }[];
}

/** Reads a SARIF file, asserts it is valid against the schema, 0600, and returns it. */
async function readSarif(file: string): Promise<SarifLog> {
  const text = await fs.readFile(file, 'utf8');
  const log = JSON.parse(text) as SarifLog;
  const ok = validate(log);
  expect(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 2)).toBe(true);
  expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  return log;
}

const fp = (target: string, check: string) => createHash('sha256').update(`${target}\n${check}`).digest('hex');

let dir: string;
let pki: FixturePki;
let optional: StartedNodeReference;
let closedPort: number;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-sarif-'));
  pki = await mintFixturePki();
  await writeClientFiles(dir, pki);
  optional = await new NodeReference({ profile: 'optional-client-cert', pki }).start();
  // A port nothing listens on: its checks are inconclusive (error).
  closedPort = await freePort();
});
afterAll(async () => {
  await optional?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

it('the schema validator rejects what SARIF does not allow (it is really checking)', () => {
  expect(validate({ version: '2.1.0' })).toBe(false);
  expect(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }] })).toBe(false);
  expect(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'note' }] }] })).toBe(true);
});

describe('run --sarif: a real run against the node reference (optional-client-cert)', () => {
  let log: SarifLog;
  let json: { summary: Record<string, number>; results: { targetId: string; check: string; status: string }[] };
  let code: number;
  beforeAll(async () => {
    const r = await spawnCli(
      ['run', '--reference', 'node', '--profile', 'optional-client-cert', '--sarif', 'x.sarif', '--json', 'x.json', '--quiet'],
      dir,
      {},
      120_000,
    );
    code = r.code;
    log = await readSarif(path.join(dir, 'x.sarif'));
    json = JSON.parse(await fs.readFile(path.join(dir, 'x.json'), 'utf8')) as typeof json;
  }, 150_000);

  it('validates against the SARIF 2.1.0 schema; the run exits 1 as without --sarif', () => {
    expect(code).toBe(1);
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    expect(log.runs[0]!.tool.driver.name).toBe('mtls-harness');
    expect(log.runs[0]!.invocations[0]!.executionSuccessful).toBe(true);
  });

  it('has one rule per check of the catalogue, with its title, suite tag and references', () => {
    const rules = log.runs[0]!.tool.driver.rules;
    const checks = CATALOGUE.flatMap((s) => s.checks.map((c) => ({ id: c.id, title: c.title, suite: s.id })));
    expect(rules.map((r) => r.id)).toEqual(checks.map((c) => c.id));
    for (const [i, c] of checks.entries()) {
      expect(rules[i]!.shortDescription.text).toBe(c.title);
      expect(rules[i]!.properties.tags).toContain(c.suite);
    }
    const reject = rules.find((r) => r.id === 'reject.no-client-cert')!;
    expect(reject.helpUri).toMatch(/^https:\/\/www\.rfc-editor\.org\/rfc\/rfc/);
    // The fix the run's finding carried is the rule's help.
    expect(reject.help.text).toMatch(/^How to fix: .*requestCert: true/);
  });

  it('reports each fail as error and each warn as warning, nothing for pass and skip, at the artificial location naming the target', () => {
    const results = log.runs[0]!.results;
    const findings = json.results.filter((r) => r.status === 'fail' || r.status === 'warn' || r.status === 'error');
    expect(findings.length).toBeGreaterThan(0);
    expect(results.map((r) => [r.ruleId, r.level])).toEqual(
      findings.map((f) => [f.check, f.status === 'fail' ? 'error' : f.status === 'warn' ? 'warning' : 'note']),
    );
    const reject = results.find((r) => r.ruleId === 'reject.no-client-cert')!;
    expect(reject.level).toBe('error');
    expect(log.runs[0]!.tool.driver.rules[reject.ruleIndex]!.id).toBe('reject.no-client-cert');
    const id = json.results[0]!.targetId;
    expect(reject.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: `mtls-harness/target/${encodeURIComponent(id)}`, uriBaseId: '%SRCROOT%' });
    expect(reject.partialFingerprints['mtlsHarnessTargetCheck/v1']).toBe(fp(id, 'reject.no-client-cert'));
  });
});

describe('run --config: results located at the target’s line of the config file', () => {
  let log: SarifLog;
  let code: number;
  const hostile = 'evil\u202e"<b>`|%0A';
  beforeAll(async () => {
    const config = [
      '# targets of the SARIF test',
      ENFORCEMENT_CHECKS,
      'reports:',
      '  sarif: out/config.sarif',
      'targets:',
      ...liveTargetLines(hostile, optional.endpoint.port),
      '  - reference: { implementation: node, profile: strict }',
      `  - endpoint: 127.0.0.1:${closedPort}`,
      '    ca: ca.pem',
      '',
    ].join('\n');
    await fs.mkdir(path.join(dir, 'conf', 'out'), { recursive: true });
    for (const f of ['ca.pem', 'client.pem', 'client-key.pem']) await fs.copyFile(path.join(dir, f), path.join(dir, 'conf', f));
    await fs.writeFile(path.join(dir, 'conf', 'mtls.yaml'), config);
    const r = await spawnCli(['run', '--config', 'conf/mtls.yaml', '--quiet'], dir, {}, 120_000);
    code = r.code;
    expect(r.stderr).not.toMatch(/error:/);
    log = await readSarif(path.join(dir, 'conf', 'out', 'config.sarif'));
  }, 150_000);

  it('a live target’s findings are at its line (relative to the working directory, from the source root)', () => {
    expect(code).toBe(1);
    const results = log.runs[0]!.results.filter((r) => r.properties.targetId === hostile);
    expect(results.map((r) => r.ruleId).sort()).toEqual(['handshake.client-auth-mode', 'reject.no-client-cert']);
    for (const r of results) {
      expect(r.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'conf/mtls.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 6 } });
      expect(r.partialFingerprints['mtlsHarnessTargetCheck/v1']).toBe(fp(hostile, r.ruleId));
    }
  });

  it('the strict reference passes (no result); the unreachable target is inconclusive: note, at its own line, not a finding of the server', () => {
    const results = log.runs[0]!.results;
    // (a note, an inconclusive check, could come from a machine too loaded to answer in time: not a finding)
    expect(results.filter((r) => r.properties.targetId.startsWith('node:strict') && r.level !== 'note')).toEqual([]);
    const unreachable = results.filter((r) => r.properties.targetId === `127.0.0.1:${closedPort}`);
    expect(unreachable.length).toBeGreaterThan(0);
    for (const r of unreachable) {
      expect(r.level).toBe('note');
      expect(r.properties.status).toBe('error');
      expect(r.message.text).toMatch(/inconclusive, not a finding of the server/);
      expect(r.locations[0]!.physicalLocation.region).toEqual({ startLine: 13 });
    }
  });

  it('hostile text stays JSON-escaped (bidi as \\u202e) and reads back exactly', async () => {
    const text = await fs.readFile(path.join(dir, 'conf', 'out', 'config.sarif'), 'utf8');
    expect(text).not.toContain('\u202e');
    expect(text).toContain('evil\\u202e\\"<b>`|%0A');
    expect(log.runs[0]!.results.find((r) => r.properties.targetId === hostile)!.locations[0]!.logicalLocations[0]!.name).toBe(hostile);
  });
});

describe('run --targets-file: results located at the target’s line of the targets file', () => {
  it('each target at its own line; validates', async () => {
    await fs.writeFile(path.join(dir, 'targets.txt'), `# the optional-client-cert server\n\n127.0.0.1:${optional.endpoint.port},localhost\n`);
    const creds = '--ca ca.pem --cert client.pem --key client-key.pem'.split(' ');
    const r = await spawnCli(
      ['run', '--targets-file', 'targets.txt', ...creds, '--check', 'reject.no-client-cert', '--quiet'],
      dir,
      { MTLS_SARIF: 'tf.sarif' },
      60_000,
    );
    expect(r.code, r.stderr).toBe(1);
    const log = await readSarif(path.join(dir, 'tf.sarif'));
    expect(log.runs[0]!.results).toHaveLength(1);
    expect(log.runs[0]!.results[0]!.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'targets.txt', uriBaseId: '%SRCROOT%' },
      region: { startLine: 3 },
    });
  }, 90_000);
});

describe('audit --sarif: an audited credential set’s findings are at its certificate file', () => {
  it('key files readable by others: error at the certificate file of their set; validates', async () => {
    const init = await spawnCli(['certs', 'init', '--out', 'pki'], dir);
    expect(init.code, init.stderr).toBe(0);
    await fs.chmod(path.join(dir, 'pki', 'server-key.pem'), 0o644);
    const r = await spawnCli(['audit', 'pki', '--sarif', 'audit.sarif', '--quiet'], dir);
    expect(r.code, r.stderr).toBe(1);
    const log = await readSarif(path.join(dir, 'audit.sarif'));
    const perms = log.runs[0]!.results.filter((x) => x.ruleId === 'audit.key-permissions');
    expect(perms).toHaveLength(1);
    expect(perms[0]!.level).toBe('error');
    expect(perms[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: 'pki/server.pem', uriBaseId: '%SRCROOT%' });
  }, 60_000);
});

describe('a waived finding (the waivers branch: result.waiver) is an accepted suppression', () => {
  it('validates; the result keeps its level and carries who accepted it, why and until when', async () => {
    const { buildSarif } = await import('../src/report/sarif.js');
    const run = {
      startedAt: '2026-11-29T00:00:00.000Z',
      finishedAt: '2026-11-29T00:00:01.000Z',
      durationMs: 1000,
      targets: [{ id: 'legacy', name: 'legacy', endpoint: '10.0.0.7:8443', kind: 'live' as const }],
      results: [
        {
          targetId: 'legacy',
          target: 'legacy',
          suite: 'rejection-without-cert',
          check: 'reject.no-client-cert',
          title: 'A client without a certificate is refused',
          status: 'fail' as const,
          message: 'a client offering no certificate was accepted',
          evidence: {},
          durationMs: 1,
          waiver: { reason: 'until the Q3 migration', owner: 'platform', expires: '2027-06-30', file: 'w.yaml', index: 0 },
        },
      ],
      summary: { pass: 0, warn: 0, fail: 1, skip: 0, error: 0 },
    };
    const log = buildSarif(run);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const r = log.runs[0]!.results[0]!;
    expect(r.level).toBe('error');
    expect(r).toHaveProperty('suppressions', [
      { kind: 'external', status: 'accepted', justification: 'waived by platform until 2027-06-30: until the Q3 migration' },
    ]);
  });
});
