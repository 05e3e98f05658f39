// What the server's CertificateRequest advertises, against real servers (openssl s_server, nginx)
// with a PKI made by the openssl CLI (UTF8String names), run as a LIVE target with --ca-key:
// - handshake.advertised-cas-cover-client: the CA names compared by DER with the client's issuer
//   chain (pass; fail when s_server advertises a twin CA whose name has the same text in
//   PrintableString, or nginx advertises only ssl_client_certificate while the client's CA is only
//   in ssl_trusted_certificate; warn with -no_ca_names), in TLS 1.3 (encrypted CertificateRequest,
//   read through the key log) and TLS 1.2;
//   Go crypto/tls advertises its ClientCAs' subjects (pass; fail when ClientCAs is another CA and
//   RequireAnyClientCert accepts the client unverified);
// - handshake.client-key-types: s_server restricting -client_sigalgs to RSA refuses the ECDSA and
//   Ed25519 clients while the RSA ones are accepted (fail, the alert as evidence, the client's own
//   P-256 key reported uncovered).
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { mintCertificate, type FixturePki } from '../src/pki/generate.js';
import { liveRunWithPki, makeOpensslPki, opensslPkiFiles, type ReportResult } from './helpers/openssl-pki.js';
import { buildGoServer, goTempDir, goUnavailable, startGoServer } from './helpers/go-server.js';
import { NGINX, OPENSSL, skipUnless, startNginx, startOpensslServer, type StartedServer } from './helpers/servers.js';

const exec = promisify(execFile);
const noOpenssl = skipUnless(OPENSSL, 'openssl', 'apt-get install openssl');
const noNginx = skipUnless(NGINX, 'nginx', 'apt-get install nginx-light');
const noGo = goUnavailable();
if (noGo) console.warn(`SKIPPED the Go crypto/tls cases: ${noGo}`);

let dir: string;
let pki: FixturePki;
let files: ReturnType<typeof opensslPkiFiles>;
/** A CA with the root's name in PrintableString (same text, other bytes) and its own key. */
let twin: string;
/** An unrelated CA. */
let other: string;

beforeAll(async () => {
  if (noOpenssl) return;
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-cr-'));
  await fs.chmod(dir, 0o700);
  await fs.mkdir(path.join(dir, 'pki'));
  pki = await makeOpensslPki(path.join(dir, 'pki'));
  files = opensslPkiFiles(path.join(dir, 'pki'));
  const cnf = path.join(dir, 'printable.cnf');
  await fs.writeFile(cnf, '[req]\ndistinguished_name = dn\nstring_mask = default\nprompt = no\n[dn]\nCN = unused\n');
  const ca = async (name: string, subj: string) => {
    const out = path.join(dir, `${name}.pem`);
    await exec('openssl', [
      'req',
      '-x509',
      '-config',
      cnf,
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      path.join(dir, `${name}-key.pem`),
      '-out',
      out,
      '-subj',
      subj,
      '-days',
      '30',
    ]);
    return out;
  };
  // The openssl PKI's root is /CN=OpenSSL Test Root CA/O=mtls-harness openssl in UTF8String.
  twin = await ca('twin', '/CN=OpenSSL Test Root CA/O=mtls-harness openssl');
  other = await ca('other', '/CN=Some Other Client CA/O=elsewhere');
}, 60_000);
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

async function live(port: number, extra: string[] = []): Promise<Record<string, ReportResult>> {
  const r = await liveRunWithPki(files, port, path.join(dir, `report-${port}-${extra.join('')}.json`), ['--check', 'handshake.*', ...extra]);
  return Object.fromEntries(r.results.map((x) => [x.check, x]));
}

