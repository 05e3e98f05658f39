import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../core/clock.js';
import { mintCertificate, type Credential } from '../pki/generate.js';
import type { Result, RunReport } from '../core/model.js';
import { AUDIT_CHECKS, auditPaths } from './audit.js';

let tmp: string;
let root: Credential;
let inter: Credential;
let leaf: Credential;

const find = (r: RunReport, target: string, check: string): Result => {
  const x = r.results.find((y) => y.target === target && y.check === check);
  if (!x) throw new Error(`no ${check} on ${target}: ${r.targets.map((t) => t.name).join(', ')}`);
  return x;
};

function write(dir: string, files: Record<string, string>, mode = 0o600): string {
  const d = path.join(tmp, dir);
  mkdirSync(d, { recursive: true });
  for (const [n, c] of Object.entries(files)) writeFileSync(path.join(d, n), c, { mode });
  return d;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mtls-audit-unit-'));
  const now = new Date();
  root = await mintCertificate({ subject: 'CN=unit root', notBefore: addDays(now, -1), notAfter: addDays(now, 3000), ca: true });
  inter = await mintCertificate({
    subject: 'CN=unit intermediate',
    issuer: root,
    notBefore: addDays(now, -1),
    notAfter: addDays(now, 1000),
    ca: true,
    pathLength: 0,
  });
  leaf = await mintCertificate({
    subject: 'CN=www',
    issuer: inter,
    notBefore: addDays(now, -1),
    notAfter: addDays(now, 90),
    eku: ['serverAuth'],
    sans: { dns: ['www.example'] },
  });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('auditPaths', () => {
  it("Let's Encrypt's live directory: cert.pem and fullchain.pem share privkey.pem; chain.pem's root is elsewhere (skip)", () => {
    const dir = write('le', {
      'cert.pem': leaf.certPem,
      'chain.pem': inter.certPem,
      'fullchain.pem': leaf.certPem + inter.certPem,
      'privkey.pem': leaf.keyPem,
      README: 'not PKI\n',
    });
    const r = auditPaths({ paths: [dir], cwd: tmp });
    expect(r.targets.map((t) => t.name)).toEqual(['CA le/chain.pem', 'server le/cert.pem', 'server le/fullchain.pem']);
    expect(find(r, 'CA le/chain.pem', 'audit.chain-verifies')).toMatchObject({
      status: 'skip',
      evidence: { intermediatesWithoutRoot: ['CN=unit intermediate'] },
    });
    for (const t of ['server le/cert.pem', 'server le/fullchain.pem']) {
      expect(find(r, t, 'audit.key-matches-cert')).toMatchObject({ status: 'pass', evidence: { keyFile: 'le/privkey.pem', pairedBy: 'file name' } });
      expect(find(r, t, 'audit.chain-verifies')).toMatchObject({
        status: 'pass',
        message: expect.stringMatching(/an intermediate: no root CA certificate is among the files/),
        evidence: { partialChain: true },
      });
      // The role came from the EKU itself: nothing to compare it with.
      expect(find(r, t, 'audit.eku-fits-role').status).toBe('skip');
    }
    expect(r.targets[2]!.fileCertificates!.map((c) => c.role)).toEqual(['server leaf', 'chain #2']);
    expect(r.results.filter((x) => x.status === 'fail' || x.status === 'error')).toEqual([]);
  });

  it('with the root in the set, an intermediate bundle verifies to it and leaves chain through it', () => {
    const dir = write('inter', { 'ca.pem': root.certPem + inter.certPem, 'server.pem': leaf.certPem, 'server-key.pem': leaf.keyPem });
    const r = auditPaths({ paths: [dir], cwd: tmp });
    expect(find(r, 'CA inter/ca.pem', 'audit.chain-verifies')).toMatchObject({
      status: 'pass',
      evidence: { paths: [['CN=unit root'], ['CN=unit intermediate', 'CN=unit root']] },
    });
    expect(find(r, 'server inter/server.pem', 'audit.chain-verifies').evidence).toMatchObject({
      path: ['CN=www', 'CN=unit intermediate', 'CN=unit root'],
      anchor: 'CN=unit root',
    });
  });

  it('results come in catalogue order, one per check per target, all in suite offline-audit', () => {
    const dir = write('order', { 'ca.pem': root.certPem + inter.certPem, 'server.pem': leaf.certPem, 'server-key.pem': leaf.keyPem });
    const r = auditPaths({ paths: [dir], cwd: tmp, expectedNames: ['www.example'] });
    const ids = AUDIT_CHECKS.map((c) => c.id as string);
    for (const t of r.targets) {
      const checks = r.results.filter((x) => x.target === t.name).map((x) => x.check);
      expect(new Set(checks).size).toBe(checks.length);
      expect([...checks].sort((a, b) => ids.indexOf(a) - ids.indexOf(b))).toEqual(checks);
    }
    expect(new Set(r.results.map((x) => x.suite))).toEqual(new Set(['offline-audit']));
    expect(r.summary.pass + r.summary.skip + r.summary.warn + r.summary.fail + r.summary.error).toBe(r.results.length);
  });

  it('--role marks a file a CA; a file named on the command line is audited even without a PKI extension', () => {
    const dir = write('roles', { anchor: root.certPem }, 0o644);
    const r = auditPaths({ paths: [path.join(dir, 'anchor')], cwd: tmp, roles: [{ file: path.join(dir, 'anchor'), role: 'ca' }] });
    expect(r.targets.map((t) => t.name)).toEqual(['CA roles/anchor']);
    expect(find(r, 'CA roles/anchor', 'audit.ca-cert-is-ca').status).toBe('pass');
    expect(r.settings?.audit?.layouts).toEqual([]);
  });

  it('fail-days above warn-days is a usage error', () => {
    expect(() => auditPaths({ paths: [tmp], warnDays: 5, failDays: 6 })).toThrow(expect.objectContaining({ code: 'usage.invalid-value' }));
  });
});
