// Each certificate of the fixture PKI has exactly the property it claims: checked by our parser
// and, independently, by the openssl binary (x509 and verify at the injected time).
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, fixedClock } from '../core/clock.js';
import { mintCertificate, mintFixturePki, type Credential, type FixturePki } from './generate.js';
import { summarizeCertificate } from './inspect.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const clock = fixedClock(NOW);
const epoch = (d: Date) => String(Math.floor(d.getTime() / 1000));
const SPIFFE = 'spiffe://example.org/ns/default/sa/client';

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

/** `openssl verify` at the fixed time against a root (default: the fixture root), optionally with the intermediate as untrusted. */
async function verify(
  c: Credential,
  opts: { purpose?: 'sslclient' | 'sslserver'; withIntermediate?: boolean; at?: Date; host?: string; root?: Credential; of?: FixturePki } = {},
) {
  const p = opts.of ?? pki;
  const args = ['verify', '-attime', epoch(opts.at ?? NOW), '-CAfile', await file(opts.root ?? p.root)];
  if (opts.withIntermediate) args.push('-untrusted', await file(p.intermediate));
  if (opts.purpose) args.push('-purpose', opts.purpose);
  if (opts.host) args.push('-verify_hostname', opts.host);
  args.push(await file(c));
  return openssl(args);
}

const x509text = async (c: Credential) => (await openssl(['x509', '-noout', '-text', '-in', await file(c)])).out;
/** `openssl x509 -noout -ext NAMES`: the named extensions only. */
const ext = async (c: Credential, names: string) => (await openssl(['x509', '-noout', '-ext', names, '-in', await file(c)])).out;
/** `openssl x509 -noout -dates` as Dates. */
async function dates(c: Credential): Promise<{ notBefore: Date; notAfter: Date }> {
  const out = (await openssl(['x509', '-noout', '-dates', '-in', await file(c)])).out;
  const get = (k: string) => new Date(out.match(new RegExp(`^${k}=(.*)$`, 'm'))![1]!.trim());
  return { notBefore: get('notBefore'), notAfter: get('notAfter') };
}
/** `openssl x509 -noout -subject|-issuer` in RFC 2253 form. */
const dn = async (c: Credential, which: 'subject' | 'issuer') =>
  (await openssl(['x509', '-noout', `-${which}`, '-nameopt', 'RFC2253', '-in', await file(c)])).out.trim().replace(/^(subject|issuer)=/, '');

