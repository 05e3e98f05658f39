// The harness's own chain verifier (it must say *why* a chain fails) and RFC 6125 name matching.
// Each verifyChain verdict is cross-checked against `openssl verify` at the same fixed time.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, Name as AsnName, NameConstraints } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, fixedClock } from '../core/clock.js';
import { x509 } from './crypto.js';
import { mintCertificate, mintFixturePki, type Credential, type FixturePki } from './generate.js';
import { generateKey, keyAlgorithms } from './keys.js';
import { sanCovers, verifyChain, type VerifyOptions } from './verify.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const clock = fixedClock(NOW);
let pki: FixturePki;
let dir: string;

const x = (c: Credential | string) => new X509Certificate(typeof c === 'string' ? c : c.certPem);
const oneLine = (c: Credential) => x(c).subject.replace(/\n/g, ', ');
const codes = (v: { problems: { code: string }[] }) => v.problems.map((p) => p.code);

let n = 0;
async function pemFile(pem: string): Promise<string> {
  const f = path.join(dir, `v${n++}.pem`);
  await fs.writeFile(f, pem);
  return f;
}

/** Does `openssl verify` accept presented[0] with presented[1..] as untrusted and `anchors` as CAfile, at `at` (for `purpose`)? */
async function opensslAccepts(presented: Credential[], anchors: Credential[], at = NOW, purpose?: VerifyOptions['purpose']): Promise<boolean> {
  const args = ['verify', '-attime', String(Math.floor(at.getTime() / 1000)), '-CAfile', await pemFile(anchors.map((a) => a.certPem).join(''))];
  if (purpose) args.push('-purpose', purpose === 'serverAuth' ? 'sslserver' : 'sslclient');
  if (presented.length > 1)
    args.push(
      '-untrusted',
      await pemFile(
        presented
          .slice(1)
          .map((c) => c.certPem)
          .join(''),
      ),
    );
  args.push(await pemFile(presented[0]!.certPem));
  return new Promise((resolve) => execFile('openssl', args, (err) => resolve(!err)));
}

/** verifyChain on credentials, asserting the verdict agrees with openssl. */
async function check(presented: Credential[], anchors: Credential[], at = NOW, opts: VerifyOptions = {}) {
  const v = verifyChain(
    presented.map((c) => x(c)),
    anchors.map((c) => x(c)),
    fixedClock(at),
    opts,
  );
  expect(v.ok, JSON.stringify(v.problems)).toBe(await opensslAccepts(presented, anchors, at, opts.purpose));
  return v;
}

interface RawMint {
  subject: string;
  issuer?: Credential;
  /** Reuse a key (a cross-certificate: same subject and key, another issuer). */
  key?: Credential['key'];
  ca?: boolean;
  /** KeyUsageFlags; null for no keyUsage extension. Default: keyCertSign+cRLSign for CAs, digitalSignature for leaves. */
  keyUsage?: number | null;
  eku?: string[];
  sans?: x509.JsonGeneralNames;
  sanCritical?: boolean;
  permitted?: GeneralName[];
  excluded?: GeneralName[];
  extra?: x509.Extension[];
  notBefore?: Date;
  notAfter?: Date;
}

/**
 * Mints a certificate with the extensions generate.ts does not offer (name constraints, a chosen
 * keyUsage, any EKU, unknown critical extensions), with @peculiar/x509 and asn1-x509.
 */
