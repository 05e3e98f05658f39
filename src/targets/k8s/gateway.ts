// Gateway API objects (gateway.networking.k8s.io) as the API serves them, read namespace by namespace:
// Gateways (v1), TLSRoutes (v1, else v1alpha2), HTTPRoutes (v1), and the CA bundles their client
// certificate validation names (ConfigMap or Secret, key ca.crt). A cluster without the CRDs (404)
// has nothing to read; a 403 is a Forbidden (k8s.rbac) and the scan goes on.
import type { KubeApi, Listed } from './api.js';
import type { ConfigMap, Forbidden, ObjectMeta } from './objects.js';

/** A reference to another object (certificateRefs, caCertificateRefs, backendRefs). */
export interface ObjectRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
}

/** Client certificate validation: `caCertificateRefs` (v1.1+), `mode` (v1.4+; default AllowValidOnly). */
export interface FrontendValidation {
  caCertificateRefs?: ObjectRef[];
  mode?: string;
}

export interface Listener {
  name: string;
  port: number;
  protocol: string;
  hostname?: string;
  /** Which routes may attach: namespaces From Same (default), All or Selector; kinds (default: the protocol's). */
  allowedRoutes?: { namespaces?: { from?: string; selector?: { matchLabels?: Record<string, string> } }; kinds?: { group?: string; kind: string }[] };
  tls?: {
    mode?: string;
    certificateRefs?: ObjectRef[];
    /** v1.1–v1.3, experimental channel: per listener. */
    frontendValidation?: FrontendValidation;
  };
}

export interface Gateway {
  metadata: ObjectMeta;
  spec?: {
    gatewayClassName?: string;
    listeners?: Listener[];
    /** v1.4 (experimental), v1.5+ (standard): per Gateway, with per-port overrides. */
    tls?: { frontend?: { default?: { validation?: FrontendValidation }; perPort?: { port: number; tls?: { validation?: FrontendValidation } }[] } };
  };
  status?: { addresses?: { type?: string; value: string }[] };
}

export interface ParentRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
}

/** TLSRoute or HTTPRoute: only attachment, hostnames and backends are read. */
export interface Route {
  kind?: string;
  metadata: ObjectMeta;
  spec?: { parentRefs?: ParentRef[]; hostnames?: string[]; rules?: { backendRefs?: ObjectRef[] }[] };
}

export interface GatewayRead {
  namespace: string;
  gateways: Gateway[];
  tlsRoutes: Route[];
  httpRoutes: Route[];
  /** TLSRoutes could not be listed (403): a Passthrough listener's backend is unknown. */
  tlsRoutesForbidden?: boolean;
}

function take<T>(r: Listed<T>, forbidden: Forbidden[]): T[] {
  if ('items' in r) return r.items;
  if ('forbidden' in r) forbidden.push(r.forbidden);
  return [];
}

/** The Gateway API objects of one namespace; nothing (and no error) when the CRDs are not installed. */
export async function readGateways(api: KubeApi, namespace: string, forbidden: Forbidden[]): Promise<GatewayRead> {
  const read: GatewayRead = { namespace, gateways: [], tlsRoutes: [], httpRoutes: [] };
  const gw = await api.listObjects<Gateway>('gateways', namespace);
  read.gateways = take(gw, forbidden);
  if (read.gateways.length === 0) return read;
  // TLSRoute is v1 from Gateway API v1.5, v1alpha2 before.
  let tls = await api.listObjects<Route>('tlsroutes', namespace, 'v1');
  if ('notFound' in tls) tls = await api.listObjects<Route>('tlsroutes', namespace);
  if ('forbidden' in tls) read.tlsRoutesForbidden = true;
  read.tlsRoutes = take(tls, forbidden).map((r) => ({ ...r, kind: 'TLSRoute' }));
  read.httpRoutes = take(await api.listObjects<Route>('httproutes', namespace), forbidden).map((r) => ({ ...r, kind: 'HTTPRoute' }));
  return read;
}

/** A CA bundle named by caCertificateRefs: its PEM, where it came from, or why it could not be read. */
export interface CaBundle {
  /** `configmap/NS/NAME` or `secret/NS/NAME`. */
  ref: string;
  pem?: string;
  problem?: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads the CA bundles of caCertificateRefs (key `ca.crt`, as the API defines for ConfigMaps; Secrets
 * too, an implementation-specific kind). ConfigMaps are listed once per namespace.
 */
export async function readCaBundles(
  api: KubeApi,
  namespace: string,
  refs: ObjectRef[],
  forbidden: Forbidden[],
  cache: Map<string, ConfigMap[] | undefined>,
): Promise<CaBundle[]> {
  const out: CaBundle[] = [];
  for (const ref of refs) {
    const ns = ref.namespace ?? namespace;
    const kind = ref.kind ?? 'ConfigMap';
    if (kind === 'ConfigMap' && (ref.group ?? '') === '') {
      if (!cache.has(ns)) {
        const r = await api.listConfigMaps(ns);
        if ('forbidden' in r) forbidden.push(r.forbidden);
        cache.set(ns, 'items' in r ? r.items : undefined);
      }
      const list = cache.get(ns);
      const cm = list?.find((c) => c.metadata.name === ref.name);
      const where = `configmap/${ns}/${ref.name}`;
      if (!list) out.push({ ref: where, problem: `${where} could not be read (list configmaps forbidden)` });
      else if (!cm) out.push({ ref: where, problem: `${where} does not exist` });
      else
        out.push(
          bundleOf(where, cm.data?.['ca.crt'] ?? (cm.binaryData?.['ca.crt'] ? Buffer.from(cm.binaryData['ca.crt'], 'base64').toString('utf8') : undefined)),
        );
    } else if (kind === 'Secret' && (ref.group ?? '') === '') {
      const where = `secret/${ns}/${ref.name}`;
      const r = await api.getSecret(ns, ref.name);
      if ('forbidden' in r) {
        forbidden.push(r.forbidden);
        out.push({ ref: where, problem: `${where} could not be read (get secrets forbidden)` });
      } else if ('notFound' in r) out.push({ ref: where, problem: `${where} does not exist` });
      else {
        const v = r.item.data?.['ca.crt'];
        out.push(bundleOf(where, v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8')));
      }
    } else out.push({ ref: `${kind}/${ns}/${ref.name}`, problem: `caCertificateRefs kind ${kind} (group "${ref.group ?? ''}") is not read by the harness` });
  }
  return out;
}

function bundleOf(ref: string, text: string | undefined): CaBundle {
  const certs = text?.match(PEM_CERT);
  if (!certs?.length) return { ref, problem: `${ref} has no PEM certificate under the key ca.crt` };
  return { ref, pem: certs.join('\n') + '\n' };
}
