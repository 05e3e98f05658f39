// encode.ts mints what the certificate library minted before (issue 17, start-up): for the same
// key, serial, names, dates and options, the TBSCertificate is byte for byte the one the library's
// generator produces (the names then copied exactly, as mintCertificate did); plain names encode as
// the library encodes the same text; and the certificates verify (OpenSSL through node:crypto).
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { x509 } from './crypto.js';
import { certificateParts, subjectDer } from './der.js';
import { plainNameDer } from './encode.js';
import { certDer, exactNames, mintCertificate, randomSerial, type Credential, type MintOptions } from './generate.js';
import { generateKey, keyAlgorithms, type KeyType } from './keys.js';

/** The minting of before (the library's generator, then the exact names), as the reference. */
async function libraryTbs(opts: MintOptions & { serialNumber: string }, key: Credential['key']): Promise<Buffer> {
  const issuerKey = opts.issuer?.key ?? key;
  const isCa = opts.ca ?? false;
  const KU = x509.KeyUsageFlags;
  const leafUsage = KU.digitalSignature | (key.type.startsWith('rsa') ? KU.keyEncipherment : 0);
  const wantSubject = typeof opts.subject === 'string' ? undefined : Buffer.from(opts.subject as Uint8Array);
  const wantIssuer = opts.issuer ? subjectDer(opts.issuer.cert.rawData) : wantSubject;
  const subjectName = wantSubject ? new x509.Name(new Uint8Array(wantSubject)) : (opts.subject as string);
  const issuerName = wantIssuer ? new x509.Name(new Uint8Array(wantIssuer)) : subjectName;
  const issuerSki = opts.issuer?.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(isCa, isCa ? opts.pathLength : undefined, true),
    new x509.KeyUsagesExtension(isCa ? KU.keyCertSign | KU.cRLSign | KU.digitalSignature : leafUsage, true),
    await x509.SubjectKeyIdentifierExtension.create(key.pair.publicKey),
    issuerSki ? new x509.AuthorityKeyIdentifierExtension(issuerSki) : await x509.AuthorityKeyIdentifierExtension.create(issuerKey.pair.publicKey),
  ];
  if (opts.eku && opts.eku.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(opts.eku.map((e) => x509.ExtendedKeyUsage[e])));
  const s = opts.sans ?? {};
  const names = [
    ...(s.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(s.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(s.uri ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(s.email ?? []).map((value) => ({ type: 'email' as const, value })),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  let cert = await x509.X509CertificateGenerator.create({
    serialNumber: opts.serialNumber,
    subject: subjectName,
    issuer: issuerName,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    publicKey: key.pair.publicKey,
    signingKey: issuerKey.pair.privateKey,
    signingAlgorithm: keyAlgorithms(issuerKey.type).sign,
    extensions,
  });
  cert = exactNames(cert, { ...(wantIssuer ? { issuer: wantIssuer } : {}), ...(wantSubject ? { subject: wantSubject } : {}) }, issuerKey);
  return certificateParts(cert.rawData).tbs;
}

const now = new Date('2026-11-28T12:34:56.789Z');
const later = new Date('2027-11-28T12:34:56.789Z');

describe('mintCertificate (encode.ts) and the library generator', () => {
  for (const type of ['ec-p256', 'ec-p384', 'rsa-2048'] as KeyType[]) {
    it(`${type}: the same TBSCertificate for a CA, an intermediate, leaves with every SAN form, a self-signed one`, async () => {
      const check = async (o: MintOptions) => {
        const key = await generateKey(o.keyType ?? o.issuer?.key.type ?? type);
        const opts = { ...o, key, serialNumber: randomSerial() };
        const ours = await mintCertificate(opts);
        expect(certificateParts(certDer(ours)).tbs.toString('hex')).toBe((await libraryTbs(opts, key)).toString('hex'));
        const issuer = o.issuer ? new X509Certificate(o.issuer.certPem) : new X509Certificate(ours.certPem);
        expect(new X509Certificate(ours.certPem).verify(issuer.publicKey)).toBe(true);
        return ours;
      };
      const root = await check({
        subject: 'CN=mtls-harness Test Root CA, O=mtls-harness',
        keyType: type,
        notBefore: now,
        notAfter: later,
        ca: true,
        pathLength: 1,
      });
      const int = await check({
        subject: 'CN=Intermediate, O=Example Org, OU=Unit, L=Town, ST=State, C=DE',
        issuer: root,
        notBefore: now,
        notAfter: later,
        ca: true,
        pathLength: 0,
      });
      await check({
        subject: 'CN=localhost, O=mtls-harness',
        issuer: int,
        notBefore: now,
        notAfter: later,
        sans: {
          dns: ['localhost', '*.example.com'],
          ip: ['127.0.0.1', '::1', '2001:db8::42:1'],
          uri: ['spiffe://example.org/ns/a/sa/b'],
          email: ['a@example.com'],
        },
        eku: ['serverAuth', 'clientAuth'],
      });
      await check({
        subject: 'CN=client_1*, O=mtls-harness',
        issuer: root,
        notBefore: now,
        notAfter: new Date('2051-01-02T03:04:05Z'),
        eku: ['clientAuth'],
        sans: {},
      });
      await check({ subject: subjectDer(root.cert.rawData), keyType: type, notBefore: now, notAfter: later, ca: true });
      await check({
        subject: 'CN=self signed, O=mtls-harness',
        keyType: type,
        notBefore: new Date('1999-12-31T23:59:59Z'),
        notAfter: later,
        eku: ['clientAuth'],
      });
    });
  }

  it('a leaf carries its non-root issuers in its chain; the certificate object is parsed only when read', async () => {
    const root = await mintCertificate({ subject: 'CN=r, O=x', notBefore: now, notAfter: later, ca: true });
    const int = await mintCertificate({ subject: 'CN=i, O=x', issuer: root, notBefore: now, notAfter: later, ca: true, pathLength: 0 });
    const leaf = await mintCertificate({ subject: 'CN=l, O=x', issuer: int, notBefore: now, notAfter: later });
    expect(leaf.chainPem).toBe(leaf.certPem + int.certPem);
    expect(int.chainPem).toBe(int.certPem);
    expect(leaf.cert.subject).toBe('CN=l, O=x');
    expect(leaf.cert.toString('pem') + '\n').toBe(leaf.certPem);
  });
});

describe('plainNameDer', () => {
  it('encodes a plain CN=…, O=… list as the library encodes the same text', () => {
    for (const text of [
      'CN=localhost, O=mtls-harness',
      'CN=mtls-harness Test Root CA, O=mtls-harness',
      "CN=a'b (c) d-e.f/g:h?j",
      'CN=under_score, O=star*',
      'CN=Zoë Ünïcode, O=日本',
      'C=US, ST=CA, L=SF, O=Org, OU=Unit, CN=x',
    ]) {
      const ours = plainNameDer(text);
      expect(ours, text).toBeDefined();
      expect(ours!.toString('hex'), text).toBe(Buffer.from(new x509.Name(text).toArrayBuffer()).toString('hex'));
    }
  });

  it('leaves any other text to the library', () => {
    for (const text of [
      'CN=a+O=b',
      'CN="quoted, value"',
      'CN=esc\\,aped',
      'E=a@example.com',
      'CN= padded',
      'CN=',
      'CN=a,O=b',
      '2.5.4.3=x',
      'CN=#0403',
      'DC=example, DC=org',
    ])
      expect(plainNameDer(text), text).toBeUndefined();
  });
});
