// Where k8s scan finds a Service port's Pod: EndpointSlices when served (the fake writes them as the
// EndpointSlice controller does), Endpoints when slices are not served (404) or forbidden (then also
// a k8s.rbac finding). Through port-forward to the real node-grpc reference behind nova's services.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';
import { startFakeKube, type FakeKube, type FakeKubeOptions } from './helpers/fake-kube.js';
import { mintK8sPki, type K8sPki } from './helpers/k8s-fixtures.js';

let pki: K8sPki;
let ref: StartedReference;
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-k8s-slices-'));
  pki = await mintK8sPki();
  ref = await startReference({ implementation: 'node-grpc', profile: 'strict', pki: pki.nova });
});
afterAll(async () => {
  await ref?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

async function scanNova(o: Partial<FakeKubeOptions>): Promise<{
  kube: FakeKube;
  json: { results: { target: string; check: string; status: string; message: string }[]; targets: { name: string; endpoint: string }[] };
}> {
  const kube = await startFakeKube({
    pems: pki.pems,
    forwards: { 'nova/identity-service-6c9f8d7b5-x2x7k:50051': ref.endpoint, 'nova/user-service-7f6d5c4b3-m8n4q:50052': ref.endpoint },
    ...o,
  });
  let stdout = '';
  try {
    await runCli(['k8s', 'scan', '-n', 'nova', '--secret', 'grpc-tls-certs', '--check', 'reject.no-client-cert,k8s.rbac', '--json', '-'], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
      env: { NO_COLOR: '1', HOME: tmp, KUBECONFIG: kube.kubeconfig },
    });
  } finally {
    await kube.stop();
  }
  return { kube, json: JSON.parse(stdout) };
}

const VIA = 'identity-service.nova.svc.cluster.local:50051 via port-forward to pod/nova/identity-service-6c9f8d7b5-x2x7k:50051';

describe('EndpointSlices, Endpoints as the fallback', () => {
  it('slices served: the Pod comes from them and Endpoints are not listed', async () => {
    const { kube, json } = await scanNova({});
    expect(kube.requests.some((q) => q.resource === 'endpointslices' && q.namespace === 'nova')).toBe(true);
    expect(kube.requests.some((q) => q.resource === 'endpoints')).toBe(false);
    expect(json.targets.find((t) => t.name === 'service/nova/identity-service:50051')?.endpoint).toBe(VIA);
    expect(json.results.find((r) => r.target === 'service/nova/identity-service:50051' && r.check === 'reject.no-client-cert')?.status).toBe('pass');
  });

  it('slices not served (404): Endpoints are read, no finding', async () => {
    const { kube, json } = await scanNova({ notServed: ['endpointslices'] });
    expect(kube.requests.some((q) => q.resource === 'endpoints' && q.namespace === 'nova')).toBe(true);
    expect(json.targets.find((t) => t.name === 'service/nova/identity-service:50051')?.endpoint).toBe(VIA);
    expect(json.results.filter((r) => r.check === 'k8s.rbac' && r.status !== 'pass')).toEqual([]);
  });

  it('slices forbidden: Endpoints are read and the 403 is a k8s.rbac error naming list endpointslices', async () => {
    const { kube, json } = await scanNova({ forbidden: [{ verb: 'list', resource: 'endpointslices' }] });
    expect(kube.requests.some((q) => q.resource === 'endpoints' && q.namespace === 'nova')).toBe(true);
    expect(json.targets.find((t) => t.name === 'service/nova/identity-service:50051')?.endpoint).toBe(VIA);
    const rbac = json.results.filter((r) => r.check === 'k8s.rbac' && r.status === 'error');
    expect(rbac.map((r) => r.target)).toEqual(['rbac/nova/list endpointslices']);
  });
});
