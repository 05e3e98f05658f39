import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { loadAllYaml, type V1Secret } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { certsInit, parseLayout, parseSanList } from './layouts.js';
import { isHarnessError } from '../core/errors.js';
import { parseCertificates, summarizeCertificate } from './inspect.js';

const run = promisify(execFile);
const openssl = (...args: string[]) => run('openssl', args).then((r) => r.stdout + r.stderr);

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-layouts-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function listing(root: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    out[path.relative(root, full)] = (await fs.stat(full)).mode & 0o777;
  }
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isHarnessError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a HarnessError');
}

async function secretsIn(file: string): Promise<V1Secret[]> {
  const docs = loadAllYaml(await fs.readFile(file, 'utf8')) as V1Secret[];
  for (const d of docs) {
    expect(d.apiVersion).toBe('v1');
    expect(d.kind).toBe('Secret');
    expect(d.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('mtls-harness');
  }
  return docs;
}

const decoded = (s: V1Secret, k: string) => Buffer.from(s.data?.[k] ?? '', 'base64').toString('utf8');

describe('certs init layouts', () => {
  it('default: file names, modes, and openssl verifies server and client for their purposes', async () => {
    const out = path.join(dir, 'certs');
    const r = await certsInit({ out });
    expect(await listing(out)).toEqual({
      'ca.pem': 0o644,
      'ca-key.pem': 0o600,
      'server.pem': 0o644,
      'server-key.pem': 0o600,
      'client.pem': 0o644,
      'client-key.pem': 0o600,
    });
    expect((await fs.stat(out)).mode & 0o777).toBe(0o700);
    expect(r.leafCertPaths.map((p) => path.basename(p))).toEqual(['server.pem', 'client.pem']);
    expect(await openssl('verify', '-purpose', 'sslserver', '-CAfile', path.join(out, 'ca.pem'), path.join(out, 'server.pem'))).toContain(': OK');
    expect(await openssl('verify', '-purpose', 'sslclient', '-CAfile', path.join(out, 'ca.pem'), path.join(out, 'client.pem'))).toContain(': OK');
    // The client must not be usable as a server and vice versa.
    await expect(openssl('verify', '-purpose', 'sslserver', '-CAfile', path.join(out, 'ca.pem'), path.join(out, 'client.pem'))).rejects.toThrow(
      /unsuitable certificate purpose/,
    );
    const ext = await openssl('x509', '-in', path.join(out, 'server.pem'), '-noout', '-ext', 'subjectAltName');
    expect(ext).toContain('DNS:localhost');
    expect(ext).toContain('IP Address:127.0.0.1');
    // Key matches certificate, per openssl.
    const pub1 = await openssl('pkey', '-in', path.join(out, 'server-key.pem'), '-pubout');
    const pub2 = await openssl('x509', '-in', path.join(out, 'server.pem'), '-noout', '-pubkey');
    expect(pub1).toBe(pub2);
  });

  it('gufo: the five files of `gufo cert init`, no CA key anywhere', async () => {
    const out = path.join(dir, 'gufo');
    const secrets = path.join(dir, 'gufo-secrets.yaml');
    await certsInit({ out, layout: 'gufo', k8sSecretsFile: secrets });
    expect(Object.keys(await listing(out)).sort()).toEqual(['ca.pem', 'client-key.pem', 'client.pem', 'server-key.pem', 'server.pem']);
    expect(await openssl('verify', '-CAfile', path.join(out, 'ca.pem'), path.join(out, 'server.pem'), path.join(out, 'client.pem'))).toMatch(
      /server\.pem: OK[\s\S]*client\.pem: OK/,
    );
    expect((await fs.stat(secrets)).mode & 0o777).toBe(0o600);
    const [s, ...rest] = await secretsIn(secrets);
    expect(rest).toHaveLength(0);
    expect(s!.metadata?.name).toBe('gufo-mtls');
    expect(s!.type).toBe('Opaque');
    expect(Object.keys(s!.data ?? {}).sort()).toEqual(['ca.pem', 'client-key.pem', 'client.pem', 'server-key.pem', 'server.pem']);
    expect(decoded(s!, 'server-key.pem')).toBe(await fs.readFile(path.join(out, 'server-key.pem'), 'utf8'));
  });

  it('kong: seed file names, combined client pem, and the three Secrets of k8s-mtls-secrets.yaml', async () => {
    const out = path.join(dir, 'mtls');
    await certsInit({ out, layout: 'kong', cn: 'dogcatcher-api', sans: ['localhost', 'dogcatcher-api', 'dogcatcher-api.default.svc.cluster.local'] });
    expect(await listing(out)).toEqual({
      'ca.crt': 0o644,
      'ca.key': 0o600,
      'server.crt': 0o644,
      'server.key': 0o600,
      'kong-client.crt': 0o644,
      'kong-client.key': 0o600,
      'kong-client.pem': 0o600,
      'k8s-mtls-secrets.yaml': 0o600,
    });
    const f = (n: string) => path.join(out, n);
    expect(await openssl('verify', '-CAfile', f('ca.crt'), f('server.crt'), f('kong-client.crt'))).toMatch(/server\.crt: OK[\s\S]*kong-client\.crt: OK/);
    const combined = await fs.readFile(f('kong-client.pem'), 'utf8');
    expect(combined).toBe((await fs.readFile(f('kong-client.crt'), 'utf8')) + (await fs.readFile(f('kong-client.key'), 'utf8')));
    expect(await openssl('x509', '-in', f('server.crt'), '-noout', '-ext', 'subjectAltName')).toContain('DNS:dogcatcher-api.default.svc.cluster.local');

    const secrets = await secretsIn(f('k8s-mtls-secrets.yaml'));
    const byName = Object.fromEntries(secrets.map((s) => [s.metadata!.name!, s]));
    expect(Object.keys(byName).sort()).toEqual(['dogcatcher-server-cert', 'kong-client-cert', 'mtls-ca']);
    expect(byName['mtls-ca']!.metadata!.namespace).toBe('default');
    expect(Object.keys(byName['mtls-ca']!.data!)).toEqual(['ca.crt']);
    expect(byName['dogcatcher-server-cert']!.type).toBe('kubernetes.io/tls');
    expect(decoded(byName['dogcatcher-server-cert']!, 'tls.crt')).toBe(await fs.readFile(f('server.crt'), 'utf8'));
    expect(byName['kong-client-cert']!.metadata!.namespace).toBe('kong');
    expect(byName['kong-client-cert']!.type).toBe('kubernetes.io/tls');
    expect(decoded(byName['kong-client-cert']!, 'tls.key')).toBe(await fs.readFile(f('kong-client.key'), 'utf8'));
    const caKey = (await fs.readFile(f('ca.key'), 'utf8')).trim();
    for (const s of secrets) for (const k of Object.keys(s.data ?? {})) expect(decoded(s, k)).not.toContain(caKey);
  });

  it('nova: cert-manager file names, wildcard in-cluster SAN, Secret grpc-tls-certs in namespace nova', async () => {
    const out = path.join(dir, 'grpc-tls');
    const secretsFile = path.join(dir, 'nova.yaml');
    await certsInit({ out, layout: 'nova', k8sSecretsFile: secretsFile });
    expect(Object.keys(await listing(out)).sort()).toEqual(['ca.crt', 'client.crt', 'client.key', 'tls.crt', 'tls.key']);
    const f = (n: string) => path.join(out, n);
    expect(await openssl('verify', '-purpose', 'sslserver', '-CAfile', f('ca.crt'), f('tls.crt'))).toContain('OK');
    expect(await openssl('verify', '-purpose', 'sslclient', '-CAfile', f('ca.crt'), f('client.crt'))).toContain('OK');
    // openssl agrees the wildcard covers a service name in the namespace, and only one label deep.
    expect(await openssl('x509', '-in', f('tls.crt'), '-noout', '-checkhost', 'user-service.nova.svc.cluster.local')).toContain('does match');
    expect(await openssl('x509', '-in', f('tls.crt'), '-noout', '-checkhost', 'a.b.nova.svc.cluster.local')).toContain('does NOT match');
    const [s] = await secretsIn(secretsFile);
    expect(s!.metadata).toMatchObject({ name: 'grpc-tls-certs', namespace: 'nova' });
    expect(s!.type).toBe('kubernetes.io/tls');
    expect(Object.keys(s!.data!).sort()).toEqual(['ca.crt', 'client.crt', 'client.key', 'tls.crt', 'tls.key']);
  });

  it('per-service: one cert/key pair per service, usable as server and client, with in-cluster names', async () => {
    const out = path.join(dir, 'svc');
    const secretsFile = path.join(dir, 'svc.yaml');
    await certsInit({ out, layout: 'per-service', services: ['gateway', 'auth-service'], namespace: 'gaia', k8sSecretsFile: secretsFile });
    expect(await listing(out)).toEqual({
      'ca.pem': 0o644,
      'ca-key.pem': 0o600,
      'gateway/cert.pem': 0o644,
      'gateway/key.pem': 0o600,
      'auth-service/cert.pem': 0o644,
      'auth-service/key.pem': 0o600,
    });
    for (const svc of ['gateway', 'auth-service']) {
      const cert = path.join(out, svc, 'cert.pem');
      for (const purpose of ['sslserver', 'sslclient'])
        expect(await openssl('verify', '-purpose', purpose, '-CAfile', path.join(out, 'ca.pem'), cert)).toContain('OK');
      expect(await openssl('x509', '-in', cert, '-noout', '-checkhost', `${svc}.gaia.svc.cluster.local`)).toContain('does match');
      expect(await openssl('x509', '-in', cert, '-noout', '-subject')).toContain(`CN = ${svc}`);
    }
    const secrets = await secretsIn(secretsFile);
    expect(secrets.map((s) => [s.metadata!.name, s.metadata!.namespace, s.type])).toEqual([
      ['gateway-tls', 'gaia', 'kubernetes.io/tls'],
      ['auth-service-tls', 'gaia', 'kubernetes.io/tls'],
    ]);
  });

  it('RSA 3072 on request, and --days measured from the injected clock', async () => {
    const out = path.join(dir, 'rsa');
    const now = new Date('2027-03-01T12:00:00Z');
    await certsInit({ out, keyType: 'rsa-3072', days: 90, clock: fixedClock(now) });
    const text = await openssl('x509', '-in', path.join(out, 'server.pem'), '-noout', '-text');
    expect(text).toContain('Public-Key: (3072 bit)');
    expect(text).toContain('Key Encipherment');
    const [leaf] = parseCertificates(await fs.readFile(path.join(out, 'client.pem')), 'client.pem');
    const s = summarizeCertificate(leaf!, fixedClock(now));
    expect(s.notAfter).toBe('2027-05-30T12:00:00.000Z');
    expect(s.daysLeft).toBe(90);
    const [ca] = parseCertificates(await fs.readFile(path.join(out, 'ca.pem')), 'ca.pem');
    expect(summarizeCertificate(ca!, fixedClock(now)).daysLeft).toBe(3650);
  });
});

describe('certs init overwrite protection', () => {
  it('refuses to overwrite, naming the files, and leaves them untouched', async () => {
    const out = path.join(dir, 'o');
    await certsInit({ out });
    const before = await fs.readFile(path.join(out, 'server-key.pem'), 'utf8');
    const err = await errorOf(certsInit({ out }));
    expect(err.code).toBe('pki.output-exists');
    expect(err.message).toContain('server-key.pem');
    expect(err.message).toContain('--force');
    expect(await fs.readFile(path.join(out, 'server-key.pem'), 'utf8')).toBe(before);
  });

  it('one existing file is enough to refuse the whole run (nothing half-written)', async () => {
    const out = path.join(dir, 'p');
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, 'client.pem'), 'mine');
    expect((await errorOf(certsInit({ out }))).code).toBe('pki.output-exists');
    expect(await fs.readdir(out)).toEqual(['client.pem']);
  });

  it('--force replaces files and restores 0600 on keys that had been loosened', async () => {
    const out = path.join(dir, 'f');
    await certsInit({ out });
    const key = path.join(out, 'client-key.pem');
    const before = await fs.readFile(key, 'utf8');
    await fs.chmod(key, 0o644);
    await certsInit({ out, force: true });
    expect((await fs.stat(key)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(key, 'utf8')).not.toBe(before);
  });

  it('does not follow a symlink planted at a key path, even with --force', async () => {
    const out = path.join(dir, 's');
    await fs.mkdir(out);
    const victim = path.join(dir, 'victim.txt');
    await fs.writeFile(victim, 'precious');
    await fs.symlink(victim, path.join(out, 'server-key.pem'));
    expect((await errorOf(certsInit({ out }))).code).toBe('pki.output-exists');
    await certsInit({ out, force: true });
    expect(await fs.readFile(victim, 'utf8')).toBe('precious');
    expect((await fs.lstat(path.join(out, 'server-key.pem'))).isSymbolicLink()).toBe(false);
  });
});

