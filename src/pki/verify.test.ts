// The harness's own chain verifier (it must say *why* a chain fails) and RFC 6125 name matching.
// Each verifyChain verdict is cross-checked against `openssl verify` at the same fixed time.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, fixedClock } from '../core/clock.js';
import { mintCertificate, mintFixturePki, type Credential, type FixturePki } from './generate.js';
import { sanCovers, verifyChain } from './verify.js';

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

/** Does `openssl verify` accept presented[0] with presented[1..] as untrusted and `anchors` as CAfile, at `at`? */
async function opensslAccepts(presented: Credential[], anchors: Credential[], at = NOW): Promise<boolean> {
  const args = ['verify', '-attime', String(Math.floor(at.getTime() / 1000)), '-CAfile', await pemFile(anchors.map((a) => a.certPem).join(''))];
  if (presented.length > 1) args.push('-untrusted', await pemFile(presented.slice(1).map((c) => c.certPem).join('')));
  args.push(await pemFile(presented[0]!.certPem));
  return new Promise((resolve) => execFile('openssl', args, (err) => resolve(!err)));
}

/** verifyChain on credentials, asserting the verdict agrees with openssl. */
async function check(presented: Credential[], anchors: Credential[], at = NOW) {
  const v = verifyChain(presented.map((c) => x(c)), anchors.map((c) => x(c)), fixedClock(at));
  expect(v.ok, JSON.stringify(v.problems)).toBe(await opensslAccepts(presented, anchors, at));
  return v;
}

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
    const oldInt = await mintCertificate({ subject: 'CN=Old Intermediate', issuer: pki.root, notBefore: addDays(NOW, -60), notAfter: addDays(NOW, -2), ca: true, pathLength: 0 });
    const leaf = await mintCertificate({ subject: 'CN=leaf', issuer: oldInt, notBefore: addDays(NOW, -30), notAfter: addDays(NOW, 30), eku: ['clientAuth'] });
    const v = await check([leaf, oldInt], [pki.root]);
    expect(codes(v)).toEqual(['expired']);
    expect(v.problems[0]!.message).toContain('Old Intermediate');
  });

  it('an issuer that is not a CA: intermediate-not-ca', async () => {
    const notCa = await mintCertificate({ subject: 'CN=not a CA', issuer: pki.root, notBefore: addDays(NOW, -1), notAfter: addDays(NOW, 30), eku: ['clientAuth'] });
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
    const partial = await mintCertificate({ subject: 'CN=localhost', notBefore: NOW, notAfter: addDays(NOW, 1), sans: { dns: ['api*.svc.example', 'w*.svc.example', '*z.svc.example'] } });
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
    mintCertificate({ subject, ...(issuer ? { issuer } : {}), ...(key ? { key } : {}), notBefore: nb, notAfter: na, ca: true, ...(pathLength !== undefined ? { pathLength } : {}) });
  const leaf = (issuer: Credential) => mintCertificate({ subject: 'CN=path leaf', issuer, notBefore: nb, notAfter: na, eku: ['clientAuth'] });

  it('a root with pathlen:0 issuing an intermediate that issues the leaf: exceeded, with the reason (openssl agrees)', async () => {
    const root = await ca('CN=PL0 Root', 0);
    const int = await ca('CN=PL0 Intermediate', undefined, root);
    const l = await leaf(int);
    const v = await check([l, int], [root]);
    expect(codes(v)).toEqual(['path-length-exceeded']);
    expect(v.problems[0]!.message).toBe('path length constraint exceeded: "CN=PL0 Root" has pathLenConstraint 0 (at most 0 intermediate CA(s) may follow it), but 1 follow it in the path to the leaf');
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
