// The harness's loopback OCSP responder (src/targets/reference/ocsp-responder.ts, src/pki/ocsp.ts)
// asked by the real `openssl ocsp` CLI: the revoked client `revoked`, the valid client `good`, a
// certificate of another CA `unauthorized`; over POST and GET; the response verified against the CA.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintRevokedClient } from '../src/checks/revoked.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { fixtureAuthorities, startOcspResponder, type OcspResponder } from '../src/targets/reference/ocsp-responder.js';
import { OPENSSL } from './helpers/servers.js';

const run = promisify(execFile);
if (!OPENSSL) console.warn('SKIPPED the openssl ocsp tests: openssl not installed (apt-get install openssl)');

let dir: string;
let responder: OcspResponder;
const f = (n: string) => path.join(dir, n);

async function ask(pki: FixturePki, cert: string, extra: string[] = []): Promise<string> {
  await fs.writeFile(f('ca.pem'), pki.root.certPem);
  const r = await run(OPENSSL!, ['ocsp', '-issuer', f('ca.pem'), '-cert', f(cert), '-url', responder.url, '-CAfile', f('ca.pem'), ...extra]).catch(
    (e: { stdout: string; stderr: string }) => e,
  );
  return `${r.stdout}${r.stderr}`;
}

describe.skipIf(!OPENSSL)('the loopback OCSP responder asked by openssl ocsp', () => {
  for (const keyType of ['ec-p256', 'rsa-2048'] as const) {
    describe(`fixture PKI ${keyType}`, () => {
      let pki: FixturePki;
      beforeAll(async () => {
        dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-ocsp-'));
        pki = await mintFixturePki({ keyType });
        responder = await startOcspResponder(fixtureAuthorities(pki));
        const revoked = await mintRevokedClient(pki.root, new Date(), undefined, [responder.url]);
        await fs.writeFile(f('revoked.pem'), revoked.certPem);
        await fs.writeFile(f('client.pem'), pki.client.certPem);
      });
      afterAll(async () => {
        await responder.stop();
        await fs.rm(dir, { recursive: true, force: true });
      });

      it('the revoked client: revoked (keyCompromise), the response verified against the CA, the nonce echoed', async () => {
        const out = await ask(pki, 'revoked.pem');
        expect(out).toMatch(/Response verify OK/);
        expect(out).toMatch(/revoked\.pem: revoked/);
        expect(out).toMatch(/Reason: keyCompromise/);
        expect(out).not.toMatch(/WARNING: no nonce/);
      });

      it('the valid client: good; over GET too (RFC 6960 A.1: the request base64 in the path), read back by openssl ocsp -respin', async () => {
        const out = await ask(pki, 'client.pem');
        expect(out).toMatch(/Response verify OK/);
        expect(out).toMatch(/client\.pem: good/);
        await run(OPENSSL!, ['ocsp', '-issuer', f('ca.pem'), '-cert', f('client.pem'), '-no_nonce', '-reqout', f('req.der')]);
        const b64 = (await fs.readFile(f('req.der'))).toString('base64');
        const before = responder.answered().length;
        const res = await fetch(`${responder.url}${encodeURIComponent(b64)}`);
        expect(res.headers.get('content-type')).toBe('application/ocsp-response');
        await fs.writeFile(f('resp.der'), Buffer.from(await res.arrayBuffer()));
        expect(responder.answered().length).toBe(before + 1);
        const r = await run(OPENSSL!, ['ocsp', '-respin', f('resp.der'), '-issuer', f('ca.pem'), '-cert', f('client.pem'), '-CAfile', f('ca.pem')]);
        expect(r.stderr).toMatch(/Response verify OK/);
        expect(r.stdout).toMatch(/client\.pem: good/);
      });

      it('a certificate of another CA: unauthorized (the responder answers for the fixture CAs only)', async () => {
        const other = await mintFixturePki({ keyType });
        await fs.writeFile(f('other.pem'), other.client.certPem);
        await fs.writeFile(f('other-ca.pem'), other.root.certPem);
        const r = await run(OPENSSL!, ['ocsp', '-issuer', f('other-ca.pem'), '-cert', f('other.pem'), '-url', responder.url]).catch(
          (e: { stdout: string; stderr: string }) => e,
        );
        expect(`${r.stdout}${r.stderr}`).toMatch(/unauthorized/i);
        expect(responder.answered().at(-1)?.status).toBe('unauthorized');
      });
    });
  }
});
