// deploy/ for serve: the PrometheusRule's rules checked and unit-tested by Debian's promtool (series
// shaped like serve's: every metric and label they use is one a real exposition of serve has), the
// ServiceMonitor pointing at the Service's port, the Deployment's command line and config valid.
// serve.yaml's objects are walked against client-node's models as deploy/'s are (test/helpers/k8s-models.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ServeMetrics } from '../src/app/serve/metrics.js';
import { loadConfigFile } from '../src/config/load.js';
import { reportConfigKeys } from '../src/report/reporters/index.js';
import { runCli } from '../src/cli/run.js';
import { at, validate } from './helpers/k8s-models.js';
import { parsePromText, type Family } from './helpers/prom-text.js';
import { fixedRunReport } from './helpers/report-model.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const read = (p: string) => readFileSync(path.join(ROOT, p), 'utf8');
type Obj = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec: any; data?: Record<string, string> };
const docs = (p: string) => parseAllDocuments(read(p)).map((d) => d.toJS() as Obj);

const PROMTOOL = spawnSync('sh', ['-c', 'command -v promtool']).stdout?.toString().trim() || undefined;
const rule = docs('deploy/serve/prometheusrule.yaml')[0]!;
const serveObjs = docs('deploy/serve/serve.yaml');
const byKind = (k: string) => serveObjs.find((o) => o.kind === k)!;

/** Serve's families after a completed run (a fixed report with every kind of target and certificate). */
async function exposition(): Promise<Map<string, Family>> {
  const m = new ServeMetrics();
  m.started();
  m.completed(fixedRunReport(9));
  return parsePromText((await m.exposition()).body);
}

const metricNames = (text: string) => new Set(text.match(/\bmtls_[a-z_]+\b/g) ?? []);
/** Labels every scrape adds (Prometheus, the Operator). */
const SCRAPE_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'service', 'endpoint', 'container']);

