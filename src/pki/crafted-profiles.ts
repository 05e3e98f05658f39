/**
 * The crafted certificate profiles (docs/CONFORMANCE.md "Crafted certificate profiles"): one table,
 * one row per kind of bad client certificate an attacker or a misconfigured CA produces, chosen
 * from RFC 5280, the CA/Browser Forum Baseline Requirements, SPIFFE X.509-SVID and the categories
 * of X509-Anvil and x509-limbo. Each row says how the certificate differs from its control (the
 * same options minted from the same CA with that one property changed) and whether a server must
 * refuse it (`refuse`: RFC 5280 path validation rejects it; accepted is `fail`) or should
 * (`policy`: a rule for the issuing CA or a profile that a verifier may or may not enforce;
 * accepted is `warn`). One parameterised check per row: suites/crafted-profiles.ts.
 */
import { generateKey, sharedLeafKey, type GeneratedKey } from './keys.js';
import { element } from './der.js';
import { extensionDer } from './encode.js';
import { addDays } from '../core/clock.js';
import { mintCertificate, type Credential, type MintOptions } from './generate.js';
import { readCertFields } from './fields.js';
import {
  EXAMPLE_PEN,
  EXCLUDED,
  LEAF_PROFILES,
  PERMITTED,
  rfc5280,
  seq,
  SPIFFE_ID,
  type CraftedProfile,
  type ProfileControl,
  type ProfileEnv,
} from './crafted-table.js';

export type { Clause, CraftedProfile, ProfileControl, ProfileEnv } from './crafted-table.js';

/** The table: the leaf rows (crafted-table.ts), then the path rows. Order is report order; ids never change. */
export const CRAFTED_PROFILES: readonly CraftedProfile[] = [
  ...LEAF_PROFILES,
  // the path
  {
    id: 'intermediate-not-ca',
    what: 'a client certificate issued by an intermediate without basicConstraints CA:TRUE',
    clauses: [rfc5280('6.1.4', 'Preparation for the next certificate: (k) cA TRUE')],
    expect: 'refuse',
    control: 'chain',
    intermediate: (o) => ({ ...o, ca: false, tweak: { keyUsage: [0, 5, 6] } }),
  },
  {
    id: 'intermediate-no-key-cert-sign',
    what: 'a client certificate issued by an intermediate whose keyUsage lacks keyCertSign',
    clauses: [rfc5280('6.1.4', 'Preparation for the next certificate: (n) keyCertSign')],
    expect: 'refuse',
    control: 'chain',
    intermediate: (o) => ({ ...o, tweak: { keyUsage: [0, 6] } }),
  },
  {
    id: 'intermediate-expired',
    what: 'a client certificate issued by an expired intermediate',
    clauses: [rfc5280('6.1.3', 'Basic certificate processing: every certificate’s validity includes the current time')],
    expect: 'refuse',
    control: 'chain',
    intermediate: (o, env) => ({ ...o, notBefore: addDays(env.now, -30), notAfter: addDays(env.now, -1) }),
  },
  {
    id: 'intermediate-unknown-critical-extension',
    what: 'a client certificate issued by an intermediate with an unknown critical extension',
    clauses: [rfc5280('6.1.4', 'Preparation for the next certificate: (o) unrecognised critical extensions')],
    expect: 'refuse',
    control: 'chain',
    intermediate: (o) => ({ ...o, tweak: { add: [extensionDer(`${EXAMPLE_PEN}.1`, true, element(0x05, Buffer.alloc(0)))] } }),
  },
  {
    id: 'intermediate-bad-signature',
    what: 'a client certificate issued by an intermediate whose signature does not verify',
    clauses: [rfc5280('6.1.3', 'Basic certificate processing: the signature verifies with the issuer’s key')],
    expect: 'refuse',
    control: 'chain',
    intermediate: (o) => ({ ...o, tweak: { flipSignature: true } }),
  },
  {
    id: 'path-length-exceeded',
    what: 'a client certificate under two intermediates, the first with pathLenConstraint 0',
    clauses: [rfc5280('4.2.1.9', 'Basic constraints: pathLenConstraint'), rfc5280('6.1.4', 'Preparation for the next certificate: (l) max_path_length')],
    expect: 'refuse',
    control: 'two-intermediates',
    intermediate: (o) => ({ ...o, pathLength: 0 }),
    notApplicable: (env) =>
      caPathLength(env.ca) !== undefined && caPathLength(env.ca)! < 2
        ? `the CA's pathLenConstraint ${caPathLength(env.ca)} allows no control of the same chain length (two intermediates; RFC 5280 §4.2.1.9)`
        : undefined,
  },
  {
    id: 'name-constraints-permitted',
    what: "a client certificate whose DNS SAN is outside its intermediate's permitted name constraints",
    clauses: [rfc5280('4.2.1.10', 'Name constraints'), rfc5280('6.1.3', 'Basic certificate processing: (b) permitted subtrees')],
    expect: 'refuse',
    control: 'constrained',
    leaf: (o) => ({ ...o, sans: { dns: ['client.other.invalid'] } }),
  },
  {
    id: 'name-constraints-excluded',
    what: "a client certificate whose DNS SAN is inside its intermediate's excluded name constraints",
    clauses: [rfc5280('4.2.1.10', 'Name constraints'), rfc5280('6.1.3', 'Basic certificate processing: (c) excluded subtrees')],
    expect: 'refuse',
    control: 'constrained',
    leaf: (o) => ({ ...o, sans: { dns: [`client.${EXCLUDED}`] } }),
  },
];

