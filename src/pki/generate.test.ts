// Each certificate of the fixture PKI has exactly the property it claims: checked by our parser
// and, independently, by the openssl binary (x509 and verify at the injected time).
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, fixedClock } from './clock.js';
import { mintCertificate, mintFixturePki, type Credential, type FixturePki } from './generate.js';
import { summarizeCertificate } from './inspect.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const clock = fixedClock(NOW);
const epoch = (d: Date) => String(Math.floor(d.getTime() / 1000));

function openssl(args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => execFile('openssl', args, (err, stdout, stderr) => resolve({ ok: !err, out: stdout + stderr })));
}

let pki: FixturePki;
let dir: string;
const files = new Map<Credential, string>();

async function file(c: Credential): Promise<string> {
  let f = files.get(c);
  if (!f) {
    f = path.join(dir, `c${files.size}.pem`);
    await fs.writeFile(f, c.certPem);
    files.set(c, f);
  }
  return f;
}

/** `openssl verify` at the fixed time against the fixture root, optionally with the intermediate as untrusted. */
async function verify(c: Credential, opts: { purpose?: 'sslclient' | 'sslserver'; withIntermediate?: boolean; at?: Date; host?: string } = {}) {
  const args = ['verify', '-attime', epoch(opts.at ?? NOW), '-CAfile', await file(pki.root)];
  if (opts.withIntermediate) args.push('-untrusted', await file(pki.intermediate));
  if (opts.purpose) args.push('-purpose', opts.purpose);
  if (opts.host) args.push('-verify_hostname', opts.host);
  args.push(await file(c));
  return openssl(args);
}

const x509text = async (c: Credential) => (await openssl(['x509', '-noout', '-text', '-in', await file(c)])).out;

beforeAll(async () => {
  pki = await mintFixturePki({ clock, clientUri: 'spiffe://example.org/ns/default/sa/client' });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-pki-'));
});
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('the trusted hierarchy', () => {
  it('root and intermediate are CAs; validity is measured from the injected clock', async () => {
    const root = summarizeCertificate(pki.root.cert, clock);
    expect(root.basicConstraints).toMatchObject({ ca: true, critical: true });
    expect(root.keyUsage).toEqual(expect.arrayContaining(['keyCertSign', 'cRLSign']));
    expect(root.selfIssued).toBe(true);
    expect(root.notBefore).toBe(addDays(NOW, -1 / 24).toISOString());
    expect(root.publicKey).toMatchObject({ type: 'EC', curve: 'P-256' });
    expect(await x509text(pki.root)).toMatch(/CA:TRUE, pathlen:1/);
    expect(await x509text(pki.intermediate)).toMatch(/CA:TRUE, pathlen:0/);
    expect((await verify(pki.intermediate)).ok).toBe(true);
  });

  it('server leaf: serverAuth, DNS+IP SANs, verifies for sslserver and localhost only with its intermediate', async () => {
    const s = summarizeCertificate(pki.server.cert, clock);
    expect(s.extKeyUsage).toEqual(['serverAuth']);
    expect(s.basicConstraints?.ca).toBe(false);
    expect(s.sans).toMatchObject({ dns: ['localhost'], ip: ['127.0.0.1', '::1'] });
    expect(s.daysLeft).toBe(365);
    expect(pki.server.chainPem).toBe(pki.server.certPem + pki.intermediate.certPem);
    expect((await verify(pki.server, { purpose: 'sslserver', withIntermediate: true, host: 'localhost' })).ok).toBe(true);
    const noInt = await verify(pki.server, { withIntermediate: false });
    expect(noInt.ok).toBe(false);
    expect(noInt.out).toMatch(/error 20 .*unable to get local issuer certificate/);
  });

  it('client leaf: clientAuth, SPIFFE URI SAN, verifies for sslclient, not for sslserver', async () => {
    const c = summarizeCertificate(pki.client.cert, clock);
    expect(c.extKeyUsage).toEqual(['clientAuth']);
    expect(c.sans.uri).toEqual(['spiffe://example.org/ns/default/sa/client']);
    expect(await x509text(pki.client)).toContain('URI:spiffe://example.org/ns/default/sa/client');
    expect((await verify(pki.client, { purpose: 'sslclient' })).ok).toBe(true);
    expect((await verify(pki.client, { purpose: 'sslserver' })).out).toMatch(/error 26 .*unsuitable certificate purpose/);
  });
});

