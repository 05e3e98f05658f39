/**
 * `k8s scan` without the terminal: connect to the cluster, read the namespaces, discover the
 * Services to probe and the Secrets to probe with, reach each port (port-forward, or directly in
 * the cluster), run the server suites against them and the cluster audit on the objects read, and
 * return one RunReport. The Kubernetes access itself is in targets/k8s/, the audit in audit/k8s.ts.
 *
 * In steps, so a caller can write its reports before the port-forwards close (Ctrl-C included):
 * `discover()`, `open()`, `check()`, `close()`.
 */
import type { KeyObject } from 'node:crypto';
import { SUITES, suitesOfKind } from '../../suites/index.js';
import { auditCluster } from '../audit/k8s.js';
import { systemClock, type Clock } from '../core/clock.js';
import { HarnessError } from '../core/errors.js';
import { safeText } from '../core/text.js';
import type { Result, RunReport } from '../core/model.js';
import type { ClientCredentials, TargetConfig } from '../core/target.js';
import { TargetIds } from '../core/target-id.js';
import { selectChecks } from '../runner/run.js';
import type { KubeApi } from '../targets/k8s/api.js';
import type { ServiceTarget, Skipped } from '../targets/k8s/discovery.js';
import type { ClassCache, ControllerCache } from '../targets/k8s/ingress.js';
import type { Forbidden, NamespaceSnapshot } from '../targets/k8s/objects.js';
import type { OpenForward } from '../targets/k8s/port-forward.js';
import type { LinkerdNamespace } from '../targets/k8s/mesh.js';
import { runWithSettings, type RunHooks } from './run.js';
import { targetPolicy, type RunSettingsResolved } from './settings.js';
import { FileCache, resolveLiveTarget, resolveRotation, type CredentialFlags, type RotationFlags } from './targets.js';

/** What k8s scan runs: the server suites against the Services it finds, the cluster suites on the objects it reads. */
export const SCANNED = [...suitesOfKind('server'), ...suitesOfKind('cluster')];

/** A scan: the run's settings (resolved against SCANNED), its credential and rotation flags, and where to look. */
export interface ClusterScanOptions {
  settings: RunSettingsResolved;
  credentials: CredentialFlags;
  rotation: RotationFlags;
  env: NodeJS.ProcessEnv;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** Namespaces to scan (default: the context's, else `default`); exclusive with `allNamespaces`. */
  namespaces?: string[] | undefined;
  allNamespaces?: boolean | undefined;
  /** Only Services matching this label selector (the audit covers the namespace). */
  selector?: string | undefined;
  services?: string[] | undefined;
  /** `[NS/]NAME` of the Secret holding the client credentials (and CA) to probe with. */
  secret?: string | undefined;
  /** `[NS/]NAME` of the Secret holding the client CA and its key (crafted-certificate checks). */
  caKeySecret?: string | undefined;
  /** Runs in a Pod: the service account's API access, Services dialled directly. */
  inCluster?: boolean | undefined;
  /** Istio's root namespace (meshConfig.rootNamespace), whose selector-less PeerAuthentication is mesh-wide; default istio-system. */
  istioRootNamespace?: string | undefined;
  clock?: Clock | undefined;
}

/** What `discover()` and `open()` found, for a summary line. */
export interface ScanFindings {
  context: string;
  server: string;
  namespaces: string[];
  servicePorts: number;
  /** Ingress TLS hosts, probed at the ingress-nginx controller. */
  ingressHosts: number;
  /** Gateway API listeners (targets beside the Service ports). */
  listeners: number;
  /** Mesh ports (a Pod port an Istio PeerAuthentication or a Linkerd proxy covers). */
  meshPorts: number;
  /** Ports reached (port-forward opened, or dialled directly). */
  reached: number;
  unreachable: number;
  skipped: Skipped[];
  forbidden: number;
}

/** `[ns/]name` → namespace and name. */
function secretRef(flag: string, v: string, dflt: string): { namespace: string; name: string } {
  const m = /^(?:([a-z0-9-]+)\/)?([a-z0-9.-]+)$/.exec(v);
  if (!m) throw new HarnessError('usage.invalid-value', `${flag} "${v}" is not a Secret name ([NAMESPACE/]NAME)`);
  return { namespace: m[1] ?? dflt, name: m[2]! };
}

export class ClusterScan {
  private readonly selected: ReturnType<typeof selectChecks<(typeof SCANNED)[number]>>;
  private readonly auditIds: Set<string>;
  private api: KubeApi | undefined;
  private namespaces: string[] = [];
  private readonly forbidden: Forbidden[] = [];
  private readonly snapshots: NamespaceSnapshot[] = [];
  private readonly serviceTargets: ServiceTarget[] = [];
  private readonly skipped: Skipped[] = [];
  private fromSecret: { client?: ClientCredentials; trustPem?: string; caPem?: string } = {};
  private caKeyFromSecret: { caPem: string; key: KeyObject } | undefined;
  private readonly forwards = new Map<string, OpenForward>();
  private readonly unreachable: { target: ServiceTarget; message: string }[] = [];
  /** The live targets reached (filled by `open()`). */
  private readonly targets: TargetConfig[] = [];
  /** Istio's mesh-wide PeerAuthentications (root namespace), read once. */
  private rootPolicies: import('../targets/k8s/mesh.js').PeerAuthentication[] | null | undefined;