describe('certs init bad options', () => {
  it.each([
    [{ layout: 'per-service' as const }, 'usage.missing-argument', /--services/],
    [{ layout: 'per-service' as const, services: ['Bad_Name'] }, 'usage.invalid-value', /service name "Bad_Name"/],
    [{ layout: 'per-service' as const, services: ['a', 'a'] }, 'usage.invalid-value', /twice/],
    [{ services: ['a'] }, 'usage.invalid-value', /only applies to --layout per-service/],
    [{ days: 4000 }, 'usage.invalid-value', /--days/],
    [{ days: 0 }, 'usage.invalid-value', /--days/],
    [{ namespace: 'Not A Namespace' }, 'usage.invalid-value', /namespace/],
    [{ sans: ['exa mple.com'] }, 'usage.invalid-value', /neither a DNS name/],
    [{ cn: 'a,b' }, 'usage.invalid-value', /--cn/],
  ])('%j → %s', async (opts, code, message) => {
    const out = path.join(dir, 'bad');
    const err = await errorOf(certsInit({ out, ...opts }));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    await expect(fs.access(out)).rejects.toThrow(); // nothing written
  });

  it('parses layouts and SAN lists', () => {
    expect(parseLayout('Kong')).toBe('kong');
    expect(() => parseLayout('istio')).toThrow(/unknown layout "istio": use one of default, gufo, kong, nova, per-service/);
    expect(parseSanList(['a.example', '10.0.0.1', '[::1]', 'spiffe://td/ns/x/sa/y', '*.svc.example'])).toEqual({
      dns: ['a.example', '*.svc.example'],
      ip: ['10.0.0.1', '::1'],
      uri: ['spiffe://td/ns/x/sa/y'],
    });
  });
});
