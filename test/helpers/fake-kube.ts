// A fake Kubernetes API server for tests, speaking the real wire format: HTTPS + JSON for the list
// and get paths k8s scan uses (bearer token, Status objects for 401/403/404), and the port-forward
// WebSocket subprotocol v4.channel.k8s.io (per port a data channel 0 and an error channel 1, the
// first frame on each carrying the port as 2 bytes little-endian; then data frames prefixed with
// their channel byte), forwarding each stream to a loopback TCP server the test started.
// Objects come from fixtures/k8s/<namespace>/*.yaml with certificate placeholders filled in.
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { WebSocketServer, type WebSocket } from 'ws';
import { mintFixturePki } from '../../src/pki/generate.js';

export const FIXTURES_DIR = path.resolve(import.meta.dirname, '../../fixtures/k8s');
export const SERVICE_ACCOUNT = 'system:serviceaccount:mtls-harness:mtls-harness';

type Obj = { apiVersion?: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };

export interface FakeKubeOptions {
  /** Placeholder → PEM for the fixtures' `{{set/item}}` values. */
  pems: Record<string, string>;
  fixturesDir?: string;
  /** (verb, resource[, namespace]) the identity may not use: 403 with a real Status object. */
  forbidden?: { verb: string; resource: string; namespace?: string }[];
  /** `ns/pod:port` → the loopback server a port-forward stream to that Pod port reaches. */
  forwards?: Record<string, { host: string; port: number }>;
  /** false: cert-manager's CRD is not installed (404 on certificates). */
  certManager?: boolean;
  /** Resources the fake's cluster does not serve (their CRD not installed, e.g. `gateways`): 404 as a real API server answers. */
  notServed?: string[];
}

export interface FakeKube {
  server: string;
  /** The CA of the fake's serving certificate (what a Pod finds in its service account's ca.crt). */
  caPem: string;
  /** A kubeconfig (token auth, the fake's CA) with context `fake`, namespace nova. */
  kubeconfig: string;
  token: string;
  /** Every request made: verb (get/list/create for port-forward), resource, namespace, name. */
  requests: { verb: string; resource: string; namespace?: string; name?: string }[];
  forwards: Record<string, { host: string; port: number }>;
  /** Port-forward streams open now. */
  openStreams(): number;
  stop(): Promise<void>;
}

const PLACEHOLDER = /^\{\{([a-z0-9/-]+)\}\}$/;

/** Loads fixtures/k8s: namespace → objects, placeholders replaced (base64 in Secret data). */
export function loadFixtureObjects(pems: Record<string, string>, dir = FIXTURES_DIR): Map<string, Obj[]> {
  const byNs = new Map<string, Obj[]>();
  for (const ns of readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    const objs: Obj[] = [];
    for (const f of readdirSync(path.join(dir, ns))
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      for (const doc of parseAllDocuments(readFileSync(path.join(dir, ns, f), 'utf8'))) {
        const o = doc.toJS() as Obj | null;
        if (!o) continue;
        const data = o.data as Record<string, string> | undefined;
        for (const [k, v] of Object.entries(data ?? {})) {
          const m = PLACEHOLDER.exec(v);
          if (!m) continue;
          const pem = pems[m[1]!];
          if (pem === undefined) throw new Error(`fixtures/k8s/${ns}/${f}: unknown placeholder ${v}`);
          data![k] = o.kind === 'Secret' ? Buffer.from(pem).toString('base64') : pem;
        }
        objs.push({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? ns, uid: `uid-${ns}-${o.metadata.name}` } as Obj['metadata'] });
      }
    }
    byNs.set(ns, objs);
  }
  return byNs;
}

function matchesSelector(sel: string | null, labels: Record<string, string> = {}): boolean {
  if (!sel) return true;
  return sel
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .every((term) => {
      let m = /^([^!=]+)!=(.*)$/.exec(term);
      if (m) return labels[m[1]!.trim()] !== m[2]!.trim();
      m = /^([^!=]+)==?(.*)$/.exec(term);
      if (m) return labels[m[1]!.trim()] === m[2]!.trim();
      return term.startsWith('!') ? !(term.slice(1) in labels) : term in labels;
    });
}

const PLURAL_KIND: Record<string, string> = {
  services: 'Service',
  endpoints: 'Endpoints',
  pods: 'Pod',
  secrets: 'Secret',
  configmaps: 'ConfigMap',
  certificates: 'Certificate',
  endpointslices: 'EndpointSlice',
  ingresses: 'Ingress',
  gateways: 'Gateway',
  httproutes: 'HTTPRoute',
  tlsroutes: 'TLSRoute',
  peerauthentications: 'PeerAuthentication',
};