  /** Checks the options that exclude each other and the selection; nothing is contacted yet. */
  constructor(private readonly o: ClusterScanOptions) {
    if (o.namespaces?.length && o.allNamespaces)
      throw new HarnessError('usage.invalid-value', 'k8s scan: -n/--namespace and --all-namespaces exclude each other');
    if (o.istioRootNamespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.istioRootNamespace))
      throw new HarnessError(
        'usage.invalid-value',
        `k8s scan: --istio-root-namespace "${safeText(o.istioRootNamespace, 80)}" is not a namespace name (RFC 1123 label)`,
      );
    if (o.secret && (o.credentials.cert || o.credentials.p12))
      throw new HarnessError(
        'usage.invalid-value',
        `k8s scan: --secret and ${o.credentials.p12 ? '--p12' : '--cert/--key'} exclude each other (one set of client credentials)`,
      );
    if (o.caKeySecret && o.credentials.caKey) throw new HarnessError('usage.invalid-value', 'k8s scan: --ca-key-secret and --ca-key exclude each other');
    this.selected = selectChecks(SCANNED, o.settings.suiteIds, o.settings.checkIds);
    this.auditIds = new Set(this.selected.filter((c) => c.suite.kind === 'cluster').map((c) => c.check.id));
  }

  private get probeSelected() {
    return this.selected.filter((c) => c.suite.kind === 'server');
  }

