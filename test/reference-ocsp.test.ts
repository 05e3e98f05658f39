// chain.rejects-ocsp-revoked-client against the real servers that can check a client by OCSP
// (docs/CONFORMANCE.md "Revocation"): each started on revocation-ocsp (asks the harness's loopback
// responder: the OCSP-revoked client refused, pass) and on no-revocation-check (the responder runs,
// nobody asks it: served, fail), the valid client accepted on both. The responder's own log says
// whether the server asked, so a pass cannot come from anything else.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintRevokedClient } from '../src/checks/revoked.js';
import { DEFAULT_POLICY } from '../src/core/target.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { serialKey } from '../src/pki/ocsp.js';
import { revokedSerialFor } from '../src/pki/crl.js';
import { runChecks } from '../src/runner/run.js';
import { referenceTarget } from '../src/runner/reference-target.js';
import { REFERENCES } from '../src/targets/reference/index.js';
import { findBinary } from '../src/targets/reference/process.js';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';
import { SUITES } from '../suites/index.js';
import { runInProcess, writeClientFiles } from './helpers/cli.js';

const ID = 'chain.rejects-ocsp-revoked-client';
const CHECKS = [ID, 'handshake.accepts-valid-client-cert', 'chain.rejects-revoked-client', 'chain.accepts-intermediate-client'];
/** The references that check a client certificate by OCSP (every other one declares revocation-ocsp unsupported). */
const OCSP_REFERENCES = ['nginx', 'apache', 'stunnel'];

let pki: FixturePki;
/** The second fixture PKI: RSA keys, so the responses are signed with RSA as well as ECDSA. */
let rsaPki: FixturePki;
const running: StartedReference[] = [];
beforeAll(async () => {
  [pki, rsaPki] = await Promise.all([mintFixturePki(), mintFixturePki({ keyType: 'rsa-2048' })]);
});
afterAll(async () => {
  for (const r of running) await r.stop();
});

async function runOn(implementation: string, profile: 'revocation-ocsp' | 'no-revocation-check', p = pki) {
  const ref = await startReference({ implementation, profile, pki: p });
  running.push(ref);
  const target = referenceTarget(ref, implementation, profile, { policy: DEFAULT_POLICY });
  const report = await runChecks({ targets: [target], suites: [...SUITES], checkIds: CHECKS });
  const byId = Object.fromEntries(report.results.map((r) => [r.check, r]));
  const answered = ref.ocsp!.answered();
  await ref.stop();
  return { byId, answered };
}

const revokedSerial = () => serialKey(revokedSerialFor(pki.root));

