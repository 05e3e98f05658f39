// Crafted client certificates against a stack that matches issuers by DER bytes: Go crypto/tls
// (fixtures/go/tlsserver). The PKI is made by the openssl CLI (UTF8String names), as a user's CA
// would be; `run` mints every crafted certificate from it. A crafted certificate whose issuer name
// is re-encoded is "signed by unknown authority" for Go, so every rejection check would pass for
// the wrong reason; the server log says which reason Go had.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tls from 'node:tls';
import { x509 } from '../src/pki/crypto.js';
import { issuerDer, subjectDer } from '../src/pki/der.js';
import { exactNames, mintCertificate, type Credential, type FixturePki } from '../src/pki/generate.js';
import { buildGoServer, goTempDir, goUnavailable, startGoServer, type GoClientAuth, type StartedGoServer } from './helpers/go-server.js';
import { liveRunWithPki, makeOpensslPki, opensslPkiFiles, type ReportResult } from './helpers/openssl-pki.js';

const GO_MISSING = goUnavailable();
if (GO_MISSING) console.warn(`SKIPPED the Go crypto/tls tests: ${GO_MISSING}`);

let dir: string;
let bin: string;
let files: ReturnType<typeof opensslPkiFiles>;
let pki: FixturePki;

async function runAgainst(
  server: StartedGoServer,
  name: string,
  extra: string[] = [],
): Promise<{ code: number; results: ReportResult[]; logs: string; stderr: string }> {
  return { ...(await liveRunWithPki(files, server.port, path.join(dir, `${name}.json`), extra)), logs: server.logs() };
}

const byId = (rs: ReportResult[], id: string) => rs.find((r) => r.check === id)!;

