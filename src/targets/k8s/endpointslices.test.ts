import { describe, expect, it } from 'vitest';
import { discoverTargets } from './discovery.js';
import type { EndpointSlice, NamespaceSnapshot, Service } from './objects.js';

const svc: Service = {
  metadata: { name: 'api' },
  spec: {
    selector: { app: 'api' },
    ports: [
      { name: 'grpc', port: 50051, targetPort: 'grpc' },
      { port: 443, targetPort: 8443 },
    ],
  },
};
const slice = (name: string, service: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports']): EndpointSlice => ({
  metadata: { name, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints,
  ports,
});

const snapshot = (endpointSlices: EndpointSlice[], more: Partial<NamespaceSnapshot> = {}): NamespaceSnapshot => ({
  namespace: 'ns',
  services: [svc],
  pods: [],
  endpointSlices,
  ...more,
});

describe('EndpointSlices as the backend of a Service port', () => {
  it('takes a ready Pod endpoint of the slices labelled with the Service, the port by name ("" unnamed), over Endpoints', () => {
    const snap = snapshot(
      [
        // Another Service's slice: never read for api.
        slice(
          'other-1',
          'other',
          [{ addresses: ['10.0.0.9'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'other-0' } }],
          [{ name: 'grpc', port: 1 }],
        ),
        slice(
          'api-abc',
          'api',
          [
            { addresses: ['10.0.0.1'], conditions: { ready: false, terminating: true }, targetRef: { kind: 'Pod', name: 'api-old' } },
            // conditions.ready absent: ready (the API's compatibility rule).
            { addresses: ['10.0.0.2'], targetRef: { kind: 'Pod', name: 'api-new' } },
          ],
          [
            { name: 'grpc', port: 6000, protocol: 'TCP' },
            { name: '', port: 8443, protocol: 'TCP' },
          ],
        ),
      ],
      {
        endpoints: [
          { metadata: { name: 'api' }, subsets: [{ addresses: [{ targetRef: { kind: 'Pod', name: 'stale' } }], ports: [{ name: 'grpc', port: 1 }] }] },
        ],
      },
    );
    const t = discoverTargets(snap, [svc]).targets;
    expect(t.map((x) => [x.name, x.pod])).toEqual([
      ['service/ns/api:50051', { name: 'api-new', port: 6000 }],
      ['service/ns/api:443', { name: 'api-new', port: 8443 }],
    ]);
  });

  it('no ready endpoint in the slices: no Pod from them (the selector fallback says why)', () => {
    const snap = snapshot([
      slice(
        'api-abc',
        'api',
        [{ addresses: ['10.0.0.1'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'api-0' } }],
        [{ name: 'grpc', port: 6000 }],
      ),
    ]);
    expect(discoverTargets(snap, [svc]).targets[0]).toMatchObject({ problem: expect.stringMatching(/no ready Pod behind service\/ns\/api/) });
  });
});
