// Issue 21, publishing readiness: the npm package holds what the runtime needs and nothing else
// (`npm pack --dry-run --json`), and the packed tarball installs into an empty project offline-first
// (the npm cache has every dependency after `npm ci`) and runs: --help, --version and a real run
// against the node reference server, with no dev dependency installed (docs/publishing.md).
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const HAVE_NPM = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
};
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mtls-package-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sh(cmd: string, args: string[], cwd: string, timeout = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd, timeout, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(!HAVE_NPM)('the npm package', () => {
  it('lists the runtime only: no tests, sources, docs beyond README, CI files, keys or certificates', async () => {
    const r = await sh('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT);
    expect(r.code, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    const bad = files.filter(
      (f) =>
        /(^|\/)test\//.test(f) ||
        /\.test\.|\.map$/.test(f) ||
        (/\.tsx?$/.test(f) && !f.endsWith('.d.ts')) ||
        /^(src|suites|scripts|docs|deploy|examples|reports|\.ci)\//.test(f) ||
        (f.endsWith('.md') && !['README.md', 'fixtures/x509-limbo/PROVENANCE.md'].includes(f)) ||
        /\.(pem|key|p12|pfx|crt|der|csr)$/i.test(f) ||
        /^dist\/(scripts|test)\//.test(f),
    );
    expect(bad).toEqual([]);
    // fixtures: what the runtime reads (src/io/fixtures.ts callers): the reference servers'
    // templates and the x509-limbo corpus (with its licence); nothing else
    expect(files.filter((f) => f.startsWith('fixtures/') && !f.startsWith('fixtures/reference/')).sort()).toEqual(
      ['fixtures/x509-limbo/LICENSE', 'fixtures/x509-limbo/PROVENANCE.md', 'fixtures/x509-limbo/limbo.json'].sort(),
    );
    for (const t of readdirSync(path.join(ROOT, 'fixtures/reference'))) expect(files).toContain(`fixtures/reference/${t}`);
    for (const need of [
      'package.json',
      'README.md',
      pkg.bin['mtls-harness']!.replace(/^\.\//, ''),
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'schema/mtls-harness.config.schema.json',
    ])
      expect(files).toContain(need);
    // installing the tarball runs nothing: dist/ is in it, the build runs when it is packed
    expect(Object.keys(pkg.scripts).filter((s) => /^(pre|post)?install$|^prepare$/.test(s))).toEqual([]);
    expect(pkg.scripts.prepack).toMatch(/tsc/);
  });

  it('packs, installs into an empty project offline-first and runs with npx (no dev dependency)', async (ctx) => {
    const packDir = path.join(tmp, 'pack');
    const project = path.join(tmp, 'project');
    for (const d of [packDir, project]) spawnSync('mkdir', ['-p', d]);
    const packed = await sh('npm', ['pack', '--pack-destination', packDir, '--json'], ROOT, 240_000); // prepack: tsc
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = path.join(packDir, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    expect((await sh('npm', ['init', '-y'], project)).code).toBe(0);
    const installed = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project, 240_000);
    if (installed.code !== 0 && /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED/.test(installed.stderr)) {
      ctx.skip(
        `npm could not install a dependency without the network (run npm ci first to fill the cache): ${installed.stderr.split('\n').find((l) => /ERR/.test(l))}`,
      );
    }
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stderr).not.toMatch(/mtls-harness@[^ ]+ \((prepare|install|postinstall)/); // no install script of ours
    const modules = readdirSync(path.join(project, 'node_modules'));
    for (const dev of ['typescript', 'vitest', 'prettier', 'playwright-core', '@kubernetes', 'testcontainers']) expect(modules, dev).not.toContain(dev);

    const help = await sh('npx', ['--no-install', 'mtls-harness', '--help'], project);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mtls-harness <command>/);
    const version = await sh('npx', ['--no-install', 'mtls-harness', '--version'], project);
    expect(version.stdout.trim()).toBe(pkg.version);

    const run = await sh('npx', ['--no-install', 'mtls-harness', 'run', '--reference', 'node', '--profile', 'strict', '--json', 'r.json', '--quiet'], project);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(project, 'r.json'), 'utf8')) as {
      summary: { fail: number; error: number };
      results: { check: string; status: string }[];
    };
    expect(report.summary.fail + report.summary.error).toBe(0);
    expect(report.results.find((r) => r.check === 'reject.no-client-cert')?.status).toBe('pass');
  }, 600_000);
});
if (!HAVE_NPM) console.warn('SKIPPED the package tests: npm is not on PATH');
