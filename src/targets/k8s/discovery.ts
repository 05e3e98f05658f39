// Services → probe targets: which ports, which protocol and name, and which ready Pod serves each
// port (EndpointSlices, else Endpoints: they carry the resolved port; else the selector's Pods and the named port).
import { isProtocol, PROTOCOLS, type Protocol, type TargetOrigin } from '../../core/target.js';
import { PROTOCOL_MODULES, type ProtocolModule } from '../../probe/protocols/index.js';
import { hostNameProblem } from '../../config/validate.js';
import { safeText } from '../../core/text.js';
import { sliceBackend } from './endpointslices.js';
import { objectRef, podReady, selectorMatches, serviceFqdn, type NamespaceSnapshot, type Service, type ServicePort } from './objects.js';

export const ANNOTATIONS = {
  enabled: 'mtls-harness/enabled',
  servername: 'mtls-harness/servername',
  protocol: 'mtls-harness/protocol',
  ports: 'mtls-harness/ports',
  expectedNames: 'mtls-harness/expected-names',
} as const;

export interface ServiceTarget {
  namespace: string;
  service: string;
  port: ServicePort;
  /** `service/ns/name:port`. */
  name: string;
  /** `name.ns.svc.cluster.local`. */
  fqdn: string;
  servername: string;
  expectedNames: string[];
  /** From the annotation, appProtocol, the port's name or number; undefined: detected when probed (probe/detect.ts). */
  protocol?: Protocol;
  /** The ready Pod and its port the Service port leads to, or why there is none. */
  pod?: { name: string; port: number };
  problem?: string;
  /** A mesh sidecar's port (targets/k8s/mesh.ts): only dialling the Pod IP shows what the mesh's peers see. */
  mesh?: true;
  /** The object (and part of it) the target comes from; verdicts and fixes are tied to it. */
  origin: TargetOrigin;
  /** Only these checks apply (core/target.ts TargetConfig.scope). */
  scope?: { checks: readonly string[]; why: string };
  /** The client CA the object declares (a Gateway's caCertificateRefs): the crafted checks' names. */
  clientCaPem?: string;
  /** Dialled directly, not through a Pod (a Gateway's status address that answered). */
  direct?: { host: string; port: number; via: string };
}

export interface Skipped {
  service: string;
  reason: string;
}

const PLAIN_HTTP_NAME = /^(http|h2c|metrics|health|healthz)(-.*)?$/;
const PLAIN_APP_PROTOCOL = new Set(['http', 'kubernetes.io/h2c', 'h2c']);

function protocolOf(svc: Service, p: ServicePort): ServiceTarget['protocol'] | { invalid: string } | undefined {
  const a = svc.metadata.annotations?.[ANNOTATIONS.protocol]?.trim().toLowerCase();
  if (a) return isProtocol(a) ? a : { invalid: a };
  if (p.appProtocol === 'grpc' || /^grpc($|-)/.test(p.name ?? '')) return 'grpc';
  // A database or broker port, by what the Service says of it (appProtocol, the port's name), then
  // by its well-known number: PostgreSQL, MySQL/MariaDB, Redis and MQTT speak their own protocol
  // around TLS, and probing them as HTTPS would judge nothing (docs/protocols.md).
  for (const [protocol, names] of BY_NAME) if (names.test(p.appProtocol ?? '') || names.test(p.name ?? '')) return protocol;
  for (const [protocol, ports] of BY_PORT) if (ports.includes(p.port)) return protocol;
  // Nothing says: decided from what the server does through the port-forward (probe/detect.ts).
  return undefined;
}

/**
 * Port names and appProtocol values of the protocols other than HTTPS (the registry's
 * `detection.names`; a `-suffix` allowed: `postgres-tls`), then their well-known ports
 * (`defaultPorts`), for a port that says nothing else: the same hints as auto-detection.
 */
const SPECIFIC = (Object.values(PROTOCOL_MODULES) as ProtocolModule[]).filter((m) => m.name !== 'https' && m.name !== 'grpc' && m.name !== 'tls');
const BY_NAME: readonly (readonly [Protocol, RegExp])[] = SPECIFIC.filter((m) => m.detection?.names?.length).map(
  (m) => [m.name, new RegExp(`^(${m.detection!.names!.map((n) => n.replace(/[^a-z0-9]/gi, '\\$&')).join('|')})($|-)`, 'i')] as const,
);
const BY_PORT: readonly (readonly [Protocol, readonly number[]])[] = SPECIFIC.map((m) => [m.name, m.defaultPorts] as const);

