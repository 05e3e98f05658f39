// k8s scan of Gateway API listeners (fixtures/k8s/gateway-mtls) against the fake API server, each
// listener's real TLS server on loopback reached as a cluster would reach it: through port-forward to
// the implementation's Pod (the Gateway's status address does not answer here), or directly when a
// status address answers. Terminate with client validation must refuse clients without a
// certificate; Terminate without it fails reject.no-client-cert with the fix in the Gateway's terms;
// Passthrough answers with the backend behind its TLSRoute (a byte relay in front of it here).
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';
import { connectKube } from '../src/targets/k8s/api.js';
import { discoverGateways } from '../src/targets/k8s/gateway-targets.js';
import { readNamespace } from '../src/targets/k8s/scan.js';
import { FIXTURES_DIR, startFakeKube, type FakeKube } from './helpers/fake-kube.js';
import { mintK8sPki, type K8sPki } from './helpers/k8s-fixtures.js';
import { expectTargetIds } from './helpers/target-ids.js';
import { runInProcess } from './helpers/cli.js';

let pki: K8sPki;
let kube: FakeKube;
let tmp: string;
let strict: StartedReference;
let open: StartedReference;
let optional: StartedReference;
let relay: net.Server;
const NS = 'gateway-mtls';
const POD = 'gw-istio-6f9c8d7b5-q7w2e';
const ENVOY_POD = 'envoy-gateway-mtls-legacy-3f2a1b9c-7b8c9d6f5-x3v4b';

type Json = {
  results: { target: string; check: string; status: string; message: string; remediation?: string; evidence: Record<string, unknown> }[];
  targets: { id: string; name: string; endpoint: string; servername?: string; kind: string; origin?: Record<string, unknown> }[];
};

