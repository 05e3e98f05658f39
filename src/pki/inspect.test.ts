import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHarnessError } from '../errors.js';
import { addDays, fixedClock } from './clock.js';
import { mintCertificate, mintFixturePki, type FixturePki } from './generate.js';
import { checkChainOrder, keyMatchesCertificate, loadCredentialFiles, parseCertificates, parsePemBlocks, parsePrivateKey, summarizeCertificate } from './inspect.js';
import { sanCovers, verifyChain } from './verify.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const clock = fixedClock(NOW);
let pki: FixturePki;
let dir: string;

function openssl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = execFile('openssl', args, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)));
    if (input !== undefined) p.stdin!.end(input);
  });
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isHarnessError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

const x = (pem: string) => new X509Certificate(pem);

beforeAll(async () => {
  pki = await mintFixturePki({ clock, clientUri: 'spiffe://td.example/ns/a/sa/b' });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-inspect-'));
});
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('parsing', () => {
  it('reads a PEM bundle with junk between blocks and CRLF line endings', () => {
    const bundle = `subject=whatever\r\n${pki.server.certPem.replace(/\n/g, '\r\n')}some text\n${pki.intermediate.certPem}trailing`;
    const certs = parseCertificates(bundle, 'bundle.pem');
    expect(certs.map((c) => c.subject)).toEqual([x(pki.server.certPem).subject, x(pki.intermediate.certPem).subject]);
  });

  it('reads DER as openssl writes it', async () => {
    const file = path.join(dir, 'client.der');
    await openssl(['x509', '-outform', 'DER', '-out', file], pki.client.certPem);
    const [c, ...rest] = parseCertificates(await fs.readFile(file), file);
    expect(rest).toHaveLength(0);
    expect(c!.fingerprint256).toBe(x(pki.client.certPem).fingerprint256);
  });

  it('coded errors for malformed input', () => {
    expect(codeOf(() => parseCertificates('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n'))).toBe('pki.malformed-pem');
    expect(codeOf(() => parseCertificates('-----BEGIN CERTIFICATE-----\nQUJD\n'))).toBe('pki.malformed-pem');
    expect(codeOf(() => parseCertificates('-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n'))).toBe('pki.malformed-pem');
    expect(codeOf(() => parseCertificates(pki.client.keyPem))).toBe('pki.no-certificate');
    expect(codeOf(() => parseCertificates('hello'))).toBe('pki.malformed-pem');
    expect(codeOf(() => parsePemBlocks('-----BEGIN A-----\nQUJD\n-----END B-----\n'))).toBe('pki.malformed-pem');
  });
});

describe('summary', () => {
  it('fields of the client leaf, with days left by the injected clock', () => {
    const s = summarizeCertificate(pki.client.cert, clock);
    expect(s.subject).toBe('CN=mtls-harness client, O=mtls-harness');
    expect(s.issuer).toBe('CN=mtls-harness Test Root CA, O=mtls-harness');
    expect(s.sans.uri).toEqual(['spiffe://td.example/ns/a/sa/b']);
    expect(s.extKeyUsage).toEqual(['clientAuth']);
    expect(s.keyUsage).toEqual(['digitalSignature']);
    expect(s.basicConstraints).toEqual({ ca: false, critical: true });
    expect(s.daysLeft).toBe(365);
    expect(summarizeCertificate(pki.client.cert, fixedClock(addDays(NOW, 400))).expired).toBe(true);
    expect(s.signatureAlgorithm).toMatch(/sha-?256.*ecdsa/i);
    expect(s.serialNumber.toLowerCase()).toBe(pki.client.cert.serialNumber.toLowerCase());
  });

  it('SHA-256 fingerprint equals openssl\'s', async () => {
    const out = await openssl(['x509', '-noout', '-fingerprint', '-sha256'], pki.server.certPem);
    expect(`sha256 Fingerprint=${summarizeCertificate(pki.server.cert, clock).fingerprintSha256}`).toBe(out.trim());
  });

  it('RSA key size', async () => {
    const c = await mintCertificate({ subject: 'CN=r', keyType: 'rsa-2048', notBefore: NOW, notAfter: addDays(NOW, 1) });
    expect(summarizeCertificate(c.cert, clock).publicKey).toMatchObject({ type: 'RSA', bits: 2048 });
  });
});

