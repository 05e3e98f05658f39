// k8s scan of meshes and plaintext ports against the fake API server (fixtures/k8s-mesh): Istio's
// PeerAuthentications read and resolved, every meshed Pod port probed in the cluster (--in-cluster:
// the Pod IP dialled) against real loopback servers that behave as the sidecar's inbound port would
// (test/helpers/mesh-sidecar.ts), and a plaintext Service port probed through port-forward.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki } from '../src/pki/generate.js';
import { runInProcess } from './helpers/cli.js';
import { startFakeKube, type FakeKube } from './helpers/fake-kube.js';
import { startSidecar, type Sidecar, type SidecarMode } from './helpers/mesh-sidecar.js';

const TEMPLATE = path.resolve(import.meta.dirname, '../fixtures/k8s-mesh');

type Json = {
  results: { target: string; check: string; status: string; message: string; remediation?: string; evidence: Record<string, unknown> }[];
  targets: {
    name: string;
    endpoint: string;
    origin?: { kind: string; namespace: string; name: string; section?: string; declared?: Record<string, string> };
  }[];
};

let tmp: string;
/** A client certificate of the mesh's CA (what the STRICT stand-in accepts): the control of the cert-less refusal. */
let meshClient: string[] = [];
let fixtures: string;
let kube: FakeKube;
const sidecars: Sidecar[] = [];
/** Placeholder port of the fixtures → the ephemeral port of the real server standing in for it. */
const ports: Record<number, number> = {};

async function cli(args: string[], env: Record<string, string>) {
  const r = await runInProcess(args, { HOME: tmp, ...env });
  return { ...r, json: () => JSON.parse(r.stdout) as Json };
}
const result = (j: Json, target: string, check: string) => {
  const r = j.results.find((x) => x.target === target && x.check === check);
  if (!r) throw new Error(`no ${check} for ${target}; targets: ${[...new Set(j.results.map((x) => x.target))].join(', ')}`);
  return r;
};

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-mesh-'));
  const pki = await mintFixturePki({ organization: 'mesh', serverDnsNames: ['localhost'] });
  const start = async (mode: SidecarMode) => {
    const s = await startSidecar(mode, pki);
    sidecars.push(s);
    return s.port;
  };
  await fs.writeFile(path.join(tmp, 'mesh-client.pem'), pki.client.chainPem);
  await fs.writeFile(path.join(tmp, 'mesh-client-key.pem'), pki.client.keyPem, { mode: 0o600 });
  meshClient = ['--cert', path.join(tmp, 'mesh-client.pem'), '--key', path.join(tmp, 'mesh-client-key.pem')];
  const plan: Record<number, SidecarMode> = { 39001: 'PERMISSIVE', 39011: 'STRICT', 39012: 'PERMISSIVE', 39021: 'PLAIN', 39031: 'PERMISSIVE', 39032: 'STRICT' };
  for (const [p, mode] of Object.entries(plan)) ports[Number(p)] = await start(mode);
  const storefront = await start('PLAIN');
  // The fixtures with their placeholder ports rewritten to the real servers'.
  const dir = (fixtures = path.join(tmp, 'fixtures'));
  for (const ns of await fs.readdir(TEMPLATE, { withFileTypes: true })) {
    if (!ns.isDirectory()) continue;
    await fs.mkdir(path.join(dir, ns.name), { recursive: true });
    for (const f of await fs.readdir(path.join(TEMPLATE, ns.name))) {
      const text = await fs.readFile(path.join(TEMPLATE, ns.name, f), 'utf8');
      await fs.writeFile(
        path.join(dir, ns.name, f),
        text.replace(/\b390\d\d\b/g, (m) => String(ports[Number(m)] ?? m)),
      );
    }
  }
  kube = await startFakeKube({ pems: {}, fixturesDir: dir, forwards: { 'shop/storefront-5d8f7c9b4-q2w3e:8080': { host: '127.0.0.1', port: storefront } } });
});