function caPathLength(ca: Credential): number | undefined {
  return readCertFields(Buffer.from(ca.cert.rawData))?.basicConstraints?.pathLength;
}

/** The name constraints of the constrained control's intermediate: permitted `mtls-harness.invalid`, excluded `excluded.mtls-harness.invalid`. */
const NAME_CONSTRAINTS = extensionDer(
  '2.5.29.30',
  true,
  seq(element(0xa0, seq(element(0x82, Buffer.from(PERMITTED)))), element(0xa1, seq(element(0x82, Buffer.from(EXCLUDED))))),
);

/** A certificate and its control, minted from the same CA. */
export interface ProfilePair {
  crafted: Credential;
  control: Credential;
}

/** Options of an intermediate under the CA (a fresh P-256 key: cheap, and never the leaves' key). */
async function intermediateOptions(ca: Credential, valid: MintOptions, name: string): Promise<MintOptions> {
  return {
    subject: `CN=mtls-harness crafted ${name} intermediate, O=mtls-harness`,
    issuer: ca,
    key: await generateKey('ec-p256'),
    notBefore: valid.notBefore,
    notAfter: valid.notAfter,
    ca: true,
  };
}

/**
 * The control of a kind: the valid client (`valid`, issued by the CA) with the shared leaf key;
 * for chain kinds under a valid intermediate, for name constraints under the constrained one.
 */
export async function mintControl(
  kind: ProfileControl,
  ca: Credential,
  valid: MintOptions,
): Promise<{ leaf: MintOptions; control: Credential; intermediate?: MintOptions }> {
  const leaf: MintOptions = { ...valid, key: await sharedLeafKey(ca.key.type) };
  if (kind === 'leaf') return { leaf, control: await mintCertificate(leaf) };
  if (kind === 'spiffe') {
    const spiffe = { ...leaf, sans: { uri: [SPIFFE_ID] } };
    return { leaf: spiffe, control: await mintCertificate(spiffe) };
  }
  const base = await intermediateOptions(ca, valid, kind);
  const int = kind === 'constrained' ? { ...base, pathLength: 0, tweak: { add: [NAME_CONSTRAINTS] } } : base;
  let issuer = await mintCertificate(int);
  if (kind === 'two-intermediates') issuer = await mintCertificate(secondIntermediate(base, issuer, await generateKey('ec-p256')));
  const under = { ...leaf, issuer, ...(kind === 'constrained' ? { sans: { dns: [`client.${PERMITTED}`] } } : {}) };
  return { leaf: under, control: await mintCertificate(under), intermediate: int };
}

/** The crafted certificate of a profile, from its control's options (mintControl). */
export async function mintCrafted(p: CraftedProfile, env: ProfileEnv, c: { leaf: MintOptions; intermediate?: MintOptions }): Promise<Credential> {
  if (p.control === 'constrained' || !p.intermediate) return mintCertificate(await p.leaf!(c.leaf, env));
  const int = p.intermediate(c.intermediate!, env);
  if (p.control === 'two-intermediates') {
    // The first intermediate (the crafted one) issues the second, which issues the leaf.
    const second = await mintCertificate(secondIntermediate(c.intermediate!, await mintCertificate(int), await generateKey('ec-p256')));
    return mintCertificate({ ...c.leaf, issuer: second });
  }
  return mintCertificate({ ...c.leaf, issuer: await mintCertificate(int) });
}

function secondIntermediate(first: MintOptions, issuer: Credential, key: GeneratedKey): MintOptions {
  return { ...first, subject: 'CN=mtls-harness crafted second intermediate, O=mtls-harness', issuer, key, tweak: {} };
}

/** A profile by id. */
export function craftedProfile(id: string): CraftedProfile | undefined {
  return CRAFTED_PROFILES.find((p) => p.id === id);
}