describe('the PrometheusRule', () => {
  it('uses only metrics serve exports, and the test series are labelled as serve labels them', async () => {
    const fams = await exposition();
    const exprs = (rule.spec.groups as { rules: { alert: string; expr: string }[] }[]).flatMap((g) => g.rules);
    expect(exprs.map((r) => r.alert).sort()).toEqual(
      expect.arrayContaining(['MtlsCertificateExpiresUnderWarnDays', 'MtlsClientCertEnforcementLost', 'MtlsRotationContinuityFailed']),
    );
    for (const r of exprs) for (const name of metricNames(r.expr)) expect(fams.has(name), `${r.alert}: ${name}`).toBe(true);
    const tests = parse(read('test/fixtures/serve/rules.test.yaml')) as { tests: { input_series: { series: string }[] }[] };
    const series = tests.tests.flatMap((t) => t.input_series.map((s) => s.series));
    expect(series.length).toBeGreaterThan(10);
    for (const s of series) {
      const [, name, labels] = /^([a-z_]+)\{(.*)\}$/.exec(s)!;
      const f = fams.get(name!);
      expect(f, s).toBeDefined();
      const own = new Set(f!.samples.flatMap((x) => Object.keys(x.labels)));
      for (const [, label] of labels!.matchAll(/([a-z_]+)="/g)) expect(own.has(label!) || SCRAPE_LABELS.has(label!), `${s}: ${label}`).toBe(true);
      for (const l of own) expect(labels, `${s} lacks ${l}`).toContain(`${l}="`);
    }
  });

  it.skipIf(!PROMTOOL)('promtool check rules and promtool test rules pass (Debian package prometheus)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-rules-'));
    try {
      await fs.writeFile(path.join(dir, 'rules.yaml'), stringify(rule.spec));
      await fs.copyFile(path.join(ROOT, 'test/fixtures/serve/rules.test.yaml'), path.join(dir, 'rules.test.yaml'));
      expect(execFileSync(PROMTOOL!, ['check', 'rules', 'rules.yaml'], { cwd: dir, encoding: 'utf8' })).toMatch(/SUCCESS: 7 rules found/);
      expect(execFileSync(PROMTOOL!, ['test', 'rules', 'rules.test.yaml'], { cwd: dir, encoding: 'utf8' })).toMatch(/SUCCESS/);
      // The check has teeth: a rule on a misspelt expression fails it.
      await fs.writeFile(path.join(dir, 'bad.yaml'), stringify({ groups: [{ name: 'x', rules: [{ alert: 'A', expr: 'mtls_client_cert_enforced ==' }] }] }));
      expect(spawnSync(PROMTOOL!, ['check', 'rules', 'bad.yaml'], { cwd: dir }).status).not.toBe(0);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
  if (!PROMTOOL) console.warn('SKIPPED promtool check/test rules: promtool not installed (apt-get install prometheus)');
});

/** serve.yaml's kinds: apiVersion, client-node model, fields the OpenAPI schema requires ([] for every element). */
const KINDS: Record<string, [string, string, string[]]> = {
  ConfigMap: ['v1', 'V1ConfigMap', []],
  Deployment: [
    'apps/v1',
    'V1Deployment',
    ['spec.selector', 'spec.template.spec.containers[].name', 'spec.template.spec.containers[].image', 'spec.template.spec.volumes[].name'],
  ],
  Service: ['v1', 'V1Service', ['spec.ports[].port']],
  NetworkPolicy: ['networking.k8s.io/v1', 'V1NetworkPolicy', ['spec.podSelector']],
};

describe('deploy/serve/serve.yaml and the ServiceMonitor', () => {
  it('every object has a known kind and apiVersion, no unknown field anywhere (kubectl --validate=strict), and the required fields', () => {
    const objs = k8s.loadAllYaml(read('deploy/serve/serve.yaml')) as { apiVersion: string; kind: string }[];
    expect(objs.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'NetworkPolicy', 'Service']);
    for (const o of objs) {
      const [apiVersion, model, required] = KINDS[o.kind]!;
      expect(o.apiVersion, o.kind).toBe(apiVersion);
      expect(validate(o, model, o.kind)).toEqual([]);
      for (const p of ['metadata.name', 'metadata.namespace', ...required]) {
        const vals = at(o, p);
        expect(vals.length > 0 && vals.every((v) => v !== undefined && v !== ''), `${o.kind} needs ${p}`).toBe(true);
      }
    }
  });

  it('the ServiceMonitor selects the Service and scrapes its metrics port; the Service selects the Deployment', () => {
    const sm = docs('deploy/serve/servicemonitor.yaml')[0]!;
    const svc = byKind('Service');
    const dep = byKind('Deployment');
    expect(sm.kind).toBe('ServiceMonitor');
    expect(sm.metadata.namespace).toBe(svc.metadata.namespace);
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels as Record<string, string>)) expect(svc.metadata.labels![k]).toBe(v);
    expect(sm.spec.endpoints[0].port).toBe(svc.spec.ports[0].name);
    expect(sm.spec.endpoints[0].path).toBe('/metrics');
    for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) expect(dep.spec.template.metadata.labels[k]).toBe(v);
    expect(dep.spec.template.spec.containers[0].ports[0]).toMatchObject({ name: 'metrics', containerPort: svc.spec.ports[0].port });
    // The NetworkPolicy covers serve's pods and lets in only the metrics port.
    const np = byKind('NetworkPolicy');
    for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels as Record<string, string>)) expect(dep.spec.template.metadata.labels[k]).toBe(v);
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    expect(np.spec.ingress.flatMap((r: { ports: { port: string }[] }) => r.ports.map((p) => p.port))).toEqual(['metrics']);
  });

  it('the Deployment runs serve as non-root on a read-only root, config from the ConfigMap, credentials from a Secret, bound for the pod', async () => {
    const dep = byKind('Deployment');
    const cm = byKind('ConfigMap');
    const spec = dep.spec.template.spec;
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.automountServiceAccountToken).toBe(false);
    const c = spec.containers[0];
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    const args: string[] = c.args;
    expect(args[0]).toBe('serve');
    expect(args[args.indexOf('--listen') + 1]).toBe('0.0.0.0:9464');
    const vol = (name: string) => spec.volumes.find((v: { name: string }) => v.name === name);
    const mount = (p: string) => c.volumeMounts.find((m: { mountPath: string }) => p.startsWith(`${m.mountPath}/`));
    const configPath = args[args.indexOf('--config') + 1]!;
    expect(vol(mount(configPath).name).configMap.name).toBe(cm.metadata.name);
    // The config parses (schema and keys) and its credentials are in the Secret's mount.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-serve-cm-'));
    try {
      const file = path.join(dir, path.basename(configPath));
      await fs.writeFile(file, cm.data![path.basename(configPath)]!);
      const config = loadConfigFile(file, reportConfigKeys());
      expect(config.targets!.length).toBeGreaterThan(0);
      for (const t of config.targets!) for (const p of [t.ca, t.cert, t.key]) expect(vol(mount(p!).name).secret.secretName).toBe('mtls-harness-client');
      expect(vol('client').secret.defaultMode).toBe(0o400);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    // The arguments are serve's (every flag parses; --list-checks stops before anything is read).
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
    expect(await runCli([...args, '--list-checks'], io)).toBe(0);
    expect(await runCli([...args, '--no-such-flag'], io)).toBe(2);
  });
});
