// A kubeconfig whose user gets its token from an exec credential plugin (client.authentication.k8s.io/v1
// ExecCredential), as EKS and GKE kubeconfigs do: a small script prints the token the fake API server
// expects. A plugin that fails, is missing or prints no ExecCredential is one clear exit-2 line.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './helpers/cli.js';
import { startFakeKube, type FakeKube } from './helpers/fake-kube.js';
import { mintK8sPki } from './helpers/k8s-fixtures.js';

let kube: FakeKube;
let tmp: string;

/** A kubeconfig for the fake whose user runs `command args…` for its credentials. */
async function execKubeconfig(name: string, command: string, args: string[] = []): Promise<string> {
  const file = path.join(tmp, name);
  await fs.writeFile(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '  - name: fake',
      '    cluster:',
      `      server: ${kube.server}`,
      `      certificate-authority-data: ${Buffer.from(kube.caPem).toString('base64')}`,
      'users:',
      '  - name: eks-user',
      '    user:',
      '      exec:',
      '        apiVersion: client.authentication.k8s.io/v1',
      `        command: ${command}`,
      `        args: [${args.map((a) => JSON.stringify(a)).join(', ')}]`,
      '        interactiveMode: Never',
      '        env:',
      '          - name: PLUGIN_MARK',
      `            value: ${path.join(tmp, `${name}.ran`)}`,
      'contexts:',
      '  - name: eks',
      '    context:',
      '      cluster: fake',
      '      user: eks-user',
      '      namespace: nova',
      'current-context: eks',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

async function script(name: string, body: string): Promise<string> {
  const file = path.join(tmp, name);
  await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-k8s-exec-'));
  const pki = await mintK8sPki();
  kube = await startFakeKube({ pems: pki.pems });
});
afterAll(async () => {
  await kube?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('exec credential plugins in the kubeconfig', () => {
  it('the plugin runs once and its ExecCredential token authenticates every call (the audit runs: exit 1 for its findings, not 2)', async () => {
    const plugin = await script(
      'get-token',
      `echo run >> "$PLUGIN_MARK"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2999-01-01T00:00:00Z"}}' "$1"`,
    );
    const kc = await execKubeconfig('ok.yaml', plugin, [kube.token]);
    kube.requests.length = 0;
    const r = await runInProcess(['k8s', 'scan', '-n', 'nova', '--suite', 'k8s-audit', '--json', '-'], {
      HOME: tmp,
      PATH: process.env.PATH ?? '',
      KUBECONFIG: kc,
    });
    expect(r.stderr).not.toMatch(/401|Unauthorized|credential plugin/);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { results: unknown[] }).results.length).toBeGreaterThan(5);
    expect(kube.requests.some((q) => q.resource === 'services' && q.namespace === 'nova')).toBe(true);
    // Cached until its expirationTimestamp: one run for the whole scan.
    expect((await fs.readFile(path.join(tmp, 'ok.yaml.ran'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('a failing plugin (exit 1), a missing one, or one printing no ExecCredential: exit 2, one line naming the plugin and why, no stack trace', async () => {
    const failing = await script('expired', `echo 'error: the SSO session has expired; run "aws sso login"' >&2\nexit 1`);
    const cases: [string, RegExp][] = [
      [
        await execKubeconfig('fail.yaml', failing),
        /exec credential plugin ".*expired" of user "eks-user" \(context "eks", .*\) failed: error: the SSO session has expired; run "aws sso login"/,
      ],
      [
        await execKubeconfig('missing.yaml', path.join(tmp, 'no-such-plugin')),
        /exec credential plugin ".*no-such-plugin" .* failed: not found \(is it installed and on PATH\?\)/,
      ],
      [await execKubeconfig('garbage.yaml', await script('garbage', 'echo hello')), /failed: its output is not an ExecCredential \(JSON\)/],
    ];
    for (const [kc, message] of cases) {
      const r = await runInProcess(['k8s', 'scan', '-n', 'nova', '--suite', 'k8s-audit'], { HOME: tmp, PATH: process.env.PATH ?? '', KUBECONFIG: kc });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
