// Reading what users hand the harness: PEM/DER certificates and bundles, private keys (plain,
// encrypted, traditional), key↔certificate matching and the certificate summary (chain order:
// src/rules/chain-order.test.ts).
// openssl is the independent reference for encodings, fingerprints and dates.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHarnessError, type ErrorCode } from '../core/errors.js';
import { addDays, fixedClock } from '../core/clock.js';
import { mintCertificate, mintFixturePki, type Credential, type FixturePki } from './generate.js';
import {
  isIssuedBy,
  keyMatchesCertificate,
  loadCaFile,
  loadCredentialFiles,
  parseCertificates,
  parsePemBlocks,
  parsePrivateKey,
  summarizeCertificate,
} from './inspect.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const clock = fixedClock(NOW);
const SPIFFE = 'spiffe://td.example/ns/a/sa/b';
let pki: FixturePki;
let rsa: Credential;
let dir: string;

function opensslRaw(args: string[], input?: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = execFile('openssl', args, { encoding: 'buffer' }, (err, stdout, stderr) =>
      err ? reject(new Error(`openssl ${args.join(' ')}: ${stderr.toString()}`)) : resolve(stdout),
    );
    p.stdin!.end(input ?? '');
  });
}
const openssl = async (args: string[], input?: string | Buffer) => (await opensslRaw(args, input)).toString();

