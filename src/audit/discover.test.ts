import { createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../core/clock.js';
import { mintCertificate, type Credential } from '../pki/generate.js';
import { classifyBytes, detectLayouts, discoverFiles, hasKeyName, hasPkiName, spkiSha256, type DiscoveredFile } from './discover.js';

let ca: Credential;
let leaf: Credential;
let tmp: string;

beforeAll(async () => {
  const now = new Date();
  ca = await mintCertificate({ subject: 'CN=unit CA', notBefore: addDays(now, -1), notAfter: addDays(now, 30), ca: true });
  leaf = await mintCertificate({
    subject: 'CN=leaf',
    issuer: ca,
    notBefore: addDays(now, -1),
    notAfter: addDays(now, 30),
    eku: ['serverAuth'],
    sans: { dns: ['leaf'] },
  });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mtls-discover-'));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('classifyBytes', () => {
  it('reads every PEM block of a mixed file: certificates, keys, and what it does not judge', () => {
    const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n';
    const c = classifyBytes(Buffer.from(leaf.certPem + ca.certPem + leaf.keyPem + csr), 'bundle.pem', true);
    expect(c).toMatchObject({ format: 'pem', errors: [], keyLike: true, others: ['certificate signing request'] });
    expect(c.certs.map((x) => x.subject)).toEqual(['CN=leaf', 'CN=unit CA']);
    expect(c.keys).toHaveLength(1);
    expect(spkiSha256(c.keys[0]!.key!)).toBe(spkiSha256(c.certs[0]!.publicKey));
  });

  it('a truncated block is an error, and the complete blocks before it still count', () => {
    const c = classifyBytes(Buffer.from(ca.certPem + leaf.keyPem.slice(0, 80)), 'ca.pem', true);
    expect(c.certs).toHaveLength(1);
    expect(c.keyLike).toBe(true);
    expect(c.errors).toEqual(['ca.pem: 2 BEGIN line(s) but 1 complete PEM block(s); the file is truncated or its BEGIN/END labels do not match']);
  });

  it('errors never quote the bytes of a broken key', () => {
    const body = leaf.keyPem.split('\n')[1]!;
    const broken = leaf.keyPem.replace(body, `${body.slice(0, 10)}!!!${body.slice(13)}`);
    const c = classifyBytes(Buffer.from(broken), 'key.pem', true);
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatch(/not valid base64/);
    expect(c.errors[0]).not.toContain(body.slice(0, 10));
  });

  it('an encrypted key is kept for later decryption, not parsed', () => {
    const pem = createPrivateKey(leaf.keyPem).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
    const c = classifyBytes(Buffer.from(pem), 'k.pem', true);
    expect(c.keys).toEqual([expect.objectContaining({ label: 'ENCRYPTED PRIVATE KEY', encrypted: true })]);
    expect(c.keys[0]!.key).toBeUndefined();
  });

  it('DER: a certificate, a PKCS#8 key, an encrypted PKCS#8 key', () => {
    expect(classifyBytes(Buffer.from(leaf.cert.rawData), 'leaf.der', true)).toMatchObject({ format: 'der', errors: [] });
    const key = createPrivateKey(leaf.keyPem);
    const der = key.export({ format: 'der', type: 'pkcs8' });
    expect(classifyBytes(der, 'leaf.key', true).keys).toEqual([expect.objectContaining({ label: 'DER', encrypted: false })]);
    const enc = key.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' });
    expect(classifyBytes(enc, 'leaf.key', true).keys).toEqual([expect.objectContaining({ encrypted: true })]);
  });

  it('bytes that are not PKI: an error when the name promises PKI, ignored otherwise', () => {
    expect(classifyBytes(Buffer.from('0 certificates\n'), 'notes.txt', false)).toMatchObject({ format: 'none', errors: [] });
    expect(classifyBytes(Buffer.from('hello\n'), 'ca.pem', true).errors).toEqual([expect.stringMatching(/^ca\.pem: neither PEM nor DER/)]);
    expect(classifyBytes(Buffer.alloc(0), 'tls.crt', true).errors).toEqual(['tls.crt: the file is empty']);
  });

  it('a Kubernetes Secret manifest: which entries hold a private key; PKCS#12 counts as holding one', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const yaml = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  tls.crt: ${b64(leaf.certPem)}\n  tls.key: ${b64(leaf.keyPem)}\n`;
    expect(classifyBytes(Buffer.from(yaml), 'secrets.yaml', false)).toMatchObject({ format: 'k8s-secret', keyLike: true, secretKeyEntries: ['tls.key'] });
    expect(classifyBytes(Buffer.from([0x30, 0x82, 0x01]), 'client.p12', true)).toMatchObject({ format: 'pkcs12', keyLike: true });
  });
});

describe('names', () => {
  it.each([
    ['server-key.pem', true],
    ['tls.key', true],
    ['key.pem', true],
    ['privkey.pem', true],
    ['ca.key', true],
    ['client_key.pem', true],
    ['server.pem', false],
    ['tls.crt', false],
    ['keystore.jks', false],
    ['monkey.pem', false],
  ])('hasKeyName(%s) is %s', (name, expected) => {
    expect(hasKeyName(name)).toBe(expected);
  });

  it('hasPkiName knows extensions and the bare names of Kubernetes volumes', () => {
    expect(['a.pem', 'b.crt', 'c.der', 'tls.key', 'ca', 'x.p12'].every(hasPkiName)).toBe(true);
    expect(['README.md', 'config.yaml', 'cert.txt'].some(hasPkiName)).toBe(false);
  });
});

describe('detectLayouts', () => {
  const f = (dir: string, name: string): DiscoveredFile => ({
    path: path.join(dir, name),
    display: name,
    dir,
    name,
    size: 1,
    mode: 0o600,
    uid: 0,
    gid: 0,
    explicit: false,
    inKubernetesVolume: false,
    content: { format: 'pem', certs: [], keys: [], others: [], errors: [], keyLike: false },
  });

  it('tells default from gufo by the CA key, and finds kong, nova and per-service', () => {
    const gufo = ['ca.pem', 'server.pem', 'server-key.pem', 'client.pem', 'client-key.pem'];
    expect(detectLayouts(gufo.map((n) => f('/g', n)))).toEqual([{ dir: '/g', layout: 'gufo' }]);
    expect(detectLayouts([...gufo, 'ca-key.pem'].map((n) => f('/d', n)))).toEqual([{ dir: '/d', layout: 'default' }]);
    expect(detectLayouts(['ca.crt', 'ca.key', 'server.crt', 'server.key', 'kong-client.crt', 'kong-client.key'].map((n) => f('/k', n)))).toEqual([
      { dir: '/k', layout: 'kong' },
    ]);
    expect(detectLayouts(['ca.crt', 'tls.crt', 'tls.key', 'client.crt', 'client.key'].map((n) => f('/n', n)))).toEqual([{ dir: '/n', layout: 'nova' }]);
    // A plain kubernetes.io/tls Secret volume (e.g. a client's) is no layout: tls.crt's role then comes from its EKU.
    expect(detectLayouts(['ca.crt', 'tls.crt', 'tls.key'].map((n) => f('/t', n)))).toEqual([]);
    expect(detectLayouts([f('/p', 'ca.pem'), f('/p/api', 'cert.pem'), f('/p/api', 'key.pem'), f('/p/web', 'cert.pem'), f('/p/web', 'key.pem')])).toEqual([
      { dir: '/p', layout: 'per-service', services: ['api', 'web'] },
    ]);
    expect(detectLayouts(['ca.pem', 'server.pem'].map((n) => f('/x', n)))).toEqual([]);
  });
});

describe('discoverFiles', () => {
  it('a path that does not exist is a usage error (exit 2)', () => {
    expect(() => discoverFiles([path.join(tmp, 'missing')])).toThrow(expect.objectContaining({ code: 'pki.file-missing', isUsageError: true }));
  });

  it('bounds: files over the size limit are a finding, the file budget stops the walk and says so', () => {
    const dir = path.join(tmp, 'bounds');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'big.pem'), ca.certPem.repeat(20));
    writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(20_000));
    for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, `c${i}.crt`), ca.certPem);
    const d = discoverFiles([dir], { limits: { maxFileBytes: 10_000, maxFiles: 4 } });
    expect(d.files.map((x) => x.name)).toEqual(['big.pem', 'c0.crt', 'c1.crt']); // big.bin was examined too
    expect(d.files[0]!.content.tooLarge).toBe(true);
    expect(d.truncated).toEqual(['more than 4 files: the rest were not audited (audit fewer paths at a time)']);
  });
});
