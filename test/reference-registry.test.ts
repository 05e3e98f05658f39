// Issue 17 (registries): the reference servers are one map (src/targets/reference/index.ts), and what
// lies outside the code is checked against it — the reference image's package list (both ways of
// building it) holds every package of every server with a container form, and CI installs every
// package of every server that runs as a local process. Also: every name the CLI takes is in the map,
// and each entry answers for every profile.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../src/core/target.js';
import { PROFILES } from '../src/targets/profiles.js';
import { IMPLEMENTATIONS, REFERENCES, registerReference, referenceServer } from '../src/targets/reference/index.js';
import { mintFixturePki } from '../src/pki/generate.js';
import { checkReference, isImplementation, startReference } from '../src/targets/reference/start.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

/** `PACKAGES="a,b,c"` of fixtures/images/build-rootfs.sh. */
function rootfsPackages(): string[] {
  const m = /^PACKAGES="([^"]+)"$/m.exec(read('fixtures/images/build-rootfs.sh'));
  if (!m) throw new Error('fixtures/images/build-rootfs.sh: no PACKAGES="…" line');
  return m[1]!.split(',');
}

/** The packages of the Dockerfile's `apt-get install … --no-install-recommends a b c \` line. */
function dockerfilePackages(): string[] {
  const m = /apt-get install -y --no-install-recommends ([^\\&\n]+)/.exec(read('fixtures/images/Dockerfile'));
  if (!m) throw new Error('fixtures/images/Dockerfile: no apt-get install line');
  return m[1]!.trim().split(/\s+/);
}

/** `PACKAGES=(a b c)` of .ci/run. */
function ciPackages(): string[] {
  const m = /^PACKAGES=\(([^)]+)\)$/m.exec(read('.ci/run'));
  if (!m) throw new Error('.ci/run: no PACKAGES=(…) line');
  return m[1]!.trim().split(/\s+/);
}

const servers = Object.values(REFERENCES);

