// client-test end to end: real clients (curl, openssl s_client, node https) against the observing
// reference server on 127.0.0.1, each with the exact verdicts its configuration must earn.
import { X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { CLIENT_CHECKS } from '../suites/client-conformance.js';
import type { ClientSpec } from '../src/client-test/command.js';
import { runClientConformance } from '../src/client-test/run.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import type { Status } from '../src/core/status.js';
import { findBinary } from '../src/targets/reference/process.js';
import { skipUnless } from './helpers/servers.js';
import { expectTargetIds } from './helpers/target-ids.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CURL = findBinary('curl');
const OPENSSL = findBinary('openssl');
const nodeHttps = path.join(root, 'fixtures/clients/node-https-client.mjs');

// presents-cert, untrusted, wrong-san, expired, self-signed, incomplete-chain
const ALL_PASS: Status[] = ['pass', 'pass', 'pass', 'pass', 'pass', 'pass'];
const TRUSTS_ANY: Status[] = ['pass', 'fail', 'fail', 'fail', 'fail', 'fail'];
const NO_CERT: Status[] = ['fail', 'pass', 'pass', 'pass', 'pass', 'pass'];

const curlBase = ['curl', '-sS', '--resolve', '{resolve}'];
const sClient = (verify: boolean) =>
  `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -quiet -connect {host}:{port} -servername {servername} -verify_hostname {servername} -CAfile {ca} -cert {cert} -key {key}${verify ? ' -verify_return_error' : ''}`;

interface Case {
  name: string;
  command: string[] | string;
  expected: Status[];
  needs: string | undefined;
}
const CASES: Case[] = [
  {
    name: 'curl --cacert --cert --key',
    command: [...curlBase, '--cacert', '{ca}', '--cert', '{cert}', '--key', '{key}', '{url}'],
    expected: ALL_PASS,
    needs: CURL,
  },
  { name: 'curl -k --cert --key', command: [...curlBase, '-k', '--cert', '{cert}', '--key', '{key}', '{url}'], expected: TRUSTS_ANY, needs: CURL },
  { name: 'curl --cacert (no client cert)', command: [...curlBase, '--cacert', '{ca}', '{url}'], expected: NO_CERT, needs: CURL },
  { name: 'curl -k (no client cert)', command: [...curlBase, '-k', '{url}'], expected: ['fail', 'fail', 'fail', 'fail', 'fail', 'fail'], needs: CURL },
  // Without --cacert curl trusts the system store only and refuses even the valid server: its refusals prove nothing.
  {
    name: 'curl --cert --key (system trust store)',
    command: [...curlBase, '--cert', '{cert}', '--key', '{key}', '{url}'],
    expected: ['fail', 'error', 'error', 'error', 'error', 'error'],
    needs: CURL,
  },
  { name: 'openssl s_client -verify_return_error', command: sClient(true), expected: ALL_PASS, needs: OPENSSL },
  // Without -verify_return_error s_client reports verification errors and carries on.
  { name: 'openssl s_client', command: sClient(false), expected: TRUSTS_ANY, needs: OPENSSL },
  {
    name: 'node https.request',
    command: [process.execPath, nodeHttps, '--url', '{url}', '--host', '{host}', '--ca', '{ca}', '--cert', '{cert}', '--key', '{key}'],
    expected: ALL_PASS,
    needs: process.execPath,
  },
  {
    name: 'node https.request rejectUnauthorized: false',
    command: [process.execPath, nodeHttps, '--url', '{url}', '--host', '{host}', '--ca', '{ca}', '--cert', '{cert}', '--key', '{key}', '--insecure'],
    expected: TRUSTS_ANY,
    needs: process.execPath,
  },
];

let pki: FixturePki;
let dir: string;
beforeAll(async () => {
  pki = await mintFixturePki();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-client-cli-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const NGINX = findBinary('nginx');

describe('client-conformance verdicts of real clients', () => {
  const skipCurl = skipUnless(CURL, 'curl', 'apt-get install curl');
  const skipOpenssl = skipUnless(OPENSSL, 'openssl', 'apt-get install openssl');
  const skipNginx = skipUnless(NGINX, 'nginx', 'apt-get install nginx-light');
  // The same verdicts whichever reference observes the client: node in-process, nginx from its logs.
  for (const reference of ['node', 'nginx'] as const) {
    for (const c of CASES) {
      const skip = (c.needs === CURL && skipCurl) || (c.needs === OPENSSL && skipOpenssl) || (reference === 'nginx' && skipNginx);
      it.skipIf(skip)(`${reference} reference, ${c.name}: ${c.expected.join(' ')}`, async () => {
        const report = await runClientConformance({ clients: [{ name: c.name, command: c.command, timeoutMs: 10_000 }], pki, reference });
        const got = report.results.map((r) => r.status);
        const detail = report.results.map((r) => `${r.check}: ${r.status}: ${r.message}`).join('\n');
        expect(got, detail).toEqual(c.expected);
        expect(report.results.map((r) => r.check)).toEqual(CLIENT_CHECKS.map((k) => k.id));
        expect(report.results.every((r) => r.suite === 'client-conformance' && r.target === c.name)).toBe(true);
        expect(report.targets).toEqual([
          expect.objectContaining({ name: c.name, kind: 'client', reference: { implementation: reference, profile: 'client-test' } }),
        ]);
      });
    }
  }

  it.skipIf(skipCurl || skipNginx)('nginx reference: reads the alert, the client certificate and the request from its logs', async () => {
    const report = await runClientConformance({ clients: [{ name: 'curl', command: CASES[0]!.command, timeoutMs: 10_000 }], pki, reference: 'nginx' });
    const by = Object.fromEntries(report.results.map((r) => [r.check, r]));
    expect(by['client.presents-cert']!.evidence).toMatchObject({
      exitCode: 0,
      handshake: 'completed',
      sni: 'localhost',
      requests: ['GET /'],
      clientCert: { chains: true, subject: 'CN=mtls-harness client, O=mtls-harness' },
    });
    expect((by['client.presents-cert']!.evidence.clientCert as { fingerprint256: string }).fingerprint256).toBe(
      new X509Certificate(pki.client.certPem).fingerprint256,
    );
    expect(by['client.rejects-expired-server']!.evidence).toMatchObject({
      exitCode: 60,
      handshake: 'failed',
      clientAlert: { code: 45, name: 'certificate_expired' },
      requests: [],
    });
    expect(by['client.rejects-wrong-san-server']!.evidence).toMatchObject({ exitCode: 60, handshake: 'completed', requests: [] });
  });

  it.skipIf(skipCurl)('records what the server saw: the alert, the client certificate and the request', async () => {
    const report = await runClientConformance({ clients: [{ name: 'curl', command: CASES[0]!.command, timeoutMs: 10_000 }], pki });
    const by = Object.fromEntries(report.results.map((r) => [r.check, r]));
    expect(by['client.presents-cert']!.evidence).toMatchObject({
      exitCode: 0,
      handshake: 'completed',
      sni: 'localhost',
      requests: ['GET /'],
      clientCert: { chains: true, subject: 'CN=mtls-harness client, O=mtls-harness' },
    });
    expect(by['client.rejects-expired-server']!.evidence).toMatchObject({
      exitCode: 60,
      handshake: 'failed',
      clientAlert: { code: 45, name: 'certificate_expired' },
      requests: [],
    });
    expect(by['client.rejects-untrusted-server']!.evidence).toMatchObject({ clientAlert: { code: 48, name: 'unknown_ca' }, baselineAccepted: true });
    expect(by['client.rejects-expired-server']!.evidence.stderrTail).toMatch(/certificate has expired/);
  });

  it.skipIf(skipCurl)('never writes a private key into evidence, gives the key file mode 0600 and deletes the files afterwards', async () => {
    const report = await runClientConformance({
      clients: [
        {
          name: 'leaky',
          command: ['sh', '-c', 'cat {key}; stat -c "mode %a" {key}; echo {cert}; curl -sS --cacert {ca} --cert {cert} --key {key} --resolve {resolve} {url}'],
          timeoutMs: 10_000,
        },
      ],
      pki,
      checkIds: ['client.presents-cert'],
    });
    const r = report.results[0]!;
    expect(r.status).toBe('pass');
    const out = String(r.evidence.stdoutTail);
    expect(out).toMatch(/^\[private key redacted\] \| mode 600 \| \/.*\/client\.pem \| hello from the mtls-harness observing server$/);
    expect(JSON.stringify(report)).not.toMatch(/PRIVATE KEY|MIG[A-Za-z0-9+/]{20}/);
    expect(pki.client.keyPem.split('\n')[1]!.length).toBeGreaterThan(20);
    expect(JSON.stringify(report)).not.toContain(pki.client.keyPem.split('\n')[1]!);
    const certFile = out.split(' | ')[2]!;
    expect(existsSync(path.dirname(certFile))).toBe(false);
  });

  it('a command that hangs is stopped at its time limit and is an error, not a refusal', async () => {
    const hang: ClientSpec = {
      name: 'hang',
      command: [process.execPath, '-e', "require('net').connect(Number(process.env.MTLS_PORT), process.env.MTLS_HOST); setTimeout(() => {}, 60000)"],
      timeoutMs: 800,
    };
    const t0 = Date.now();
    const report = await runClientConformance({ clients: [hang], pki, checkIds: ['client.presents-cert', 'client.rejects-expired-server'] });
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(report.results.map((r) => [r.status, r.message])).toEqual([
      ['error', 'the client did not finish within 0.8 s and was stopped, without presenting a certificate'],
      [
        'error',
        'the client did not finish within 0.8 s and was stopped (it sent nothing to a server whose certificate chains to the trusted CA but expired yesterday)',
      ],
    ]);
  });

  it("the time limit stops the client's children too (its own process group)", async () => {
    const marker = `${20 + Math.floor(Math.random() * 1000) / 1000}`; // a unique 'sleep 20.xyz'
    const report = await runClientConformance({
      clients: [{ name: 'wrapper', command: ['sh', '-c', `sleep ${marker} >/dev/null 2>&1; true`], timeoutMs: 500 }],
      pki,
      checkIds: ['client.presents-cert'],
    });
    expect(report.results[0]).toMatchObject({
      status: 'error',
      message: expect.stringMatching(
        /^the client did not finish within 0\.5 s and was stopped; it never connected to the reference server at 127\.0\.0\.1:\d+$/,
      ),
    });
    const left = spawnSync('pgrep', ['-f', `sleep ${marker}`]);
    expect(left.stdout.toString().trim(), 'a sleep outlived its client').toBe('');
  });

  it('a command that never connects is an error naming its last words', async () => {
    const report = await runClientConformance({
      clients: [{ name: 'lost', command: ['sh', '-c', 'echo "no route to {servername}" >&2; exit 7'], timeoutMs: 5000 }],
      pki,
      checkIds: ['client.rejects-untrusted-server'],
    });
    expect(report.results[0]).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/^the client never connected to the reference server at 127\.0\.0\.1:\d+ \(exit 7: no route to localhost\)/),
    });
  });
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1', PATH: process.env.PATH ?? '' },
  });
  return { code, stdout, stderr };
}

