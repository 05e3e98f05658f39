import { safeText } from '../../core/text.js';
import type { KeyObject } from 'node:crypto';
import { HarnessError } from '../../core/errors.js';
import { summarize } from '../../core/status.js';
import { TargetIds } from '../../core/target-id.js';
import { selectChecks } from '../../runner/run.js';
import type { ClientCredentials, TargetConfig } from '../../core/target.js';
import type { Result, RunReport } from '../../core/model.js';
import { systemClock } from '../../core/clock.js';
import { SUITES, suitesOfKind } from '../../../suites/index.js';
import { parseCommandArgs, reportOptions } from '../args.js';
import type { CliIO } from '../io.js';
import { listChecks } from '../list-checks.js';
import {
  credentialFlags, executeRun, FileCache, interruptibleRun, resolveLiveTarget, resolveRotation, resolveRotationFlags, resolveRunSettings, RUN_SHARED_OPTIONS, targetPolicy, type Values,
} from './run.js';
import { auditCluster } from '../../audit/k8s.js';
import type { Forbidden, NamespaceSnapshot } from '../../targets/k8s/objects.js';
import type { ServiceTarget, Skipped } from '../../targets/k8s/discovery.js';
import type { OpenForward } from '../../targets/k8s/port-forward.js';
import type { KubeApi } from '../../targets/k8s/api.js';
import { k8sHelp } from '../help/k8s.js';

const K8S_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n', multiple: true },
  'all-namespaces': { type: 'boolean', short: 'A' },
  selector: { type: 'string', short: 'l' },
  service: { type: 'string', multiple: true },
  secret: { type: 'string' },
  'ca-key-secret': { type: 'string' },
  'in-cluster': { type: 'boolean' },
} as const;

/** What k8s scan runs: the server suites against the Services it finds, the cluster suites on the objects it reads. */
const SCANNED = [...suitesOfKind('server'), ...suitesOfKind('cluster')];

export async function k8sCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(k8sHelp());
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'scan') throw new HarnessError('usage.invalid-value', `k8s: unknown subcommand "${sub}" (mtls-harness k8s scan --help)`);
  return scanCommand(rest, io);
}

/** `[ns/]name` → namespace and name. */
function secretRef(flag: string, v: string, dflt: string): { namespace: string; name: string } {
  const m = /^(?:([a-z0-9-]+)\/)?([a-z0-9.-]+)$/.exec(v);
  if (!m) throw new HarnessError('usage.invalid-value', `${flag} "${v}" is not a Secret name ([NAMESPACE/]NAME)`);
  return { namespace: m[1] ?? dflt, name: m[2]! };
}

