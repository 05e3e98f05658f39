// chain.rejects-revoked-client on a live target (docs/CONFORMANCE.md "Revocation"): a certificate
// the CA has really revoked (--revoked-cert/--revoked-key), judged against the valid --cert, against
// real `openssl s_server` given the CRL (-CRL -crl_check: refused, pass) and not given it (served, fail).
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { addDays } from '../src/core/clock.js';
import { mintCrl } from '../src/pki/crl.js';
import { mintRevokedClient } from '../src/checks/revoked.js';
import { mintFixturePki, randomSerial, type FixturePki } from '../src/pki/generate.js';
import { writeClientFiles } from './helpers/cli.js';
import { OPENSSL, startOpensslServer, type StartedServer } from './helpers/servers.js';

let dir: string;
let pki: FixturePki;
const stops: (() => Promise<void>)[] = [];
const f = (n: string) => path.join(dir, n);
const ID = 'chain.rejects-revoked-client';

interface Res {
  check: string;
  status: string;
  message: string;
  remediation?: string;
  evidence: {
    rejectedAt?: string;
    alert?: { code: number };
    control?: { rejectedAt: string; source: string };
    presentedCertificate?: { serialNumber: string };
  };
}

async function run(args: string[]): Promise<{ code: number; stderr: string; result?: Res }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['run', ...args, '--check', ID, '--json', '-'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1' },
  });
  const result = stdout ? (JSON.parse(stdout) as { results: Res[] }).results.find((r) => r.check === ID) : undefined;
  return { code, stderr, ...(result ? { result } : {}) };
}

let serial: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-revocation-'));
  pki = await mintFixturePki();
  await writeClientFiles(dir, pki);
  // A client the CA issued and then revoked (any serial: the organisation's own, not the harness's derived one).
  serial = randomSerial();
  const now = new Date();
  const revoked = await mintRevokedClient(pki.root, now, serial);
  await fs.writeFile(f('revoked.pem'), revoked.certPem);
  await fs.writeFile(f('revoked-key.pem'), revoked.keyPem, { mode: 0o600 });
  const crl = mintCrl(pki.root, { thisUpdate: addDays(now, -1), nextUpdate: addDays(now, 7), revoked: [{ serialHex: serial, revokedAt: addDays(now, -1) }] });
  await fs.writeFile(f('crl.pem'), crl);
});
afterAll(async () => {
  for (const s of stops) await s();
  await fs.rm(dir, { recursive: true, force: true });
});