describe('crafted bad client certificates', () => {
  it('untrusted CA: its issuer has the trusted root\'s exact name but another key; openssl rejects the signature', async () => {
    const bad = pki.badClients.untrustedCa;
    expect(bad.cert.issuer).toBe(pki.root.cert.subject);
    expect(pki.badClients.untrustedCaIssuer.cert.subject).toBe(pki.root.cert.subject);
    expect(summarizeCertificate(pki.badClients.untrustedCaIssuer.cert, clock).fingerprintSha256).not.toBe(summarizeCertificate(pki.root.cert, clock).fingerprintSha256);
    const r = await verify(bad, { purpose: 'sslclient' });
    expect(r.ok).toBe(false);
    // The authority key identifier points at the other key, so openssl finds no issuer among the anchors.
    expect(r.out).toMatch(/error 20 .*unable to get local issuer certificate/);
    // Against its own (look-alike) CA it is a perfectly valid client certificate.
    const lookAlike = await openssl(['verify', '-attime', epoch(NOW), '-purpose', 'sslclient', '-CAfile', await file(pki.badClients.untrustedCaIssuer), await file(bad)]);
    expect(lookAlike.ok, lookAlike.out).toBe(true);
    expect(summarizeCertificate(bad.cert, clock).extKeyUsage).toEqual(['clientAuth']);
  });

  it('self-signed: issuer = subject, clientAuth, openssl: self-signed', async () => {
    const s = summarizeCertificate(pki.badClients.selfSigned.cert, clock);
    expect(s.selfIssued).toBe(true);
    expect(s.extKeyUsage).toEqual(['clientAuth']);
    expect((await verify(pki.badClients.selfSigned)).out).toMatch(/error 18 .*self-signed certificate/);
  });

  it('wrong EKU: chain valid, purpose sslclient refused', async () => {
    expect(summarizeCertificate(pki.badClients.wrongEku.cert, clock).extKeyUsage).toEqual(['serverAuth']);
    expect((await verify(pki.badClients.wrongEku)).ok).toBe(true);
    expect((await verify(pki.badClients.wrongEku, { purpose: 'sslclient' })).out).toMatch(/error 26 .*unsuitable certificate purpose/);
  });

  it('CA as leaf: issued by the root with CA:TRUE and clientAuth', async () => {
    const s = summarizeCertificate(pki.badClients.caAsLeaf.cert, clock);
    expect(s.basicConstraints?.ca).toBe(true);
    expect(s.extKeyUsage).toEqual(['clientAuth']);
    expect(await x509text(pki.badClients.caAsLeaf)).toMatch(/CA:TRUE[\s\S]*TLS Web Client Authentication/);
    expect((await verify(pki.badClients.caAsLeaf)).ok).toBe(true);
  });

  it('expired: expired yesterday by the injected clock; otherwise valid', async () => {
    const s = summarizeCertificate(pki.badClients.expired.cert, clock);
    expect(s.expired).toBe(true);
    expect(s.notAfter).toBe(addDays(NOW, -1).toISOString());
    expect((await verify(pki.badClients.expired, { purpose: 'sslclient' })).out).toMatch(/error 10 .*certificate has expired/);
    const ignoringTime = await openssl(['verify', '-no_check_time', '-purpose', 'sslclient', '-CAfile', await file(pki.root), await file(pki.badClients.expired)]);
    expect(ignoringTime.ok, ignoringTime.out).toBe(true);
  });

  it('not yet valid: valid from tomorrow', async () => {
    const s = summarizeCertificate(pki.badClients.notYetValid.cert, clock);
    expect(s.notYetValid).toBe(true);
    expect(s.notBefore).toBe(addDays(NOW, 1).toISOString());
    expect((await verify(pki.badClients.notYetValid, { purpose: 'sslclient' })).out).toMatch(/error 9 .*certificate is not yet valid/);
    expect((await verify(pki.badClients.notYetValid, { purpose: 'sslclient', at: addDays(NOW, 2) })).ok).toBe(true);
  });

  it('intermediate-issued: verifies only with the intermediate, which its chainPem carries', async () => {
    const c = pki.badClients.intermediateIssued;
    expect(c.cert.issuer).toBe(pki.intermediate.cert.subject);
    expect(c.chainPem).toBe(c.certPem + pki.intermediate.certPem);
    expect((await verify(c, { purpose: 'sslclient', withIntermediate: true })).ok).toBe(true);
    expect((await verify(c, { purpose: 'sslclient' })).out).toMatch(/error 20 /);
  });
});