async function scanCommand(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('k8s scan', argv, { ...K8S_OPTIONS, ...RUN_SHARED_OPTIONS, ...reportOptions() });
  if (v.help) {
    io.stdout.write(k8sHelp());
    return 0;
  }
  if (v['list-checks']) return listChecks(io);
  if (positionals.length > 0) throw new HarnessError('usage.invalid-value', `k8s scan: unexpected argument "${positionals[0]}" (Services are discovered; narrow with -n, -l, --service)`);
  const env = io.env;
  const st = resolveRunSettings('k8s scan', v as Values, env, SCANNED);
  const over = credentialFlags('k8s scan', v as Values, env);
  const rotationFlags = resolveRotationFlags('k8s scan', v as Values);
  if (v.namespace && v['all-namespaces']) throw new HarnessError('usage.invalid-value', 'k8s scan: -n/--namespace and --all-namespaces exclude each other');
  if (v.secret && over.cert) throw new HarnessError('usage.invalid-value', 'k8s scan: --secret and --cert/--key exclude each other (one set of client credentials)');
  if (v['ca-key-secret'] && over.caKey) throw new HarnessError('usage.invalid-value', 'k8s scan: --ca-key-secret and --ca-key exclude each other');
  const selected = selectChecks(SCANNED, st.suiteIds, st.checkIds);
  const auditIds = new Set(selected.filter((c) => c.suite.kind === 'cluster').map((c) => c.check.id));
  const probeSelected = selected.filter((c) => c.suite.kind === 'server');
  const inCluster = !!v['in-cluster'];

  // Only now: client-node, kubeconfig, the API server.
  const { connectKube } = await import('../../targets/k8s/api.js');
  const { namespacesToScan, readNamespace, checkForward } = await import('../../targets/k8s/scan.js');
  const { discoverTargets } = await import('../../targets/k8s/discovery.js');
  const { openForward } = await import('../../targets/k8s/port-forward.js');
  const { readSecretMaterial, clientCredentialsFrom, caKeyFrom } = await import('../../targets/k8s/secrets.js');
  const api: KubeApi = await connectKube({ kubeconfig: v.kubeconfig as string | undefined, context: v.context as string | undefined, inCluster, env });

  const forbidden: Forbidden[] = [];
  const ns = await namespacesToScan(api, { namespaces: (v.namespace as string[] | undefined) ?? [], all: !!v['all-namespaces'] });
  forbidden.push(...ns.forbidden);
  const snapshots: NamespaceSnapshot[] = [];
  const serviceTargets: ServiceTarget[] = [];
  const skipped: Skipped[] = [];
  for (const namespace of ns.namespaces) {
    const r = await readNamespace(api, namespace, { labelSelector: v.selector as string | undefined, serviceNames: v.service as string[] | undefined, audit: auditIds.size > 0 });
    forbidden.push(...r.forbidden);
    snapshots.push(r.snapshot);
    if (probeSelected.length > 0) {
      const d = discoverTargets(r.snapshot, r.services);
      serviceTargets.push(...d.targets);
      skipped.push(...d.skipped);
    }
  }

  // Credentials from Secrets: in memory only. A Secret that does not exist is a usage error; one
  // that may not be read is a k8s.rbac finding and the probes run without it.
  const firstNs = ns.namespaces[0] ?? api.source.namespace;
  let fromSecret: { client?: ClientCredentials; trustPem?: string; caPem?: string } = {};
  let caKeyFromSecret: { caPem: string; key: KeyObject } | undefined;
  const readSecret = async (flag: string, value: string) => {
    const ref = secretRef(flag, value, firstNs);
    const r = await api.getSecret(ref.namespace, ref.name);
    if ('notFound' in r) throw new HarnessError('k8s.not-found', `${flag}: Secret ${ref.namespace}/${ref.name} does not exist`);
    if ('forbidden' in r) {
      forbidden.push(r.forbidden);
      return undefined;
    }
    return readSecretMaterial(r.item, ref.namespace);
  };
  if (v.secret) {
    const m = await readSecret('--secret', v.secret as string);
    if (m) fromSecret = clientCredentialsFrom(m);
  }
  if (v['ca-key-secret']) {
    const m = await readSecret('--ca-key-secret', v['ca-key-secret'] as string);
    if (m) caKeyFromSecret = caKeyFrom(m);
  }

  // Targets: every probed port, as a live target (the run's own credential and policy rules).
  const forwards = new Map<string, OpenForward>();
  const unreachable: { target: ServiceTarget; message: string }[] = [];
  const targets: TargetConfig[] = [];
  const closeAll = async () => {
    await Promise.all([...forwards.values()].map((f) => f.close().catch(() => undefined)));
    forwards.clear();
  };
  const interrupt = interruptibleRun(io, closeAll);
  try {
    const files = new FileCache();
    for (const t of serviceTargets) {
      if (t.problem || !t.pod) {
        unreachable.push({ target: t, message: t.problem ?? 'no Pod' });
        continue;
      }
      let host = t.fqdn;
      let port = t.port.port;
      if (!inCluster) {
        const pre = await checkForward(api, t.namespace, t.pod.name, t.pod.port);
        if ('forbidden' in pre) {
          if (!forbidden.some((f) => f.resource === 'pods/portforward' && f.namespace === t.namespace)) forbidden.push(pre.forbidden);
          unreachable.push({ target: t, message: `port-forward is forbidden in namespace ${t.namespace} (create pods/portforward; see k8s.rbac)` });
          continue;
        }
        if ('problem' in pre) {
          unreachable.push({ target: t, message: pre.problem });
          continue;
        }
        const f = await openForward(api, t.namespace, t.pod.name, t.pod.port);
        forwards.set(t.name, f);
        host = '127.0.0.1';
        port = f.port;
      }
      const policy = targetPolicy(st, undefined, t.name);
      // The run's own resolution: --ca/--cert/--key files and --protocol (over the annotation) apply.
      const live = resolveLiveTarget({ endpoint: `${host}:${port}`, name: t.name, servername: t.servername, expectedNames: t.expectedNames, protocol: t.protocol }, over, process.cwd(), policy, env, t.name, files);
      // Secret credentials, unless files were given on the command line.
      if (!over.cert && fromSecret.client) live.client = fromSecret.client;
      if (!over.ca && fromSecret.trustPem) live.trustPem = fromSecret.trustPem;
      if (caKeyFromSecret && !over.caKey) {
        live.caKey = caKeyFromSecret.key;
        live.clientCaPem = caKeyFromSecret.caPem;
      }
      const rotation = resolveRotation({}, rotationFlags, process.cwd(), env, t.name, live.protocol);
      targets.push(rotation ? { ...live, rotation } : live);
    }
    if (caKeyFromSecret && !fromSecret.trustPem && !over.ca) for (const t of targets) t.trustPem ??= caKeyFromSecret.caPem;

    if (!st.quiet) {
      const via = inCluster ? 'dialled directly' : 'through port-forward';
      io.stderr.write(`mtls-harness: k8s scan: context ${safeText(api.source.context, 120)} (${safeText(api.source.server, 200)}), namespace${ns.namespaces.length === 1 ? '' : 's'} ${ns.namespaces.join(', ') || '(none)'}: ${serviceTargets.length} Service port(s), ${targets.length} ${via}, ${unreachable.length} unreachable${skipped.length ? `, ${skipped.length} skipped` : ''}${forbidden.length ? `, ${forbidden.length} forbidden read(s)` : ''}\n`);
      for (const s of skipped) io.stderr.write(`  skipped ${safeText(s.service, 200)}: ${safeText(s.reason, 300)}\n`);
    }

    // The runner sees only the probe suites; the audit is evaluated on the objects read.
    const probeSuiteIds = st.suiteIds?.filter((id) => SUITES.some((s) => s.id === id));
    const probeCheckIds = st.checkIds ? probeSelected.map((c) => c.check.id) : undefined;
    const runSettings = { ...st, suiteIds: probeSuiteIds?.length ? probeSuiteIds : undefined, checkIds: probeCheckIds?.length ? probeCheckIds : undefined };
    const clock = systemClock;
    return await executeRun({
      argv: ['k8s', 'scan', ...argv],
      io,
      targets: probeSelected.length > 0 ? targets : [],
      suites: SUITES,
      settings: runSettings,
      interrupt,
      complete(report: RunReport) {
        annotateForwards(report, serviceTargets, forwards, inCluster);
        addUnreachable(report, unreachable, probeSelected, st.policy);
        if (auditIds.size > 0) {
          const audit = auditCluster({ snapshots, forbidden, policy: st.policy, clock, checks: auditIds, takenIds: report.targets.map((t) => t.id) });
          report.results.push(...audit.results);
          report.targets.push(...audit.targets);
        }
        report.summary = summarize(report.results);
        if (report.settings) {
          if (st.suiteIds) report.settings.suites = st.suiteIds;
          else delete report.settings.suites;
          if (st.checkIds) report.settings.checks = st.checkIds;
          else delete report.settings.checks;
        }
      },
    });
  } finally {
    interrupt.unregister();
    await closeAll();
  }
}

