// Certificates for the recorded objects of fixtures/k8s, minted at test time (never committed: they
// would expire). Each `{{set/item}}` placeholder of a fixture names one PEM here.
import { mintFixturePki, type FixturePki } from '../../src/pki/generate.js';

export interface K8sPki {
  /** gufo's gateway: server SAN gufo-gateway.gufo.svc.cluster.local. */
  gufo: FixturePki;
  /** nova's cert-manager wildcard: *.nova.svc.cluster.local. */
  nova: FixturePki;
  /** kong/dogcatcher: SANs localhost, dogcatcher-api, dogcatcher-api.default.svc.cluster.local. */
  kong: FixturePki;
  /** gateway-mtls (Gateway API listeners): SANs of every listener's hostname and the Passthrough backend. */
  gateway: FixturePki;
  /** Placeholder → PEM. */
  pems: Record<string, string>;
}

export async function mintK8sPki(): Promise<K8sPki> {
  const [gufo, nova, kong, gateway] = await Promise.all([
    mintFixturePki({
      organization: 'gufo',
      serverDnsNames: ['gufo-gateway.gufo.svc.cluster.local', 'gufo-gateway', 'localhost'],
      clientCommonName: 'gufo-client',
    }),
    mintFixturePki({
      organization: 'nova',
      serverDnsNames: ['*.nova.svc.cluster.local', '*.nova.svc', 'localhost'],
      serverCommonName: '*.nova.svc.cluster.local',
      clientCommonName: 'grpc-client.nova',
    }),
    mintFixturePki({
      organization: 'kong',
      serverDnsNames: ['localhost', 'dogcatcher-api', 'dogcatcher-api.default.svc.cluster.local'],
      serverCommonName: 'dogcatcher-api',
      clientCommonName: 'kong-client',
    }),
    mintFixturePki({
      organization: 'gateway',
      serverDnsNames: [
        'foo.example.com',
        'bar.example.com',
        'baz.example.com',
        '*.legacy.example.com',
        'backend.example.com',
        'backend.gateway-mtls.svc.cluster.local',
        'localhost',
      ],
      serverCommonName: 'foo.example.com',
      clientCommonName: 'gateway-client',
    }),
  ]);
  const pems: Record<string, string> = {
    'gufo/ca': gufo.root.certPem,
    'gufo/ca-key': gufo.root.keyPem,
    'gufo/server-chain': gufo.server.chainPem,
    'gufo/server-key': gufo.server.keyPem,
    'gufo/client': gufo.client.certPem,
    'gufo/client-key': gufo.client.keyPem,
    'nova/ca': nova.root.certPem,
    'nova/server-chain': nova.server.chainPem,
    'nova/server-key': nova.server.keyPem,
    'nova/client': nova.client.certPem,
    'nova/client-key': nova.client.keyPem,
    'nova/expired-server-chain': nova.badServers.expired.chainPem,
    'nova/expired-server-key': nova.badServers.expired.keyPem,
    'nova/other-key': nova.badServers.wrongSan.keyPem,
    // A server certificate of another CA (gufo's) beside nova's ca.crt.
    'foreign/server': gufo.server.chainPem,
    'foreign/server-key': gufo.server.keyPem,
    'kong/ca': kong.root.certPem,
    'kong/server': kong.server.chainPem,
    'kong/server-key': kong.server.keyPem,
    'kong/client': kong.client.certPem,
    'kong/client-key': kong.client.keyPem,
    'gateway/ca': gateway.root.certPem,
    'gateway/server-chain': gateway.server.chainPem,
    'gateway/server-key': gateway.server.keyPem,
    'gateway/client': gateway.client.certPem,
    'gateway/client-key': gateway.client.keyPem,
  };
  return { gufo, nova, kong, gateway, pems };
}
