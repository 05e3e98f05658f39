// Mesh ports → probe targets: the mTLS mode Istio's PeerAuthentication (or Linkerd's annotations)
// declares for each port of each meshed Pod, with the object that decides it, so the mesh suite
// (suites/mesh.ts) can put the declared mode beside what the port does.
//
// Istio's rules (istio.io PeerAuthentication reference): a policy in the root namespace without a
// selector is mesh-wide (a root-namespace policy with a selector is ignored); one in a namespace
// without a selector is namespace-wide; one with `selector.matchLabels` applies to the matching
// workloads. Workload over namespace over mesh; `portLevelMtls` (keyed by the workload's container
// port) over the policy's own `mtls`; UNSET (or absent) inherits from the next level up; nothing
// anywhere: PERMISSIVE (Istio's default). Several policies at one level: the oldest wins.
import type { KubeApi, Listed } from './api.js';
import type { ServiceTarget } from './discovery.js';
import { podReady, selectorMatches, type NamespaceSnapshot, type ObjectMeta, type Pod } from './objects.js';

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** security.istio.io PeerAuthentication (v1 and v1beta1 share the shape). */
export interface PeerAuthentication {
  metadata: ObjectMeta & { creationTimestamp?: string };
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    mtls?: { mode?: string };
    portLevelMtls?: Record<string, { mode?: string }>;
  };
}

export const ISTIO_ROOT_NAMESPACE = 'istio-system';

/** The checks a mesh port is judged by; the others do not apply to a sidecar's inbound port. */
export const MESH_CHECKS = ['mesh.strict-refuses-plaintext', 'mesh.declared-matches-observed'] as const;

/** PeerAuthentications of a namespace: v1, else v1beta1 (older Istio); a 404 on both: Istio is not installed. */
export async function listPeerAuthentications(api: KubeApi, ns: string): Promise<Listed<PeerAuthentication>> {
  const v1 = await api.listObjects<PeerAuthentication>('peerauthentications', ns);
  return 'notFound' in v1 ? api.listObjects<PeerAuthentication>('peerauthentications', ns, 'v1beta1') : v1;
}

function modeOf(m: string | undefined): MtlsMode | undefined {
  const u = m?.trim().toUpperCase();
  return u === 'STRICT' || u === 'PERMISSIVE' || u === 'DISABLE' ? u : undefined;
}

const oldest = (a: PeerAuthentication, b: PeerAuthentication) =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name);

/** What decides one port: the mode and the policy (and field) it comes from. */
export interface Decided {
  mode: MtlsMode;
  /** Absent: no policy at all (Istio's default PERMISSIVE). */
  policy?: PeerAuthentication;
  field: string;
}

/** The effective mode of one container port of a Pod (Istio's precedence). */
export function effectiveMode(pod: Pod, port: number, namespacePolicies: PeerAuthentication[], rootPolicies: PeerAuthentication[]): Decided {
  const hasSelector = (p: PeerAuthentication) => Object.keys(p.spec?.selector?.matchLabels ?? {}).length > 0;
  const workload = namespacePolicies.filter((p) => hasSelector(p) && selectorMatches(p.spec!.selector!.matchLabels, pod.metadata.labels)).sort(oldest)[0];
  const namespace = namespacePolicies.filter((p) => !hasSelector(p)).sort(oldest)[0];
  // Selector policies in the root namespace are ignored (Istio's reference says so).
  const mesh = rootPolicies.filter((p) => !hasSelector(p)).sort(oldest)[0];
  const portMode = modeOf(workload?.spec?.portLevelMtls?.[String(port)]?.mode);
  if (workload && portMode) return { mode: portMode, policy: workload, field: `spec.portLevelMtls.${port}.mode` };
  for (const p of [workload, namespace, mesh]) {
    const m = modeOf(p?.spec?.mtls?.mode);
    if (p && m) return { mode: m, policy: p, field: 'spec.mtls.mode' };
  }
  return { mode: 'PERMISSIVE', field: 'spec.mtls.mode' };
}

/** Is this Pod in Istio's mesh (a sidecar injected)? */
export function istioMeshed(pod: Pod): boolean {
  return !!pod.metadata.annotations?.['sidecar.istio.io/status'] || (pod.spec?.containers ?? []).some((c) => c.name === 'istio-proxy');
}

