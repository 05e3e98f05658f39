// Ingresses (networking.k8s.io/v1) served by ingress-nginx as probe targets: each host of
// spec.tls[].hosts is a target, probed with SNI = the host at the controller's Service (labels
// app.kubernetes.io/name=ingress-nginx, in the scanned namespace or in ingress-nginx), through a
// port-forward to a controller Pod (or dialled directly in the cluster). What the Ingress declares
// with ingress-nginx's auth-tls annotations is carried in the target's origin, with fixes in the
// Ingress's own terms; the verdicts come from what the controller does.
//
// The annotations' semantics (ingress-nginx docs, "Client Certificate Authentication"):
// auth-tls-secret `ns/name` names a Secret whose ca.crt verifies clients; without it the other
// auth-tls annotations do nothing. auth-tls-verify-client: on (default: require and verify),
// optional (request, verify if sent), optional_no_ca (request, do not verify against the CA), off.
// auth-tls-verify-depth: the client chain's depth (default 1). auth-tls-pass-certificate-to-upstream:
// the client certificate goes to the backend in the ssl-client-cert header.
import { X509Certificate } from 'node:crypto';
import { hostNameProblem } from '../../config/validate.js';
import { safeText } from '../../core/text.js';
import type { KubeApi } from './api.js';
import { discoverTargets, type ServiceTarget, type Skipped } from './discovery.js';
import type { Forbidden, ObjectMeta, Service } from './objects.js';
import { readNamespace } from './scan.js';

export interface Ingress {
  metadata: ObjectMeta;
  spec?: { ingressClassName?: string; tls?: { hosts?: string[]; secretName?: string }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string; ports?: { port: number; protocol?: string }[] }[] } };
}

const P = 'nginx.ingress.kubernetes.io/';
export const NGINX_ANNOTATIONS = {
  verifyClient: `${P}auth-tls-verify-client`,
  secret: `${P}auth-tls-secret`,
  depth: `${P}auth-tls-verify-depth`,
  passToUpstream: `${P}auth-tls-pass-certificate-to-upstream`,
} as const;
const VERIFY = ['on', 'optional', 'optional_no_ca', 'off'] as const;
type Verify = (typeof VERIFY)[number];

/** The controller's labels (the ingress-nginx Helm chart and static manifests) and its usual namespace. */
export const CONTROLLER_SELECTOR = 'app.kubernetes.io/name=ingress-nginx';
export const CONTROLLER_NAMESPACE = 'ingress-nginx';
/** The IngressClass ingress-nginx installs by default; another class is ingress-nginx's when its IngressClass names its controller. */
const NGINX_CLASS = 'nginx';
const NGINX_CONTROLLER = 'k8s.io/ingress-nginx';

/** Whether ingress-nginx serves a class: undefined when it does, else why not (a skip reason). */
type ClassVerdict = string | undefined;
/** IngressClasses read once per scan (cluster-scoped), by name. */
export type ClassCache = Map<string, Promise<ClassVerdict>>;

/**
 * Class `nginx` is taken as ingress-nginx's (its default); any other is read (`get ingressclasses`,
 * cluster-scoped): ingress-nginx's when its `spec.controller` is k8s.io/ingress-nginx. A 403 is a
 * Forbidden (k8s.rbac) and the Ingress is skipped saying what is unknown; never a guess.
 */
function classVerdict(api: KubeApi, cls: string, classes: ClassCache, forbidden: Forbidden[]): Promise<ClassVerdict> {
  let p = classes.get(cls);
  if (!p) {
    p = api.getIngressClass(cls).then((r) => {
      const name = `ingress class "${safeText(cls, 60)}"`;
      if ('forbidden' in r) {
        forbidden.push(r.forbidden);
        return `${name}: its IngressClass may not be read (get ingressclasses, cluster-scoped; see k8s.rbac), so whether ingress-nginx serves it is unknown`;
      }
      if ('notFound' in r) return `${name}: no IngressClass of that name, so no controller is known to serve it`;
      const controller = r.item.spec?.controller;
      return controller === NGINX_CONTROLLER
        ? undefined
        : `${name}: its IngressClass names controller ${controller ? `"${safeText(controller, 80)}"` : '(none)'}, not ingress-nginx's (${NGINX_CONTROLLER})`;
    });
    classes.set(cls, p);
  }
  return p;
}

