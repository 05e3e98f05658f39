// chain.client-cert-not-revoked: the valid client certificate against the CRLs the harness can read.
// Given files (--crl) from our CA and from one made by the openssl CLI, and its CRL distribution
// point fetched from a loopback HTTP server only with --fetch-crl (without it: no request at all).
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../src/core/clock.js';
import { mintCrl } from '../src/pki/crl.js';
import { subjectDer } from '../src/pki/der.js';
import { certDer, mintCertificate, mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { runInProcess } from './helpers/cli.js';
import { opensslCa, opensslLeaf } from './helpers/openssl-cli.js';
import { OPENSSL } from './helpers/servers.js';

const sh = promisify(execFile);
const ID = 'chain.client-cert-not-revoked';
let dir: string;
let pki: FixturePki;
const f = (n: string) => path.join(dir, n);

async function verdict(args: string[]): Promise<{ status: string; message: string }> {
  const r = await runInProcess(['run', '--target', '127.0.0.1:9', '--check', ID, '--json', '-', ...args]);
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  return (JSON.parse(r.stdout) as { results: { status: string; message: string }[] }).results[0]!;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-client-crl-'));
  pki = await mintFixturePki();
  const now = new Date();
  await fs.writeFile(f('ca.pem'), pki.root.certPem);
  await fs.writeFile(f('client.pem'), pki.client.chainPem);
  await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
  const serial = new X509Certificate(pki.client.certPem).serialNumber;
  const window = { thisUpdate: addDays(now, -1), nextUpdate: addDays(now, 7) };
  const issuer = pki.client.issuerOf!;
  await fs.writeFile(f('listing.pem'), mintCrl(issuer, { ...window, revoked: [{ serialHex: serial, revokedAt: addDays(now, -1) }] }));
  await fs.writeFile(f('empty.pem'), mintCrl(issuer, { ...window, revoked: [] }));
  await fs.writeFile(
    f('other-ca.pem'),
    mintCrl(pki.intermediate === issuer ? pki.root : pki.intermediate, { ...window, revoked: [{ serialHex: serial, revokedAt: now }] }),
  );
  // A CRL naming the issuer byte for byte but signed by another key: never evidence.
  const lookalike = await mintCertificate({ subject: subjectDer(certDer(issuer)), notBefore: addDays(now, -1), notAfter: addDays(now, 30), ca: true });
  await fs.writeFile(f('forged.pem'), mintCrl(lookalike, { ...window, revoked: [{ serialHex: serial, revokedAt: now }] }));
});
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const creds = () => ['--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];

describe('chain.client-cert-not-revoked with --crl', () => {
  it('listed in a CRL of its issuer, signature verified: fail, with the date, the reason and the fix', async () => {
    const v = await verdict([...creds(), '--crl', f('listing.pem')]);
    expect(v.status, v.message).toBe('fail');
    expect(v.message).toMatch(/the valid client certificate \(serial [0-9A-F]+\) is revoked: .*listing\.pem lists it since \d{4}-/);
  });
  it("not listed: pass; no CRL: skip naming --crl and --fetch-crl; another CA's CRL: skip; a forged CRL: error", async () => {
    expect((await verdict([...creds(), '--crl', f('empty.pem')])).status).toBe('pass');
    const none = await verdict(creds());
    expect(none.status).toBe('skip');
    expect(none.message).toMatch(/--crl FILE.*--fetch-crl/);
    const other = await verdict([...creds(), '--crl', f('other-ca.pem')]);
    expect(other.status).toBe('skip');
    expect(other.message).toMatch(/none of the CRLs read is the certificate's issuer's/);
    const forged = await verdict([...creds(), '--crl', f('forged.pem')]);
    expect(forged.status).toBe('error');
    expect(forged.message).toMatch(/does not verify with the issuer's key/);
  });
  it('a CRL of 100,000 entries is read (the old reader stopped at about 1,200): listed among them, fail; absent, pass', async () => {
    const serial = new X509Certificate(pki.client.certPem).serialNumber;
    const now = new Date();
    const many = Array.from({ length: 100_000 }, (_, i) => ({ serialHex: (0x10000000 + i).toString(16), revokedAt: addDays(now, -2) }));
    const window = { thisUpdate: addDays(now, -1), nextUpdate: addDays(now, 7) };
    await fs.writeFile(
      f('large-listing.pem'),
      mintCrl(pki.client.issuerOf!, { ...window, revoked: [...many.slice(0, 50_000), { serialHex: serial, revokedAt: now }, ...many.slice(50_000)] }),
    );
    await fs.writeFile(f('large.pem'), mintCrl(pki.client.issuerOf!, { ...window, revoked: many }));
    const listed = await verdict([...creds(), '--crl', f('large-listing.pem')]);
    expect(listed.status, listed.message).toBe('fail');
    expect(listed.message).toMatch(/large-listing\.pem lists it since .*\(keyCompromise\)/);
    const absent = await verdict([...creds(), '--crl', f('large.pem')]);
    expect(absent.status, absent.message).toBe('pass');
    expect(absent.message).toMatch(/large\.pem: 100000 entries/);
  });
  it('a CRL whose entry for the certificate cannot be decoded is not read as a listing', async () => {
    const serial = new X509Certificate(pki.client.certPem).serialNumber;
    const now = new Date();
    const pem = mintCrl(pki.client.issuerOf!, { thisUpdate: addDays(now, -1), nextUpdate: addDays(now, 7), revoked: [{ serialHex: serial, revokedAt: now }] });
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const at = der.indexOf(Buffer.from(serial, 'hex')) + serial.length / 2;
    expect(der[at]).toBe(0x17); // the entry's revocationDate (UTCTime) turned into an OCTET STRING
    der[at] = 0x04;
    await fs.writeFile(f('bad-entry.crl'), der);
    const v = await verdict([...creds(), '--crl', f('bad-entry.crl')]);
    expect(v.status, v.message).toBe('skip');
    expect(v.message).toMatch(/bad-entry\.crl: its entry for serial [0-9A-F]+ cannot be read/);
  });
  it('crl in a config file (relative to the file): the same verdict', async () => {
    await fs.writeFile(
      f('crl.yaml'),
      `targets:\n  - endpoint: 127.0.0.1:9\n    ca: ca.pem\n    cert: client.pem\n    key: client-key.pem\n    crl: [listing.pem]\n`,
    );
    const r = await runInProcess(['run', '--config', f('crl.yaml'), '--check', ID, '--json', '-']);
    const v = (JSON.parse(r.stdout) as { results: { status: string; message: string }[] }).results[0]!;
    expect(v.status, v.message + r.stderr).toBe('fail');
    expect(v.message).toMatch(/listing\.pem lists it/);
  });

  it('a CRL file that is not there: exit 2, one line', async () => {
    const r = await runInProcess(['run', '--target', '127.0.0.1:9', ...creds(), '--crl', f('nope.pem')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe.skipIf(!OPENSSL)('chain.client-cert-not-revoked with --fetch-crl (an openssl-CLI CA, its CRL on a loopback HTTP server)', () => {
  let server: http.Server;
  let requests = 0;
  let crlDer = Buffer.alloc(0);
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(crlDer);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const o = (n: string) => path.join(dir, `o-${n}`);
    await fs.writeFile(o('db'), '');
    await fs.writeFile(o('ca.cnf'), `[ca]\ndefault_ca=c\n[c]\ndatabase=${o('db')}\ndefault_md=sha256\ncrlnumber=${o('crlnum')}\ndefault_crl_days=7\n`);
    await fs.writeFile(o('crlnum'), '01\n');
    await opensslCa(o('ca'), '/O=ops/CN=ops CA');
    await opensslLeaf(o('client'), o('ca'), '/CN=ops client', `extendedKeyUsage=clientAuth\ncrlDistributionPoints=URI:http://127.0.0.1:${port}/ca.crl`);
    // The CA's database lists the client as revoked; `openssl ca -gencrl` writes the CRL the server serves.
    const serial = (await sh('openssl', ['x509', '-in', o('client.pem'), '-noout', '-serial'])).stdout.trim().split('=')[1]!;
    const subject = '/CN=ops client';
    const expiry = (await sh('openssl', ['x509', '-in', o('client.pem'), '-noout', '-enddate'])).stdout.trim().split('=')[1]!;
    const d = new Date(expiry);
    const z = (n: number) => String(n).padStart(2, '0');
    const stamp = (t: Date) =>
      `${z(t.getUTCFullYear() % 100)}${z(t.getUTCMonth() + 1)}${z(t.getUTCDate())}${z(t.getUTCHours())}${z(t.getUTCMinutes())}${z(t.getUTCSeconds())}Z`;
    // 5,000 other revoked certificates before it (the old reader stopped at about 1,200 entries).
    const revokedAt = stamp(new Date(Date.now() - 3600_000));
    const others = Array.from(
      { length: 5000 },
      (_, i) => `R\t${stamp(d)}\t${revokedAt},superseded\t${(0x7f000000 + i).toString(16).toUpperCase()}\tunknown\t/CN=other ${i}\n`,
    );
    await fs.writeFile(o('db'), `${others.join('')}R\t${stamp(d)}\t${revokedAt},keyCompromise\t${serial}\tunknown\t${subject}\n`);
    await sh('openssl', ['ca', '-config', o('ca.cnf'), '-gencrl', '-keyfile', o('ca-key.pem'), '-cert', o('ca.pem'), '-out', o('crl.pem')]);
    crlDer = Buffer.from((await sh('openssl', ['crl', '-in', o('crl.pem'), '-outform', 'DER'], { encoding: 'buffer' })).stdout);
  }, 60_000);
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('without --fetch-crl nothing is fetched (skip); with it the distribution point is read and the client is revoked (fail)', async () => {
    const o = (n: string) => path.join(dir, `o-${n}`);
    const args = ['--ca', o('ca.pem'), '--cert', o('client.pem'), '--key', o('client-key.pem')];
    const quiet = await verdict(args);
    expect(quiet.status).toBe('skip');
    expect(requests).toBe(0);
    const fetched = await verdict([...args, '--fetch-crl']);
    expect(requests).toBe(1);
    expect(fetched.status, fetched.message).toBe('fail');
    expect(fetched.message).toMatch(/http:\/\/127\.0\.0\.1:\d+\/ca\.crl lists it since .*\(keyCompromise\)/);
  });
  it('one fetch per certificate per command: two paths of a target (two targets sharing the credential) fetch it once', async () => {
    const o = (n: string) => path.join(dir, `o-${n}`);
    const before = requests;
    const r = await runInProcess([
      'run',
      '--target',
      '127.0.0.1:9',
      '--path',
      '/a',
      '--path',
      '/b',
      '--check',
      ID,
      '--json',
      '-',
      '--ca',
      o('ca.pem'),
      '--cert',
      o('client.pem'),
      '--key',
      o('client-key.pem'),
      '--fetch-crl',
    ]);
    const results = (JSON.parse(r.stdout) as { results: { status: string }[] }).results;
    expect(results.map((x) => x.status)).toEqual(['fail', 'fail']);
    expect(requests - before).toBe(1);
  });
});