function expectUsageError(r: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^mtls-harness: error: /);
  expect(lines[0]).toMatch(message);
  expect(r.stdout).toBe('');
}

describe('mtls-harness client-test', () => {
  const skipCurl = skipUnless(CURL, 'curl', 'apt-get install curl');

  it.skipIf(skipCurl)('exits 0 for a conforming client and writes JSON and JUnit through the shared writers', async () => {
    const json = path.join(dir, 'c.json');
    const junit = path.join(dir, 'c.xml');
    const r = await cli(['client-test', '--json', json, '--junit', junit, '--', ...(CASES[0]!.command as string[])]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/6 checks on 1 target\(s\) in [\d.]+ s: 6 passed, 0 warned, 0 failed, 0 skipped, 0 errors/);
    const rep = JSON.parse(await fs.readFile(json, 'utf8'));
    expectTargetIds(rep);
    expect(rep).toMatchObject({
      schemaVersion: 2,
      summary: { pass: 6 },
      targets: [{ id: 'curl', name: 'curl', kind: 'client', endpoint: 'curl -sS --resolve {resolve} --cacert {ca} --cert {cert} --key {key} {url}' }],
    });
    expect(rep.run.argv[0]).toBe('client-test');
    const xml = await fs.readFile(junit, 'utf8');
    expect(xml).toContain('<testsuite name="curl client-conformance"');
    expect(xml.match(/<testcase /g)).toHaveLength(6);
  });

  it.skipIf(skipCurl)('exits 1 for curl -k and says what it did', async () => {
    const r = await cli([
      'client-test',
      '--name',
      'insecure',
      '--check',
      'client.rejects-self-signed-server',
      '--',
      'curl',
      '-sSk',
      '--resolve',
      '{resolve}',
      '{url}',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL/);
    expect(r.stdout).toMatch(/the client sent GET \/ to a server whose certificate is self-signed/);
  });

  it.skipIf(skipCurl)('runs the clients: of a config file', async () => {
    const cfg = path.join(dir, 'clients.yaml');
    await fs.writeFile(
      cfg,
      [
        'clients:',
        '  - name: good',
        `    command: [curl, -sS, --cacert, "{ca}", --cert, "{cert}", --key, "{key}", --resolve, "{resolve}", "{url}"]`,
        '  - name: env-driven',
        '    command: curl -sS --cacert "$CA" --resolve "$MTLS_RESOLVE" "$MTLS_URL"',
        '    env: { CA: "{ca}" }',
        '    timeout: 5s',
        '',
      ].join('\n'),
    );
    const r = await cli(['client-test', '--config', cfg, '--json', '-']);
    const rep = JSON.parse(r.stdout);
    expectTargetIds(rep);
    expect(rep.targets.map((t: { id: string }) => t.id)).toEqual(['good', 'env-driven']);
    const statuses = (t: string) => rep.results.filter((x: { target: string }) => x.target === t).map((x: { status: string }) => x.status);
    expect(statuses('good')).toEqual(ALL_PASS);
    expect(statuses('env-driven')).toEqual(NO_CERT);
    expect(r.code).toBe(1);
  });

  it('refuses bad input with one line and exit 2 before anything runs', async () => {
    expectUsageError(
      await cli(['client-test', '--reference', 'haproxy', '--', 'curl', '{url}']),
      /the haproxy reference cannot report what a client did .* runs against node or nginx/,
    );
    expectUsageError(
      await cli(['client-test', '--reference', 'nginx', '--corpus', 'limbo', '--', 'curl', '--connect-to', '::{host}:{port}', '{url}']),
      /--corpus runs on the node reference only/,
    );
    expectUsageError(await cli(['client-test']), /no client to test: give its command after --/);
    expectUsageError(await cli(['client-test', '--']), /no client to test/);
    expectUsageError(await cli(['client-test', '--', 'no-such-client-xyz', '{url}']), /command "no-such-client-xyz" not found on PATH/);
    expectUsageError(await cli(['client-test', '--reference', 'iis', '--', 'curl', '{url}']), /unknown reference implementation "iis"/);
    expectUsageError(await cli(['client-test', '--corpus', 'bettertls', '--', 'curl', '{url}']), /unknown corpus "bettertls"; corpora: limbo/);
    expectUsageError(await cli(['client-test', '--corpus', 'limbo', '--', 'curl', '{url}']), /must connect to \{host\}:\{port\}/);
    expectUsageError(
      await cli(['client-test', '--corpus', 'limbo', '--case', 'nothing::*', '--', 'curl', '--connect-to', '::{host}:{port}', '{url}']),
      /no limbo case matches nothing::\*/,
    );
    expectUsageError(await cli(['client-test', '--', 'curl', '{cacert}']), /unknown placeholder \{cacert\}/);
    expectUsageError(await cli(['client-test', '--check', 'client.rejects-everything', '--', 'curl', '{url}']), /unknown check "client\.rejects-everything"/);
    expectUsageError(await cli(['client-test', 'curl', '{url}']), /unexpected argument "curl": the client's command goes after --/);
    expectUsageError(await cli(['client-test', '--timeout', 'soon', '--', 'curl', '{url}']), /--timeout "soon" is not a duration/);
    const cfg = path.join(dir, 'bad.yaml');
    await fs.writeFile(cfg, 'clients:\n  - name: a\n    commands: [curl]\n');
    expectUsageError(await cli(['client-test', '--config', cfg]), /bad\.yaml:3: clients\[0\]\.commands is not a known key \(did you mean command\?\)/);
    await fs.writeFile(cfg, 'clients:\n  - name: a\n    command: [curl, "{url}"]\n  - name: a\n    command: [curl, "{url}"]\n');
    expectUsageError(await cli(['client-test', '--config', cfg]), /two clients are named "a"/);
  });

  it('lists its checks and prints help', async () => {
    const l = await cli(['client-test', '--list-checks']);
    expect(l.code).toBe(0);
    for (const c of CLIENT_CHECKS) expect(l.stdout).toContain(c.id);
    expect(l.stdout).toMatch(/^client checks: .*\(mtls-harness client-test\)\nclient-conformance — /m);
    expect(l.stdout).toMatch(/^x509-limbo \(mtls-harness client-test --corpus limbo\)$/m);
    const h = await cli(['help', 'client-test']);
    expect(h.stdout).toMatch(/^Usage: mtls-harness client-test/);
  });
});
