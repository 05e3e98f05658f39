// Issue 21, "Fleet reports" and "Evidence auditors can verify alone": the built CLI run against the
// node reference on 127.0.0.1 (strict: enforced; optional-client-cert: a client without a
// certificate is served), each run's JSON report carrying its provenance, and `report merge`
// merging the two real runs into one fleet report that carries every source's digest.
import { createHash, X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki } from '../src/pki/generate.js';
import { STATUSES, summarize } from '../src/core/status.js';
import type { MergeSource, Provenance, Result, TargetReport } from '../src/core/model.js';
import type { Summary } from '../src/core/status.js';
import { expectUsageError, spawnCli, writeClientFiles, type Ran } from './helpers/cli.js';

interface Json {
  schemaVersion: number;
  run: { provenance?: Provenance; argv: string[] };
  sources?: MergeSource[];
  targets: TargetReport[];
  results: Result[];
  summary: Summary;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let dir: string;
const run = (args: string[], env: Record<string, string> = {}): Promise<Ran> => spawnCli(args, dir, env, 90_000);
const readJson = async (f: string) => JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as Json;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-fleet-'));
  const [strict, optional] = await Promise.all([
    run(['run', '--reference', 'node', '--profile', 'strict', '--json', 'strict.json', '--html', 'strict.html', '--junit', 'strict.xml'], {
      MTLS_OPERATOR: 'alice@ci-pipeline',
    }),
    run(['run', '--reference', 'node', '--profile', 'optional-client-cert', '--json', 'optional.json']),
  ]);
  expect(strict.code, strict.stderr).toBe(0);
  expect(optional.code, optional.stderr).toBe(1);
}, 180_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('provenance in the run reports', () => {
  it('the JSON carries operator, host, versions and policy; the HTML header and the JUnit properties show them', async () => {
    const j = await readJson('strict.json');
    const p = j.run.provenance!;
    expect(p.operator).toBe('alice@ci-pipeline');
    expect(p.operatorFrom).toBe('MTLS_OPERATOR');
    expect(p.host).toBe(os.hostname());
    expect(p.versions).toEqual({ tool: expect.any(String), node: process.versions.node, openssl: process.versions.openssl });
    expect(p.command).toBe('run');
    expect(p.policy).toMatchObject({ warnDays: 30, failDays: 7 });
    expect(p.environment.MTLS_OPERATOR).toBe('alice@ci-pipeline');
    const html = await fs.readFile(path.join(dir, 'strict.html'), 'utf8');
    expect(html).toContain('alice@ci-pipeline');
    expect(html).toContain(`OpenSSL ${process.versions.openssl}`);
    // The HTML carries the SHA-256 of the JSON written by the same run.
    expect(html).toContain(`SHA-256 ${sha256(await fs.readFile(path.join(dir, 'strict.json')))}`);
    const xml = await fs.readFile(path.join(dir, 'strict.xml'), 'utf8');
    expect(xml).toContain('<property name="provenance.operator" value="alice@ci-pipeline"/>');
    expect(xml).toMatch(/<property name="provenance.versions" value="mtls-harness [^;]+; node [^;]+; openssl [^"]+"\/>/);
  });

  it('without MTLS_OPERATOR the operator is user@host of the process', async () => {
    const p = (await readJson('optional.json')).run.provenance!;
    expect(p.operatorFrom).toBe('system');
    expect(p.operator).toBe(`${os.userInfo().username}@${os.hostname()}`);
  });

  it('input files: certificates by SHA-256 and fingerprint, the key by its path only; no key material anywhere', async () => {
    const pki = await mintFixturePki();
    await writeClientFiles(dir, pki);
    await fs.writeFile(path.join(dir, 'mtls.yaml'), 'targets:\n  - endpoint: 127.0.0.1:1\n');
    // A closed port: the checks end in errors at once; what matters here is the report's provenance.
    const r = await run(
      ['run', '--config', 'mtls.yaml', '--ca', 'ca.pem', '--cert', 'client.pem', '--key', 'client-key.pem', '--check', 'handshake.*', '--json', 'files.json'],
      { MTLS_KEY_PASSPHRASE: 'hunter2-secret' },
    );
    expect([0, 1]).toContain(r.code);
    const text = await fs.readFile(path.join(dir, 'files.json'), 'utf8');
    const p = (JSON.parse(text) as Json).run.provenance!;
    expect(p.config).toEqual({ path: 'mtls.yaml', sha256: sha256(await fs.readFile(path.join(dir, 'mtls.yaml'))) });
    const byFlag = new Map(p.files.map((f) => [f.from, f]));
    const ca = byFlag.get('--ca')!;
    expect(ca.sha256).toBe(sha256(pki.root.certPem));
    expect(ca.certificates).toEqual([{ subject: expect.any(String), fingerprintSha256: new X509Certificate(pki.root.certPem).fingerprint256 }]);
    expect(byFlag.get('--cert')!.certificates![0]!.fingerprintSha256).toBe(new X509Certificate(pki.client.certPem).fingerprint256);
    const key = byFlag.get('--key')!;
    expect(key).toEqual({ from: '--key', path: 'client-key.pem', note: 'key material: path only' });
    expect(p.environment.MTLS_KEY_PASSPHRASE).toBe('[REDACTED]');
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(text).not.toContain(sha256(pki.client.keyPem));
    const keyBody = pki.client.keyPem.split('\n').find((l) => l.length > 40)!;
    expect(text).not.toContain(keyBody);
  }, 90_000);
  it('audit: the files audited by digest and fingerprint, a key file given as an argument by its path only', async () => {
    const init = await run(['certs', 'init', '--out', 'pki']);
    expect(init.code, init.stderr).toBe(0);
    const r = await run(['audit', 'pki/client.pem', 'pki/client-key.pem', '--ca', 'pki/ca.pem', '--json', 'audit.json']);
    expect([0, 1]).toContain(r.code);
    const text = await fs.readFile(path.join(dir, 'audit.json'), 'utf8');
    const p = (JSON.parse(text) as Json).run.provenance!;
    expect(p.command).toBe('audit');
    const byPath = new Map(p.files.map((f) => [f.path, f]));
    expect(byPath.get('pki/ca.pem')).toMatchObject({ from: '--ca', sha256: sha256(await fs.readFile(path.join(dir, 'pki/ca.pem'))) });
    expect(byPath.get('pki/client.pem')!.certificates![0]!.fingerprintSha256).toBe(
      new X509Certificate(await fs.readFile(path.join(dir, 'pki/client.pem'))).fingerprint256,
    );
    expect(byPath.get('pki/client-key.pem')).toEqual({ from: 'argument', path: 'pki/client-key.pem', note: 'holds a private key: path only' });
    expect(text).not.toMatch(/PRIVATE KEY/);
  }, 60_000);
});

