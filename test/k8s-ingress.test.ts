// k8s scan of Ingresses served by ingress-nginx: each spec.tls host is a target probed with SNI =
// the host at the controller's Service, through port-forward (the fake API server) to a real nginx
// on loopback emulating the controller: two server blocks chosen by SNI, one `ssl_verify_client on`
// (checkout.shop.test), one `optional` (www.shop.test and legacy.shop.test) — what ingress-nginx
// renders for auth-tls-verify-client "on" and "optional". Objects: fixtures/k8s-ingress.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './helpers/cli.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { NGINX, skipUnless, startNginx, type StartedServer } from './helpers/servers.js';
import { startFakeKube, type FakeKube } from './helpers/fake-kube.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/k8s-ingress');
const CONTROLLER_POD = 'ingress-nginx/ingress-nginx-controller-5c8d66c76d-4lq2z:443';
const skip = skipUnless(NGINX, 'nginx', 'apt-get install nginx-light');

type Json = {
  results: { target: string; check: string; status: string; message: string; remediation?: string }[];
  targets: {
    name: string;
    endpoint: string;
    servername?: string;
    origin?: { kind: string; namespace: string; name: string; section?: string; declared?: Record<string, string> };
  }[];
};

let tmp: string;
let pki: FixturePki;
let nginx: StartedServer | undefined;
let kube: FakeKube;

const get = (j: Json, target: string, check: string) => {
  const r = j.results.find((x) => x.target === target && x.check === check);
  if (!r) throw new Error(`no ${check} for ${target}; targets: ${[...new Set(j.results.map((x) => x.target))].join(', ')}`);
  return r;
};

beforeAll(async () => {
  if (skip) return;
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-k8s-ingress-'));
  pki = await mintFixturePki({
    organization: 'shop',
    serverDnsNames: ['checkout.shop.test', 'www.shop.test', 'legacy.shop.test', '*.promo.shop.test'],
    serverCommonName: 'checkout.shop.test',
    clientCommonName: 'shop-scanner',
  });
  // ingress-nginx renders a server block per host: "on" for checkout, "optional" for www and legacy.
  nginx = await startNginx({
    pki,
    verify: 'on',
    servers: [
      { names: ['checkout.shop.test', '*.promo.shop.test'], verify: 'on' },
      { names: ['www.shop.test', 'legacy.shop.test'], verify: 'optional' },
    ],
  });
  kube = await startFakeKube({
    fixturesDir: FIXTURES,
    pems: { 'shop/ca': pki.root.certPem, 'shop/client': pki.client.certPem, 'shop/client-key': pki.client.keyPem },
    forwards: { [CONTROLLER_POD]: { host: nginx.host, port: nginx.port } },
  });
});

