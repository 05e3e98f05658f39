// `mtls-harness run` end to end: reports (JSON, schema-valid JUnit), live targets given by flags and
// by config file, unreachable and hung targets, bad configuration.
import { writeClientFiles } from './helpers/cli.js';
import { execFile, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from 'xmlbuilder2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';
import { SUITES } from '../suites/index.js';
import { freePort, NGINX, skipUnless, startNginx, type StartedServer } from './helpers/servers.js';
import { expectTargetIds } from './helpers/target-ids.js';
import { expectedVerdicts, SERVER_CHECK_IDS } from '../suites/profile-verdicts.js';

/** How many checks of the node reference's expected verdicts on a profile have each status. */
function tally(profile: Parameters<typeof expectedVerdicts>[0]): Record<'pass' | 'warn' | 'fail' | 'skip' | 'error', number> {
  const t = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const s of Object.values(expectedVerdicts(profile, 'node'))) t[s]++;
  return t;
}

// shared/external/junit/JUnit.xsd with testcase output allowed (Apache-2.0, see fixtures/junit/PROVENANCE.md).
const XSD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/junit/JUnit-testcase-output.xsd');
const HAVE_XMLLINT = spawnSync('sh', ['-c', 'command -v xmllint']).status === 0;

let dir: string;
let pki: FixturePki;
let strict: StartedNodeReference;
const f = (n: string) => path.join(dir, n);

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1', ...env },
  });
  return { code, stdout, stderr };
}

async function readJson(file: string) {
  return JSON.parse(await fs.readFile(file, 'utf8')) as {
    schemaVersion: number;
    results: { check: string; status: string; target: string; message: string; evidence: Record<string, unknown> }[];
    summary: Record<string, number>;
    run: { argv: string[] };
    targets: unknown[];
  };
}

/** The JUnit file is valid against the Ant schema (when xmllint is installed). */
function expectValidJunit(file: string): void {
  if (!HAVE_XMLLINT) {
    console.warn('SKIPPED the XSD validation: xmllint not installed (apt-get install libxml2-utils)');
    return;
  }
  const lint = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  expect(lint.status, lint.stderr).toBe(0);
}

