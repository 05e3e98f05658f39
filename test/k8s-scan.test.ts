// k8s scan end to end against the fake API server (test/helpers/fake-kube.ts): discovery, the full
// suites through port-forward to real TLS servers (the node reference for gufo's https gateway, the
// node-grpc reference for nova's gRPC services), every k8s-audit finding on the recorded objects,
// 403s, and a missing cluster.
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';
import { expectTargetIds } from './helpers/target-ids.js';
import { startFakeKube, type FakeKube } from './helpers/fake-kube.js';
import { mintK8sPki, type K8sPki } from './helpers/k8s-fixtures.js';
import { expectedVerdicts, SERVER_CHECK_IDS } from '../suites/profile-verdicts.js';
import { SUITES } from '../suites/index.js';

let pki: K8sPki;
let kube: FakeKube;
let tmp: string;
const refs: StartedReference[] = [];

type Json = {
  results: { target: string; check: string; suite: string; status: string; message: string; evidence: Record<string, unknown> }[];
  targets: { name: string; endpoint: string; kind: string }[];
  summary: Record<string, number>;
};

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1', HOME: tmp, ...env },
  });
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

const ALLOWED_DEVIATIONS = new Set(['chain.rejects-ca-as-client:warn']);
/** The crafted profiles the reference behind a target accepts by policy (warn): its expected verdicts on strict. */
const craftedWarns = (implementation: string) =>
  Object.entries(expectedVerdicts('strict', implementation)).filter(([id, s]) => id.startsWith('crafted.') && s === 'warn');
for (const [id] of [...craftedWarns('node'), ...craftedWarns('node-grpc')]) ALLOWED_DEVIATIONS.add(`${id}:warn`);
/** Probe results that are not pass, except the deviations every reference shows (CONFORMANCE.md) and skips. */
const deviations = (j: Json, target: string) =>
  j.results
    .filter((x) => x.target === target && x.status !== 'pass' && x.status !== 'skip' && !ALLOWED_DEVIATIONS.has(`${x.check}:${x.status}`))
    .map((x) => `${x.check}: ${x.status} ${x.message}`);
const PRIVATE = /PRIVATE KEY|MII[A-Za-z0-9+/]{40}/;