/**
 * An Ingress host target: a ServiceTarget (the controller's port) probed with the host as SNI, with
 * the client CA its Ingress names (clientCaPem) and, when no controller Service is found, the address
 * its status.loadBalancer publishes, dialled directly (direct).
 */
export type IngressTarget = ServiceTarget;

/** The first address an Ingress's status.loadBalancer publishes, and its port (ports[] of v1, else 443). */
function loadBalancerOf(ing: Ingress): IngressTarget['direct'] {
  const lb = (ing.status?.loadBalancer?.ingress ?? []).find((x) => x.ip || x.hostname);
  const host = lb?.ip ?? lb?.hostname;
  if (!lb || !host || hostNameProblem(host)) return undefined;
  const port = (lb.ports ?? []).find((p) => (p.protocol ?? 'TCP') === 'TCP' && Number.isInteger(p.port))?.port ?? 443;
  return { host, port, via: 'status.loadBalancer.ingress' };
}

/** What an Ingress declares for client certificates, as ingress-nginx reads it. */
export function declaredAuth(ing: Ingress): { verify: Verify; secret?: string; depth: number; passToUpstream: boolean; notes: string[] } {
  const a = ing.metadata.annotations ?? {};
  const notes: string[] = [];
  const secret = a[NGINX_ANNOTATIONS.secret]?.trim() || undefined;
  const raw = a[NGINX_ANNOTATIONS.verifyClient]?.trim();
  let verify: Verify = 'on';
  if (raw !== undefined && (VERIFY as readonly string[]).includes(raw)) verify = raw as Verify;
  else if (raw !== undefined) notes.push(`${NGINX_ANNOTATIONS.verifyClient} "${safeText(raw, 40)}" is none of ${VERIFY.join(', ')}: ingress-nginx uses "on"`);
  if (!secret) {
    if (raw !== undefined && raw !== 'off')
      notes.push(`${NGINX_ANNOTATIONS.verifyClient} is set but ${NGINX_ANNOTATIONS.secret} is not: ingress-nginx ignores it`);
    verify = 'off';
  }
  const d = a[NGINX_ANNOTATIONS.depth]?.trim();
  const depth = d && /^[1-9]\d{0,2}$/.test(d) ? Number(d) : 1;
  return { verify, ...(secret ? { secret } : {}), depth, passToUpstream: a[NGINX_ANNOTATIONS.passToUpstream]?.trim() === 'true', notes };
}

/** Advice topic → the change to this Ingress that fixes it (judge.ts adviceFor appends it). */
function fixesFor(ref: string, auth: ReturnType<typeof declaredAuth>, caProblem: string | undefined): Record<string, string> {
  const setOn = `set ${NGINX_ANNOTATIONS.verifyClient}: "on" on ${ref}`;
  const secretHint = auth.secret ?? 'NAMESPACE/CA-SECRET';
  const require =
    auth.verify === 'on'
      ? `declared ${NGINX_ANNOTATIONS.verifyClient} "on", yet a client without a certificate was served: ${caProblem ?? `Secret ${secretHint} holds a CA in ca.crt, so look in the controller's log for this Ingress's auth-tls errors and check that no other Ingress of this host (ingress-nginx merges them per host) and no other controller serves it`}`
      : auth.verify === 'off'
        ? `set ${NGINX_ANNOTATIONS.secret}: "${secretHint}" (a Secret with ca.crt) and ${NGINX_ANNOTATIONS.verifyClient}: "on" on ${ref}`
        : `observed as declared: ${NGINX_ANNOTATIONS.verifyClient} is "${auth.verify}", so client certificates are requested, not required; to require them ${setOn}`;
  return {
    'require-client-cert': require,
    'verify-client-cert':
      auth.verify === 'optional_no_ca'
        ? `"optional_no_ca" does not verify the certificate against ${secretHint}'s ca.crt: ${setOn}`
        : `${setOn} with ${NGINX_ANNOTATIONS.secret}: "${secretHint}"`,
    'trust-client-ca': `put the CA that issues your clients into ca.crt of Secret ${secretHint} (${NGINX_ANNOTATIONS.secret} on ${ref})`,
    'allow-intermediate-clients': `raise ${NGINX_ANNOTATIONS.depth} on ${ref} (now ${auth.depth}) to the length of your client chains`,
  };
}