/** The API group of each resource outside core, and the versions the fake serves it at (as a cluster with those CRDs would). */
const GROUP_OF: Record<string, { group: string; versions: string[] }> = {
  certificates: { group: 'cert-manager.io', versions: ['v1'] },
  endpointslices: { group: 'discovery.k8s.io', versions: ['v1'] },
  ingresses: { group: 'networking.k8s.io', versions: ['v1'] },
  gateways: { group: 'gateway.networking.k8s.io', versions: ['v1', 'v1beta1'] },
  httproutes: { group: 'gateway.networking.k8s.io', versions: ['v1', 'v1beta1'] },
  tlsroutes: { group: 'gateway.networking.k8s.io', versions: ['v1alpha2'] },
  peerauthentications: { group: 'security.istio.io', versions: ['v1', 'v1beta1'] },
};

type SvcSpec = { selector?: Record<string, string>; ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string }[] };

/** A Service's selected Pods, readiness, addresses and resolved ports: what both controllers write from. */
function backendsOf(svc: Obj, pods: Obj[]) {
  const spec = svc.spec as SvcSpec;
  const selected = spec.selector ? pods.filter((p) => Object.entries(spec.selector!).every(([k, v]) => p.metadata.labels?.[k] === v)) : [];
  const ready = (p: Obj) => {
    const st = p.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
    return st?.phase === 'Running' && !!st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  };
  const resolve = (tp: number | string | undefined, port: number) => {
    if (tp === undefined) return port;
    if (typeof tp === 'number') return tp;
    for (const p of selected)
      for (const c of (p.spec as { containers?: { ports?: { name?: string; containerPort: number }[] }[] }).containers ?? []) {
        const cp = c.ports?.find((x) => x.name === tp);
        if (cp) return cp.containerPort;
      }
    return undefined;
  };
  const ip = (p: Obj, i: number) => (p.status as { podIP?: string } | undefined)?.podIP ?? `10.42.0.${100 + i}`;
  const targetRef = (p: Obj) => ({ kind: 'Pod', name: p.metadata.name, namespace: p.metadata.namespace });
  const ports = (spec.ports ?? [])
    .map((sp) => ({ name: sp.name, port: resolve(sp.targetPort, sp.port), protocol: sp.protocol ?? 'TCP' }))
    .filter((p) => p.port !== undefined);
  return { selected, ready, ip, targetRef, ports };
}

/** Endpoints as the endpoints controller writes them: ready Pods in addresses, the others in notReadyAddresses. */
function endpointsFor(svc: Obj, pods: Obj[]): Obj {
  const { selected, ready, ip, targetRef, ports } = backendsOf(svc, pods);
  const addr = (p: Obj, i: number) => ({ ip: ip(p, i), targetRef: targetRef(p) });
  const subsets = selected.length
    ? [{ addresses: selected.filter(ready).map(addr), notReadyAddresses: selected.filter((p) => !ready(p)).map(addr), ports }]
    : [];
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: svc.metadata.name, namespace: svc.metadata.namespace! }, subsets };
}

/**
 * EndpointSlices as the EndpointSlice controller writes them for a Service with a selector: one
 * slice (generateName `<service>-`, label kubernetes.io/service-name and managed-by), every selected
 * Pod an endpoint with conditions ready/serving/terminating, ports by the Service port's name ("" unnamed).
 */
