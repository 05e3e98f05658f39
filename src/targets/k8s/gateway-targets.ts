// Gateway API listeners → probe targets (docs/k8s.md "Gateway API"). Each TLS listener of a Gateway
// is a target (origin kind Gateway, section `listener NAME`) probed at the Gateway's status.addresses
// when one answers from here, else through the Service (and a ready Pod) of the implementation that
// serves the Gateway. Terminate listeners carry the client validation they declare (the CA read from
// caCertificateRefs becomes the client CA of the crafted checks); Passthrough listeners name the
// backend behind their TLSRoute, which is what answers.
import * as net from 'node:net';
import { hostNameProblem } from '../../config/validate.js';
import { safeText } from '../../core/text.js';
import type { KubeApi } from './api.js';
import { backendOf, type ServiceTarget, type Skipped } from './discovery.js';
import { readCaBundles, readGateways, type FrontendValidation, type Gateway, type GatewayRead, type Listener, type Route } from './gateway.js';
import { serviceFqdn, type ConfigMap, type Forbidden, type NamespaceSnapshot, type Service } from './objects.js';

/**
 * Labels implementations put on the Service they create for a Gateway: name label, and the label
 * naming the Gateway's namespace when the Service lives in another one.
 */
export const GATEWAY_SERVICE_LABELS: readonly (readonly [string, string | undefined])[] = [
  ['gateway.networking.k8s.io/gateway-name', undefined], // Istio, NGINX Gateway Fabric, kgateway, Traefik
  ['gateway.envoyproxy.io/owning-gateway-name', 'gateway.envoyproxy.io/owning-gateway-namespace'], // Envoy Gateway
  ['gateway.projectcontour.io/owning-gateway-name', undefined], // Contour
  ['io.cilium.gateway/owning-gateway', undefined], // Cilium
];

/** How long a status address may take to accept a TCP connection before the Service is used instead. */
const ADDRESS_TIMEOUT_MS = 1500;

export interface GatewayDiscovery {
  targets: ServiceTarget[];
  skipped: Skipped[];
  forbidden: Forbidden[];
  /** `ns/name` of the Services serving Gateways: probed per listener, not as Services. */
  gatewayServices: Set<string>;
}

