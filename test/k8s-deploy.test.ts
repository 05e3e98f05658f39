// deploy/ validated offline: every manifest is loaded with client-node's loadAllYaml and walked
// against client-node's generated models (the Kubernetes OpenAPI schema as code): an unknown field
// anywhere is an error (as kubectl --validate=strict), required fields must be present, and the
// Role's rules are exactly the documented minimal set — and cover every request a scan makes.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { RESOURCES } from '../src/targets/k8s/api.js';
import { startFakeKube, type FakeKube } from './helpers/fake-kube.js';
import { mintK8sPki } from './helpers/k8s-fixtures.js';
import { at, validate } from './helpers/k8s-models.js';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';

const DEPLOY = path.resolve(import.meta.dirname, '../deploy');
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

/** kind → (apiVersion, model class). */
const KINDS: Record<string, [string, string]> = {
  Namespace: ['v1', 'V1Namespace'],
  ServiceAccount: ['v1', 'V1ServiceAccount'],
  PersistentVolumeClaim: ['v1', 'V1PersistentVolumeClaim'],
  Role: ['rbac.authorization.k8s.io/v1', 'V1Role'],
  RoleBinding: ['rbac.authorization.k8s.io/v1', 'V1RoleBinding'],
  ClusterRole: ['rbac.authorization.k8s.io/v1', 'V1ClusterRole'],
  ClusterRoleBinding: ['rbac.authorization.k8s.io/v1', 'V1ClusterRoleBinding'],
  Job: ['batch/v1', 'V1Job'],
  CronJob: ['batch/v1', 'V1CronJob'],
};

/** Fields the OpenAPI schema marks required (for the kinds shipped), as paths with [] for arrays. */
const REQUIRED: Record<string, string[]> = {
  '*': ['metadata.name'],
  Role: ['rules[].verbs'],
  RoleBinding: ['roleRef.apiGroup', 'roleRef.kind', 'roleRef.name', 'subjects[].kind', 'subjects[].name'],
  ClusterRole: ['rules[].verbs'],
  ClusterRoleBinding: ['roleRef.apiGroup', 'roleRef.kind', 'roleRef.name', 'subjects[].kind', 'subjects[].name'],
  PersistentVolumeClaim: ['spec.accessModes', 'spec.resources.requests.storage'],
  Job: [
    'spec.template.spec.containers[].name',
    'spec.template.spec.containers[].image',
    'spec.template.spec.restartPolicy',
    'spec.template.spec.containers[].volumeMounts[].name',
    'spec.template.spec.containers[].volumeMounts[].mountPath',
    'spec.template.spec.volumes[].name',
  ],
  CronJob: [
    'spec.schedule',
    'spec.jobTemplate.spec.template.spec.containers[].name',
    'spec.jobTemplate.spec.template.spec.containers[].image',
    'spec.jobTemplate.spec.template.spec.restartPolicy',
    'spec.jobTemplate.spec.template.spec.volumes[].name',
  ],
};

function loadDeploy(): Obj[] {
  return readdirSync(DEPLOY)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => (k8s.loadAllYaml(readFileSync(path.join(DEPLOY, f), 'utf8')) as Obj[]).map((o) => Object.assign(o, { __file: f })));
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/**
 * The documented minimal rules (docs/k8s.md "RBAC"), derived from what the scan reads (RESOURCES in
 * src/targets/k8s/api.ts): get and list of every namespaced resource, grouped by API group in
 * RESOURCES' order; read-only; port-forward only for scans from outside.
 */
const ROLE_RULES: Rule[] = (() => {
  const byGroup = new Map<string, string[]>();
  for (const [name, r] of Object.entries(RESOURCES)) {
    if (name === 'namespaces' || 'cluster' in r) continue;
    byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), name]);
  }
  return [...byGroup].map(([g, resources]) => ({ apiGroups: [g], resources, verbs: ['get', 'list'] }));
})();
/** The cluster-scoped reads a Role cannot grant (deploy/cluster-reads.yaml): an IngressClass, a namespace. */
const CLUSTER_READS: Rule[] = [
  { apiGroups: ['networking.k8s.io'], resources: ['ingressclasses'], verbs: ['get'] },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
];
/** `-A`: the same cluster-wide, plus get of IngressClasses and get and list of namespaces. */
const CLUSTER_RULES: Rule[] = [...ROLE_RULES, CLUSTER_READS[0]!, { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] }];
const PORT_FORWARD_RULE = { apiGroups: [''], resources: ['pods/portforward'], verbs: ['get', 'create'] };