beforeAll(async () => {
  pki = await mintFixturePki({ clock, clientUri: SPIFFE });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-pki-'));
});
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('the trusted hierarchy', () => {
  it('root and intermediate are CAs; validity is measured from the injected clock', async () => {
    const root = summarizeCertificate(pki.root.cert, clock);
    expect(root.basicConstraints).toEqual({ ca: true, pathLength: 1, critical: true });
    expect(root.keyUsage).toEqual(expect.arrayContaining(['keyCertSign', 'cRLSign']));
    expect(root.selfIssued).toBe(true);
    expect(root.notBefore).toBe(addDays(NOW, -1 / 24).toISOString());
    expect(root.notAfter).toBe(addDays(NOW, 3650).toISOString());
    expect(root.publicKey).toMatchObject({ type: 'EC', curve: 'P-256' });
    expect(await ext(pki.root, 'basicConstraints')).toMatch(/critical\s+CA:TRUE, pathlen:1/);
    expect(await ext(pki.intermediate, 'basicConstraints')).toMatch(/critical\s+CA:TRUE, pathlen:0/);
    expect(await ext(pki.root, 'keyUsage')).toMatch(/critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    expect(await dn(pki.root, 'issuer')).toBe(await dn(pki.root, 'subject'));
    expect(await dn(pki.intermediate, 'issuer')).toBe(await dn(pki.root, 'subject'));
    const selfCheck = await verify(pki.root);
    expect(selfCheck.ok, selfCheck.out).toBe(true);
    const int = await verify(pki.intermediate);
    expect(int.ok, int.out).toBe(true);
  });

  it('server leaf: serverAuth, DNS+IP SANs, verifies for sslserver and localhost only with its intermediate', async () => {
    const s = summarizeCertificate(pki.server.cert, clock);
    expect(s.extKeyUsage).toEqual(['serverAuth']);
    expect(s.basicConstraints?.ca).toBe(false);
    expect(s.sans).toMatchObject({ dns: ['localhost'], ip: ['127.0.0.1', '::1'] });
    expect(s.daysLeft).toBe(365);
    expect(await ext(pki.server, 'subjectAltName')).toMatch(/DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1\s*$/);
    expect(await ext(pki.server, 'extendedKeyUsage')).toMatch(/TLS Web Server Authentication\s*$/);
    expect(pki.server.chainPem).toBe(pki.server.certPem + pki.intermediate.certPem);
    const ok = await verify(pki.server, { purpose: 'sslserver', withIntermediate: true, host: 'localhost' });
    expect(ok.ok, ok.out).toBe(true);
    const noInt = await verify(pki.server, { purpose: 'sslserver' });
    expect(noInt.ok).toBe(false);
    expect(noInt.out).toMatch(/error 20 .*unable to get local issuer certificate/);
  });

  it('client leaf: clientAuth, SPIFFE URI SAN, verifies for sslclient, not for sslserver', async () => {
    const c = summarizeCertificate(pki.client.cert, clock);
    expect(c.extKeyUsage).toEqual(['clientAuth']);
    expect(c.sans.uri).toEqual([SPIFFE]);
    expect(await ext(pki.client, 'subjectAltName')).toMatch(new RegExp(`URI:${SPIFFE}\\s*$`));
    expect(await dn(pki.client, 'issuer')).toBe(await dn(pki.root, 'subject'));
    expect(pki.client.chainPem).toBe(pki.client.certPem);
    const ok = await verify(pki.client, { purpose: 'sslclient' });
    expect(ok.ok, ok.out).toBe(true);
    const asServer = await verify(pki.client, { purpose: 'sslserver' });
    expect(asServer.ok).toBe(false);
    expect(asServer.out).toMatch(/error 26 .*unsuitable certificate purpose/);
  });

  it('the private keys are PKCS#8 and belong to their certificates (openssl pkey vs x509 -pubkey)', async () => {
    for (const c of [pki.root, pki.server, pki.client]) {
      expect(c.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      const kf = path.join(dir, `k${files.size}-${Math.random().toString(36).slice(2)}.key`);
      await fs.writeFile(kf, c.keyPem, { mode: 0o600 });
      const fromKey = await openssl(['pkey', '-pubout', '-in', kf]);
      const fromCert = await openssl(['x509', '-noout', '-pubkey', '-in', await file(c)]);
      expect(fromKey.ok).toBe(true);
      expect(fromKey.out).toBe(fromCert.out);
    }
  });
});

describe('clock injection', () => {
  it('every validity period is relative to the injected time, as openssl reads it', async () => {
    expect(pki.createdAt.toISOString()).toBe(NOW.toISOString());
    expect(await dates(pki.client)).toEqual({ notBefore: addDays(NOW, -1 / 24), notAfter: addDays(NOW, 365) });
    expect(await dates(pki.server)).toEqual({ notBefore: addDays(NOW, -1 / 24), notAfter: addDays(NOW, 365) });
    expect(await dates(pki.intermediate)).toEqual({ notBefore: addDays(NOW, -1 / 24), notAfter: addDays(NOW, 3650) });
    expect(await dates(pki.badClients.expired)).toEqual({ notBefore: addDays(NOW, -30), notAfter: addDays(NOW, -1) });
    expect(await dates(pki.badClients.notYetValid)).toEqual({ notBefore: addDays(NOW, 1), notAfter: addDays(NOW, 30) });
  });

  it('another clock, leafDays and expiringInDays move the dates with it', async () => {
    const later = new Date('2031-02-03T04:05:06Z');
    const other = await mintFixturePki({ clock: fixedClock(later), leafDays: 30, expiringInDays: 7 });
    const of = (c: Credential) => summarizeCertificate(c.cert, fixedClock(later));
    expect(other.createdAt.toISOString()).toBe(later.toISOString());
    expect(of(other.client).notBefore).toBe(addDays(later, -1 / 24).toISOString());
    expect(of(other.client).daysLeft).toBe(30);
    expect(of(other.server).daysLeft).toBe(30);
    expect(of(other.badServers.expiring).daysLeft).toBe(7);
    expect(of(other.badClients.expired).notAfter).toBe(addDays(later, -1).toISOString());
    // At our fixed 2026 time the 2031 PKI is not yet valid, at its own time it is.
    const at2031 = await verify(other.client, { of: other, at: later, purpose: 'sslclient' });
    expect(at2031.ok, at2031.out).toBe(true);
    expect((await verify(other.client, { of: other, purpose: 'sslclient' })).out).toMatch(/error 9 /);
  });
});

describe('crafted bad client certificates', () => {
  it("untrusted CA: its issuer has the trusted root's exact name but another key; openssl rejects it", async () => {
    const bad = pki.badClients.untrustedCa;
    const lookAlikeCa = pki.badClients.untrustedCaIssuer;
    expect(bad.cert.issuer).toBe(pki.root.cert.subject);
    expect(lookAlikeCa.cert.subject).toBe(pki.root.cert.subject);
    expect(await dn(bad, 'issuer')).toBe(await dn(pki.root, 'subject'));
    expect(await dn(lookAlikeCa, 'subject')).toBe(await dn(pki.root, 'subject'));
    expect(summarizeCertificate(lookAlikeCa.cert, clock).fingerprintSha256).not.toBe(summarizeCertificate(pki.root.cert, clock).fingerprintSha256);
    // Same name, another key: the authority key identifier names the look-alike's key, not the root's.
    const ski = (out: string) => out.match(/Key Identifier:\s*\n\s*([0-9A-F:]+)/)![1];
    const aki = ski(await ext(bad, 'authorityKeyIdentifier'));
    expect(aki).toBe(ski(await ext(lookAlikeCa, 'subjectKeyIdentifier')));
    expect(aki).not.toBe(ski(await ext(pki.root, 'subjectKeyIdentifier')));
    const r = await verify(bad, { purpose: 'sslclient' });
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/error 20 .*unable to get local issuer certificate/);
    // Against its own (look-alike) CA it is a perfectly valid client certificate.
    const lookAlike = await verify(bad, { purpose: 'sslclient', root: lookAlikeCa });
    expect(lookAlike.ok, lookAlike.out).toBe(true);
    expect(summarizeCertificate(bad.cert, clock).extKeyUsage).toEqual(['clientAuth']);
  });

  it("self-signed: issuer = subject = the valid client's name, clientAuth; openssl: self-signed (18)", async () => {
    const c = pki.badClients.selfSigned;
    const s = summarizeCertificate(c.cert, clock);
    expect(s.selfIssued).toBe(true);
    expect(s.subject).toBe(summarizeCertificate(pki.client.cert, clock).subject);
    expect(s.extKeyUsage).toEqual(['clientAuth']);
    expect(s.basicConstraints?.ca).toBe(false);
    expect(await dn(c, 'issuer')).toBe(await dn(c, 'subject'));
    const r = await verify(c, { purpose: 'sslclient' });
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/error 18 .*self-signed certificate/);
  });

  it('wrong EKU: chain valid, purpose sslclient refused (26)', async () => {
    const c = pki.badClients.wrongEku;
    expect(summarizeCertificate(c.cert, clock).extKeyUsage).toEqual(['serverAuth']);
    expect(await ext(c, 'extendedKeyUsage')).toMatch(/Extended Key Usage:\s*\n\s*TLS Web Server Authentication\s*$/);
    const chainOnly = await verify(c);
    expect(chainOnly.ok, chainOnly.out).toBe(true);
    const r = await verify(c, { purpose: 'sslclient' });
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/error 26 .*unsuitable certificate purpose/);
  });

  it('CA as leaf: issued by the root with CA:TRUE and clientAuth (openssl accepts it as a client)', async () => {
    const c = pki.badClients.caAsLeaf;
    const s = summarizeCertificate(c.cert, clock);
    expect(s.basicConstraints?.ca).toBe(true);
    expect(s.extKeyUsage).toEqual(['clientAuth']);
    expect(s.selfIssued).toBe(false);
    expect(await ext(c, 'basicConstraints')).toMatch(/critical\s+CA:TRUE\s*$/);
    expect(await x509text(c)).toMatch(/CA:TRUE[\s\S]*TLS Web Client Authentication/);
    const r = await verify(c, { purpose: 'sslclient' });
    expect(r.ok, r.out).toBe(true);
  });

  it('expired: expired yesterday by the injected clock (10); otherwise valid', async () => {
    const c = pki.badClients.expired;
    const s = summarizeCertificate(c.cert, clock);
    expect(s.expired).toBe(true);
    expect(s.notAfter).toBe(addDays(NOW, -1).toISOString());
    const r = await verify(c, { purpose: 'sslclient' });
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/error 10 .*certificate has expired/);
    const ignoringTime = await openssl(['verify', '-no_check_time', '-purpose', 'sslclient', '-CAfile', await file(pki.root), await file(c)]);
    expect(ignoringTime.ok, ignoringTime.out).toBe(true);
  });

  it('not yet valid: valid from tomorrow (9)', async () => {
    const c = pki.badClients.notYetValid;
    const s = summarizeCertificate(c.cert, clock);
    expect(s.notYetValid).toBe(true);
    expect(s.notBefore).toBe(addDays(NOW, 1).toISOString());
    const r = await verify(c, { purpose: 'sslclient' });
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/error 9 .*certificate is not yet valid/);
    const dayAfter = await verify(c, { purpose: 'sslclient', at: addDays(NOW, 2) });
    expect(dayAfter.ok, dayAfter.out).toBe(true);
  });

  it('intermediate-issued: verifies only with the intermediate, which its chainPem carries', async () => {
    const c = pki.badClients.intermediateIssued;
    expect(c.cert.issuer).toBe(pki.intermediate.cert.subject);
    expect(await dn(c, 'issuer')).toBe(await dn(pki.intermediate, 'subject'));
    expect(c.chainPem).toBe(c.certPem + pki.intermediate.certPem);
    const withInt = await verify(c, { purpose: 'sslclient', withIntermediate: true });
    expect(withInt.ok, withInt.out).toBe(true);
    const alone = await verify(c, { purpose: 'sslclient' });
    expect(alone.ok).toBe(false);
    expect(alone.out).toMatch(/error 20 /);
  });
});

