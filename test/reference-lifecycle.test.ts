// Reference processes: graceful reload serves new files, a failed start is a coded error with the
// server's log, stop leaves no process and no files behind.
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHarnessError } from '../src/core/errors.js';
import { mintCertificate, mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { caddy } from '../src/targets/reference/caddy.js';
import { referenceServer } from '../src/targets/reference/index.js';
import { stunnel } from '../src/targets/reference/stunnel.js';
import { findBinary, PKI_FILES, runReloadCommand, startProcessReference, type StartedProcessReference } from '../src/targets/reference/process.js';
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
  const impl = referenceServer(name)!.process!;
  describe.skipIf(!findBinary(impl.binary))(`${name} process lifecycle`, () => {
    let ref: StartedProcessReference;
    afterAll(async () => {
      await ref?.stop();
    });

    it(
      name === 'openssl'
        ? 'has no graceful reload (s_server cannot re-read its files), and says so'
        : 'reload() makes the server serve the new certificate without a restart',
      async () => {
        ref = await startProcessReference(impl, { profile: 'strict', pki });
        const before = await servedLeaf(ref.endpoint.port);
        expect(before).toBe(new (await import('node:crypto')).X509Certificate(pki.server.certPem).fingerprint256);
        if (name === 'openssl') {
          await expect(ref.reload()).rejects.toThrow(/openssl has no graceful reload/);
          return;
        }
        const renewed = await mintCertificate({
          subject: 'CN=localhost, O=renewed',
          issuer: pki.intermediate,
          notBefore: new Date(Date.now() - 3600_000),
          notAfter: new Date(Date.now() + 86400_000 * 90),
          sans: { dns: ['localhost'], ip: ['127.0.0.1'] },
          eku: ['serverAuth'],
        });
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
      },
    );

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

// A restart on the same port while something still holds it (stunnel: a per-connection responder of
// the old process, seen in CI as "Address already in use" and a failed rotation-restart).
describe.skipIf(!findBinary('stunnel4'))('restart while the port is still held', () => {
  it('stunnel is started again once the port is free, within the restart deadline, and serves the new certificate', async () => {
    const ref = await startProcessReference(stunnel, { profile: 'rotation-restart', pki });
    const holder = net.createServer((s) => s.destroy());
    try {
      const renewed = await mintCertificate({
        subject: 'CN=localhost, O=restarted',
        issuer: pki.intermediate,
        notBefore: new Date(Date.now() - 3600_000),
        notAfter: new Date(Date.now() + 86400_000 * 90),
        sans: { dns: ['localhost'], ip: ['127.0.0.1'] },
        eku: ['serverAuth'],
      });
      const marks: string[] = [];
      let held: Promise<void> | undefined;
      await ref.apply({ server: renewed }, 'restart', (label) => {
        marks.push(label);
        // Between the old process's exit and the new one's start: hold the port for 600 ms.
        if (label === 'stunnel stopped') {
          held = new Promise<void>((resolve, reject) => {
            holder.once('error', reject);
            holder.listen(ref.endpoint.port, '127.0.0.1', () => setTimeout(() => holder.close(() => resolve()), 600));
          });
        }
      });
      await held;
      expect(marks.some((m) => /port \d+ still held, starting again/.test(m))).toBe(true);
      expect(marks.at(-1)).toBe('stunnel answering again');
      expect(await servedLeaf(ref.endpoint.port)).toBe(new (await import('node:crypto')).X509Certificate(renewed.certPem).fingerprint256);
    } finally {
      holder.close();
      await ref.stop();
    }
  }, 30_000);
});

// caddy: confined to 127.0.0.1 and its temp dir, and why its reload is forced.
describe.skipIf(!findBinary('caddy'))('caddy reference specifics', () => {
  const caddyImpl = caddy;

  it('renders valid JSON that binds only the given address, admin on a unix socket, no automatic HTTPS, TLS 1.2-1.3', () => {
    for (const policy of ['require-verified', 'optional-verified', 'none', 'require-any'] as const) {
      const r = caddyImpl.render({ profile: 'strict', policy, dir: '/tmp/x', bind: '127.0.0.1', port: 4443, sendChain: true });
      const c = JSON.parse(r.files['caddy.json']!);
      expect(c.admin.listen).toBe('unix//tmp/x/admin.sock');
      const srv = c.apps.http.servers.reference;
      expect(srv.listen).toEqual(['127.0.0.1:4443']);
      expect(srv.automatic_https.disable).toBe(true);
      expect(srv.protocols).toEqual(['h1']);
      const tp = srv.tls_connection_policies[0];
      expect([tp.protocol_min, tp.protocol_max]).toEqual(['tls1.2', 'tls1.3']);
      const mode = { 'require-verified': 'require_and_verify', 'optional-verified': 'verify_if_given', none: undefined, 'require-any': 'require' }[policy];
      expect(tp.client_authentication?.mode).toBe(mode);
      expect(r.env).toEqual({ HOME: '/tmp/x', XDG_DATA_HOME: '/tmp/x', XDG_CONFIG_HOME: '/tmp/x' });
      expect(r.reloadCommand).toContain('--force');
    }
    expect(caddyImpl.unsupported('accept-expired-client')).toMatch(/no option to ignore validity dates/);
  });

  it('`caddy reload` without --force keeps the old certificate when only the files changed ("config is unchanged"); with --force it serves the new one', async () => {
    const ref = await startProcessReference(caddyImpl, { profile: 'strict', pki });
    try {
      const before = await servedLeaf(ref.endpoint.port);
      const renewed = await mintCertificate({
        subject: 'CN=localhost, O=renewed',
        issuer: pki.intermediate,
        notBefore: new Date(Date.now() - 3600_000),
        notAfter: new Date(Date.now() + 86400_000 * 90),
        sans: { dns: ['localhost'], ip: ['127.0.0.1'] },
        eku: ['serverAuth'],
      });
      await fs.writeFile(path.join(ref.dir, PKI_FILES.chain), renewed.chainPem);
      await fs.writeFile(path.join(ref.dir, PKI_FILES.key), renewed.keyPem);
      const env = { ...process.env, HOME: ref.dir, XDG_DATA_HOME: ref.dir, XDG_CONFIG_HOME: ref.dir };
      await runReloadCommand(
        'caddy',
        [findBinary('caddy')!, 'reload', '--config', path.join(ref.dir, 'caddy.json'), '--address', `unix/${ref.dir}/admin.sock`],
        env,
        ref.dir,
      );
      expect(await servedLeaf(ref.endpoint.port)).toBe(before);
      expect(ref.logs().join('\n')).toMatch(/config is unchanged/);
      const pid = ref.pid;
      await ref.reload();
      expect(await servedLeaf(ref.endpoint.port)).toBe(new (await import('node:crypto')).X509Certificate(renewed.certPem).fingerprint256);
      expect(ref.pid).toBe(pid);
    } finally {
      await ref.stop();
    }
  });
});

describe.skipIf(!findBinary('haproxy'))('haproxy reference: its port is its own', () => {
  it("a second haproxy on the same port cannot bind it (noreuseport): no reference answers with another server's certificate", async () => {
    const ref = await startProcessReference(referenceServer('haproxy')!.process!, { profile: 'strict', pki });
    try {
      // The same configuration again, as another run's haproxy that happened to draw the same port would be.
      const cfg = (await fs.readdir(ref.dir)).find((f) => f.endsWith('.cfg'))!;
      const second = spawn(findBinary('haproxy')!, ['-db', '-f', path.join(ref.dir, cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      second.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      second.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const t = setTimeout(() => (second.kill('SIGKILL'), resolve(null)), 5000);
        second.on('exit', (c) => (clearTimeout(t), resolve(c)));
      });
      expect(code, out).not.toBe(0);
      expect(code, out).not.toBeNull();
      expect(out).toMatch(/Address already in use/);
      expect(await servedLeaf(ref.endpoint.port)).toBe(new X509Certificate(pki.server.certPem).fingerprint256);
    } finally {
      await ref.stop();
    }
  });
});
