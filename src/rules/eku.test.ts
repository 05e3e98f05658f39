import { describe, expect, it } from 'vitest';
import { caProblem, ekuForRole, roleFromEku, type EkuFit, type LeafRole } from './eku.js';

describe('EKU for a role', () => {
  it.each<[string[], LeafRole, Partial<EkuFit>]>([
    [[], 'server', { ok: true, unrestricted: true, missing: [], needs: ['serverAuth'] }],
    [[], 'peer', { ok: true, unrestricted: true, missing: [], needs: ['serverAuth', 'clientAuth'] }],
    [['serverAuth'], 'server', { ok: true, unrestricted: false, missing: [] }],
    [['serverAuth'], 'client', { ok: false, missing: ['clientAuth'] }],
    [['clientAuth'], 'server', { ok: false, missing: ['serverAuth'] }],
    [['serverAuth'], 'peer', { ok: false, missing: ['clientAuth'] }],
    [['serverAuth', 'clientAuth'], 'peer', { ok: true, missing: [] }],
    [['codeSigning'], 'peer', { ok: false, missing: ['serverAuth', 'clientAuth'] }],
    [['anyExtendedKeyUsage'], 'server', { ok: true, anyExtendedKeyUsage: true, missing: [] }],
    [['emailProtection', 'anyExtendedKeyUsage'], 'client', { ok: true, anyExtendedKeyUsage: true }],
    // OIDs, as node's X509Certificate.keyUsage gives them.
    [['1.3.6.1.5.5.7.3.1'], 'server', { ok: true }],
    [['1.3.6.1.5.5.7.3.1'], 'client', { ok: false, missing: ['clientAuth'] }],
    [['2.5.29.37.0'], 'client', { ok: true, anyExtendedKeyUsage: true }],
    [['1.2.3.4'], 'server', { ok: false, missing: ['serverAuth'] }],
  ])('%o for %s', (eku, role, want) => {
    expect(ekuForRole(eku, role)).toMatchObject(want);
  });

  it.each<[string[], LeafRole | undefined]>([
    [['serverAuth', 'clientAuth'], 'peer'],
    [['clientAuth', 'serverAuth', 'codeSigning'], 'peer'],
    [['serverAuth'], 'server'],
    [['1.3.6.1.5.5.7.3.2'], 'client'],
    [['codeSigning'], undefined],
    [[], undefined],
  ])('the role %o names: %s', (eku, want) => {
    expect(roleFromEku(eku)).toBe(want);
  });
});

describe('a CA for its role', () => {
  it.each<[boolean, string[], ReturnType<typeof caProblem>]>([
    [true, [], undefined],
    [true, ['keyCertSign', 'cRLSign'], undefined],
    [true, ['digitalSignature'], 'no-key-cert-sign'],
    [false, ['keyCertSign'], 'not-ca'],
    [false, [], 'not-ca'],
  ])('CA %s, key usage %o: %s', (ca, keyUsage, want) => {
    expect(caProblem({ ca, keyUsage })).toBe(want);
  });
});
