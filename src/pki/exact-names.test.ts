// "Copy, don't re-encode": a certificate minted from a CA we were given carries that CA's subject
// as its issuer byte for byte (RFC 5280 §4.1.2.4; Go and GnuTLS match parents by these bytes), and
// its AKI is the CA's SKI. The CAs here are made by the openssl CLI, with the encodings a real CA
// has: UTF8String (OpenSSL's default string_mask utf8only), BMPString, T61String, a multi-valued RDN.
import { execFile, spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../core/clock.js';
import { x509 } from './crypto.js';
import { certificateParts, children, element, issuerDer, readTlv, subjectDer } from './der.js';
import { credentialFromPem, exactNames, mintCertificate, reissue, type Credential } from './generate.js';

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
if (!HAVE_OPENSSL) console.warn('SKIPPED the openssl-made CA tests: openssl not installed (apt-get install openssl)');

function openssl(args: string[], cwd: string): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => execFile('openssl', args, { cwd }, (err, stdout, stderr) => resolve({ ok: !err, out: stdout + stderr })));
}

/** Every string tag inside a DER Name (0x0c UTF8String, 0x13 PrintableString, 0x14 T61String, 0x1e BMPString…). */
function stringTags(name: Buffer): number[] {
  const tags: number[] = [];
  for (const rdn of children(name, readTlv(name, 0))) {
    for (const atv of children(name, rdn)) {
      const [, value] = children(name, atv);
      tags.push(value!.tag);
    }
  }
  return tags;
}

const CA_EXT =
  '[req]\ndistinguished_name=dn\n[dn]\n[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n';

interface OpensslCa {
  name: string;
  cert: string;
  key: string;
  cred: Credential;
  der: Buffer;
}

let dir: string;
const cas: Record<string, OpensslCa> = {};
const now = new Date();
const start = addDays(now, -1 / 24);
const end = addDays(now, 30);

async function makeCa(name: string, subj: string, opts: { mask?: string; multi?: boolean; defaultConfig?: boolean }): Promise<OpensslCa> {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    subj,
    '-utf8',
    '-days',
    '30',
    '-keyout',
    key,
    '-out',
    cert,
  ];
  if (!opts.defaultConfig) {
    const cnf = path.join(dir, `${name}.cnf`);
    await fs.writeFile(cnf, CA_EXT.replace('distinguished_name=dn\n', `distinguished_name=dn\n${opts.mask ? `string_mask=${opts.mask}\n` : ''}`));
    args.push('-config', cnf, '-extensions', 'ca');
  }
  if (opts.multi) args.push('-multivalue-rdn');
  const r = await openssl(args, dir);
  if (!r.ok) throw new Error(r.out);
  const pem = await fs.readFile(cert, 'utf8');
  const cred = await credentialFromPem(pem, createPrivateKey(await fs.readFile(key)));
  return { name, cert, key, cred, der: new X509Certificate(pem).raw };
}