describe('crafted bad server certificates', () => {
  it('wrong SAN: only wrong.example; openssl hostname check fails for localhost', async () => {
    const s = summarizeCertificate(pki.badServers.wrongSan.cert, clock);
    expect(s.sans).toMatchObject({ dns: ['wrong.example'], ip: [] });
    expect((await verify(pki.badServers.wrongSan, { withIntermediate: true, host: 'localhost' })).out).toMatch(/error 62 .*hostname mismatch/);
    expect((await verify(pki.badServers.wrongSan, { withIntermediate: true, host: 'wrong.example' })).ok).toBe(true);
  });

  it('CN-only: no subjectAltName at all, CN=localhost, which openssl does not accept as a name', async () => {
    const s = summarizeCertificate(pki.badServers.cnOnly.cert, clock);
    expect(s.sans).toEqual({ dns: [], ip: [], uri: [], email: [], other: [] });
    const text = await x509text(pki.badServers.cnOnly);
    expect(text).not.toContain('Subject Alternative Name');
    expect(text).toMatch(/Subject: CN ?= ?localhost/);
    const r = await openssl(['x509', '-noout', '-checkhost', 'localhost', '-in', await file(pki.badServers.cnOnly)]);
    // openssl falls back to the CN without a SAN; the harness (RFC 6125 §6.4.4) does not — san.server-has-san fails.
    expect(r.out).toMatch(/Hostname localhost does match certificate/);
  });

  it('expiring: notAfter exactly expiringInDays ahead, otherwise valid', async () => {
    const s = summarizeCertificate(pki.badServers.expiring.cert, clock);
    expect(s.daysLeft).toBe(3);
    // openssl's -checkend is relative to the real clock, so read notAfter and compare with the injected one.
    const end = (await openssl(['x509', '-noout', '-enddate', '-in', await file(pki.badServers.expiring)])).out.replace(/^notAfter=/, '').trim();
    expect(new Date(end).getTime()).toBe(addDays(NOW, 3).getTime());
    expect((await verify(pki.badServers.expiring, { purpose: 'sslserver', withIntermediate: true })).ok).toBe(true);
    const seven = await mintFixturePki({ clock, expiringInDays: 7 });
    expect(summarizeCertificate(seven.badServers.expiring.cert, clock).daysLeft).toBe(7);
  });

  it('expired: expired yesterday', async () => {
    expect((await verify(pki.badServers.expired, { withIntermediate: true })).out).toMatch(/error 10 .*certificate has expired/);
  });

  it('incomplete chain: issued by the intermediate, served without it', async () => {
    const c = pki.badServers.incompleteChain;
    expect(c.cert.issuer).toBe(pki.intermediate.cert.subject);
    expect((await verify(c)).out).toMatch(/error 20 .*unable to get local issuer certificate/);
  });
});

describe('key types', () => {
  it.each([
    ['ec-p384', /Public-Key: \(384 bit\)[\s\S]*NIST CURVE: P-384/],
    ['rsa-2048', /Public-Key: \(2048 bit\)/],
    ['rsa-3072', /Public-Key: \(3072 bit\)/],
    ['rsa-4096', /Public-Key: \(4096 bit\)/],
  ] as const)('%s on request', async (keyType, pattern) => {
    const c = await mintCertificate({ subject: 'CN=k', keyType, notBefore: NOW, notAfter: addDays(NOW, 1), eku: ['clientAuth'] });
    expect(await x509text(c)).toMatch(pattern);
    const pub1 = await openssl(['pkey', '-pubout', '-in', await fs.writeFile(path.join(dir, `${keyType}.key`), c.keyPem, { mode: 0o600 }).then(() => path.join(dir, `${keyType}.key`))]);
    const pub2 = await openssl(['x509', '-noout', '-pubkey', '-in', await file(c)]);
    expect(pub1.out).toBe(pub2.out);
    if (keyType.startsWith('rsa')) expect(summarizeCertificate(c.cert, clock).keyUsage).toContain('keyEncipherment');
  });

  it('ECDSA P-256 by default and a fresh key and serial per certificate', async () => {
    expect(summarizeCertificate(pki.client.cert, clock).publicKey).toMatchObject({ type: 'EC', curve: 'P-256' });
    expect(pki.client.key).not.toBe(pki.server.key);
    const serials = [pki.root, pki.intermediate, pki.server, pki.client, ...Object.values(pki.badClients)].map((c) => c.cert.serialNumber);
    expect(new Set(serials).size).toBe(serials.length);
  });
});
