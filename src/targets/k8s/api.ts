// The only module that loads @kubernetes/client-node (with `await import()`, so no other command pays
// for it): kubeconfig loading as kubectl does it, the list/get calls of the scan with 403s turned into
// data, and port-forward streams.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Duplex, Writable } from 'node:stream';
import { HarnessError } from '../../core/errors.js';
import { readInputFile } from '../../io/files.js';
import { importOptional } from '../../io/optional.js';
import { safeText } from '../../core/text.js';
import type { Certificate, ConfigMap, Endpoints, Forbidden, Pod, Secret, Service } from './objects.js';

type ClientNode = typeof import('@kubernetes/client-node');
type KubeConfig = import('@kubernetes/client-node').KubeConfig;

/** Where the API credentials came from, for messages and the report header. */
export interface KubeSource {
  /** `--kubeconfig FILE`, `KUBECONFIG`, `~/.kube/config`, or `in-cluster service account`. */
  from: string;
  context: string;
  server: string;
  /** The context's namespace, else `default` (kubectl's rule). */
  namespace: string;
}

export interface LoadKubeOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** Use the Pod's service account (the harness runs as a Job in the cluster). */
  inCluster?: boolean | undefined;
  env: NodeJS.ProcessEnv;
}

/** The service account files of a Pod (MTLS_K8S_SERVICEACCOUNT_DIR overrides, for tests). */
function serviceAccountDir(env: NodeJS.ProcessEnv): string {
  return env.MTLS_K8S_SERVICEACCOUNT_DIR ?? '/var/run/secrets/kubernetes.io/serviceaccount';
}

const NO_CLUSTER = 'no Kubernetes cluster configured';

/**
 * Loads credentials with kubectl's rules: `--kubeconfig`, else every file of `KUBECONFIG` (merged, the
 * first one's current context winning), else `~/.kube/config`, else the Pod's service account. Unlike
 * kubectl there is no fallback to http://localhost:8080: no configuration is exit 2 with one line.
 */
/**
 * The namespace file of a mounted service account: a regular file of at most 4 KiB holding one
 * namespace name (RFC 1123 label, at most 63 characters); anything else is exit 2 naming the file.
 */
function serviceAccountNamespace(file: string): string {
  const text = readInputFile(file, 'service account namespace file', 4096, 'k8s.no-cluster').toString('utf8').trim();
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(text))
    throw new HarnessError(
      'k8s.no-cluster',
      `${NO_CLUSTER}: the service account namespace file ${file} does not hold a namespace name ("${safeText(text, 80)}")`,
    );
  return text;
}

