import { describe, expect, it } from 'vitest';
import type { Gateway, Listener, ParentRef, Route } from './gateway.js';
import { attached, sniOf, validationOf } from './gateway-targets.js';

const CA = { caCertificateRefs: [{ kind: 'ConfigMap', name: 'ca' }] };
const https = (name: string, port: number, extra: Partial<Listener> = {}): Listener => ({ name, port, protocol: 'HTTPS', ...extra });
const gw = (spec: Gateway['spec']): Gateway => ({ metadata: { name: 'gw', namespace: 'shop' }, spec });
const route = (hostnames: string[], parentRefs: ParentRef[], ns = 'shop'): Route => ({
  metadata: { name: 'r', namespace: ns },
  spec: { hostnames, parentRefs },
});

describe('validationOf: the client validation that applies to a listener', () => {
  it.each([
    [
      'the listener form (v1.1–v1.3) wins',
      gw({ tls: { frontend: { default: { validation: CA } } } }),
      https('a', 443, { tls: { frontendValidation: CA } }),
      'listener a tls.frontendValidation',
    ],
    ['the Gateway default (v1.4+)', gw({ tls: { frontend: { default: { validation: CA } } } }), https('a', 443), 'spec.tls.frontend.default.validation'],
    [
      'a perPort entry on its port',
      gw({ tls: { frontend: { default: {}, perPort: [{ port: 8443, tls: { validation: { ...CA, mode: 'AllowInsecureFallback' } } }] } } }),
      https('a', 8443),
      'spec.tls.frontend.perPort[port 8443].tls.validation',
    ],
    [
      'a perPort entry without validation replaces the default',
      gw({ tls: { frontend: { default: { validation: CA }, perPort: [{ port: 8443, tls: {} }] } } }),
      https('a', 8443),
      undefined,
    ],
    [
      'another port keeps the default',
      gw({ tls: { frontend: { default: { validation: CA }, perPort: [{ port: 8443, tls: {} }] } } }),
      https('a', 443),
      'spec.tls.frontend.default.validation',
    ],
    [
      'spec.tls.frontend applies to HTTPS listeners only',
      gw({ tls: { frontend: { default: { validation: CA } } } }),
      { name: 'a', port: 443, protocol: 'TLS', tls: { mode: 'Terminate' } },
      undefined,
    ],
    ['empty caCertificateRefs validate nothing', gw({}), https('a', 443, { tls: { frontendValidation: { caCertificateRefs: [] } } }), undefined],
    ['nothing declared', gw({}), https('a', 443), undefined],
  ])('%s', (_what, g, l, field) => {
    expect(validationOf(g, l).field).toBe(field);
  });
});

describe('sniOf', () => {
  it.each([
    ['the hostname', https('a', 443, { hostname: 'foo.example.com' }), [], 'foo.example.com'],
    ['a wildcard: a route hostname under it', https('a', 443, { hostname: '*.example.com' }), ['other.org', 'api.example.com'], 'api.example.com'],
    [
      'a wildcard without such a route: a name made up under it',
      https('a', 443, { hostname: '*.example.com' }),
      ['other.org'],
      'mtls-harness-probe.example.com',
    ],
    ['no hostname: the first concrete route hostname', https('a', 443), ['*.x.org', 'app.x.org'], 'app.x.org'],
    ['nothing to go by', https('a', 443), [], undefined],
  ])('%s', (_what, l, hosts, sni) => {
    expect(sniOf(l, [route(hosts, [])])).toBe(sni);
  });
});

describe('attached: routes whose parentRefs name the listener', () => {
  const g = gw({});
  const l = https('https', 443);
  it.each([
    ['the Gateway, no sectionName', [{ name: 'gw' }], 'shop', true],
    ['the listener by sectionName', [{ name: 'gw', sectionName: 'https' }], 'shop', true],
    ['another listener', [{ name: 'gw', sectionName: 'other' }], 'shop', false],
    ['another port', [{ name: 'gw', port: 8443 }], 'shop', false],
    ['another Gateway', [{ name: 'gw2' }], 'shop', false],
    ['a route of another namespace naming this one (allowedRoutes from: Same, the default)', [{ name: 'gw', namespace: 'shop' }], 'apps', false],
    ['a route of another namespace without the namespace', [{ name: 'gw' }], 'apps', false],
    ['a parentRef to a Service (GAMMA)', [{ name: 'gw', kind: 'Service' }], 'shop', false],
  ])('%s', (_what, parentRefs, ns, yes) => {
    expect(attached([route([], parentRefs, ns)], g, 'shop', l).length).toBe(yes ? 1 : 0);
  });
});

describe('attached: what the listener allows (allowedRoutes)', () => {
  const g = gw({});
  const ref = [{ name: 'gw', namespace: 'shop' }];
  const withAllowed = (allowedRoutes: Listener['allowedRoutes']): Listener => ({ ...https('https', 443), ...(allowedRoutes ? { allowedRoutes } : {}) });
  it.each([
    ['from: All admits another namespace', { namespaces: { from: 'All' } }, 'apps', 'HTTPRoute', true],
    ['from: Same refuses another namespace', { namespaces: { from: 'Same' } }, 'apps', 'HTTPRoute', false],
    ['from: Selector: another namespace is not taken (its labels are not read)', { namespaces: { from: 'Selector' } }, 'apps', 'HTTPRoute', false],
    ['from: Selector: the Gateway’s own namespace is', { namespaces: { from: 'Selector' } }, 'shop', 'HTTPRoute', true],
    ['kinds listing the route’s kind', { kinds: [{ kind: 'HTTPRoute' }] }, 'shop', 'HTTPRoute', true],
    ['kinds not listing it', { kinds: [{ kind: 'GRPCRoute' }] }, 'shop', 'HTTPRoute', false],
    ['kinds of another group', { kinds: [{ group: 'example.com', kind: 'HTTPRoute' }] }, 'shop', 'HTTPRoute', false],
  ] as const)('%s', (_what, allowed, ns, kind, yes) => {
    const r = { ...route([], ref, ns), kind };
    expect(attached([r], g, 'shop', withAllowed(allowed as Listener['allowedRoutes'])).length).toBe(yes ? 1 : 0);
  });
});