describe('the reference map', () => {
  it('lists node, node-grpc and the file-based servers; IMPLEMENTATIONS is its keys, each entry under its own name', () => {
    expect(IMPLEMENTATIONS).toEqual([
      'node',
      'node-grpc',
      'openssl',
      'nginx',
      'haproxy',
      'stunnel',
      'caddy',
      'gnutls',
      'apache',
      'apache-location',
      'postgres',
      'mariadb',
      'mosquitto',
      'redis',
    ]);
    expect(Object.keys(REFERENCES)).toEqual(IMPLEMENTATIONS);
    for (const [name, s] of Object.entries(REFERENCES)) {
      expect(s.name).toBe(name);
      expect(isImplementation(name)).toBe(true);
      if (s.process) expect(s.process.name).toBe(name);
    }
    expect(isImplementation('constructor')).toBe(false);
    expect(referenceServer('toString')).toBeUndefined();
  });

  it('each declares its protocol, how it runs, its packages and a container form only with a file-based one', () => {
    expect(Object.fromEntries(servers.map((s) => [s.name, s.protocol]))).toEqual({
      node: 'https',
      'node-grpc': 'grpc',
      openssl: 'https',
      nginx: 'https',
      haproxy: 'https',
      stunnel: 'https',
      caddy: 'https',
      gnutls: 'https',
      apache: 'https',
      'apache-location': 'https',
      postgres: 'postgres',
      mariadb: 'mysql',
      mosquitto: 'mqtt',
      redis: 'redis',
    });
    for (const s of servers) expect(PROTOCOLS, s.name).toContain(s.protocol);
    for (const s of servers) {
      if (s.runs === 'in-process') expect(s.debianPackages, s.name).toEqual([]);
      else expect(s.debianPackages.length, s.name).toBeGreaterThan(0);
      if (s.container) expect(s.process, s.name).toBeDefined();
      if (s.process) expect(s.debianPackages).toEqual(s.process.debianPackages);
    }
    // Every file-based server runs in the reference image too (the databases and brokers since issue 18),
    // except Apache (issue 18's per-path references: local processes only, apache2 is not in the image).
    const named = (f: (s: (typeof servers)[number]) => unknown) => servers.filter(f).map((s) => s.name);
    expect(named((s) => s.container)).toEqual(named((s) => s.process && !s.name.startsWith('apache')));
    expect(named((s) => !s.container)).toEqual(['node', 'node-grpc', 'apache', 'apache-location']);
  });

  it('every entry answers for every profile: supported, or unsupported with a reason; strict is everywhere', () => {
    for (const s of servers) {
      for (const p of PROFILES) {
        const why = s.unsupported(p);
        expect(why === undefined || (typeof why === 'string' && why.length > 20), `${s.name} ${p}`).toBe(true);
        if (why) expect(() => checkReference(s.name, p)).toThrow(`${s.name} cannot express profile "${p}" (unsupported): ${why}`);
        else expect(checkReference(s.name, p)).toEqual({ implementation: s.name, profile: p });
      }
      expect(s.unsupported('strict'), s.name).toBeUndefined();
    }
  });

  it('a server without a container form is refused by --provider container before anything loads or starts', async () => {
    const pki = await mintFixturePki();
    for (const name of ['node', 'node-grpc']) {
      await expect(startReference({ implementation: name, profile: 'strict', pki, provider: 'container' })).rejects.toMatchObject({
        code: 'target.unsupported-profile',
        message: `${name} runs in-process only (no container form); use --provider process for it`,
      });
    }
  });

  it('registerReference refuses a name already taken or not a name, and a container form without a file-based one', () => {
    expect(() => registerReference({ ...REFERENCES.nginx! })).toThrow(/reference nginx: the name is already taken/);
    expect(() => registerReference({ ...REFERENCES.node!, name: 'Bad Name' })).toThrow(/lower-case letters, digits and hyphens/);
    expect(() => registerReference({ ...REFERENCES.node!, name: 'node2', container: true })).toThrow(/a container form needs its file-based form/);
    expect(() => registerReference({ ...REFERENCES.nginx!, name: 'nginx2' })).toThrow(/its file-based form is named nginx/);
    expect(Object.keys(REFERENCES)).toEqual(IMPLEMENTATIONS);
    expect(IMPLEMENTATIONS).toHaveLength(14);
  });
});

describe('the packages outside the code agree with the map', () => {
  const withContainer = servers.filter((s) => s.container);
  const asProcess = servers.filter((s) => s.runs === 'process');

  it('the reference image holds every package of every server with a container form, in both recipes alike', () => {
    const rootfs = rootfsPackages();
    const docker = dockerfilePackages();
    for (const s of withContainer) {
      for (const pkg of s.debianPackages) {
        expect(rootfs, `${s.name}: ${pkg} missing from fixtures/images/build-rootfs.sh PACKAGES`).toContain(pkg);
        expect(docker, `${s.name}: ${pkg} missing from fixtures/images/Dockerfile`).toContain(pkg);
      }
    }
    expect([...docker].sort(), 'the Dockerfile and build-rootfs.sh install the same packages').toEqual([...rootfs].sort());
  });

  it('CI installs every package of every server that runs as a local process (.ci/run PACKAGES)', () => {
    const ci = ciPackages();
    for (const s of asProcess) for (const pkg of s.debianPackages) expect(ci, `${s.name}: ${pkg} missing from .ci/run PACKAGES`).toContain(pkg);
    // The servers added in tests only (test/fixtures/reference-lighttpd.ts) run in CI too.
    for (const pkg of ['lighttpd', 'lighttpd-mod-openssl']) expect(ci).toContain(pkg);
  });

  it('the parsers read the real lists (and lighttpd, a process-only server of the tests, is not in the image)', () => {
    expect(rootfsPackages()).toContain('gnutls-bin');
    expect(dockerfilePackages()).toContain('nginx-light');
    expect(ciPackages()).toContain('stunnel4');
    expect(rootfsPackages()).not.toContain('lighttpd');
  });
});