  /**
   * Connects to the API server, reads the namespaces (and the objects the audit judges), discovers
   * the Service ports to probe and reads the Secrets named. A Secret that does not exist is a usage
   * error; one that may not be read is a k8s.rbac finding and the probes run without it.
   */
  async discover(): Promise<void> {
    const o = this.o;
    // Only now: client-node, kubeconfig, the API server.
    const { connectKube } = await import('../targets/k8s/api.js');
    const { namespacesToScan, readNamespace } = await import('../targets/k8s/scan.js');
    const { discoverTargets } = await import('../targets/k8s/discovery.js');
    const { discoverIngresses } = await import('../targets/k8s/ingress.js');
    const controllers: ControllerCache = new Map();
    const classes: ClassCache = new Map();
    const { readSecretMaterial, clientCredentialsFrom, caKeyFrom } = await import('../targets/k8s/secrets.js');
    const api = await connectKube({ kubeconfig: o.kubeconfig, context: o.context, inCluster: !!o.inCluster, env: o.env });
    this.api = api;
    const ns = await namespacesToScan(api, { namespaces: o.namespaces ?? [], all: !!o.allNamespaces });
    this.namespaces = ns.namespaces;
    this.forbidden.push(...ns.forbidden);
    for (const namespace of ns.namespaces) {
      const r = await readNamespace(api, namespace, { labelSelector: o.selector, serviceNames: o.services, audit: this.auditIds.size > 0 });
      this.forbidden.push(...r.forbidden);
      this.snapshots.push(r.snapshot);
      if (this.probeSelected.length > 0) {
        const d = discoverTargets(r.snapshot, r.services);
        this.serviceTargets.push(...d.targets);
        this.skipped.push(...d.skipped);
        // Ingress hosts (at the ingress-nginx controller), unless -l/--service narrowed the scan to Services.
        if (!o.selector && !o.services?.length) {
          const ing = await discoverIngresses(api, namespace, controllers, classes);
          this.serviceTargets.push(...ing.targets);
          this.skipped.push(...ing.skipped);
          this.forbidden.push(...ing.forbidden);
        }
      }
      if (this.probeSelected.some((c) => c.suite.id === 'mesh')) this.serviceTargets.push(...(await this.meshPorts(api, r.snapshot)));
    }
    // Gateway API listeners (unless -l/--service pick Services): the Gateways' own Services are probed per listener.
    if (this.probeSelected.length > 0 && !o.selector && !o.services?.length) {
      const { discoverGateways } = await import('../targets/k8s/gateway-targets.js');
      const g = await discoverGateways(api, this.snapshots);
      this.forbidden.push(...g.forbidden);
      const own = this.serviceTargets.filter((t) => g.gatewayServices.has(`${t.namespace}/${t.service}`));
      for (const svc of new Set(own.map((t) => `service/${t.namespace}/${t.service}`)))
        this.skipped.push({ service: svc, reason: 'the Service of a Gateway: its ports are probed per listener (gateway/…)' });
      this.serviceTargets.splice(0, this.serviceTargets.length, ...this.serviceTargets.filter((t) => !own.includes(t)), ...g.targets);
      this.skipped.push(...g.skipped);
    }

    // Credentials from Secrets: in memory only.
    const firstNs = ns.namespaces[0] ?? api.source.namespace;
    const readSecret = async (flag: string, value: string) => {
      const ref = secretRef(flag, value, firstNs);
      const r = await api.getSecret(ref.namespace, ref.name);
      if ('notFound' in r) throw new HarnessError('k8s.not-found', `${flag}: Secret ${ref.namespace}/${ref.name} does not exist`);
      if ('forbidden' in r) {
        this.forbidden.push(r.forbidden);
        return undefined;
      }
      return readSecretMaterial(r.item, ref.namespace);
    };
    if (o.secret) {
      const m = await readSecret('--secret', o.secret);
      if (m) this.fromSecret = clientCredentialsFrom(m);
    }
    if (o.caKeySecret) {
      const m = await readSecret('--ca-key-secret', o.caKeySecret);
      if (m) this.caKeyFromSecret = caKeyFrom(m);
    }
  }

  /** The mesh's ports of a namespace (targets/k8s/mesh.ts): Istio's policies (the root namespace's read once), Linkerd's annotations. */
  private async meshPorts(api: KubeApi, snap: NamespaceSnapshot): Promise<ServiceTarget[]> {
    const { listPeerAuthentications, istioTargets, linkerdTargets, linkerdNeedsNamespace, ISTIO_ROOT_NAMESPACE } = await import('../targets/k8s/mesh.js');
    const root = this.o.istioRootNamespace ?? ISTIO_ROOT_NAMESPACE;
    // undefined: forbidden (a k8s.rbac result); [] when Istio's CRD is not served.
    const read = async (ns: string) => {
      const r = await listPeerAuthentications(api, ns);
      if ('forbidden' in r) this.forbidden.push(r.forbidden);
      return 'forbidden' in r ? undefined : 'items' in r ? r.items : [];
    };
    if (this.rootPolicies === undefined) this.rootPolicies = (await read(root)) ?? null;
    const policies = snap.namespace === root ? this.rootPolicies : await read(snap.namespace);
    // Linkerd: the namespace's annotation decides for Pods without their own (read only then: a Role cannot grant it).
    let linkerdNs: LinkerdNamespace;
    if (linkerdNeedsNamespace(snap)) {
      const r = await api.getNamespace(snap.namespace);
      if ('forbidden' in r) this.forbidden.push(r.forbidden);
      linkerdNs = 'forbidden' in r ? 'forbidden' : 'item' in r ? { ...(r.item.metadata.annotations ? { annotations: r.item.metadata.annotations } : {}) } : {};
    }
    return [...istioTargets(snap, policies ?? undefined, this.rootPolicies ?? undefined, root), ...linkerdTargets(snap, linkerdNs)];
  }