/** Which ports of a Service to probe: the annotation's list, else every TCP port (plaintext ones scoped to reject.plaintext). */
function portsOf(svc: Service): { probe: ServicePort[]; skipped: string[] } {
  const tcp = (svc.spec?.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
  const listed = svc.metadata.annotations?.[ANNOTATIONS.ports];
  if (listed) {
    const want = new Set(
      listed
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    return {
      probe: tcp.filter((p) => want.has(String(p.port)) || (p.name !== undefined && want.has(p.name))),
      skipped: tcp
        .filter((p) => !(want.has(String(p.port)) || (p.name !== undefined && want.has(p.name))))
        .map((p) => `${p.name ?? p.port}: not in ${ANNOTATIONS.ports}`),
    };
  }
  return { probe: tcp, skipped: [] };
}

/** A port named or declared as plaintext HTTP (`http`, `h2c`, appProtocol `http`/`kubernetes.io/h2c`). */
const plainPort = (p: ServicePort) => PLAIN_HTTP_NAME.test(p.name ?? '') || PLAIN_APP_PROTOCOL.has(p.appProtocol ?? '');
/** A plaintext port has no TLS to judge: only whether it serves plaintext. */
export const PLAINTEXT_SCOPE = { checks: ['reject.plaintext'], why: 'a plaintext port: only reject.plaintext applies' } as const;

/** The ready Pod and container port behind one Service port. */
export function backendOf(snap: NamespaceSnapshot, svc: Service, p: ServicePort): { pod: { name: string; port: number } } | { problem: string } {
  const ref = objectRef('service', svc.metadata, snap.namespace);
  const fromSlice = sliceBackend(snap, svc, p);
  if (fromSlice) return { pod: fromSlice };
  const ep = (snap.endpoints ?? []).find((e) => e.metadata.name === svc.metadata.name);
  for (const subset of ep?.subsets ?? []) {
    const port = (subset.ports ?? []).find((x) => (p.name ? x.name === p.name : true) && (x.protocol ?? 'TCP') === 'TCP');
    const addr = (subset.addresses ?? []).find((a) => a.targetRef?.kind === 'Pod' && a.targetRef.name);
    if (port && addr) return { pod: { name: addr.targetRef!.name!, port: port.port } };
  }
  // No Endpoints (not readable, or not yet written): the selector's ready Pods and the target port.
  const selected = (snap.pods ?? []).filter((pod) => selectorMatches(svc.spec?.selector, pod.metadata.labels));
  if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0)
    return { problem: `${ref} has no selector and no Endpoints with a Pod: nothing to port-forward to` };
  const ready = selected.filter(podReady);
  if (ready.length === 0) return { problem: `no ready Pod behind ${ref} (${selected.length} Pod(s) selected, none Running and Ready)` };
  const tp = p.targetPort ?? p.port;
  for (const pod of ready) {
    if (typeof tp === 'number') return { pod: { name: pod.metadata.name, port: tp } };
    if (/^\d+$/.test(tp)) return { pod: { name: pod.metadata.name, port: Number(tp) } };
    for (const c of pod.spec?.containers ?? []) {
      const cp = (c.ports ?? []).find((x) => x.name === tp);
      if (cp) return { pod: { name: pod.metadata.name, port: cp.containerPort } };
    }
  }
  return { problem: `${ref} port ${p.name ?? p.port} targets the named port "${tp}", which no ready Pod declares` };
}

/** Probe targets of a namespace's Services (already filtered by selector / --service). */
export function discoverTargets(snap: NamespaceSnapshot, services: Service[]): { targets: ServiceTarget[]; skipped: Skipped[] } {
  const targets: ServiceTarget[] = [];
  const skipped: Skipped[] = [];
  for (const svc of services) {
    const ref = objectRef('service', svc.metadata, snap.namespace);
    const ann = svc.metadata.annotations ?? {};
    if (ann[ANNOTATIONS.enabled]?.trim().toLowerCase() === 'false') {
      skipped.push({ service: ref, reason: `${ANNOTATIONS.enabled}: "false"` });
      continue;
    }
    if (svc.spec?.type === 'ExternalName') {
      skipped.push({ service: ref, reason: 'type ExternalName (no Pods in this cluster)' });
      continue;
    }
    const { probe, skipped: skippedPorts } = portsOf(svc);
    for (const s of skippedPorts) skipped.push({ service: ref, reason: `port ${s}` });
    const fqdn = serviceFqdn(svc.metadata.name, snap.namespace);
    const annotated = ann[ANNOTATIONS.servername]?.trim();
    // Validated here, where it enters: a bad name (CR/LF would reach the Host header) is that Service's problem.
    const nameProblem = annotated ? hostNameProblem(annotated) : undefined;
    const servername = (!nameProblem && annotated) || fqdn;
    const expected = (ann[ANNOTATIONS.expectedNames] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const p of probe) {
      const protocol = protocolOf(svc, p);
      const base = {
        namespace: snap.namespace,
        service: svc.metadata.name,
        port: p,
        name: `${ref}:${p.port}`,
        fqdn,
        servername,
        expectedNames: [...new Set([...(servername !== fqdn ? [fqdn] : []), ...expected])],
        origin: { kind: 'Service', namespace: snap.namespace, name: svc.metadata.name, section: `port ${p.name ? `${p.name} (${p.port})` : p.port}` },
      };
      if (nameProblem) {
        targets.push({
          ...base,
          protocol: 'https',
          problem: `${ref}: ${ANNOTATIONS.servername} "${safeText(annotated!, 80)}" is not a valid host name (${nameProblem})`,
        });
        continue;
      }
      if (typeof protocol === 'object') {
        targets.push({
          ...base,
          protocol: 'https',
          problem: `${ref}: ${ANNOTATIONS.protocol} "${safeText(protocol.invalid, 80)}" is not one of ${PROTOCOLS.join(', ')}`,
        });
        continue;
      }
      const b = backendOf(snap, svc, p);
      const reach = 'pod' in b ? { pod: b.pod } : { problem: b.problem };
      // A port named or declared as plaintext HTTP: probed for plaintext only (h2c gRPC too, when annotated so).
      if (plainPort(p)) targets.push({ ...base, protocol: protocol ?? 'https', ...reach, scope: PLAINTEXT_SCOPE });
      else targets.push({ ...base, protocol, ...reach });
    }
  }
  return { targets, skipped };
}
