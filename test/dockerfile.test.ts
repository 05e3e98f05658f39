// Issue 21: deploy/Dockerfile, checked as far as this machine allows. Always: every COPY source
// exists (in the build context, or in the build stage's layout), the entrypoint resolves to the
// package's bin in the copied layout, the runtime user is not root, Debian's Chromium is installed
// and named by $MTLS_CHROMIUM, and the image holds the fixtures the npm package holds. The build
// itself only where Docker and a Node base image are present locally (no registry here).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const text = readFileSync(path.join(ROOT, 'deploy/Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  files: string[];
  peerDependencies: Record<string, string>;
};

interface Instr {
  op: string;
  args: string;
}
/** The instructions, continuation lines joined, comments dropped. */
const instrs: Instr[] = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#'))
  .map((l) => {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(l)!;
    return { op: m[1]!, args: m[2]!.trim() };
  });
const stages: Instr[][] = [];
for (const i of instrs) {
  if (i.op === 'FROM') stages.push([]);
  stages.at(-1)?.push(i);
}
const runtime = stages.at(-1)!;
const workdir = (stage: Instr[], before: number) =>
  stage
    .slice(0, before)
    .filter((i) => i.op === 'WORKDIR')
    .at(-1)?.args ?? '/';

describe('deploy/Dockerfile', () => {
  it('two stages from a Debian-based Node image; every COPY source exists', () => {
    expect(stages).toHaveLength(2);
    expect(instrs.find((i) => i.op === 'ARG')?.args).toBe('NODE_IMAGE=node:20-slim');
    for (const stage of stages)
      for (const c of stage.filter((i) => i.op === 'COPY')) {
        const parts = c.args.split(/\s+/);
        const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
        const sources = parts.slice(0, -1);
        for (const s of sources) {
          // the build stage's /src/dist is what `tsc -p tsconfig.json` writes into dist/ here
          const local = from === 'build' ? path.join(ROOT, path.relative('/src', s)) : path.join(ROOT, s);
          expect(existsSync(local), `COPY ${from ? `--from=${from} ` : ''}${s}`).toBe(true);
        }
      }
  });

  it('the entrypoint is the package bin, in the copied layout, executable with a shebang', () => {
    const entry = JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    expect(entry).toEqual(['mtls-harness']);
    const link = /ln -s (\S+) \/usr\/local\/bin\/mtls-harness/.exec(runtime.find((i) => i.op === 'RUN' && i.args.includes('ln -s'))!.args)![1]!;
    const wd = workdir(runtime, runtime.length);
    expect(link).toBe(path.posix.join(wd, pkg.bin['mtls-harness']!));
    const copied = runtime.filter((i) => i.op === 'COPY').map((i) => i.args.split(/\s+/).at(-1)!);
    expect(copied.some((dest) => pkg.bin['mtls-harness']!.startsWith(dest.replace(/\/?$/, '/')))).toBe(true);
    expect(readFileSync(path.join(ROOT, 'src/cli/main.ts'), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('runs as a non-root user; Chromium from Debian without recommends, named by MTLS_CHROMIUM; writable HOME on /tmp', () => {
    const users = runtime.filter((i) => i.op === 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0]!.args.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    expect(runtime.findIndex((i) => i.op === 'USER')).toBeLessThan(runtime.findIndex((i) => i.op === 'ENTRYPOINT'));
    const apt = runtime.find((i) => i.op === 'RUN' && i.args.includes('apt-get install'))!.args;
    expect(apt).toMatch(/apt-get install -y --no-install-recommends [^&]*\bchromium\b/);
    expect(apt).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
    const env = runtime
      .filter((i) => i.op === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/MTLS_CHROMIUM=\/usr\/bin\/chromium/);
    expect(env).toMatch(/HOME=\/tmp\b/);
    // the Job mounts an emptyDir at /tmp (read-only root filesystem)
    const job = readFileSync(path.join(ROOT, 'deploy/job.yaml'), 'utf8');
    expect(job).toMatch(/readOnlyRootFilesystem: true/);
    expect(job).toMatch(/mountPath: \/tmp/);
  });

  it("the optional peers the image needs (k8s scan, --pdf) become its dependencies; the fixtures are the npm package's", () => {
    const install = runtime.find((i) => i.op === 'RUN' && i.args.includes('npm install'))!.args;
    for (const p of ['@kubernetes/client-node', 'playwright-core']) {
      expect(install).toContain(p);
      expect(pkg.peerDependencies[p]).toBeTruthy();
    }
    const copiedFixtures = runtime
      .filter((i) => i.op === 'COPY' && i.args.includes('fixtures/'))
      .flatMap((i) => {
        const parts = i.args.split(/\s+/);
        return parts.slice(0, -1);
      });
    expect(copiedFixtures.sort()).toEqual(pkg.files.filter((f) => f.startsWith('fixtures/')).sort());
  });

  it('the runtime stage, replayed here without Docker: its npm step (offline-first) and COPY layout give a CLI that runs a real check', () => {
    // Each COPY of the runtime stage and its npm RUN step, in a temp dir standing for WORKDIR
    // (apt-get, chmod/ln and USER need the image); then the CLI as the entrypoint would run it.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-dockerfile-'));
    try {
      for (const c of runtime.filter((i) => i.op === 'COPY')) {
        const parts = c.args.split(/\s+/);
        const from = parts[0]!.startsWith('--from=') ? parts.shift() : undefined;
        const dest = parts.pop()!;
        for (const s of parts) {
          const src = from ? path.join(ROOT, path.relative('/src', s)) : path.join(ROOT, s);
          const target =
            dest.endsWith('/') || parts.length > 1 ? path.join(dir, dest, path.basename(s)) : path.join(dir, dest === './' ? path.basename(s) : dest);
          cpSync(src, target, { recursive: true });
        }
      }
      const npmStep = runtime.find((i) => i.op === 'RUN' && i.args.includes('npm install'))!.args;
      const npm = spawnSync('sh', ['-c', npmStep], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, npm_config_prefer_offline: 'true' },
      });
      if (npm.status !== 0 && /ENOTCACHED|ENOTFOUND|EAI_AGAIN/.test(npm.stderr)) {
        console.warn(
          `SKIPPED replaying the npm step: a dependency is not in the npm cache (run npm ci first): ${npm.stderr.split('\n').find((l) => /ERR/.test(l))}`,
        );
        return;
      }
      expect(npm.status, npm.stderr).toBe(0);
      const modules = readdirSync(path.join(dir, 'node_modules'));
      expect(modules).toContain('playwright-core');
      expect(readdirSync(path.join(dir, 'node_modules/@kubernetes'))).toContain('client-node');
      for (const dev of ['typescript', 'vitest', 'prettier', 'testcontainers']) expect(modules).not.toContain(dev);
      const cli = path.join(dir, pkg.bin['mtls-harness']!);
      const version = spawnSync(process.execPath, [cli, '--version'], { cwd: dir, encoding: 'utf8' });
      expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
      const run = spawnSync(
        process.execPath,
        [cli, 'run', '--reference', 'node', '--profile', 'optional-client-cert', '--check', 'reject.no-client-cert', '--quiet'],
        {
          cwd: dir,
          encoding: 'utf8',
          timeout: 120_000,
          env: { ...process.env, NO_COLOR: '1', NODE_ENV: 'production' },
        },
      );
      expect(run.status, run.stderr).toBe(1); // a real finding: the optional-client-cert server serves a client without one
      expect(run.stdout).toMatch(/FAIL +│ reject\.no-client-cert/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);

  const NODE_IMAGE = process.env.MTLS_DOCKER_NODE_IMAGE ?? 'node:20-slim';
  const docker = spawnSync('docker', ['image', 'inspect', NODE_IMAGE], { encoding: 'utf8' });
  const why =
    docker.error !== undefined
      ? 'docker is not installed'
      : docker.status !== 0
        ? `the base image ${NODE_IMAGE} is not on this machine and there is no registry to pull it from (set MTLS_DOCKER_NODE_IMAGE to a local Debian-based Node 20 image)`
        : '';
  if (why) console.warn(`SKIPPED building deploy/Dockerfile: ${why}`);
  it.skipIf(!!why)(
    'builds, and the image runs --version as its user with a read-only root filesystem',
    () => {
      const tag = 'mtls-harness-dockerfile-test:latest';
      const build = spawnSync('docker', ['build', '-q', '-f', 'deploy/Dockerfile', '--build-arg', `NODE_IMAGE=${NODE_IMAGE}`, '-t', tag, '.'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 1_200_000,
      });
      expect(build.status, build.stderr).toBe(0);
      try {
        const run = spawnSync(
          'docker',
          ['run', '--rm', '--read-only', '--tmpfs', '/tmp', '--entrypoint', 'sh', tag, '-c', 'id -u; mtls-harness --version; test -x "$MTLS_CHROMIUM"'],
          { encoding: 'utf8' },
        );
        expect(run.status, run.stderr).toBe(0);
        expect(run.stdout.split('\n')[0]).toBe('10001');
      } finally {
        spawnSync('docker', ['image', 'rm', tag]);
      }
    },
    1_300_000,
  );
});