/** Service targets' endpoints say what was dialled: the Service name and the Pod port-forwarded to; forward errors join the results. */
function annotateForwards(report: RunReport, services: ServiceTarget[], forwards: Map<string, OpenForward>, inCluster: boolean): void {
  for (const tr of report.targets) {
    const st = services.find((s) => s.name === tr.name);
    if (!st) continue;
    tr.endpoint = inCluster || !st.pod ? `${st.fqdn}:${st.port.port}` : `${st.fqdn}:${st.port.port} via port-forward to pod/${st.namespace}/${st.pod.name}:${st.pod.port}`;
  }
  for (const [name, f] of forwards) {
    if (f.errors.length === 0) continue;
    for (const r of report.results) {
      if (r.target !== name) continue;
      r.evidence = { ...r.evidence, portForwardErrors: [...f.errors] };
      if (r.status === 'error') r.message = `port-forward failed (${f.errors[0]!.slice(0, 200)}); ${r.message}`;
    }
  }
}

/** A Service port the scan could not reach: every selected check is an `error` that says why. */
function addUnreachable(report: RunReport, list: { target: ServiceTarget; message: string }[], checks: ReturnType<typeof selectChecks>, policy: RunReport['targets'][number]['policy']): void {
  const ids = new TargetIds(report.targets.map((x) => x.id));
  for (const { target: t, message } of list) {
    const id = ids.next(t.name);
    report.targets.push({ id, name: t.name, endpoint: `${t.fqdn}:${t.port.port}`, servername: t.servername, kind: 'live', ...(policy ? { policy } : {}) });
    for (const { suite, check } of checks) {
      const r: Result = { targetId: id, target: t.name, suite: suite.id, check: check.id, title: check.title, status: 'error', message: `not attempted: ${message}`, evidence: { unreachable: message }, durationMs: 0 };
      report.results.push(r);
    }
  }
}
