import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintCertificate, type SubjectAltNames } from '../pki/generate.js';
import { carriesIdentity, hasSubjectAltName, identityKind, sanCoverage, sanEntryFor, sanKindFor, sanList, type Sans } from './san.js';

const sans = (o: Partial<Sans>): Sans => ({ dns: [], ip: [], uri: [], email: [], other: [], ...o });

describe('SAN lists', () => {
  it.each<[string, Partial<Sans>, string[], boolean]>([
    ['none', {}, [], false],
    ['DNS and IP', { dns: ['a.example'], ip: ['127.0.0.1', '::1'] }, ['DNS:a.example', 'IP:127.0.0.1', 'IP:::1'], true],
    [
      'every kind, in order',
      { other: ['registeredID:1.2.3'], email: ['ops@example.com'], uri: ['spiffe://td/x'], dns: ['a'] },
      ['DNS:a', 'URI:spiffe://td/x', 'email:ops@example.com', 'registeredID:1.2.3'],
      true,
    ],
    ['an email only is a SAN', { email: ['ops@example.com'] }, ['email:ops@example.com'], true],
  ])('%s', (_, s, list, has) => {
    expect(sanList(sans(s))).toEqual(list);
    expect(hasSubjectAltName(sans(s))).toBe(has);
  });
});

describe('names and identities', () => {
  it.each<[string, 'IP' | 'DNS']>([
    ['localhost', 'DNS'],
    ['127.0.0.1', 'IP'],
    ['::1', 'IP'],
    ['fe80::1', 'IP'],
    ['2001:db8::abcd', 'IP'],
    ['1234', 'DNS'],
    ['*.example.com', 'DNS'],
  ])('%s is a %s name', (name, kind) => {
    expect(sanKindFor(name)).toBe(kind);
    expect(sanEntryFor(name)).toBe(`${kind}:${name}`);
  });

  it.each<[string, 'URI' | 'DNS']>([
    ['spiffe://td.example/ns/a/sa/b', 'URI'],
    ['urn:example:client', 'URI'],
    ['https://client.example/', 'URI'],
    ['client.example', 'DNS'],
    ['client', 'DNS'],
  ])('identity %s is a %s SAN', (id, kind) => {
    expect(identityKind(id)).toBe(kind);
  });

  it.each<[Partial<Sans>, string, boolean]>([
    [{ uri: ['spiffe://td/a'] }, 'spiffe://td/a', true],
    [{ dns: ['svc.ns'] }, 'svc.ns', true],
    [{ dns: ['svc.ns'] }, 'SVC.ns', false],
    [{ uri: ['spiffe://td/a'] }, 'spiffe://td/b', false],
    [{ email: ['a@b'] }, 'a@b', false],
  ])('%o carries %s: %s', (s, id, want) => {
    expect(carriesIdentity(sans(s), id)).toBe(want);
  });
});

describe('SAN coverage (RFC 9525)', () => {
  const mint = async (s: SubjectAltNames, cn = 'cn.example') => {
    const c = await mintCertificate({ subject: `CN=${cn}`, notBefore: new Date(Date.now() - 3_600_000), notAfter: new Date(Date.now() + 86_400_000), sans: s });
    return new X509Certificate(c.certPem);
  };
  let wild: X509Certificate;
  let ips: X509Certificate;
  let cnOnly: X509Certificate;
  beforeAll(async () => {
    [wild, ips, cnOnly] = await Promise.all([
      mint({ dns: ['*.example.com', 'api.internal'] }),
      mint({ ip: ['10.0.0.1', '::1'], dns: ['host'] }),
      mint({}, 'cn-only.example'),
    ]);
  });

  it.each<[string, () => X509Certificate, string, boolean]>([
    ['a wildcard covers one left-most label', () => wild, 'a.example.com', true],
    ['a wildcard does not cover two labels', () => wild, 'a.b.example.com', false],
    ['a wildcard does not cover the bare domain', () => wild, 'example.com', false],
    ['names compare case-insensitively', () => wild, 'API.Internal', true],
    ['a DNS SAN covers exactly its name', () => wild, 'api.internal.example', false],
    ['an IPv4 SAN covers the address', () => ips, '10.0.0.1', true],
    ['an IPv6 SAN covers the address', () => ips, '::1', true],
    ['an address is not matched against DNS SANs', () => ips, '10.0.0.2', false],
    ['the CN is never used', () => cnOnly, 'cn-only.example', false],
  ])('%s', (_, cert, name, want) => {
    expect(sanCoverage(cert(), [name])).toEqual({ ok: want, covered: want ? [name] : [], uncovered: want ? [] : [name] });
  });

  it('several names against several certificates: a name is covered when any certificate covers it', () => {
    expect(sanCoverage([wild, ips], ['a.example.com', '10.0.0.1', 'nowhere.test', 'host'])).toEqual({
      ok: false,
      covered: ['a.example.com', '10.0.0.1', 'host'],
      uncovered: ['nowhere.test'],
    });
    expect(sanCoverage([], ['x'])).toEqual({ ok: false, covered: [], uncovered: ['x'] });
    expect(sanCoverage(wild, [])).toEqual({ ok: true, covered: [], uncovered: [] });
  });
});
