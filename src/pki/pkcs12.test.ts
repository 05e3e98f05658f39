// PKCS#12 files as users have them, made at test time by the independent producers: the openssl CLI
// (OpenSSL 3's PBES2/AES-256 default, -legacy RC2/3DES, -nomac, no encryption at all, with and
// without a chain) and Java's keytool (PBES2 with HMAC-SHA256 MAC; PBKDF2-HMAC-SHA1/AES-128 and the
// PKCS#12 3DES scheme through its keystore.pkcs12.* properties; a trust store). Wrong passphrases,
// truncated, garbage and doctored files end in coded errors, never a stack trace.
import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate, getCiphers, randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHarnessError } from '../core/errors.js';
import { children, element, readTlv } from './der.js';
import { mintFixturePki, type FixturePki } from './generate.js';
import { looksLikePkcs12, pkcs12Credentials, readPkcs12 } from './pkcs12.js';
import { MAX_PBE_ITERATIONS } from './pkcs12-crypto.js';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const HAVE_OPENSSL = has('openssl');
const HAVE_KEYTOOL = has('keytool');
if (!HAVE_OPENSSL) console.warn('SKIPPED: openssl not installed (apt-get install openssl); the PKCS#12 tests on its files do not run');
if (!HAVE_KEYTOOL) console.warn('SKIPPED: keytool not installed (apt-get install default-jre-headless); the PKCS#12 tests on Java keystores do not run');
const RC2 = getCiphers().includes('rc2-40-cbc');