afterAll(async () => {
  await kube?.stop();
  await nginx?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

const SUITES = '--suite=handshake-with-cert,rejection-without-cert,chain-validation,san-validation';

describe.skipIf(skip)('k8s scan: Ingress hosts at the ingress-nginx controller', () => {
  it('each TLS host is a target probed with its SNI through the controller; on enforces, optional is what was declared, on-but-optional fails naming the declaration', async () => {
    const r = await runInProcess(['k8s', 'scan', '-n', 'shop', '--secret', 'shop-client', SUITES, '--json', '-'], { HOME: tmp, KUBECONFIG: kube.kubeconfig });
    expect(r.stderr).toMatch(/0 Service port\(s\), 5 Ingress host\(s\), 5 through port-forward, 0 unreachable, 2 skipped/);
    expect(r.stderr).toMatch(
      /skipped ingress\/shop\/blog: ingress class "traefik": its IngressClass names controller "traefik\.io\/ingress-controller", not ingress-nginx's \(k8s\.io\/ingress-nginx\)/,
    );
    expect(r.stderr).toMatch(/skipped ingress\/shop\/status-page: no spec.tls hosts \(served without TLS\)/);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as Json;
    const checkout = 'ingress/shop/checkout/checkout.shop.test';
    const storefront = 'ingress/shop/storefront/www.shop.test';
    const legacy = 'ingress/shop/legacy/legacy.shop.test';
    const t = j.targets.find((x) => x.name === checkout)!;
    expect(t.endpoint).toBe(
      'ingress-nginx-controller.ingress-nginx.svc.cluster.local:443 via port-forward to pod/ingress-nginx/ingress-nginx-controller-5c8d66c76d-4lq2z:443',
    );
    expect(t.servername).toBe('checkout.shop.test');
    expect(t.origin).toMatchObject({
      kind: 'Ingress',
      namespace: 'shop',
      name: 'checkout',
      section: 'host checkout.shop.test',
      declared: {
        'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on',
        'nginx.ingress.kubernetes.io/auth-tls-secret': 'shop/shop-client-ca',
        'nginx.ingress.kubernetes.io/auth-tls-verify-depth': '1',
        'nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream': 'true',
        'spec.tls[0].secretName': 'shop-tls',
        ingressClassName: 'nginx',
      },
    });
    // "on": the controller refuses a client without a certificate and serves the valid one.
    expect(get(j, checkout, 'reject.no-client-cert').status).toBe('pass');
    expect(get(j, checkout, 'handshake.accepts-valid-client-cert').status).toBe('pass');
    expect(get(j, checkout, 'san.server-matches-name').status).toBe('pass');
    // "optional", served as optional: fails (nothing is required), and says it is what was declared.
    const opt = get(j, storefront, 'reject.no-client-cert');
    expect(opt.status).toBe('fail');
    expect(opt.remediation).toMatch(/Ingress shop\/storefront \(host www\.shop\.test\): observed as declared: .*auth-tls-verify-client is "optional"/);
    expect(opt.remediation).toContain('set nginx.ingress.kubernetes.io/auth-tls-verify-client: "on" on Ingress shop/storefront');
    expect(get(j, storefront, 'handshake.accepts-valid-client-cert').status).toBe('pass');
    // Declared "on", served without a certificate: fails, naming the declaration and what to check.
    const on = get(j, legacy, 'reject.no-client-cert');
    expect(on.status).toBe('fail');
    expect(on.remediation).toMatch(
      /Ingress shop\/legacy \(host legacy\.shop\.test\): declared nginx\.ingress\.kubernetes\.io\/auth-tls-verify-client "on", yet a client without a certificate was served: Secret shop\/shop-client-ca holds a CA in ca.crt/,
    );
    // A wildcard host: probed with a name it covers; auth-tls-verify-client absent with a secret is "on".
    const promo = 'ingress/shop/promo/*.promo.shop.test';
    expect(j.targets.find((x) => x.name === promo)).toMatchObject({
      servername: 'mtls-harness-probe.promo.shop.test',
      origin: { section: 'host *.promo.shop.test', declared: { 'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on' } },
    });
    expect(get(j, promo, 'reject.no-client-cert').status).toBe('pass');
    expect(get(j, promo, 'san.server-matches-name').status).toBe('pass');
    // The blog's other class is never probed.
    expect(j.targets.some((x) => x.name.includes('blog'))).toBe(false);
    // A class other than "nginx" whose IngressClass names ingress-nginx's controller is probed there.
    const coupons = 'ingress/shop/coupons/coupons.promo.shop.test';
    expect(j.targets.find((x) => x.name === coupons)).toMatchObject({ origin: { declared: { ingressClassName: 'nginx-internal' } } });
    expect(get(j, coupons, 'reject.no-client-cert').status).toBe('pass');
    // Each IngressClass is read once per scan, "nginx" never.
    expect(
      kube.requests
        .filter((q) => q.resource === 'ingressclasses')
        .map((q) => q.name)
        .sort(),
    ).toEqual(['nginx-internal', 'traefik']);
    expect(r.stdout + r.stderr).not.toMatch(/PRIVATE KEY/);
  });

  it('no readable controller Service: a host whose Ingress publishes a status.loadBalancer address is dialled there, the others are errors saying why, the 403 a k8s.rbac finding; Ingresses not served: no Ingress target', async () => {
    // The recorded objects plus an Ingress whose status.loadBalancer is the controller on loopback.
    const dir = path.join(tmp, 'fixtures-lb');
    await fs.cp(FIXTURES, dir, { recursive: true });
    await fs.writeFile(
      path.join(dir, 'shop', 'lb.yaml'),
      [
        'apiVersion: networking.k8s.io/v1',
        'kind: Ingress',
        'metadata: { name: lb, namespace: shop, annotations: { nginx.ingress.kubernetes.io/auth-tls-secret: shop/shop-client-ca } }',
        'spec: { ingressClassName: nginx, tls: [{ hosts: [checkout.shop.test], secretName: shop-tls }] }',
        `status: { loadBalancer: { ingress: [{ ip: ${nginx!.host}, ports: [{ port: ${nginx!.port}, protocol: TCP }] }] } }`,
        '',
      ].join('\n'),
    );
    const denied = await startFakeKube({
      fixturesDir: dir,
      pems: { 'shop/ca': pki.root.certPem, 'shop/client': pki.client.certPem, 'shop/client-key': pki.client.keyPem },
      forbidden: [{ verb: 'list', resource: 'services', namespace: 'ingress-nginx' }],
    });
    try {
      const r = await runInProcess(['k8s', 'scan', '-n', 'shop', '--secret', 'shop-client', '--check', 'reject.no-client-cert,k8s.rbac', '--json', '-'], {
        HOME: tmp,
        KUBECONFIG: denied.kubeconfig,
      });
      const j = JSON.parse(r.stdout) as Json;
      const x = get(j, 'ingress/shop/checkout/checkout.shop.test', 'reject.no-client-cert');
      expect(x.status).toBe('error');
      expect(x.message).toMatch(
        /no ingress-nginx controller Service \(app\.kubernetes\.io\/name=ingress-nginx, a port named https\) in shop, ingress-nginx \(forbidden\)/,
      );
      expect(x.message).toMatch(/and ingress\/shop\/checkout publishes no status\.loadBalancer address/);
      expect(j.results.some((q) => q.check === 'k8s.rbac' && q.status === 'error' && /list services/.test(q.target))).toBe(true);
      const lb = 'ingress/shop/lb/checkout.shop.test';
      expect(j.targets.find((t) => t.name === lb)?.endpoint).toBe(`${nginx!.host}:${nginx!.port} (status.loadBalancer.ingress)`);
      expect(get(j, lb, 'reject.no-client-cert').status).toBe('pass');
    } finally {
      await denied.stop();
    }
    const bare = await startFakeKube({
      fixturesDir: FIXTURES,
      pems: { 'shop/ca': pki.root.certPem, 'shop/client': pki.client.certPem, 'shop/client-key': pki.client.keyPem },
      notServed: ['ingresses'],
    });
    try {
      const r = await runInProcess(['k8s', 'scan', '-n', 'shop', '--check', 'reject.no-client-cert', '--json', '-'], {
        HOME: tmp,
        KUBECONFIG: bare.kubeconfig,
      });
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as Json).targets.filter((t) => t.name.startsWith('ingress/'))).toEqual([]);
    } finally {
      await bare.stop();
    }
  });
});