const groupOf = (resource: string) => (resource in RESOURCES ? RESOURCES[resource as keyof typeof RESOURCES].group : '');
const allowed = (rules: Rule[], q: { verb: string; resource: string }) =>
  rules.some((r) => r.resources.includes(q.resource) && r.verbs.includes(q.verb) && r.apiGroups.includes(groupOf(q.resource)));

describe('deploy/ manifests', () => {
  const objs = loadDeploy();

  it('every object has a known kind and apiVersion, no unknown field anywhere, and the required fields', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRole',
      'ClusterRoleBinding',
      'ClusterRoleBinding',
      'CronJob',
      'Job',
      'Job',
      'Namespace',
      'PersistentVolumeClaim',
      'Role',
      'Role',
      'RoleBinding',
      'RoleBinding',
      'ServiceAccount',
    ]);
    for (const o of objs) {
      const { __file, ...obj } = o as Obj & { __file: string };
      const known = KINDS[obj.kind];
      expect(known, `${__file}: kind ${obj.kind}`).toBeDefined();
      expect(obj.apiVersion, `${__file}: apiVersion of ${obj.kind}`).toBe(known![0]);
      expect(validate(obj, known![1], `${__file}:${obj.kind}`)).toEqual([]);
      for (const p of [...REQUIRED['*']!, ...(REQUIRED[obj.kind] ?? [])]) {
        const vals = at(obj, p);
        expect(vals.length > 0 && vals.every((v) => v !== undefined && v !== ''), `${__file}: ${obj.kind} needs ${p}`).toBe(true);
      }
    }
  });

  it('the validator catches what kubectl --validate=strict would (a typo, a wrong type)', () => {
    expect(
      validate(
        {
          metadata: { name: 'x' },
          spec: { template: { spec: { containers: [{ name: 'c', image: 'i', volumeMounts: [{ name: 'v', mountPath: '/m', readonly: true }] }] } } },
        },
        'V1Job',
        'job',
      ),
    ).toEqual(['job.spec.template.spec.containers[0].volumeMounts[0].readonly: unknown field (not in V1VolumeMount)']);
    expect(validate({ spec: { backoffLimit: '0' } }, 'V1Job', 'job')).toEqual(['job.spec.backoffLimit: expected a number, got "0"']);
  });

  it('the Role grants exactly the documented read-only rules; the RoleBinding binds it to the ServiceAccount the Jobs run as', () => {
    const role = objs.find((o) => o.kind === 'Role' && o.metadata.namespace === 'nova')!;
    expect(role.rules).toEqual(ROLE_RULES);
    const sa = objs.find((o) => o.kind === 'ServiceAccount')!;
    const rb = objs.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'nova')!;
    expect(rb.metadata.namespace).toBe(role.metadata.namespace);
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
    const doc = readFileSync(path.resolve(DEPLOY, '../docs/k8s.md'), 'utf8');
    expect(doc).toContain('resources: [pods/portforward]');
  });

  it('the ClusterRole (-A) grants the same reads cluster-wide plus get and list namespaces, bound to the same ServiceAccount', () => {
    const cr = objs.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'mtls-harness-scan-all')!;
    expect(cr.metadata.namespace).toBeUndefined();
    expect(cr.rules).toEqual(CLUSTER_RULES);
    const sa = objs.find((o) => o.kind === 'ServiceAccount')!;
    const crb = objs.find((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'mtls-harness-scan-all')!;
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: cr.metadata.name });
    expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
  });

  it('cluster-reads.yaml grants exactly the two cluster-scoped gets a Role cannot (IngressClass, namespace), nothing secret, to the same ServiceAccount', () => {
    const cr = objs.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'mtls-harness-cluster-reads')!;
    expect(cr.rules).toEqual(CLUSTER_READS);
    const sa = objs.find((o) => o.kind === 'ServiceAccount')!;
    const crb = objs.find((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'mtls-harness-cluster-reads')!;
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: cr.metadata.name });
    expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
  });

  it('the Job and the CronJob run k8s scan --in-cluster as the ServiceAccount, non-root on a read-only root, reports on the volume', async () => {
    const sa = objs.find((o) => o.kind === 'ServiceAccount')!;
    const pvc = objs.find((o) => o.kind === 'PersistentVolumeClaim')!;
    const job = objs.find((o) => o.kind === 'Job' && o.metadata.name === 'mtls-harness-scan')!;
    const cron = objs.find((o) => o.kind === 'CronJob')!;
    for (const spec of [at(job, 'spec.template.spec')[0], at(cron, 'spec.jobTemplate.spec.template.spec')[0]] as Record<string, any>[]) {
      expect(spec.serviceAccountName).toBe(sa.metadata.name);
      expect(spec.restartPolicy).toBe('Never');
      expect(spec.securityContext.runAsNonRoot).toBe(true);
      const c = spec.containers[0];
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/reports')).toBeDefined();
      expect(
        spec.volumes.find((v: { persistentVolumeClaim?: { claimName: string } }) => v.persistentVolumeClaim?.claimName === pvc.metadata.name),
      ).toBeDefined();
    }
    // The Job's arguments are a valid command line (they parse; --list-checks stops before any cluster access).
    const args = (at(job, 'spec.template.spec.containers')[0] as { args: string[] }[])[0]!.args;
    expect(args.slice(0, 3)).toEqual(['k8s', 'scan', '--in-cluster']);
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
    expect(await runCli([...args, '--list-checks'], io)).toBe(0);
    const cronScript = (at(cron, 'spec.jobTemplate.spec.template.spec.containers')[0] as { args: string[] }[])[0]!.args[0]!;
    expect(cronScript).toMatch(
      /exec mtls-harness k8s scan --in-cluster --namespace nova --secret grpc-tls-certs --json \/reports\/\$d\.json --junit \/reports\/\$d\.xml --html \/reports\/\$d\.html/,
    );
  });

  it("the Gateway scan (gateway-job.yaml): the same Job in the Gateway's namespace, with the same Role and RoleBinding there", async () => {
    const job = objs.find((o) => o.kind === 'Job' && o.metadata.name === 'mtls-harness-gateway-scan')!;
    const base = objs.find((o) => o.kind === 'Job' && o.metadata.name === 'mtls-harness-scan')!;
    expect((job as Obj & { __file: string }).__file).toBe('gateway-job.yaml');
    const spec = at(job, 'spec.template.spec')[0] as Record<string, any>;
    const baseSpec = at(base, 'spec.template.spec')[0] as Record<string, any>;
    // Everything but the arguments is the reviewed Job's: account, security context, volumes.
    expect({ ...spec, containers: spec.containers.map((c: Record<string, unknown>) => ({ ...c, args: [] })) }).toEqual({
      ...baseSpec,
      containers: baseSpec.containers.map((c: Record<string, unknown>) => ({ ...c, args: [] })),
    });
    const args = spec.containers[0].args as string[];
    expect(args.slice(0, 5)).toEqual(['k8s', 'scan', '--in-cluster', '--namespace', 'gateway-mtls']);
    const role = objs.find((o) => o.kind === 'Role' && o.metadata.namespace === 'gateway-mtls')!;
    expect(role.rules).toEqual(ROLE_RULES);
    const rb = objs.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'gateway-mtls')!;
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
    expect(await runCli([...args, '--list-checks'], io)).toBe(0);
  });

  it('the Dockerfile builds on node:20-slim, installs production dependencies only (and the Kubernetes client), and runs the scan in-cluster by default', () => {
    const df = readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');
    // (issue 21: the base is a build argument, node:20-slim unless a mirror is named)
    expect(df).toMatch(/^ARG NODE_IMAGE=node:20-slim$/m);
    expect(df.match(/^FROM \$\{NODE_IMAGE\}/gm)).toHaveLength(2);
    // Production dependencies only (devDependencies deleted, --omit=dev), plus the Kubernetes client
    // (and playwright-core, issue 21), optional peer dependencies the image needs, at the versions package.json names.
    expect(df).toMatch(/^RUN npm pkg delete devDependencies/m);
    expect(df).toMatch(/for p in @kubernetes\/client-node playwright-core; do/);
    expect(df).toMatch(/npm pkg set "dependencies\.\$p=\$\(node -p "require\('\.\/package\.json'\)\.peerDependencies\['\$p'\]"\)"/);
    expect(df).toMatch(/npm install --omit=dev /);
    expect(df).toMatch(/^USER 10001:10001$/m);
    expect(df).toMatch(/^ENTRYPOINT \["mtls-harness"\]$/m);
    expect(df).toMatch(/^CMD \["k8s", "scan", "--in-cluster"\]$/m);
  });
});

