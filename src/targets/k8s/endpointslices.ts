// EndpointSlices (discovery.k8s.io/v1) as the source of a Service port's backend Pod, as kube-proxy
// reads them: the slices labelled kubernetes.io/service-name=<Service>, an endpoint whose
// conditions.ready is true (absent: ready), a Pod targetRef, and the slice port of the Service
// port's name ("" for an unnamed port). Endpoints are the fallback (discovery.ts) when slices are
// not served or may not be read.
import type { EndpointSlice, NamespaceSnapshot, Service, ServicePort } from './objects.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The slices of one Service. */
export function slicesOf(slices: readonly EndpointSlice[], svc: Service): EndpointSlice[] {
  return slices.filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name);
}

/**
 * The ready Pod and its port behind a Service port by the namespace's EndpointSlices; undefined when
 * the slices name none (no slice, no ready Pod endpoint, or no port of that name).
 */
export function sliceBackend(snap: NamespaceSnapshot, svc: Service, p: ServicePort): { name: string; port: number } | undefined {
  for (const slice of slicesOf(snap.endpointSlices ?? [], svc)) {
    const port = (slice.ports ?? []).find((x) => (x.name ?? '') === (p.name ?? '') && (x.protocol ?? 'TCP') === 'TCP' && typeof x.port === 'number');
    if (!port) continue;
    const ep = (slice.endpoints ?? []).find((e) => e.conditions?.ready !== false && e.targetRef?.kind === 'Pod' && e.targetRef.name);
    if (ep) return { name: ep.targetRef!.name!, port: port.port! };
  }
  return undefined;
}
