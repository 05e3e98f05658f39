// The crafted client certificates of a LIVE target (minted by the run context from --ca and
// --ca-key) against an openssl-CLI CA with UTF8String names: each names its issuer with the CA's
// subject bytes, the look-alike CA carries them too (with another key), and openssl verify agrees.
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import { issuerDer, subjectDer } from '../src/pki/der.js';
import type { Credential } from '../src/pki/generate.js';
import { createContext, Semaphore } from '../src/checks/context.js';
import { DEFAULT_POLICY } from '../src/core/target.js';
import type { CheckContext, CraftedKind } from '../src/checks/types.js';
import { makeOpensslPki, opensslPkiFiles } from './helpers/openssl-pki.js';
import { OPENSSL } from './helpers/servers.js';

let dir: string;
let files: ReturnType<typeof opensslPkiFiles>;
let rootDer: Buffer;
let ctx: CheckContext;

function opensslVerify(args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => execFile('openssl', ['verify', ...args], (err, stdout, stderr) => resolve({ ok: !err, out: stdout + stderr })));
}

async function crafted(kind: CraftedKind): Promise<Credential> {
  const c = await ctx.crafted(kind);
  if ('skip' in c) throw new Error(`${kind} skipped: ${c.skip}`);
  return c;
}

describe.skipIf(!OPENSSL)('crafted certificates of a live target, from an openssl-CLI CA', () => {
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-crafted-'));
    await makeOpensslPki(dir);
    files = opensslPkiFiles(dir);
    const rootPem = await fs.readFile(files.root, 'utf8');
    rootDer = new X509Certificate(rootPem).raw;
    // No connection is made: crafting needs only the CA bundle and key.
    ctx = createContext(
      {
        name: 'live',
        host: '127.0.0.1',
        port: 9,
        expectedNames: [],
        protocol: 'https',
        expect: {},
        policy: DEFAULT_POLICY,
        plaintextPorts: [],
        trustPem: rootPem,
        caKey: createPrivateKey(await fs.readFile(files.rootKey)),
      },
      { timeoutMs: 1000, clock: systemClock, semaphore: new Semaphore(1) },
    );
  }, 60_000);
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('the openssl root has UTF8String names (tag 0x0c)', () => {
    const name = subjectDer(rootDer);
    expect(name.includes(Buffer.from([0x0c, 'OpenSSL Test Root CA'.length]))).toBe(true);
    expect(name.includes(Buffer.from([0x13, 'OpenSSL Test Root CA'.length]))).toBe(false);
  });

  it.each(['wrongEku', 'caAsLeaf', 'expired', 'notYetValid', 'wrongIdentity'] as CraftedKind[])(
    '%s: issuer bytes are the root subject bytes; only its own defect keeps openssl from accepting it',
    async (kind) => {
      const c = await crafted(kind);
      expect(issuerDer(c.cert.rawData).equals(subjectDer(rootDer))).toBe(true);
      const f = path.join(dir, `${kind}.pem`);
      await fs.writeFile(f, c.certPem);
      const r = await opensslVerify(['-CAfile', files.root, '-purpose', 'sslclient', f]);
      const why: Partial<Record<CraftedKind, RegExp>> = {
        wrongEku: /unsuitable certificate purpose/,
        expired: /certificate has expired/,
        notYetValid: /certificate is not yet valid/,
      };
      if (why[kind]) expect(r.out, r.out).toMatch(why[kind]!);
      else expect(r.out, kind).toMatch(/: OK/);
      expect(r.out).not.toMatch(/unable to get local issuer certificate/);
    },
  );

  it('intermediateIssued: the harness intermediate names the root byte for byte and the chain verifies', async () => {
    const c = await crafted('intermediateIssued');
    const int = c.issuerOf!;
    expect(issuerDer(int.cert.rawData).equals(subjectDer(rootDer))).toBe(true);
    expect(issuerDer(c.cert.rawData).equals(subjectDer(int.cert.rawData))).toBe(true);
    const leaf = path.join(dir, 'int-leaf.pem');
    const untrusted = path.join(dir, 'int.pem');
    await fs.writeFile(leaf, c.certPem);
    await fs.writeFile(untrusted, int.certPem);
    expect((await opensslVerify(['-CAfile', files.root, '-untrusted', untrusted, '-purpose', 'sslclient', leaf])).out).toMatch(/: OK/);
  });

  it('untrustedCa: the look-alike CA has the root subject bytes and another key; its leaf names it byte for byte', async () => {
    const c = await crafted('untrustedCa');
    const lookAlike = c.issuerOf!;
    expect(subjectDer(lookAlike.cert.rawData).equals(subjectDer(rootDer))).toBe(true);
    expect(issuerDer(c.cert.rawData).equals(subjectDer(rootDer))).toBe(true);
    const spki = (der: Buffer | ArrayBuffer) => new X509Certificate(Buffer.from(der as ArrayBuffer)).publicKey.export({ format: 'der', type: 'spki' });
    expect(spki(lookAlike.cert.rawData).equals(spki(rootDer))).toBe(false);
    const f = path.join(dir, 'lookalike-leaf.pem');
    await fs.writeFile(f, c.certPem);
    const r = await opensslVerify(['-CAfile', files.root, f]);
    expect(r.ok).toBe(false);
    // OpenSSL skips a candidate issuer whose SKI differs from the leaf's AKI (the look-alike's own
    // SKI): the root is not its issuer. (Go, which matches by name, tries the root and fails on the
    // signature: test/go-interop.test.ts.)
    expect(r.out, r.out).toMatch(/unable to get local issuer certificate/);
  });
});
