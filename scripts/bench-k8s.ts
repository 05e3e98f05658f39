/// <reference path="../test/types/ws.d.ts" />
// npm run bench (k8s part, issue 20): `mtls-harness k8s scan` wall time (CLI start included) against
// the fake API server of the tests (test/helpers/fake-kube.ts: real HTTPS + JSON and the port-forward
// WebSocket), port-forwarded to real TLS servers on loopback: the recorded fixtures (gufo's https
// gateway, nova's gRPC services; the cluster audit of every namespace), then a namespace of
// BENCH_K8S_SERVICES (default 100) Services, each with its ready Pod, forwarded to node reference
// servers (one per 25 Services), scanned with the server suites and with one check.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBench, stats, timed, writeBenchJson } from './bench-util.js';
import { mintFixturePki } from '../src/pki/generate.js';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';
import { startFakeKube, type FakeKube } from '../test/helpers/fake-kube.js';
import { mintK8sPki } from '../test/helpers/k8s-fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cliJs = path.resolve(here, '../src/cli/main.js');
const RUNS = Number(process.env.BENCH_K8S_RUNS ?? 3);
const SERVICES = Number(process.env.BENCH_K8S_SERVICES ?? 100);
const PER_SERVER = 25;

/** A namespace `scale` of n Services (https 443 → the Pod's 8443), each with one ready Pod, and the client Secret. */
function scaleFixtures(dir: string, n: number): void {
  const ns = path.join(dir, 'scale');
  mkdirSync(ns, { recursive: true });
  const docs: string[] = [
    `apiVersion: v1
kind: Secret
metadata: { name: scale-client, namespace: scale }
type: kubernetes.io/tls
data:
  ca.crt: "{{scale/ca}}"
  tls.crt: "{{scale/client}}"
  tls.key: "{{scale/client-key}}"`,
  ];
  for (let i = 0; i < n; i++) {
    const name = `svc-${String(i).padStart(3, '0')}`;
    docs.push(`apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: scale }
spec:
  selector: { app: ${name} }
  ports: [{ name: https, port: 443, targetPort: https }]`);
    docs.push(`apiVersion: v1
kind: Pod
metadata: { name: ${name}-0, namespace: scale, labels: { app: ${name} } }
spec:
  containers: [{ name: c, ports: [{ name: https, containerPort: 8443 }] }]
status:
  phase: Running
  conditions: [{ type: Ready, status: "True" }]`);
  }
  writeFileSync(path.join(ns, 'objects.yaml'), docs.join('\n---\n') + '\n');
}

async function scanTimes(kube: FakeKube, out: string, args: string[]) {
  const times: number[] = [];
  let last = { code: 0, results: 0, statuses: {} as Record<string, number>, failing: [] as string[] };
  for (let k = 0; k < RUNS; k++) {
    const json = path.join(out, 'scan.json');
    const r = await timed('sh', [
      '-c',
      `KUBECONFIG=${kube.kubeconfig} HOME=${out} exec node ${cliJs} k8s scan ${args.join(' ')} --quiet --json ${json} >/dev/null 2>&1`,
    ]);
    if (r.code === 2 || r.code === -1) throw new Error(`k8s scan ${args.join(' ')} exited ${r.code}`);
    times.push(r.ms);
    const rep = JSON.parse(readFileSync(json, 'utf8')) as { results: { status: string; check: string }[] };
    const statuses: Record<string, number> = {};
    for (const x of rep.results) statuses[x.status] = (statuses[x.status] ?? 0) + 1;
    const failing = [...new Set(rep.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => x.check))].sort();
    last = { code: r.code, results: rep.results.length, statuses, failing };
  }
  return { args: args.join(' '), ...stats(times), ...last };
}

runBench(async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-k8s-'));
  const refs: StartedReference[] = [];
  const kubes: FakeKube[] = [];
  try {
    const rows = [];
    // The recorded fixtures.
    const pki = await mintK8sPki();
    const gufo = await startReference({ implementation: 'node', profile: 'strict', pki: pki.gufo });
    const nova = await startReference({ implementation: 'node-grpc', profile: 'strict', pki: pki.nova });
    refs.push(gufo, nova);
    const fixtures = await startFakeKube({
      pems: pki.pems,
      fixturesDir: path.join(root, 'fixtures/k8s'),
      forwards: {
        'gufo/gufo-gateway-7d9f6c5b8-k2x9p:8443': gufo.endpoint,
        'nova/identity-service-6c9f8d7b5-x2x7k:50051': nova.endpoint,
        'nova/user-service-7f6d5c4b3-m8n4q:50052': nova.endpoint,
      },
    });
    kubes.push(fixtures);
    for (const args of [
      ['-n', 'gufo', '--secret', 'gufo-mtls', '--ca-key-secret', 'gufo-ca-key'],
      ['-n', 'nova', '--secret', 'grpc-tls-certs'],
      ['-A', '--suite', 'k8s-audit'],
    ]) {
      const row = { scan: 'fixtures', ...(await scanTimes(fixtures, out, args)) };
      rows.push(row);
      console.log(`fixtures: k8s scan ${row.args}: median ${row.medianMs} ms (${row.results} results)`);
    }
    // n Services.
    const scalePki = await mintFixturePki({
      organization: 'scale',
      serverDnsNames: ['*.scale.svc.cluster.local', 'localhost'],
      clientCommonName: 'scale-client',
    });
    const servers = await Promise.all(
      Array.from({ length: Math.ceil(SERVICES / PER_SERVER) }, () => startReference({ implementation: 'node', profile: 'strict', pki: scalePki })),
    );
    refs.push(...servers);
    const dir = path.join(out, 'fixtures');
    scaleFixtures(dir, SERVICES);
    const forwards: Record<string, { host: string; port: number }> = {};
    for (let i = 0; i < SERVICES; i++) forwards[`scale/svc-${String(i).padStart(3, '0')}-0:8443`] = servers[Math.floor(i / PER_SERVER)]!.endpoint;
    const scale = await startFakeKube({
      fixturesDir: dir,
      pems: { 'scale/ca': scalePki.root.certPem, 'scale/client': scalePki.client.certPem, 'scale/client-key': scalePki.client.keyPem },
      forwards,
    });
    kubes.push(scale);
    for (const args of [
      ['-n', 'scale', '--secret', 'scale-client', '--check', 'reject.no-client-cert'],
      ['-n', 'scale', '--secret', 'scale-client'],
    ]) {
      const row = { scan: `${SERVICES} Services`, ...(await scanTimes(scale, out, args)) };
      rows.push(row);
      console.log(
        `${SERVICES} Services: k8s scan ${row.args}: median ${row.medianMs} ms (${row.results} results, ${JSON.stringify(row.statuses)}${row.failing.length ? `; failing: ${row.failing.join(', ')}` : ''})`,
      );
    }
    console.log(`written ${writeBenchJson('k8s', { runs: RUNS, services: SERVICES, cpus: os.cpus().length, rows })}`);
  } finally {
    for (const k of kubes) await k.stop();
    for (const r of refs) await r.stop();
    rmSync(out, { recursive: true, force: true });
  }
});
