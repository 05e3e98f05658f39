// The harness's own chain verifier (src/pki/verify.ts) measured against the x509-limbo corpus
// (fixtures/x509-limbo, see its PROVENANCE.md): every case it can express is run in-process —
// the peer chain (peer_certificate + untrusted_intermediates) against trusted_certs at the case's
// validation_time (or now: the corpus's undated certificates are valid 1970–2969), with the
// case's EKU as the purpose — and its verdict compared with expected_result. Cases whose feature
// the verifier does not model are skipped with a counted reason. No TLS, no network: fast.
// LIMBO_DUMP=1 prints every case run with the verifier's problems.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadLimbo, type LimboCase } from '../src/client-test/limbo.js';
import { fixedClock, systemClock } from '../src/core/clock.js';
import { verifyChain, type ChainVerification } from '../src/pki/verify.js';

/** Features verifyChain does not model: the case is skipped with this reason (first match wins). */
const SKIP: [reason: string, applies: (c: LimboCase) => boolean][] = [
  ['revocation: the case supplies CRLs (verifyChain does not check revocation)', (c) => (c.crls?.length ?? 0) > 0],
  ['a maximum chain depth (a setting of the validating client, not of the chain)', (c) => c.max_chain_depth !== null && c.max_chain_depth !== undefined],
  ['limbo marks the rule pedantic (feature pedantic-*)', (c) => (c.features ?? []).some((f) => f.startsWith('pedantic-'))],
  ['certificate policies (policy processing is not modelled)', (c) => (c.features ?? []).includes('has-policy-constraints')],
  [
    'peer-name matching (sanCovers and the TLS client do it; verifyChain takes no peer name)',
    (c) => /^webpki::(san|cn)::/.test(c.id) || ['rfc5280::san::underscore-dns', 'rfc5280::san::ip-in-dns', 'rfc5280::ca-as-leaf-wrong-san'].includes(c.id),
  ],
  [
    'an issuance-profile rule that path validation does not check (AKI/SKI presence, serial numbers, extension criticality and duplicates, empty names, field encodings)',
    (c) =>
      (/^rfc5280::(aki|ski|serial)::/.test(c.id) &&
        !['rfc5280::aki::critical-aki', 'rfc5280::ski::critical-ski', 'rfc5280::aki::self-signed-root-missing-aki'].includes(c.id)) ||
      [
        'rfc5280::duplicate-extensions',
        'rfc5280::ee-empty-issuer',
        'rfc5280::ca-empty-subject',
        'rfc5280::san::malformed',
        'rfc5280::san::noncritical-with-empty-subject',
        'rfc5280::root-non-critical-basic-constraints',
        'rfc5280::eku::ee-eku-empty',
        'rfc5280::mismatching-signature-algorithm',
      ].includes(c.id),
  ],
  [
    'a CA/Browser Forum (Web PKI) profile rule beyond RFC 5280 (key sizes and curves, v3 only, AKI form, AIA form, CA certificates as leaves)',
    (c) => /^webpki::(aki::|forbidden-|v1-cert|explicit-curve|malformed-aia|ee-basicconstraints-ca|ca-as-leaf)/.test(c.id),
  ],
  ['the case requires leaf key usages (key_usage) the verifier is not asked for', (c) => (c.key_usage?.length ?? 0) > 0],
  [
    'the case requires EKUs other than one of serverAuth/clientAuth',
    (c) => (c.extended_key_usage ?? []).length > 1 || (c.extended_key_usage ?? []).some((e) => e !== 'serverAuth' && e !== 'clientAuth'),
  ],
];

/** The feature a case exercises, for the per-category figures. */
const CATEGORY: [category: string, re: RegExp][] = [
  ['name constraints', /::nc::|^cve::cve-2025-61727|^pathological::nc-dos/],
  ['pathlen', /^pathlen::/],
  ['key usage', /ku-keycertsign|^rfc5280::root-inconsistent-ca-extensions|^rfc5280::no-keyusage/],
  ['validity', /^rfc5280::validity::|^pathological::multiple-chains-expired-intermediate/],
  ['extended key usage', /::eku::/],
  ['critical extensions', /unknown-critical-extension|critical-aki|critical-ski|critical-aia|^rfc5280::ee-aia/],
  ['basic constraints', /basic-constraints|ca-without-ca-bit|basicconstraints|^rfc5280::ca-as-leaf/],
  ['real-world chains', /^online::/],
  ['path building', /^pathological::|^cve::|^invalid::|^rfc5280::chain-untrusted-root|^rfc5280::root-and-intermediate-swapped|^rfc5280::aki::self-signed/],
];

const categoryOf = (c: LimboCase) => CATEGORY.find(([, re]) => re.test(c.id))?.[0] ?? c.id.split('::')[0]!;
const skipReason = (c: LimboCase) => SKIP.find(([, applies]) => applies(c))?.[0];

