// Reads what `k8s scan` needs from the API, namespace by namespace, turning each 403 into a
// Forbidden (the scan goes on with what it may read), and checks port-forward access up front.
import { PassThrough } from 'node:stream';
import type { KubeApi, Listed } from './api.js';
import type { EndpointSlice, Forbidden, NamespaceSnapshot, Service } from './objects.js';

export interface ReadOptions {
  /** Services to probe: label selector (`-l`) and names (`--service`); the audit covers the whole namespace. */
  labelSelector?: string | undefined;
  serviceNames?: string[] | undefined;
  /** Skip the reads only the audit needs (secrets, configmaps, certificates) when no audit check is selected. */
  audit: boolean;
}

export interface NamespaceRead {
  snapshot: NamespaceSnapshot;
  /** The Services to probe (selector and names applied). */
  services: Service[];
  forbidden: Forbidden[];
}

function take<T>(r: Listed<T>, forbidden: Forbidden[]): T[] | undefined {
  if ('items' in r) return r.items;
  if ('forbidden' in r) forbidden.push(r.forbidden);
  return undefined;
}

/** The namespaces to scan: the flags', or every namespace (`--all-namespaces`, needs list namespaces). */
export async function namespacesToScan(api: KubeApi, o: { namespaces: string[]; all: boolean }): Promise<{ namespaces: string[]; forbidden: Forbidden[] }> {
  if (!o.all) return { namespaces: o.namespaces.length > 0 ? [...new Set(o.namespaces)] : [api.source.namespace], forbidden: [] };
  const r = await api.listNamespaces();
  if ('items' in r) return { namespaces: r.items.map((n) => n.metadata.name).sort(), forbidden: [] };
  return { namespaces: [], forbidden: 'forbidden' in r ? [r.forbidden] : [] };
}

/** Reads one namespace. The Service list goes first: an unreachable API server fails there (exit 2). */
export async function readNamespace(api: KubeApi, namespace: string, o: ReadOptions): Promise<NamespaceRead> {
  const forbidden: Forbidden[] = [];
  const all = take(await api.listServices(namespace), forbidden);
  const [slices, pods, secrets, configMaps, certs] = await Promise.all([
    api.listObjects<EndpointSlice>('endpointslices', namespace),
    api.listPods(namespace),
    o.audit ? api.listSecrets(namespace) : Promise.resolve(undefined),
    o.audit ? api.listConfigMaps(namespace) : Promise.resolve(undefined),
    o.audit ? api.listCertificates(namespace) : Promise.resolve(undefined),
  ]);
  const snapshot: NamespaceSnapshot = { namespace };
  if (all) snapshot.services = all;
  // EndpointSlices name each Service's backends; Endpoints only where slices are not served (404) or forbidden.
  const sl = 'notFound' in slices ? undefined : take(slices, forbidden);
  if (sl) snapshot.endpointSlices = sl;
  else {
    const ep = take(await api.listEndpoints(namespace), forbidden);
    if (ep) snapshot.endpoints = ep;
  }
  const p = take(pods, forbidden);
  if (p) snapshot.pods = p;
  if (secrets) {
    const s = take(secrets, forbidden);
    if (s) snapshot.secrets = s;
  }
  if (configMaps) {
    const c = take(configMaps, forbidden);
    if (c) snapshot.configMaps = c;
  }
  if (certs) {
    // 404: cert-manager's CRD is not installed; nothing to audit there.
    if ('notFound' in certs) {
      snapshot.certificates = [];
      snapshot.certManagerMissing = true;
    } else {
      const c = take(certs, forbidden);
      if (c) snapshot.certificates = c;
    }
  }
  let services = all ?? [];
  if (o.labelSelector) {
    const r = await api.listServices(namespace, o.labelSelector);
    services = 'items' in r ? r.items : [];
  }
  if (o.serviceNames?.length) services = services.filter((s) => o.serviceNames!.includes(s.metadata.name));
  return { snapshot, services, forbidden };
}

/**
 * Opens and closes one port-forward stream: a 403 on the upgrade (no `create pods/portforward`) is
 * a Forbidden; any other failure to open is the target's problem. Nothing is sent to the Pod.
 */
export async function checkForward(
  api: KubeApi,
  namespace: string,
  pod: string,
  port: number,
): Promise<{ ok: true } | { forbidden: Forbidden } | { problem: string }> {
  const dummy = new PassThrough();
  try {
    const stream = await api.portForward(namespace, pod, port, dummy, () => undefined);
    stream.close();
    return { ok: true };
  } catch (e) {
    const msg = ((e as { message?: string }).message ?? String(e)).split('\n')[0]!;
    const status = /Unexpected server response: (\d+)/.exec(msg)?.[1];
    if (status === '403')
      return {
        forbidden: { verb: 'create', resource: 'pods/portforward', group: '', namespace, message: `port-forward to pod ${namespace}/${pod} refused (403)` },
      };
    return { problem: `port-forward to pod ${namespace}/${pod} port ${port} could not be opened: ${status ? `the API server answered ${status}` : msg}` };
  } finally {
    dummy.destroy();
  }
}