afterAll(async () => {
  await kube?.stop();
  for (const s of sidecars) await s.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('plaintext Service ports and mesh ports out of the cluster', () => {
  it('a plaintext Service port is a reject.plaintext target (served: fail); a mesh port is not observed through port-forward', async () => {
    const r = await cli(['k8s', 'scan', '-n', 'shop', '--timeout', '2s', '--json', '-'], { KUBECONFIG: kube.kubeconfig });
    const j = r.json();
    const web = 'service/shop/storefront:8080';
    const plain = result(j, web, 'reject.plaintext');
    expect(plain.status, plain.message).toBe('fail');
    expect(plain.message).toMatch(/served a plaintext http1 request: .*HTTP\/1\.1 200/);
    // Every other check of that port: skip, saying why.
    const others = j.results.filter((x) => x.target === web && x.check !== 'reject.plaintext');
    expect(others.length).toBeGreaterThan(10);
    expect(new Set(others.map((x) => `${x.status}: ${x.message}`))).toEqual(new Set(['skip: a plaintext port: only reject.plaintext applies']));
    expect(j.targets.find((t) => t.name === web)!.origin).toMatchObject({
      kind: 'Service',
      namespace: 'shop',
      name: 'storefront',
      section: 'port http (8080)',
    });
    // The sidecar's port: port-forward would reach the application behind it, so no verdict.
    const cart = `mesh/shop/cart-6b7c8d9f5-a1b2c:${ports[39001]}`;
    for (const id of ['mesh.strict-refuses-plaintext', 'mesh.declared-matches-observed']) {
      const x = result(j, cart, id);
      expect(x.status).toBe('error');
      expect(x.message).toMatch(/observed only from inside the cluster .*port-forward reaches the application on the Pod's loopback/);
    }
    expect(result(j, cart, 'reject.no-client-cert').status).toBe('skip');
  });
});

const inCluster = async (k: FakeKube, args: string[]) => {
  const sa = path.join(tmp, 'sa');
  await fs.mkdir(sa, { recursive: true });
  await fs.writeFile(path.join(sa, 'token'), k.token);
  await fs.writeFile(path.join(sa, 'ca.crt'), k.caPem);
  await fs.writeFile(path.join(sa, 'namespace'), 'shop');
  return cli(['k8s', 'scan', '--in-cluster', ...args, '--timeout', '2s', '--json', '-'], {
    KUBECONFIG: '',
    MTLS_K8S_SERVICEACCOUNT_DIR: sa,
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: new URL(k.server).port,
  });
};

describe('mesh ports in the cluster (the Pod IP dialled)', () => {
  it('PeerAuthentications that may not be read: a k8s.rbac result, and the declared mode is unknown (error), never guessed', async () => {
    const denied = await startFakeKube({ pems: {}, fixturesDir: fixtures, forbidden: [{ verb: 'list', resource: 'peerauthentications', namespace: 'vault' }] });
    try {
      const j = (await inCluster(denied, ['-n', 'vault', '--suite', 'mesh,k8s-audit'])).json();
      const leak = `mesh/vault/secrets-api-8d7e6f5a4-k3l4m:${ports[39021]}`;
      const r = result(j, leak, 'mesh.declared-matches-observed');
      expect(r.status).toBe('error');
      expect(r.message).toMatch(/PeerAuthentications of namespace vault may not be read .*declared for this port is unknown/);
      expect(j.results.some((x) => x.check === 'k8s.rbac' && x.status === 'error' && /peerauthentications/.test(x.message))).toBe(true);
    } finally {
      await denied.stop();
    }
  });

  it('declared mode beside observed: PERMISSIVE fails on plaintext (as declared), STRICT passes against a mesh client, STRICT declared but serving plaintext fails with the fix in the policy', async () => {
    const t0 = performance.now();
    const r = await inCluster(kube, ['-n', 'shop', '-n', 'bank', '-n', 'vault', '--suite', 'mesh', ...meshClient]);
    console.log(`mesh scan of 3 namespaces (4 mesh ports): ${Math.round(performance.now() - t0)} ms`);
    const j = r.json();
    const target = (name: string) => j.targets.find((t) => t.name === name)!;

    // shop: namespace-wide PERMISSIVE, a port that serves plaintext and TLS alike.
    const cart = `mesh/shop/cart-6b7c8d9f5-a1b2c:${ports[39001]}`;
    expect(target(cart).endpoint).toBe(`127.0.0.1:${ports[39001]}`);
    expect(target(cart).origin).toMatchObject({ kind: 'PeerAuthentication', namespace: 'shop', name: 'default', declared: { 'mtls.mode': 'PERMISSIVE' } });
    const permissive = result(j, cart, 'mesh.declared-matches-observed');
    expect(permissive.status).toBe('pass');
    expect(permissive.message).toMatch(/declared PERMISSIVE by PeerAuthentication shop\/default \(spec\.mtls\.mode\); observed PERMISSIVE .*, as declared/);
    const open = result(j, cart, 'mesh.strict-refuses-plaintext');
    expect(open.status, open.message).toBe('fail');
    expect(open.message).toMatch(/declared PERMISSIVE by PeerAuthentication shop\/default .*served a plaintext http1 request .*mesh mTLS is not enforced/);
    expect(open.remediation).toMatch(/set spec\.mtls\.mode: STRICT in PeerAuthentication shop\/default/);

    // bank: the mesh-wide STRICT (the root namespace's selector policy ignored) on a STRICT sidecar.
    const strict = `mesh/bank/ledger-7c9d8e6f5-z9y8x:${ports[39011]}`;
    expect(target(strict).origin).toMatchObject({ namespace: 'istio-system', name: 'default', section: `port ${ports[39011]} of pod ledger-7c9d8e6f5-z9y8x` });
    expect(result(j, strict, 'mesh.strict-refuses-plaintext').status).toBe('pass');
    const ok = result(j, strict, 'mesh.declared-matches-observed');
    expect(ok.status).toBe('pass');
    expect(ok.message).toMatch(/declared STRICT by PeerAuthentication istio-system\/default .*observed STRICT/);
    // The workload's port-level PERMISSIVE (mode UNSET above it) on a PERMISSIVE sidecar.
    const portLevel = `mesh/bank/ledger-7c9d8e6f5-z9y8x:${ports[39012]}`;
    expect(target(portLevel).origin).toMatchObject({
      name: 'ledger-metrics',
      declared: { 'mtls.mode': 'PERMISSIVE', field: `spec.portLevelMtls.${ports[39012]}.mode` },
    });
    expect(result(j, portLevel, 'mesh.declared-matches-observed').status).toBe('pass');
    expect(result(j, portLevel, 'mesh.strict-refuses-plaintext').status).toBe('fail');

    // vault: STRICT declared, the port answers plaintext.
    const leak = `mesh/vault/secrets-api-8d7e6f5a4-k3l4m:${ports[39021]}`;
    const sp = result(j, leak, 'mesh.strict-refuses-plaintext');
    expect(sp.status, sp.message).toBe('fail');
    expect(sp.message).toMatch(/declared STRICT by PeerAuthentication vault\/default .*served a plaintext http1 request/);
    expect(sp.remediation).toMatch(
      /PeerAuthentication vault\/default \(port \d+ of pod secrets-api-8d7e6f5a4-k3l4m\): set spec\.mtls\.mode: STRICT in PeerAuthentication vault\/default/,
    );
    const dm = result(j, leak, 'mesh.declared-matches-observed');
    expect(dm.status).toBe('fail');
    expect(dm.message).toMatch(/declared STRICT .*observed DISABLE/);
    expect(dm.evidence).toMatchObject({ declared: { 'mtls.mode': 'STRICT' }, observed: 'DISABLE' });
    expect(r.code).toBe(1);
  });

  it('STRICT observed without a client of the mesh CA to compare with: cannot tell (error, naming what would decide it), never pass; plaintext refused still passes', async () => {
    const j = (await inCluster(kube, ['-n', 'bank', '--suite', 'mesh'])).json();
    const strict = `mesh/bank/ledger-7c9d8e6f5-z9y8x:${ports[39011]}`;
    const dm = result(j, strict, 'mesh.declared-matches-observed');
    expect(dm.status, dm.message).toBe('error');
    expect(dm.message).toMatch(/observed: cannot tell \(.*no valid client was tested to compare with.*--ca-key-secret/);
    expect(result(j, strict, 'mesh.strict-refuses-plaintext').status).toBe('pass');
  });

  it("Linkerd: all-authenticated declared on the Pod, plaintext served: STRICT declared, PERMISSIVE observed, the fix in the Pod's annotation", async () => {
    const j = (await inCluster(kube, ['-n', 'edge', '--suite', 'mesh'])).json();
    const edge = `mesh/edge/edge-api-6f5e4d3c2-p9o8i:${ports[39031]}`;
    expect(j.targets.find((t) => t.name === edge)!.origin).toMatchObject({
      kind: 'Pod',
      name: 'edge-api-6f5e4d3c2-p9o8i',
      declared: { 'mtls.mode': 'STRICT' },
    });
    const dm = result(j, edge, 'mesh.declared-matches-observed');
    expect(dm.status).toBe('fail');
    expect(dm.message).toMatch(
      /declared STRICT by Pod edge\/edge-api-6f5e4d3c2-p9o8i \(annotation config\.linkerd\.io\/default-inbound-policy: all-authenticated\); observed PERMISSIVE/,
    );
    expect(result(j, edge, 'mesh.strict-refuses-plaintext').status).toBe('fail');
  });

  it("Linkerd: a Pod without its own policy takes its namespace's annotation (STRICT), observed STRICT against the mesh CA's client", async () => {
    const j = (await inCluster(kube, ['-n', 'edge', '--suite', 'mesh', ...meshClient])).json();
    const web = `mesh/edge/edge-web-7a6b5c4d3-k1j2h:${ports[39032]}`;
    expect(j.targets.find((t) => t.name === web)!.origin).toMatchObject({
      kind: 'Namespace',
      name: 'edge',
      declared: { 'mtls.mode': 'STRICT', field: 'annotation config.linkerd.io/default-inbound-policy: all-authenticated' },
    });
    const dm = result(j, web, 'mesh.declared-matches-observed');
    expect(dm.status, dm.message).toBe('pass');
    expect(result(j, web, 'mesh.strict-refuses-plaintext').status).toBe('pass');
    // The annotated Pod is still declared by its own annotation.
    expect(j.targets.find((t) => t.name === `mesh/edge/edge-api-6f5e4d3c2-p9o8i:${ports[39031]}`)!.origin).toMatchObject({ kind: 'Pod' });
  });

  it('Linkerd: a namespace the scan may not get leaves its unannotated Pods unknown (error, k8s.rbac), never the default guessed', async () => {
    const denied = await startFakeKube({ pems: {}, fixturesDir: fixtures, forbidden: [{ verb: 'get', resource: 'namespaces' }] });
    try {
      const j = (
        await inCluster(denied, ['-n', 'edge', '--check', 'mesh.declared-matches-observed,mesh.strict-refuses-plaintext,k8s.rbac', ...meshClient])
      ).json();
      const web = `mesh/edge/edge-web-7a6b5c4d3-k1j2h:${ports[39032]}`;
      for (const check of ['mesh.declared-matches-observed', 'mesh.strict-refuses-plaintext']) {
        const r = result(j, web, check);
        expect(r.status).toBe('error');
        expect(r.message).toMatch(/namespace edge may not be read .*the inbound policy declared for this port is unknown/);
      }
      expect(j.results.find((r) => r.check === 'k8s.rbac' && r.status === 'error' && /namespaces/.test(r.message))).toBeDefined();
      expect(result(j, `mesh/edge/edge-api-6f5e4d3c2-p9o8i:${ports[39031]}`, 'mesh.declared-matches-observed').status).toBe('fail');
    } finally {
      await denied.stop();
    }
  });

  it('Istio: --istio-root-namespace names the root namespace whose policy is mesh-wide (meshConfig.rootNamespace)', async () => {
    const ledger = `mesh/bank/ledger-7c9d8e6f5-z9y8x:${ports[39011]}`;
    const byDefault = (await inCluster(kube, ['-n', 'bank', '--check', 'mesh.declared-matches-observed'])).json();
    expect(byDefault.targets.find((t) => t.name === ledger)!.origin).toMatchObject({
      kind: 'PeerAuthentication',
      namespace: 'istio-system',
      declared: { 'mtls.mode': 'STRICT' },
    });
    const custom = (await inCluster(kube, ['-n', 'bank', '--check', 'mesh.declared-matches-observed', '--istio-root-namespace', 'istio-config'])).json();
    expect(custom.targets.find((t) => t.name === ledger)!.origin).toMatchObject({
      kind: 'PeerAuthentication',
      namespace: 'istio-config',
      name: 'default',
      declared: { 'mtls.mode': 'PERMISSIVE' },
    });
    const bad = await inCluster(kube, ['-n', 'bank', '--istio-root-namespace', 'Istio_System']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--istio-root-namespace "Istio_System" is not a namespace name/);
  });
});
