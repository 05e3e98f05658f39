// `mtls-harness certs revoke` (docs/CONFORMANCE.md "Revocation"): with a CA made by the openssl CLI, it
// writes a client certificate of that CA and a CRL listing it; a real server given that CRL
// (openssl s_server -CRL -crl_check) refuses it, and `run --revoked-cert/--revoked-key` judges
// chain.rejects-revoked-client `pass` against the accepted valid client. Bad input: exit 2.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, stopProcess, waitForTls } from '../src/targets/reference/process.js';
import { expectUsageError, runInProcess } from './helpers/cli.js';
import { makeOpensslPki, opensslPkiFiles } from './helpers/openssl-pki.js';
import { OPENSSL } from './helpers/servers.js';

let dir: string;
let files: ReturnType<typeof opensslPkiFiles>;
const procs: ChildProcess[] = [];

describe.skipIf(!OPENSSL)('certs revoke: a revoked client and its CRL for the user to deploy', () => {
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-certs-revoke-'));
    await makeOpensslPki(dir);
    files = opensslPkiFiles(dir);
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) await stopProcess(p);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes the certificate, its key (0600) and the CRL, says how to deploy it; a server given the CRL refuses the certificate: pass', async () => {
    const out = path.join(dir, 'kit');
    const r = await runInProcess(['certs', 'revoke', '--ca-cert', files.root, '--ca-key', files.rootKey, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ssl_crl .*crl\.pem;/);
    expect(r.stdout).toMatch(/do not replace it with this one/);
    expect(r.stdout).not.toMatch(/PRIVATE KEY/);
    expect((await fs.stat(path.join(out, 'revoked-client-key.pem'))).mode & 0o777).toBe(0o600);

    const port = await freePort();
    const p = spawn(
      OPENSSL!,
      [
        's_server',
        '-accept',
        `127.0.0.1:${port}`,
        '-naccept',
        '1000',
        '-www',
        '-cert',
        files.server,
        '-key',
        files.serverKey,
        '-CAfile',
        files.root,
        '-Verify',
        '1',
        '-verify_return_error',
        '-CRL',
        path.join(out, 'crl.pem'),
        '-crl_check',
      ],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    procs.push(p);
    await waitForTls('127.0.0.1', port, () => (p.exitCode !== null ? `s_server exited ${p.exitCode}` : undefined), 10_000);
    const json = path.join(dir, 'kit.json');
    const run = await runInProcess([
      'run',
      '--target',
      `127.0.0.1:${port}`,
      '--servername',
      'localhost',
      '--ca',
      files.root,
      '--cert',
      files.client,
      '--key',
      files.clientKey,
      '--revoked-cert',
      path.join(out, 'revoked-client.pem'),
      '--revoked-key',
      path.join(out, 'revoked-client-key.pem'),
      '--check',
      'chain.rejects-revoked-client',
      '--json',
      json,
      '--quiet',
    ]);
    const res = (JSON.parse(await fs.readFile(json, 'utf8')) as { results: { check: string; status: string; message: string }[] }).results[0]!;
    expect(res.status, res.message + run.stderr).toBe('pass');
    expect(res.message).toMatch(/alert 44 certificate_revoked/);
  });

  it("a second kit does not overwrite the first without --force; a CA key that is not the CA certificate's, or a missing flag: exit 2", async () => {
    const out = path.join(dir, 'kit');
    expectUsageError(
      await runInProcess(['certs', 'revoke', '--ca-cert', files.root, '--ca-key', files.rootKey, '--out', out]),
      /refusing to overwrite 3 existing file\(s\)/,
    );
    expectUsageError(
      await runInProcess(['certs', 'revoke', '--ca-cert', files.root, '--ca-key', files.clientKey, '--out', path.join(dir, 'kit2')]),
      /the CA key is not the private key of the CA certificate/,
    );
    expectUsageError(await runInProcess(['certs', 'revoke', '--ca-cert', files.root, '--out', path.join(dir, 'kit3')]), /--ca-key is required/);
  });

  it('run with --ca-key alone names the command in its skip', async () => {
    const r = await runInProcess([
      'run',
      '--target',
      '127.0.0.1:9',
      '--ca',
      files.root,
      '--ca-key',
      files.rootKey,
      '--check',
      'chain.rejects-revoked-client',
      '--json',
      '-',
    ]);
    const res = (JSON.parse(r.stdout) as { results: { status: string; message: string }[] }).results[0]!;
    expect(res.status).toBe('skip');
    expect(res.message).toMatch(/mtls-harness certs revoke --ca-cert CA --ca-key KEY --out DIR/);
  });
});