describe('crafted bad server certificates', () => {
  it('wrong SAN: only DNS wrong.example; openssl hostname checks fail for localhost and 127.0.0.1', async () => {
    const c = pki.badServers.wrongSan;
    const s = summarizeCertificate(c.cert, clock);
    expect(s.sans).toEqual({ dns: ['wrong.example'], ip: [], uri: [], email: [], other: [] });
    expect(await ext(c, 'subjectAltName')).toMatch(/Subject Alternative Name:\s*\n\s*DNS:wrong\.example\s*$/);
    const check = await openssl(['x509', '-noout', '-checkhost', 'localhost', '-checkip', '127.0.0.1', '-in', await file(c)]);
    expect(check.out).toMatch(/Hostname localhost does NOT match certificate/);
    expect(check.out).toMatch(/IP 127\.0\.0\.1 does NOT match certificate/);
    const v = await verify(c, { purpose: 'sslserver', withIntermediate: true, host: 'localhost' });
    expect(v.ok).toBe(false);
    expect(v.out).toMatch(/error 62 .*hostname mismatch/);
    const right = await verify(c, { purpose: 'sslserver', withIntermediate: true, host: 'wrong.example' });
    expect(right.ok, right.out).toBe(true);
  });

  it('CN-only: no subjectAltName extension at all, CN=localhost', async () => {
    const c = pki.badServers.cnOnly;
    const s = summarizeCertificate(c.cert, clock);
    expect(s.sans).toEqual({ dns: [], ip: [], uri: [], email: [], other: [] });
    expect(await ext(c, 'subjectAltName')).toMatch(/^No extensions in certificate\s*$/);
    expect(await x509text(c)).not.toContain('Subject Alternative Name');
    expect(await dn(c, 'subject')).toMatch(/(^|,)CN=localhost(,|$)/);
    // openssl falls back to the CN when there is no SAN; the harness (RFC 6125 §6.4.4) does not,
    // which is why san.server-has-san exists. Everything else about this certificate is valid.
    const r = await openssl(['x509', '-noout', '-checkhost', 'localhost', '-in', await file(c)]);
    expect(r.out).toMatch(/Hostname localhost does match certificate/);
    const v = await verify(c, { purpose: 'sslserver', withIntermediate: true });
    expect(v.ok, v.out).toBe(true);
  });

  it('expiring: notAfter exactly expiringInDays (3) ahead, otherwise valid', async () => {
    const c = pki.badServers.expiring;
    const s = summarizeCertificate(c.cert, clock);
    expect(s.daysLeft).toBe(3);
    expect(s.expired).toBe(false);
    // openssl's -checkend is relative to the real clock, so read notAfter and compare with the injected one.
    expect((await dates(c)).notAfter).toEqual(addDays(NOW, 3));
    const v = await verify(c, { purpose: 'sslserver', withIntermediate: true });
    expect(v.ok, v.out).toBe(true);
    const afterwards = await verify(c, { purpose: 'sslserver', withIntermediate: true, at: addDays(NOW, 4) });
    expect(afterwards.out).toMatch(/error 10 /);
  });

  it('expired: expired yesterday (10)', async () => {
    const c = pki.badServers.expired;
    expect(summarizeCertificate(c.cert, clock).expired).toBe(true);
    expect((await dates(c)).notAfter).toEqual(addDays(NOW, -1));
    const r = await verify(c, { purpose: 'sslserver', withIntermediate: true });
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/error 10 .*certificate has expired/);
  });

  it('incomplete chain: issued by the intermediate, served without it (20)', async () => {
    const c = pki.badServers.incompleteChain;
    expect(c.cert.issuer).toBe(pki.intermediate.cert.subject);
    expect(c.certPem).not.toContain(pki.intermediate.certPem.trim());
    const r = await verify(c, { purpose: 'sslserver' });
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/error 20 .*unable to get local issuer certificate/);
    const withInt = await verify(c, { purpose: 'sslserver', withIntermediate: true });
    expect(withInt.ok, withInt.out).toBe(true);
  });
});