describe.skipIf(skip)('k8s scan: an IngressClass the scan may not read', () => {
  it('a 403 on get ingressclasses is a k8s.rbac error and the Ingress of that class is skipped saying what is unknown; class nginx is still probed', async () => {
    const denied = await startFakeKube({
      fixturesDir: FIXTURES,
      pems: { 'shop/ca': pki.root.certPem, 'shop/client': pki.client.certPem, 'shop/client-key': pki.client.keyPem },
      forwards: { [CONTROLLER_POD]: { host: nginx!.host, port: nginx!.port } },
      forbidden: [{ verb: 'get', resource: 'ingressclasses' }],
    });
    try {
      const r = await runInProcess(['k8s', 'scan', '-n', 'shop', '--secret', 'shop-client', '--check', 'reject.no-client-cert,k8s.rbac', '--json', '-'], {
        HOME: tmp,
        KUBECONFIG: denied.kubeconfig,
      });
      expect(r.stderr).toMatch(
        /skipped ingress\/shop\/coupons: ingress class "nginx-internal": its IngressClass may not be read \(get ingressclasses, cluster-scoped/,
      );
      const j = JSON.parse(r.stdout) as Json;
      const rbac = j.results.filter((x) => x.check === 'k8s.rbac' && x.status === 'error');
      expect(rbac.some((x) => /ingressclasses/.test(x.message))).toBe(true);
      expect(j.targets.some((x) => x.name.includes('coupons'))).toBe(false);
      expect(get(j, 'ingress/shop/checkout/checkout.shop.test', 'reject.no-client-cert').status).toBe('pass');
    } finally {
      await denied.stop();
    }
  });
});