async function withServer<T>(start: () => Promise<StartedServer>, fn: (s: StartedServer) => Promise<T>): Promise<T> {
  const s = await start();
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

describe.skipIf(noOpenssl).each([['1.3'], ['1.2']] as const)('openssl s_server, TLS %s', (tlsVersion) => {
  const opts = tlsVersion === '1.2' ? ['--tls-max', '1.2'] : [];

  it('advertising the client CA (-CAfile): the names match by DER; every key type accepted', async () => {
    const r = await withServer(
      () => startOpensslServer({ pki, mode: 'required', tls: tlsVersion }),
      (s) => live(s.port, opts),
    );
    expect(r['handshake.accepts-valid-client-cert']!.status).toBe('pass');
    expect(r['handshake.advertised-cas-cover-client']!.status, r['handshake.advertised-cas-cover-client']!.message).toBe('pass');
    expect(r['handshake.advertised-cas-cover-client']!.evidence.advertisedCaNames).toEqual([pki.root.cert.subject]);
    const k = r['handshake.client-key-types']!;
    expect(k.status, k.message).toBe('pass');
    expect(k.evidence.clientKeyType).toBe('ECDSA P-256');
    expect(k.evidence.clientKeyCovered).toBe(true);
    expect(k.evidence.clientChainSignatures).toEqual([
      { subject: 'CN=openssl client, O=mtls-harness openssl', schemes: ['ecdsa_secp256r1_sha256'], covered: true },
    ]);
    expect((k.evidence.keyTypes as { result: string }[]).map((x) => x.result)).toEqual(Array(6).fill('accepted'));
  });

  it('advertising a twin CA (same text, PrintableString) while verifying with the real root: fail, the encoding named', async () => {
    const r = await withServer(
      () => startOpensslServer({ pki, mode: 'required', tls: tlsVersion, extraArgs: ['-CAfile', twin, '-verifyCAfile', files.root] }),
      (s) => live(s.port, opts),
    );
    // The client is accepted (OpenSSL's client sends it regardless of the names) ...
    expect(r['handshake.accepts-valid-client-cert']!.status).toBe('pass');
    // ... but Go, Java and browsers would not send it.
    const a = r['handshake.advertised-cas-cover-client']!;
    expect(a.status, a.message).toBe('fail');
    expect(a.message).toMatch(/Go, Java and browsers will not send this certificate/);
    expect(a.message).toMatch(/encoded differently/);
    expect(a.evidence.sameTextOtherEncoding).toBe(pki.root.cert.subject);
  });

  it('with -no_ca_names: warn, no names', async () => {
    const r = await withServer(
      () => startOpensslServer({ pki, mode: 'required', tls: tlsVersion, extraArgs: ['-no_ca_names'] }),
      (s) => live(s.port, opts),
    );
    const a = r['handshake.advertised-cas-cover-client']!;
    expect(a.status, a.message).toBe('warn');
    expect(a.evidence.advertisedCaNames).toEqual([]);
    expect(a.message).toMatch(/advertises no acceptable CA names/);
  });

  it('-client_sigalgs limited to RSA: the ECDSA and Ed25519 clients refused while RSA is accepted (fail), the client key uncovered', async () => {
    const sigalgs = 'rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pkcs1_sha256';
    // The helper's readiness handshake presents pki.client: an RSA one, which this server accepts.
    const rsaClient = await mintCertificate({
      subject: 'CN=readiness, O=mtls-harness',
      issuer: pki.root,
      keyType: 'rsa-2048',
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + 86400_000),
      eku: ['clientAuth'],
    });
    const r = await withServer(
      () => startOpensslServer({ pki: { ...pki, client: rsaClient }, mode: 'required', tls: tlsVersion, extraArgs: ['-client_sigalgs', sigalgs] }),
      (s) => live(s.port, opts),
    );
    const k = r['handshake.client-key-types']!;
    expect(k.status, k.message).toBe('fail');
    const byType = Object.fromEntries(
      (k.evidence.keyTypes as { type: string; result: string; coveredBySignatureAlgorithms?: boolean }[]).map((x) => [x.type, x]),
    );
    for (const t of ['rsa-2048', 'rsa-3072', 'rsa-4096']) expect(byType[t]!.result, t).toBe('accepted');
    for (const t of ['ec-p256', 'ec-p384', 'ed25519']) {
      expect(byType[t]!.result, t).toBe('refused');
      expect(byType[t]!.coveredBySignatureAlgorithms, t).toBe(false);
    }
    expect(k.evidence.signatureAlgorithms).toEqual(['rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pkcs1_sha256']);
    expect(k.evidence.clientKeyCovered).toBe(false);
    expect(k.evidence.clientChainSignatures).toMatchObject([{ schemes: ['ecdsa_secp256r1_sha256'], covered: false }]);
    expect(k.message).toMatch(/ECDSA P-256 refused at .*alert/);
    expect(k.message).toMatch(/offer no scheme for the client's ECDSA P-256 key/);
    expect((k.evidence.control as { what: string }).what).toMatch(/RSA-2048/);
  });
  it('-client_sigalgs without ed25519: only the Ed25519 client refused (warn, a policy choice), the others accepted', async () => {
    const sigalgs = 'ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384:rsa_pss_rsae_sha256:rsa_pkcs1_sha256';
    const r = await withServer(
      () => startOpensslServer({ pki, mode: 'required', tls: tlsVersion, extraArgs: ['-client_sigalgs', sigalgs] }),
      (s) => live(s.port, opts),
    );
    const k = r['handshake.client-key-types']!;
    expect(k.status, k.message).toBe('warn');
    const results = Object.fromEntries((k.evidence.keyTypes as { type: string; result: string }[]).map((x) => [x.type, x.result]));
    expect(results).toEqual({
      'rsa-2048': 'accepted',
      'rsa-3072': 'accepted',
      'rsa-4096': 'accepted',
      'ec-p256': 'accepted',
      'ec-p384': 'accepted',
      ed25519: 'refused',
    });
    expect(k.message).toMatch(
      /^Ed25519 refused at .* \(the CertificateRequest offers no signature scheme for it\), while the ECDSA P-256 client minted from the same CA was accepted/,
    );
  });
});

describe.skipIf(noOpenssl)('without --ca: the look-alike CA takes the advertised name as sent', () => {
  it("chain.rejects-untrusted-ca-client mints the look-alike from the CertificateRequest's DER name (UTF8String kept) and it is refused", async () => {
    const r = await withServer(
      () => startOpensslServer({ pki, mode: 'required' }),
      async (s) => {
        const out = path.join(dir, 'no-ca.json');
        const argv = ['run', '--target', `127.0.0.1:${s.port}`, '--servername', 'localhost', '--cert', files.client, '--key', files.clientKey];
        await runCli([...argv, '--check', 'chain.rejects-untrusted-ca-client', '--json', out], {
          stdout: { write: () => undefined },
          stderr: { write: () => undefined },
          env: { NO_COLOR: '1' },
        });
        return (JSON.parse(await fs.readFile(out, 'utf8')) as { results: ReportResult[] }).results[0]!;
      },
    );
    expect(r.status, r.message).toBe('pass');
    expect((r.evidence.presentedCertificate as { issuer: string }).issuer).toBe(pki.root.cert.subject);
  });
});

describe.skipIf(noOpenssl || noNginx)('nginx', () => {
  it("the client's CA only in ssl_trusted_certificate, another in ssl_client_certificate: accepted, but fail (not advertised)", async () => {
    const r = await withServer(
      () => startNginx({ pki, verify: 'on', clientCertificate: other, trustedCertificate: files.root }),
      (s) => live(s.port),
    );
    expect(r['handshake.accepts-valid-client-cert']!.status).toBe('pass');
    const a = r['handshake.advertised-cas-cover-client']!;
    expect(a.status, a.message).toBe('fail');
    expect(a.evidence.advertisedCaNames).toEqual(['CN=Some Other Client CA, O=elsewhere']);
    expect(a.evidence.clientIssuerChain).toEqual([pki.root.cert.subject]);
    expect(r['handshake.client-key-types']!.status).toBe('pass');
  });
});

describe.skipIf(noOpenssl || !!noGo)('Go crypto/tls (tls.Config.ClientCAs)', () => {
  let goDir: string;
  let bin: string;
  beforeAll(async () => {
    goDir = await goTempDir();
    bin = await buildGoServer(goDir);
  }, 300_000);
  afterAll(async () => {
    if (goDir) await fs.rm(goDir, { recursive: true, force: true });
  });

  it("ClientCAs = the client's root: its subject advertised byte for byte (pass); every key type accepted", async () => {
    const r = await withServer(
      () => startGoServer(bin, { cert: files.serverChain, key: files.serverKey, clientCa: files.root, clientAuth: 'require-and-verify' }),
      (s) => live(s.port),
    );
    expect(r['handshake.advertised-cas-cover-client']!.status, r['handshake.advertised-cas-cover-client']!.message).toBe('pass');
    const k = r['handshake.client-key-types']!;
    expect(k.status, k.message).toBe('pass');
  });

  it('ClientCAs = another CA, RequireAnyClientCert: the client is accepted unverified, but its issuer is not advertised (fail)', async () => {
    const r = await withServer(
      () => startGoServer(bin, { cert: files.serverChain, key: files.serverKey, clientCa: other, clientAuth: 'require-any' }),
      (s) => live(s.port),
    );
    expect(r['handshake.accepts-valid-client-cert']!.status).toBe('pass');
    const a = r['handshake.advertised-cas-cover-client']!;
    expect(a.status, a.message).toBe('fail');
    expect(a.evidence.advertisedCaNames).toEqual(['CN=Some Other Client CA, O=elsewhere']);
  });
});