  /** Reaches every probed port (a port-forward each, unless in the cluster) and resolves it as a live target with the run's own rules. */
  async open(): Promise<void> {
    const { o, api } = this;
    if (!api) throw new Error('ClusterScan.open() before discover()');
    const { checkForward } = await import('../targets/k8s/scan.js');
    const { openForward } = await import('../targets/k8s/port-forward.js');
    const over = o.credentials;
    const files = new FileCache();
    for (const t of this.serviceTargets) {
      if (t.problem || (!t.pod && !t.direct)) {
        this.unreachable.push({ target: t, message: t.problem ?? 'no Pod' });
        continue;
      }
      if (t.mesh && !o.inCluster) {
        const { MESH_NEEDS_IN_CLUSTER } = await import('../targets/k8s/mesh.js');
        this.unreachable.push({ target: t, message: MESH_NEEDS_IN_CLUSTER });
        continue;
      }
      let host = t.fqdn;
      let port = t.port.port;
      if (t.direct) {
        host = t.direct.host;
        port = t.direct.port;
      } else if (!o.inCluster && t.pod) {
        const pre = await checkForward(api, t.namespace, t.pod.name, t.pod.port);
        if ('forbidden' in pre) {
          if (!this.forbidden.some((f) => f.resource === 'pods/portforward' && f.namespace === t.namespace)) this.forbidden.push(pre.forbidden);
          this.unreachable.push({ target: t, message: `port-forward is forbidden in namespace ${t.namespace} (create pods/portforward; see k8s.rbac)` });
          continue;
        }
        if ('problem' in pre) {
          this.unreachable.push({ target: t, message: pre.problem });
          continue;
        }
        const f = await openForward(api, t.namespace, t.pod!.name, t.pod!.port);
        this.forwards.set(t.name, f);
        host = '127.0.0.1';
        port = f.port;
      }
      const policy = targetPolicy(o.settings, undefined, t.name);
      // The run's own resolution: --ca/--cert/--key files and --protocol (over the annotation) apply.
      const live = resolveLiveTarget(
        { endpoint: `${host}:${port}`, name: t.name, servername: t.servername, expectedNames: t.expectedNames, protocol: t.protocol },
        over,
        process.cwd(),
        policy,
        o.env,
        t.name,
        files,
      );
      // Secret credentials, unless files were given on the command line.
      if (!over.cert && !over.p12 && this.fromSecret.client) live.client = this.fromSecret.client;
      if (!over.ca && this.fromSecret.trustPem) live.trustPem = this.fromSecret.trustPem;
      if (this.caKeyFromSecret && !over.caKey) {
        live.caKey = this.caKeyFromSecret.key;
        live.clientCaPem = this.caKeyFromSecret.caPem;
      }
      // The client CA a Gateway or Ingress declares names the crafted certificates (after any CA whose key was given).
      if (t.clientCaPem && !live.clientCaPem) live.clientCaPem = live.caKey && live.trustPem ? live.trustPem + t.clientCaPem : t.clientCaPem;
      live.origin = t.origin;
      if (t.scope) live.scope = t.scope;
      const rotation = resolveRotation({}, o.rotation, process.cwd(), o.env, t.name, live.protocol);
      this.targets.push(rotation ? { ...live, rotation } : live);
    }
    const caKey = this.caKeyFromSecret;
    if (caKey && !this.fromSecret.trustPem && !over.ca) for (const t of this.targets) t.trustPem ??= caKey.caPem;
  }

  /** What was found so far. */
  findings(): ScanFindings {
    return {
      context: this.api?.source.context ?? '',
      server: this.api?.source.server ?? '',
      namespaces: this.namespaces,
      servicePorts: this.serviceTargets.filter((t) => t.origin.kind === 'Service' && !t.mesh).length,
      meshPorts: this.serviceTargets.filter((t) => t.mesh).length,
      ingressHosts: this.serviceTargets.filter((t) => t.origin.kind === 'Ingress').length,
      listeners: this.serviceTargets.filter((t) => t.origin.kind === 'Gateway').length,
      reached: this.targets.length,
      unreachable: this.unreachable.length,
      skipped: this.skipped,
      forbidden: this.forbidden.length,
    };
  }

