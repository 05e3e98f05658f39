import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../pki/generate.js';
import { checkChainOrder, isSelfSigned, likelyMissingRoot, type ChainOrderReport } from './chain-order.js';

let pki: FixturePki;
beforeAll(async () => {
  pki = await mintFixturePki();
});

type Name = 'leaf' | 'int' | 'root' | 'other' | 'lookAlike';
const cert = (n: Name): X509Certificate =>
  new X509Certificate(
    {
      leaf: pki.server.certPem,
      int: pki.intermediate.certPem,
      root: pki.root.certPem,
      other: pki.badClients.selfSigned.certPem,
      lookAlike: pki.badClients.untrustedCaIssuer.certPem,
    }[n],
  );

describe('chain order', () => {
  it.each<[string, Name[], Partial<ChainOrderReport>, RegExp[]]>([
    ['leaf, intermediate: in order', ['leaf', 'int'], { ok: true, ordered: true, rootSent: false, unrelated: [] }, []],
    ['a lone leaf is in order', ['leaf'], { ok: true, ordered: true, rootSent: false, unrelated: [] }, []],
    ['leaf, intermediate, root: in order, the root noted', ['leaf', 'int', 'root'], { ok: true, ordered: true, rootSent: true, unrelated: [] }, []],
    // The first certificate is the one TLS treats as the leaf, so the real leaf sent second certifies nothing.
    [
      'reversed',
      ['int', 'leaf'],
      { ok: false, ordered: false, rootSent: false, unrelated: [1] },
      [/certificate #1 \(.*Intermediate.*\) is not issued by certificate #2/, /certificate #2 \(.*localhost.*\) issues nothing in the chain/],
    ],
    [
      'a stranger at the end is unrelated',
      ['leaf', 'int', 'other'],
      { ok: false, ordered: false, unrelated: [2] },
      [/is not issued by certificate #3/, /certificate #3 .* issues nothing in the chain/],
    ],
    [
      'leaf, root: the intermediate is skipped, so the root does not issue the leaf',
      ['leaf', 'root'],
      { ok: false, ordered: false, rootSent: true, unrelated: [1] },
      [/certificate #1 .* is not issued by certificate #2/, /certificate #2 .* issues nothing in the chain/],
    ],
    [
      'leaf, root, intermediate: out of order, nothing unrelated',
      ['leaf', 'root', 'int'],
      { ok: false, ordered: false, unrelated: [] },
      [/certificate #1 .* is not issued by certificate #2/, /certificate #2 .* is not issued by certificate #3/],
    ],
    [
      'a look-alike root (same name, another key) is not the issuer and certifies nothing',
      ['leaf', 'int', 'lookAlike'],
      { ok: false, ordered: false, rootSent: true, unrelated: [2] },
      [/not issued by certificate #3/, /certificate #3 .* issues nothing/],
    ],
  ])('%s', (_, names, want, issues) => {
    const r = checkChainOrder(names.map(cert));
    expect(r).toMatchObject(want);
    expect(r.issues).toHaveLength(issues.length);
    issues.forEach((re, i) => expect(r.issues[i]).toMatch(re));
  });

  it.each<[Name, boolean]>([
    ['root', true],
    ['other', true],
    ['lookAlike', true],
    ['int', false],
    ['leaf', false],
  ])('%s is self-signed: %s', (n, want) => {
    expect(isSelfSigned(cert(n))).toBe(want);
  });
});

describe('a missing issuer: root or intermediate?', () => {
  it.each<[string, { ca: boolean }[], boolean]>([
    ['a lone leaf: the missing one may be an intermediate', [{ ca: false }], false],
    ['leaf and an intermediate sent: the missing one is the root', [{ ca: false }, { ca: true }], true],
    ['leaf and a non-CA extra: cannot tell', [{ ca: false }, { ca: false }], false],
    ['nothing sent', [], false],
  ])('%s', (_, chain, want) => {
    expect(likelyMissingRoot(chain)).toBe(want);
  });
});