describe('k8s scan through port-forward', () => {
  it('gufo: the https gateway passes the full suites through port-forward, credentials and CA key from Secrets', async () => {
    const r = await scan(['-n', 'gufo', '--secret', 'gufo-mtls', '--ca-key-secret', 'gufo-ca-key', '--json', '-']);
    expect(r.stderr).toMatch(/namespace gufo: 2 Service port\(s\), 2 through port-forward, 0 unreachable/);
    const j = JSON.parse(r.stdout) as Json;
    // The plaintext http port: a target of reject.plaintext only (the other checks skip, saying why).
    const orders = j.results.filter((x) => x.target === 'service/gufo/gufo-orders:8080' && x.check !== 'reject.plaintext');
    expect(new Set(orders.map((x) => `${x.status}: ${x.message}`))).toEqual(new Set(['skip: a plaintext port: only reject.plaintext applies']));
    // Service targets, then the objects the audit judged: every one with its own id.
    expectTargetIds(j);
    const gw = 'service/gufo/gufo-gateway:443';
    expect(deviations(j, gw)).toEqual([]);
    const probe = j.results.filter((x) => x.target === gw);
    expect(probe).toHaveLength(SERVER_CHECK_IDS.length);
    // With the CA key from the Secret, the crafted-certificate checks ran (none skipped for want of it).
    expect(
      probe
        .filter((x) => x.status === 'skip')
        .map((x) => x.check)
        .sort(),
    ).toEqual([
      'chain.client-cert-not-revoked',
      'chain.rejects-ocsp-revoked-client',
      'chain.rejects-revoked-client',
      // The root's pathLenConstraint leaves no room for its control (expectedVerdicts: skip on every profile).
      'crafted.path-length-exceeded',
      // Not a mesh port.
      'mesh.declared-matches-observed',
      'mesh.strict-refuses-plaintext',
      'rotation.ca-overlap',
      'rotation.continuity',
      'rotation.new-cert-served',
      'san.rejects-wrong-identity-client',
      'san.server-identity',
    ]);
    expect(get(j, gw, 'san.server-matches-name').message).toMatch(/gufo-gateway\.gufo\.svc\.cluster\.local/);
    expect(get(j, gw, 'handshake.accepts-valid-client-cert').evidence.rejectedAt).toBe('accepted');
    const t = j.targets.find((x) => x.name === gw)!;
    expect(t.endpoint).toBe('gufo-gateway.gufo.svc.cluster.local:443 via port-forward to pod/gufo/gufo-gateway-7d9f6c5b8-k2x9p:8443');
    expect(j.targets.some((x) => x.kind === 'kubernetes' && x.name === 'secret/gufo/gufo-mtls')).toBe(true);
    expect(r.stdout + r.stderr).not.toMatch(PRIVATE);
    // The forward was a real port-forward stream through the API server.
    expect(kube.requests.some((q) => q.verb === 'create' && q.resource === 'pods/portforward' && q.name === 'gufo-gateway-7d9f6c5b8-k2x9p')).toBe(true);
  });

  it('nova: gRPC services (annotation, and a port named grpc) pass the full suites; a Service without a ready Pod is an error; an opted-out one is not probed', async () => {
    const r = await scan([
      '-n',
      'nova',
      '--secret',
      'grpc-tls-certs',
      '--suite',
      'handshake-with-cert,rejection-without-cert,chain-validation,san-validation,expiry,rotation-continuity',
      '--json',
      '-',
    ]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as Json;
    for (const t of ['service/nova/identity-service:50051', 'service/nova/user-service:50052']) {
      expect(deviations(j, t), t).toEqual([]);
      const ok = get(j, t, 'handshake.accepts-valid-client-cert');
      expect(ok.evidence).toMatchObject({ alpn: 'h2', grpc: { codeName: 'OK' } });
      expect(get(j, t, 'san.server-matches-name').status).toBe('pass');
    }
    // The unreachable Service is a target with its id beside those the runner probed.
    expectTargetIds(j);
    const content = j.results.filter((x) => x.target === 'service/nova/content-service:50053');
    const listed = ['handshake-with-cert', 'rejection-without-cert', 'chain-validation', 'san-validation', 'expiry', 'rotation-continuity'];
    expect(content).toHaveLength(SUITES.filter((s) => listed.includes(s.id)).flatMap((s) => s.checks).length);
    expect(new Set(content.map((x) => x.status))).toEqual(new Set(['error']));
    expect(content[0]!.message).toBe('not attempted: no ready Pod behind service/nova/content-service (1 Pod(s) selected, none Running and Ready)');
    expect(j.results.some((x) => x.target.includes('nova-metrics'))).toBe(false);
    expect(r.stderr).toMatch(/skipped service\/nova\/nova-metrics: mtls-harness\/enabled: "false"/);
    // --suite without k8s-audit: no audit results.
    expect(j.results.some((x) => x.suite === 'k8s-audit')).toBe(false);
  });

  it("a forward the Pod refuses (error channel) is an error result carrying the kubelet's message; the scan goes on", async () => {
    const r = await scan(['-n', 'default', '--suite', 'handshake-with-cert', '--json', '-']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as Json;
    const res = get(j, 'service/default/dogcatcher-api-mtls:5443', 'handshake.client-auth-mode');
    expect(res.status).toBe('error');
    expect(res.message).toMatch(/^port-forward failed \(error forwarding port 5443 to pod dogcatcher-api-59d8c7f6d-tq4zn, uid : failed to connect/);
    expect(res.evidence.portForwardErrors).toBeDefined();
    // Both Services selecting the Pod were tried, and the plaintext http port of dogcatcher-api (scoped to reject.plaintext).
    expect(j.targets.map((t) => t.name).sort()).toEqual([
      'service/default/dogcatcher-api-mtls:5443',
      'service/default/dogcatcher-api:5000',
      'service/default/dogcatcher-api:5443',
    ]);
  });

  it('-l and --service narrow the probed Services; the audit still covers the namespace', async () => {
    const r = await scan([
      '-n',
      'default',
      '-l',
      'app=dogcatcher-api',
      '--service',
      'dogcatcher-api-mtls',
      '--suite',
      'rejection-without-cert,k8s-audit',
      '--json',
      '-',
    ]);
    const j = JSON.parse(r.stdout) as Json;
    expect(j.targets.filter((t) => t.kind === 'live').map((t) => t.name)).toEqual(['service/default/dogcatcher-api-mtls:5443']);
    expect(get(j, 'secret/default/dogcatcher-server-cert', 'k8s.secret-san-covers-service').status).toBe('fail');
    const none = JSON.parse((await scan(['-n', 'default', '-l', 'app=nothing', '--suite', 'rejection-without-cert', '--json', '-'])).stdout) as Json;
    expect(none.targets).toEqual([]);
  });
});

/** Every audit verdict expected on the recorded objects (fixtures/k8s): the findings, and the clean objects that must not trigger one. */
const EXPECTED_AUDIT: Record<string, Record<string, string>> = {
  'secret/gufo/gufo-mtls': {
    'k8s.secret-cert-expiry': 'pass',
    'k8s.secret-key-matches': 'pass',
    'k8s.secret-chain': 'pass',
    'k8s.secret-san-covers-service': 'pass',
  },
  'secret/gufo/gufo-ca-key': {
    'k8s.secret-cert-expiry': 'pass',
    'k8s.secret-key-matches': 'pass',
    'k8s.secret-chain': 'skip',
    'k8s.secret-san-covers-service': 'skip',
  },
  'configmap/gufo/gufo-ca': { 'k8s.configmap-private-key': 'pass' },
  'configmap/gufo/gufo-legacy-certs': { 'k8s.configmap-private-key': 'fail' },
  'pod/gufo/gufo-gateway-7d9f6c5b8-k2x9p': { 'k8s.pod-secret-mount-readonly': 'pass', 'k8s.pod-secret-default-mode': 'pass', 'k8s.pod-missing-secret': 'pass' },
  'pod/gufo/gufo-orders-5b7c9d-4hq2m': { 'k8s.pod-secret-mount-readonly': 'pass', 'k8s.pod-secret-default-mode': 'pass', 'k8s.pod-missing-secret': 'pass' },
  'pod/gufo/gufo-worker-0': { 'k8s.pod-secret-mount-readonly': 'fail', 'k8s.pod-secret-default-mode': 'warn', 'k8s.pod-missing-secret': 'pass' },
  'secret/nova/grpc-tls-certs': {
    'k8s.secret-cert-expiry': 'pass',
    'k8s.secret-key-matches': 'pass',
    'k8s.secret-chain': 'pass',
    'k8s.secret-san-covers-service': 'pass',
  },
  'secret/nova/legacy-grpc-tls': {
    'k8s.secret-cert-expiry': 'fail',
    'k8s.secret-key-matches': 'pass',
    'k8s.secret-chain': 'pass',
    'k8s.secret-san-covers-service': 'skip',
  },
  'secret/nova/search-tls': {
    'k8s.secret-cert-expiry': 'pass',
    'k8s.secret-key-matches': 'fail',
    'k8s.secret-chain': 'pass',
    'k8s.secret-san-covers-service': 'skip',
  },
  'secret/nova/events-tls': {
    'k8s.secret-cert-expiry': 'pass',
    'k8s.secret-key-matches': 'pass',
    'k8s.secret-chain': 'fail',
    'k8s.secret-san-covers-service': 'skip',
  },
  'configmap/nova/grpc-tls-env': { 'k8s.configmap-private-key': 'pass' },
  'pod/nova/identity-service-6c9f8d7b5-x2x7k': {
    'k8s.pod-secret-mount-readonly': 'pass',
    'k8s.pod-secret-default-mode': 'pass',
    'k8s.pod-missing-secret': 'pass',
  },
  'pod/nova/user-service-7f6d5c4b3-m8n4q': { 'k8s.pod-secret-mount-readonly': 'pass', 'k8s.pod-secret-default-mode': 'fail', 'k8s.pod-missing-secret': 'pass' },
  'pod/nova/content-service-84d9f7c6b-p5r7t': {
    'k8s.pod-secret-mount-readonly': 'fail',
    'k8s.pod-secret-default-mode': 'warn',
    'k8s.pod-missing-secret': 'pass',
  },
  'pod/nova/media-service-0': { 'k8s.pod-secret-mount-readonly': 'pass', 'k8s.pod-secret-default-mode': 'pass', 'k8s.pod-missing-secret': 'fail' },
  'certificate/nova/grpc-tls-cert': { 'k8s.certificate-ready': 'pass', 'k8s.certificate-renew-before': 'warn' },
  'certificate/nova/media-tls': { 'k8s.certificate-ready': 'fail', 'k8s.certificate-renew-before': 'pass' },
  'certificate/nova/events-tls': { 'k8s.certificate-ready': 'pass', 'k8s.certificate-renew-before': 'fail' },
  'secret/kong/kong-client-cert': {
    'k8s.secret-cert-expiry': 'pass',
    'k8s.secret-key-matches': 'pass',
    'k8s.secret-chain': 'pass',
    'k8s.secret-san-covers-service': 'skip',
  },
  'secret/kong/kong-upstream-mtls': {
    'k8s.secret-cert-expiry': 'pass',
    'k8s.secret-key-matches': 'pass',
    'k8s.secret-chain': 'pass',
    'k8s.secret-san-covers-service': 'skip',
  },
  'pod/kong/kong-kong-6b8d9c7f5-w2v8s': { 'k8s.pod-secret-mount-readonly': 'pass', 'k8s.pod-secret-default-mode': 'pass', 'k8s.pod-missing-secret': 'pass' },
  'secret/default/mtls-ca': {
    'k8s.secret-cert-expiry': 'pass',
    'k8s.secret-key-matches': 'skip',
    'k8s.secret-chain': 'skip',
    'k8s.secret-san-covers-service': 'skip',
  },
  'secret/default/dogcatcher-server-cert': {
    'k8s.secret-cert-expiry': 'pass',
    'k8s.secret-key-matches': 'pass',
    'k8s.secret-chain': 'pass',
    'k8s.secret-san-covers-service': 'fail',
  },
  'pod/default/dogcatcher-api-59d8c7f6d-tq4zn': {
    'k8s.pod-secret-mount-readonly': 'pass',
    'k8s.pod-secret-default-mode': 'pass',
    'k8s.pod-missing-secret': 'pass',
  },
  'rbac/gufo': { 'k8s.rbac': 'pass' },
  'rbac/nova': { 'k8s.rbac': 'pass' },
  'rbac/kong': { 'k8s.rbac': 'pass' },
  'rbac/default': { 'k8s.rbac': 'pass' },
};

describe('k8s-audit on the recorded objects', () => {
  it('reaches exactly the expected verdict on every object (findings on the broken ones, none on the clean ones), and probes nothing', async () => {
    const forwardsBefore = kube.requests.filter((q) => q.resource === 'pods/portforward').length;
    const r = await scan(['-n', 'gufo', '-n', 'nova', '-n', 'kong', '-n', 'default', '--suite', 'k8s-audit', '--json', '-']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as Json;
    const got: Record<string, Record<string, string>> = {};
    for (const x of j.results) (got[x.target] ??= {})[x.check] = x.status;
    expect(got).toEqual(EXPECTED_AUDIT);
    expect(j.results.every((x) => x.suite === 'k8s-audit')).toBe(true);
    // The API objects gufo-api-keys / dogcatcher-api-keys hold no certificate: not audited as cert Secrets.
    expect(Object.keys(got).some((t) => t.endsWith('-api-keys'))).toBe(false);
    // Messages say what is wrong in plain words; no key material anywhere.
    expect(get(j, 'secret/default/dogcatcher-server-cert', 'k8s.secret-san-covers-service').message).toMatch(
      /tls\.crt does not cover dogcatcher-api-mtls\.default\.svc\.cluster\.local/,
    );
    expect(get(j, 'configmap/gufo/gufo-legacy-certs', 'k8s.configmap-private-key').message).toMatch(/private key\(s\) in ConfigMap data client-key\.pem/);
    expect(get(j, 'secret/nova/search-tls', 'k8s.secret-key-matches').message).toBe('tls.key is not the private key of tls.crt');
    expect(get(j, 'secret/nova/legacy-grpc-tls', 'k8s.secret-cert-expiry').message).toMatch(
      /^tls\.crt: the certificate \(CN=\*\.nova\.svc\.cluster\.local, O=nova\) expired on /,
    );
    expect(get(j, 'certificate/nova/media-tls', 'k8s.certificate-ready').message).toMatch(/not Ready \(False, DoesNotExist/);
    expect(get(j, 'pod/nova/media-service-0', 'k8s.pod-missing-secret').message).toMatch(/do not exist: media-tls/);
    expect(r.stdout + r.stderr).not.toMatch(PRIVATE);
    // An audit-only scan opens no port-forward.
    expect(kube.requests.filter((q) => q.resource === 'pods/portforward')).toHaveLength(forwardsBefore);
  });

  it('--warn-days moves the renewBefore verdict (policy flags reach the audit)', async () => {
    const r = await scan(['-n', 'nova', '--check', 'k8s.certificate-renew-before', '--warn-days', '14', '--json', '-']);
    const j = JSON.parse(r.stdout) as Json;
    expect(get(j, 'certificate/nova/grpc-tls-cert', 'k8s.certificate-renew-before').status).toBe('pass');
    expect(j.results.every((x) => x.check === 'k8s.certificate-renew-before')).toBe(true);
  });
});

describe('the acceptance command', () => {
  it('k8s scan -n nova --secret grpc-tls-certs --junit r.xml --html r.html: the expected findings in both reports', async () => {
    const dir = await fs.mkdtemp(path.join(tmp, 'done-'));
    const junit = path.join(dir, 'r.xml');
    const html = path.join(dir, 'r.html');
    const r = await scan(['-n', 'nova', '--secret', 'grpc-tls-certs', '--junit', junit, '--html', html]);
    expect(r.code, r.stderr).toBe(1);
    const xml = await fs.readFile(junit, 'utf8');
    const page = await fs.readFile(html, 'utf8');
    for (const finding of [
      'secret/nova/legacy-grpc-tls',
      'secret/nova/search-tls',
      'secret/nova/events-tls',
      'pod/nova/user-service-7f6d5c4b3-m8n4q',
      'pod/nova/content-service-84d9f7c6b-p5r7t',
      'pod/nova/media-service-0',
      'certificate/nova/media-tls',
      'certificate/nova/events-tls',
      'service/nova/identity-service:50051',
      'service/nova/content-service:50053',
    ]) {
      expect(xml, finding).toContain(finding);
      expect(page, finding).toContain(finding);
    }
    // JUnit: one failure per failed audit check, errors for the unreachable content-service.
    const failures = [...xml.matchAll(/<testcase name="(k8s\.[a-z-]+)"[^>]*classname="([^"]+)"[^>]*>\s*<failure/g)].map((m) => `${m[2]} ${m[1]}`);
    expect(failures.length).toBeGreaterThanOrEqual(7);
    expect(r.stdout).toMatch(/k8s\.secret-key-matches/);
    expect(xml + page + r.stdout + r.stderr).not.toMatch(PRIVATE);
    // Valid against the Ant JUnit schema, as run's reports (when xmllint is installed).
    if (spawnSync('sh', ['-c', 'command -v xmllint']).status === 0) {
      const lint = spawnSync('xmllint', ['--noout', '--schema', path.resolve(import.meta.dirname, '../fixtures/junit/JUnit-testcase-output.xsd'), junit], {
        encoding: 'utf8',
      });
      expect(lint.status, lint.stderr).toBe(0);
    } else console.warn('SKIPPED the XSD validation: xmllint not installed (apt-get install libxml2-utils)');
    // The command is evidence, with the Secret's name (a name, not a secret).
    expect(page).toContain('k8s scan -n nova --secret grpc-tls-certs --junit');
  });
});

describe('access problems', () => {
  it('403s are k8s.rbac errors naming verb and resource; the scan goes on with what it may read (exit 1, not 2)', async () => {
    const denied = await startFakeKube({
      pems: pki.pems,
      forbidden: [
        { verb: 'list', resource: 'secrets', namespace: 'nova' },
        { verb: 'list', resource: 'certificates', namespace: 'nova' },
        { verb: 'create', resource: 'pods/portforward', namespace: 'gufo' },
      ],
      forwards: kube.forwards,
    });
    try {
      const r = await cli(['k8s', 'scan', '-n', 'nova', '-n', 'gufo', '--secret', 'nova/grpc-tls-certs', '--json', '-'], { KUBECONFIG: denied.kubeconfig });
      expect(r.code, r.stderr).toBe(1);
      const j = JSON.parse(r.stdout) as Json;
      const secrets = get(j, 'rbac/nova/list secrets', 'k8s.rbac');
      expect(secrets.status).toBe('error');
      expect(secrets.message).toMatch(/^forbidden: the scan may not list secrets in namespace nova/);
      expect(secrets.message).toContain('cannot list resource "secrets" in API group "" in the namespace "nova"');
      expect(secrets.evidence).toMatchObject({ verb: 'list', resource: 'secrets', apiGroup: '', status: 403 });
      expect(get(j, 'rbac/nova/list certificates', 'k8s.rbac').message).toMatch(/may not list certificates\.cert-manager\.io/);
      const pf = get(j, 'rbac/gufo/create pods/portforward', 'k8s.rbac');
      expect(pf.status).toBe('error');
      expect(get(j, 'service/gufo/gufo-gateway:443', 'reject.no-client-cert').message).toMatch(
        /port-forward is forbidden in namespace gufo \(create pods\/portforward/,
      );
      // What could be read was audited and probed: nova's Pods, the gRPC services through port-forward
      // (get secrets is allowed, so --secret worked); nothing about nova's Secrets or Certificates.
      expect(get(j, 'pod/nova/media-service-0', 'k8s.pod-missing-secret').status).toBe('skip');
      expect(get(j, 'pod/nova/user-service-7f6d5c4b3-m8n4q', 'k8s.pod-secret-default-mode').status).toBe('fail');
      expect(j.results.some((x) => x.target.startsWith('secret/nova/') || x.target.startsWith('certificate/nova/'))).toBe(false);
      expect(get(j, 'service/nova/identity-service:50051', 'handshake.accepts-valid-client-cert').status).toBe('pass');
      expect(get(j, 'secret/gufo/gufo-mtls', 'k8s.secret-key-matches').status).toBe('pass');
    } finally {
      await denied.stop();
    }
  });

  it('no cluster configured: exit 2 with one clear line', async () => {
    const r = await cli(['k8s', 'scan', '-n', 'nova'], { KUBECONFIG: '' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^mtls-harness: error: no Kubernetes cluster configured: no --kubeconfig, KUBECONFIG is not set, .*\.kube\/config does not exist and this is not a Pod with a service account$/m,
    );
  });

  it('an unreachable API server: exit 2 naming the server and the reason', async () => {
    const cfg = (await fs.readFile(kube.kubeconfig, 'utf8')).replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:9');
    const file = path.join(tmp, 'unreachable.kubeconfig');
    await fs.writeFile(file, cfg);
    const r = await cli(['k8s', 'scan', '--kubeconfig', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^mtls-harness: error: cannot reach the Kubernetes API server https:\/\/127\.0\.0\.1:9 \(context "fake", from --kubeconfig .*\): ECONNREFUSED$/m,
    );
  });

  it('rejected credentials (401) are exit 2; an unknown --context lists the contexts', async () => {
    const cfg = (await fs.readFile(kube.kubeconfig, 'utf8')).replace(/token: .*/, 'token: wrong');
    const file = path.join(tmp, 'badtoken.kubeconfig');
    await fs.writeFile(file, cfg);
    const r = await cli(['k8s', 'scan', '--kubeconfig', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refused the credentials of context "fake" \(401 Unauthorized\)/);
    const c = await scan(['--context', 'prod']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/no context "prod" in KUBECONFIG .*; contexts: fake/);
  });

  it('a --secret that may not be read (get secrets forbidden) is a k8s.rbac error; the probes run without client credentials', async () => {
    const denied = await startFakeKube({ pems: pki.pems, forbidden: [{ verb: 'get', resource: 'secrets', namespace: 'nova' }], forwards: kube.forwards });
    try {
      const r = await cli(['k8s', 'scan', '-n', 'nova', '--secret', 'grpc-tls-certs', '--suite', 'handshake-with-cert,k8s-audit', '--json', '-'], {
        KUBECONFIG: denied.kubeconfig,
      });
      expect(r.code).toBe(1);
      const j = JSON.parse(r.stdout) as Json;
      expect(get(j, 'rbac/nova/get secrets', 'k8s.rbac').message).toMatch(/may not get secrets in namespace nova/);
      expect(get(j, 'service/nova/identity-service:50051', 'handshake.accepts-valid-client-cert').status).toBe('skip');
    } finally {
      await denied.stop();
    }
  });

  it('a --secret that does not exist is exit 2; one without a client pair says which keys it has', async () => {
    const missing = await scan(['-n', 'nova', '--secret', 'no-such-secret']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--secret: Secret nova\/no-such-secret does not exist/);
    const noPair = await scan(['-n', 'default', '--secret', 'mtls-ca']);
    expect(noPair.code).toBe(2);
    expect(noPair.stderr).toMatch(/no client certificate with its matching private key among the data keys ca\.crt/);
  });
});

describe('in-cluster', () => {
  it('--in-cluster: API access from the service account files, Services dialled by their DNS name (no port-forward)', async () => {
    const sa = path.join(tmp, 'sa');
    await fs.mkdir(sa, { recursive: true });
    await fs.writeFile(path.join(sa, 'token'), kube.token);
    await fs.writeFile(path.join(sa, 'ca.crt'), kube.caPem);
    await fs.writeFile(path.join(sa, 'namespace'), 'nova');
    const before = kube.requests.filter((q) => q.resource === 'pods/portforward').length;
    const port = new URL(kube.server).port;
    const r = await cli(['k8s', 'scan', '--in-cluster', '--check', 'reject.no-client-cert', '--timeout', '2s', '--json', '-'], {
      KUBECONFIG: '',
      MTLS_K8S_SERVICEACCOUNT_DIR: sa,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: port,
    });
    const j = JSON.parse(r.stdout) as Json;
    const t = j.targets.find((x) => x.name === 'service/nova/identity-service:50051')!;
    expect(t.endpoint).toBe('identity-service.nova.svc.cluster.local:50051');
    // Outside a cluster the name does not resolve: a classified error, not a crash.
    const res = get(j, t.name, 'reject.no-client-cert');
    expect(res.status).toBe('error');
    expect(res.evidence.failure).toMatchObject({ kind: 'dns' });
    expect(kube.requests.filter((q) => q.resource === 'pods/portforward').length).toBe(before);
    expect(r.stderr).toMatch(/context in-cluster .*namespace nova: .*dialled directly/);
  });
});

describe('in-cluster: a hostile service account namespace file', () => {
  it.each([
    ['a FIFO (never opened, so never blocks)', 'fifo', /service account namespace file .*namespace is not a regular file \(a FIFO\)/],
    ['5 MB of text', 'big', /service account namespace file .*namespace is 5 MB: too large \(at most 4 KB\)/],
    [
      'not a namespace name (escape sequences, a second line)',
      'bad',
      /the service account namespace file .*namespace does not hold a namespace name \("nova.*x"\)/,
    ],
  ])('%s: exit 2, one line, nothing listed', async (_what, kind, message) => {
    const sa = path.join(tmp, `sa-${kind}`);
    await fs.mkdir(sa, { recursive: true });
    await fs.writeFile(path.join(sa, 'token'), kube.token);
    await fs.writeFile(path.join(sa, 'ca.crt'), kube.caPem);
    const ns = path.join(sa, 'namespace');
    if (kind === 'fifo') spawnSync('mkfifo', [ns]);
    else await fs.writeFile(ns, kind === 'big' ? 'a'.repeat(5 * 1024 * 1024) : 'nova\x1b[31m\nx');
    const before = kube.requests.length;
    const port = new URL(kube.server).port;
    const r = await cli(['k8s', 'scan', '--in-cluster', '--json', '-'], {
      KUBECONFIG: '',
      MTLS_K8S_SERVICEACCOUNT_DIR: sa,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: port,
    });
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\x1b/);
    expect(r.stdout).toBe('');
    expect(kube.requests.length).toBe(before);
  });
});

describe('the command', () => {
  it('--all-namespaces scans every namespace the API lists; a 403 on listing them is a k8s.rbac error', async () => {
    const r = await scan(['-A', '--suite', 'k8s-audit', '--json', '-']);
    const j = JSON.parse(r.stdout) as Json;
    expect([...new Set(j.results.filter((x) => x.target.startsWith('rbac/')).map((x) => x.target))].sort()).toEqual([
      'rbac/default',
      'rbac/gateway-mtls',
      'rbac/gufo',
      'rbac/kong',
      'rbac/nova',
    ]);
    const denied = await startFakeKube({ pems: pki.pems, forbidden: [{ verb: 'list', resource: 'namespaces' }] });
    try {
      const d = await cli(['k8s', 'scan', '-A', '--json', '-'], { KUBECONFIG: denied.kubeconfig });
      expect(d.code).toBe(1);
      const dj = JSON.parse(d.stdout) as Json;
      expect(get(dj, 'rbac/cluster/list namespaces', 'k8s.rbac').message).toMatch(/may not list namespaces \(cluster scope\)/);
    } finally {
      await denied.stop();
    }
  });

  it('Ctrl-C: the reports are written with what finished (incomplete, exit 130) and every port-forward listener is closed', async () => {
    let onInt: (() => void | Promise<void>) | undefined;
    let stdout = '';
    const io = {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
      env: { NO_COLOR: '1', HOME: tmp, KUBECONFIG: kube.kubeconfig },
      onInterrupt: (fn: () => void | Promise<void>) => ((onInt = fn), () => (onInt = undefined)),
    };
    const running = runCli(
      ['k8s', 'scan', '-n', 'gufo', '--secret', 'gufo-mtls', '--ca-key-secret', 'gufo-ca-key', '--rotation-watch', '30s', '--json', '-'],
      io,
    );
    // Wait until the scan is probing (the rotation watch keeps it busy), then interrupt.
    for (let i = 0; i < 100 && !kube.requests.some((q) => q.resource === 'pods/portforward' && q.name === 'gufo-gateway-7d9f6c5b8-k2x9p'); i++)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1500));
    const cleanup = onInt!();
    const code = await running;
    await cleanup;
    expect(code).toBe(130);
    const j = JSON.parse(stdout) as Json & { run: { incomplete?: unknown } };
    expect(j.run.incomplete).toBeDefined();
    const ep = j.targets.find((t) => t.name === 'service/gufo/gufo-gateway:443')!.endpoint;
    expect(ep).toMatch(/via port-forward/);
    // Every port-forward stream was closed by the teardown.
    for (let i = 0; i < 40 && kube.openStreams() > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(kube.openStreams()).toBe(0);
    // The audit is in the report too.
    expect(get(j, 'secret/gufo/gufo-mtls', 'k8s.secret-key-matches').status).toBe('pass');
  });

  it('help, --list-checks with k8s-audit, an unknown subcommand, conflicting flags', async () => {
    const h = await cli(['k8s', 'scan', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--secret \[NS\/\]NAME/);
    const l = await cli(['k8s', 'scan', '--list-checks']);
    expect(l.stdout).toMatch(/^k8s-audit — /m);
    expect(l.stdout).toMatch(/k8s\.pod-secret-default-mode/);
    // Every command lists the one catalogue (suites/index.ts), grouped by kind with the commands that run it.
    const run = await cli(['run', '--list-checks']);
    expect(run.stdout).toBe(l.stdout);
    expect(run.stdout).toMatch(/^cluster checks: .*\(mtls-harness k8s scan\)$/m);
    expect((await cli(['k8s', 'frob'])).code).toBe(2);
    const both = await scan(['-n', 'nova', '--secret', 'x', '--cert', 'c.pem', '--key', 'k.pem']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--secret and --cert\/--key exclude each other/);
    expect((await scan(['--check', 'k8s.nope'])).stderr).toMatch(/unknown check "k8s\.nope"/);
  });

  it('--quiet: no status note or progress line, only warn/fail/error rows, the same report (docs/options.md)', async () => {
    const tty = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['k8s', 'scan', '-n', 'gufo', '--secret', 'gufo-mtls', '--suite', 'handshake-with-cert,k8s-audit', ...args], {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s), isTTY: true },
        env: { NO_COLOR: '1', HOME: tmp, KUBECONFIG: kube.kubeconfig },
      });
      return { code, stdout, stderr };
    };
    const statuses = (t: string) => [...t.matchAll(/│ (PASS|WARN|FAIL|SKIP|ERROR) +│/g)].map((m) => m[1]);
    const loud = await tty(['--json', path.join(tmp, 'loud.json')]);
    const quiet = await tty(['--json', path.join(tmp, 'quiet.json'), '--quiet']);
    expect(loud.stderr).toMatch(/namespace gufo: 2 Service port\(s\)/);
    expect(loud.stderr).toMatch(/mtls-harness: \d+\/\d+ targets/);
    expect(quiet.stderr).toBe('');
    expect(statuses(loud.stdout)).toContain('PASS');
    expect(statuses(quiet.stdout)).toEqual(statuses(loud.stdout).filter((x) => x === 'WARN' || x === 'FAIL' || x === 'ERROR'));
    expect(quiet.code).toBe(loud.code);
    const checks = async (n: string) =>
      (JSON.parse(await fs.readFile(path.join(tmp, n), 'utf8')) as Json).results.map((x) => `${x.target} ${x.check} ${x.status}`);
    expect(await checks('quiet.json')).toEqual(await checks('loud.json'));
  });

  // Where @kubernetes/client-node may be imported, and only lazily: test/fences.test.ts (LAZY_PACKAGES).
});
