import { describe, expect, it } from 'vitest';
import type { KubeApi } from './api.js';
import { effectiveMode, istioTargets, linkerdTargets, listPeerAuthentications, type PeerAuthentication } from './mesh.js';
import type { Pod } from './objects.js';

const pod = (labels: Record<string, string>, containers: Pod['spec'] = {}, annotations: Record<string, string> = {}): Pod => ({
  metadata: { name: 'p-1', namespace: 'ns', labels, annotations },
  spec: containers,
  status: { phase: 'Running', podIP: '10.0.0.9', conditions: [{ type: 'Ready', status: 'True' }] },
});
const pa = (name: string, ns: string, spec: PeerAuthentication['spec'], created?: string): PeerAuthentication => ({
  metadata: { name, namespace: ns, ...(created ? { creationTimestamp: created } : {}) },
  spec,
});

describe("Istio's PeerAuthentication precedence", () => {
  const app = pod({ app: 'finance' });
  it('nothing anywhere: PERMISSIVE (Istio default), no policy named', () => {
    expect(effectiveMode(app, 8080, [], [])).toEqual({ mode: 'PERMISSIVE', field: 'spec.mtls.mode' });
  });
  it('workload over namespace over mesh; UNSET inherits; a selector policy in the root namespace is ignored', () => {
    const mesh = pa('default', 'istio-system', { mtls: { mode: 'STRICT' } });
    const rootSel = pa('sel', 'istio-system', { selector: { matchLabels: { app: 'finance' } }, mtls: { mode: 'DISABLE' } });
    const ns = pa('default', 'ns', { mtls: { mode: 'PERMISSIVE' } });
    const wl = pa('finance', 'ns', { selector: { matchLabels: { app: 'finance' } }, mtls: { mode: 'UNSET' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } });
    expect(effectiveMode(app, 9000, [], [mesh, rootSel])).toMatchObject({ mode: 'STRICT', policy: mesh });
    expect(effectiveMode(app, 9000, [ns], [mesh])).toMatchObject({ mode: 'PERMISSIVE', policy: ns });
    // The workload's UNSET inherits the namespace's; its port-level mode wins on that port.
    expect(effectiveMode(app, 9000, [ns, wl], [mesh])).toMatchObject({ mode: 'PERMISSIVE', policy: ns });
    expect(effectiveMode(app, 8080, [ns, wl], [mesh])).toMatchObject({ mode: 'DISABLE', policy: wl, field: 'spec.portLevelMtls.8080.mode' });
    // A workload policy that selects other labels does not apply.
    expect(effectiveMode(pod({ app: 'web' }), 8080, [ns, wl], [mesh])).toMatchObject({ mode: 'PERMISSIVE', policy: ns });
  });
  it('several namespace-wide policies: the oldest wins', () => {
    const newer = pa('b', 'ns', { mtls: { mode: 'DISABLE' } }, '2026-02-01T00:00:00Z');
    const older = pa('a', 'ns', { mtls: { mode: 'STRICT' } }, '2026-01-01T00:00:00Z');
    expect(effectiveMode(app, 1, [newer, older], [])).toMatchObject({ mode: 'STRICT', policy: older });
  });
  it('targets: only meshed Pods, the sidecar ports left out, the fix in the policy that decides', () => {
    const meshed = pod(
      { app: 'finance' },
      {
        containers: [
          { name: 'app', ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] },
          { name: 'istio-proxy', ports: [{ containerPort: 15090 }] },
        ],
      },
    );
    const plain = { ...pod({ app: 'x' }, { containers: [{ name: 'x', ports: [{ containerPort: 80 }] }] }), metadata: { name: 'plain', namespace: 'ns' } };
    const t = istioTargets({ namespace: 'ns', pods: [meshed, plain] }, [pa('default', 'ns', { mtls: { mode: 'PERMISSIVE' } })], []);
    expect(t.map((x) => x.name)).toEqual(['mesh/ns/p-1:8080']);
    expect(t[0]!.fqdn).toBe('10.0.0.9');
    expect(t[0]!.origin).toMatchObject({
      kind: 'PeerAuthentication',
      namespace: 'ns',
      name: 'default',
      section: 'port 8080 of pod p-1',
      declared: { 'mtls.mode': 'PERMISSIVE' },
      fixes: { 'require-client-cert': 'set spec.mtls.mode: STRICT in PeerAuthentication ns/default' },
    });
  });
});

describe("Linkerd's annotations", () => {
  const linkerd = (ann: Record<string, string>) =>
    linkerdTargets({
      namespace: 'ns',
      pods: [pod({}, { containers: [{ name: 'app', ports: [{ containerPort: 8080 }, { containerPort: 9090 }] }, { name: 'linkerd-proxy' }] }, ann)],
    });
  it('all-authenticated: STRICT; unset: all-unauthenticated (PERMISSIVE); a skipped inbound port bypasses the proxy (DISABLE)', () => {
    expect(linkerd({ 'config.linkerd.io/default-inbound-policy': 'all-authenticated' }).map((t) => t.origin.declared!['mtls.mode'])).toEqual([
      'STRICT',
      'STRICT',
    ]);
    expect(linkerd({}).map((t) => t.origin.declared!['mtls.mode'])).toEqual(['PERMISSIVE', 'PERMISSIVE']);
    const skipped = linkerd({ 'config.linkerd.io/default-inbound-policy': 'all-authenticated', 'config.linkerd.io/skip-inbound-ports': '9090' });
    expect(skipped.map((t) => t.origin.declared!['mtls.mode'])).toEqual(['STRICT', 'DISABLE']);
    expect(skipped[1]!.origin.fixes!['require-client-cert']).toMatch(/remove port 9090 from the config\.linkerd\.io\/skip-inbound-ports annotation/);
  });
  it('a Pod without the proxy is not a mesh port', () => {
    expect(linkerdTargets({ namespace: 'ns', pods: [pod({}, { containers: [{ name: 'app', ports: [{ containerPort: 1 }] }] })] })).toEqual([]);
  });
});

describe('reading PeerAuthentications', () => {
  it('v1 first, v1beta1 when v1 is not served (older Istio), 403 as data', async () => {
    const calls: string[] = [];
    const api = (served: Record<string, unknown>) =>
      ({
        listObjects: async (_r: string, ns: string, version = 'v1') => {
          calls.push(`${ns}@${version}`);
          return served[version] ?? { notFound: true };
        },
      }) as unknown as KubeApi;
    const item = pa('default', 'ns', { mtls: { mode: 'STRICT' } });
    expect(await listPeerAuthentications(api({ v1beta1: { items: [item] } }), 'ns')).toEqual({ items: [item] });
    expect(calls).toEqual(['ns@v1', 'ns@v1beta1']);
    const forbidden = { forbidden: { verb: 'list', resource: 'peerauthentications', group: 'security.istio.io', message: 'no' } };
    expect(await listPeerAuthentications(api({ v1: forbidden }), 'ns')).toEqual(forbidden);
    expect(await listPeerAuthentications(api({}), 'ns')).toEqual({ notFound: true });
  });
  it('an IPv6 Pod IP is dialled in brackets', () => {
    const p = pod({}, { containers: [{ name: 'a', ports: [{ containerPort: 80 }] }, { name: 'istio-proxy' }] });
    p.status!.podIP = 'fd00::7';
    expect(istioTargets({ namespace: 'ns', pods: [p] }, [], [])[0]!.fqdn).toBe('[fd00::7]');
  });
});