/** The application ports of a Pod (TCP container ports, the sidecar's own excluded). */
function appPorts(pod: Pod, sidecar: string): { name?: string; port: number }[] {
  return (pod.spec?.containers ?? [])
    .filter((c) => c.name !== sidecar)
    .flatMap((c) =>
      (c.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.containerPort })),
    );
}

function meshTarget(snap: NamespaceSnapshot, pod: Pod, p: { name?: string; port: number }, origin: ServiceTarget['origin']): ServiceTarget {
  const ip = pod.status?.podIP;
  return {
    namespace: snap.namespace,
    service: pod.metadata.name,
    port: { port: p.port, ...(p.name ? { name: p.name } : {}) },
    name: `mesh/${snap.namespace}/${pod.metadata.name}:${p.port}`,
    // Dialled as host:port (in the cluster): an IPv6 Pod IP in brackets.
    fqdn: ip ? (ip.includes(':') ? `[${ip}]` : ip) : `${pod.metadata.name}.${snap.namespace}`,
    servername: `${pod.metadata.name}.${snap.namespace}`,
    expectedNames: [],
    protocol: 'https',
    ...(podReady(pod)
      ? { pod: { name: pod.metadata.name, port: p.port } }
      : { problem: `pod/${snap.namespace}/${pod.metadata.name} is not Running and Ready` }),
    origin,
    mesh: true,
    scope: { checks: MESH_CHECKS, why: 'a mesh sidecar port: only the mesh checks apply (the mesh, not this client, holds the certificates it accepts)' },
  };
}

/**
 * Out of the cluster a mesh port is not observed: port-forward connects on the Pod's loopback, where
 * the sidecar's inbound redirect (iptables PREROUTING) does not apply, so it reaches the application
 * behind the sidecar, not what the mesh's peers reach.
 */
export const MESH_NEEDS_IN_CLUSTER =
  "a mesh port is observed only from inside the cluster (k8s scan --in-cluster dials the Pod IP): port-forward reaches the application on the Pod's loopback, behind the sidecar";

/**
 * Istio: every port of every meshed Pod, with the mode its policies declare. Policies undefined: they
 * could not be read (403), and the declared mode is unknown: the targets carry that problem.
 */
export function istioTargets(
  snap: NamespaceSnapshot,
  policies: PeerAuthentication[] | undefined,
  rootPolicies: PeerAuthentication[] | undefined,
  rootNamespace = ISTIO_ROOT_NAMESPACE,
): ServiceTarget[] {
  const out: ServiceTarget[] = [];
  for (const pod of (snap.pods ?? []).filter(istioMeshed)) {
    for (const p of appPorts(pod, 'istio-proxy')) {
      if (!policies || !rootPolicies) {
        const unread = !policies ? snap.namespace : rootNamespace;
        out.push({
          ...meshTarget(snap, pod, p, {
            kind: 'Pod',
            namespace: snap.namespace,
            name: pod.metadata.name,
            section: `port ${p.port} of pod ${pod.metadata.name}`,
          }),
          problem: `the PeerAuthentications of namespace ${unread} may not be read (see k8s.rbac): the mTLS mode declared for this port is unknown`,
        });
        continue;
      }
      const d = effectiveMode(pod, p.port, policies, rootPolicies);
      const where = d.policy
        ? { namespace: d.policy.metadata.namespace ?? snap.namespace, name: d.policy.metadata.name }
        : { namespace: rootNamespace, name: 'default' };
      out.push(
        meshTarget(snap, pod, p, {
          kind: 'PeerAuthentication',
          ...where,
          section: `port ${p.port} of pod ${pod.metadata.name}`,
          declared: { 'mtls.mode': d.mode, field: d.policy ? d.field : 'none (Istio default PERMISSIVE)' },
          fixes: {
            'require-client-cert': d.policy
              ? `set ${d.field}: STRICT in PeerAuthentication ${where.namespace}/${where.name}`
              : `create a PeerAuthentication with spec.mtls.mode: STRICT (namespace ${snap.namespace}, or ${rootNamespace} for the whole mesh)`,
          },
        }),
      );
    }
  }
  return out;
}