interface Outcome {
  c: LimboCase;
  category: string;
  got: 'SUCCESS' | 'FAILURE';
  detail: string;
  ms: number;
}

function runCase(c: LimboCase): Outcome {
  const t0 = performance.now();
  let v: ChainVerification | undefined;
  let detail: string;
  try {
    const parse = (pem: string) => new X509Certificate(pem);
    const presented = [c.peer_certificate, ...c.untrusted_intermediates].map(parse);
    const anchors = c.trusted_certs.map(parse);
    const purpose = c.extended_key_usage?.[0] as 'serverAuth' | 'clientAuth' | undefined;
    v = verifyChain(presented, anchors, c.validation_time ? fixedClock(c.validation_time) : systemClock, purpose ? { purpose } : {});
    detail = v.ok ? 'ok' : v.problems.map((p) => `${p.code}: ${p.message}`).join(' | ');
  } catch (e) {
    // A certificate node cannot parse is one no TLS peer built on it could use either.
    detail = `unparsable: ${(e as Error).message}`;
  }
  return { c, category: categoryOf(c), got: v?.ok ? 'SUCCESS' : 'FAILURE', detail, ms: performance.now() - t0 };
}

/**
 * Every case the verifier disagrees on, and why. Each follows what OpenSSL 3.0 and Go do, because
 * the harness explains what real peers will do with a chain (checked with `openssl verify` on
 * these very cases); a case not listed here that disagrees fails the test.
 */
const KNOWN_DISAGREEMENTS: Record<string, string> = {
  'rfc5280::nc::permitted-dns-match-noncritical':
    'conflicts with webpki::nc::permitted-dns-match-noncritical, which agrees: like OpenSSL, Go and the Web PKI, the verifier applies name constraints whether the extension is critical or not',
  'rfc5280::nc::invalid-dnsname-leading-period':
    'OpenSSL and Go read a leading period in a DNS constraint as "subdomains only" and accept the chain; so does the verifier',
  'rfc5280::nc::not-allowed-in-ee-noncritical': 'nameConstraints in a leaf constrain nothing below it: an issuance-profile breach that OpenSSL and Go accept',
  'rfc5280::nc::not-allowed-in-ee-critical': 'as not-allowed-in-ee-noncritical (the extension is processed, so its criticality changes nothing)',
  'rfc5280::leaf-ku-keycertsign':
    'a CA:FALSE leaf asserting keyCertSign issues nothing on the path: an issuance-profile breach that OpenSSL (without -x509_strict) and Go accept',
};

/**
 * Agreement floor: 117 of the 122 cases run agree (measured when name constraints, keyUsage,
 * critical extensions, path backtracking and second-granularity validity were added; before that
 * the same 122 cases gave 73). It may rise, never drop.
 */
const AGREEMENT_FLOOR = 117;

/** The problem code an agreeing FAILURE of each important category must carry: agreement for the right reason. */
const REASON: Record<string, RegExp> = {
  'name constraints': /^name-constraints:/m,
  pathlen: /^path-length-exceeded:/m,
  'key usage': /^key-usage:/m,
  validity: /^(expired|not-yet-valid):/m,
};
/**
 * Cases of those categories that fail for another reason, as stored in fixtures/x509-limbo: the
 * intermediate whose keyUsage or basicConstraints the case is about is in neither trusted_certs
 * nor untrusted_intermediates, so the chain fails as issuer-missing (minted chains in
 * src/pki/verify.test.ts cover an intermediate without keyCertSign). The same holds, outside these
 * categories, for rfc5280::intermediate-ca-missing-basic-constraints.
 */
const OTHER_REASON: Record<string, RegExp> = {
  'rfc5280::ica-ku-keycertsign': /^issuer-missing:/,
};

const all = loadLimbo();
const skipped = new Map<string, string[]>();
const outcomes: Outcome[] = [];
for (const c of all) {
  const why = skipReason(c);
  if (why) skipped.set(why, [...(skipped.get(why) ?? []), c.id]);
  else outcomes.push(runCase(c));
}
const agree = outcomes.filter((o) => o.got === o.c.expected_result);
const disagree = outcomes.filter((o) => o.got !== o.c.expected_result);

