// Issue 16 (1): a certificate whose public key cannot be decoded (a P-256 key whose curve OID is
// altered, minted at test time) is classified, never a crash; and an exception that escapes anyway
// ends the run with its reports written, one line on stderr and exit 1.
import { sign, X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleCertificate, certificateParts } from '../src/pki/der.js';
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
/** The altered certificate signed again by its issuer (ECDSA with SHA-256, as minted): the chain verifies. */
function alterCurveResigned(der: Buffer, issuerKeyPem: string): Buffer {
  const parts = certificateParts(alterCurve(der));
  return assembleCertificate(parts.tbs, parts.signatureAlgorithm, sign('sha256', parts.tbs, issuerKeyPem));
}
const toPem = (der: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;

/**
 * A real node TLS 1.2 server behind a raw TCP relay that rewrites the server leaf inside the
 * (plaintext, TLS 1.2) Certificate message into its undecodable twin: a node server cannot load such
 * a certificate, and neither can openssl s_server ("error setting certificate").
 */
async function relayServingUndecodableLeaf(
  chainPem: string,
  keyPem: string,
  leafDer: Buffer,
  badLeaf: Buffer,
): Promise<{ port: number; close(): Promise<void> }> {
  if (badLeaf.length !== leafDer.length) throw new Error('the relay rewrites in place: the altered leaf must keep its length');
  const server = tls.createServer({ cert: chainPem, key: keyPem, maxVersion: 'TLSv1.2' }, (s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const upstream = (server.address() as net.AddressInfo).port;
  const socks = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const up = net.connect(upstream, '127.0.0.1');
    socks.add(client).add(up);
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    client.pipe(up);
    let held: Buffer | undefined = Buffer.alloc(0);
    up.on('data', (d: Buffer) => {
      if (!held) return void client.write(d);
      held = Buffer.concat([held, d]);
      const at = held.indexOf(leafDer);
      if (at < 0 && held.length < 65536) return;
      if (at >= 0) badLeaf.copy(held, at);
      client.write(held);
      held = undefined;
    });
    up.on('end', () => client.end());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  return {
    port: (relay.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of socks) s.destroy();
      await Promise.all([new Promise((r) => relay.close(r)), new Promise((r) => server.close(r))]);
    },
  };
}

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
  await fs.writeFile(f('bad-resigned.pem'), toPem(alterCurveResigned(Buffer.from(pki.client.cert.rawData), pki.root.keyPem)));
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

  it('audit: re-signed by its CA, the chain still verifies and the key is still named', async () => {
    const r = await spawnCli(['audit', f('bad-resigned.pem'), f('ca.pem'), '--json', f('audit2.json')], tmp);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(/internal error/);
    const j = JSON.parse(await fs.readFile(f('audit2.json'), 'utf8'));
    const mine = j.results.filter((x: { target: string }) => /bad-resigned/.test(x.target));
    expect(mine.find((x: { check: string }) => x.check === 'audit.crypto-strength').status).toBe('error');
    expect(mine.find((x: { check: string }) => x.check === 'audit.chain-verifies').status).toBe('pass');
    expect(mine.find((x: { check: string }) => x.check === 'audit.key-matches-cert')).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/subject public key \(SPKI\) cannot be decoded/),
    });
  });

  it.each(['patched', 'resigned'] as const)(
    'probe and run: a server presenting it (%s) is classified, the other target is unaffected',
    async (variant) => {
      // A re-signed leaf may be a few bytes longer or shorter (ECDSA signatures vary): re-sign until it keeps the length.
      const leaf = Buffer.from(pki.server.cert.rawData);
      let bad = alterCurve(leaf);
      for (let i = 0; variant === 'resigned' && i < 64; i++) if ((bad = alterCurveResigned(leaf, pki.intermediate.keyPem)).length === leaf.length) break;
      expect(bad.length).toBe(leaf.length);
      const relay = await relayServingUndecodableLeaf(pki.server.chainPem, pki.server.keyPem, leaf, bad);
      const good = tls.createServer(
        { cert: pki.server.chainPem, key: pki.server.keyPem, ca: pki.root.certPem, requestCert: true, rejectUnauthorized: true },
        (s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'),
      );
      good.on('tlsClientError', () => undefined);
      await new Promise<void>((r) => good.listen(0, '127.0.0.1', r));
      try {
        const goodPort = (good.address() as net.AddressInfo).port;
        await fs.writeFile(f('targets.txt'), `127.0.0.1:${relay.port},localhost\n127.0.0.1:${goodPort},localhost\n`);
        await fs.writeFile(f('client.pem'), pki.client.chainPem);
        await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
        const creds = ['--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];

        const p = await spawnCli(['probe', '--targets-file', f('targets.txt'), ...creds, '--json'], tmp, {}, 60_000);
        expect(p.stderr).not.toMatch(STACK);
        expect(p.stderr).not.toMatch(/internal error/);
        expect([0, 1]).toContain(p.code);
        const pj = JSON.parse(p.stdout);
        expect(pj.diagnoses).toHaveLength(2);

        const r = await spawnCli(['run', '--targets-file', f('targets.txt'), ...creds, '--json', f('run.json')], tmp, {}, 120_000);
        expect(r.stderr).not.toMatch(STACK);
        expect(r.stderr).not.toMatch(/internal error/);
        expect(r.code).toBe(1);
        const rj = JSON.parse(await fs.readFile(f('run.json'), 'utf8'));
        const goodRes = rj.results.filter((x: { target: string }) => x.target.includes(String(goodPort)));
        expect(goodRes.find((x: { check: string }) => x.check === 'handshake.accepts-valid-client-cert').status).toBe('pass');
        const badRes = rj.results.filter((x: { target: string }) => x.target.includes(String(relay.port)));
        expect(badRes.length).toBeGreaterThan(0);
        expect(badRes.find((x: { check: string }) => x.check === 'handshake.accepts-valid-client-cert').status).not.toBe('pass');
        // The leaf the relay presented is summarised with its undecodable part named.
        const profile = badRes.find((x: { check: string }) => x.check === 'chain.server-leaf-profile');
        expect(profile.status, JSON.stringify(profile)).toBe('error');
        expect(profile.message).toMatch(/cannot be decoded/);
        const d = pj.diagnoses.find((x: { target: string }) => x.target.includes(String(relay.port)));
        expect(JSON.stringify(d)).toMatch(/subject public key \(SPKI\) cannot be decoded/);
      } finally {
        await relay.close();
        await new Promise((r) => good.close(r));
      }
    },
    200_000,
  );
});