async function loadKubeConfig(k: ClientNode, o: LoadKubeOptions): Promise<{ kc: KubeConfig; from: string }> {
  const kc = new k.KubeConfig();
  const load = (file: string, into: KubeConfig) => {
    try {
      into.loadFromFile(file);
    } catch (e) {
      throw new HarnessError('k8s.no-cluster', `${NO_CLUSTER}: cannot read kubeconfig ${file}: ${safeText((e as Error).message.split('\n')[0] ?? '', 200)}`);
    }
  };
  const inCluster = () => {
    const dir = serviceAccountDir(o.env);
    const host = o.env.KUBERNETES_SERVICE_HOST;
    const port = o.env.KUBERNETES_SERVICE_PORT ?? '443';
    if (!host || !existsSync(path.join(dir, 'token'))) return false;
    const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const nsFile = path.join(dir, 'namespace');
    const namespace = existsSync(nsFile) ? serviceAccountNamespace(nsFile) : undefined;
    kc.loadFromOptions({
      clusters: [{ name: 'in-cluster', server, caFile: path.join(dir, 'ca.crt'), skipTLSVerify: false }],
      users: [{ name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile: path.join(dir, 'token') } } }],
      contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', ...(namespace ? { namespace } : {}) }],
      currentContext: 'in-cluster',
    });
    return true;
  };
  if (o.inCluster && !o.kubeconfig) {
    if (!inCluster())
      throw new HarnessError(
        'k8s.no-cluster',
        `${NO_CLUSTER}: --in-cluster needs KUBERNETES_SERVICE_HOST and a service account token at ${path.join(serviceAccountDir(o.env), 'token')} (is automountServiceAccountToken off?)`,
      );
    return { kc, from: 'in-cluster service account' };
  }
  if (o.kubeconfig) {
    if (!existsSync(o.kubeconfig)) throw new HarnessError('k8s.no-cluster', `${NO_CLUSTER}: --kubeconfig ${o.kubeconfig} does not exist`);
    load(o.kubeconfig, kc);
    return { kc, from: `--kubeconfig ${o.kubeconfig}` };
  }
  const list = o.env.KUBECONFIG;
  if (list !== undefined && list !== '') {
    const files = list.split(path.delimiter).filter((f) => f && existsSync(f));
    if (files.length === 0) throw new HarnessError('k8s.no-cluster', `${NO_CLUSTER}: none of the files in KUBECONFIG exists (${safeText(list, 200)})`);
    load(files[0]!, kc);
    for (const f of files.slice(1)) {
      const more = new k.KubeConfig();
      load(f, more);
      kc.mergeConfig(more, true);
    }
    return { kc, from: `KUBECONFIG ${files.join(path.delimiter)}` };
  }
  const home = o.env.HOME;
  const file = home ? path.join(home, '.kube', 'config') : undefined;
  if (file && existsSync(file)) {
    load(file, kc);
    return { kc, from: file };
  }
  if (inCluster()) return { kc, from: 'in-cluster service account' };
  throw new HarnessError(
    'k8s.no-cluster',
    `${NO_CLUSTER}: no --kubeconfig, KUBECONFIG is not set, ${file ?? '~/.kube/config'} does not exist and this is not a Pod with a service account`,
  );
}

/**
 * The resources the scan lists, with their RBAC group (docs/k8s.md "RBAC") and, for the API groups
 * other than core, the version listed (`listObjects`). deploy/role.yaml grants exactly these reads.
 */
export const RESOURCES = {
  namespaces: { group: '' },
  services: { group: '' },
  endpoints: { group: '' },
  pods: { group: '' },
  secrets: { group: '' },
  configmaps: { group: '' },
  certificates: { group: 'cert-manager.io', version: 'v1' },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1' },
  ingresses: { group: 'networking.k8s.io', version: 'v1' },
  gateways: { group: 'gateway.networking.k8s.io', version: 'v1' },
  httproutes: { group: 'gateway.networking.k8s.io', version: 'v1' },
  tlsroutes: { group: 'gateway.networking.k8s.io', version: 'v1alpha2' },
  peerauthentications: { group: 'security.istio.io', version: 'v1' },
  /** Cluster-scoped (a Role cannot grant it): `get` of an Ingress's class, to tell whether ingress-nginx serves it. */
  ingressclasses: { group: 'networking.k8s.io', version: 'v1', cluster: true },
} as const satisfies Record<string, { group: string; version?: string; cluster?: true }>;
export type ResourceName = keyof typeof RESOURCES;
/** The resources of an API group other than core: listed by `listObjects`. */
export type GroupResource = { [K in ResourceName]: (typeof RESOURCES)[K] extends { version: string } ? K : never }[ResourceName];

/** A list call's answer: the items, or a 403 as data (the scan goes on with what it may read). */
export type Listed<T> = { items: T[] } | { forbidden: Forbidden } | { notFound: true };

