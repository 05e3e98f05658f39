// The built CLI (dist/, made by `npm test` before vitest runs) spawned as a user would run it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';
import { expectUsageError, spawnCli, type Ran } from './helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliJs = path.join(root, 'dist/src/cli/main.js');
const badInput = path.join(root, 'fixtures/bad-input');

const cli = (args: string[], env: Record<string, string> = {}): Promise<Ran> => spawnCli(args, tmp, env);

let tmp: string;
let pki: FixturePki;
let strict: StartedNodeReference;
let optional: StartedNodeReference;
const f = (name: string) => path.join(tmp, name);

beforeAll(async () => {
  if (!existsSync(cliJs)) throw new Error(`${cliJs} is missing: run "npm run build" (npm test does it first)`);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-cli-'));
  pki = await mintFixturePki();
  await fs.writeFile(f('ca.pem'), pki.root.certPem);
  await fs.writeFile(f('client.pem'), pki.client.certPem);
  await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
  await fs.writeFile(f('other-key.pem'), pki.badClients.selfSigned.keyPem, { mode: 0o600 });
  // An encrypted PKCS#8 key, made the way users make them.
  await new Promise<void>((resolve, reject) =>
    execFile(
      'openssl',
      ['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', f('client-key.pem'), '-out', f('client-key.enc.pem'), '-passout', 'pass:s3cret'],
      (e) => (e ? reject(e) : resolve()),
    ),
  );
  strict = await new NodeReference({ profile: 'strict', pki }).start();
  optional = await new NodeReference({ profile: 'optional-client-cert', pki }).start();
});