const cli = (args: string[], env: Record<string, string>) => runInProcess(args, { HOME: tmp, ...env });
const get = (j: Json, target: string, check: string) => {
  const r = j.results.find((x) => x.target === target && x.check === check);
  if (!r) throw new Error(`no result ${check} for ${target}; targets: ${[...new Set(j.results.map((x) => x.target))].join(', ')}`);
  return r;
};
const SUITES = ['--suite', 'handshake-with-cert,rejection-without-cert,san-validation'];
const GW = `gateway/${NS}/gw`;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-k8s-gw-'));
  pki = await mintK8sPki();
  // The validating listeners and the Passthrough backend require client certificates of the CA in
  // the ConfigMap gw-client-ca; the listener without validation does not ask for one.
  strict = await startReference({ implementation: 'node', profile: 'strict', pki: pki.gateway });
  open = await startReference({ implementation: 'node', profile: 'no-client-auth', pki: pki.gateway });
  // AllowInsecureFallback: asks for a certificate, serves a client without one.
  optional = await startReference({ implementation: 'node', profile: 'optional-client-cert', pki: pki.gateway });
  // Passthrough: the Gateway relays the bytes to the backend, TLS untouched.
  relay = net.createServer((s) => {
    const b = net.connect(strict.endpoint.port, strict.endpoint.host);
    s.pipe(b).pipe(s);
    s.on('error', () => b.destroy());
    b.on('error', () => s.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
  const relayPort = (relay.address() as net.AddressInfo).port;
  kube = await startFakeKube({
    pems: pki.pems,
    forwards: {
      [`${NS}/${POD}:443`]: strict.endpoint,
      [`${NS}/${POD}:8443`]: open.endpoint,
      [`${NS}/${POD}:7443`]: optional.endpoint,
      [`${NS}/${POD}:9443`]: { host: '127.0.0.1', port: relayPort },
      [`${NS}/${ENVOY_POD}:10443`]: strict.endpoint,
      [`${NS}/backend-5c7d8e9f6-r2t3y:8443`]: strict.endpoint,
    },
  });
});

afterAll(async () => {
  await kube?.stop();
  relay?.close();
  for (const r of [strict, open, optional]) await r?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('k8s scan: Gateway API listeners', () => {
  it('each TLS listener is a target tied to its Gateway; validated Terminate and Passthrough refuse a client without a certificate, the unvalidated listener fails with the fix in its terms', async () => {
    const r = await cli(['k8s', 'scan', '-n', NS, '--secret', 'gateway-client', ...SUITES, '--json', '-'], { KUBECONFIG: kube.kubeconfig });
    expect(r.code, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout) as Json;
    expectTargetIds(j);
    const live = j.targets.filter((t) => t.kind === 'live').map((t) => t.name);
    expect(live.sort()).toEqual([
      `${GW}/https`,
      `${GW}/https-fallback`,
      `${GW}/https-open`,
      `${GW}/tls-passthrough`,
      `gateway/${NS}/legacy/https`,
      `service/${NS}/backend:8443`,
    ]);
    expect(r.stderr).toMatch(/namespace gateway-mtls: 1 Service port\(s\), 5 Gateway listener\(s\), 6 through port-forward, 0 unreachable, 3 skipped/);
    // The implementations' Services are probed per listener, not as Services; the plaintext listener is skipped.
    expect(r.stderr).toMatch(/skipped service\/gateway-mtls\/gw-istio: the Service of a Gateway: its ports are probed per listener/);
    expect(r.stderr).toMatch(/skipped gateway\/gateway-mtls\/gw\/http: listener http \(80\): protocol HTTP, no TLS at the Gateway/);

    for (const t of [`${GW}/https`, `gateway/${NS}/legacy/https`, `${GW}/tls-passthrough`, `service/${NS}/backend:8443`]) {
      expect(get(j, t, 'reject.no-client-cert').status, t).toBe('pass');
      expect(get(j, t, 'handshake.accepts-valid-client-cert').status, t).toBe('pass');
      expect(get(j, t, 'san.server-matches-name').status, t).toBe('pass');
    }
    const openNoCert = get(j, `${GW}/https-open`, 'reject.no-client-cert');
    expect(openNoCert.status).toBe('fail');
    expect(openNoCert.remediation).toContain(
      `Gateway ${NS}/gw (listener https-open): add spec.tls.frontend.perPort (port 8443) tls.validation.caCertificateRefs, or spec.tls.frontend.default.validation, to Gateway ${NS}/gw`,
    );

    // Only the refusal of a client without a certificate tells the two apart from the validated listener.
    for (const t of [`${GW}/https-open`, `${GW}/https-fallback`]) {
      expect(get(j, t, 'handshake.accepts-valid-client-cert').status, t).toBe('pass');
      expect(get(j, t, 'san.server-matches-name').status, t).toBe('pass');
    }
    const fallback = get(j, `${GW}/https-fallback`, 'reject.no-client-cert');
    expect(fallback.status).toBe('fail');
    expect(fallback.remediation).toContain(
      `set mode: AllowValidOnly in spec.tls.frontend.perPort[port 7443].tls.validation of Gateway ${NS}/gw (AllowInsecureFallback accepts clients without a valid certificate)`,
    );
    // Origin: the Gateway, the listener, what it declares; the endpoint says how it was reached.
    const t = (name: string) => j.targets.find((x) => x.name === name)!;
    expect(t(`${GW}/https`).origin).toMatchObject({
      kind: 'Gateway',
      namespace: NS,
      name: 'gw',
      section: 'listener https',
      declared: {
        protocol: 'HTTPS',
        'tls.mode': 'Terminate',
        hostname: 'foo.example.com',
        'tls.certificateRefs': `secret/${NS}/example-com-cert`,
        frontendValidation: `spec.tls.frontend.default.validation: caCertificateRefs configmap/${NS}/gw-client-ca; mode AllowValidOnly`,
        routes: `httproute/${NS}/foo-route`,
        'status.addresses': '192.0.2.10',
      },
    });
    expect(t(`${GW}/https`).endpoint).toBe(`gw-istio.${NS}.svc.cluster.local:443 via port-forward to pod/${NS}/${POD}:443`);
    expect(t(`${GW}/https`).servername).toBe('foo.example.com');
    expect(t(`${GW}/https-open`).origin).toMatchObject({ declared: { 'tls.mode': 'Terminate', frontendValidation: 'none' } });
    // The v1.1–v1.3 form on the listener, a wildcard hostname (SNI: a name under it), Envoy Gateway's labels and port mapping.
    expect(t(`gateway/${NS}/legacy/https`).origin).toMatchObject({
      declared: { frontendValidation: `listener https tls.frontendValidation: caCertificateRefs configmap/${NS}/gw-client-ca; mode AllowValidOnly` },
    });
    expect(t(`gateway/${NS}/legacy/https`).servername).toBe('mtls-harness-probe.legacy.example.com');
    expect(t(`gateway/${NS}/legacy/https`).endpoint).toMatch(new RegExp(`via port-forward to pod/${NS}/${ENVOY_POD}:10443$`));
    // Passthrough: judged by the backend behind the TLSRoute, SNI from the route.
    const pt = t(`${GW}/tls-passthrough`);
    expect(pt.origin).toMatchObject({
      declared: {
        'tls.mode': 'Passthrough',
        routes: `tlsroute/${NS}/backend-route`,
        backend: expect.stringMatching(/^service\/gateway-mtls\/backend:8443 \(TLSRoute backend-route\)/),
      },
    });
    expect(pt.servername).toBe('backend.example.com');
    expect(r.stdout).not.toMatch(/PRIVATE KEY/);
    // The table, JUnit and HTML tie the findings to the Gateway and the listener, with the fix in its terms.
    const junit = path.join(tmp, 'gw.xml');
    const html = path.join(tmp, 'gw.html');
    const table = await cli(['k8s', 'scan', '-n', NS, '--secret', 'gateway-client', '--check', 'reject.no-client-cert', '--junit', junit, '--html', html], {
      KUBECONFIG: kube.kubeconfig,
    });
    expect(table.stdout).toContain(
      `${GW}/https-open ← Gateway ${NS}/gw, listener https-open (protocol=HTTPS; port=8443; tls.mode=Terminate; hostname=bar.example.com;`,
    );
    expect(table.stdout).toContain(
      `  fix: add spec.tls.frontend.perPort (port 8443) tls.validation.caCertificateRefs, or spec.tls.frontend.default.validation, to Gateway ${NS}/gw\n`,
    );
    // Passing targets need no line.
    expect(table.stdout).not.toContain(`${GW}/https ←`);
    const xml = await fs.readFile(junit, 'utf8');
    expect(xml).toContain(`<property name="origin" value="Gateway ${NS}/gw, listener https-open"/>`);
    expect(xml).toMatch(/<property name="origin\.declared" value="protocol=HTTPS; port=8443; tls\.mode=Terminate;[^"]*frontendValidation=none/);
    expect(xml).toMatch(/<testcase name="reject\.no-client-cert" classname="gateway\/gateway-mtls\/gw\/https-open\.rejection-without-cert"[^>]*>\s*<failure/);
    // Valid against the Ant JUnit schema with the origin properties (when xmllint is installed, as in CI).
    if (spawnSync('sh', ['-c', 'command -v xmllint']).status === 0) {
      const lint = spawnSync('xmllint', ['--noout', '--schema', path.resolve(import.meta.dirname, '../fixtures/junit/JUnit-testcase-output.xsd'), junit], {
        encoding: 'utf8',
      });
      expect(lint.status, lint.stderr).toBe(0);
    } else console.warn('SKIPPED the XSD validation: xmllint not installed (apt-get install libxml2-utils)');
    const page = await fs.readFile(html, 'utf8');
    expect(page).toContain(`From Gateway ${NS}/gw, listener https-open · declares protocol=HTTPS; port=8443; tls.mode=Terminate;`);
    expect(page).toContain('From Gateway gateway-mtls/gw, listener tls-passthrough · declares protocol=TLS; port=9443; tls.mode=Passthrough;');
  });

  it('the CA read from caCertificateRefs is the client CA of the crafted checks; a listener without validation has none', async () => {
    const api = await connectKube({ kubeconfig: kube.kubeconfig, env: {} });
    const read = await readNamespace(api, NS, { audit: false });
    const g = await discoverGateways(api, [read.snapshot]);
    const by = (n: string) => g.targets.find((t) => t.name === n)!;
    expect(by(`${GW}/https`).clientCaPem?.trim()).toBe(pki.gateway.root.certPem.trim());
    expect(by(`gateway/${NS}/legacy/https`).clientCaPem?.trim()).toBe(pki.gateway.root.certPem.trim());
    expect(by(`${GW}/https-open`).clientCaPem).toBeUndefined();
    expect(by(`${GW}/https-fallback`).clientCaPem?.trim()).toBe(pki.gateway.root.certPem.trim());
    expect(by(`${GW}/tls-passthrough`).clientCaPem).toBeUndefined();
    expect([...g.gatewayServices].sort()).toEqual([`${NS}/envoy-gateway-mtls-legacy-3f2a1b9c`, `${NS}/gw-istio`]);
    expect(g.forbidden).toEqual([]);
  });

  it("the crafted look-alike CA carries the name of the CA in the Gateway's caCertificateRefs, not of the trust anchors given for the server", async () => {
    // --ca: the server's trust anchors, another CA last (the one a look-alike would copy without the Gateway's CA).
    const ca = path.join(tmp, 'anchors.pem');
    await fs.writeFile(ca, pki.gateway.root.certPem + pki.gufo.root.certPem);
    const r = await cli(['k8s', 'scan', '-n', NS, '--secret', 'gateway-client', '--ca', ca, '--check', 'chain.rejects-untrusted-ca-client', '--json', '-'], {
      KUBECONFIG: kube.kubeconfig,
    });
    const j = JSON.parse(r.stdout) as Json;
    const issuerOf = (t: string) => (get(j, t, 'chain.rejects-untrusted-ca-client').evidence.presentedCertificate as { issuer: string }).issuer;
    for (const t of [`${GW}/https`, `gateway/${NS}/legacy/https`]) {
      expect(get(j, t, 'chain.rejects-untrusted-ca-client').status, t).toBe('pass');
      expect(issuerOf(t), t).toMatch(/O=gateway/);
    }
    // The Passthrough listener declares no CA: the last trust anchor given names the look-alike.
    expect(issuerOf(`${GW}/tls-passthrough`)).toMatch(/O=gufo/);
  });

  it('a status address that answers is dialled directly', async () => {
    // The legacy Gateway's address is 127.0.0.1 and its listener port the strict server's.
    const dir = path.join(tmp, 'direct');
    await fs.cp(FIXTURES_DIR, dir, { recursive: true });
    const file = path.join(dir, NS, 'gateway.yaml');
    const text = await fs.readFile(file, 'utf8');
    const legacy = text.indexOf('name: legacy');
    const port = strict.endpoint.port;
    await fs.writeFile(
      file,
      text.slice(0, legacy) +
        text.slice(legacy).replace('port: 443', `port: ${port}`) +
        `status:\n  addresses:\n    - type: IPAddress\n      value: 127.0.0.1\n`,
    );
    const direct = await startFakeKube({ pems: pki.pems, fixturesDir: dir, forwards: kube.forwards });
    try {
      const r = await cli(['k8s', 'scan', '-n', NS, '--secret', 'gateway-client', '--check', 'reject.no-client-cert', '--json', '-'], {
        KUBECONFIG: direct.kubeconfig,
      });
      const j = JSON.parse(r.stdout) as Json;
      const t = j.targets.find((x) => x.name === `gateway/${NS}/legacy/https`)!;
      expect(t.endpoint).toBe(`127.0.0.1:${port} (status.addresses of Gateway ${NS}/legacy)`);
      expect(get(j, t.name, 'reject.no-client-cert').status).toBe('pass');
      expect(direct.requests.some((q) => q.resource === 'pods/portforward' && q.name === ENVOY_POD)).toBe(false);
    } finally {
      await direct.stop();
    }
  });

  it('without the Gateway API CRDs (404) the namespace scans as before: the Gateway Services are Service targets, no k8s.rbac error', async () => {
    const bare = await startFakeKube({ pems: pki.pems, forwards: kube.forwards, notServed: ['gateways', 'httproutes', 'tlsroutes'] });
    try {
      const r = await cli(['k8s', 'scan', '-n', NS, '--secret', 'gateway-client', '--check', 'reject.no-client-cert,k8s.rbac', '--json', '-'], {
        KUBECONFIG: bare.kubeconfig,
      });
      const j = JSON.parse(r.stdout) as Json;
      expect(j.targets.some((t) => t.name.startsWith('gateway/'))).toBe(false);
      expect(get(j, `service/${NS}/gw-istio:443`, 'reject.no-client-cert').status).toBe('pass');
      expect(get(j, `service/${NS}/gw-istio:8443`, 'reject.no-client-cert').status).toBe('fail');
      expect(get(j, `rbac/${NS}`, 'k8s.rbac').status).toBe('pass');
    } finally {
      await bare.stop();
    }
  });

  it('403 on tlsroutes: a k8s.rbac error, and the Passthrough listener is an error that says its backend is unknown (no guessed verdict)', async () => {
    const denied = await startFakeKube({ pems: pki.pems, forwards: kube.forwards, forbidden: [{ verb: 'list', resource: 'tlsroutes', namespace: NS }] });
    try {
      const r = await cli(['k8s', 'scan', '-n', NS, '--secret', 'gateway-client', '--check', 'reject.no-client-cert,k8s.rbac', '--json', '-'], {
        KUBECONFIG: denied.kubeconfig,
      });
      const j = JSON.parse(r.stdout) as Json;
      expect(get(j, `rbac/${NS}/list tlsroutes`, 'k8s.rbac').status).toBe('error');
      const pt = get(j, `${GW}/tls-passthrough`, 'reject.no-client-cert');
      expect(pt.status).toBe('error');
      expect(pt.message).toMatch(/the TLSRoutes of gateway-mtls may not be listed \(k8s\.rbac\), so the backend behind it is unknown/);
      expect(get(j, `${GW}/https`, 'reject.no-client-cert').status).toBe('pass');
    } finally {
      await denied.stop();
    }
  });

  it("--in-cluster: a listener is dialled at its implementation's Service DNS name (no port-forward)", async () => {
    const sa = path.join(tmp, 'sa');
    await fs.mkdir(sa, { recursive: true });
    await fs.writeFile(path.join(sa, 'token'), kube.token);
    await fs.writeFile(path.join(sa, 'ca.crt'), kube.caPem);
    await fs.writeFile(path.join(sa, 'namespace'), NS);
    const before = kube.requests.filter((q) => q.resource === 'pods/portforward').length;
    const r = await cli(['k8s', 'scan', '--in-cluster', '--check', 'reject.no-client-cert', '--timeout', '2s', '--json', '-'], {
      KUBECONFIG: '',
      MTLS_K8S_SERVICEACCOUNT_DIR: sa,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: new URL(kube.server).port,
    });
    const j = JSON.parse(r.stdout) as Json;
    const t = j.targets.find((x) => x.name === `gateway/${NS}/legacy/https`)!;
    expect(t.endpoint).toBe(`envoy-gateway-mtls-legacy-3f2a1b9c.${NS}.svc.cluster.local:443`);
    // Outside a cluster the name does not resolve: an error that says so, never a verdict.
    expect(get(j, t.name, 'reject.no-client-cert').evidence.failure).toMatchObject({ kind: 'dns' });
    expect(kube.requests.filter((q) => q.resource === 'pods/portforward').length).toBe(before);
  });

  it('403 on gateways is a k8s.rbac error; the Services are still probed', async () => {
    const denied = await startFakeKube({ pems: pki.pems, forwards: kube.forwards, forbidden: [{ verb: 'list', resource: 'gateways', namespace: NS }] });
    try {
      const r = await cli(['k8s', 'scan', '-n', NS, '--secret', 'gateway-client', '--check', 'reject.no-client-cert,k8s.rbac', '--json', '-'], {
        KUBECONFIG: denied.kubeconfig,
      });
      expect(r.code).toBe(1);
      const j = JSON.parse(r.stdout) as Json;
      const rbac = get(j, `rbac/${NS}/list gateways`, 'k8s.rbac');
      expect(rbac.status).toBe('error');
      expect(rbac.message).toMatch(/may not list gateways\.gateway\.networking\.k8s\.io in namespace gateway-mtls/);
      expect(get(j, `service/${NS}/backend:8443`, 'reject.no-client-cert').status).toBe('pass');
    } finally {
      await denied.stop();
    }
  });
});
