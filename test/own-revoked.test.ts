// The user's own client certificate revoked, against servers that say so differently: nginx with
// ssl_crl answers a revoked client with HTTP 400 (no alert), so only the CRL the harness reads
// (--crl) can say why; a server that checks no CRL serves it. Real nginx (reference, profiles
// revocation-crl and strict); the certificate is listed in the very CRL the server loads.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintRevokedClient } from '../src/checks/revoked.js';
import { fixtureCrlPem } from '../src/pki/crl.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { findBinary } from '../src/targets/reference/process.js';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';
import { runInProcess } from './helpers/cli.js';

const NGINX = findBinary('nginx');
if (!NGINX) console.log('own-revoked.test.ts: skipped, nginx is not installed (apt-get install nginx-light)');

interface Res {
  check: string;
  status: string;
  message: string;
  remediation?: string;
}

describe.skipIf(!NGINX)('the valid client given is itself revoked, on nginx', () => {
  let dir: string;
  let pki: FixturePki;
  const refs: StartedReference[] = [];
  const f = (n: string) => path.join(dir, n);
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-own-revoked-'));
    pki = await mintFixturePki();
    const revoked = await mintRevokedClient(pki.root, new Date());
    await fs.writeFile(f('ca.pem'), pki.root.certPem);
    await fs.writeFile(f('client.pem'), revoked.chainPem);
    await fs.writeFile(f('client-key.pem'), revoked.keyPem, { mode: 0o600 });
    await fs.writeFile(f('crl.pem'), fixtureCrlPem(pki));
  }, 60_000);
  afterAll(async () => {
    for (const r of refs) await r.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  async function run(profile: 'revocation-crl' | 'strict', extra: string[]): Promise<Map<string, Res>> {
    const ref = await startReference({ implementation: 'nginx', profile, pki });
    refs.push(ref);
    const args = ['run', '--target', `127.0.0.1:${ref.endpoint.port}`, '--servername', 'localhost', '--ca', f('ca.pem')];
    const r = await runInProcess([...args, '--cert', f('client.pem'), '--key', f('client-key.pem'), '--json', '-', ...extra]);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    return new Map((JSON.parse(r.stdout) as { results: Res[] }).results.map((x) => [x.check, x]));
  }

  it("checking the CRL (HTTP 400, no alert) with --crl: refused because it is listed, not for the server's trust; the refusal checks say so", async () => {
    const r = await run('revocation-crl', ['--crl', f('crl.pem')]);
    const valid = r.get('handshake.accepts-valid-client-cert')!;
    expect(valid.status, valid.message).toBe('fail');
    expect(valid.message).toMatch(/refused .*; it is listed as revoked in .*crl\.pem since \d{4}-.*\(keyCompromise\)/);
    expect(valid.remediation).toMatch(/issue a new client certificate/);
    expect(valid.remediation).not.toMatch(/ssl_client_certificate|trust the CA/);
    expect(r.get('chain.client-cert-not-revoked')!.status).toBe('fail');
    const noCert = r.get('reject.no-client-cert')!;
    expect(noCert.status, noCert.message).toBe('error');
    expect(noCert.message).toMatch(/the valid client certificate itself is listed as revoked in .*crl\.pem.*: reissue it, then test again/);
  });

  it('the same without --crl: the refusal is still no verdict, but nothing names the list (the server gave no reason)', async () => {
    const r = await run('revocation-crl', []);
    expect(r.get('handshake.accepts-valid-client-cert')!.message).not.toMatch(/listed as revoked/);
    expect(r.get('reject.no-client-cert')!.status).toBe('error');
    expect(r.get('chain.client-cert-not-revoked')!.status).toBe('skip');
  });

  it("probe --crl: the refusal is the listed certificate's, with the reissue; served by a server checking no CRL: said; --crl without a certificate: exit 2", async () => {
    interface Line {
      id: string;
      status: string;
      finding: string;
      fix?: string;
    }
    const probe = async (profile: 'revocation-crl' | 'strict') => {
      const ref = await startReference({ implementation: 'nginx', profile, pki });
      refs.push(ref);
      const r = await runInProcess([
        'probe',
        `127.0.0.1:${ref.endpoint.port}`,
        '--servername',
        'localhost',
        '--ca',
        f('ca.pem'),
        '--cert',
        f('client.pem'),
        '--key',
        f('client-key.pem'),
        '--crl',
        f('crl.pem'),
        '--json',
        '-',
      ]);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
      const d = JSON.parse(r.stdout) as { diagnosis: { findings: Line[] } };
      return new Map(d.diagnosis.findings.map((x) => [x.id, x]));
    };
    const checking = await probe('revocation-crl');
    expect(checking.get('with-cert')!.status).toBe('problem');
    expect(checking.get('with-cert')!.finding).toMatch(/refused .*; it is listed as revoked in .*crl\.pem since .*\(keyCompromise\)/);
    expect(checking.get('with-cert')!.fix).toMatch(/issue a new client certificate/);
    expect(checking.get('client-auth-mode')!.fix).toMatch(/the valid client certificate itself is listed as revoked in .*crl\.pem/);
    expect(checking.get('client-revocation')).toMatchObject({
      status: 'problem',
      finding: expect.stringMatching(/your client certificate is listed as revoked in/),
    });
    const open = await probe('strict');
    expect(open.get('with-cert')!.status).toBe('ok');
    expect(open.get('with-cert')!.finding).toMatch(/accepted.*, though it is listed as revoked in .*: this server does not check that list/);
    const bare = await runInProcess(['probe', '127.0.0.1:9', '--crl', f('crl.pem')]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/--crl reads your client certificate against its CRLs: give --cert and --key/);
  });

  it('a server that checks no CRL serves it: pass, saying it is listed and the server does not check that list', async () => {
    const r = await run('strict', ['--crl', f('crl.pem')]);
    const valid = r.get('handshake.accepts-valid-client-cert')!;
    expect(valid.status, valid.message).toBe('pass');
    expect(valid.message).toMatch(/accepted.*, though it is listed as revoked in .*crl\.pem since .*: this server does not check that list/);
    expect(r.get('reject.no-client-cert')!.status).toBe('pass');
    expect(r.get('chain.client-cert-not-revoked')!.status).toBe('fail');
  });
});