describe('keys', () => {
  it('matches a key to its certificate and not to another (EC and RSA)', async () => {
    const rsa = await mintCertificate({ subject: 'CN=r', keyType: 'rsa-2048', notBefore: NOW, notAfter: addDays(NOW, 1) });
    expect(keyMatchesCertificate(parsePrivateKey(pki.client.keyPem), x(pki.client.certPem))).toBe(true);
    expect(keyMatchesCertificate(parsePrivateKey(pki.server.keyPem), x(pki.client.certPem))).toBe(false);
    expect(keyMatchesCertificate(parsePrivateKey(rsa.keyPem), x(rsa.certPem))).toBe(true);
    expect(keyMatchesCertificate(parsePrivateKey(rsa.keyPem), x(pki.client.certPem))).toBe(false);
  });

  it('encrypted keys: a coded error without passphrase or with a wrong one, the key with the right one', async () => {
    const enc = await openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', 'pass:correct horse'], pki.client.keyPem);
    expect(enc).toContain('ENCRYPTED PRIVATE KEY');
    expect(codeOf(() => parsePrivateKey(enc, 'k.pem'))).toBe('pki.encrypted-key');
    expect(codeOf(() => parsePrivateKey(enc, 'k.pem', 'wrong'))).toBe('pki.bad-passphrase');
    expect(keyMatchesCertificate(parsePrivateKey(enc, 'k.pem', 'correct horse'), x(pki.client.certPem))).toBe(true);
  });

  it('traditional (PKCS#1/SEC1) keys parse too', async () => {
    const sec1 = await openssl(['ec', '-outform', 'PEM'], pki.client.keyPem);
    expect(sec1).toContain('BEGIN EC PRIVATE KEY');
    expect(keyMatchesCertificate(parsePrivateKey(sec1), x(pki.client.certPem))).toBe(true);
  });

  it('loadCredentialFiles: mismatch is pki.key-mismatch; a chain file keeps its order', async () => {
    await fs.writeFile(path.join(dir, 'chain.pem'), pki.badClients.intermediateIssued.chainPem);
    await fs.writeFile(path.join(dir, 'key.pem'), pki.badClients.intermediateIssued.keyPem, { mode: 0o600 });
    await fs.writeFile(path.join(dir, 'other.pem'), pki.client.keyPem, { mode: 0o600 });
    const l = loadCredentialFiles(path.join(dir, 'chain.pem'), path.join(dir, 'key.pem'));
    expect(l.chain).toHaveLength(2);
    expect(l.keyPem).toContain('BEGIN PRIVATE KEY');
    expect(codeOf(() => loadCredentialFiles(path.join(dir, 'chain.pem'), path.join(dir, 'other.pem')))).toBe('pki.key-mismatch');
    expect(codeOf(() => loadCredentialFiles(path.join(dir, 'missing.pem'), path.join(dir, 'key.pem')))).toBe('pki.file-missing');
    expect(codeOf(() => loadCredentialFiles(dir, path.join(dir, 'key.pem')))).toBe('pki.file-unreadable');
  });
});

describe('chain order', () => {
  it('leaf, intermediate is ordered; reversed is reported; a sent root is noted; strangers are unrelated', () => {
    const leaf = x(pki.server.certPem);
    const int = x(pki.intermediate.certPem);
    const root = x(pki.root.certPem);
    const other = x(pki.badClients.selfSigned.certPem);
    expect(checkChainOrder([leaf, int])).toMatchObject({ ok: true, ordered: true, rootSent: false, unrelated: [] });
    const reversed = checkChainOrder([int, leaf]);
    expect(reversed.ordered).toBe(false);
    expect(reversed.issues[0]).toMatch(/is not issued by certificate #2/);
    expect(checkChainOrder([leaf, int, root])).toMatchObject({ ok: true, rootSent: true });
    expect(checkChainOrder([leaf, int, other])).toMatchObject({ ok: false, unrelated: [2] });
  });
});

describe('verifyChain', () => {
  const anchors = () => [x(pki.root.certPem)];
  it('builds leaf → intermediate → root', () => {
    const v = verifyChain([x(pki.server.certPem), x(pki.intermediate.certPem)], anchors(), clock);
    expect(v.ok).toBe(true);
    expect(v.anchor).toBe(x(pki.root.certPem).subject.replace(/\n/g, ', '));
    expect(v.path).toHaveLength(3);
  });

  it('names the missing intermediate', () => {
    const v = verifyChain([x(pki.server.certPem)], anchors(), clock);
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.code)).toEqual(['issuer-missing']);
    expect(v.missingIssuer).toContain('Intermediate');
  });

  it('a look-alike CA with the trusted name is not trusted', () => {
    const v = verifyChain([x(pki.badClients.untrustedCa.certPem)], anchors(), clock);
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.code)).toEqual(expect.arrayContaining([expect.stringMatching(/untrusted|signature-mismatch|issuer-missing/)]));
  });

  it('dates by the injected clock', () => {
    expect(verifyChain([x(pki.badServers.expired.certPem), x(pki.intermediate.certPem)], anchors(), clock).problems.map((p) => p.code)).toContain('expired');
    expect(verifyChain([x(pki.badClients.notYetValid.certPem)], anchors(), clock).problems.map((p) => p.code)).toContain('not-yet-valid');
    expect(verifyChain([x(pki.badClients.notYetValid.certPem)], anchors(), fixedClock(addDays(NOW, 2))).ok).toBe(true);
    expect(verifyChain([], anchors(), clock).problems[0]!.code).toBe('empty');
  });
});

describe('sanCovers (RFC 6125)', () => {
  let wild: X509Certificate;
  beforeAll(async () => {
    const c = await mintCertificate({ subject: 'CN=ignored.example', notBefore: NOW, notAfter: addDays(NOW, 1), sans: { dns: ['*.svc.example', 'exact.example'], ip: ['10.1.2.3', '2001:db8::1'] } });
    wild = x(c.certPem);
  });
  it.each([
    ['exact.example', true],
    ['EXACT.example', true],
    ['a.svc.example', true],
    ['a.b.svc.example', false],
    ['svc.example', false],
    ['ignored.example', false],
    ['10.1.2.3', true],
    ['10.1.2.4', false],
    ['2001:db8::1', true],
  ])('%s → %s', (name, covered) => {
    expect(sanCovers(wild, name)).toBe(covered);
  });
  it('no partial-label wildcards, and CN is never used', async () => {
    const c = await mintCertificate({ subject: 'CN=localhost', notBefore: NOW, notAfter: addDays(NOW, 1), sans: { dns: ['api*.example'] } });
    expect(sanCovers(x(c.certPem), 'api1.example')).toBe(false);
    expect(sanCovers(x(pki.badServers.cnOnly.certPem), 'localhost')).toBe(false);
  });
});
