// Issue 16 (1), k8s scan: a Secret holding a certificate whose public key cannot be decoded (a P-256
// key with an altered curve OID, minted at test time) is classified; the namespace's other Secrets
// are audited as before. The fake API server (test/helpers/fake-kube.ts) serves a fixtures dir written here.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { mintFixturePki } from '../src/pki/generate.js';
import { startFakeKube, type FakeKube } from './helpers/fake-kube.js';

const P256_OID = Buffer.from('06082a8648ce3d030107', 'hex');
const BOGUS_OID = Buffer.from('06082a8648ce3d030119', 'hex');
const toPem = (der: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;

let tmp: string;
let kube: FakeKube;

const SECRETS = `apiVersion: v1
kind: Secret
metadata:
  name: broken-tls
  namespace: bad
type: kubernetes.io/tls
data:
  tls.crt: "{{bad/cert}}"
  tls.key: "{{bad/key}}"
---
apiVersion: v1
kind: Secret
metadata:
  name: fine-tls
  namespace: bad
type: kubernetes.io/tls
data:
  tls.crt: "{{good/cert}}"
  tls.key: "{{good/key}}"
`;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-k8s-undecodable-'));
  const pki = await mintFixturePki();
  const der = Buffer.from(pki.server.cert.rawData);
  const bad = Buffer.from(der);
  BOGUS_OID.copy(bad, der.indexOf(P256_OID));
  await fs.mkdir(path.join(tmp, 'fixtures/bad'), { recursive: true });
  await fs.writeFile(path.join(tmp, 'fixtures/bad/secrets.yaml'), SECRETS);
  kube = await startFakeKube({
    fixturesDir: path.join(tmp, 'fixtures'),
    pems: { 'bad/cert': toPem(bad), 'bad/key': pki.server.keyPem, 'good/cert': pki.server.certPem, 'good/key': pki.server.keyPem },
  });
});
afterAll(async () => {
  await kube?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('k8s scan: a Secret with an undecodable certificate key', () => {
  it('is classified; the other Secret is audited as before', async () => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['k8s', 'scan', '-n', 'bad', '--json', '-'], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { NO_COLOR: '1', HOME: tmp, KUBECONFIG: kube.kubeconfig },
    });
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
    expect([0, 1]).toContain(code);
    const j = JSON.parse(stdout) as { results: { target: string; check: string; status: string; message: string }[] };
    const of = (t: string) => j.results.filter((r) => r.target === t).map((r) => `${r.check}: ${r.status}`);
    expect(of('secret/bad/fine-tls')).toContain('k8s.secret-key-matches: pass');
    const match = j.results.find((r) => r.target === 'secret/bad/broken-tls' && r.check === 'k8s.secret-key-matches');
    expect(match?.status, JSON.stringify(of('secret/bad/broken-tls'))).toBe('error');
    expect(match?.message).toMatch(/cannot be decoded/);
  });
});