async function mintRaw(o: RawMint): Promise<Credential> {
  const key = o.key ?? (await generateKey('ec-p256'));
  const signer = o.issuer?.key ?? key;
  const KU = x509.KeyUsageFlags;
  const ku = o.keyUsage === undefined ? (o.ca ? KU.keyCertSign | KU.cRLSign : KU.digitalSignature) : o.keyUsage;
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(!!o.ca, undefined, true)];
  if (ku !== null) extensions.push(new x509.KeyUsagesExtension(ku, true));
  if (o.eku) extensions.push(new x509.ExtendedKeyUsageExtension(o.eku));
  if (o.sans) extensions.push(new x509.SubjectAlternativeNameExtension(o.sans, o.sanCritical));
  if (o.permitted || o.excluded) {
    const nc = new NameConstraints({
      ...(o.permitted ? { permittedSubtrees: new GeneralSubtrees(o.permitted.map((base) => new GeneralSubtree({ base }))) } : {}),
      ...(o.excluded ? { excludedSubtrees: new GeneralSubtrees(o.excluded.map((base) => new GeneralSubtree({ base }))) } : {}),
    });
    extensions.push(new x509.Extension('2.5.29.30', true, AsnConvert.serialize(nc)));
  }
  extensions.push(...(o.extra ?? []));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${Math.floor(Math.random() * 1e12).toString(16)}`,
    subject: o.subject,
    issuer: o.issuer ? o.issuer.cert.subject : o.subject,
    notBefore: o.notBefore ?? addDays(NOW, -1),
    notAfter: o.notAfter ?? addDays(NOW, 30),
    publicKey: key.pair.publicKey,
    signingKey: signer.pair.privateKey,
    signingAlgorithm: keyAlgorithms(signer.type).sign,
    extensions,
  });
  const certPem = cert.toString('pem') + '\n';
  return { cert, certPem, chainPem: certPem, keyPem: '', key };
}

const dns = (dNSName: string) => new GeneralName({ dNSName });
const ip = (cidr: string) => new GeneralName({ iPAddress: cidr });
const uri = (host: string) => new GeneralName({ uniformResourceIdentifier: host });
const dn = (name: string) => new GeneralName({ directoryName: AsnConvert.parse(new x509.Name(name).toArrayBuffer(), AsnName) });

beforeAll(async () => {
  pki = await mintFixturePki({ clock });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-verify-'));
});
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('verifyChain: good paths', () => {
  it('leaf → sent intermediate → root', async () => {
    const v = await check([pki.server, pki.intermediate], [pki.root]);
    expect(v).toEqual({ ok: true, problems: [], path: [oneLine(pki.server), oneLine(pki.intermediate), oneLine(pki.root)], anchor: oneLine(pki.root) });
  });

  it('a leaf issued by the root directly; a root sent along changes nothing', async () => {
    expect((await check([pki.client], [pki.root])).path).toEqual([oneLine(pki.client), oneLine(pki.root)]);
    const withRoot = await check([pki.server, pki.intermediate, pki.root], [pki.root]);
    expect(withRoot).toMatchObject({ ok: true, anchor: oneLine(pki.root) });
    expect(withRoot.path).toHaveLength(3);
  });

  it('finds the issuer among the presented certificates regardless of their order, and among several anchors', async () => {
    const v = await check([pki.badClients.intermediateIssued, pki.badClients.selfSigned, pki.intermediate], [pki.badClients.untrustedCaIssuer, pki.root]);
    expect(v.ok).toBe(true);
    expect(v.path).toEqual([oneLine(pki.badClients.intermediateIssued), oneLine(pki.intermediate), oneLine(pki.root)]);
  });

  it('an intermediate given as anchor ends the path there', () => {
    const v = verifyChain([x(pki.server)], [x(pki.intermediate)], clock);
    expect(v).toMatchObject({ ok: true, anchor: oneLine(pki.intermediate) });
  });
});

describe('verifyChain: what is wrong', () => {
  it('missing intermediate: issuer-missing, naming the intermediate', async () => {
    const v = await check([pki.server], [pki.root]);
    expect(codes(v)).toEqual(['issuer-missing']);
    expect(v.missingIssuer).toBe(oneLine(pki.intermediate));
    expect(v.anchor).toBeUndefined();
    expect(v.problems[0]!.message).toContain(oneLine(pki.intermediate));
  });

  it('a look-alike CA with the trusted name but another key: signature-mismatch (not a missing issuer)', async () => {
    const v = await check([pki.badClients.untrustedCa], [pki.root]);
    expect(codes(v)).toEqual(['signature-mismatch']);
    expect(v.missingIssuer).toBeUndefined();
    expect(v.anchor).toBeUndefined();
  });

  it('the look-alike CA sent along: the path ends at an untrusted self-signed CA', async () => {
    const v = await check([pki.badClients.untrustedCa, pki.badClients.untrustedCaIssuer], [pki.root]);
    expect(codes(v)).toEqual(['untrusted']);
    expect(v.path).toEqual([oneLine(pki.badClients.untrustedCa), oneLine(pki.badClients.untrustedCaIssuer)]);
    // Trusted explicitly, the same chain verifies.
    expect((await check([pki.badClients.untrustedCa], [pki.badClients.untrustedCaIssuer])).ok).toBe(true);
  });

  it('self-signed leaf: untrusted', async () => {
    expect(codes(await check([pki.badClients.selfSigned], [pki.root]))).toEqual(['untrusted']);
  });

  it('a chain to an unrelated anchor: issuer-missing names the real root', async () => {
    const v = await check([pki.server, pki.intermediate], [pki.badClients.selfSigned]);
    expect(codes(v)).toEqual(['issuer-missing']);
    expect(v.missingIssuer).toBe(oneLine(pki.root));
  });

  it('expired leaf, by the injected clock', async () => {
    const v = await check([pki.badServers.expired, pki.intermediate], [pki.root]);
    expect(codes(v)).toEqual(['expired']);
    expect(v.problems[0]!.message).toContain(addDays(NOW, -1).toISOString());
    expect(v.anchor).toBe(oneLine(pki.root)); // the path itself is fine
    expect(codes(await check([pki.badClients.expired], [pki.root]))).toEqual(['expired']);
    // A week earlier the leaf was within its dates, but the root (minted at NOW - 1 h) was not yet valid: every certificate on the path is checked.
    const earlier = await check([pki.badClients.expired], [pki.root], addDays(NOW, -7));
    expect(codes(earlier)).toEqual(['not-yet-valid']);
    expect(earlier.problems[0]!.message).toContain('Test Root CA');
  });

  it('not-yet-valid leaf; valid once the clock passes notBefore', async () => {
    expect(codes(await check([pki.badClients.notYetValid], [pki.root]))).toEqual(['not-yet-valid']);
    expect((await check([pki.badClients.notYetValid], [pki.root], addDays(NOW, 2))).ok).toBe(true);
    // Validity boundaries are inclusive (RFC 5280 §4.1.2.5).
    const nb = new Date(x(pki.badClients.notYetValid).validFrom);
    expect(verifyChain([x(pki.badClients.notYetValid)], [x(pki.root)], fixedClock(nb)).ok).toBe(true);
    expect(verifyChain([x(pki.badClients.notYetValid)], [x(pki.root)], fixedClock(nb.getTime() - 1000)).ok).toBe(false);
  });

  it('an expired intermediate is named', async () => {
    const oldInt = await mintCertificate({
      subject: 'CN=Old Intermediate',
      issuer: pki.root,
      notBefore: addDays(NOW, -60),
      notAfter: addDays(NOW, -2),
      ca: true,
      pathLength: 0,
    });
    const leaf = await mintCertificate({ subject: 'CN=leaf', issuer: oldInt, notBefore: addDays(NOW, -30), notAfter: addDays(NOW, 30), eku: ['clientAuth'] });
    const v = await check([leaf, oldInt], [pki.root]);
    expect(codes(v)).toEqual(['expired']);
    expect(v.problems[0]!.message).toContain('Old Intermediate');
  });

  it('an issuer that is not a CA: intermediate-not-ca', async () => {
    const notCa = await mintCertificate({
      subject: 'CN=not a CA',
      issuer: pki.root,
      notBefore: addDays(NOW, -1),
      notAfter: addDays(NOW, 30),
      eku: ['clientAuth'],
    });
    const leaf = await mintCertificate({ subject: 'CN=under a leaf', issuer: notCa, notBefore: addDays(NOW, -1), notAfter: addDays(NOW, 30) });
    const v = await check([leaf, notCa], [pki.root]);
    expect(codes(v)).toEqual(['intermediate-not-ca']);
  });

  it('nothing presented: empty', () => {
    expect(verifyChain([], [x(pki.root)], clock)).toMatchObject({ ok: false, problems: [{ code: 'empty' }], path: [] });
  });
});

describe('sanCovers (RFC 6125)', () => {
  let cert: X509Certificate;
  beforeAll(async () => {
    const c = await mintCertificate({
      subject: 'CN=ignored.example',
      notBefore: NOW,
      notAfter: addDays(NOW, 1),
      sans: { dns: ['*.svc.example', 'exact.example', '10.9.9.9'], ip: ['10.1.2.3', '2001:db8::1'] },
    });
    cert = x(c);
  });

  it.each([
    ['exact.example', true, 'exact DNS SAN'],
    ['EXACT.Example', true, 'case-insensitive'],
    ['other.example', false, 'another name'],
    ['sub.exact.example', false, 'a subdomain of an exact SAN'],
    ['a.svc.example', true, 'wildcard: one left-most label'],
    ['A.SVC.EXAMPLE', true, 'wildcard, case-insensitive'],
    ['a.b.svc.example', false, 'wildcard: never two labels'],
    ['svc.example', false, 'wildcard: never zero labels'],
    ['ignored.example', false, 'the CN is ignored'],
    ['10.1.2.3', true, 'IPv4 in an IP SAN'],
    ['10.1.2.4', false, 'another IPv4'],
    ['10.9.9.9', false, 'an IP literal in a DNS SAN does not cover the IP'],
    ['2001:db8::1', true, 'IPv6, compressed'],
    ['2001:0DB8:0:0:0:0:0:1', true, 'IPv6, the same address spelled out'],
    ['2001:db8::2', false, 'another IPv6'],
  ])('%s → %s (%s)', (name, covered) => {
    expect(sanCovers(cert, name)).toBe(covered);
  });

  it('no partial-label wildcards, and the CN is never used (CN-only certificate)', async () => {
    // (OpenSSL ignores any wildcard with fewer than two labels after it, so these have two.)
    const partial = await mintCertificate({
      subject: 'CN=localhost',
      notBefore: NOW,
      notAfter: addDays(NOW, 1),
      sans: { dns: ['api*.svc.example', 'w*.svc.example', '*z.svc.example'] },
    });
    expect(sanCovers(x(partial), 'api1.svc.example')).toBe(false);
    expect(sanCovers(x(partial), 'www.svc.example')).toBe(false);
    expect(sanCovers(x(partial), 'baz.svc.example')).toBe(false);
    expect(sanCovers(x(partial), 'localhost')).toBe(false);
    expect(sanCovers(x(pki.badServers.cnOnly), 'localhost')).toBe(false);
  });

  it('the fixture server covers localhost, 127.0.0.1 and ::1; the wrong-SAN server none of them', () => {
    for (const name of ['localhost', '127.0.0.1', '::1']) {
      expect(sanCovers(x(pki.server), name)).toBe(true);
      expect(sanCovers(x(pki.badServers.wrongSan), name)).toBe(false);
    }
    expect(sanCovers(x(pki.badServers.wrongSan), 'wrong.example')).toBe(true);
    // an IP name is matched against IP SANs only, never against a DNS SAN "localhost"
    expect(sanCovers(x(pki.server), '127.0.0.2')).toBe(false);
  });
});

describe('basicConstraints pathLenConstraint (RFC 5280 §4.2.1.9)', () => {
  const nb = addDays(NOW, -1);
  const na = addDays(NOW, 30);
  const ca = (subject: string, pathLength: number | undefined, issuer?: Credential, key?: Credential['key']) =>
    mintCertificate({
      subject,
      ...(issuer ? { issuer } : {}),
      ...(key ? { key } : {}),
      notBefore: nb,
      notAfter: na,
      ca: true,
      ...(pathLength !== undefined ? { pathLength } : {}),
    });
  const leaf = (issuer: Credential) => mintCertificate({ subject: 'CN=path leaf', issuer, notBefore: nb, notAfter: na, eku: ['clientAuth'] });

  it('a root with pathlen:0 issuing an intermediate that issues the leaf: exceeded, with the reason (openssl agrees)', async () => {
    const root = await ca('CN=PL0 Root', 0);
    const int = await ca('CN=PL0 Intermediate', undefined, root);
    const l = await leaf(int);
    const v = await check([l, int], [root]);
    expect(codes(v)).toEqual(['path-length-exceeded']);
    expect(v.problems[0]!.message).toBe(
      'path length constraint exceeded: "CN=PL0 Root" has pathLenConstraint 0 (at most 0 intermediate CA(s) may follow it), but 1 follow it in the path to the leaf',
    );
  });

  it('an intermediate with pathlen:0 issuing another intermediate: exceeded at that intermediate (the nginx "path length constraint exceeded" case)', async () => {
    const root = await ca('CN=PL Root', 1);
    const int = await ca('CN=PL Intermediate', 0, root);
    const sub = await ca('CN=PL Sub', undefined, int);
    const l = await leaf(sub);
    const v = await check([l, sub, int], [root]);
    expect(codes(v)).toEqual(['path-length-exceeded', 'path-length-exceeded']);
    expect(v.problems.map((p) => p.message).join('\n')).toMatch(/"CN=PL Intermediate" has pathLenConstraint 0 .* but 1 follow it/);
    expect(v.problems.map((p) => p.message).join('\n')).toMatch(/"CN=PL Root" has pathLenConstraint 1 .* but 2 follow it/);
  });

  it('within the constraint: root pathlen:1 → intermediate pathlen:0 → leaf, and the fixture PKI, verify', async () => {
    const root = await ca('CN=OK Root', 1);
    const int = await ca('CN=OK Intermediate', 0, root);
    expect((await check([await leaf(int), int], [root])).ok).toBe(true);
    expect((await check([pki.badClients.intermediateIssued, pki.intermediate], [pki.root])).ok).toBe(true);
    // A CA leaf directly under a pathlen:0 CA is not an intermediate: no constraint applies to it.
    const caLeaf = await mintCertificate({ subject: 'CN=CA leaf', issuer: int, notBefore: nb, notAfter: na, ca: true, eku: ['clientAuth'] });
    expect((await check([caLeaf, int], [root])).ok).toBe(true);
  });

  it('a self-issued intermediate (key rollover: same name, another key) is not counted', async () => {
    const root = await ca('CN=Rollover Root', 0);
    const rollover = await ca(x(root).subject, undefined, root);
    expect(x(rollover).subject).toBe(x(rollover).issuer);
    const l = await leaf(rollover);
    const v = await check([l, rollover], [root]);
    expect(v.ok, JSON.stringify(v.problems)).toBe(true);
    expect(v.path).toHaveLength(3);
  });
});

describe('nameConstraints (RFC 5280 §4.2.1.10)', () => {
  it('a root permitting DNS example.com: names under it pass, others fail naming the CA, the name and what is permitted (openssl agrees)', async () => {
    const root = await mintRaw({ subject: 'CN=NC DNS Root', ca: true, permitted: [dns('example.com')] });
    const good = await mintRaw({
      subject: 'CN=good',
      issuer: root,
      sans: [
        { type: 'dns', value: 'api.example.com' },
        { type: 'dns', value: 'example.com' },
      ],
    });
    expect((await check([good], [root])).ok).toBe(true);
    const bad = await mintRaw({
      subject: 'CN=bad',
      issuer: root,
      sans: [
        { type: 'dns', value: 'api.example.com' },
        { type: 'dns', value: 'api.example.org' },
      ],
    });
    const v = await check([bad], [root]);
    expect(codes(v)).toEqual(['name-constraints']);
    expect(v.problems[0]!.message).toBe(
      'the leaf has the DNS name "api.example.org", outside every DNS subtree the name constraints of "CN=NC DNS Root" permit (example.com)',
    );
    expect(v.anchor).toBe('CN=NC DNS Root'); // the path is built; the constraint is what fails
    // "example.com" does not cover "notexample.com": labels, not characters.
    const lookAlike = await mintRaw({ subject: 'CN=look-alike', issuer: root, sans: [{ type: 'dns', value: 'notexample.com' }] });
    expect(codes(await check([lookAlike], [root]))).toEqual(['name-constraints']);
  });

  it('an intermediate excluding a subtree; its constraints bind everything below it, also a sub-CA (openssl agrees)', async () => {
    const root = await mintRaw({ subject: 'CN=NC Plain Root', ca: true });
    const int = await mintRaw({ subject: 'CN=NC Excluding Intermediate', issuer: root, ca: true, excluded: [dns('internal.example.com')] });
    const ok = await mintRaw({ subject: 'CN=ok', issuer: int, sans: [{ type: 'dns', value: 'www.example.com' }] });
    expect((await check([ok, int], [root])).ok).toBe(true);
    const deep = await mintRaw({ subject: 'CN=deep', issuer: int, sans: [{ type: 'dns', value: 'db.internal.example.com' }] });
    const v = await check([deep, int], [root]);
    expect(codes(v)).toEqual(['name-constraints']);
    expect(v.problems[0]!.message).toBe(
      'the leaf has the DNS name "db.internal.example.com", which the name constraints of "CN=NC Excluding Intermediate" exclude (excluded subtree DNS "internal.example.com")',
    );
    // A sub-CA below the constraining one, and the leaf below that: the leaf is still bound.
    const sub = await mintRaw({ subject: 'CN=NC Sub CA', issuer: int, ca: true });
    const under = await mintRaw({ subject: 'CN=under', issuer: sub, sans: [{ type: 'dns', value: 'internal.example.com' }] });
    expect(codes(await check([under, sub, int], [root]))).toEqual(['name-constraints']);
  });

  it('IP subtrees (CIDR): inside passes, outside and another family fail (openssl agrees)', async () => {
    const root = await mintRaw({ subject: 'CN=NC IP Root', ca: true, permitted: [ip('10.0.0.0/8'), dns('svc.example')] });
    const inside = await mintRaw({
      subject: 'CN=inside',
      issuer: root,
      sans: [
        { type: 'ip', value: '10.1.2.3' },
        { type: 'dns', value: 'a.svc.example' },
      ],
    });
    expect((await check([inside], [root])).ok).toBe(true);
    for (const addr of ['192.168.1.1', '2001:db8::1']) {
      const outside = await mintRaw({ subject: `CN=outside ${addr}`, issuer: root, sans: [{ type: 'ip', value: addr }] });
      const v = await check([outside], [root]);
      expect(codes(v)).toEqual(['name-constraints']);
      expect(v.problems[0]!.message).toContain('outside every IP subtree');
    }
  });

  it('directoryName subtrees apply to the subject (openssl agrees)', async () => {
    const root = await mintRaw({ subject: 'CN=NC DN Root', ca: true, permitted: [dn('O=Example')] });
    expect((await check([await mintRaw({ subject: 'O=Example, CN=member', issuer: root })], [root])).ok).toBe(true);
    const v = await check([await mintRaw({ subject: 'O=Other, CN=stranger', issuer: root })], [root]);
    expect(codes(v)).toEqual(['name-constraints']);
    expect(v.problems[0]!.message).toContain('the leaf has the directory name "O=Other, CN=stranger"');
  });

  it('URI subtrees by host: a SPIFFE trust domain (openssl agrees)', async () => {
    const root = await mintRaw({ subject: 'CN=NC SPIFFE Root', ca: true, permitted: [uri('prod.example')] });
    const ok = await mintRaw({ subject: 'CN=svc', issuer: root, sans: [{ type: 'url', value: 'spiffe://prod.example/ns/default/sa/api' }] });
    expect((await check([ok], [root], NOW, { purpose: 'clientAuth' })).ok).toBe(true);
    const other = await mintRaw({ subject: 'CN=svc', issuer: root, sans: [{ type: 'url', value: 'spiffe://dev.example/ns/default/sa/api' }] });
    expect(codes(await check([other], [root]))).toEqual(['name-constraints']);
  });

  it('a wildcard SAN that could stand for an excluded name is refused (CVE-2025-61727; Go refuses it, OpenSSL 3.0 compares literally and accepts)', async () => {
    const root = await mintRaw({ subject: 'CN=NC Wildcard Root', ca: true, excluded: [dns('admin.example.com')] });
    const wild = await mintRaw({ subject: 'CN=wild', issuer: root, sans: [{ type: 'dns', value: '*.example.com' }] });
    const v = verifyChain([x(wild)], [x(root)], clock);
    expect(codes(v)).toEqual(['name-constraints']);
    expect(v.problems[0]!.message).toContain('"*.example.com", which the name constraints of "CN=NC Wildcard Root" exclude');
    // A wildcard wholly inside a permitted subtree is fine.
    const permitting = await mintRaw({ subject: 'CN=NC Permitting Root', ca: true, permitted: [dns('example.com')] });
    expect(
      verifyChain([x(await mintRaw({ subject: 'CN=wild', issuer: permitting, sans: [{ type: 'dns', value: '*.example.com' }] }))], [x(permitting)], clock).ok,
    ).toBe(true);
  });
});

describe('keyUsage (RFC 5280 §4.2.1.3)', () => {
  const KU = x509.KeyUsageFlags;

  it('an intermediate CA whose keyUsage lacks keyCertSign: key-usage, not "not a CA" (openssl agrees)', async () => {
    const root = await mintRaw({ subject: 'CN=KU Root', ca: true });
    const int = await mintRaw({ subject: 'CN=KU Intermediate', issuer: root, ca: true, keyUsage: KU.digitalSignature | KU.cRLSign });
    const leaf = await mintRaw({ subject: 'CN=ku leaf', issuer: int });
    const v = await check([leaf, int], [root]);
    expect(codes(v)).toEqual(['key-usage']);
    expect(v.problems[0]!.message).toBe('"CN=KU Intermediate" issues certificates but its keyUsage (digitalSignature, cRLSign) lacks keyCertSign');
  });

  it('the same for the trust anchor; a CA without any keyUsage extension may issue (openssl agrees)', async () => {
    const root = await mintRaw({ subject: 'CN=KU Anchor', ca: true, keyUsage: KU.cRLSign });
    expect(codes(await check([await mintRaw({ subject: 'CN=leaf', issuer: root })], [root]))).toEqual(['key-usage']);
    const noKu = await mintRaw({ subject: 'CN=No KU Root', ca: true, keyUsage: null });
    expect((await check([await mintRaw({ subject: 'CN=leaf', issuer: noKu })], [noKu])).ok).toBe(true);
  });

  it("with a purpose, the leaf's keyUsage must allow the handshake, as OpenSSL checks it (openssl agrees)", async () => {
    const root = await mintRaw({ subject: 'CN=KU Purpose Root', ca: true });
    const encipherOnly = await mintRaw({ subject: 'CN=keyEncipherment leaf', issuer: root, keyUsage: KU.keyEncipherment });
    expect((await check([encipherOnly], [root], NOW, { purpose: 'serverAuth' })).ok).toBe(true);
    const v = await check([encipherOnly], [root], NOW, { purpose: 'clientAuth' });
    expect(codes(v)).toEqual(['key-usage']);
    expect(v.problems[0]!.message).toBe("the leaf's keyUsage (keyEncipherment) allows no TLS client handshake (it needs digitalSignature or keyAgreement)");
    // Without a purpose the leaf's usages are the callers' business (chain.server-leaf-profile, audit.eku-fits-role).
    expect(verifyChain([x(encipherOnly)], [x(root)], clock).ok).toBe(true);
  });
});

describe('extendedKeyUsage, with a purpose (RFC 5280 §4.2.1.12)', () => {
  it('a clientAuth-only leaf fails as a server, passes as a client and without a purpose (openssl agrees)', async () => {
    const root = await mintRaw({ subject: 'CN=EKU Root', ca: true });
    const client = await mintRaw({ subject: 'CN=client only', issuer: root, eku: [x509.ExtendedKeyUsage.clientAuth] });
    const v = await check([client], [root], NOW, { purpose: 'serverAuth' });
    expect(codes(v)).toEqual(['extended-key-usage']);
    expect(v.problems[0]!.message).toBe("the leaf's extendedKeyUsage (clientAuth) lacks serverAuth");
    expect((await check([client], [root], NOW, { purpose: 'clientAuth' })).ok).toBe(true);
    expect((await check([client], [root])).ok).toBe(true);
    // anyExtendedKeyUsage allows every purpose, as in Go and chain.server-leaf-profile (OpenSSL refuses it alone).
    const any = await mintRaw({ subject: 'CN=any', issuer: root, eku: ['2.5.29.37.0'] });
    expect(verifyChain([x(any)], [x(root)], clock, { purpose: 'serverAuth' }).ok).toBe(true);
  });

  it('an intermediate whose EKU lacks the purpose limits the leaf below it (openssl agrees)', async () => {
    const root = await mintRaw({ subject: 'CN=EKU Nesting Root', ca: true });
    const int = await mintRaw({ subject: 'CN=Server-only Intermediate', issuer: root, ca: true, eku: [x509.ExtendedKeyUsage.serverAuth] });
    const leaf = await mintRaw({ subject: 'CN=client', issuer: int, eku: [x509.ExtendedKeyUsage.clientAuth] });
    const v = await check([leaf, int], [root], NOW, { purpose: 'clientAuth' });
    expect(codes(v)).toEqual(['extended-key-usage']);
    expect(v.problems[0]!.message).toBe(
      '"CN=Server-only Intermediate" limits the certificates below it to the extended key usages serverAuth, which lack clientAuth',
    );
  });
});

describe('critical extensions (RFC 5280 §4.2)', () => {
  it('an unknown critical extension anywhere on the path is refused; a non-critical one is ignored (openssl agrees)', async () => {
    const unknown = (critical: boolean) => new x509.Extension('1.3.6.1.4.1.55738.666.1', critical, new Uint8Array([5, 0]));
    const root = await mintRaw({ subject: 'CN=Crit Root', ca: true });
    const v = await check([await mintRaw({ subject: 'CN=crit leaf', issuer: root, extra: [unknown(true)] })], [root]);
    expect(codes(v)).toEqual(['critical-extension']);
    expect(v.problems[0]!.message).toBe(
      'the leaf has a critical extension 1.3.6.1.4.1.55738.666.1 that the verifier does not process (RFC 5280 §4.2: such a certificate must be refused)',
    );
    expect((await check([await mintRaw({ subject: 'CN=plain leaf', issuer: root, extra: [unknown(false)] })], [root])).ok).toBe(true);
    const critRoot = await mintRaw({ subject: 'CN=Crit Ext Root', ca: true, extra: [unknown(true)] });
    expect(codes(await check([await mintRaw({ subject: 'CN=leaf', issuer: critRoot })], [critRoot]))).toEqual(['critical-extension']);
  });
});

describe('path search', () => {
  it('backtracks: a cross-certificate to an unknown root sent first, the one to the trusted root second (Go finds it too; OpenSSL 3.0 stops at the first)', async () => {
    const trusted = await mintRaw({ subject: 'CN=Trusted Root', ca: true });
    const other = await mintRaw({ subject: 'CN=Other Root', ca: true });
    const viaOther = await mintRaw({ subject: 'CN=Cross Intermediate', issuer: other, ca: true });
    const viaTrusted = await mintRaw({ subject: 'CN=Cross Intermediate', issuer: trusted, ca: true, key: viaOther.key });
    const leaf = await mintRaw({ subject: 'CN=cross leaf', issuer: viaTrusted });
    const v = verifyChain([x(leaf), x(viaOther), x(viaTrusted)], [x(trusted)], clock);
    expect(v).toMatchObject({ ok: true, path: ['CN=cross leaf', 'CN=Cross Intermediate', 'CN=Trusted Root'], anchor: 'CN=Trusted Root' });
    expect((await check([leaf, viaTrusted, viaOther], [trusted])).ok).toBe(true);
    // With only the dead end sent, the reason is the one the greedy path meets.
    const dead = await check([leaf, viaOther], [trusted]);
    expect(codes(dead)).toEqual(['issuer-missing']);
    expect(dead.missingIssuer).toBe('CN=Other Root');
  });

  it('backtracks past an expired intermediate to a valid one of the same name and key (openssl agrees)', async () => {
    const root = await mintRaw({ subject: 'CN=Renewal Root', ca: true });
    const old = await mintRaw({ subject: 'CN=Renewed Intermediate', issuer: root, ca: true, notBefore: addDays(NOW, -400), notAfter: addDays(NOW, -10) });
    const renewed = await mintRaw({ subject: 'CN=Renewed Intermediate', issuer: root, ca: true, key: old.key });
    const leaf = await mintRaw({ subject: 'CN=renewal leaf', issuer: renewed });
    expect((await check([leaf, old, renewed], [root])).ok).toBe(true);
    // Only the expired one: the expired intermediate is named.
    const v = await check([leaf, old], [root]);
    expect(codes(v)).toEqual(['expired']);
    expect(v.problems[0]!.message).toContain('"CN=Renewed Intermediate" expired on');
  });

  it('two CAs that issue each other: a loop, not a same-name-other-key CA (openssl rejects too)', async () => {
    const a0 = await mintRaw({ subject: 'CN=Loop A', ca: true });
    const b0 = await mintRaw({ subject: 'CN=Loop B', ca: true });
    const aByB = await mintRaw({ subject: 'CN=Loop A', issuer: b0, ca: true, key: a0.key });
    const bByA = await mintRaw({ subject: 'CN=Loop B', issuer: a0, ca: true, key: b0.key });
    const leaf = await mintRaw({ subject: 'CN=loop leaf', issuer: a0 });
    const v = await check([leaf, aByB, bByA], [pki.root]);
    expect(codes(v)).toEqual(['untrusted']);
    expect(v.problems[0]!.message).toBe(
      'the chain loops: "CN=Loop B" is issued by "CN=Loop A", which is already on the path, and no certificate on it is issued by a trusted CA',
    );
  });

  it('a leaf with an empty subject (SANs only) verifies and is labelled, not a crash (openssl agrees)', async () => {
    const root = await mintRaw({ subject: 'CN=Empty Subject Root', ca: true });
    const leaf = await mintRaw({ subject: '', issuer: root, sans: [{ type: 'dns', value: 'only-san.example' }], sanCritical: true });
    expect(x(leaf).subject).toBeUndefined();
    const v = await check([leaf], [root]);
    expect(v).toMatchObject({ ok: true, path: ['(empty subject)', 'CN=Empty Subject Root'] });
  });

  it('validity at one-second granularity: 500 ms past notAfter is still notAfter, a second past is expired', async () => {
    const root = await mintRaw({ subject: 'CN=Granularity Root', ca: true });
    const leaf = await mintRaw({ subject: 'CN=granularity leaf', issuer: root, notAfter: new Date('2026-06-10T00:00:00Z') });
    expect(verifyChain([x(leaf)], [x(root)], fixedClock('2026-06-10T00:00:00.500Z')).ok).toBe(true);
    expect(codes(verifyChain([x(leaf)], [x(root)], fixedClock('2026-06-10T00:00:01Z')))).toEqual(['expired']);
  });
});
