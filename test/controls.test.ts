// docs/CONFORMANCE.md "Controls": a refusal is evidence only against an accepted control. Real node
// TLS servers on 127.0.0.1; the harness runs in-process. Each case below is a way a refusal used to
// pass a check without proving anything.
import { writeClientFiles } from './helpers/cli.js';
import { promises as fs } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { addDays } from '../src/core/clock.js';
import { mintCertificate, mintFixturePki, type Credential, type FixturePki } from '../src/pki/generate.js';
import { NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';
import { x509 } from '../src/pki/crypto.js';
import { NGINX, OPENSSL, startNginx, startOpensslServer } from './helpers/servers.js';

let dir: string;
let pki: FixturePki;
let strict: StartedNodeReference;
const servers: https.Server[] = [];
const stops: (() => Promise<void>)[] = [];
const f = (n: string) => path.join(dir, n);

interface Res {
  check: string;
  status: string;
  message: string;
  remediation?: string;
  evidence: { rejectedAt?: string; control?: { source: string; rejectedAt: string; what: string }; inconclusive?: string };
}

async function run(args: string[]): Promise<{ code: number; results: Res[]; by: (id: string) => Res }> {
  let stdout = '';
  const code = await runCli(['run', ...args, '--json', '-'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: () => undefined },
    env: { NO_COLOR: '1' },
  });
  const results = (JSON.parse(stdout) as { results: Res[] }).results;
  return { code, results, by: (id) => results.find((r) => r.check === id)! };
}

/** An HTTPS server requiring client certificates from `clientCa` (node requestCert + rejectUnauthorized). */
async function serve(server: Credential, clientCa: string): Promise<number> {
  const s = https.createServer({ cert: server.chainPem, key: server.keyPem, ca: clientCa, requestCert: true, rejectUnauthorized: true }, (_q, r) =>
    r.end('ok'),
  );
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-controls-'));
  pki = await mintFixturePki();
  await writeClientFiles(dir, pki);
  strict = await new NodeReference({ profile: 'strict', pki }).start();
});
afterAll(async () => {
  await strict?.stop();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  await Promise.all(stops.map((s) => s()));
  await fs.rm(dir, { recursive: true, force: true });
});