describe('report merge: two real runs into one fleet report', () => {
  let merged: Ran;
  beforeAll(async () => {
    merged = await run(
      [
        'report',
        'merge',
        'strict.json',
        '--label',
        'cluster-b=optional.json',
        'optional.json',
        '--json',
        'fleet.json',
        '--html',
        'fleet.html',
        '--junit',
        'fleet.xml',
      ],
      {
        MTLS_OPERATOR: 'auditor@fleet',
      },
    );
  }, 90_000);

  it('exits 1: a merged result fails (optional-client-cert serves a client without a certificate)', () => {
    expect(merged.code, merged.stderr).toBe(1);
    expect(merged.stderr).toBe('');
  });

  it("carries every source's SHA-256 (of the bytes read) in the merged JSON, HTML and JUnit", async () => {
    const digests = {
      strict: sha256(await fs.readFile(path.join(dir, 'strict.json'))),
      'cluster-b': sha256(await fs.readFile(path.join(dir, 'optional.json'))),
    };
    const fleet = await readJson('fleet.json');
    expect(fleet.sources!.map((s) => [s.label, s.file, s.sha256])).toEqual([
      ['strict', 'strict.json', digests.strict],
      ['cluster-b', 'optional.json', digests['cluster-b']],
    ]);
    const html = await fs.readFile(path.join(dir, 'fleet.html'), 'utf8');
    const xml = await fs.readFile(path.join(dir, 'fleet.xml'), 'utf8');
    for (const [label, d] of Object.entries(digests)) {
      expect(html).toContain(`data-source="${label}"`);
      expect(html).toContain(d);
      expect(xml).toContain(`<property name="source.sha256" value="${d}"/>`);
      expect(merged.stdout).toContain(d);
    }
    // The merged report's own digest is the HTML's, and the merge's provenance is the auditor's.
    expect(html).toContain(`SHA-256 ${sha256(await fs.readFile(path.join(dir, 'fleet.json')))}`);
    expect(fleet.run.provenance!.operator).toBe('auditor@fleet');
    expect(fleet.run.provenance!.command).toBe('report merge');
    // Each source's own provenance, as it recorded it.
    expect(fleet.sources![0]!.provenance!.operator).toBe('alice@ci-pipeline');
  });

  it('per-source summaries are each run’s own; targets stay distinct; results and summary recomputed', async () => {
    const [a, b, fleet] = await Promise.all([readJson('strict.json'), readJson('optional.json'), readJson('fleet.json')]);
    expect(fleet.sources![0]!.summary).toEqual(a.summary);
    expect(fleet.sources![1]!.summary).toEqual(b.summary);
    expect(fleet.sources!.map((s) => s.targets)).toEqual([a.targets.length, b.targets.length]);
    expect(fleet.targets.map((t) => t.id)).toEqual([...a.targets.map((t) => `strict/${t.id}`), ...b.targets.map((t) => `cluster-b/${t.id}`)]);
    expect(fleet.results).toHaveLength(a.results.length + b.results.length);
    for (const s of STATUSES) expect(fleet.summary[s]).toBe(a.summary[s] + b.summary[s]);
    expect(fleet.summary).toEqual(summarize(fleet.results));
    expect(fleet.summary.fail).toBeGreaterThan(0);
    const failing = fleet.results.filter((r) => r.status === 'fail').map((r) => r.targetId);
    expect(new Set(failing)).toEqual(new Set(b.targets.map((t) => `cluster-b/${t.id}`)));
    // The HTML lists the per-source counts of each source.
    const html = await fs.readFile(path.join(dir, 'fleet.html'), 'utf8');
    expect(html).toContain('<h2>Sources</h2>');
    expect(html).toContain('mTLS fleet report');
  });

  it('exit 0 when no merged result fails; exit 1 with --fail-on warn when one warns', async () => {
    const ok = await run(['report', 'merge', 'strict.json', '--json', 'one.json']);
    expect(ok.code, ok.stderr).toBe(0);
    const a = await readJson('strict.json');
    expect(a.summary.warn).toBeGreaterThan(0);
    const warn = await run(['report', 'merge', 'strict.json', '--fail-on', 'warn']);
    expect(warn.code, warn.stderr).toBe(1);
  });

  it('a fleet report merges again, keeping its sources’ digests', async () => {
    const r = await run(['report', 'merge', 'fleet.json', 'strict.json', '--label', 'again=strict.json', '--json', 'fleet2.json']);
    expect(r.code, r.stderr).toBe(1);
    const f2 = await readJson('fleet2.json');
    const fleet = await readJson('fleet.json');
    expect(f2.sources![0]!.sources!.map((s) => s.sha256)).toEqual(fleet.sources!.map((s) => s.sha256));
    expect(f2.targets[0]!.id).toBe(`fleet/${fleet.targets[0]!.id}`);
  });
});