/** The controller's https port and the Pod behind it, found by its labels; or why none. */
type Controller = { target: ServiceTarget } | { problem: string };
/** One controller search per scanned namespace. */
export type ControllerCache = Map<string, Promise<Controller>>;

async function findController(api: KubeApi, namespaces: string[], forbidden: Forbidden[]): Promise<Controller> {
  const looked: string[] = [];
  for (const ns of namespaces) {
    const listed = await api.listServices(ns, CONTROLLER_SELECTOR);
    if ('forbidden' in listed) {
      forbidden.push(listed.forbidden);
      looked.push(`${ns} (forbidden)`);
      continue;
    }
    looked.push(ns);
    const items = 'items' in listed ? listed.items : [];
    const httpsPort = (s: Service) =>
      (s.spec?.ports ?? []).find((p) => p.name === 'https') ?? (s.spec?.ports ?? []).find((p) => p.port === 443 && !/webhook/.test(p.name ?? ''));
    const svc = items.find((s) => httpsPort(s) && !/admission|webhook/.test(s.metadata.name));
    if (!svc) continue;
    const port = httpsPort(svc)!;
    const read = await readNamespace(api, ns, { audit: false });
    forbidden.push(...read.forbidden);
    const { targets } = discoverTargets(read.snapshot, [{ ...svc, metadata: { ...svc.metadata, annotations: {} }, spec: { ...svc.spec, ports: [port] } }]);
    const t = targets[0];
    if (!t) return { problem: `the ingress-nginx controller service/${ns}/${svc.metadata.name} has no TCP port to probe` };
    return { target: t };
  }
  return { problem: `no ingress-nginx controller Service (${CONTROLLER_SELECTOR}, a port named https) in ${looked.join(', ') || 'any namespace'}` };
}

/** The client CA of an auth-tls-secret (its ca.crt), or why it cannot be used. */
async function clientCa(api: KubeApi, ns: string, ref: string, forbidden: Forbidden[]): Promise<{ pem: string } | { problem: string }> {
  const [sns, name] = ref.includes('/') ? (ref.split('/', 2) as [string, string]) : [ns, ref];
  const r = await api.getSecret(sns, name);
  if ('forbidden' in r) {
    forbidden.push(r.forbidden);
    return { problem: `Secret ${sns}/${name} may not be read` };
  }
  if ('notFound' in r)
    return { problem: `Secret ${sns}/${name} (${NGINX_ANNOTATIONS.secret}) does not exist: ingress-nginx then ignores the auth-tls annotations` };
  const b64 = r.item.data?.['ca.crt'];
  const pem = b64 ? Buffer.from(b64, 'base64').toString('utf8') : '';
  try {
    if (!pem) throw new Error('no ca.crt');
    new X509Certificate(pem);
  } catch {
    return {
      problem: `Secret ${sns}/${name} (${NGINX_ANNOTATIONS.secret}) has no PEM certificate in ca.crt: ingress-nginx then ignores the auth-tls annotations`,
    };
  }
  return { pem };
}

/**
 * The TLS hosts of a namespace's Ingresses as targets at the ingress-nginx controller. Ingresses of
 * another controller's class are skipped (classVerdict); a host with no controller found is a
 * target with its problem (every check an `error` saying why).
 */