export interface KubeApi {
  readonly source: KubeSource;
  listNamespaces(): Promise<Listed<{ metadata: { name: string } }>>;
  listServices(ns: string, labelSelector?: string): Promise<Listed<Service>>;
  listEndpoints(ns: string): Promise<Listed<Endpoints>>;
  listPods(ns: string): Promise<Listed<Pod>>;
  listSecrets(ns: string): Promise<Listed<Secret>>;
  listConfigMaps(ns: string): Promise<Listed<ConfigMap>>;
  listCertificates(ns: string): Promise<Listed<Certificate>>;
  /**
   * The objects of a resource of an API group (RESOURCES: group and version) in a namespace, as the
   * API serves them; 404 (`notFound`) when the cluster does not serve that resource (its CRD is not
   * installed), 403 as data.
   */
  listObjects<T>(resource: GroupResource, ns: string, version?: string): Promise<Listed<T>>;
  getSecret(ns: string, name: string): Promise<{ item: Secret } | { forbidden: Forbidden } | { notFound: true }>;
  /** One IngressClass (cluster-scoped): its `spec.controller` says which controller serves its Ingresses. */
  getIngressClass(
    name: string,
  ): Promise<{ item: { metadata: { name: string }; spec?: { controller?: string } } } | { forbidden: Forbidden } | { notFound: true }>;
  /** One namespace object (its annotations: Linkerd's namespace-wide policy); cluster-scoped: a Role cannot grant it. */
  getNamespace(
    name: string,
  ): Promise<{ item: { metadata: { name: string; annotations?: Record<string, string> } } } | { forbidden: Forbidden } | { notFound: true }>;
  /**
   * Forwards one local connection to a Pod's port (the port-forward WebSocket, v4.channel.k8s.io):
   * bytes from `socket` go to the Pod, the Pod's bytes to `socket`; text on the error channel goes
   * to `onError`. Resolves once the stream is open; `close()` ends it.
   */
  portForward(
    ns: string,
    pod: string,
    port: number,
    socket: Duplex,
    onError: (text: string) => void,
  ): Promise<{ close(): void; onClose(fn: () => void): void }>;
}

/** How long one API call may take before the server is called unreachable. */
const API_TIMEOUT_MS = 15_000;

/** The API server's Status message from an ApiException body (JSON text or object). */
function statusMessage(body: unknown): string | undefined {
  let b = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch {
      return safeText(b as string, 300);
    }
  }
  const m = (b as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? safeText(m, 400) : undefined;
}

function errnoOf(e: unknown): string | undefined {
  const x = e as { code?: unknown; cause?: { code?: unknown }; errno?: unknown };
  const c = typeof x.code === 'string' ? x.code : typeof x.cause?.code === 'string' ? x.cause.code : undefined;
  return c;
}

