// Each crafted client-certificate profile (src/pki/crafted-table.ts, crafted-profiles.ts) is encoded
// as its row says: an independent verifier, the `openssl` CLI, refuses exactly the profiles the
// table says OpenSSL refuses, for the reason the row names, accepts every control, and shows the one
// changed property where its text can show it. A Tweak that encoded nothing, or broke more than its
// property, fails here before any server is asked.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../src/core/clock.js';
import { CRAFTED_PROFILES, mintControl, mintCrafted } from '../src/pki/crafted-profiles.js';
import { mintCertificate, mintFixturePki, type Credential, type MintOptions } from '../src/pki/generate.js';
import { OPENSSL_ACCEPTS } from '../suites/profile-verdicts.js';
import { OPENSSL } from './helpers/servers.js';

/** Why `openssl verify -purpose sslclient -auth_level 2` refuses each profile OpenSSL refuses (its error text). */
const REFUSED_FOR: Record<string, RegExp> = {
  'ku-no-digital-signature': /unsuitable certificate purpose/,
  'ku-empty': /unable to get local issuer certificate|invalid certificate/,
  'unknown-critical-extension': /unhandled critical extension/,
  'duplicate-extension': /unable to get local issuer certificate|invalid certificate/,
  'eku-any': /unsuitable certificate purpose/,
  'sha1-signature': /signature digest algorithm too weak/,
  'rsa-1024-key': /key too weak/,
  'bad-signature': /certificate signature failure/,
  'signature-algorithm-mismatch': /certificate signature failure/,
  'issuer-name-mismatch': /unable to get local issuer certificate/,
  'aki-mismatch': /unable to get local issuer certificate/,
  'validity-inverted': /not yet valid|has expired/,
  'intermediate-not-ca': /invalid CA certificate/,
  'intermediate-no-key-cert-sign': /invalid CA certificate/,
  'intermediate-expired': /error 10 at 1 depth.*has expired/,
  'intermediate-unknown-critical-extension': /error 34 at 1 depth.*unhandled critical extension/,
  'intermediate-bad-signature': /error 7 at 1 depth.*certificate signature failure/,
  'path-length-exceeded': /path length constraint exceeded/,
  'name-constraints-permitted': /permitted subtree violation/,
  'name-constraints-excluded': /excluded subtree violation/,
};

/** What `openssl x509 -text` / `asn1parse` show of the crafted leaf (or, for chain rows, the intermediate the root issued) that the control's do not. */
const SHOWN: Record<string, { text?: RegExp; asn1?: RegExp; of?: 'intermediate' }> = {
  'ku-key-cert-sign-leaf': { text: /Digital Signature, Certificate Sign/ },
  'unknown-critical-policy': { text: /Certificate Policies: critical\s+Policy: 1\.3\.6\.1\.4\.1\.32473\.2/ },
  'explicit-non-critical': { asn1: /BOOLEAN\s+:0/ },
  'leaf-path-length': { text: /CA:FALSE, pathlen:0/ },
  'eku-absent': { text: /^(?![\s\S]*Extended Key Usage)/ },
  'leaf-with-ca-key': {},
  'aki-absent': { text: /^(?![\s\S]*Authority Key Identifier)/ },
  'empty-subject-no-san': { text: /Subject: *\n(?![\s\S]*Subject Alternative Name)/ },
  'empty-san-extension': { text: /Subject Alternative Name: *\n\s+<EMPTY>/ },
  'two-uri-sans': { text: /URI:spiffe:\/\/[^,\n]+, URI:spiffe:\/\// },
  'serial-zero': { text: /Serial Number: 0 \(0x0\)/ },
  'serial-negative': { text: /Serial Number:\s+\(Negative\)/ },
  'serial-21-octets': { text: /Serial Number:\s+(?:[0-9a-f]{2}:){20}[0-9a-f]{2}\n/ },
  'v1-with-extensions': { text: /Version: 1 \(0x0\)[\s\S]*X509v3 extensions/ },
  'v2-with-extensions': { text: /Version: 2 \(0x1\)[\s\S]*X509v3 extensions/ },
  'generalized-time-before-2050': { asn1: /GENERALIZEDTIME\s+:20[0-4]\d/ },
  'validity-beyond-ca': {},
  'duplicate-extension': { text: /Extended Key Usage[\s\S]*Extended Key Usage/ },
  'intermediate-not-ca': { text: /CA:FALSE/, of: 'intermediate' },
  'intermediate-no-key-cert-sign': { text: /Key Usage: critical\s+Digital Signature, CRL Sign/, of: 'intermediate' },
  'intermediate-unknown-critical-extension': { text: /1\.3\.6\.1\.4\.1\.32473\.1: critical/, of: 'intermediate' },
  'path-length-exceeded': { text: /CA:TRUE, pathlen:0/, of: 'intermediate' },
  'name-constraints-permitted': { text: /DNS:client\.other\.invalid/ },
  'name-constraints-excluded': { text: /DNS:client\.excluded\.mtls-harness\.invalid/ },
};

function openssl(args: string[], input?: string): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    const p = execFile('openssl', args, (err, stdout, stderr) => resolve({ ok: !err, out: stdout + stderr }));
    if (input !== undefined) p.stdin!.end(input);
  });
}