export async function discoverIngresses(
  api: KubeApi,
  namespace: string,
  cache: ControllerCache,
  classes: ClassCache = new Map(),
): Promise<{ targets: IngressTarget[]; skipped: Skipped[]; forbidden: Forbidden[] }> {
  const forbidden: Forbidden[] = [];
  const targets: IngressTarget[] = [];
  const skipped: Skipped[] = [];
  const listed = await api.listObjects<Ingress>('ingresses', namespace);
  if ('forbidden' in listed) return { targets, skipped, forbidden: [listed.forbidden] };
  if ('notFound' in listed) return { targets, skipped, forbidden };
  for (const ing of listed.items) {
    const ref = `Ingress ${namespace}/${ing.metadata.name}`;
    const objRef = `ingress/${namespace}/${ing.metadata.name}`;
    const cls = ing.spec?.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class'];
    const notNginx = cls && cls !== NGINX_CLASS ? await classVerdict(api, cls, classes, forbidden) : undefined;
    if (notNginx) {
      skipped.push({ service: objRef, reason: notNginx });
      continue;
    }
    const hosts = (ing.spec?.tls ?? []).flatMap((t, i) => (t.hosts ?? []).map((h) => ({ host: h, i, secretName: t.secretName })));
    if (hosts.length === 0) {
      skipped.push({ service: objRef, reason: 'no spec.tls hosts (served without TLS)' });
      continue;
    }
    const key = namespace;
    if (!cache.has(key)) cache.set(key, findController(api, [...new Set([namespace, CONTROLLER_NAMESPACE])], forbidden));
    const controller = await cache.get(key)!;
    const auth = declaredAuth(ing);
    const ca = auth.secret && auth.verify !== 'off' ? await clientCa(api, namespace, auth.secret, forbidden) : undefined;
    const caProblem = ca && 'problem' in ca ? ca.problem : undefined;
    for (const { host, i, secretName } of hosts) {
      // A wildcard host is probed with a name it covers.
      const servername = host.startsWith('*.') ? `mtls-harness-probe.${host.slice(2)}` : host;
      const nameProblem = hostNameProblem(servername);
      const declared: Record<string, string> = {
        [NGINX_ANNOTATIONS.verifyClient]: auth.verify,
        [NGINX_ANNOTATIONS.depth]: String(auth.depth),
        [NGINX_ANNOTATIONS.passToUpstream]: String(auth.passToUpstream),
        ...(auth.secret ? { [NGINX_ANNOTATIONS.secret]: auth.secret } : {}),
        ...(secretName ? { [`spec.tls[${i}].secretName`]: secretName } : {}),
        ...(cls ? { ingressClassName: cls } : {}),
        ...(auth.notes.length || caProblem ? { notes: [...auth.notes, ...(caProblem ? [caProblem] : [])].join('; ') } : {}),
      };
      const origin = { kind: 'Ingress', namespace, name: ing.metadata.name, section: `host ${host}`, declared, fixes: fixesFor(ref, auth, caProblem) };
      const base = 'target' in controller ? controller.target : undefined;
      const t: IngressTarget = {
        namespace: base?.namespace ?? CONTROLLER_NAMESPACE,
        service: base?.service ?? 'ingress-nginx-controller',
        port: base?.port ?? { port: 443 },
        name: `${objRef}/${host}`,
        fqdn: base?.fqdn ?? `ingress-nginx-controller.${CONTROLLER_NAMESPACE}.svc.cluster.local`,
        servername,
        expectedNames: [],
        protocol: 'https',
        origin,
        ...(ca && 'pem' in ca ? { clientCaPem: ca.pem } : {}),
      };
      if (nameProblem) t.problem = `${objRef}: spec.tls[${i}].hosts "${safeText(host, 80)}" is not a valid host name (${nameProblem})`;
      else if (!base) {
        const lb = loadBalancerOf(ing);
        if (lb) {
          t.direct = lb;
          t.fqdn = lb.host;
          t.port = { port: lb.port };
        } else t.problem = `${(controller as { problem: string }).problem}, and ${objRef} publishes no status.loadBalancer address`;
      } else if (base.problem || !base.pod) t.problem = base.problem ?? 'no controller Pod';
      else t.pod = base.pod;
      targets.push(t);
    }
  }
  return { targets, skipped, forbidden };
}