/** Connects to the cluster the loading rules name. Nothing is requested yet. */
export async function connectKube(o: LoadKubeOptions): Promise<KubeApi> {
  const k = await importOptional('@kubernetes/client-node', () => import('@kubernetes/client-node'));
  const { kc, from } = await loadKubeConfig(k, o);
  if (o.context) {
    if (!kc.getContextObject(o.context))
      throw new HarnessError(
        'usage.invalid-value',
        `k8s: no context "${o.context}" in ${from}; contexts: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        }`,
      );
    kc.setCurrentContext(o.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new HarnessError('k8s.no-cluster', `${NO_CLUSTER}: the current context "${kc.getCurrentContext()}" of ${from} names no cluster`);
  // A credential plugin (exec:) runs now: its failure is one clear line, not an unreachable server.
  await (await import('./credentials.js')).checkCredentialPlugin(kc, from);
  const ctx = kc.getContextObject(kc.getCurrentContext());
  const source: KubeSource = { from, context: kc.getCurrentContext(), server: cluster.server, namespace: ctx?.namespace || 'default' };
  const core = kc.makeApiClient(k.CoreV1Api);
  const custom = kc.makeApiClient(k.CustomObjectsApi);
  const forwarder = new k.PortForward(kc, false);

  /** Runs one call; a 403 is data, 404 `notFound`; 401, TLS and network failures are exit-2 errors. */
  async function call<T>(
    verb: string,
    resource: ResourceName,
    ns: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T | { forbidden: Forbidden } | { notFound: true }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${API_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })), API_TIMEOUT_MS);
        }),
      ]);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (e instanceof k.ApiException || typeof code === 'number') {
        const status = code as number;
        const msg = statusMessage((e as { body?: unknown }).body);
        if (status === 403)
          return {
            forbidden: { verb, resource, group: RESOURCES[resource].group, ...(ns ? { namespace: ns } : {}), message: msg ?? `${resource} is forbidden` },
          };
        if (status === 404) return { notFound: true };
        if (status === 401)
          throw new HarnessError(
            'k8s.unauthorized',
            `the Kubernetes API server ${source.server} refused the credentials of context "${source.context}" (401 Unauthorized): log in again or renew the token`,
          );
        throw new HarnessError(
          'k8s.unreachable',
          `the Kubernetes API server ${source.server} answered ${status} to ${verb} ${resource}${ns ? ` in ${ns}` : ''}${msg ? `: ${msg}` : ''}`,
        );
      }
      const errno = errnoOf(e);
      const why = errno ?? safeText(((e as Error).message ?? String(e)).split('\n')[0]!, 200);
      throw new HarnessError('k8s.unreachable', `cannot reach the Kubernetes API server ${source.server} (context "${source.context}", from ${from}): ${why}`);
    } finally {
      clearTimeout(timer);
    }
  }
  const list = async <T>(verb: string, resource: ResourceName, ns: string | undefined, fn: () => Promise<{ items: unknown[] }>): Promise<Listed<T>> => {
    const r = await call(verb, resource, ns, fn);
    return 'items' in r ? { items: r.items as T[] } : r;
  };

  function listObjects<T>(resource: GroupResource, ns: string, version?: string): Promise<Listed<T>> {
    const { group, version: v } = RESOURCES[resource];
    return list<T>(
      'list',
      resource,
      ns,
      () => custom.listNamespacedCustomObject({ group, version: version ?? v, namespace: ns, plural: resource }) as Promise<{ items: unknown[] }>,
    );
  }

  return {
    source,
    listNamespaces: () => list('list', 'namespaces', undefined, () => core.listNamespace()),
    listServices: (ns, labelSelector) =>
      list('list', 'services', ns, () => core.listNamespacedService({ namespace: ns, ...(labelSelector ? { labelSelector } : {}) })),
    listEndpoints: (ns) => list('list', 'endpoints', ns, () => core.listNamespacedEndpoints({ namespace: ns })),
    listPods: (ns) => list('list', 'pods', ns, () => core.listNamespacedPod({ namespace: ns })),
    listSecrets: (ns) => list('list', 'secrets', ns, () => core.listNamespacedSecret({ namespace: ns })),
    listConfigMaps: (ns) => list('list', 'configmaps', ns, () => core.listNamespacedConfigMap({ namespace: ns })),
    listCertificates: (ns) => listObjects<Certificate>('certificates', ns),
    listObjects,
    async getSecret(ns, name) {
      const r = await call('get', 'secrets', ns, () => core.readNamespacedSecret({ namespace: ns, name }));
      return 'forbidden' in r || 'notFound' in r ? r : { item: r as unknown as Secret };
    },
    async getIngressClass(name) {
      const { group, version } = RESOURCES.ingressclasses;
      const r = await call('get', 'ingressclasses', undefined, () => custom.getClusterCustomObject({ group, version, plural: 'ingressclasses', name }));
      return 'forbidden' in r || 'notFound' in r ? r : { item: r as { metadata: { name: string }; spec?: { controller?: string } } };
    },
    async getNamespace(name) {
      const r = await call('get', 'namespaces', undefined, () => core.readNamespace({ name }));
      return 'forbidden' in r || 'notFound' in r ? r : { item: r as unknown as { metadata: { name: string; annotations?: Record<string, string> } } };
    },
    async portForward(ns, pod, port, socket, onError) {
      const err: Writable = new (await import('node:stream')).Writable({
        write(chunk: Buffer, _enc, cb) {
          if (chunk.length > 0) onError(chunk.toString('utf8'));
          cb();
        },
      });
      // portForward(ns, pod, ports, output, err, input): the socket is both ends.
      const ws = (await forwarder.portForward(ns, pod, [port], socket, err, socket)) as unknown as { close(): void; on(ev: 'close', fn: () => void): void };
      return { close: () => ws.close(), onClose: (fn) => ws.on('close', fn) };
    },
  };
}