// Print the figures (vitest shows console output of the file).
{
  const lines = [
    `x509-limbo verifyChain: ${outcomes.length} cases run, ${agree.length} agree, ${disagree.length} disagree, ${all.length - outcomes.length} skipped (of ${all.length})`,
  ];
  const cats = [...new Set(outcomes.map((o) => o.category))].sort();
  for (const cat of cats) {
    const inCat = outcomes.filter((o) => o.category === cat);
    const bad = inCat.filter((o) => o.got !== o.c.expected_result);
    lines.push(`  ${cat}: ${inCat.length - bad.length}/${inCat.length} agree${bad.length ? `; disagree: ${bad.map((o) => o.c.id).join(', ')}` : ''}`);
  }
  lines.push('  disagreements:');
  for (const o of disagree)
    lines.push(
      `    ${o.c.id}: expected ${o.c.expected_result}, got ${o.got} (${o.detail.slice(0, 200)})${KNOWN_DISAGREEMENTS[o.c.id] ? ` — known: ${KNOWN_DISAGREEMENTS[o.c.id]}` : ' — NOT A KNOWN DISAGREEMENT'}`,
    );
  if (process.env.LIMBO_DUMP)
    for (const o of outcomes)
      lines.push(`    ${o.got === o.c.expected_result ? 'ok ' : 'BAD'} ${o.category} ${o.c.id}: ${o.c.expected_result} ${o.detail.slice(0, 300)}`);
  lines.push('  skipped:');
  for (const [why, ids] of skipped) lines.push(`    ${ids.length} × ${why}`);
  console.log(lines.join('\n'));
}

describe('verifyChain against x509-limbo', () => {
  it(`agrees on at least ${AGREEMENT_FLOOR} cases, and every disagreement is a known one`, () => {
    expect(agree.length).toBeGreaterThanOrEqual(AGREEMENT_FLOOR);
    expect(
      disagree.filter((o) => !(o.c.id in KNOWN_DISAGREEMENTS)).map((o) => `${o.c.id}: expected ${o.c.expected_result}, got ${o.got} (${o.detail})`),
    ).toEqual([]);
  });

  it('name constraints, pathlen, keyUsage keyCertSign and validity (expired and not-yet-valid intermediates too) agree, but for the listed cases', () => {
    const wrong = (cat: string) => outcomes.filter((o) => o.category === cat && o.got !== o.c.expected_result).map((o) => o.c.id);
    expect(wrong('name constraints')).toEqual([
      'rfc5280::nc::permitted-dns-match-noncritical',
      'rfc5280::nc::invalid-dnsname-leading-period',
      'rfc5280::nc::not-allowed-in-ee-noncritical',
      'rfc5280::nc::not-allowed-in-ee-critical',
    ]);
    expect(wrong('pathlen')).toEqual([]);
    expect(wrong('key usage')).toEqual(['rfc5280::leaf-ku-keycertsign']);
    expect(wrong('validity')).toEqual([]);
    // They were run, not skipped (max-chain-depth cases are, being a client setting).
    const ran = (id: string) => outcomes.some((o) => o.c.id === id);
    for (const id of [
      'rfc5280::validity::expired-intermediate',
      'rfc5280::validity::expired-root',
      'rfc5280::validity::notafter-fractional',
      'rfc5280::root-inconsistent-ca-extensions',
      'pathlen::intermediate-violates-pathlen-0',
      'pathlen::self-issued-certs-pathlen',
      'rfc5280::nc::nc-forbids-same-chain-ica',
      'cve::cve-2025-61727',
    ]) {
      expect(ran(id), id).toBe(true);
    }
    expect(outcomes.filter((o) => o.category === 'name constraints')).toHaveLength(57);
  });

  it("an agreeing FAILURE in those categories fails for that category's reason", () => {
    const wrongReason = outcomes
      .filter((o) => REASON[o.category] && o.c.expected_result === 'FAILURE' && o.got === 'FAILURE')
      .filter((o) => !(OTHER_REASON[o.c.id] ?? REASON[o.category]!).test(o.detail.split(' | ').join('\n')))
      .map((o) => `${o.c.id}: ${o.detail}`);
    expect(wrongReason).toEqual([]);
    // The expired intermediate is named as the expired one.
    const ei = outcomes.find((o) => o.c.id === 'rfc5280::validity::expired-intermediate')!;
    expect(ei.detail).toMatch(/^expired: "[^"]*x509-limbo-intermediate[^"]*" expired on 2020-01-01/);
    expect(ei.detail).not.toMatch(/the leaf|x509-limbo-root/);
  });

  it('finds the valid path when the first one tried breaks a constraint (backtracking)', () => {
    for (const id of [
      'rfc5280::nc::nc-forbids-alternate-chain-ica',
      'rfc5280::nc::nc-forbids-same-chain-ica',
      'pathological::multiple-chains-expired-intermediate',
      'cve::cve-2024-0567',
    ]) {
      expect(outcomes.find((o) => o.c.id === id)?.got, id).toBe('SUCCESS');
    }
  });

  it('runs every case it can express, none taking long (the pathological ones included)', () => {
    expect(outcomes.length + [...skipped.values()].flat().length).toBe(all.length);
    // No exponential path search, no quadratic constraint check: decoding nc-dos-1's leaf (4,096
    // names, linear in the library) is the slowest, about a second on a busy 2-core machine.
    const slow = outcomes.filter((o) => o.ms > 5000).map((o) => `${o.c.id}: ${Math.round(o.ms)} ms`);
    expect(slow).toEqual([]);
  });
});