const target = (port: number) => ['--target', `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', f('ca.pem')];
const CRAFTED = [
  'chain.rejects-untrusted-ca-client',
  'chain.rejects-self-signed-client',
  'chain.rejects-wrong-eku-client',
  'expiry.rejects-expired-client',
  'expiry.rejects-not-yet-valid-client',
];

describe('a server that refuses every client (it trusts another CA than the one given)', () => {
  let port: number;
  beforeAll(async () => {
    const other = await mintCertificate({ subject: 'CN=some other CA', notBefore: addDays(new Date(), -1), notAfter: addDays(new Date(), 30), ca: true });
    port = await serve(pki.server, other.certPem);
  });

  it('no-client-cert, the mode and every crafted rejection are inconclusive (error), each naming its control', async () => {
    const r = await run([...target(port), '--cert', f('client.pem'), '--key', f('client-key.pem'), '--ca-key', f('ca-key.pem')]);
    expect(r.code).toBe(1);
    const noCert = r.by('reject.no-client-cert');
    expect(noCert.status, noCert.message).toBe('error');
    expect(noCert.message).toMatch(
      /^inconclusive: a client offering no certificate was refused, but the server refused the valid client certificate given \(--cert\)/,
    );
    expect(noCert.evidence.control).toMatchObject({ source: 'given', rejectedAt: 'post-handshake' });
    expect(r.by('handshake.client-auth-mode').status).toBe('error');
    expect(r.by('handshake.accepts-valid-client-cert').status).toBe('fail');
    for (const id of CRAFTED) {
      const x = r.by(id);
      expect(x.status, `${id}: ${x.message}`).toBe('error');
      expect(x.message, id).toMatch(/inconclusive/);
      // The look-alike and self-signed checks too: with --ca-key their control is the minted one.
      expect(x.evidence.control, id).toMatchObject({ source: 'minted', rejectedAt: 'post-handshake' });
    }
    // A refusal of the intermediate-issued client is no finding when the CA's own client is refused too.
    expect(r.by('chain.accepts-intermediate-client').status).toBe('error');
  });
});

describe('the strict reference (refuses without a valid certificate, serves a valid one)', () => {
  it('with --ca-key and no --cert, the control is minted: no-client-cert passes against it', async () => {
    const r = await run([
      ...target(strict.endpoint.port),
      '--ca-key',
      f('ca-key.pem'),
      '--check',
      'reject.no-client-cert,handshake.client-auth-mode,chain.rejects-wrong-eku-client',
    ]);
    const noCert = r.by('reject.no-client-cert');
    expect(noCert.status, noCert.message).toBe('pass');
    expect(noCert.message).toMatch(/while a valid client certificate minted from the CA key was accepted/);
    expect(noCert.evidence.control).toMatchObject({ source: 'minted', rejectedAt: 'accepted' });
    expect(r.by('handshake.client-auth-mode').status).toBe('pass');
    expect(r.by('chain.rejects-wrong-eku-client').evidence.control).toMatchObject({ source: 'minted', rejectedAt: 'accepted' });
  });

  it('with neither --cert nor --ca-key there is no control: inconclusive, and the message says what would decide it', async () => {
    const r = await run([...target(strict.endpoint.port), '--check', 'reject.no-client-cert,handshake.client-auth-mode']);
    expect(r.code).toBe(1);
    const noCert = r.by('reject.no-client-cert');
    expect(noCert.status).toBe('error');
    expect(noCert.message).toMatch(/no valid client was tested to compare with.*--cert\/--key.*--ca-key/);
    expect(r.by('handshake.client-auth-mode').status).toBe('error');
  });
});

describe('a client CA with pathLenConstraint 0', () => {
  it('chain.accepts-intermediate-client is not applicable (skip), never a warn to raise the verify depth', async () => {
    const now = new Date();
    const ca = await mintCertificate({
      subject: 'CN=pathlen0 CA, O=mtls-harness',
      notBefore: addDays(now, -1),
      notAfter: addDays(now, 60),
      ca: true,
      pathLength: 0,
    });
    const server = await mintCertificate({
      subject: 'CN=localhost',
      issuer: ca,
      notBefore: addDays(now, -1),
      notAfter: addDays(now, 30),
      eku: ['serverAuth'],
      sans: { dns: ['localhost'] },
    });
    const client = await mintCertificate({ subject: 'CN=client', issuer: ca, notBefore: addDays(now, -1), notAfter: addDays(now, 30), eku: ['clientAuth'] });
    await fs.writeFile(f('pl0-ca.pem'), ca.certPem);
    await fs.writeFile(f('pl0-ca-key.pem'), ca.keyPem, { mode: 0o600 });
    await fs.writeFile(f('pl0-client.pem'), client.certPem);
    await fs.writeFile(f('pl0-client-key.pem'), client.keyPem, { mode: 0o600 });
    const port = await serve(server, ca.certPem);
    const r = await run([
      '--target',
      `127.0.0.1:${port}`,
      '--servername',
      'localhost',
      '--ca',
      f('pl0-ca.pem'),
      '--cert',
      f('pl0-client.pem'),
      '--key',
      f('pl0-client-key.pem'),
      '--ca-key',
      f('pl0-ca-key.pem'),
      '--check',
      'chain.accepts-intermediate-client,reject.no-client-cert',
    ]);
    const x = r.by('chain.accepts-intermediate-client');
    expect(x.status, x.message).toBe('skip');
    expect(x.message).toMatch(/pathLenConstraint 0/);
    expect(r.by('reject.no-client-cert').status).toBe('pass');
  });
});

async function probeCli(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await runCli(['probe', ...args], {
    stdout: { write: (x: string) => (stdout += x) },
    stderr: { write: () => undefined },
    env: { NO_COLOR: '1' },
  });
  return { code, stdout };
}

describe('findings blame the right thing', () => {
  it('without --ca, a complete chain to a private root: pass the root with --ca, nothing to change on the server', async () => {
    const p = await probeCli([
      `127.0.0.1:${strict.endpoint.port}`,
      '--servername',
      'localhost',
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      '--json',
    ]);
    const chain = (JSON.parse(p.stdout) as { diagnosis: { findings: { id: string; fix?: string }[] } }).diagnosis.findings.find(
      (x) => x.id === 'server-chain',
    )!;
    expect(chain.fix).toMatch(/probably your private root CA.*--ca/);
    expect(chain.fix).not.toMatch(/ssl_certificate|send the intermediate/);
    const r = await run([
      '--target',
      `127.0.0.1:${strict.endpoint.port}`,
      '--servername',
      'localhost',
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      '--check',
      'chain.server-trusted,chain.server-complete',
    ]);
    expect(r.by('chain.server-trusted').status).toBe('fail');
    expect(r.by('chain.server-trusted').remediation).toMatch(/private root CA.*--ca/);
    const complete = r.by('chain.server-complete');
    expect(complete.status, complete.message).toBe('error');
    expect(complete.message).toMatch(/cannot tell whether .* pass the CA with --ca/);
  });

  it.skipIf(!OPENSSL)("your own certificate revoked (alert 44): said so, and no advice to change the server's trust", async () => {
    const crl = await x509.X509CrlGenerator.create({
      issuer: pki.root.cert.subject,
      thisUpdate: addDays(new Date(), -1),
      nextUpdate: addDays(new Date(), 7),
      entries: [{ serialNumber: pki.client.cert.serialNumber, revocationDate: addDays(new Date(), -1) }],
      signingKey: pki.root.key.pair.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    // openssl s_server checks the CRL and refuses with alert 44 (node's server closes without one).
    await fs.writeFile(f('crl.pem'), crl.toString('pem').replace(/-----(BEGIN|END) CRL-----/g, '-----$1 X509 CRL-----'));
    const ossl = await startOpensslServer({ pki, mode: 'required', extraArgs: ['-CRL', f('crl.pem'), '-crl_check'] });
    stops.push(() => ossl.stop());
    const port = ossl.port;
    const creds = ['--servername', 'localhost', '--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];
    const p = await probeCli([`127.0.0.1:${port}`, ...creds, '--json']);
    expect(p.code).toBe(1);
    const findings = (JSON.parse(p.stdout) as { diagnosis: { findings: { id: string; finding: string; fix?: string }[] } }).diagnosis.findings;
    const mine = findings.find((x) => x.id === 'with-cert')!;
    expect(mine.finding).toMatch(/alert 44 certificate_revoked: your client certificate itself is revoked/);
    expect(mine.fix).toMatch(/^Your client certificate itself is revoked/);
    for (const x of findings) expect(`${x.finding} ${x.fix ?? ''}`, x.id).not.toMatch(/client-CA bundle|ssl_client_certificate|ssl_verify_depth/);
    const r = await run([`--target`, `127.0.0.1:${port}`, ...creds, '--check', 'handshake.accepts-valid-client-cert,reject.no-client-cert']);
    const valid = r.by('handshake.accepts-valid-client-cert');
    expect(valid.status).toBe('fail');
    expect(valid.remediation).toMatch(/^Your client certificate itself is revoked/);
    const noCert = r.by('reject.no-client-cert');
    expect(noCert.status).toBe('error');
    expect(noCert.message).toMatch(/the valid client certificate itself is revoked/);
  });

  it.skipIf(!NGINX)('advice names the stack the server gave away (Server: nginx), and lists common stacks when none is known', async () => {
    const nginx = await startNginx({ pki, verify: 'optional' });
    try {
      const r = await run([
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
        '--check',
        'reject.no-client-cert',
      ]);
      const x = r.by('reject.no-client-cert');
      expect(x.status).toBe('fail');
      expect(x.remediation).toMatch(/^Require a client certificate on this listener and verify it against your CA\. nginx: ssl_verify_client on/);
      expect(x.remediation).not.toMatch(/haproxy|Envoy|Go crypto/);
    } finally {
      await nginx.stop();
    }
    // The node reference as a live target sends no Server header: the short list of common stacks.
    const r = await run([
      '--target',
      `127.0.0.1:${strict.endpoint.port}`,
      '--servername',
      'localhost',
      '--ca',
      f('ca.pem'),
      '--ca-key',
      f('ca-key.pem'),
      '--check',
      'chain.rejects-ca-as-client',
    ]);
    expect(r.by('chain.rejects-ca-as-client').remediation).toMatch(/Common stacks: /);
  });
});
