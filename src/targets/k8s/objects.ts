// The few fields of Kubernetes objects the scan reads, as the API serves them (JSON, camelCase).
// Plain interfaces rather than @kubernetes/client-node's models: the audit runs on recorded objects
// too, and only src/targets/k8s/api.ts may load client-node.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
}

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  appProtocol?: string;
}

export interface Service {
  metadata: ObjectMeta;
  spec?: { type?: string; selector?: Record<string, string>; ports?: ServicePort[]; clusterIP?: string };
}

export interface Endpoints {
  metadata: ObjectMeta;
  subsets?: {
    addresses?: { ip?: string; targetRef?: { kind?: string; name?: string; namespace?: string } }[];
    notReadyAddresses?: unknown[];
    ports?: { name?: string; port: number; protocol?: string }[];
  }[];
}

/** discovery.k8s.io/v1 EndpointSlice (label kubernetes.io/service-name: its Service). */
export interface EndpointSlice {
  metadata: ObjectMeta;
  addressType?: string;
  endpoints?: {
    addresses?: string[];
    /** `ready` absent: to be read as ready (the API's compatibility rule). */
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    targetRef?: { kind?: string; name?: string; namespace?: string };
  }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface Volume {
  name: string;
  secret?: { secretName?: string; defaultMode?: number; items?: KeyToPath[]; optional?: boolean };
  projected?: { defaultMode?: number; sources?: { secret?: { name?: string; items?: KeyToPath[]; optional?: boolean } }[] };
}

export interface Container {
  name: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name?: string; key?: string; optional?: boolean } } }[];
  envFrom?: { secretRef?: { name?: string; optional?: boolean } }[];
}

export interface Pod {
  metadata: ObjectMeta;
  spec?: { containers?: Container[]; initContainers?: Container[]; volumes?: Volume[]; securityContext?: { fsGroup?: number } };
  status?: { phase?: string; conditions?: { type: string; status: string }[]; podIP?: string };
}

export interface Secret {
  metadata: ObjectMeta;
  type?: string;
  /** base64 values. */
  data?: Record<string, string>;
}

export interface ConfigMap {
  metadata: ObjectMeta;
  data?: Record<string, string>;
  /** base64 values. */
  binaryData?: Record<string, string>;
}

/** cert-manager.io/v1 Certificate. */
export interface Certificate {
  metadata: ObjectMeta;
  spec?: {
    secretName?: string;
    dnsNames?: string[];
    duration?: string;
    renewBefore?: string;
    renewBeforePercentage?: number;
    issuerRef?: { name?: string; kind?: string };
  };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; notAfter?: string; renewalTime?: string };
}

/** What the scan may not read: a 403 from the API server, with what was refused. */
export interface Forbidden {
  verb: string;
  resource: string;
  /** API group ("" for the core group). */
  group: string;
  namespace?: string;
  /** The API server's Status message. */
  message: string;
}

/** The objects of one namespace as read (each list absent when it could not be read). */
export interface NamespaceSnapshot {
  namespace: string;
  services?: Service[];
  endpoints?: Endpoints[];
  /** Absent when not served (404) or forbidden: Endpoints are read instead. */
  endpointSlices?: EndpointSlice[];
  pods?: Pod[];
  secrets?: Secret[];
  configMaps?: ConfigMap[];
  /** Absent when forbidden; empty when cert-manager is not installed. */
  certificates?: Certificate[];
  /** cert-manager's CRD is not served (404): no Certificate objects to audit. */
  certManagerMissing?: boolean;
}

/** Is the Pod Ready (condition Ready=True) and Running? */
export function podReady(p: Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Every container of a Pod (init containers too: they mount the same volumes). */
export function podContainers(p: Pod): Container[] {
  return [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])];
}

/** `kind/namespace/name`, the target name of an audited object. */
export function objectRef(kind: string, meta: ObjectMeta, namespace?: string): string {
  return `${kind}/${meta.namespace ?? namespace ?? ''}/${meta.name}`;
}

/** A Service's in-cluster DNS name. */
export function serviceFqdn(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.cluster.local`;
}

/** Does the selector match the labels (equality-based, as a Service selector)? */
export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}
