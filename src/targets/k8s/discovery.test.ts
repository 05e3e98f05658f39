import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../audit/k8s.js';
import { PROTOCOLS } from '../../core/target.js';
import { discoverTargets } from './discovery.js';
import type { NamespaceSnapshot, Pod, Service } from './objects.js';

const pod = (name: string, labels: Record<string, string>, ready: boolean, ports: { name?: string; containerPort: number }[]): Pod => ({
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', ports }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const svc = (name: string, ports: NonNullable<NonNullable<Service['spec']>['ports']>, annotations: Record<string, string> = {}): Service => ({
  metadata: { name, annotations },
  spec: { selector: { app: name }, ports },
});

describe('discoverTargets', () => {
  it('resolves a named targetPort on a ready Pod, scopes plaintext-named ports to reject.plaintext, takes protocol and servername from annotations', () => {
    const s = svc(
      'gw',
      [
        { name: 'https', port: 443, targetPort: 'https' },
        { name: 'http', port: 80, targetPort: 8080 },
      ],
      { 'mtls-harness/servername': 'gw.example', 'mtls-harness/protocol': 'grpc' },
    );
    const snap: NamespaceSnapshot = {
      namespace: 'ns',
      services: [s],
      pods: [
        pod('gw-0', { app: 'gw' }, false, [{ name: 'https', containerPort: 9443 }]),
        pod('gw-1', { app: 'gw' }, true, [{ name: 'https', containerPort: 8443 }]),
      ],
    };
    const d = discoverTargets(snap, [s]);
    expect(d.targets).toEqual([
      expect.objectContaining({
        name: 'service/ns/gw:443',
        servername: 'gw.example',
        expectedNames: ['gw.ns.svc.cluster.local'],
        protocol: 'grpc',
        pod: { name: 'gw-1', port: 8443 },
      }),
      // A plaintext port: a target of reject.plaintext only, no longer skipped.
      expect.objectContaining({
        name: 'service/ns/gw:80',
        pod: { name: 'gw-1', port: 8080 },
        scope: { checks: ['reject.plaintext'], why: 'a plaintext port: only reject.plaintext applies' },
      }),
    ]);
    expect(d.targets[0]!.scope).toBeUndefined();
    expect(d.skipped).toEqual([]);
  });

  it('Endpoints win over the selector (they carry the resolved port); a port named grpc means gRPC', () => {
    const s = svc('api', [{ name: 'grpc', port: 50051, targetPort: 'grpc' }]);
    const snap: NamespaceSnapshot = {
      namespace: 'ns',
      services: [s],
      pods: [],
      endpoints: [
        { metadata: { name: 'api' }, subsets: [{ addresses: [{ targetRef: { kind: 'Pod', name: 'api-7' } }], ports: [{ name: 'grpc', port: 6000 }] }] },
      ],
    };
    expect(discoverTargets(snap, [s]).targets[0]).toMatchObject({ protocol: 'grpc', pod: { name: 'api-7', port: 6000 } });
  });

  it('a database or broker port by appProtocol, by its name, then by its well-known number; an annotation wins; anything else is left to auto-detection', () => {
    const s = svc('db', [
      { name: 'tcp-a', port: 15432, appProtocol: 'postgresql', targetPort: 5432 },
      { name: 'mariadb-tls', port: 13306, targetPort: 3306 },
      { name: 'cache', port: 6380, targetPort: 6380 },
      { name: 'broker', port: 8883, targetPort: 8883 },
      { name: 'web', port: 9443, targetPort: 9443 },
    ]);
    const snap: NamespaceSnapshot = { namespace: 'ns', services: [s], pods: [pod('db-0', { app: 'db' }, true, [])] };
    expect(discoverTargets(snap, [s]).targets.map((t) => [t.port.port, t.protocol])).toEqual([
      [15432, 'postgres'],
      [13306, 'mysql'],
      [6380, 'redis'],
      [8883, 'mqtt'],
      [9443, undefined],
    ]);
    const annotated = svc('db2', [{ name: 'postgres', port: 5432, targetPort: 5432 }], { 'mtls-harness/protocol': 'tls' });
    expect(discoverTargets({ ...snap, services: [annotated], pods: [pod('db2-0', { app: 'db2' }, true, [])] }, [annotated]).targets[0]!.protocol).toBe('tls');
  });

  it('no ready Pod, an unknown named port and a bad protocol annotation are problems of that target; opted-out and ExternalName Services are skipped', () => {
    const a = svc('a', [{ port: 1 }]);
    const b = svc('b', [{ port: 2, targetPort: 'nope' }]);
    const c = svc('c', [{ port: 3 }], { 'mtls-harness/protocol': 'quic' });
    const off = svc('off', [{ port: 4 }], { 'mtls-harness/enabled': 'false' });
    const ext: Service = { metadata: { name: 'ext' }, spec: { type: 'ExternalName' } };
    const snap: NamespaceSnapshot = {
      namespace: 'ns',
      pods: [pod('a-0', { app: 'a' }, false, []), pod('b-0', { app: 'b' }, true, [{ name: 'web', containerPort: 80 }]), pod('c-0', { app: 'c' }, true, [])],
    };
    const d = discoverTargets(snap, [a, b, c, off, ext]);
    expect(d.targets.map((t) => t.problem)).toEqual([
      'no ready Pod behind service/ns/a (1 Pod(s) selected, none Running and Ready)',
      'service/ns/b port 2 targets the named port "nope", which no ready Pod declares',
      `service/ns/c: mtls-harness/protocol "quic" is not one of ${PROTOCOLS.join(', ')}`,
    ]);
    expect(d.skipped.map((s) => s.service)).toEqual(['service/ns/off', 'service/ns/ext']);
  });

  it('mtls-harness/ports selects ports by name or number', () => {
    const s = svc('m', [{ name: 'http', port: 80 }, { name: 'tls', port: 8443 }, { port: 9000 }], { 'mtls-harness/ports': 'http,9000' });
    const snap: NamespaceSnapshot = { namespace: 'ns', pods: [pod('m-0', { app: 'm' }, true, [])] };
    expect(discoverTargets(snap, [s]).targets.map((t) => t.port.port)).toEqual([80, 9000]);
  });
});

describe('parseGoDuration (cert-manager durations)', () => {
  it('reads h/m/s/ms sums and refuses anything else', () => {
    expect(parseGoDuration('2160h')).toBe(2160 * 3_600_000);
    expect(parseGoDuration('720h0m0s')).toBe(720 * 3_600_000);
    expect(parseGoDuration('1h30m')).toBe(90 * 60_000);
    expect(parseGoDuration('15d')).toBeUndefined();
    expect(parseGoDuration(undefined)).toBeUndefined();
  });
});