function endpointSlicesFor(svc: Obj, pods: Obj[]): Obj[] {
  if (!(svc.spec as SvcSpec).selector) return [];
  const { selected, ready, ip, targetRef, ports } = backendsOf(svc, pods);
  const endpoints = selected.map((p, i) => ({
    addresses: [ip(p, i)],
    conditions: { ready: ready(p), serving: ready(p), terminating: false },
    targetRef: targetRef(p),
  }));
  return [
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${svc.metadata.name}-x7k2p`,
        namespace: svc.metadata.namespace!,
        labels: { 'kubernetes.io/service-name': svc.metadata.name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      },
      addressType: 'IPv4',
      endpoints,
      ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol })),
    },
  ];
}

export async function startFakeKube(o: FakeKubeOptions): Promise<FakeKube> {
  const objects = loadFixtureObjects(o.pems, o.fixturesDir);
  const tls = await mintFixturePki({ organization: 'fake-kube', serverDnsNames: ['localhost'], serverIps: ['127.0.0.1'] });
  const token = 'fake-token-' + Math.random().toString(36).slice(2);
  const requests: FakeKube['requests'] = [];
  const forwards = { ...(o.forwards ?? {}) };
  const forbidden = o.forbidden ?? [];
  /** A namespace as the API serves it: the fixture's own Namespace object (its annotations), else a bare one. */
  const namespaceObject = (name: string) => {
    const own = (objects.get(name) ?? []).find((x) => x.kind === 'Namespace' && x.metadata.name === name);
    return { apiVersion: 'v1', kind: 'Namespace', ...own, metadata: { ...own?.metadata, name }, status: { phase: 'Active' } };
  };
  const isForbidden = (verb: string, resource: string, ns?: string) =>
    forbidden.some((f) => f.verb === verb && f.resource === resource && (!f.namespace || f.namespace === ns));

  const status = (code: number, reason: string, message: string, details: Record<string, unknown> = {}) => ({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    details,
    code,
  });
  const forbiddenStatus = (verb: string, resource: string, group: string, ns: string | undefined, name?: string) =>
    status(
      403,
      'Forbidden',
      `${name ? `${resource.split('/')[0]} "${name}"` : resource} is forbidden: User "${SERVICE_ACCOUNT}" cannot ${verb} resource "${resource}" in API group "${group}"${ns ? ` in the namespace "${ns}"` : ' at the cluster scope'}`,
      { ...(name ? { name } : {}), kind: resource.split('/')[0] },
    );

  const list = (ns: string, resource: string, sel: string | null): Obj[] => {
    const all = objects.get(ns) ?? [];
    if (resource === 'endpoints') {
      const recorded = all.filter((x) => x.kind === 'Endpoints');
      const pods = all.filter((x) => x.kind === 'Pod');
      return [
        ...recorded,
        ...all.filter((x) => x.kind === 'Service' && !recorded.some((r) => r.metadata.name === x.metadata.name)).map((s) => endpointsFor(s, pods)),
      ];
    }
    if (resource === 'endpointslices') {
      const recorded = all.filter((x) => x.kind === 'EndpointSlice');
      const pods = all.filter((x) => x.kind === 'Pod');
      const generated = all
        .filter((x) => x.kind === 'Service' && !recorded.some((r) => r.metadata.labels?.['kubernetes.io/service-name'] === x.metadata.name))
        .flatMap((s) => endpointSlicesFor(s, pods));
      return [...recorded, ...generated].filter((x) => matchesSelector(sel, x.metadata.labels));
    }
    return all.filter((x) => x.kind === PLURAL_KIND[resource] && matchesSelector(sel, x.metadata.labels));
  };

  const server = https.createServer({ key: tls.server.keyPem, cert: tls.server.chainPem }, (req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    const url = new URL(req.url ?? '/', 'https://fake');
    if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', 'the fake serves GET only'));
    let m: RegExpExecArray | null;
    if (url.pathname === '/api/v1/namespaces') {
      requests.push({ verb: 'list', resource: 'namespaces' });
      if (isForbidden('list', 'namespaces')) return send(403, forbiddenStatus('list', 'namespaces', '', undefined));
      return send(200, {
        kind: 'NamespaceList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '1' },
        items: [...objects.keys()].map((name) => namespaceObject(name)),
      });
    }
    if ((m = /^\/apis\/networking\.k8s\.io\/v1\/ingressclasses\/([^/]+)$/.exec(url.pathname))) {
      // Cluster-scoped: the fixtures' IngressClass objects, whichever folder holds them.
      const name = m[1]!;
      requests.push({ verb: 'get', resource: 'ingressclasses', name });
      if (isForbidden('get', 'ingressclasses')) return send(403, forbiddenStatus('get', 'ingressclasses', 'networking.k8s.io', undefined, name));
      const own = [...objects.values()].flat().find((x) => x.kind === 'IngressClass' && x.metadata.name === name);
      if (!own) return send(404, status(404, 'NotFound', `ingressclasses.networking.k8s.io "${name}" not found`, { name, kind: 'ingressclasses' }));
      const { namespace: _ns, ...metadata } = own.metadata;
      return send(200, { ...own, apiVersion: 'networking.k8s.io/v1', metadata });
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname))) {
      const name = m[1]!;
      requests.push({ verb: 'get', resource: 'namespaces', name });
      if (isForbidden('get', 'namespaces')) return send(403, forbiddenStatus('get', 'namespaces', '', undefined, name));
      return objects.has(name)
        ? send(200, namespaceObject(name))
        : send(404, status(404, 'NotFound', `namespaces "${name}" not found`, { name, kind: 'namespaces' }));
    }
    if ((m = /^\/(?:api\/v1|apis\/([a-z0-9.-]+)\/(v[a-z0-9]+))\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?$/.exec(url.pathname))) {
      const [, group = '', version = 'v1', ns, resource, name] = m as unknown as [
        string,
        string | undefined,
        string | undefined,
        string,
        string,
        string | undefined,
      ];
      const verb = name ? 'get' : 'list';
      requests.push({ verb, resource, namespace: ns, ...(name ? { name } : {}) });
      const served = GROUP_OF[resource] ?? { group: '', versions: ['v1'] };
      const notServed =
        !PLURAL_KIND[resource] ||
        served.group !== group ||
        !served.versions.includes(version) ||
        (o.notServed ?? []).includes(resource) ||
        (resource === 'certificates' && o.certManager === false);
      if (notServed) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
      if (isForbidden(verb, resource, ns)) return send(403, forbiddenStatus(verb, resource, group, ns, name));
      const items = list(ns, resource, url.searchParams.get('labelSelector'));
      if (name) {
        const item = items.find((x) => x.metadata.name === name);
        return item ? send(200, item) : send(404, status(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource }));
      }
      const apiVersion = group ? `${group}/${version}` : 'v1';
      return send(200, {
        kind: `${PLURAL_KIND[resource]}List`,
        apiVersion,
        metadata: { resourceVersion: '1' },
        items: items.map((x) => ({ ...x, apiVersion: x.apiVersion ?? apiVersion, kind: x.kind })),
      });
    }
    return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  });

  // Port-forward: a WebSocket upgrade speaking v4.channel.k8s.io.
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols: Set<string>) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false),
  });
  const live = new Set<{ ws: WebSocket; tcp?: net.Socket }>();
  server.on('upgrade', (req, socket, head) => {
    const reject = (code: number, text: string, body: unknown) => {
      const b = JSON.stringify(body);
      socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\nConnection: close\r\n\r\n${b}`);
    };
    if (req.headers.authorization !== `Bearer ${token}`) return reject(401, 'Unauthorized', status(401, 'Unauthorized', 'Unauthorized'));
    const url = new URL(req.url ?? '/', 'https://fake');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
    if (!m) return reject(404, 'Not Found', status(404, 'NotFound', 'the server could not find the requested resource'));
    const [, ns, pod] = m as unknown as [string, string, string];
    requests.push({ verb: 'create', resource: 'pods/portforward', namespace: ns, name: pod });
    if (isForbidden('create', 'pods/portforward', ns)) return reject(403, 'Forbidden', forbiddenStatus('create', 'pods/portforward', '', ns, pod));
    if (!(objects.get(ns) ?? []).some((x) => x.kind === 'Pod' && x.metadata.name === pod))
      return reject(404, 'Not Found', status(404, 'NotFound', `pods "${pod}" not found`, { name: pod, kind: 'pods' }));
    const ports = url.searchParams.getAll('ports');
    const port = Number(ports[0]);
    if (ports.length !== 1 || !Number.isInteger(port) || port < 1 || port > 65535)
      return reject(400, 'Bad Request', status(400, 'BadRequest', 'exactly one port in ?ports= is served by this fake'));
    wss.handleUpgrade(req, socket, head, (ws) => {
      const entry: { ws: WebSocket; tcp?: net.Socket } = { ws };
      live.add(entry);
      ws.on('close', () => live.delete(entry));
      const frame = (channel: number, data: Buffer) => Buffer.concat([Buffer.from([channel]), data]);
      const portBytes = Buffer.from([port & 0xff, port >> 8]);
      // As the kubelet: the first frame of each channel carries the port, little-endian.
      ws.send(frame(0, portBytes));
      ws.send(frame(1, portBytes));
      const fail = (why: string) => {
        if (ws.readyState === ws.OPEN) ws.send(frame(1, Buffer.from(`error forwarding port ${port} to pod ${pod}, uid : ${why}`)));
        ws.close();
      };
      const target = forwards[`${ns}/${pod}:${port}`];
      if (!target)
        return fail(`failed to connect to localhost:${port} inside namespace "${ns}", IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused`);
      const tcp = net.connect(target.port, target.host);
      entry.tcp = tcp;
      tcp.on('data', (d: Buffer) => ws.readyState === ws.OPEN && ws.send(frame(0, d)));
      tcp.on('error', (e: NodeJS.ErrnoException) => fail(`dial tcp: ${e.code ?? e.message}`));
      tcp.on('close', () => ws.close());
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        const b = isBinary ? data : Buffer.from(data);
        if (b.length > 0 && b[0] === 0) tcp.write(b.subarray(1));
      });
      ws.on('close', () => tcp.end());
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-fake-kube-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  await fs.writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '  - name: fake',
      '    cluster:',
      `      server: ${url}`,
      `      certificate-authority-data: ${Buffer.from(tls.root.certPem).toString('base64')}`,
      'users:',
      '  - name: scanner',
      '    user:',
      `      token: ${token}`,
      'contexts:',
      '  - name: fake',
      '    context:',
      '      cluster: fake',
      '      user: scanner',
      '      namespace: nova',
      'current-context: fake',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  return {
    server: url,
    caPem: tls.root.certPem,
    kubeconfig,
    token,
    requests,
    forwards,
    openStreams: () => live.size,
    async stop() {
      for (const e of live) {
        e.tcp?.destroy();
        e.ws.terminate();
      }
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