/** The certificates of a chain PEM, leaf first. */
const certs = (chainPem: string) => chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

let dir: string;
let root: Credential;
let rootFile: string;
const minted = new Map<string, { crafted: Credential; control: Credential }>();

async function verify(chainPem: string): Promise<{ ok: boolean; out: string }> {
  const [leaf, ...rest] = certs(chainPem);
  const name = Math.random().toString(36).slice(2);
  const leafFile = path.join(dir, `${name}.leaf.pem`);
  const untrusted = path.join(dir, `${name}.chain.pem`);
  await fs.writeFile(leafFile, `${leaf}\n`);
  await fs.writeFile(untrusted, `${rest.join('\n')}\n`);
  const args = ['verify', '-purpose', 'sslclient', '-auth_level', '2', '-CAfile', rootFile, ...(rest.length ? ['-untrusted', untrusted] : []), leafFile];
  return openssl(args);
}

describe.skipIf(!OPENSSL)('crafted profiles: each encodes its one property (checked by the openssl CLI)', () => {
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-crafted-enc-'));
    // The fixture root's pathLenConstraint 1 leaves path-length-exceeded no control: this root has none.
    const pki = await mintFixturePki();
    const now = new Date();
    root = await mintCertificate({
      subject: 'CN=crafted encodings root, O=mtls-harness',
      keyType: pki.root.key.type,
      notBefore: addDays(now, -1),
      notAfter: addDays(now, 365),
      ca: true,
    });
    rootFile = path.join(dir, 'root.pem');
    await fs.writeFile(rootFile, `${root.certPem}\n`);
    const valid: MintOptions = {
      subject: 'CN=crafted client, O=mtls-harness',
      issuer: root,
      notBefore: addDays(now, -1 / 24),
      notAfter: addDays(now, 30),
      eku: ['clientAuth'],
    };
    for (const p of CRAFTED_PROFILES) {
      const env = { ca: root, now };
      expect(p.notApplicable?.(env), p.id).toBeUndefined();
      const c = await mintControl(p.control, root, valid);
      minted.set(p.id, { crafted: await mintCrafted(p, env, c), control: c.control });
    }
  }, 120_000);
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('every row has its expectation here (a new row must say what shows it)', () => {
    for (const p of CRAFTED_PROFILES) expect(p.id in SHOWN || p.id in REFUSED_FOR, p.id).toBe(true);
    for (const id of [...Object.keys(SHOWN), ...Object.keys(REFUSED_FOR)])
      expect(
        CRAFTED_PROFILES.some((p) => p.id === id),
        id,
      ).toBe(true);
    expect(CRAFTED_PROFILES.length).toBeGreaterThanOrEqual(37);
  });

  it.each(CRAFTED_PROFILES.map((p) => [p.id]))(
    '%s: the control verifies; the crafted one is refused exactly when OpenSSL refuses it, for its reason',
    async (id) => {
      const m = minted.get(id)!;
      const control = await verify(m.control.chainPem);
      expect(control.ok, control.out).toBe(true);
      const crafted = await verify(m.crafted.chainPem);
      const accepts = OPENSSL_ACCEPTS.includes(id);
      expect(crafted.ok, crafted.out).toBe(accepts);
      if (!accepts) expect(crafted.out).toMatch(REFUSED_FOR[id]!);
    },
  );

  it.each(Object.keys(SHOWN).map((id) => [id]))('%s: the changed property shows in the crafted certificate, not in its control', async (id) => {
    const m = minted.get(id)!;
    const { text, asn1, of } = SHOWN[id]!;
    // The chain is sent without the root: the crafted intermediate (the one the root issued) is its last.
    const pick = (c: Credential) => (of === 'intermediate' ? certs(c.chainPem).at(-1)! : certs(c.chainPem)[0]!);
    for (const [re, args] of [
      [text, ['x509', '-noout', '-text']],
      [asn1, ['asn1parse']],
    ] as const) {
      if (!re) continue;
      const crafted = await openssl([...args], `${pick(m.crafted)}\n`);
      const control = await openssl([...args], `${pick(m.control)}\n`);
      expect(crafted.out).toMatch(re);
      expect(control.out).not.toMatch(re);
    }
    const leaf = new X509Certificate(certs(m.crafted.chainPem)[0]!);
    if (id === 'leaf-with-ca-key')
      expect(leaf.publicKey.export({ format: 'der', type: 'spki' })).toEqual(
        new X509Certificate(root.certPem).publicKey.export({ format: 'der', type: 'spki' }),
      );
    if (id === 'validity-beyond-ca') expect(new Date(leaf.validTo).getTime()).toBeGreaterThan(new Date(new X509Certificate(root.certPem).validTo).getTime());
  });
});
