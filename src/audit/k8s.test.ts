import { beforeAll, describe, expect, it } from 'vitest';
import { referencesOf } from '../../suites/references.js';
import { fixedClock } from '../core/clock.js';
import { mintFixturePki, type FixturePki } from '../pki/generate.js';
import { DEFAULT_POLICY } from '../core/target.js';
import { auditCluster, K8S_AUDIT_CHECKS } from './k8s.js';
import type { NamespaceSnapshot, Pod } from '../targets/k8s/objects.js';

let pki: FixturePki;
const b64 = (s: string) => Buffer.from(s).toString('base64');
beforeAll(async () => {
  pki = await mintFixturePki();
});

const audit = (snap: NamespaceSnapshot) => {
  const out = auditCluster({ snapshots: [snap], forbidden: [], policy: DEFAULT_POLICY, clock: fixedClock(Date.now()) });
  return (target: string, check: string) => out.results.find((r) => r.target === target && r.check === check);
};

describe('auditCluster', () => {
  it('every k8s-audit check id has a normative reference', () => {
    for (const c of K8S_AUDIT_CHECKS) expect(referencesOf(c.id).length, c.id).toBeGreaterThan(0);
  });

  it('projected Secret sources, per-item modes and optional references are understood', () => {
    const tls = { metadata: { name: 'tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64(pki.server.chainPem), 'tls.key': b64(pki.server.keyPem) } };
    const p: Pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'c',
            volumeMounts: [{ name: 'proj', mountPath: '/tls', readOnly: true }],
            env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'maybe', key: 'k', optional: true } } }],
            envFrom: [{ secretRef: { name: 'env-secret' } }],
          },
        ],
        volumes: [
          {
            name: 'proj',
            projected: {
              defaultMode: 0o400,
              sources: [
                {
                  secret: {
                    name: 'tls',
                    items: [
                      { key: 'tls.crt', path: 'tls.crt', mode: 0o644 },
                      { key: 'tls.key', path: 'tls.key' },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    };
    const get = audit({ namespace: 'ns', pods: [p], secrets: [tls] });
    expect(get('pod/ns/p', 'k8s.pod-secret-mount-readonly')?.status).toBe('pass');
    const mode = get('pod/ns/p', 'k8s.pod-secret-default-mode')!;
    expect(mode.status).toBe('fail');
    expect(mode.message).toMatch(/tls\.crt\): 0644/);
    const missing = get('pod/ns/p', 'k8s.pod-missing-secret')!;
    expect(missing.status).toBe('fail');
    expect(missing.evidence).toMatchObject({ missing: ['env-secret'] });
  });

  it('a private key in binaryData is found; a CA certificate in a ConfigMap is fine', () => {
    const get = audit({
      namespace: 'ns',
      configMaps: [
        { metadata: { name: 'bin' }, binaryData: { 'key.der.pem': b64(pki.client.keyPem) } },
        { metadata: { name: 'ca' }, data: { 'ca.pem': pki.root.certPem } },
      ],
    });
    expect(get('configmap/ns/bin', 'k8s.configmap-private-key')?.status).toBe('fail');
    expect(get('configmap/ns/ca', 'k8s.configmap-private-key')?.status).toBe('pass');
  });

  it('renewBeforePercentage and the default (1/3 of duration) are judged against the policy', () => {
    const cert = (name: string, spec: Record<string, unknown>) => ({
      metadata: { name },
      spec: { secretName: name, ...spec },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const get = audit({
      namespace: 'ns',
      certificates: [cert('pct', { duration: '2160h', renewBeforePercentage: 5 }), cert('short', { duration: '720h' }), cert('dflt', {})],
    });
    expect(get('certificate/ns/pct', 'k8s.certificate-renew-before')?.message).toMatch(/renews only 4\.5 days before expiry \(renewBeforePercentage 5\)/);
    expect(get('certificate/ns/short', 'k8s.certificate-renew-before')?.status).toBe('warn');
    expect(get('certificate/ns/dflt', 'k8s.certificate-renew-before')?.status).toBe('pass');
    expect(get('certificate/ns/dflt', 'k8s.certificate-ready')?.status).toBe('pass');
  });

  it('a key that cannot be read is a key-match failure that says so, never the key', () => {
    const get = audit({
      namespace: 'ns',
      secrets: [
        {
          metadata: { name: 's' },
          data: { 'tls.crt': b64(pki.server.certPem), 'tls.key': b64('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n') },
        },
      ],
    });
    const r = get('secret/ns/s', 'k8s.secret-key-matches')!;
    expect(r.status).toBe('fail');
    expect(r.message).toMatch(/^tls\.key cannot be read/);
    expect(JSON.stringify(r)).not.toMatch(/BEGIN|AAAA/);
  });
});