describe.skipIf(!!GO_MISSING)('Go crypto/tls server, openssl-CLI PKI', () => {
  beforeAll(async () => {
    dir = await goTempDir();
    bin = await buildGoServer(dir);
    await fs.mkdir(path.join(dir, 'pki'));
    pki = await makeOpensslPki(path.join(dir, 'pki'));
    files = opensslPkiFiles(path.join(dir, 'pki'));
  }, 300_000);
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const start = (clientAuth: GoClientAuth, mode: 'https' | 'raw' = 'https') =>
    startGoServer(bin, { cert: files.serverChain, key: files.serverKey, clientCa: files.root, clientAuth, mode });

  /** Runs one crafted-certificate check alone, so the Go log holds that certificate's verdict only. */
  const alone = async (server: StartedGoServer, check: string, extra: string[] = []) => {
    const before = server.logs().length;
    const r = await runAgainst(server, `${check}-${server.port}`, ['--check', check, ...extra]);
    // Go logs a refusal just after sending its alert: give the line time to arrive.
    await new Promise((res) => setTimeout(res, 150));
    return { result: byId(r.results, check), log: server.logs().slice(before) };
  };

  it('require-and-verify: the crafted certificates are judged for their own defect (the Go log says which)', async () => {
    const s = await start('require-and-verify');
    try {
      const r = await runAgainst(s, 'require-and-verify');
      const got = Object.fromEntries(r.results.map((x) => [x.check, x.status]));
      expect(got).toMatchObject({
        'handshake.accepts-valid-client-cert': 'pass',
        'reject.no-client-cert': 'pass',
        'chain.rejects-untrusted-ca-client': 'pass',
        'chain.rejects-self-signed-client': 'pass',
        'chain.rejects-wrong-eku-client': 'pass',
        // Go accepts a CA:TRUE certificate with EKU clientAuth as a client leaf (x509.Verify does
        // not look at basicConstraints of the leaf), as OpenSSL does: the catalogue's warn.
        'chain.rejects-ca-as-client': 'warn',
        'chain.accepts-intermediate-client': 'pass',
        'expiry.rejects-expired-client': 'pass',
        'expiry.rejects-not-yet-valid-client': 'pass',
      });
      expect(byId(r.results, 'chain.rejects-wrong-eku-client').evidence).toMatchObject({ rejectedAt: 'post-handshake' });
      expect(byId(r.results, 'chain.rejects-wrong-eku-client').message).toMatch(/refused at post-handshake with alert 42 bad_certificate/);

      // Each crafted certificate alone: Go's reason is the defect, never "unknown authority" for a
      // certificate our CA issued.
      const eku = await alone(s, 'chain.rejects-wrong-eku-client');
      expect(eku.result.status).toBe('pass');
      expect(eku.log).toMatch(/failed to verify client certificate: x509: certificate specifies an incompatible key usage/);
      expect(eku.log).not.toMatch(/unknown authority/);
      const inter = await alone(s, 'chain.accepts-intermediate-client');
      expect(inter.result.status).toBe('pass');
      expect(inter.log).toMatch(/accepted: client CN=mtls-harness crafted client/);
      const caLeaf = await alone(s, 'chain.rejects-ca-as-client');
      expect(caLeaf.log).toMatch(/accepted: client CN=mtls-harness crafted client/);
      const expired = await alone(s, 'expiry.rejects-expired-client');
      expect(expired.log).toMatch(/certificate has expired or is not yet valid: current time .* is after/);
      // The look-alike's issuer name now matches the trusted root's bytes: Go finds the root as
      // candidate parent and refuses on the signature.
      const look = await alone(s, 'chain.rejects-untrusted-ca-client');
      expect(look.result.status).toBe('pass');
      expect(look.log).toMatch(
        /unknown authority \(possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "OpenSSL Test Root CA"\)/,
      );
    } finally {
      await s.stop();
    }
  }, 120_000);

  it('any-EKU server (VerifyPeerCertificate with ExtKeyUsageAny): chain.rejects-wrong-eku-client fails, the rest still refused', async () => {
    const s = await start('any-eku');
    try {
      const r = await runAgainst(s, 'any-eku');
      const got = Object.fromEntries(r.results.map((x) => [x.check, x.status]));
      expect(got).toMatchObject({
        'handshake.accepts-valid-client-cert': 'pass',
        'chain.rejects-wrong-eku-client': 'fail',
        'chain.rejects-untrusted-ca-client': 'pass',
        'chain.rejects-self-signed-client': 'pass',
        'chain.accepts-intermediate-client': 'pass',
        'expiry.rejects-expired-client': 'pass',
        'expiry.rejects-not-yet-valid-client': 'pass',
      });
      expect(byId(r.results, 'chain.rejects-wrong-eku-client').message).toMatch(/was accepted: the request was served: HTTP\/1.1 200 OK/);
      expect(r.code).toBe(1);
    } finally {
      await s.stop();
    }
  }, 120_000);

  it('require-any (no verification): every crafted client is accepted and the rejection checks fail', async () => {
    const s = await start('require-any');
    try {
      const got = Object.fromEntries((await runAgainst(s, 'require-any')).results.map((x) => [x.check, x.status]));
      expect(got).toMatchObject({
        'reject.no-client-cert': 'pass',
        'chain.rejects-untrusted-ca-client': 'fail',
        'chain.rejects-self-signed-client': 'fail',
        'chain.rejects-wrong-eku-client': 'fail',
        'chain.rejects-ca-as-client': 'warn',
        'expiry.rejects-expired-client': 'fail',
        'expiry.rejects-not-yet-valid-client': 'fail',
      });
    } finally {
      await s.stop();
    }
  }, 120_000);

  it('verify-if-given: no certificate is served (fail), bad ones are refused', async () => {
    const s = await start('verify-if-given');
    try {
      const got = Object.fromEntries((await runAgainst(s, 'verify-if-given')).results.map((x) => [x.check, x.status]));
      expect(got).toMatchObject({
        'reject.no-client-cert': 'fail',
        'handshake.client-auth-mode': 'fail',
        'chain.rejects-wrong-eku-client': 'pass',
        'chain.accepts-intermediate-client': 'pass',
      });
    } finally {
      await s.stop();
    }
  }, 120_000);

  it('request and none: a server that never refuses a certificate fails the rejection checks', async () => {
    for (const mode of ['request', 'none'] as const) {
      const s = await start(mode);
      try {
        const got = Object.fromEntries((await runAgainst(s, mode)).results.map((x) => [x.check, x.status]));
        expect(got, mode).toMatchObject({
          'reject.no-client-cert': 'fail',
          'handshake.client-auth-mode': 'fail',
          'chain.rejects-untrusted-ca-client': 'fail',
          'chain.rejects-wrong-eku-client': 'fail',
          'expiry.rejects-expired-client': 'fail',
        });
      } finally {
        await s.stop();
      }
    }
  }, 120_000);

  it('why: the same valid client with its issuer name re-encoded (PrintableString) is "signed by unknown authority" for Go; copied, it is accepted', async () => {
    const s = await start('require-and-verify', 'raw');
    const now = Date.now();
    try {
      const good = await mintCertificate({
        subject: 'CN=exact issuer client, O=mtls-harness',
        issuer: pki.root,
        notBefore: new Date(now - 3_600_000),
        notAfter: new Date(now + 86_400_000),
        eku: ['clientAuth'],
      });
      expect(issuerDer(good.cert.rawData).equals(subjectDer(pki.root.cert.rawData))).toBe(true);
      // What the harness minted before: the CA's subject as a string, encoded again by the library.
      const reencoded = Buffer.from(new x509.Name(pki.root.cert.subject).toArrayBuffer());
      expect(reencoded.equals(subjectDer(pki.root.cert.rawData))).toBe(false);
      const bad: Credential = { ...good, cert: exactNames(good.cert, { issuer: reencoded }, pki.root.key) };
      bad.certPem = bad.cert.toString('pem') + '\n';
      const present = (c: Credential) =>
        new Promise<string>((resolve) => {
          const sock = tls.connect({
            host: '127.0.0.1',
            port: s.port,
            servername: 'localhost',
            cert: c.certPem,
            key: c.keyPem,
            ca: pki.root.certPem,
            maxVersion: 'TLSv1.2',
          });
          let data = '';
          sock.on('data', (b: Buffer) => (data += b.toString()));
          sock.on('error', (e) => resolve(`error: ${e.message}`));
          sock.on('close', () => resolve(data));
        });
      expect(await present(good)).toBe('ok\n');
      expect(s.logs()).toMatch(/accepted: client CN=exact issuer client/);
      expect(await present(bad)).toMatch(/^error: .*bad certificate/i);
      // The server logs after its alert is sent: wait for the line.
      for (let i = 0; i < 50 && !/unknown authority/.test(s.logs()); i++) await new Promise((r) => setTimeout(r, 20));
      expect(s.logs()).toMatch(/handshake error: tls: failed to verify client certificate: x509: certificate signed by unknown authority\n/);
    } finally {
      await s.stop();
    }
  }, 60_000);

  it('raw TLS (--protocol tls) against require-and-verify: the same verdicts for the crafted clients', async () => {
    const s = await start('require-and-verify', 'raw');
    try {
      const r = await runAgainst(s, 'raw', ['--protocol', 'tls']);
      const got = Object.fromEntries(r.results.map((x) => [x.check, x.status]));
      expect(got).toMatchObject({
        'handshake.accepts-valid-client-cert': 'pass',
        'reject.no-client-cert': 'pass',
        'chain.rejects-wrong-eku-client': 'pass',
        'chain.rejects-untrusted-ca-client': 'pass',
        'chain.accepts-intermediate-client': 'pass',
        'chain.rejects-ca-as-client': 'warn',
      });
      expect(s.logs()).toMatch(/incompatible key usage/);
    } finally {
      await s.stop();
    }
  }, 120_000);
});