const LINKERD = {
  inject: 'linkerd.io/inject',
  policy: 'config.linkerd.io/default-inbound-policy',
  skip: 'config.linkerd.io/skip-inbound-ports',
  opaque: 'config.linkerd.io/opaque-ports',
} as const;

/** The namespace of Linkerd Pods as read for its annotations: absent when not needed, `forbidden` when the scan may not get it. */
export type LinkerdNamespace = { annotations?: Record<string, string> } | 'forbidden' | undefined;

/** True when a Linkerd Pod of the namespace has no inbound policy of its own: its namespace's annotation decides. */
export function linkerdNeedsNamespace(snap: NamespaceSnapshot): boolean {
  return (snap.pods ?? []).some((p) => linkerdMeshed(p) && p.metadata.annotations?.[LINKERD.policy] === undefined);
}

const linkerdMeshed = (pod: Pod) => (pod.spec?.containers ?? []).some((c) => c.name === 'linkerd-proxy');

/**
 * Linkerd, from the annotations (the proxy injector's output: a `linkerd-proxy` container): the
 * Pod's `default-inbound-policy`, else its namespace's, else the install's default (taken as
 * Linkerd's `all-unauthenticated`: `proxy.defaultInboundPolicy` of linkerd-config is not read).
 * `all-authenticated` declares STRICT (only meshed, mTLS clients); `deny` also refuses plaintext;
 * the `*-unauthenticated` policies accept plaintext (PERMISSIVE); a port in `skip-inbound-ports`
 * bypasses the proxy (DISABLE). A namespace the scan may not read leaves the mode of its
 * unannotated Pods unknown (never guessed). Server and AuthorizationPolicy objects are not read.
 */
export function linkerdTargets(snap: NamespaceSnapshot, namespace?: LinkerdNamespace): ServiceTarget[] {
  const out: ServiceTarget[] = [];
  for (const pod of (snap.pods ?? []).filter(linkerdMeshed)) {
    const ann = pod.metadata.annotations ?? {};
    const own = ann[LINKERD.policy]?.trim();
    const fromNs = namespace && namespace !== 'forbidden' ? namespace.annotations?.[LINKERD.policy]?.trim() : undefined;
    const policy = own ?? fromNs ?? 'all-unauthenticated';
    const skipped = new Set((ann[LINKERD.skip] ?? '').split(',').map((s) => s.trim()));
    for (const p of appPorts(pod, 'linkerd-proxy')) {
      const bypass = skipped.has(String(p.port));
      const section = `port ${p.port} of pod ${pod.metadata.name}`;
      if (!bypass && own === undefined && namespace === 'forbidden') {
        out.push({
          ...meshTarget(snap, pod, p, { kind: 'Pod', namespace: snap.namespace, name: pod.metadata.name, section }),
          problem: `the Pod has no ${LINKERD.policy} annotation and namespace ${snap.namespace} may not be read for its own (see k8s.rbac): the inbound policy declared for this port is unknown`,
        });
        continue;
      }
      const mode: MtlsMode = bypass ? 'DISABLE' : policy === 'all-authenticated' || policy === 'deny' ? 'STRICT' : 'PERMISSIVE';
      const onNamespace = !bypass && own === undefined && fromNs !== undefined;
      const field = bypass
        ? `annotation ${LINKERD.skip}`
        : own !== undefined || onNamespace
          ? `annotation ${LINKERD.policy}: ${policy}`
          : `none on the Pod or namespace ${snap.namespace} (Linkerd's default all-unauthenticated; the install's proxy.defaultInboundPolicy is not read)`;
      out.push(
        meshTarget(snap, pod, p, {
          ...(onNamespace
            ? { kind: 'Namespace', namespace: snap.namespace, name: snap.namespace }
            : { kind: 'Pod', namespace: snap.namespace, name: pod.metadata.name }),
          section,
          declared: { 'mtls.mode': mode, field },
          fixes: {
            'require-client-cert': bypass
              ? `remove port ${p.port} from the ${LINKERD.skip} annotation`
              : onNamespace
                ? `set the ${LINKERD.policy}: all-authenticated annotation on namespace ${snap.namespace} (or on the Pod template)`
                : `set the ${LINKERD.policy}: all-authenticated annotation (on the Pod template or its namespace)`,
          },
        }),
      );
    }
  }
  return out;
}