  /** The live targets the server suites run against (none when only cluster checks are selected). */
  get probed(): TargetConfig[] {
    return this.probeSelected.length > 0 ? this.targets : [];
  }

  /**
   * Runs the server suites against the reached ports and the cluster audit on the objects read:
   * one report (its settings name the scan's own selection). `hooks.signal` ends it early, marked incomplete.
   */
  async check(hooks: Omit<RunHooks, 'complete'> = {}): Promise<RunReport> {
    const st = this.o.settings;
    // The runner sees only the probe suites; the audit is evaluated on the objects read.
    const probeSuiteIds = st.suiteIds?.filter((id) => SUITES.some((s) => s.id === id));
    const probeCheckIds = st.checkIds ? this.probeSelected.map((c) => c.check.id) : undefined;
    const runSettings = { ...st, suiteIds: probeSuiteIds?.length ? probeSuiteIds : undefined, checkIds: probeCheckIds?.length ? probeCheckIds : undefined };
    return runWithSettings(this.probed, SUITES, runSettings, {
      ...hooks,
      complete: (report) => {
        this.annotateForwards(report);
        this.addUnreachable(report);
        if (this.auditIds.size > 0) {
          const audit = auditCluster({
            snapshots: this.snapshots,
            forbidden: this.forbidden,
            policy: st.policy,
            clock: this.o.clock ?? systemClock,
            checks: this.auditIds,
            takenIds: report.targets.map((t) => t.id),
          });
          report.results.push(...audit.results);
          report.targets.push(...audit.targets);
        }
        if (report.settings) {
          if (st.suiteIds) report.settings.suites = st.suiteIds;
          else delete report.settings.suites;
          if (st.checkIds) report.settings.checks = st.checkIds;
          else delete report.settings.checks;
        }
      },
    });
  }

  /** Closes every port-forward listener (twice is fine). */
  async close(): Promise<void> {
    await Promise.all([...this.forwards.values()].map((f) => f.close().catch(() => undefined)));
    this.forwards.clear();
  }

  /** Service targets' endpoints say what was dialled: the Service name and the Pod port-forwarded to; forward errors join the results. */
  private annotateForwards(report: RunReport): void {
    for (const tr of report.targets) {
      const st = this.serviceTargets.find((s) => s.name === tr.name);
      if (!st) continue;
      tr.endpoint = st.direct
        ? `${st.direct.host}:${st.direct.port} (${st.direct.via})`
        : this.o.inCluster || !st.pod
          ? `${st.fqdn}:${st.port.port}`
          : `${st.fqdn}:${st.port.port} via port-forward to pod/${st.namespace}/${st.pod.name}:${st.pod.port}`;
    }
    for (const [name, f] of this.forwards) {
      if (f.errors.length === 0) continue;
      for (const r of report.results) {
        if (r.target !== name) continue;
        r.evidence = { ...r.evidence, portForwardErrors: [...f.errors] };
        if (r.status === 'error') r.message = `port-forward failed (${f.errors[0]!.slice(0, 200)}); ${r.message}`;
      }
    }
  }

  /** A Service port the scan could not reach: every selected check is an `error` that says why. */
  private addUnreachable(report: RunReport): void {
    const policy = this.o.settings.policy;
    const ids = new TargetIds(report.targets.map((x) => x.id));
    for (const { target: t, message } of this.unreachable) {
      const id = ids.next(t.name);
      report.targets.push({
        id,
        name: t.name,
        endpoint: `${t.fqdn}:${t.port.port}`,
        servername: t.servername,
        kind: 'live',
        ...(policy ? { policy } : {}),
        origin: t.origin,
      });
      for (const { suite, check } of this.probeSelected) {
        const outOfScope = t.scope && !t.scope.checks.includes(check.id);
        const r: Result = {
          targetId: id,
          target: t.name,
          suite: suite.id,
          check: check.id,
          title: check.title,
          status: outOfScope ? 'skip' : 'error',
          message: outOfScope ? t.scope!.why : `not attempted: ${message}`,
          evidence: outOfScope ? {} : { unreachable: message },
          durationMs: 0,
        };
        report.results.push(r);
      }
    }
  }
}
