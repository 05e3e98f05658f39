// Optional weight stays optional (issue 17): the Kubernetes client, testcontainers and playwright-core
// serve one command each and are optional peer dependencies, not installed with the harness. Without
// them (hidden by test/helpers/hide-packages.mjs, preloaded into the built CLI), probe and run work,
// and the command that needs one says what to install, one line, exit 2.
import { readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTIONAL_PACKAGES } from '../src/io/optional.js';
import { spawnCli } from './helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const hook = path.join(root, 'test/helpers/hide-packages.mjs');
const hidden = { NODE_OPTIONS: `--import ${hook}`, MTLS_TEST_HIDE_PACKAGES: Object.keys(OPTIONAL_PACKAGES).join(',') };
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-optional-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('optional packages', () => {
  it('package.json: each is an optional peer dependency at the version the harness names, and not a dependency', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    for (const [name, p] of Object.entries(OPTIONAL_PACKAGES)) {
      expect(pkg.dependencies![name], name).toBeUndefined();
      expect(pkg.peerDependencies![name], name).toBe(p.version);
      expect(pkg.peerDependenciesMeta![name], name).toEqual({ optional: true });
      expect(pkg.devDependencies![name], `${name} (the tests use it)`).toBe(p.version);
    }
  });

  it('without them: run against a reference works', async () => {
    const r = await spawnCli(['run', '--reference', 'node', '--profile', 'strict', '--quiet', '--json', path.join(tmp, 'r.json')], tmp, hidden, 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(await fs.readFile(path.join(tmp, 'r.json'), 'utf8')).results.length).toBeGreaterThan(20);
  });

  it.each([
    [
      ['k8s', 'scan', '-n', 'nova'],
      /^mtls-harness: error: k8s scan needs the optional package @kubernetes\/client-node, which is not installed: npm install @kubernetes\/client-node@1\.4\.0$/,
    ],
    [
      ['run', '--reference', 'nginx', '--profile', 'strict', '--provider', 'container'],
      /needs the optional package testcontainers, which is not installed: npm install testcontainers@11\.14\.0$/,
    ],
    // Checked before anything runs, like the browser itself.
    [
      ['run', '--reference', 'node', '--profile', 'strict', '--pdf', 'r.pdf'],
      /^mtls-harness: error: PDF reports \(--pdf\) needs the optional package playwright-core, which is not installed: npm install playwright-core@1\.64\.1$/,
    ],
    [['probe', '127.0.0.1:9', '--pdf', 'p.pdf'], /PDF reports \(--pdf\) needs the optional package playwright-core/],
  ])('without them: %j says what to install, one line, exit 2', async (args, message) => {
    const r = await spawnCli(args, tmp, { ...hidden, KUBECONFIG: path.join(tmp, 'none'), MTLS_CHROMIUM: '/bin/true' }, 60_000);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