const statusOf = (results: { check: string; status: string }[], id: string) => results.find((r) => r.check === id)?.status;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-run-'));
  pki = await mintFixturePki();
  await writeClientFiles(dir, pki);
  strict = await new NodeReference({ profile: 'strict', pki }).start();
});
afterAll(async () => {
  await strict?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('reports', () => {
  it('optional-client-cert: exit 1, reject.no-client-cert fails; JUnit validates against the schema and parses back', async () => {
    const r = await run(['run', '--reference', 'node', '--profile', 'optional-client-cert', '--json', f('r.json'), '--junit', f('r.xml')]);
    expect(r.code).toBe(1);
    const j = await readJson(f('r.json'));
    expect(j.schemaVersion).toBe(2);
    expect(statusOf(j.results, 'reject.no-client-cert')).toBe('fail');
    expect(j.summary.fail).toBe(2);
    expect(r.stdout).toMatch(/FAIL\s+│ reject\.no-client-cert/);
    const n = tally('optional-client-cert');
    expect(n.fail).toBe(2);
    expect(r.stdout).toMatch(
      new RegExp(
        `${SERVER_CHECK_IDS.length} checks on 1 target\\(s\\) in [\\d.]+ s: ${n.pass} passed, ${n.warn} warned, 2 failed, ${n.skip} skipped, 0 errors`,
      ),
    );

    const xml = await fs.readFile(f('r.xml'), 'utf8');
    expectValidJunit(f('r.xml'));
    const doc = create(xml).end({ format: 'object' }) as {
      testsuites: { testsuite: { '@name': string; '@failures': string; testcase: { '@name': string; failure?: unknown; skipped?: unknown }[] }[] };
    };
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => s['@name'])).toEqual(SUITES.map((s) => `node:optional-client-cert ${s.id}`));
    const cases = suites.flatMap((s) => (Array.isArray(s.testcase) ? s.testcase : [s.testcase]));
    expect(cases).toHaveLength(SERVER_CHECK_IDS.length);
    expect(
      cases
        .filter((c) => c.failure)
        .map((c) => c['@name'])
        .sort(),
    ).toEqual(['handshake.client-auth-mode', 'reject.no-client-cert']);
    // The identity checks (no identities declared), the rotation checks (a static profile) and the
    // revoked client (no CRL on this profile).
    expect(cases.filter((c) => c.skipped)).toHaveLength(tally('optional-client-cert').skip);
    expect(xml).not.toContain('PRIVATE KEY');
  });

  it('one report failing to write does not lose the other, and the run says so (exit 1)', async () => {
    await fs.mkdir(f('a-directory.json'), { recursive: true });
    const r = await run(['run', '--reference', 'node', '--profile', 'strict', '--json', f('a-directory.json'), '--junit', f('still.xml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not write the JSON report to .*a-directory\.json: EISDIR/);
    expect(await fs.readFile(f('still.xml'), 'utf8')).toContain('<testsuites>');
  });

  it('strict: exit 0', async () => {
    const r = await run(['run', '--reference', 'node', '--profile', 'strict', '--json', '-']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary).toEqual(tally('strict'));
    expect(j.summary.warn).toBeGreaterThan(1); // the CA as a leaf, and the crafted profiles OpenSSL accepts by policy
  });

  it('--fail-on warn turns the CA-as-leaf warning into exit 1', async () => {
    expect((await run(['run', '--reference', 'node', '--profile', 'strict', '--fail-on', 'warn', '--quiet'])).code).toBe(1);
  });
});

describe('live targets given by flags', () => {
  it('the strict server as a live target reaches the same verdicts as the reference run', async () => {
    const r = await run([
      'run',
      '--target',
      `127.0.0.1:${strict.endpoint.port}`,
      '--servername',
      'localhost',
      '--expected-name',
      '127.0.0.1',
      '--ca',
      f('ca.pem'),
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      '--ca-key',
      f('ca-key.pem'),
      '--json',
      f('live.json'),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const j = await readJson(f('live.json'));
    const notPass = j.results
      .filter((x) => x.status !== 'pass')
      .map((x) => `${x.check}=${x.status}`)
      .sort();
    expect(notPass).toEqual(
      [
        'chain.client-cert-not-revoked=skip',
        'chain.rejects-ca-as-client=warn',
        'chain.rejects-ocsp-revoked-client=skip',
        'chain.rejects-revoked-client=skip',
        // Mesh ports only (k8s scan).
        'mesh.declared-matches-observed=skip',
        'mesh.strict-refuses-plaintext=skip',
        'rotation.ca-overlap=skip',
        'rotation.continuity=skip',
        'rotation.new-cert-served=skip',
        'san.rejects-wrong-identity-client=skip',
        'san.server-identity=skip',
        // The crafted profiles: the same verdicts as the reference run's (minted from the CA key).
        ...Object.entries(expectedVerdicts('strict', 'node'))
          .filter(([id, st]) => id.startsWith('crafted.') && st !== 'pass')
          .map(([id, st]) => `${id}=${st}`),
      ].sort(),
    );
    // The CA key was used to mint crafted certificates, never written into the report.
    const text = await fs.readFile(f('live.json'), 'utf8');
    expect(text).not.toContain('PRIVATE KEY');
    expect(j.run.argv).toContain('--ca-key');
  });

  it('without --ca-key the checks that need it are skipped, saying why', async () => {
    const r = await run([
      'run',
      '--target',
      `127.0.0.1:${strict.endpoint.port}`,
      '--servername',
      'localhost',
      '--ca',
      f('ca.pem'),
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      '--json',
      '-',
    ]);
    const j = JSON.parse(r.stdout) as { results: { check: string; status: string; message: string }[] };
    for (const id of [
      'chain.rejects-wrong-eku-client',
      'chain.rejects-ca-as-client',
      'chain.accepts-intermediate-client',
      'expiry.rejects-expired-client',
      'expiry.rejects-not-yet-valid-client',
    ]) {
      const x = j.results.find((y) => y.check === id)!;
      expect(x.status).toBe('skip');
      expect(x.message).toBe('needs the CA private key (--ca-key) to mint this test certificate');
    }
    // The look-alike and self-signed clients need no key.
    expect(statusOf(j.results, 'chain.rejects-untrusted-ca-client')).toBe('pass');
    expect(statusOf(j.results, 'chain.rejects-self-signed-client')).toBe('pass');
    expect(r.code).toBe(0);
  });

  describe.skipIf(skipUnless(NGINX, 'nginx', 'apt-get install nginx-light'))('nginx ssl_verify_client on (refuses at the HTTP layer)', () => {
    let nginx: StartedServer;
    beforeAll(async () => {
      nginx = await startNginx({ pki, verify: 'on' });
    });
    afterAll(async () => {
      await nginx?.stop();
    });
    it('counts HTTP 400 as enforcement, and as fail with --require-tls-rejection; plaintext is refused', async () => {
      const base = [
        'run',
        '--target',
        `127.0.0.1:${nginx.port}`,
        '--servername',
        'localhost',
        '--ca',
        f('ca.pem'),
        '--cert',
        f('client.pem'),
        '--key',
        f('client-key.pem'),
        '--ca-key',
        f('ca-key.pem'),
        '--suite',
        'rejection-without-cert,handshake-with-cert',
        '--json',
        '-',
      ];
      const a = await run(base);
      const ja = JSON.parse(a.stdout) as { results: { check: string; status: string; evidence: { rejectedAt?: string; httpStatusLine?: string } }[] };
      const noCert = ja.results.find((x) => x.check === 'reject.no-client-cert')!;
      expect(noCert.status).toBe('pass');
      expect(noCert.evidence.rejectedAt).toBe('application');
      expect(noCert.evidence.httpStatusLine).toBe('HTTP/1.1 400 Bad Request');
      expect(statusOf(ja.results, 'reject.plaintext')).toBe('pass');
      expect(statusOf(ja.results, 'handshake.client-auth-mode')).toBe('pass');
      expect(a.code).toBe(0);
      const b = await run([...base, '--require-tls-rejection']);
      expect(statusOf(JSON.parse(b.stdout).results, 'reject.no-client-cert')).toBe('fail');
      expect(b.code).toBe(1);
    });
  });
});

describe('targets that cannot be evaluated', () => {
  it('a closed port: every check is error or skip, exit 1, and both reports are still written', async () => {
    const port = await freePort();
    const r = await run(['run', '--target', `127.0.0.1:${port}`, '--timeout', '1s', '--json', f('down.json'), '--junit', f('down.xml')]);
    expect(r.code).toBe(1);
    const j = await readJson(f('down.json'));
    expect(j.results).toHaveLength(SERVER_CHECK_IDS.length);
    for (const x of j.results) expect(['error', 'skip'], `${x.check}: ${x.message}`).toContain(x.status);
    expect(statusOf(j.results, 'reject.no-client-cert')).toBe('error');
    expect(j.results.find((x) => x.check === 'reject.no-client-cert')!.message).toMatch(/refused/);
    expect((await fs.stat(f('down.xml'))).size).toBeGreaterThan(0);
  });

  it('a hung target does not stall the others: both finish within the per-connection timeout budget', async () => {
    const hang = net.createServer(() => {});
    const sockets: net.Socket[] = [];
    hang.on('connection', (s) => sockets.push(s));
    await new Promise<void>((res) => hang.listen(0, '127.0.0.1', res));
    const hangPort = (hang.address() as net.AddressInfo).port;
    try {
      const t0 = Date.now();
      const r = await run([
        'run',
        '--target',
        `127.0.0.1:${hangPort}`,
        '--target',
        `127.0.0.1:${strict.endpoint.port}`,
        '--servername',
        'localhost',
        '--ca',
        f('ca.pem'),
        '--cert',
        f('client.pem'),
        '--key',
        f('client-key.pem'),
        '--timeout',
        '1s',
        '--json',
        '-',
      ]);
      const elapsed = Date.now() - t0;
      const j = JSON.parse(r.stdout) as { results: { target: string; check: string; status: string }[] };
      const hung = j.results.filter((x) => x.target === `127.0.0.1:${hangPort}`);
      const good = j.results.filter((x) => x.target === `127.0.0.1:${strict.endpoint.port}`);
      expect(statusOf(hung, 'reject.no-client-cert')).toBe('error');
      expect(statusOf(good, 'reject.no-client-cert')).toBe('pass');
      expect(statusOf(good, 'handshake.accepts-valid-client-cert')).toBe('pass');
      // Every connection to the hung target gives up after 1 s, and they run concurrently.
      expect(elapsed).toBeLessThan(4_000);
      expect(r.code).toBe(1);
    } finally {
      for (const s of sockets) s.destroy();
      hang.close();
    }
  });
});

describe('config file', () => {
  it('YAML with relative paths, per-target expectations and report paths', async () => {
    const cfg = f('mtls.yaml');
    await fs.writeFile(
      cfg,
      `# two views of one server
policy:
  warnDays: 30
  failDays: 7
reports:
  json: out/report.json
  junit: out/report.xml
targets:
  - name: strict-by-config
    endpoint: 127.0.0.1:${strict.endpoint.port}
    servername: localhost
    expectedNames: [127.0.0.1]
    ca: ca.pem
    cert: client.pem
    key: client-key.pem
    caKey: ca-key.pem
    expect:
      serverIdentity: localhost
      allowedClientIdentities: [spiffe://example.org/ns/default/sa/client]
`,
    );
    const r = await run(['run', '--config', cfg]);
    const j = await readJson(f('out/report.json'));
    expect(j.results.every((x) => x.target === 'strict-by-config')).toBe(true);
    expect(statusOf(j.results, 'san.server-identity')).toBe('pass');
    // node's strict profile trusts the whole CA: a trusted client with another identity is accepted.
    expect(statusOf(j.results, 'san.rejects-wrong-identity-client')).toBe('fail');
    expect(r.code).toBe(1);
    await fs.access(f('out/report.xml'));
  });

  it.each([
    ['bad YAML', 'targets:\n  - endpoint: [unclosed\n', /mtls-bad\.yaml:\d+: not valid YAML/],
    [
      'unknown key with a suggestion',
      'targets:\n  - endpont: localhost:1\n',
      /mtls-bad\.yaml:2: targets\[0\]\.endpont is not a known key \(did you mean endpoint\?\)/,
    ],
    ['wrong type', 'concurrency: many\n', /mtls-bad\.yaml:1: concurrency must be a whole number/],
    ['bad enum', 'failOn: sometimes\n', /failOn must be one of warn, fail/],
    ['target without endpoint', 'targets:\n  - name: x\n', /mtls-bad\.yaml:2: targets\[0\] needs an endpoint/],
    ['unknown suite', 'suites: [rotation-magic]\ntargets:\n  - endpoint: localhost:1\n', /unknown suite "rotation-magic"/],
    ['missing cert file', 'targets:\n  - endpoint: localhost:1\n    cert: nope.pem\n    key: nope-key.pem\n', /certificate file not found: .*nope\.pem/],
  ])('%s → exit 2 with file and line', async (_name, yaml, message) => {
    await fs.writeFile(f('mtls-bad.yaml'), yaml);
    const r = await run(['run', '--config', f('mtls-bad.yaml')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('an HTML report that cannot be written is one line on stderr; the JSON report is still written (exit 1)', async () => {
    await fs.writeFile(f('a-file'), 'not a directory');
    const r = await run([
      'run',
      '--target',
      `127.0.0.1:${strict.endpoint.port}`,
      '--servername',
      'localhost',
      '--ca',
      f('ca.pem'),
      '--suite',
      'handshake-with-cert',
      '--html',
      f('a-file/report.html'),
      '--json',
      f('out/with-html.json'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^mtls-harness: error: could not write the HTML report to .*a-file\/report\.html: (ENOTDIR|EEXIST)$/),
    ]);
    expect((await readJson(f('out/with-html.json'))).results).toHaveLength(5);
  });

  it('environment variables fill in what flags leave out', async () => {
    const r = await run(['run', '--suite', 'handshake-with-cert', '--json', '-'], {
      MTLS_TARGETS: `127.0.0.1:${strict.endpoint.port}`,
      MTLS_SERVERNAME: 'localhost',
      MTLS_CA: f('ca.pem'),
      MTLS_CERT: f('client.pem'),
      MTLS_KEY: f('client-key.pem'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(statusOf(JSON.parse(r.stdout).results, 'handshake.accepts-valid-client-cert')).toBe('pass');
  });
});

describe('config targetsFile', () => {
  it("adds its targets to the file's targets: (a flag --target or --targets-file replaces both)", async () => {
    // The same server twice: named in targets:, and as a line of the targets file with another SNI.
    await fs.writeFile(f('more-targets.txt'), `127.0.0.1:${strict.endpoint.port},localhost\n`);
    await fs.writeFile(
      f('with-file.yaml'),
      [
        'targetsFile: more-targets.txt',
        'targets:',
        `  - name: named`,
        `    endpoint: 127.0.0.1:${strict.endpoint.port}`,
        '    servername: localhost',
        'ca: ca.pem',
        '',
      ]
        .join('\n')
        .replace('ca: ca.pem\n', ''),
    );
    const both = await run([
      'run',
      '--config',
      f('with-file.yaml'),
      '--ca',
      f('ca.pem'),
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      '--check',
      'handshake.accepts-valid-client-cert',
      '--json',
      '-',
    ]);
    expect(both.code, both.stderr).toBe(0);
    expect((JSON.parse(both.stdout).targets as { name: string }[]).map((t) => t.name)).toEqual(['named', `127.0.0.1:${strict.endpoint.port}`]);
    const flag = await run([
      'run',
      '--config',
      f('with-file.yaml'),
      '--target',
      `127.0.0.1:${strict.endpoint.port}`,
      '--servername',
      'localhost',
      '--ca',
      f('ca.pem'),
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      '--check',
      'handshake.accepts-valid-client-cert',
      '--json',
      '-',
    ]);
    expect(flag.code, flag.stderr).toBe(0);
    expect((JSON.parse(flag.stdout).targets as unknown[]).length).toBe(1);
  });
});

describe('two targets at one address (issue 17: targetId)', () => {
  type Doc = {
    targets: { id: string; name: string; servername?: string }[];
    results: { targetId: string; target: string; check: string; status: string }[];
    suites: { id: string; title: string; kind: string }[];
  };

  it('--target twice, and the same address with two servernames: each target has its own id, results, JUnit testsuites, HTML section and table rows', async () => {
    const addr = `127.0.0.1:${strict.endpoint.port}`;
    const creds = ['--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];
    const checks = ['--check', 'handshake.*', '--check', 'reject.no-client-cert'];
    // Twice the same flag: the second is #2.
    const twice = await run(['run', '--target', addr, '--target', addr, '--servername', 'localhost', ...creds, ...checks, '--json', f('twice.json')]);
    expect(twice.code, twice.stdout + twice.stderr).toBe(0);
    const t = JSON.parse(await fs.readFile(f('twice.json'), 'utf8')) as Doc;
    expectTargetIds(t);
    expect(t.targets.map((x) => [x.id, x.name])).toEqual([
      [addr, addr],
      [`${addr}#2`, addr],
    ]);
    // The table names each target by its id.
    expect(twice.stdout).toContain(`${addr}#2`);

    // Two servernames (a targets file), every report at once.
    await fs.writeFile(
      f('same-address.txt'),
      `${addr},localhost
${addr},127.0.0.1
`,
    );
    const r = await run([
      'run',
      '--targets-file',
      f('same-address.txt'),
      '--expected-name',
      '127.0.0.1',
      ...creds,
      ...checks,
      '--json',
      f('same.json'),
      '--junit',
      f('same.xml'),
      '--html',
      f('same.html'),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const j = JSON.parse(await fs.readFile(f('same.json'), 'utf8')) as Doc;
    expectTargetIds(j);
    expect(j.targets.map((x) => [x.id, x.name, x.servername])).toEqual([
      [addr, addr, 'localhost'],
      [`${addr}#2`, addr, '127.0.0.1'],
    ]);
    const perTarget = j.results.length / 2;
    for (const x of j.targets)
      expect(
        j.results.filter((res) => res.targetId === x.id),
        x.id,
      ).toHaveLength(perTarget);
    expect(j.results.every((res) => res.target === addr)).toBe(true);
    expect(j.suites.map((s) => s.id)).toEqual(['handshake-with-cert', 'rejection-without-cert']);
    expect(j.suites.map((s) => s.title)).toEqual(SUITES.slice(0, 2).map((s) => s.title));

    const xml = await fs.readFile(f('same.xml'), 'utf8');
    expectValidJunit(f('same.xml'));
    const doc = create(xml).end({ format: 'object' }) as { testsuites: { testsuite: { '@name': string; '@tests': string }[] } };
    const names = doc.testsuites.testsuite.map((s) => s['@name']);
    expect(names).toEqual([
      `${addr} handshake-with-cert`,
      `${addr} rejection-without-cert`,
      `${addr}#2 handshake-with-cert`,
      `${addr}#2 rejection-without-cert`,
    ]);
    expect(doc.testsuites.testsuite.reduce((n, s) => n + Number(s['@tests']), 0)).toBe(j.results.length);

    const html = await fs.readFile(f('same.html'), 'utf8');
    const headings = [...html.matchAll(/<h2 class="wrap">([^<]*)<\/h2>/g)].map((m) => m[1]);
    expect(headings).toEqual([addr, `${addr}#2`]);
    expect(html).toContain(' · SNI localhost');
    expect(html).toContain(' · SNI 127.0.0.1');
  });
});

describe('usage errors', () => {
  it.each([
    [['run'], /nothing to test/],
    [['run', '--reference', 'node'], /--profile/],
    [['run', '--reference', 'node', '--profile', 'nope'], /unknown profile "nope"/],
    [['run', '--reference', 'envoy', '--profile', 'strict'], /unknown reference implementation "envoy"/],
    [['run', '--reference', 'nginx', '--profile', 'accept-expired-client'], /nginx cannot express profile "accept-expired-client" \(unsupported\)/],
    [['run', '--reference', 'nginx', '--profile', 'strict', '--provider', 'vm'], /--provider must be process or container/],
    [['run', '--target', 'x:1', '--suite', 'bogus'], /unknown suite "bogus"/],
    [['run', '--target', 'x:1', '--check', 'reject.bogus'], /unknown check "reject.bogus"/],
    [['run', '--target', 'x:1', '--fail-on', 'maybe'], /--fail-on/],
    [['run', '--target', 'x:1', '--cert', 'a.pem'], /--cert and --key/],
    [['run', '--target', 'x:1', '--pdf', '-'], /--pdf needs a file name/],
    [['run', '--target', 'x:1', '--json', '-', '--html', '-'], /only one report can go to stdout/],
    [['run', '--target', 'x:1', '--pdf', 'r.pdf'], /MTLS_CHROMIUM=\/nonexistent\/chromium is not an executable file/],
    [['probe', 'x:1', '--html', '-'], /probe: --html needs a file name \(stdout is for the diagnosis/],
    [['probe', 'x:1', '--pdf', 'r.pdf'], /MTLS_CHROMIUM=\/nonexistent\/chromium is not an executable file/],
  ])('%j', async (args, message) => {
    const r = await run(args, { MTLS_CHROMIUM: '/nonexistent/chromium' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('--check takes globs and ! exclusions, repeated or comma-separated; a pattern matching nothing is exit 2', async () => {
    const r = await run([
      'run',
      '--reference',
      'node',
      '--profile',
      'strict',
      '--check',
      'reject.*,chain.rejects-*',
      '--check',
      '!chain.rejects-ca-as-client',
      '--check',
      '!reject.plaintext',
      '--json',
      '-',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const got = (JSON.parse(r.stdout).results as { check: string }[]).map((x) => x.check);
    const want = SUITES.flatMap((x) => x.checks.map((c) => c.id)).filter(
      (id) => (id.startsWith('reject.') || id.startsWith('chain.rejects-')) && id !== 'chain.rejects-ca-as-client' && id !== 'reject.plaintext',
    );
    expect(got).toEqual(want);
    expect(got.length).toBeGreaterThan(2);
    const typo = await run(['run', '--target', 'x:1', '--check', 'chian.*']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/check pattern "chian\.\*" matches no check/);
  });

  it('--list-checks prints every check id', async () => {
    const r = await run(['run', '--list-checks']);
    expect(r.code).toBe(0);
    for (const s of SUITES) for (const c of s.checks) expect(r.stdout).toContain(c.id);
  });
});

// Spawned once to prove the built binary runs `run` too (the rest runs in-process for speed).
it('the built CLI runs the suites', async () => {
  const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/src/cli/main.js');
  const out = await new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile(process.execPath, [cli, 'run', '--reference', 'node', '--profile', 'strict', '--json', '-'], (err, stdout) =>
      resolve({ code: err ? Number(err.code) : 0, stdout }),
    ),
  );
  expect(out.code).toBe(0);
  expect(JSON.parse(out.stdout).results).toHaveLength(SERVER_CHECK_IDS.length);
});
