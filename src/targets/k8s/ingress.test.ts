import { describe, expect, it } from 'vitest';
import { declaredAuth, type Ingress } from './ingress.js';

const ing = (annotations: Record<string, string>): Ingress => ({ metadata: { name: 'i', annotations } });
const P = 'nginx.ingress.kubernetes.io/';

describe('declaredAuth: the auth-tls annotations as ingress-nginx reads them', () => {
  it('with a secret, verify-client defaults to on; each documented value is taken as is; depth defaults to 1', () => {
    expect(declaredAuth(ing({ [`${P}auth-tls-secret`]: 'ns/ca' }))).toEqual({ verify: 'on', secret: 'ns/ca', depth: 1, passToUpstream: false, notes: [] });
    for (const v of ['on', 'optional', 'optional_no_ca', 'off'])
      expect(declaredAuth(ing({ [`${P}auth-tls-secret`]: 'ns/ca', [`${P}auth-tls-verify-client`]: v })).verify).toBe(v);
    expect(
      declaredAuth(ing({ [`${P}auth-tls-secret`]: 'ns/ca', [`${P}auth-tls-verify-depth`]: '3', [`${P}auth-tls-pass-certificate-to-upstream`]: 'true' })),
    ).toMatchObject({ depth: 3, passToUpstream: true });
  });

  it('an unknown verify-client value is "on" (said in notes); without auth-tls-secret nothing is verified ("off", said in notes)', () => {
    const bad = declaredAuth(ing({ [`${P}auth-tls-secret`]: 'ns/ca', [`${P}auth-tls-verify-client`]: 'yes' }));
    expect(bad.verify).toBe('on');
    expect(bad.notes[0]).toMatch(/"yes" is none of on, optional, optional_no_ca, off/);
    const noSecret = declaredAuth(ing({ [`${P}auth-tls-verify-client`]: 'on' }));
    expect(noSecret.verify).toBe('off');
    expect(noSecret.notes[0]).toMatch(/auth-tls-secret is not: ingress-nginx ignores it/);
    expect(declaredAuth(ing({})).verify).toBe('off');
  });
});
