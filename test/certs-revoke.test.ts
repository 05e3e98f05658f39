// `mtls-harness certs revoke` (docs/CONFORMANCE.md "Revocation"): with a CA made by the openssl CLI, it
// writes a client certificate of that CA and a CRL listing it; a real server given that CRL
// (openssl s_server -CRL -crl_check) refuses it, and `run --revoked-cert/--revoked-key` judges
// chain.rejects-revoked-client `pass` against the accepted valid client. Bad input: exit 2.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, stopProcess, waitForTls } from '../src/targets/reference/process.js';
import { expectUsageError, runInProcess } from './helpers/cli.js';
import { makeOpensslPki, opensslPkiFiles } from './helpers/openssl-pki.js';
import { opensslCa } from './helpers/openssl-cli.js';
import { OPENSSL } from './helpers/servers.js';

const sh = promisify(execFile);
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

  it("--crl CURRENT: the new CRL carries the current CRL's entries byte for byte, takes the next number, and verifies with openssl; another CA's CRL, or a CA without cRLSign: exit 2", async () => {
    const o = (n: string) => path.join(dir, `cur-${n}`);
    // The CA's current CRL, issued by `openssl ca -gencrl` from a database listing two revoked serials, number 0x41.
    const stamp = '261201000000Z';
    await fs.writeFile(
      o('db'),
      `R\t301231000000Z\t${stamp},keyCompromise\t0A0B0C\tunknown\t/CN=a\nR\t301231000000Z\t${stamp},superseded\t0D0E0F\tunknown\t/CN=b\n`,
    );
    await fs.writeFile(o('num'), '41\n');
    await fs.writeFile(o('ca.cnf'), `[ca]\ndefault_ca=c\n[c]\ndatabase=${o('db')}\ndefault_md=sha256\ncrlnumber=${o('num')}\ndefault_crl_days=7\n`);
    await sh('openssl', ['ca', '-config', o('ca.cnf'), '-gencrl', '-keyfile', files.rootKey, '-cert', files.root, '-out', o('current.pem')]);
    const out = path.join(dir, 'kit-carried');
    const r = await runInProcess(['certs', 'revoke', '--ca-cert', files.root, '--ca-key', files.rootKey, '--out', out, '--crl', o('current.pem')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/carries the 2 entries of the current CRL given \(--crl\) and is CRL number 66/);
    const text = (await sh('openssl', ['crl', '-in', path.join(out, 'crl.pem'), '-noout', '-text'])).stdout;
    expect(text).toMatch(/X509v3 CRL Number: \s*\n\s*66/);
    expect(text).toMatch(/Serial Number: 0A0B0C[\s\S]*Key Compromise/);
    expect(text).toMatch(/Serial Number: 0D0E0F[\s\S]*Superseded/);
    expect(text.match(/Serial Number:/g)).toHaveLength(3);
    expect((await sh('openssl', ['crl', '-in', path.join(out, 'crl.pem'), '-noout', '-CAfile', files.root, '-verify'])).stderr).toMatch(/verify OK/);
    // The carried entries are the current CRL's bytes.
    const der = async (f: string) => Buffer.from((await sh('openssl', ['crl', '-in', f, '-outform', 'DER'], { encoding: 'buffer' })).stdout);
    const [before, after] = [await der(o('current.pem')), await der(path.join(out, 'crl.pem'))];
    const entry = before.subarray(before.indexOf(Buffer.from([0x02, 0x03, 0x0a, 0x0b, 0x0c])) - 2);
    expect(after.includes(entry.subarray(0, entry[1]! + 2))).toBe(true);

    expectUsageError(
      await runInProcess([
        'certs',
        'revoke',
        '--ca-cert',
        files.intermediate,
        '--ca-key',
        files.intermediateKey,
        '--out',
        path.join(dir, 'kit-other'),
        '--crl',
        path.join(out, 'crl.pem'),
      ]),
      /not this CA's CRL/,
    );
    await opensslCa(o('nocrl'), '/CN=no crl sign', 2, ['keyUsage=critical,keyCertSign', 'basicConstraints=critical,CA:TRUE']);
    expectUsageError(
      await runInProcess(['certs', 'revoke', '--ca-cert', o('nocrl.pem'), '--ca-key', o('nocrl-key.pem'), '--out', path.join(dir, 'kit-nocrl')]),
      /keyUsage \(keyCertSign\) lacks cRLSign/,
    );
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