/** Does a TCP connection to host:port open within the timeout? */
function answers(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ms, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** The Service of the implementation serving a Gateway, in any namespace read. */
function gatewayService(gw: Gateway, ns: string, snaps: NamespaceSnapshot[]): { svc: Service; snap: NamespaceSnapshot } | undefined {
  for (const snap of snaps)
    for (const svc of snap.services ?? []) {
      const labels = svc.metadata.labels ?? {};
      for (const [name, nsLabel] of GATEWAY_SERVICE_LABELS)
        if (labels[name] === gw.metadata.name && (nsLabel && labels[nsLabel] ? labels[nsLabel] === ns : snap.namespace === ns)) return { svc, snap };
    }
  return undefined;
}

/**
 * Routes attached to a listener: a parentRef to the Gateway naming the listener (sectionName) or
 * none, and its port if any, and a route the listener allows (`allowedRoutes`): from the Gateway's
 * namespace unless `namespaces.from` is All (Selector: only the Gateway's own namespace is taken,
 * the labels of others are not read), of a kind `kinds` lists when it lists any.
 */
export function attached(routes: Route[], gw: Gateway, ns: string, l: Listener): Route[] {
  const from = l.allowedRoutes?.namespaces?.from ?? 'Same';
  const kinds = l.allowedRoutes?.kinds;
  return routes.filter(
    (r) =>
      (from === 'All' || (r.metadata.namespace ?? ns) === ns) &&
      (!kinds?.length || kinds.some((k) => k.kind === r.kind && (k.group ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io')) &&
      (r.spec?.parentRefs ?? []).some(
        (p) =>
          (p.kind ?? 'Gateway') === 'Gateway' &&
          p.name === gw.metadata.name &&
          (p.namespace ?? r.metadata.namespace ?? ns) === ns &&
          (p.sectionName === undefined || p.sectionName === l.name) &&
          (p.port === undefined || p.port === l.port),
      ),
  );
}

/** The client validation that applies to a listener, and the field that declares it. */
export function validationOf(gw: Gateway, l: Listener): { v?: FrontendValidation; field?: string } {
  const has = (v?: FrontendValidation) => !!v?.caCertificateRefs?.length;
  if (has(l.tls?.frontendValidation)) return { v: l.tls!.frontendValidation!, field: `listener ${l.name} tls.frontendValidation` };
  // spec.tls.frontend applies to the listeners handling HTTPS; a perPort entry replaces the default on its port.
  if (l.protocol !== 'HTTPS') return {};
  const frontend = gw.spec?.tls?.frontend;
  const pp = frontend?.perPort?.find((p) => p.port === l.port);
  if (pp) return has(pp.tls?.validation) ? { v: pp.tls!.validation!, field: `spec.tls.frontend.perPort[port ${l.port}].tls.validation` } : {};
  return has(frontend?.default?.validation) ? { v: frontend!.default!.validation!, field: 'spec.tls.frontend.default.validation' } : {};
}

/** SNI: the listener's hostname; for a wildcard, a concrete name under it (an attached route's, else one made up). */
export function sniOf(l: Listener, routes: Route[]): string | undefined {
  const hosts = routes.flatMap((r) => r.spec?.hostnames ?? []).filter((h) => !h.startsWith('*'));
  const h = l.hostname;
  if (h && !h.startsWith('*.')) return h;
  if (h) return hosts.find((x) => x.endsWith(h.slice(1))) ?? `mtls-harness-probe${h.slice(1)}`;
  return hosts[0];
}

const refText = (r: { kind?: string; name: string; namespace?: string }, ns: string, dflt: string) =>
  `${(r.kind ?? dflt).toLowerCase()}/${r.namespace ?? ns}/${r.name}`;

/** The fix for a listener that does not validate client certificates, in the fields this Gateway already uses. */
function addValidation(gw: Gateway, l: Listener, gwName: string): string {
  const old = `add tls.frontendValidation.caCertificateRefs to listener ${l.name} of Gateway ${gwName}`;
  const now = `add spec.tls.frontend.perPort (port ${l.port}) tls.validation.caCertificateRefs, or spec.tls.frontend.default.validation, to Gateway ${gwName}`;
  if (gw.spec?.tls?.frontend) return now;
  if (gw.spec?.listeners?.some((x) => x.tls?.frontendValidation)) return old;
  return `${old} (Gateway API v1.1–v1.3, experimental); from v1.4: ${now}`;
}

interface Ctx {
  api: KubeApi;
  snaps: NamespaceSnapshot[];
  forbidden: Forbidden[];
  configMaps: Map<string, ConfigMap[] | undefined>;
  /** `host port` → does it answer (every status address of a Gateway is tried at once, in parallel). */
  answering: Map<string, Promise<boolean>>;
}

function answering(c: Ctx, host: string, port: number): Promise<boolean> {
  const key = `${host} ${port}`;
  let p = c.answering.get(key);
  if (!p) c.answering.set(key, (p = answers(host, port, ADDRESS_TIMEOUT_MS)));
  return p;
}

/** The status addresses a client can dial: IPAddress (the default type) and Hostname. */
function addressesOf(gw: Gateway): { value: string }[] {
  return (gw.status?.addresses ?? []).filter((a) => typeof a.value === 'string' && ((a.type ?? 'IPAddress') === 'IPAddress' || a.type === 'Hostname'));
}

async function listenerTarget(c: Ctx, read: GatewayRead, gw: Gateway, l: Listener): Promise<ServiceTarget | Skipped> {
  const ns = read.namespace;
  const gwName = `${ns}/${gw.metadata.name}`;
  const name = `gateway/${gwName}/${l.name}`;
  const mode = l.tls?.mode ?? 'Terminate';
  if (l.protocol !== 'HTTPS' && l.protocol !== 'TLS')
    return { service: name, reason: `listener ${l.name} (${l.port}): protocol ${safeText(String(l.protocol ?? 'none'), 40)}, no TLS at the Gateway` };
  const routes = attached(l.protocol === 'TLS' ? read.tlsRoutes : read.httpRoutes, gw, ns, l);
  const declared: Record<string, string> = { protocol: l.protocol, port: String(l.port), 'tls.mode': mode };
  if (l.hostname) declared.hostname = l.hostname;
  if (l.tls?.certificateRefs?.length) declared['tls.certificateRefs'] = l.tls.certificateRefs.map((r) => refText(r, ns, 'Secret')).join(', ');
  if (routes.length)
    declared.routes = routes.map((r) => refText({ kind: r.kind!, name: r.metadata.name, namespace: r.metadata.namespace }, ns, 'Route')).join(', ');
  const addresses = addressesOf(gw);
  if (addresses.length) declared['status.addresses'] = addresses.map((a) => a.value).join(', ');
  if (gw.spec?.gatewayClassName) declared.gatewayClassName = gw.spec.gatewayClassName;
  const fixes: Record<string, string> = {};
  let clientCaPem: string | undefined;
  const problems: string[] = [];
  if (mode === 'Passthrough') {
    const backends = routes.flatMap((r) => (r.spec?.rules ?? []).flatMap((x) => x.backendRefs ?? []).map((b) => ({ b, r })));
    if (backends.length) {
      const { b, r } = backends[0]!;
      const backend = `${refText(b, r.metadata.namespace ?? ns, 'Service')}${b.port ? `:${b.port}` : ''}`;
      declared.backend = `${backend} (TLSRoute ${r.metadata.name}): TLS ends there, the Gateway passes the bytes through`;
      // A backend in another namespace is allowed only by a ReferenceGrant there, which the scan does not read.
      if (b.namespace && b.namespace !== (r.metadata.namespace ?? ns))
        declared.backend += `; in another namespace than the route: only a ReferenceGrant in ${b.namespace} allows it (not read)`;
      fixes['require-client-cert'] =
        `listener ${l.name} is Passthrough, so TLS ends at ${backend} behind TLSRoute ${r.metadata.name}: require client certificates there (frontend validation does not apply to Passthrough)`;
      fixes['trust-client-ca'] = `make ${backend} (behind listener ${l.name}, Passthrough) trust the CA of your client certificate`;
    } else
      problems.push(
        read.tlsRoutesForbidden
          ? `Passthrough listener ${l.name} of Gateway ${gwName}: the TLSRoutes of ${ns} may not be listed (k8s.rbac), so the backend behind it is unknown`
          : `Passthrough listener ${l.name} of Gateway ${gwName}: no TLSRoute of the namespaces read attaches to it, so no backend answers behind it`,
      );
  } else {
    const { v, field } = validationOf(gw, l);
    if (!v) {
      declared.frontendValidation = 'none';
      fixes['require-client-cert'] = addValidation(gw, l, gwName);
    } else {
      const vmode = v.mode ?? 'AllowValidOnly';
      const bundles = await readCaBundles(c.api, ns, v.caCertificateRefs!, c.forbidden, c.configMaps);
      declared.frontendValidation = `${field}: caCertificateRefs ${bundles.map((b) => b.ref).join(', ')}; mode ${vmode}`;
      const bad = bundles.filter((b) => b.problem).map((b) => b.problem!);
      if (bad.length) declared.caCertificateRefsUnread = bad.join('; ');
      const pems = bundles.flatMap((b) => (b.pem ? [b.pem] : []));
      if (pems.length) clientCaPem = pems.join('');
      fixes['require-client-cert'] =
        vmode === 'AllowInsecureFallback'
          ? `set mode: AllowValidOnly in ${field} of Gateway ${gwName} (AllowInsecureFallback accepts clients without a valid certificate)`
          : `${field} of Gateway ${gwName} declares client validation (AllowValidOnly), yet the listener behaves otherwise: check the Gateway's listener conditions (ResolvedRefs, Accepted) and whether GatewayClass ${gw.spec?.gatewayClassName ?? '?'} supports frontend validation`;
      fixes['trust-client-ca'] = `add the CA of your client certificate to ${bundles.map((b) => b.ref).join(', ')} (${field})`;
    }
  }
  // Where to reach it: a status address that answers, else the implementation's Service.
  const found = gatewayService(gw, ns, c.snaps);
  const sp = found?.svc.spec?.ports?.find((p) => p.port === l.port && (p.protocol ?? 'TCP') === 'TCP');
  const fqdn = found ? serviceFqdn(found.svc.metadata.name, found.snap.namespace) : (addresses[0]?.value ?? `${gw.metadata.name}.${ns}`);
  const sni = sniOf(l, routes) ?? fqdn;
  const sniProblem = hostNameProblem(sni);
  if (sniProblem) problems.push(`listener ${l.name} of Gateway ${gwName}: hostname "${safeText(sni, 80)}" is not a valid host name (${sniProblem})`);
  const base: ServiceTarget = {
    namespace: found?.snap.namespace ?? ns,
    service: found?.svc.metadata.name ?? gw.metadata.name,
    port: sp ?? { name: l.name, port: l.port },
    name,
    fqdn,
    servername: sniProblem ? fqdn : sni,
    expectedNames: [],
    ...(l.protocol === 'HTTPS' ? { protocol: 'https' as const } : mode === 'Terminate' ? { protocol: 'tls' as const } : {}),
    origin: { kind: 'Gateway', namespace: ns, name: gw.metadata.name, section: `listener ${l.name}`, declared, fixes },
    ...(clientCaPem ? { clientCaPem } : {}),
  };
  if (problems.length) return { ...base, problem: problems.join('; ') };
  for (const a of addresses)
    if (await answering(c, a.value, l.port))
      return { ...base, direct: { host: net.isIPv6(a.value) ? `[${a.value}]` : a.value, port: l.port, via: `status.addresses of Gateway ${gwName}` } };
  const where = addresses.length
    ? `no status address answered on port ${l.port} (${addresses.map((a) => a.value).join(', ')})`
    : 'the Gateway has no status.addresses';
  if (!found)
    return {
      ...base,
      problem: `${where}, and no Service of the namespaces read carries a label naming Gateway ${gwName} (${GATEWAY_SERVICE_LABELS.map(([k]) => k).join(', ')}): scan the implementation's namespace too (-n)`,
    };
  if (!sp)
    return { ...base, problem: `${where}, and Service ${found.snap.namespace}/${found.svc.metadata.name} of Gateway ${gwName} has no TCP port ${l.port}` };
  const b = backendOf(found.snap, found.svc, sp);
  return 'pod' in b ? { ...base, pod: b.pod } : { ...base, problem: `${where}; ${b.problem}` };
}

/** The listeners of the Gateways of the namespaces read, as probe targets (the namespaces' Services already read into `snaps`). */
export async function discoverGateways(api: KubeApi, snaps: NamespaceSnapshot[]): Promise<GatewayDiscovery> {
  const out: GatewayDiscovery = { targets: [], skipped: [], forbidden: [], gatewayServices: new Set() };
  const c: Ctx = { api, snaps, forbidden: out.forbidden, configMaps: new Map(), answering: new Map() };
  for (const snap of snaps) {
    const read = await readGateways(api, snap.namespace, out.forbidden);
    for (const gw of read.gateways) {
      const svc = gatewayService(gw, snap.namespace, snaps);
      if (svc) out.gatewayServices.add(`${svc.snap.namespace}/${svc.svc.metadata.name}`);
      for (const a of addressesOf(gw)) for (const l of gw.spec?.listeners ?? []) void answering(c, a.value, l.port);
      for (const l of gw.spec?.listeners ?? []) {
        const t = await listenerTarget(c, read, gw, l);
        if ('reason' in t) out.skipped.push(t);
        else out.targets.push(t);
      }
    }
  }
  return out;
}
