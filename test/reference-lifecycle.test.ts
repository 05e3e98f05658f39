// Reference processes: graceful reload serves new files, a failed start is a coded error with the
// server's log, stop leaves no process and no files behind.
import * as tls from 'node:tls';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHarnessError } from '../src/errors.js';
import { mintCertificate, mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { PROCESS_IMPLEMENTATIONS } from '../src/targets/reference/index.js';
import { findBinary, PKI_FILES, startProcessReference, type StartedProcessReference } from '../src/targets/reference/process.js';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

let pki: FixturePki;
beforeAll(async () => {
  pki = await mintFixturePki();
});

/** SHA-256 fingerprint of the leaf the server presents (no client cert needed to see it). */
function servedLeaf(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, cert: pki.client.chainPem, key: pki.client.keyPem });
    s.once('secureConnect', () => {
      resolve(s.getPeerX509Certificate()!.fingerprint256);
      s.destroy();
    });
    s.once('error', reject);
    s.setTimeout(3000, () => reject(new Error('timeout')));
  });
}

const alive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (const name of ['nginx', 'haproxy', 'stunnel', 'openssl', 'caddy'] as const) {
  const impl = PROCESS_IMPLEMENTATIONS[name];
  describe.skipIf(!findBinary(impl.binary))(`${name} process lifecycle`, () => {
    let ref: StartedProcessReference;
    afterAll(async () => {
      await ref?.stop();
    });

    it(name === 'openssl' ? 'has no graceful reload (s_server cannot re-read its files), and says so' : 'reload() makes the server serve the new certificate without a restart', async () => {
      ref = await startProcessReference(impl, { profile: 'strict', pki });
      const before = await servedLeaf(ref.endpoint.port);
      expect(before).toBe(new (await import('node:crypto')).X509Certificate(pki.server.certPem).fingerprint256);
      if (name === 'openssl') {
        await expect(ref.reload()).rejects.toThrow(/openssl has no graceful reload/);
        return;
      }
      const renewed = await mintCertificate({ subject: 'CN=localhost, O=renewed', issuer: pki.intermediate, notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 86400_000 * 90), sans: { dns: ['localhost'], ip: ['127.0.0.1'] }, eku: ['serverAuth'] });
      const pid = ref.pid;
      const w = (f: string, c: string) => fs.writeFile(path.join(ref.dir, f), c);
      await w(PKI_FILES.chain, renewed.chainPem);
      await w(PKI_FILES.key, renewed.keyPem);
      await w(PKI_FILES.combined, renewed.chainPem + renewed.keyPem);
      await ref.reload();
      const deadline = Date.now() + 8000;
      let now = before;
      while (now === before && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        now = await servedLeaf(ref.endpoint.port).catch(() => before);
      }
      expect(now).toBe(new (await import('node:crypto')).X509Certificate(renewed.certPem).fingerprint256);
      expect(ref.pid).toBe(pid);
      expect(alive(pid)).toBe(true);
    });

    it('stop() ends the process (by PID) and removes its directory', async () => {
      const pid = ref.pid;
      const dir = ref.dir;
      await ref.stop();
      expect(alive(pid)).toBe(false);
      expect(existsSync(dir)).toBe(false);
    });

    it('a failed start is target.start-failed with the last lines of the server log', async () => {
      const broken: FixturePki = { ...pki, server: { ...pki.server, keyPem: pki.client.keyPem } };
      try {
        await startProcessReference(impl, { profile: 'strict', pki: broken });
        expect.unreachable('the start should have failed');
      } catch (e) {
        expect(isHarnessError(e) && e.code).toBe('target.start-failed');
        expect((e as Error).message).toMatch(new RegExp(`${name} \\(profile strict\\) did not start`));
        expect(isHarnessError(e) && e.details).toMatch(new RegExp(`last lines of the ${name} log:\\n.+`));
      }
    });
  });
}