afterAll(async () => {
  await strict?.stop();
  await optional?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('probe: bad input → exit 2, one line', () => {
  it.each([
    ['no target', () => ['probe'], /give a target/],
    ['bad endpoint', () => ['probe', 'localhost'], /HOST:PORT|port/i],
    ['unknown option', () => ['probe', '127.0.0.1:1', '--bogus'], /--bogus/],
    ['bad TLS version', () => ['probe', '127.0.0.1:1', '--tls-min', '1.5'], /1\.5/],
    ['bad timeout', () => ['probe', '127.0.0.1:1', '--timeout', 'soon'], /--timeout/],
    ['missing CA file', () => ['probe', '127.0.0.1:1', '--ca', f('nope.pem')], /nope\.pem/],
    ['malformed PEM', () => ['probe', '127.0.0.1:1', '--ca', path.join(badInput, 'malformed.pem')], /malformed\.pem/],
    ['truncated PEM', () => ['probe', '127.0.0.1:1', '--ca', path.join(badInput, 'truncated.pem')], /truncated\.pem/],
    ['no PEM at all', () => ['probe', '127.0.0.1:1', '--ca', path.join(badInput, 'not-pem.txt')], /not-pem\.txt/],
    ['empty file', () => ['probe', '127.0.0.1:1', '--ca', path.join(badInput, 'empty.pem')], /empty\.pem/],
    ['DER that is no certificate', () => ['probe', '127.0.0.1:1', '--ca', path.join(badInput, 'not-a-certificate.pem')], /not-a-certificate\.pem/],
    ['--cert without --key', () => ['probe', '127.0.0.1:1', '--cert', f('client.pem')], /--cert and --key/],
    ['key not matching the certificate', () => ['probe', '127.0.0.1:1', '--cert', f('client.pem'), '--key', f('other-key.pem')], /is not the private key of/],
    [
      'encrypted key without passphrase',
      () => ['probe', '127.0.0.1:1', '--cert', f('client.pem'), '--key', f('client-key.enc.pem')],
      /encrypted.*--key-passphrase-env/,
    ],
    ['certificate given as key', () => ['probe', '127.0.0.1:1', '--cert', f('client.pem'), '--key', f('client.pem')], /no PRIVATE KEY block/],
  ])('%s', async (_name, args, message) => {
    expectUsageError(await cli(args()), message);
  });

  it('wrong passphrase is a usage error too; the right one loads the key', async () => {
    const wrong = await cli(
      [
        'probe',
        `127.0.0.1:${strict.endpoint.port}`,
        '--ca',
        f('ca.pem'),
        '--cert',
        f('client.pem'),
        '--key',
        f('client-key.enc.pem'),
        '--key-passphrase-env',
        'PASS',
      ],
      { PASS: 'wrong' },
    );
    expectUsageError(wrong, /passphrase/);
    const right = await cli(
      [
        'probe',
        `127.0.0.1:${strict.endpoint.port}`,
        '--servername',
        'localhost',
        '--ca',
        f('ca.pem'),
        '--cert',
        f('client.pem'),
        '--key',
        f('client-key.enc.pem'),
        '--key-passphrase-env',
        'PASS',
        '--json',
      ],
      { PASS: 's3cret' },
    );
    expect(right.code, right.stderr).toBe(0);
    expect(JSON.parse(right.stdout).diagnosis.withCert.rejectedAt).toBe('accepted');
  });

  it('unknown command', async () => {
    const r = await cli(['scan']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "scan"/);
  });
});

describe('certs init: bad input → exit 2, one line', () => {
  it.each([
    ['unknown layout', () => ['certs', 'init', '--out', f('x1'), '--layout', 'istio'], /unknown layout "istio"/],
    ['missing --out', () => ['certs', 'init'], /--out/],
    ['unknown key type', () => ['certs', 'init', '--out', f('x2'), '--key-type', 'dsa'], /key type "dsa"/],
    ['days out of range', () => ['certs', 'init', '--out', f('x3'), '--days', '9999'], /--days/],
    ['per-service without services', () => ['certs', 'init', '--out', f('x4'), '--layout', 'per-service'], /--services/],
    ['unknown subcommand', () => ['certs', 'renew'], /unknown subcommand "renew"/],
  ])('%s', async (_name, args, message) => {
    expectUsageError(await cli(args()), message);
  });

  it('writes a layout, then refuses to overwrite it (exit 2), then replaces it with --force', async () => {
    const first = await cli(['certs', 'init', '--out', f('gufo'), '--layout', 'gufo']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('server-key.pem');
    expect(first.stdout).not.toContain('PRIVATE KEY');
    expect((await fs.stat(f('gufo/client-key.pem'))).mode & 0o777).toBe(0o600);
    expectUsageError(await cli(['certs', 'init', '--out', f('gufo'), '--layout', 'gufo']), /refusing to overwrite 5 existing file\(s\).*--force/);
    const forced = await cli(['certs', 'init', '--out', f('gufo'), '--layout', 'gufo', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
  });
});

describe('probe against real servers', () => {
  it('strict reference: exit 0, JSON says required and refused post-handshake with certificate_required', async () => {
    const r = await cli([
      'probe',
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
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ schemaVersion: 2, kind: 'probe' });
    expect(j.diagnosis.clientAuth.mode).toBe('required');
    expect(j.diagnosis.withoutCert).toMatchObject({ rejectedAt: 'post-handshake', alert: { code: 116, name: 'certificate_required' } });
    expect(j.diagnosis.withCert.rejectedAt).toBe('accepted');
    expect(r.stdout).not.toContain('PRIVATE KEY');
  });

  it('--json FILE writes the JSON there (0600) and still prints the table; --json alone, before a flag or before the target, and --json - print it', async () => {
    const base = ['--servername', 'localhost', '--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];
    const target = `127.0.0.1:${strict.endpoint.port}`;
    const file = await cli(['probe', target, '--json', f('probe.json'), ...base]);
    expect(file.code, file.stderr).toBe(0);
    expect(JSON.parse(await fs.readFile(f('probe.json'), 'utf8'))).toMatchObject({ kind: 'probe', diagnosis: { clientAuth: { mode: 'required' } } });
    expect((await fs.stat(f('probe.json'))).mode & 0o777).toBe(0o600);
    expect(file.stdout).toMatch(/Verdict/); // the table, not JSON
    for (const args of [
      ['probe', target, ...base, '--json'],
      ['probe', target, '--json', ...base],
      ['probe', '--json', target, ...base],
      ['probe', target, ...base, '--json', '-'],
    ]) {
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'probe', diagnosis: { target } });
    }
  });

  it('optional reference: exit 1 and the table names the fix', async () => {
    const r = await cli(['probe', `127.0.0.1:${optional.endpoint.port}`, '--servername', 'localhost', '--ca', f('ca.pem')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/Client-auth mode\s+│\s+optional/);
    expect(r.stdout).toContain('How to fix');
    expect(r.stdout).toContain('client certificates are NOT enforced');
  });

  it('a closed port is a classified outcome (exit 1), not a crash', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const r = await cli(['probe', `127.0.0.1:${port}`, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).diagnosis.withoutCert).toMatchObject({ rejectedAt: 'unreachable', failure: { kind: 'refused' } });
  });

  it('demo runs without Docker and ends with the expected verdicts', async () => {
    const r = await cli(['demo']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('profile "strict"');
    expect(r.stdout).toContain('profile "optional-client-cert"');
    expect(r.stdout).toContain('Verdict: client certificates are enforced.');
    expect(r.stdout).toContain('Verdict: client certificates are NOT enforced');
    // It also writes the evidence report (cwd-relative reports/demo.html) with the digest of its JSON.
    const html = await fs.readFile(path.join(tmp, 'reports/demo.html'), 'utf8');
    const json = await fs.readFile(path.join(tmp, 'reports/demo.json'));
    expect(html).toContain(`SHA-256 ${createHash('sha256').update(json).digest('hex')}`);
    for (const p of ['strict', 'optional-client-cert', 'rotation-graceful']) expect(html).toContain(`node:${p}`);
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="t3-rotation-chart-title"/);
    expect(html).not.toMatch(/PRIVATE KEY/);
  });
});
