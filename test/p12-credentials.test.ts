// The client credential as PKCS#12 (--p12, --p12-passphrase-env) against a real openssl s_server that
// requires client certificates: `probe` and `run --suite rejection-without-cert,handshake-with-cert`
// reach the same verdicts as with --cert/--key; the bad inputs are one-line usage errors (exit 2);
// `audit` lists a .p12's certificates and key, and says what opens an encrypted one. The .p12 is
// made at test time by the openssl CLI (OpenSSL 3 default: PBES2 AES-256, HMAC-SHA256).
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { expectUsageError, spawnCli, writeClientFiles } from './helpers/cli.js';
import { OPENSSL, startOpensslPeer, type ThirdPartyPeer } from './helpers/third-party.js';
import { skipUnless } from './helpers/servers.js';

const skip = skipUnless(OPENSSL, 'openssl', 'apt-get install openssl');

describe.skipIf(skip)('--p12 against openssl s_server -Verify 1 (client certificate required)', () => {
  let pki: FixturePki;
  let dir: string;
  let server: ThirdPartyPeer;
  const P12_ENV = { P12_PASS: 'pkcs12 s3cret' };

  beforeAll(async () => {
    pki = await mintFixturePki();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-p12-cli-'));
    await writeClientFiles(dir, pki);
    execFileSync(
      OPENSSL!,
      ['pkcs12', '-export', '-in', 'client.pem', '-inkey', 'client-key.pem', '-certfile', 'ca.pem', '-passout', 'env:P12_PASS', '-out', 'client.p12'],
      { cwd: dir, env: { ...process.env, ...P12_ENV } },
    );
    await fs.chmod(path.join(dir, 'client.p12'), 0o600);
    server = await startOpensslPeer({ pki, args: ['-Verify', '1', '-verify_return_error', '-www'], name: 'p12 required' });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const target = () => `127.0.0.1:${server.port}`;
  const PEM = ['--cert', 'client.pem', '--key', 'client-key.pem'];
  const P12 = ['--p12', 'client.p12', '--p12-passphrase-env', 'P12_PASS'];

  it('probe: the same diagnosis with --p12 as with --cert/--key (enforced, the client accepted)', async () => {
    const probe = (cred: string[]) => spawnCli(['probe', target(), '--servername', 'localhost', '--ca', 'ca.pem', ...cred, '--json', '-'], dir, P12_ENV);
    const [pem, p12] = await Promise.all([probe(PEM), probe(P12)]);
    const view = (stdout: string) => {
      const d = JSON.parse(stdout).diagnosis;
      return {
        enforced: d.enforced,
        mode: d.clientAuth.mode,
        withCert: [d.withCert.rejectedAt, d.withCert.clientCertificateOffered],
        withoutCert: [d.withoutCert.rejectedAt, d.withoutCert.alert?.code],
        findings: d.findings.map((f: { id: string; status: string }) => `${f.id}=${f.status}`),
      };
    };
    expect(pem.code, pem.stderr).toBe(0);
    expect(p12.code, p12.stderr).toBe(0);
    expect(view(p12.stdout)).toEqual(view(pem.stdout));
    expect(view(p12.stdout)).toMatchObject({ enforced: true, mode: 'required', withCert: ['accepted', true] });
  });

  it('run --suite rejection-without-cert,handshake-with-cert: the same statuses check by check', async () => {
    const run = (cred: string[]) =>
      spawnCli(
        [
          'run',
          '--target',
          target(),
          '--servername',
          'localhost',
          '--ca',
          'ca.pem',
          ...cred,
          '--suite',
          'rejection-without-cert,handshake-with-cert',
          '--json',
          '-',
        ],
        dir,
        P12_ENV,
        60_000,
      );
    const [pem, p12] = await Promise.all([run(PEM), run(P12)]);
    const statuses = (stdout: string) => (JSON.parse(stdout).results as { check: string; status: string }[]).map((r) => `${r.check}=${r.status}`).sort();
    expect(p12.code, p12.stderr).toBe(pem.code);
    expect(statuses(p12.stdout)).toEqual(statuses(pem.stdout));
    expect(statuses(p12.stdout).length).toBeGreaterThan(1);
    // Every handshake check passes, but the key types one, which needs --ca-key to mint its clients.
    expect(statuses(p12.stdout).filter((s) => s.startsWith('handshake.') && !s.endsWith('=pass'))).toEqual(['handshake.client-key-types=skip']);
  }, 90_000);

  it('config file: p12 and p12PassphraseEnv on a target (relative to the file) give the same statuses; p12 with cert/key is exit 2', async () => {
    const cfg = path.join(dir, 'conf');
    await fs.mkdir(cfg, { recursive: true });
    const yaml = (cred: string) =>
      `targets:\n  - endpoint: ${target()}\n    servername: localhost\n    ca: ../ca.pem\n${cred}suites: [rejection-without-cert, handshake-with-cert]\n`;
    await fs.writeFile(path.join(cfg, 'p12.yaml'), yaml('    p12: ../client.p12\n    p12PassphraseEnv: P12_PASS\n'));
    await fs.writeFile(path.join(cfg, 'pem.yaml'), yaml('    cert: ../client.pem\n    key: ../client-key.pem\n'));
    await fs.writeFile(path.join(cfg, 'both.yaml'), yaml('    p12: ../client.p12\n    cert: ../client.pem\n    key: ../client-key.pem\n'));
    const run = (file: string) => spawnCli(['run', '--config', path.join('conf', file), '--json', '-'], dir, P12_ENV, 60_000);
    const [pem, p12] = await Promise.all([run('pem.yaml'), run('p12.yaml')]);
    const statuses = (stdout: string) => (JSON.parse(stdout).results as { check: string; status: string }[]).map((r) => `${r.check}=${r.status}`).sort();
    expect(p12.code, p12.stderr).toBe(pem.code);
    expect(statuses(p12.stdout)).toEqual(statuses(pem.stdout));
    expectUsageError(await run('both.yaml'), /p12 and cert\/key exclude each other/);
    // A flag replaces the file's credential whatever its form, and wins over MTLS_CERT/MTLS_KEY.
    const over = await spawnCli(
      ['run', '--config', path.join('conf', 'pem.yaml'), ...P12, '--json', '-'],
      dir,
      { ...P12_ENV, MTLS_CERT: 'client.pem', MTLS_KEY: 'client-key.pem' },
      60_000,
    );
    expect(over.code, over.stderr).toBe(pem.code);
    expect(statuses(over.stdout)).toEqual(statuses(pem.stdout));
  }, 90_000);

  it('bad inputs: --p12 with --cert/--key, a wrong passphrase, an unset variable, no passphrase, a truncated file: exit 2, one line', async () => {
    await fs.writeFile(path.join(dir, 'cut.p12'), (await fs.readFile(path.join(dir, 'client.p12'))).subarray(0, 300), { mode: 0o600 });
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['probe', target(), ...P12, ...PEM], P12_ENV, /probe: --p12 and --cert\/--key exclude each other/],
      [['run', '--target', target(), ...P12, ...PEM], P12_ENV, /--p12 and --cert\/--key exclude each other/],
      [['k8s', 'scan', ...P12, ...PEM], P12_ENV, /k8s scan: --p12 and --cert\/--key exclude each other/],
      [['k8s', 'scan', '--secret', 'ns/client-tls', ...P12], P12_ENV, /k8s scan: --secret and --p12 exclude each other/],
      [['probe', target(), ...P12], { P12_PASS: 'wrong' }, /client\.p12: the MAC does not verify: wrong passphrase or corrupt file/],
      [['run', '--target', target(), ...P12], { P12_PASS: 'wrong' }, /client\.p12: the MAC does not verify: wrong passphrase or corrupt file/],
      [['probe', target(), '--p12', 'client.p12', '--p12-passphrase-env', 'NOT_SET_ANYWHERE'], {}, /environment variable NOT_SET_ANYWHERE .* is not set/],
      [['probe', target(), '--p12', 'client.p12'], {}, /client\.p12: the file is encrypted .*--p12-passphrase-env/],
      [['probe', target(), '--p12', 'cut.p12', '--p12-passphrase-env', 'P12_PASS'], P12_ENV, /cut\.p12: .*truncated, corrupt or not PKCS#12/],
    ];
    for (const [args, env, message] of cases) expectUsageError(await spawnCli(args, dir, env), message);
  }, 60_000);

  it('audit: a directory with the .p12 lists its certificates and key; without the passphrase it says what opens it', async () => {
    const aud = path.join(dir, 'audited');
    await fs.mkdir(aud);
    await fs.copyFile(path.join(dir, 'client.p12'), path.join(aud, 'client.p12'));
    await fs.chmod(path.join(aud, 'client.p12'), 0o600);
    const parseResult = (stdout: string) =>
      (JSON.parse(stdout).results as { check: string; status: string; message: string }[]).filter((r) => r.check === 'audit.parse');
    const open = await spawnCli(['audit', 'audited', '--p12-passphrase-env', 'P12_PASS', '--json', '-'], dir, P12_ENV);
    expect(open.stderr).toBe('');
    const parsed = parseResult(open.stdout);
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ status: 'pass' });
    expect(parsed[0]!.message).toMatch(/client\.p12 \(PKCS#12 archive: 2 certificates, EC P-256 private key\) parses/);
    const km = (JSON.parse(open.stdout).results as { check: string; status: string }[]).find((r) => r.check === 'audit.key-matches-cert');
    expect(km?.status).toBe('pass');
    expect(open.stdout).not.toContain('PRIVATE KEY');

    // By content too: the same archive named .der.
    await fs.copyFile(path.join(dir, 'client.p12'), path.join(aud, 'client-bundle.der'));
    await fs.chmod(path.join(aud, 'client-bundle.der'), 0o600);
    const byContent = await spawnCli(['audit', 'audited/client-bundle.der', '--p12-passphrase-env', 'P12_PASS', '--json', '-'], dir, P12_ENV);
    expect(parseResult(byContent.stdout)[0]!.message).toMatch(/client-bundle\.der \(PKCS#12 archive: 2 certificates, EC P-256 private key\) parses/);
    await fs.rm(path.join(aud, 'client-bundle.der'));

    const closed = await spawnCli(['audit', 'audited', '--json', '-'], dir);
    expect(closed.code).toBe(0);
    const c = parseResult(closed.stdout)[0]!;
    expect(c.status).toBe('skip');
    expect(c.message).toMatch(/client\.p12 is a PKCS#12 archive not fully opened: .*AES-256-CBC: the passphrase opens/);
  }, 60_000);
});