let pki: FixturePki;
let dir: string;
const f = (name: string) => path.join(dir, name);

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: 60_000 }, (err, _o, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr}`)) : resolve())),
  );
}
/** openssl pkcs12 -export of the server leaf (issued by the intermediate) with `extra` certificates. */
async function p12(name: string, pass: string, extra: string[], args: string[] = []): Promise<Buffer> {
  const certfile = f(`${name}.extra.pem`);
  await fs.writeFile(certfile, extra.map((c) => readFileSync(f(c), 'utf8')).join(''));
  const withExtra = extra.length ? ['-certfile', certfile] : [];
  await run('openssl', [
    'pkcs12',
    '-export',
    '-in',
    f('leaf.pem'),
    '-inkey',
    f('leaf.key'),
    ...withExtra,
    '-passout',
    `pass:${pass}`,
    '-out',
    f(name),
    ...args,
  ]);
  return readFileSync(f(name));
}
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!isHarnessError(e)) throw e;
    return `${e.code}: ${e.message}`;
  }
  return 'no error';
}

beforeAll(async () => {
  pki = await mintFixturePki();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-p12-'));
  await fs.writeFile(f('leaf.pem'), pki.server.certPem);
  await fs.writeFile(f('leaf.key'), pki.server.keyPem, { mode: 0o600 });
  await fs.writeFile(f('int.pem'), pki.intermediate.certPem);
  await fs.writeFile(f('root.pem'), pki.root.certPem);
}, 60_000);
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_OPENSSL)('PKCS#12 from openssl', () => {
  it('OpenSSL 3 default (PBES2, AES-256-CBC, HMAC-SHA256 MAC) with the chain: leaf and intermediate sent, the root not, the key the same', async () => {
    const der = await p12('def.p12', 's3cret', ['int.pem', 'root.pem']);
    expect(looksLikePkcs12(der)).toBe(true);
    const read = readPkcs12(der, 's3cret', 'def.p12');
    expect(read.mac).toBe('verified');
    expect(read.certificates).toHaveLength(3);
    const c = pkcs12Credentials(der, 's3cret', 'def.p12');
    expect(c.chain.map((x) => x.fingerprint256)).toEqual([pki.server.certPem, pki.intermediate.certPem].map((p) => new X509Certificate(p).fingerprint256));
    expect(c.keyPem).toBe(pki.server.keyPem);
    expect(c.certPem).not.toContain(pki.root.certPem.trim().split('\n')[1]);
  });

  it('without a chain: the leaf alone; the wrong passphrase: the MAC does not verify (exit 2); no passphrase: encrypted, what opens it', async () => {
    const der = await p12('leaf.p12', 'pw', []);
    expect(pkcs12Credentials(der, 'pw', 'leaf.p12').chain).toHaveLength(1);
    expect(codeOf(() => pkcs12Credentials(der, 'nope', 'leaf.p12'))).toBe(
      'pki.bad-passphrase: leaf.p12: the MAC does not verify: wrong passphrase or corrupt file',
    );
    expect(codeOf(() => pkcs12Credentials(der, undefined, 'leaf.p12'))).toMatch(/^pki\.encrypted-key: leaf\.p12: the file is encrypted .*--p12-passphrase-env/);
    const partial = readPkcs12(der, undefined, 'leaf.p12', { partial: true });
    expect(partial).toMatchObject({ mac: 'unchecked', keys: [], closedKeys: 1, certificates: [] });
    expect(partial.closed.join(' ')).toMatch(/AES-256-CBC: the passphrase opens/);
  });

  it('-legacy (certificates RC2-40, key 3DES, SHA-1 MAC): read when node has RC2, else the scheme named with the re-export command', async () => {
    const der = await p12('legacy.p12', 'pw', ['int.pem'], ['-legacy']);
    if (RC2) expect(pkcs12Credentials(der, 'pw', 'legacy.p12').chain).toHaveLength(2);
    else {
      expect(codeOf(() => pkcs12Credentials(der, 'pw', 'legacy.p12'))).toMatch(
        /^pki\.unsupported-key: legacy\.p12: encrypted with pbeWithSHAAnd40BitRC2-CBC, .*openssl pkcs12 -export/,
      );
      // The audit still sees the key (3DES) and says what stayed closed.
      const partial = readPkcs12(der, 'pw', 'legacy.p12', { partial: true });
      expect(partial.keys).toHaveLength(1);
      expect(partial.closed[0]).toMatch(/RC2/);
    }
  });

  it('the PKCS#12 3DES scheme and SHA-1 MAC; PBES2 with AES-128, AES-192 and DES-EDE3; SHA-512 MAC', async () => {
    for (const [name, args] of [
      ['3des.p12', ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']],
      ['aes128.p12', ['-certpbe', 'AES-128-CBC', '-keypbe', 'AES-192-CBC']],
      ['des3.p12', ['-certpbe', 'DES-EDE3-CBC', '-keypbe', 'DES-EDE3-CBC', '-macalg', 'sha512']],
    ] as const) {
      const der = await p12(name, 'pässwörd', ['int.pem'], [...args]);
      const c = pkcs12Credentials(der, 'pässwörd', name);
      expect(c.chain, name).toHaveLength(2);
      expect(c.keyPem, name).toBe(pki.server.keyPem);
    }
  });

  it('-nomac: read with the passphrase, a wrong one is named; -keypbe NONE -certpbe NONE with an empty passphrase: read without one', async () => {
    const nomac = await p12('nomac.p12', 'pw', [], ['-nomac']);
    expect(readPkcs12(nomac, 'pw', 'nomac.p12').mac).toBe('absent');
    expect(pkcs12Credentials(nomac, 'pw', 'nomac.p12').keyPem).toBe(pki.server.keyPem);
    expect(codeOf(() => pkcs12Credentials(nomac, 'bad', 'nomac.p12'))).toMatch(/^pki\.bad-passphrase: nomac\.p12: .*wrong passphrase or corrupt file/);
    expect(codeOf(() => pkcs12Credentials(nomac, undefined, 'nomac.p12'))).toMatch(/^pki\.encrypted-key/);
    const plain = await p12('plain.p12', '', ['int.pem'], ['-keypbe', 'NONE', '-certpbe', 'NONE']);
    expect(pkcs12Credentials(plain, undefined, 'plain.p12').chain).toHaveLength(2);
    expect(pkcs12Credentials(plain, '', 'plain.p12').chain).toHaveLength(2);
  });

  it('truncated, garbage, doctored and PEM input: coded exit-2 errors, never an exception of another kind', async () => {
    const der = await p12('t.p12', 'pw', ['int.pem']);
    expect(codeOf(() => readPkcs12(der.subarray(0, der.length >> 1), 'pw', 't.p12'))).toMatch(
      /^pki\.malformed-pem: t\.p12: .*truncated, corrupt or not PKCS#12/,
    );
    expect(codeOf(() => readPkcs12(randomBytes(2000), 'pw', 'g.p12'))).toMatch(/^pki\.malformed-pem/);
    expect(codeOf(() => readPkcs12(Buffer.from(pki.server.certPem), 'pw', 'c.pem'))).toMatch(/^pki\.malformed-pem/);
    expect(codeOf(() => readPkcs12(Buffer.alloc(0), 'pw', 'e.p12'))).toMatch(/^pki\.malformed-pem/);
    // Every single-byte corruption: a coded error or (a byte the MAC does not cover) the file read.
    for (let i = 0; i < der.length; i += 7) {
      const bad = Buffer.from(der);
      bad[i] = bad[i]! ^ 0x5a;
      expect(codeOf(() => readPkcs12(bad, 'pw', 'x.p12', { partial: true }))).toMatch(/^(pki\.[a-z-]+: x\.p12: |no error)/);
    }
  });

  it('an iteration count above 10,000,000 is refused before any work', async () => {
    const der = await p12('iter.p12', 'pw', []);
    // PFX ::= SEQUENCE { version, authSafe, macData SEQUENCE { mac, salt, iterations } }: the MAC's count raised.
    const top = readTlv(der, 0);
    const [v, auth, mac] = children(der, top);
    const [d, salt] = children(der, mac!);
    const iter = Buffer.from([0x02, 0x04, 0x00, 0x98, 0x96, 0x81]);
    expect(0x989681).toBe(MAX_PBE_ITERATIONS + 1);
    const doctored = element(0x30, Buffer.concat([der.subarray(v!.start, auth!.end), element(0x30, Buffer.concat([der.subarray(d!.start, salt!.end), iter]))]));
    const t0 = performance.now();
    expect(codeOf(() => readPkcs12(doctored, 'pw', 'iter.p12'))).toMatch(
      /^pki\.unsupported-key: iter\.p12: the MAC asks for 10000001 iterations; more than 10,000,000 are refused/,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe.skipIf(!HAVE_KEYTOOL)('PKCS#12 from Java keytool', () => {
  const keytool = (args: string[], props: string[] = []) =>
    run('keytool', [...props.map((p) => `-J-D${p}`), ...args, '-storetype', 'pkcs12', '-storepass', 'changeit', '-noprompt']);

  it('a key pair (Java 17 default: PBES2 AES-256, HmacPBESHA256 MAC), the same with PBKDF2-HMAC-SHA1/AES-128 and 3DES, and a trust store', async () => {
    await keytool([
      '-genkeypair',
      '-alias',
      'client',
      '-keyalg',
      'EC',
      '-groupname',
      'secp256r1',
      '-dname',
      'CN=java client',
      '-validity',
      '30',
      '-keystore',
      f('java.p12'),
    ]);
    const java = readFileSync(f('java.p12'));
    const c = pkcs12Credentials(java, 'changeit', 'java.p12');
    expect(c.chain[0]!.subject).toBe('CN=java client');
    expect(readPkcs12(java, 'changeit', 'java.p12').certificates[0]!.friendlyName).toBe('client');
    expect(codeOf(() => pkcs12Credentials(java, 'wrong', 'java.p12'))).toMatch(/the MAC does not verify: wrong passphrase or corrupt file/);

    await keytool(
      ['-genkeypair', '-alias', 'old', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=old java', '-validity', '30', '-keystore', f('java-old.p12')],
      [
        'keystore.pkcs12.keyProtectionAlgorithm=PBEWithSHA1AndDESede',
        'keystore.pkcs12.certProtectionAlgorithm=PBEWithHmacSHA1AndAES_128',
        'keystore.pkcs12.macAlgorithm=HmacPBESHA1',
      ],
    );
    expect(pkcs12Credentials(readFileSync(f('java-old.p12')), 'changeit', 'java-old.p12').chain[0]!.subject).toBe('CN=old java');

    await keytool(['-importcert', '-alias', 'the-root', '-file', f('root.pem'), '-keystore', f('trust.p12')]);
    const trust = readFileSync(f('trust.p12'));
    const t = readPkcs12(trust, 'changeit', 'trust.p12');
    expect(t.keys).toHaveLength(0);
    expect(t.certificates.map((x) => x.friendlyName)).toEqual(['the-root']);
    expect(codeOf(() => pkcs12Credentials(trust, 'changeit', 'trust.p12'))).toMatch(
      /^pki\.no-private-key: trust\.p12: no private key in the file \(a trust store\?\)/,
    );
  }, 60_000);
});