describe.skipIf(!HAVE_OPENSSL)('certificates minted from openssl-made CAs', () => {
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-names-'));
    const made = await Promise.all([
      // The brief's CA: the openssl defaults (string_mask utf8only).
      makeCa('utf8', '/CN=Example Root/O=Ex', { defaultConfig: true }),
      makeCa('bmp', '/CN=Root_\u00e9/O=Ex', { mask: 'pkix' }),
      makeCa('t61', '/CN=Root_x/O=Ex', { mask: 'nombstr' }),
      makeCa('multi', '/O=Ex+CN=Multi Root/C=DE', { multi: true }),
    ]);
    for (const c of made) cas[c.name] = c;
  }, 60_000);
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('the CAs have the encodings they claim (UTF8String 0x0c, BMPString 0x1e, T61String 0x14, a two-valued RDN)', () => {
    expect(stringTags(subjectDer(cas.utf8!.der))).toEqual([0x0c, 0x0c]);
    expect(stringTags(subjectDer(cas.bmp!.der))).toContain(0x1e);
    expect(stringTags(subjectDer(cas.t61!.der))).toContain(0x14);
    const multi = subjectDer(cas.multi!.der);
    expect(children(multi, readTlv(multi, 0)).map((rdn) => children(multi, rdn).length)).toContain(2);
  });

  it('credentialFromPem keeps the original certificate bytes', () => {
    for (const ca of Object.values(cas)) {
      expect(Buffer.from(ca.cred.cert.rawData).equals(ca.der), ca.name).toBe(true);
      expect(new X509Certificate(ca.cred.certPem).raw.equals(ca.der), ca.name).toBe(true);
    }
  });

  it.each(['utf8', 'bmp', 't61', 'multi'])(
    "%s: a leaf minted from it names the CA byte for byte, with the CA's SKI as AKI, and openssl verify accepts it",
    async (name) => {
      const ca = cas[name]!;
      const leaf = await mintCertificate({
        subject: 'CN=crafted client, O=mtls-harness',
        issuer: ca.cred,
        notBefore: start,
        notAfter: end,
        eku: ['clientAuth'],
      });
      expect(issuerDer(leaf.cert.rawData).equals(subjectDer(ca.der))).toBe(true);
      const ski = ca.cred.cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
      expect(leaf.cert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(ski);
      const f = path.join(dir, `${name}-leaf.pem`);
      await fs.writeFile(f, leaf.certPem);
      const r = await openssl(['verify', '-CAfile', ca.cert, '-purpose', 'sslclient', f], dir);
      expect(r.out).toMatch(/: OK/);
      expect(r.ok).toBe(true);

      // Through a harness-minted intermediate too.
      const int = await mintCertificate({
        subject: 'CN=crafted intermediate, O=mtls-harness',
        issuer: ca.cred,
        notBefore: start,
        notAfter: end,
        ca: true,
        pathLength: 0,
      });
      const leaf2 = await mintCertificate({
        subject: 'CN=crafted client 2, O=mtls-harness',
        issuer: int,
        notBefore: start,
        notAfter: end,
        eku: ['clientAuth'],
      });
      expect(issuerDer(int.cert.rawData).equals(subjectDer(ca.der))).toBe(true);
      expect(issuerDer(leaf2.cert.rawData).equals(subjectDer(int.cert.rawData))).toBe(true);
      await fs.writeFile(f, leaf2.chainPem);
      const intFile = path.join(dir, `${name}-int.pem`);
      await fs.writeFile(intFile, int.certPem);
      const r2 = await openssl(['verify', '-CAfile', ca.cert, '-untrusted', intFile, f], dir);
      expect(r2.out).toMatch(/: OK/);
    },
  );

  it.each(['utf8', 'bmp', 't61', 'multi'])(
    '%s: the look-alike CA minted from the name has the same subject bytes and another key; openssl refuses its leaf',
    async (name) => {
      const ca = cas[name]!;
      const lookAlike = await mintCertificate({ subject: subjectDer(ca.der), notBefore: start, notAfter: end, ca: true, pathLength: 1 });
      expect(subjectDer(lookAlike.cert.rawData).equals(subjectDer(ca.der))).toBe(true);
      expect(issuerDer(lookAlike.cert.rawData).equals(subjectDer(ca.der))).toBe(true);
      const spki = (c: Credential) => new X509Certificate(c.certPem).publicKey.export({ format: 'der', type: 'spki' });
      expect(spki(lookAlike).equals(spki(ca.cred))).toBe(false);
      const leaf = await mintCertificate({
        subject: 'CN=crafted client, O=mtls-harness',
        issuer: lookAlike,
        notBefore: start,
        notAfter: end,
        eku: ['clientAuth'],
      });
      expect(issuerDer(leaf.cert.rawData).equals(subjectDer(ca.der))).toBe(true);
      // Self-signed and verifiable by its own key; not by the real CA.
      expect(new X509Certificate(lookAlike.certPem).verify(new X509Certificate(lookAlike.certPem).publicKey)).toBe(true);
      const f = path.join(dir, `${name}-lookalike-leaf.pem`);
      await fs.writeFile(f, leaf.certPem);
      const r = await openssl(['verify', '-CAfile', ca.cert, f], dir);
      expect(r.ok).toBe(false);
      expect(r.out).toMatch(/certificate signature failure|unable to get local issuer|signature/i);
    },
  );

  it('reissue keeps the subject bytes of the certificate it renews', async () => {
    const leaf = await mintCertificate({ subject: subjectDer(cas.bmp!.der), issuer: cas.utf8!.cred, notBefore: start, notAfter: end, eku: ['clientAuth'] });
    const renewed = await reissue(leaf);
    expect(subjectDer(renewed.cert.rawData).equals(subjectDer(cas.bmp!.der))).toBe(true);
    expect(issuerDer(renewed.cert.rawData).equals(subjectDer(cas.utf8!.der))).toBe(true);
  });
});

describe('exactNames (when the library would re-encode a name)', () => {
  it('puts the wanted DER names in and signs again; the result verifies under the issuer key', async () => {
    const ca = await mintCertificate({ subject: 'CN=Exact Root, O=mtls-harness', notBefore: start, notAfter: end, ca: true });
    // A Name the generator never produces: UTF8String CN and a two-valued RDN.
    const atv = (oid: string, tag: number, v: string) => element(0x30, Buffer.concat([Buffer.from(oid, 'hex'), element(tag, Buffer.from(v))]));
    const want = element(0x30, element(0x31, Buffer.concat([atv('060355040a', 0x0c, 'Other'), atv('0603550403', 0x0c, 'Exact Root')])));
    const wantSubject = element(0x30, element(0x31, atv('0603550403', 0x14, 'T61 leaf')));
    for (const signer of [
      ca,
      await mintCertificate({ subject: 'CN=RSA Root', keyType: 'rsa-2048', notBefore: start, notAfter: end, ca: true }),
      await mintCertificate({ subject: 'CN=P384 Root', keyType: 'ec-p384', notBefore: start, notAfter: end, ca: true }),
    ]) {
      const leaf = await mintCertificate({ subject: 'CN=leaf', issuer: signer, notBefore: start, notAfter: end, eku: ['clientAuth'] });
      const fixed = exactNames(leaf.cert, { issuer: want, subject: wantSubject }, signer.key);
      const parts = certificateParts(fixed.rawData);
      expect(parts.issuer.equals(want)).toBe(true);
      expect(parts.subject.equals(wantSubject)).toBe(true);
      // Everything else is unchanged.
      const before = certificateParts(leaf.cert.rawData);
      expect(parts.tbsElements.filter((_, i) => i !== parts.issuerIndex && i !== parts.issuerIndex + 2)).toEqual(
        before.tbsElements.filter((_, i) => i !== before.issuerIndex && i !== before.issuerIndex + 2),
      );
      expect(new X509Certificate(Buffer.from(fixed.rawData)).verify(new X509Certificate(signer.certPem).publicKey), signer.key.type).toBe(true);
    }
    // Nothing to fix: the very same object.
    const leaf = await mintCertificate({ subject: 'CN=leaf', issuer: ca, notBefore: start, notAfter: end, eku: ['clientAuth'] });
    expect(exactNames(leaf.cert, { issuer: subjectDer(ca.cert.rawData) }, ca.key)).toBe(leaf.cert);
  });
});
