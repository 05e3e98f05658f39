// Issue 16 (1): a certificate whose public key cannot be decoded (a P-256 key whose curve OID is
// altered, minted at test time) is classified, never a crash; and an exception that escapes anyway
// ends the run with its reports written, one line on stderr and exit 1.
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeCertificate } from '../src/pki/inspect.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { spawnCli } from './helpers/cli.js';

const P256_OID = Buffer.from('06082a8648ce3d030107', 'hex'); // 1.2.840.10045.3.1.7 (prime256v1)
const BOGUS_OID = Buffer.from('06082a8648ce3d030119', 'hex'); // 1.2.840.10045.3.1.25: no such curve

/** The certificate's DER with its SPKI curve OID replaced (same length; the signature no longer verifies). */
export function alterCurve(der: Buffer): Buffer {
  const at = der.indexOf(P256_OID);
  if (at < 0) throw new Error('no P-256 OID in the certificate');
  const out = Buffer.from(der);
  BOGUS_OID.copy(out, at);
  return out;
}
const toPem = (der: Buffer) => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;

let tmp: string;
let pki: FixturePki;
let badDer: Buffer;
const f = (n: string) => path.join(tmp, n);
const STACK = /\n\s+at |node:internal|\.ts:\d+|\.js:\d+/;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-undecodable-'));
  pki = await mintFixturePki();
  badDer = alterCurve(Buffer.from(pki.client.cert.rawData));
  await fs.writeFile(f('bad.pem'), toPem(badDer));
  await fs.writeFile(f('bad-key.pem'), pki.client.keyPem, { mode: 0o600 });
  await fs.writeFile(f('ca.pem'), pki.root.certPem);
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('a certificate whose public key cannot be decoded', () => {
  it('is parsed by node but its key is not (the premise)', () => {
    const c = new X509Certificate(badDer);
    expect(() => c.publicKey).toThrow(/decode error/);
  });

  it('summarizeCertificate names the undecodable part instead of throwing', () => {
    const s = summarizeCertificate(new X509Certificate(badDer));
    expect(s.subject).toMatch(/client/);
    expect(s.publicKey.type).toBe('undecodable');
    expect(s.publicKey.undecodable).toMatch(/^subject public key \(SPKI\) cannot be decoded: .*decode error/);
  });

  it('audit: classified, a report, no stack trace', async () => {
    const r = await spawnCli(['audit', f('bad.pem'), '--json', f('audit.json')], tmp);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(/internal error/);
    expect([0, 1]).toContain(r.code);
    const j = JSON.parse(await fs.readFile(f('audit.json'), 'utf8'));
    const strength = j.results.find((x: { check: string }) => x.check === 'audit.crypto-strength');
    expect(strength.status).toBe('error');
    expect(strength.message).toMatch(/cannot be decoded/);
  });

  it('--cert with an undecodable key: exit 2, one line', async () => {
    const r = await spawnCli(['run', '--target', '127.0.0.1:9', '--ca', f('ca.pem'), '--cert', f('bad.pem'), '--key', f('bad-key.pem')], tmp);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mtls-harness: error: .*bad\.pem.*public key.*cannot be decoded/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('--ca with an undecodable key: exit 2, one line', async () => {
    const r = await spawnCli(['run', '--target', '127.0.0.1:9', '--ca', f('bad.pem')], tmp);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^mtls-harness: error: .*bad\.pem.*public key.*cannot be decoded/);
  });
});
