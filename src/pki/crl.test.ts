import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeOpensslPki } from '../../test/helpers/openssl-pki.js';
import { addDays } from '../core/clock.js';
import { mintCrl, revokedSerialFor } from './crl.js';
import { subjectDer } from './der.js';
import { certDer, mintCertificate, mintFixturePki, type Credential } from './generate.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mtls-crl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CRL's issuer Name as DER, read from the TBSCertList (version, signature, issuer). */
function crlIssuerDer(pem: string): Buffer {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  // CertificateList → TBSCertList → [version, signature, issuer, …]; walk the DER.
  const read = (b: Buffer, off: number) => {
    let len = b[off + 1]!;
    let p = off + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
      p += n;
    }
    return { start: off, content: p, end: p + len };
  };
  const tbs = read(der, read(der, 0).content);
  const version = read(der, tbs.content);
  const sig = read(der, version.end);
  const issuer = read(der, sig.end);
  return der.subarray(issuer.start, issuer.end);
}

async function checkWithOpenssl(ca: Credential, name: string) {
  const now = new Date();
  const serial = revokedSerialFor(ca);
  const pem = mintCrl(ca, {
    thisUpdate: addDays(now, -1 / 24),
    nextUpdate: addDays(now, 30),
    revoked: [{ serialHex: serial, revokedAt: addDays(now, -1 / 24) }],
  });
  const crlFile = path.join(dir, `${name}.crl.pem`);
  const caFile = path.join(dir, `${name}.ca.pem`);
  writeFileSync(crlFile, pem);
  writeFileSync(caFile, ca.certPem);
  // -CAfile verifies the CRL's signature with the CA ("verify OK" on stderr).
  const text = execFileSync('openssl', ['crl', '-in', crlFile, '-noout', '-text', '-CAfile', caFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(text).toContain('Version 2');
  expect(text).toContain(`Serial Number: ${serial.toUpperCase()}`);
  expect(text).toContain('Key Compromise');
  expect(text).toContain('X509v3 CRL Number');
  expect(crlIssuerDer(pem).equals(subjectDer(certDer(ca)))).toBe(true);
  return { pem, crlFile, caFile, serial };
}

describe('mintCrl', () => {
  it('issues a well-formed v2 CRL from a harness CA, its issuer the CA subject byte for byte', async () => {
    const pki = await mintFixturePki();
    await checkWithOpenssl(pki.root, 'harness');
    // An empty CRL (the intermediate's) has no revokedCertificates field.
    const empty = mintCrl(pki.intermediate, { thisUpdate: new Date(), nextUpdate: addDays(new Date(), 1), revoked: [] });
    writeFileSync(path.join(dir, 'empty.pem'), empty);
    expect(execFileSync('openssl', ['crl', '-in', path.join(dir, 'empty.pem'), '-noout', '-text'], { encoding: 'utf8' })).toContain('No Revoked Certificates');
  });

  it('matches an openssl-CLI CA with UTF8String names, and openssl verify refuses the revoked leaf only', async () => {
    const sub = path.join(dir, 'openssl');
    execFileSync('mkdir', ['-p', sub]);
    const pki = await makeOpensslPki(sub);
    const { crlFile, caFile, serial } = await checkWithOpenssl(pki.root, 'openssl-cli');
    const now = new Date();
    const profile = {
      subject: 'CN=revocation test client, O=mtls-harness',
      issuer: pki.root,
      notBefore: addDays(now, -1 / 24),
      notAfter: addDays(now, 30),
      eku: ['clientAuth' as const],
    };
    const revoked = await mintCertificate({ ...profile, serialNumber: serial });
    const valid = await mintCertificate(profile);
    const verify = (c: Credential) => {
      const f = path.join(dir, 'leaf.pem');
      writeFileSync(f, c.certPem);
      try {
        return execFileSync('openssl', ['verify', '-crl_check', '-CRLfile', crlFile, '-CAfile', caFile, f], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (e) {
        return String((e as { stdout?: string; stderr?: string }).stdout ?? '') + String((e as { stderr?: string }).stderr ?? '');
      }
    };
    expect(verify(valid)).toContain('OK');
    expect(verify(revoked)).toMatch(/certificate revoked/);
  });

  it('derives the revoked serial from the CA (stable across runs, different per CA)', async () => {
    const a = await mintFixturePki();
    const b = await mintFixturePki();
    expect(revokedSerialFor(a.root)).toBe(revokedSerialFor(a.root));
    expect(revokedSerialFor(a.root)).not.toBe(revokedSerialFor(b.root));
    expect(revokedSerialFor(a.root)).toMatch(/^[0-7][0-9a-f]{31}$/);
  });
});