for (const implementation of OCSP_REFERENCES) {
  const bin = findBinary(REFERENCES[implementation]!.process!.binary);
  if (!bin)
    console.warn(`SKIPPED ${implementation} on revocation-ocsp: not installed (apt-get install ${REFERENCES[implementation]!.debianPackages.join(' ')})`);
  describe.skipIf(!bin)(`${implementation}: client OCSP against the harness's responder`, () => {
    it('revocation-ocsp: the OCSP-revoked client refused (pass), the valid client and an intermediate-issued one accepted, the responder asked', async () => {
      const { byId, answered } = await runOn(implementation, 'revocation-ocsp');
      const r = byId[ID]!;
      expect(r.status, r.message).toBe('pass');
      expect(r.message).toMatch(/the CA has revoked \(its OCSP responder, the harness's, says so\) was refused .*while the valid client/);
      expect(byId['handshake.accepts-valid-client-cert']!.status).toBe('pass');
      expect(byId['chain.accepts-intermediate-client']!.status).toBe('pass');
      // Not presented on this profile: the CRL check's client.
      expect(byId['chain.rejects-revoked-client']!.status).toBe('skip');
      expect(answered.filter((a) => a.serialHex === revokedSerial() && a.status === 'revoked').length).toBeGreaterThan(0);
      expect(answered.filter((a) => a.serialHex === serialKey(pki.client.cert.serialNumber) && a.status === 'good').length).toBeGreaterThan(0);
      expect(answered.every((a) => a.status === 'good' || a.status === 'revoked')).toBe(true);
    }, 60_000);

    it('revocation-ocsp with the RSA fixture PKI (RSA-signed responses): pass, the valid client accepted', async () => {
      const { byId, answered } = await runOn(implementation, 'revocation-ocsp', rsaPki);
      expect(byId[ID]!.status, byId[ID]!.message).toBe('pass');
      expect(byId['handshake.accepts-valid-client-cert']!.status).toBe('pass');
      expect(answered.some((a) => a.serialHex === serialKey(revokedSerialFor(rsaPki.root)) && a.status === 'revoked')).toBe(true);
    }, 60_000);

    it('no-revocation-check: the OCSP-revoked client served (fail), the responder never asked', async () => {
      const { byId, answered } = await runOn(implementation, 'no-revocation-check');
      const r = byId[ID]!;
      expect(r.status, r.message).toBe('fail');
      expect(r.message).toMatch(/the CA has revoked \(its OCSP responder, the harness's, says so\) was accepted/);
      expect(r.remediation).toMatch(/OCSP/);
      expect(byId['handshake.accepts-valid-client-cert']!.status).toBe('pass');
      expect(answered).toEqual([]);
    }, 60_000);
  });
}

describe('the references that cannot check a client by OCSP declare it', () => {
  it('every other reference: revocation-ocsp unsupported, with the reason', () => {
    for (const [name, server] of Object.entries(REFERENCES)) {
      const why = server.unsupported('revocation-ocsp');
      if (OCSP_REFERENCES.includes(name)) expect(why, name).toBeUndefined();
      else expect(why, name).toMatch(/OCSP|revocation|profiles|per-path/);
    }
  });
});

/** `run` against a live target: the check's result and the exit code. */
async function live(port: number, dir: string, extra: string[]): Promise<{ code: number; stderr: string; status?: string; message?: string }> {
  const f = (n: string) => path.join(dir, n);
  const creds = ['--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];
  const r = await runInProcess(['run', '--target', `127.0.0.1:${port}`, '--servername', 'localhost', ...creds, ...extra, '--check', ID, '--json', '-']);
  const found = r.stdout
    ? (JSON.parse(r.stdout) as { results: { check: string; status: string; message: string }[] }).results.find((x) => x.check === ID)
    : undefined;
  return { code: r.code, stderr: r.stderr, ...(found ? { status: found.status, message: found.message } : {}) };
}

const NGINX = findBinary('nginx');
describe.skipIf(!NGINX)('a live target (nginx checking client OCSP against the harness responder, tested as --target)', () => {
  let dir: string;
  let ref: StartedReference;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-ocsp-live-'));
    ref = await startReference({ implementation: 'nginx', profile: 'revocation-ocsp', pki });
    running.push(ref);
    await writeClientFiles(dir, pki);
    // A certificate the CA revoked whose responder says so (its AIA names it), and the same serial naming none.
    const named = await mintRevokedClient(pki.root, new Date(), revokedSerialFor(pki.root), [ref.ocsp!.url]);
    const unnamed = await mintRevokedClient(pki.root, new Date());
    for (const [n, c] of [
      ['named', named],
      ['unnamed', unnamed],
    ] as const) {
      await fs.writeFile(path.join(dir, `${n}.pem`), c.certPem);
      await fs.writeFile(path.join(dir, `${n}-key.pem`), c.keyPem, { mode: 0o600 });
    }
  });
  afterAll(async () => {
    await ref.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });
  const given = (n: string) => ['--revoked-cert', path.join(dir, `${n}.pem`), '--revoked-key', path.join(dir, `${n}-key.pem`)];

  it('--revoked-cert naming its OCSP responder: refused against the accepted --cert (pass)', async () => {
    const before = ref.ocsp!.answered().filter((a) => a.status === 'revoked').length;
    const r = await live(ref.endpoint.port, dir, given('named'));
    expect(r.status, r.message ?? r.stderr).toBe('pass');
    expect(r.message).toMatch(
      /the revoked client certificate given \(--revoked-cert, naming its OCSP responder\) was refused .*while the valid client certificate given \(--cert\) was accepted/,
    );
    expect(ref.ocsp!.answered().filter((a) => a.status === 'revoked').length).toBeGreaterThan(before);
  });

  it('--revoked-cert naming no OCSP responder: skip (the CRL check judges it)', async () => {
    const r = await live(ref.endpoint.port, dir, given('unnamed'));
    expect(r.status).toBe('skip');
    expect(r.message).toMatch(/names no OCSP responder .*chain\.rejects-revoked-client judges it/);
  });

  it('--ca-key alone: skip, saying what would decide it (a responder the server consults)', async () => {
    const r = await live(ref.endpoint.port, dir, ['--ca-key', path.join(dir, 'ca-key.pem')]);
    expect(r.status).toBe('skip');
    expect(r.message).toMatch(/a responder the server consults saying revoked/);
    const none = await live(ref.endpoint.port, dir, []);
    expect(none.status).toBe('skip');
    expect(none.message).toMatch(/--revoked-cert and --revoked-key/);
  });
});