describe('key types', () => {
  it('ECDSA P-256 by default, everywhere, and a fresh key and serial per certificate', async () => {
    const all = [pki.root, pki.intermediate, pki.server, pki.client, ...Object.values(pki.badClients), ...Object.values(pki.badServers)];
    for (const c of all) expect(summarizeCertificate(c.cert, clock).publicKey).toEqual({ type: 'EC', curve: 'P-256', bits: 256 });
    expect(await x509text(pki.server)).toMatch(/Public-Key: \(256 bit\)[\s\S]*NIST CURVE: P-256[\s\S]*Signature Algorithm: ecdsa-with-SHA256/);
    const unique = [...new Set(all)];
    expect(new Set(unique.map((c) => c.keyPem)).size).toBe(unique.length);
    expect(new Set(unique.map((c) => c.cert.serialNumber)).size).toBe(unique.length);
  });

  it('rsa-2048 for the whole fixture PKI on request; openssl verifies it', async () => {
    const rsa = await mintFixturePki({ clock, keyType: 'rsa-2048' });
    const all = [rsa.root, rsa.intermediate, rsa.server, rsa.client, ...Object.values(rsa.badClients), ...Object.values(rsa.badServers)];
    for (const c of all) expect(summarizeCertificate(c.cert, clock).publicKey).toEqual({ type: 'RSA', bits: 2048 });
    expect(await x509text(rsa.client)).toMatch(/Public-Key: \(2048 bit\)[\s\S]*Signature Algorithm: sha256WithRSAEncryption/);
    expect(summarizeCertificate(rsa.client.cert, clock).keyUsage).toEqual(['digitalSignature', 'keyEncipherment']);
    const s = await verify(rsa.server, { of: rsa, purpose: 'sslserver', withIntermediate: true, host: 'localhost' });
    expect(s.ok, s.out).toBe(true);
    const c = await verify(rsa.client, { of: rsa, purpose: 'sslclient' });
    expect(c.ok, c.out).toBe(true);
  });

  it.each([
    ['ec-p384', /Public-Key: \(384 bit\)[\s\S]*NIST CURVE: P-384/],
    ['rsa-3072', /Public-Key: \(3072 bit\)/],
    ['rsa-4096', /Public-Key: \(4096 bit\)/], // one small mint: 4096-bit generation is slow
  ] as const)('%s on request (one certificate; key matches per openssl)', async (keyType, pattern) => {
    const c = await mintCertificate({ subject: 'CN=k', keyType, notBefore: NOW, notAfter: addDays(NOW, 1), eku: ['clientAuth'] });
    expect(await x509text(c)).toMatch(pattern);
    const kf = path.join(dir, `${keyType}.key`);
    await fs.writeFile(kf, c.keyPem, { mode: 0o600 });
    const pub1 = await openssl(['pkey', '-pubout', '-in', kf]);
    const pub2 = await openssl(['x509', '-noout', '-pubkey', '-in', await file(c)]);
    expect(pub1.ok).toBe(true);
    expect(pub1.out).toBe(pub2.out);
    const self = await openssl(['verify', '-attime', epoch(NOW), '-CAfile', await file(c), await file(c)]);
    expect(self.ok, self.out).toBe(true); // the self-signature is valid
    if (keyType.startsWith('rsa')) expect(summarizeCertificate(c.cert, clock).keyUsage).toContain('keyEncipherment');
    else expect(summarizeCertificate(c.cert, clock).keyUsage).not.toContain('keyEncipherment');
  });
});