const creds = () => ['--servername', 'localhost', '--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];
const revokedFlags = () => ['--revoked-cert', f('revoked.pem'), '--revoked-key', f('revoked-key.pem')];

async function server(extraArgs: string[]): Promise<StartedServer> {
  const s = await startOpensslServer({ pki, mode: 'required', extraArgs });
  stops.push(() => s.stop());
  return s;
}

describe('chain.rejects-revoked-client on a live target', () => {
  it.skipIf(!OPENSSL)('openssl s_server checking the CRL refuses the revoked client (alert 44): pass, against the accepted --cert', async () => {
    const s = await server(['-CRL', f('crl.pem'), '-crl_check']);
    const r = await run(['--target', `127.0.0.1:${s.port}`, ...creds(), ...revokedFlags()]);
    expect(r.result?.status, r.result?.message ?? r.stderr).toBe('pass');
    expect(r.result!.message).toMatch(
      /the revoked client certificate given \(--revoked-cert\) was refused .*alert 44 certificate_revoked.*while the valid client certificate given \(--cert\) was accepted/,
    );
    expect(r.result!.evidence.control?.rejectedAt).toBe('accepted');
    expect(r.result!.evidence.presentedCertificate?.serialNumber.toLowerCase().replace(/:/g, '')).toContain(serial.replace(/^0+/, ''));
  });

  it.skipIf(!OPENSSL)('openssl s_server without the CRL serves the revoked client: fail, with the advice naming the CRL setting', async () => {
    const s = await server([]);
    const r = await run(['--target', `127.0.0.1:${s.port}`, ...creds(), ...revokedFlags()]);
    expect(r.code).toBe(1);
    expect(r.result?.status, r.result?.message).toBe('fail');
    expect(r.result!.message).toMatch(/the revoked client certificate given \(--revoked-cert\) was accepted/);
    expect(r.result!.remediation).toMatch(/revocation list/);
  });

  it.skipIf(!OPENSSL)(
    'without --revoked-cert: skip, saying what is needed (with --ca-key too: a minted certificate is revoked nowhere the server looks)',
    async () => {
      const s = await server([]);
      const plain = await run(['--target', `127.0.0.1:${s.port}`, ...creds()]);
      expect(plain.result?.status).toBe('skip');
      expect(plain.result!.message).toMatch(/--revoked-cert and --revoked-key/);
      const withKey = await run(['--target', `127.0.0.1:${s.port}`, ...creds(), '--ca-key', f('ca-key.pem')]);
      expect(withKey.result?.status).toBe('skip');
      expect(withKey.result!.message).toMatch(/revoked nowhere the server looks/);
    },
  );

  it('--revoked-cert without --revoked-key is a usage error (exit 2)', async () => {
    const r = await run(['--target', '127.0.0.1:1', ...creds(), '--revoked-cert', f('revoked.pem')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--revoked-cert and --revoked-key go together/);
  });
});

describe('the revoked client from a config file, and the valid client itself revoked', () => {
  it.skipIf(!OPENSSL)('revokedCert/revokedKey in the config file: the same evidence as the flags (pass against s_server with the CRL)', async () => {
    const s = await server(['-CRL', f('crl.pem'), '-crl_check']);
    await fs.writeFile(
      f('revoked.yaml'),
      `targets:\n  - endpoint: 127.0.0.1:${s.port}\n    servername: localhost\n    ca: ca.pem\n    cert: client.pem\n    key: client-key.pem\n    revokedCert: revoked.pem\n    revokedKey: revoked-key.pem\n`,
    );
    const r = await run(['--config', f('revoked.yaml')]);
    expect(r.result?.status, r.result?.message ?? r.stderr).toBe('pass');
    expect(r.result!.message).toMatch(/the revoked client certificate given \(--revoked-cert\) was refused/);
    await fs.writeFile(f('half.yaml'), `targets:\n  - endpoint: 127.0.0.1:${s.port}\n    revokedCert: revoked.pem\n`);
    const half = await run(['--config', f('half.yaml')]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/revokedCert and revokedKey go together/);
  });

  it.skipIf(!OPENSSL)('the valid client given is itself revoked (alert 44): the refusal checks are inconclusive and say so, naming the fix', async () => {
    const s = await server(['-CRL', f('crl.pem'), '-crl_check']);
    let stdout = '';
    const code = await runCli(
      [
        'run',
        '--target',
        `127.0.0.1:${s.port}`,
        '--servername',
        'localhost',
        '--ca',
        f('ca.pem'),
        '--cert',
        f('revoked.pem'),
        '--key',
        f('revoked-key.pem'),
        '--json',
        '-',
      ],
      { stdout: { write: (x: string) => (stdout += x) }, stderr: { write: () => undefined }, env: { NO_COLOR: '1' } },
    );
    expect(code).toBe(1);
    const results = (JSON.parse(stdout) as { results: Res[] }).results;
    const valid = results.find((x) => x.check === 'handshake.accepts-valid-client-cert')!;
    expect(valid.status).toBe('fail');
    expect(valid.message + (valid.remediation ?? '')).toMatch(/revoked/);
    const noCert = results.find((x) => x.check === 'reject.no-client-cert')!;
    expect(noCert.status).toBe('error');
    expect(noCert.message).toMatch(/the valid client certificate itself is revoked \(alert 44 certificate_revoked\): reissue it/);
  });
});
