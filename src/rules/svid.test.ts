import { describe, expect, it } from 'vitest';
import { addDays } from '../core/clock.js';
import { extensionDer } from '../pki/encode.js';
import { certDer, mintCertificate, mintFixturePki } from '../pki/generate.js';
import { isSpiffeId, spiffeIdProblem, svidProblems } from './svid.js';

describe('spiffeIdProblem (SPIFFE-ID §2, X509-SVID §3.1)', () => {
  it.each(['spiffe://example.org/ns/default/sa/web', 'spiffe://td_1.example-x/a.b/c-d/E_F'])('%s is a workload SPIFFE ID', (id) => {
    expect(spiffeIdProblem(id)).toBeUndefined();
  });
  it.each([
    ['SPIFFE://example.org/w', /scheme/],
    ['spiffe:///w', /no trust domain/],
    ['spiffe://Example.org/w', /trust domain/],
    ['spiffe://example.org:8443/w', /trust domain/],
    ['spiffe://user@example.org/w', /trust domain/],
    ['spiffe://example.org', /no path/],
    ['spiffe://example.org/', /ends with/],
    ['spiffe://example.org//w', /empty segment/],
    ['spiffe://example.org/a/../w', /"\." or "\.\."/],
    ['spiffe://example.org/w?x=1', /query, fragment/],
    ['spiffe://example.org/w#f', /query, fragment/],
    ['spiffe://example.org/w%20x', /percent-encoding/],
  ])('%s: %s', (id, why) => {
    expect(spiffeIdProblem(id)).toMatch(why);
  });
  it('isSpiffeId reads the scheme only', () => {
    expect(isSpiffeId('spiffe://x/y')).toBe(true);
    expect(isSpiffeId('SPIFFE://x/y')).toBe(true);
    expect(isSpiffeId('web.example.org')).toBe(false);
  });
});

describe('svidProblems on certificates minted by the harness', () => {
  it('a leaf with one SPIFFE URI SAN, critical keyUsage digitalSignature, serverAuth+clientAuth: none; each departure named', async () => {
    const { root } = await mintFixturePki();
    const now = new Date();
    const base = { subject: 'CN=web', issuer: root, notBefore: addDays(now, -1), notAfter: addDays(now, 2) } as const;
    const ok = await mintCertificate({ ...base, sans: { uri: ['spiffe://example.org/web'] }, eku: ['serverAuth', 'clientAuth'] });
    expect(svidProblems(certDer(ok))).toEqual([]);
    const two = await mintCertificate({ ...base, sans: { uri: ['spiffe://example.org/web', 'spiffe://example.org/api'] }, eku: ['serverAuth', 'clientAuth'] });
    expect(svidProblems(certDer(two)).map((p) => p.clause)).toEqual(['X509-SVID §2']);
    const root0 = await mintCertificate({ ...base, sans: { uri: ['spiffe://example.org'] }, eku: ['serverAuth', 'clientAuth'] });
    expect(svidProblems(certDer(root0))[0]).toMatchObject({ severity: 'fail', text: expect.stringMatching(/no path/) });
    const noEku = await mintCertificate({ ...base, sans: { uri: ['spiffe://example.org/web'] } });
    expect(svidProblems(certDer(noEku))).toEqual([expect.objectContaining({ severity: 'warn', clause: 'X509-SVID §4.4' })]);
    const signer = await mintCertificate({
      ...base,
      sans: { uri: ['spiffe://example.org/web'] },
      eku: ['serverAuth', 'clientAuth'],
      tweak: { keyUsage: [0, 5] },
    });
    expect(svidProblems(certDer(signer))).toEqual([
      expect.objectContaining({ severity: 'fail', clause: 'X509-SVID §4.3', text: expect.stringMatching(/keyCertSign/) }),
    ]);
    const noKu = await mintCertificate({
      ...base,
      sans: { uri: ['spiffe://example.org/web'] },
      eku: ['serverAuth', 'clientAuth'],
      tweak: { drop: ['2.5.29.15'] },
    });
    expect(svidProblems(certDer(noKu))[0]).toMatchObject({ text: expect.stringMatching(/no keyUsage/) });
    const emptySubject = await mintCertificate({
      ...base,
      subject: Buffer.from([0x30, 0x00]),
      sans: { uri: ['spiffe://example.org/web'] },
      eku: ['serverAuth', 'clientAuth'],
      tweak: { add: [extensionDer('1.3.6.1.4.1.32473.9', false, Buffer.from([0x05, 0x00]))] },
    });
    expect(svidProblems(certDer(emptySubject)).map((p) => p.text)).toEqual([expect.stringMatching(/subject is empty and its subjectAltName is not critical/)]);
  });
});