/** The HarnessError code thrown by fn ('no error' when it returns). */
function codeOf(fn: () => unknown): ErrorCode | 'no error' {
  try {
    fn();
  } catch (e) {
    if (isHarnessError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

const x = (pem: string) => new X509Certificate(pem);
const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');
async function write(name: string, content: string | Buffer): Promise<string> {
  const f = path.join(dir, name);
  await fs.writeFile(f, content, { mode: 0o600 });
  return f;
}

beforeAll(async () => {
  [pki, rsa] = await Promise.all([
    mintFixturePki({ clock, clientUri: SPIFFE }),
    mintCertificate({
      subject: 'CN=rsa.example',
      keyType: 'rsa-2048',
      notBefore: NOW,
      notAfter: addDays(NOW, 10),
      sans: { dns: ['rsa.example'] },
      eku: ['serverAuth', 'clientAuth'],
    }),
  ]);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-inspect-'));
});
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('parsing certificates', () => {
  it('a PEM bundle: several certificates in order, junk text between blocks, mixed CRLF line endings', () => {
    const bundle = `subject=whatever\r\nissuer=something\r\n${crlf(pki.server.certPem)}some text\n\n${pki.intermediate.certPem}Bag Attributes: x\r\n${crlf(pki.root.certPem)}trailing`;
    const certs = parseCertificates(bundle, 'bundle.pem');
    expect(certs.map((c) => c.fingerprint256)).toEqual([pki.server, pki.intermediate, pki.root].map((c) => x(c.certPem).fingerprint256));
  });

  it('non-certificate blocks in a bundle are skipped (a key next to its certificate)', () => {
    const certs = parseCertificates(pki.client.keyPem + pki.client.certPem, 'combined.pem');
    expect(certs).toHaveLength(1);
    expect(certs[0]!.fingerprint256).toBe(x(pki.client.certPem).fingerprint256);
  });

  it('DER as openssl writes it, from a Buffer', async () => {
    const der = await opensslRaw(['x509', '-outform', 'DER'], pki.client.certPem);
    expect(der[0]).toBe(0x30);
    const [c, ...rest] = parseCertificates(der, 'client.der');
    expect(rest).toHaveLength(0);
    expect(c!.fingerprint256).toBe(x(pki.client.certPem).fingerprint256);
  });

  it('malformed PEM is pki.malformed-pem and names the source', () => {
    const bad = (s: string) => codeOf(() => parseCertificates(s, 'bad.pem'));
    expect(bad('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n')).toBe('pki.malformed-pem'); // not base64
    expect(bad('-----BEGIN CERTIFICATE-----\nQUJD\n')).toBe('pki.malformed-pem'); // truncated: no END
    expect(bad(pki.client.certPem.slice(0, 200))).toBe('pki.malformed-pem'); // truncated real cert
    expect(bad('-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n')).toBe('pki.malformed-pem'); // base64 but not X.509
    expect(bad('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n')).toBe('pki.malformed-pem'); // empty body
    expect(bad(pki.client.certPem + '-----BEGIN CERTIFICATE-----\nQUJD')).toBe('pki.malformed-pem'); // a good block then a broken one
    expect(bad('hello')).toBe('pki.malformed-pem'); // neither PEM nor DER
    expect(codeOf(() => parsePemBlocks('-----BEGIN A-----\nQUJD\n-----END B-----\n'))).toBe('pki.malformed-pem'); // labels differ
    let err: unknown;
    try {
      parseCertificates('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n', 'named-source.pem');
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toContain('named-source.pem');
    expect(isHarnessError(err) && err.isUsageError).toBe(true); // exit code 2
  });

  it('PEM without a certificate is pki.no-certificate (a key, a CSR)', async () => {
    expect(codeOf(() => parseCertificates(pki.client.keyPem, 'key.pem'))).toBe('pki.no-certificate');
    const csr = await openssl(['req', '-new', '-key', await write('csr.key', pki.client.keyPem), '-subj', '/CN=csr']);
    expect(csr).toContain('BEGIN CERTIFICATE REQUEST');
    expect(codeOf(() => parseCertificates(csr, 'req.csr'))).toBe('pki.no-certificate');
    expect(codeOf(() => loadCaFile(path.join(dir, 'csr.key')))).toBe('pki.no-certificate');
  });

  it('parsePemBlocks: labels and DER of every block, with RFC 1421 headers dropped', () => {
    const blocks = parsePemBlocks(`x\n${pki.client.certPem}y\n${pki.client.keyPem}`);
    expect(blocks.map((b) => b.label)).toEqual(['CERTIFICATE', 'PRIVATE KEY']);
    expect(blocks[0]!.der.equals(x(pki.client.certPem).raw)).toBe(true);
    expect(parsePemBlocks('no pem here')).toEqual([]);
  });
});

describe('loading files', () => {
  it('loadCaFile: a bundle of CAs, normalised PEM', async () => {
    const f = await write('ca-bundle.pem', `# my CAs\r\n${crlf(pki.root.certPem)}\r\n${crlf(pki.intermediate.certPem)}`);
    const ca = loadCaFile(f);
    expect(ca.certs.map((c) => c.subject)).toEqual([x(pki.root.certPem).subject, x(pki.intermediate.certPem).subject]);
    expect(ca.pem).toBe(pki.root.certPem + pki.intermediate.certPem);
  });

  it('loadCredentialFiles: chain order kept; key mismatch, missing and unreadable files are coded', async () => {
    const chain = await write('chain.pem', pki.badClients.intermediateIssued.chainPem);
    const key = await write('key.pem', pki.badClients.intermediateIssued.keyPem);
    const other = await write('other.key', pki.client.keyPem);
    const l = loadCredentialFiles(chain, key);
    expect(l.chain.map((c) => c.subject)).toEqual([x(pki.badClients.intermediateIssued.certPem).subject, x(pki.intermediate.certPem).subject]);
    expect(l.certPem).toBe(pki.badClients.intermediateIssued.chainPem);
    expect(l.keyPem).toBe(pki.badClients.intermediateIssued.keyPem);
    expect(codeOf(() => loadCredentialFiles(chain, other))).toBe('pki.key-mismatch');
    expect(codeOf(() => loadCredentialFiles(path.join(dir, 'missing.pem'), key))).toBe('pki.file-missing');
    expect(codeOf(() => loadCredentialFiles(chain, path.join(dir, 'missing.key')))).toBe('pki.file-missing');
    expect(codeOf(() => loadCredentialFiles(dir, key))).toBe('pki.file-unreadable');
    expect(codeOf(() => loadCredentialFiles(key, key))).toBe('pki.no-certificate');
    expect(codeOf(() => loadCredentialFiles(chain, chain))).toBe('pki.no-private-key');
  });

  it('loadCredentialFiles with an encrypted key: needs the passphrase, returns the decrypted PKCS#8', async () => {
    const cert = await write('c.pem', pki.client.certPem);
    const enc = await write('c.enc.key', await openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', 'pass:s3cret'], pki.client.keyPem));
    expect(codeOf(() => loadCredentialFiles(cert, enc))).toBe('pki.encrypted-key');
    expect(codeOf(() => loadCredentialFiles(cert, enc, 'nope'))).toBe('pki.bad-passphrase');
    expect(loadCredentialFiles(cert, enc, 's3cret').keyPem).toBe(pki.client.keyPem);
  });
});

describe('private keys', () => {
  it('matches a key to its certificate and not to another (EC and RSA, across types)', async () => {
    // A second RSA pair made by openssl itself, independent of our generator.
    const keyFile = path.join(dir, 'osl-rsa.key');
    const oslCert = await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-subj', '/CN=openssl-rsa', '-days', '1']);
    const oslKey = await fs.readFile(keyFile, 'utf8');
    expect(keyMatchesCertificate(parsePrivateKey(pki.client.keyPem), x(pki.client.certPem))).toBe(true);
    expect(keyMatchesCertificate(parsePrivateKey(pki.server.keyPem), x(pki.client.certPem))).toBe(false); // EC vs EC
    expect(keyMatchesCertificate(parsePrivateKey(rsa.keyPem), x(rsa.certPem))).toBe(true);
    expect(keyMatchesCertificate(parsePrivateKey(oslKey), x(oslCert))).toBe(true);
    expect(keyMatchesCertificate(parsePrivateKey(oslKey), x(rsa.certPem))).toBe(false); // RSA vs RSA
    expect(keyMatchesCertificate(parsePrivateKey(rsa.keyPem), x(oslCert))).toBe(false);
    expect(keyMatchesCertificate(parsePrivateKey(rsa.keyPem), x(pki.client.certPem))).toBe(false); // RSA key, EC cert
    expect(keyMatchesCertificate(parsePrivateKey(pki.client.keyPem), x(rsa.certPem))).toBe(false); // EC key, RSA cert
  });

  it('encrypted PKCS#8 (openssl pkcs8 -topk8 -v2 aes-256-cbc): coded errors without or with a wrong passphrase', async () => {
    const enc = await openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', 'pass:x'], pki.client.keyPem);
    expect(enc).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    expect(codeOf(() => parsePrivateKey(enc, 'k.pem'))).toBe('pki.encrypted-key');
    expect(codeOf(() => parsePrivateKey(enc, 'k.pem', 'wrong'))).toBe('pki.bad-passphrase');
    expect(codeOf(() => parsePrivateKey(enc, 'k.pem', ''))).toBe('pki.bad-passphrase');
    expect(keyMatchesCertificate(parsePrivateKey(enc, 'k.pem', 'x'), x(pki.client.certPem))).toBe(true);
    const encRsa = await openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', 'pass:x'], rsa.keyPem);
    expect(codeOf(() => parsePrivateKey(encRsa, 'r.pem'))).toBe('pki.encrypted-key');
    expect(keyMatchesCertificate(parsePrivateKey(encRsa, 'r.pem', 'x'), x(rsa.certPem))).toBe(true);
  });

  it('encrypted PKCS#8 in DER: the same three outcomes', async () => {
    const encDer = await opensslRaw(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', 'pass:x', '-outform', 'DER'], pki.client.keyPem);
    expect(codeOf(() => parsePrivateKey(encDer, 'k.der'))).toBe('pki.encrypted-key');
    expect(codeOf(() => parsePrivateKey(encDer, 'k.der', 'wrong'))).toBe('pki.bad-passphrase');
    expect(keyMatchesCertificate(parsePrivateKey(encDer, 'k.der', 'x'), x(pki.client.certPem))).toBe(true);
  });

  it('traditional keys: SEC1 and PKCS#1, plain and with legacy PEM encryption (Proc-Type)', async () => {
    const sec1 = await openssl(['ec'], pki.client.keyPem);
    expect(sec1).toContain('BEGIN EC PRIVATE KEY');
    expect(keyMatchesCertificate(parsePrivateKey(sec1), x(pki.client.certPem))).toBe(true);
    const pkcs1 = await openssl(['pkey', '-traditional'], rsa.keyPem);
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    expect(keyMatchesCertificate(parsePrivateKey(pkcs1), x(rsa.certPem))).toBe(true);
    const legacy = await openssl(['ec', '-aes128', '-passout', 'pass:x'], pki.client.keyPem);
    expect(legacy).toMatch(/Proc-Type: 4,ENCRYPTED/);
    expect(codeOf(() => parsePrivateKey(legacy))).toBe('pki.encrypted-key');
    expect(codeOf(() => parsePrivateKey(legacy, 'k', 'y'))).toBe('pki.bad-passphrase');
    expect(keyMatchesCertificate(parsePrivateKey(legacy, 'k', 'x'), x(pki.client.certPem))).toBe(true);
  });

  it('DER keys (PKCS#8, SEC1, PKCS#1) and coded errors for non-keys', async () => {
    for (const args of [
      ['pkey', '-outform', 'DER'],
      ['ec', '-outform', 'DER'],
    ]) {
      const der = await opensslRaw(args, pki.client.keyPem);
      expect(keyMatchesCertificate(parsePrivateKey(der, 'k.der'), x(pki.client.certPem))).toBe(true);
    }
    const rsaDer = await opensslRaw(['rsa', '-outform', 'DER', '-traditional'], rsa.keyPem);
    expect(keyMatchesCertificate(parsePrivateKey(rsaDer, 'r.der'), x(rsa.certPem))).toBe(true);
    expect(codeOf(() => parsePrivateKey(pki.client.certPem, 'cert.pem'))).toBe('pki.no-private-key');
    expect(codeOf(() => parsePrivateKey(x(pki.client.certPem).raw, 'cert.der'))).toBe('pki.malformed-pem');
    expect(codeOf(() => parsePrivateKey('-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n'))).toBe('pki.malformed-pem');
  });
});

describe('isIssuedBy', () => {
  it('isIssuedBy needs the issuer name and the issuer key', () => {
    expect(isIssuedBy(x(pki.server.certPem), x(pki.intermediate.certPem))).toBe(true);
    expect(isIssuedBy(x(pki.intermediate.certPem), x(pki.root.certPem))).toBe(true);
    expect(isIssuedBy(x(pki.root.certPem), x(pki.root.certPem))).toBe(true);
    expect(isIssuedBy(x(pki.intermediate.certPem), x(pki.server.certPem))).toBe(false);
    // same name as the root, another key
    expect(isIssuedBy(x(pki.badClients.untrustedCa.certPem), x(pki.root.certPem))).toBe(false);
    expect(isIssuedBy(x(pki.badClients.untrustedCa.certPem), x(pki.badClients.untrustedCaIssuer.certPem))).toBe(true);
  });
});

describe('summary', () => {
  it('fields of the client leaf: SPIFFE URI SAN, EKU, KU, basic constraints, days left by the injected clock', () => {
    const s = summarizeCertificate(pki.client.cert, clock);
    expect(s).toMatchObject({
      subject: 'CN=mtls-harness client, O=mtls-harness',
      issuer: 'CN=mtls-harness Test Root CA, O=mtls-harness',
      sans: { dns: [], ip: [], uri: [SPIFFE], email: [], other: [] },
      keyUsage: ['digitalSignature'],
      basicConstraints: { ca: false, critical: true },
      notBefore: addDays(NOW, -1 / 24).toISOString(),
      notAfter: addDays(NOW, 365).toISOString(),
      daysLeft: 365,
      expired: false,
      notYetValid: false,
      publicKey: { type: 'EC', curve: 'P-256', bits: 256 },
      selfIssued: false,
    });
    // a plain array (the summary is plain data for reports)
    expect(s.extKeyUsage).toStrictEqual(['clientAuth']);
    expect(s.signatureAlgorithm).toMatch(/sha-?256.*ecdsa/i);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('server and CA fields: DNS and IPv4/IPv6 SANs, serverAuth, pathLength', () => {
    const s = summarizeCertificate(pki.server.cert, clock);
    expect(s.sans).toEqual({ dns: ['localhost'], ip: ['127.0.0.1', '::1'], uri: [], email: [], other: [] });
    expect(s.extKeyUsage).toStrictEqual(['serverAuth']);
    expect(summarizeCertificate(pki.root.cert, clock).basicConstraints).toEqual({ ca: true, pathLength: 1, critical: true });
    expect(summarizeCertificate(pki.intermediate.cert, clock).basicConstraints).toEqual({ ca: true, pathLength: 0, critical: true });
    expect(summarizeCertificate(pki.intermediate.cert, clock).keyUsage).toEqual(['digitalSignature', 'keyCertSign', 'cRLSign']);
    expect(summarizeCertificate(pki.root.cert, clock).selfIssued).toBe(true);
    const multi = summarizeCertificate(rsa.cert, clock);
    expect(multi.extKeyUsage).toEqual(['serverAuth', 'clientAuth']);
    expect(multi.keyUsage).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(multi.publicKey).toEqual({ type: 'RSA', bits: 2048 });
    expect(multi.signatureAlgorithm).toMatch(/sha-?256.*rsa/i);
  });

  it('the same summary from a node X509Certificate, a peculiar certificate and DER', () => {
    const fromPeculiar = summarizeCertificate(pki.server.cert, clock);
    expect(summarizeCertificate(x(pki.server.certPem), clock)).toEqual(fromPeculiar);
    expect(summarizeCertificate(x(pki.server.certPem).raw, clock)).toEqual(fromPeculiar);
  });

  it('days left, expired and not-yet-valid follow the injected clock', () => {
    const at = (days: number) => summarizeCertificate(pki.client.cert, fixedClock(addDays(NOW, days)));
    expect(at(0).daysLeft).toBe(365);
    expect(at(0.5).daysLeft).toBe(364);
    expect(at(364.5)).toMatchObject({ daysLeft: 0, expired: false });
    expect(at(366)).toMatchObject({ daysLeft: -1, expired: true });
    expect(at(-1)).toMatchObject({ notYetValid: true, expired: false });
    expect(summarizeCertificate(pki.badServers.expiring.cert, clock).daysLeft).toBe(3);
    expect(summarizeCertificate(pki.badServers.expired.cert, clock)).toMatchObject({ daysLeft: -1, expired: true });
    expect(summarizeCertificate(pki.badClients.notYetValid.cert, clock)).toMatchObject({ notYetValid: true, expired: false });
  });

  it("fingerprint, serial and dates equal openssl's", async () => {
    for (const c of [pki.server, pki.client, rsa]) {
      const s = summarizeCertificate(c.cert, clock);
      const out = await openssl(['x509', '-noout', '-fingerprint', '-sha256', '-serial', '-dates'], c.certPem);
      expect(out).toContain(`sha256 Fingerprint=${s.fingerprintSha256}\n`);
      expect(s.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      expect(
        out
          .match(/^serial=([0-9A-F]+)$/m)![1]!
          .toLowerCase()
          .replace(/^0+/, ''),
      ).toBe(s.serialNumber.replace(/^0+/, ''));
      expect(new Date(out.match(/^notBefore=(.*)$/m)![1]!).toISOString()).toBe(s.notBefore);
      expect(new Date(out.match(/^notAfter=(.*)$/m)![1]!).toISOString()).toBe(s.notAfter);
    }
  });
});