describe('the documented RBAC covers what a scan does', () => {
  let kube: FakeKube;
  let sa: string;
  beforeAll(async () => {
    const pki = await mintK8sPki();
    kube = await startFakeKube({ pems: pki.pems });
    sa = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-sa-'));
    await fs.writeFile(path.join(sa, 'token'), kube.token);
    await fs.writeFile(path.join(sa, 'ca.crt'), kube.caPem);
  });
  afterAll(async () => {
    await kube?.stop();
    if (sa) await fs.rm(sa, { recursive: true, force: true });
  });

  it('in-cluster (the Job): every request is allowed by deploy/role.yaml; from outside: by it plus the port-forward rule', async () => {
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    const port = new URL(kube.server).port;
    await runCli(['k8s', 'scan', '--in-cluster', '-n', 'nova', '--secret', 'grpc-tls-certs', '--suite', 'k8s-audit'], {
      ...io,
      env: { MTLS_K8S_SERVICEACCOUNT_DIR: sa, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
    });
    expect(kube.requests.length).toBeGreaterThan(5);
    expect(kube.requests.filter((q) => !allowed(ROLE_RULES, q))).toEqual([]);
    kube.requests.length = 0;
    await runCli(['k8s', 'scan', '-n', 'nova', '--secret', 'grpc-tls-certs', '--check', 'reject.no-client-cert,k8s.rbac', '--timeout', '1s'], {
      ...io,
      env: { KUBECONFIG: kube.kubeconfig },
    });
    expect(kube.requests.some((q) => q.resource === 'pods/portforward')).toBe(true);
    expect(kube.requests.filter((q) => !allowed([...ROLE_RULES, PORT_FORWARD_RULE], q))).toEqual([]);
  });

  it("the Gateway Job's own arguments, in-cluster: its Gateway listeners become targets, every request allowed by its Role", async () => {
    const job = loadDeploy().find((o) => o.kind === 'Job' && o.metadata.name === 'mtls-harness-gateway-scan')!;
    const args = (at(job, 'spec.template.spec.containers')[0] as { args: string[] }[])[0]!.args;
    // The reports go to stdout here instead of the volume; one check keeps it short (the names do not resolve outside a cluster).
    const argv = [...args.filter((a, i) => !/^--(json|junit|html)$/.test(a) && !/^--(json|junit|html)$/.test(args[i - 1] ?? ''))];
    let out = '';
    const port = new URL(kube.server).port;
    kube.requests.length = 0;
    await runCli([...argv, '--check', 'reject.no-client-cert,k8s.rbac', '--timeout', '1s', '--json', '-'], {
      stdout: { write: (s: string) => ((out += s), true) },
      stderr: { write: () => true },
      env: { MTLS_K8S_SERVICEACCOUNT_DIR: sa, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
    });
    const report = JSON.parse(out) as { targets: { name: string; origin?: { kind: string } }[]; results: { check: string; status: string }[] };
    expect(report.targets.filter((t) => t.origin?.kind === 'Gateway').map((t) => t.name)).toContain('gateway/gateway-mtls/gw/https');
    expect(report.results.filter((r) => r.check === 'k8s.rbac' && r.status !== 'pass')).toEqual([]);
    expect(kube.requests.some((q) => q.resource === 'gateways')).toBe(true);
    expect(kube.requests.filter((q) => !allowed(ROLE_RULES, q))).toEqual([]);
  });

  it('-A in-cluster: every request is allowed by deploy/clusterrole.yaml', async () => {
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    const port = new URL(kube.server).port;
    kube.requests.length = 0;
    await runCli(['k8s', 'scan', '--in-cluster', '-A', '--timeout', '1s'], {
      ...io,
      env: { MTLS_K8S_SERVICEACCOUNT_DIR: sa, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
    });
    expect(kube.requests.filter((q) => !allowed(CLUSTER_RULES, q))).toEqual([]);
    expect(kube.requests.some((q) => q.resource === 'namespaces')).toBe(true);
  });
});