describe('report merge: hostile or wrong input is exit 2, one line', () => {
  const write = (name: string, text: string) => fs.writeFile(path.join(dir, name), text);

  it('not JSON, wrong schema version, not a report, altered summary, unknown target', async () => {
    const good = await fs.readFile(path.join(dir, 'strict.json'), 'utf8');
    const doc = JSON.parse(good) as Record<string, unknown> & { summary: Summary; results: Result[] };
    await fs.mkdir(path.join(dir, 'copy'), { recursive: true });
    await write('copy/strict.json', good.replace('"durationMs": ', '"durationMs":  '));
    await write('notjson.json', '{"schemaVersion": 2, ');
    await write('v1.json', JSON.stringify({ ...doc, schemaVersion: 1 }));
    await write('v3.json', JSON.stringify({ ...doc, schemaVersion: 3 }));
    await write('array.json', '[]');
    await write('altered.json', JSON.stringify({ ...doc, summary: { ...doc.summary, fail: doc.summary.fail + 1 } }));
    await write('orphan.json', JSON.stringify({ ...doc, results: [{ ...doc.results[0]!, targetId: 'nowhere' }], summary: summarize([doc.results[0]!]) }));
    await write('badstatus.json', JSON.stringify({ ...doc, results: [{ ...doc.results[0]!, status: 'great' }] }));
    const cases: [string[], RegExp][] = [
      [['notjson.json'], /notjson\.json: not JSON/],
      [['v1.json'], /v1\.json: schema version 1 .*run it again/],
      [['v3.json'], /v3\.json: schema version 3: this version reads 2/],
      [['array.json'], /array\.json: not a run report/],
      [['altered.json'], /altered\.json: its summary .* does not match its results .*altered/],
      [['orphan.json'], /orphan\.json: result #1 names target "nowhere"/],
      [['badstatus.json'], /badstatus\.json: result #1 needs/],
      [['missing.json'], /report not found: missing\.json/],
      [['strict.json', 'strict.json'], /strict\.json and strict\.json are the same report/],
      [['strict.json', 'copy/strict.json'], /two sources are labelled "strict": give each its own with --label/],
      [[], /give the JSON run reports to merge/],
      [['strict.json', '--label', 'x=other.json'], /other\.json is not one of the files/],
      [['strict.json', '--label', 'bad label=strict.json'], /no label/],
      [['strict.json', '--fail-on', 'never'], /--fail-on must be warn or fail/],
    ];
    for (const [args, message] of cases) expectUsageError(await run(['report', 'merge', ...args]), message);
    expectUsageError(await run(['report', 'squash', 'strict.json']), /report: unknown subcommand "squash"; subcommands: merge/);
  }, 120_000);

  it('markup and bidi controls in a source (its provenance, a target name) are text in the HTML and escaped in the JUnit', async () => {
    const doc = JSON.parse(await fs.readFile(path.join(dir, 'optional.json'), 'utf8')) as Json;
    const evil = '<script>alert(1)</script>\u202e"&';
    doc.run.provenance = { ...doc.run.provenance!, operator: evil, host: `<img src=x onerror=alert(2)>` };
    doc.targets[0]!.name = evil;
    await write('evil.json', JSON.stringify(doc));
    const r = await run(['report', 'merge', 'evil.json', 'strict.json', '--html', 'evil.html', '--junit', 'evil.xml']);
    expect(r.code, r.stderr).toBe(1);
    const html = await fs.readFile(path.join(dir, 'evil.html'), 'utf8');
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain('&lt;script>alert(1)&lt;/script>');
    expect(html).not.toContain('\u202e');
    const xml = await fs.readFile(path.join(dir, 'evil.xml'), 'utf8');
    expect(xml).not.toMatch(/<script|<img/);
    expect(xml).toContain('<property name="source.operator" value="&lt;script&gt;alert(1)&lt;/script&gt;?&quot;&amp;"/>');
  });

  it('a directory, a device or a file over 256 MiB is refused before it is read', async () => {
    await fs.mkdir(path.join(dir, 'adir.json'), { recursive: true });
    expectUsageError(await run(['report', 'merge', 'adir.json']), /is not a regular file/);
    expectUsageError(await run(['report', 'merge', '/dev/zero']), /is not a regular file/);
    // Larger than the bound (sparse: nothing is written, and nothing is read: refused at stat).
    const big = await fs.open(path.join(dir, 'big.json'), 'w');
    await big.truncate(257 * 1024 * 1024);
    await big.close();
    expectUsageError(await run(['report', 'merge', 'big.json']), /big\.json is .*too large/);
  });

  it('report --help and report merge --help print the help', async () => {
    for (const args of [
      ['report', '--help'],
      ['report', 'merge', '--help'],
      ['help', 'report'],
    ]) {
      const r = await run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: mtls-harness report merge/);
    }
  });
});
