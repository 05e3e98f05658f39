/**
 * The crafted profiles' types and the rows about the leaf itself (src/pki/crafted-profiles.ts has
 * the rows about the path and the minting): each the control leaf's options with one
 * property changed.
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { element } from './der.js';
import { extensionDer, oid } from './encode.js';
import { addDays } from '../core/clock.js';
import { importKeyPair, type GeneratedKey } from './keys.js';
import type { Credential, MintOptions } from './generate.js';

/** What a crafted profile is compared with: the plain valid client, a leaf under a valid intermediate, under a name-constrained one, or a SPIFFE leaf. */
export type ProfileControl = 'leaf' | 'chain' | 'two-intermediates' | 'constrained' | 'spiffe';

/** A normative clause a profile comes from. */
export interface Clause {
  cite: string;
  about: string;
  url: string;
}

/** What a row may use to mint: the CA, the time, the control's options. */
export interface ProfileEnv {
  ca: Credential;
  now: Date;
}

export interface CraftedProfile {
  /** Stable: the check is `crafted.<id>`. */
  id: string;
  /** What the certificate is, for titles and messages ("a client certificate whose keyUsage lacks digitalSignature"). */
  what: string;
  clauses: Clause[];
  /** `refuse`: accepted is `fail`; `policy`: accepted is `warn` (`why` says whose rule it is). */
  expect: 'refuse' | 'policy';
  why?: string;
  control: ProfileControl;
  /** The crafted leaf: the control leaf's options with the one property changed. */
  leaf?(o: MintOptions, env: ProfileEnv): MintOptions | Promise<MintOptions>;
  /** Chain profiles: the crafted intermediate, from the control's intermediate options. */
  intermediate?(o: MintOptions, env: ProfileEnv): MintOptions;
  /** Our client must offer it at OpenSSL security level 0 (it refuses to load a SHA-1-signed certificate otherwise). */
  weakClient?: boolean;
  /** Why the profile cannot be minted from this CA (then the check skips), or undefined. */
  notApplicable?(env: ProfileEnv): string | undefined;
}

export const rfc5280 = (section: string, about: string): Clause => ({
  cite: `RFC 5280 §${section}`,
  about,
  url: `https://www.rfc-editor.org/rfc/rfc5280#section-${section}`,
});
export const CABF = (section: string, about: string): Clause => ({
  cite: `CA/B Forum BR §${section}`,
  about,
  url: 'https://cabforum.org/working-groups/server/baseline-requirements/requirements/',
});
export const SPIFFE: Clause = {
  cite: 'SPIFFE X509-SVID §2',
  about: 'exactly one URI SAN, the SPIFFE ID',
  url: 'https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md#2-spiffe-id',
};

export const EXAMPLE_PEN = '1.3.6.1.4.1.32473'; // RFC 5612: the enterprise number for documentation
export const seq = (...items: Buffer[]) => element(0x30, Buffer.concat(items));
export const CA_RULE = 'a rule for the issuing CA; RFC 5280 does not require a verifier to refuse it';
export const EC_OR_RSA = (env: ProfileEnv) => (env.ca.key.type === 'ed25519' ? 'the CA key is Ed25519, which has no hash to choose' : undefined);

/** The signature algorithm a signer of this type does not use, for the TBS/outer mismatch. */
function otherAlgorithm(env: ProfileEnv): Buffer {
  const t = env.ca.key.type;
  if (t === 'ec-p384') return seq(oid('1.2.840.10045.4.3.2'));
  if (t.startsWith('ec')) return seq(oid('1.2.840.10045.4.3.3'));
  return seq(oid('1.2.840.113549.1.1.12'), Buffer.from([0x05, 0x00]));
}

let rsa1024: Promise<GeneratedKey> | undefined;
/** An RSA-1024 key, made once per process. */
function weakRsaKey(): Promise<GeneratedKey> {
  rsa1024 ??= promisify(generateKeyPair)('rsa', { modulusLength: 1024 }).then(({ privateKey, publicKey }) => importKeyPair(privateKey, publicKey));
  return rsa1024;
}

/** The CA's own notAfter. */
function caNotAfter(ca: Credential): Date {
  return ca.cert.notAfter;
}

export const PERMITTED = 'mtls-harness.invalid';
export const EXCLUDED = `excluded.${PERMITTED}`;
export const SPIFFE_ID = `spiffe://${PERMITTED}/client`;

/** The rows about the leaf, in report order. */
export const LEAF_PROFILES: readonly CraftedProfile[] = [
  // keyUsage
  {
    id: 'ku-no-digital-signature',
    what: 'a client certificate whose keyUsage lacks digitalSignature (keyEncipherment only)',
    clauses: [rfc5280('4.2.1.3', 'Key usage: a key that signs the CertificateVerify needs digitalSignature')],
    expect: 'refuse',
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { keyUsage: [2] } }),
  },
  {
    id: 'ku-empty',
    what: 'a client certificate with a keyUsage extension that sets no bit',
    clauses: [rfc5280('4.2.1.3', 'Key usage: at least one bit MUST be set')],
    expect: 'policy',
    why: CA_RULE,
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { keyUsage: [] } }),
  },
  {
    id: 'ku-key-cert-sign-leaf',
    what: 'a CA:FALSE client certificate with keyCertSign',
    clauses: [rfc5280('4.2.1.3', 'Key usage: keyCertSign only with cA TRUE')],
    expect: 'policy',
    why: CA_RULE,
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { keyUsage: [0, 5] } }),
  },
  // extensions
  {
    id: 'unknown-critical-extension',
    what: 'a client certificate with an unknown critical extension',
    clauses: [rfc5280('4.2', 'A system MUST reject a certificate with a critical extension it does not recognise')],
    expect: 'refuse',
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { add: [extensionDer(`${EXAMPLE_PEN}.1`, true, element(0x05, Buffer.alloc(0)))] } }),
  },
  {
    id: 'unknown-critical-policy',
    what: 'a client certificate with a critical certificatePolicies naming an unknown policy',
    clauses: [rfc5280('4.2.1.4', 'Certificate policies: a relying party accepts the policies it knows')],
    expect: 'policy',
    why: 'RFC 5280 leaves acceptable policies to the relying party',
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { add: [extensionDer('2.5.29.32', true, seq(seq(oid(`${EXAMPLE_PEN}.2`))))] } }),
  },
  {
    id: 'duplicate-extension',
    what: 'a client certificate with the extendedKeyUsage extension twice',
    clauses: [rfc5280('4.2', 'A certificate MUST NOT include more than one instance of an extension')],
    expect: 'policy',
    why: CA_RULE,
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { duplicate: '2.5.29.37' } }),
  },
  {
    id: 'explicit-non-critical',
    what: 'a client certificate whose non-critical extensions encode critical FALSE explicitly (not DER)',
    clauses: [
      { cite: 'X.690 §11.5', about: 'DER: a DEFAULT value is not encoded', url: 'https://www.itu.int/rec/T-REC-X.690' },
      rfc5280('4.1', 'Certificates are DER'),
    ],
    expect: 'policy',
    why: 'a DER rule for the encoder; many parsers accept BER here',
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { explicitNonCritical: true } }),
  },
  {
    id: 'leaf-path-length',
    what: 'a CA:FALSE client certificate with a pathLenConstraint',
    clauses: [rfc5280('4.2.1.9', 'Basic constraints: pathLenConstraint only with cA TRUE')],
    expect: 'policy',
    why: CA_RULE,
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { leafPathLength: 0 } }),
  },
  // extendedKeyUsage
  {
    id: 'eku-absent',
    what: 'a client certificate without extendedKeyUsage',
    clauses: [
      rfc5280('4.2.1.12', 'Extended key usage: absent means any purpose'),
      CABF('7.1.2.7.10', 'Subscriber certificates carry id-kp-clientAuth/serverAuth'),
    ],
    expect: 'policy',
    why: 'RFC 5280 lets a certificate without EKU serve any purpose; a server that wants client certificates for clients only refuses it',
    control: 'leaf',
    leaf: (o) => ({ ...o, eku: [] }),
  },
  {
    id: 'eku-any',
    what: 'a client certificate whose only EKU is anyExtendedKeyUsage',
    clauses: [rfc5280('4.2.1.12', 'Extended key usage: anyExtendedKeyUsage'), CABF('7.1.2.7.10', 'anyExtendedKeyUsage MUST NOT be present')],
    expect: 'policy',
    why: 'RFC 5280 allows it; the CA/B Forum forbids it',
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { drop: ['2.5.29.37'], add: [extensionDer('2.5.29.37', false, seq(oid('2.5.29.37.0')))] } }),
  },
  // keys and signatures
  {
    id: 'sha1-signature',
    what: 'a client certificate signed with SHA-1',
    clauses: [
      CABF('7.1.3.2', 'SHA-1 signatures are not allowed'),
      { cite: 'RFC 9155', about: 'Deprecating MD5 and SHA-1 signature hashes in TLS 1.2', url: 'https://www.rfc-editor.org/rfc/rfc9155' },
    ],
    expect: 'policy',
    why: 'a collision-broken hash; RFC 5280 still allows it',
    control: 'leaf',
    weakClient: true,
    notApplicable: EC_OR_RSA,
    leaf: (o) => ({ ...o, tweak: { hash: 'sha1' } }),
  },
  {
    id: 'rsa-1024-key',
    what: 'a client certificate with an RSA-1024 key',
    clauses: [
      CABF('6.1.5', 'RSA keys of at least 2048 bits'),
      { cite: 'NIST SP 800-131A', about: 'RSA-1024 disallowed', url: 'https://csrc.nist.gov/pubs/sp/800/131/a/r2/final' },
    ],
    expect: 'policy',
    why: 'a key-size policy (OpenSSL security level 2 refuses it), not an RFC 5280 rule',
    control: 'leaf',
    leaf: async (o) => ({ ...o, key: await weakRsaKey() }),
  },
  {
    id: 'leaf-with-ca-key',
    what: "a client certificate carrying the CA's own public key",
    clauses: [{ cite: 'NIST SP 800-57 §5.2', about: 'one key, one purpose', url: 'https://csrc.nist.gov/pubs/sp/800/57/pt1/r5/final' }],
    expect: 'policy',
    why: 'no RFC 5280 rule; a CA key also used as a client key is a key-management failure',
    control: 'leaf',
    leaf: (o, env) => ({ ...o, key: env.ca.key }),
  },
  {
    id: 'bad-signature',
    what: 'a client certificate whose signature does not verify (one byte changed)',
    clauses: [rfc5280('6.1.3', 'Basic certificate processing: the signature verifies with the issuer’s key')],
    expect: 'refuse',
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { flipSignature: true } }),
  },
  {
    id: 'signature-algorithm-mismatch',
    what: 'a client certificate whose TBS signature algorithm differs from the outer one',
    clauses: [rfc5280('4.1.1.2', 'signatureAlgorithm MUST be the same as the TBS signature field')],
    expect: 'refuse',
    control: 'leaf',
    notApplicable: EC_OR_RSA,
    leaf: (o, env) => ({ ...o, tweak: { tbsAlgorithm: otherAlgorithm(env) } }),
  },
  // names and identifiers
  {
    id: 'issuer-name-mismatch',
    what: "a client certificate whose issuer Name differs from the CA's subject in one byte",
    clauses: [rfc5280('6.1.3', 'Basic certificate processing: the issuer name is the working issuer name')],
    expect: 'refuse',
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { flipIssuer: true } }),
  },
  {
    id: 'aki-mismatch',
    what: "a client certificate whose authorityKeyIdentifier is not the CA's subjectKeyIdentifier",
    clauses: [rfc5280('4.2.1.1', 'Authority key identifier: the issuer’s key identifier')],
    expect: 'policy',
    why: 'RFC 5280 uses the AKI to find the issuer, not to refuse',
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { drop: ['2.5.29.35'], add: [extensionDer('2.5.29.35', false, seq(element(0x80, randomBytes(20))))] } }),
  },
  {
    id: 'aki-absent',
    what: 'a client certificate without authorityKeyIdentifier',
    clauses: [rfc5280('4.2.1.1', 'Authority key identifier MUST be included (except self-signed)')],
    expect: 'policy',
    why: CA_RULE,
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { drop: ['2.5.29.35'] } }),
  },
  {
    id: 'empty-subject-no-san',
    what: 'a client certificate with an empty subject and no subjectAltName',
    clauses: [rfc5280('4.1.2.6', 'Subject: empty only with a critical subjectAltName')],
    expect: 'policy',
    why: CA_RULE,
    control: 'leaf',
    leaf: (o) => ({ ...o, subject: seq(), sans: {} }),
  },
  {
    id: 'empty-san-extension',
    what: 'a client certificate with a subjectAltName extension holding no name',
    clauses: [rfc5280('4.2.1.6', 'Subject alternative name: at least one entry')],
    expect: 'policy',
    why: CA_RULE,
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { emptySan: true } }),
  },
  {
    id: 'two-uri-sans',
    what: 'a SPIFFE client certificate with two URI SANs',
    clauses: [SPIFFE],
    expect: 'policy',
    why: 'SPIFFE forbids it; a server that does not enforce SPIFFE may accept it',
    control: 'spiffe',
    leaf: (o) => ({ ...o, sans: { uri: [SPIFFE_ID, `spiffe://${PERMITTED}/other`] } }),
  },
  // serial, version, validity encoding
  {
    id: 'serial-zero',
    what: 'a client certificate with serial number 0',
    clauses: [rfc5280('4.1.2.2', 'Serial number: a positive integer')],
    expect: 'policy',
    why: 'RFC 5280 asks verifiers to handle such serials gracefully',
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { serialBytes: Buffer.from([0]) } }),
  },
  {
    id: 'serial-negative',
    what: 'a client certificate with a negative serial number',
    clauses: [rfc5280('4.1.2.2', 'Serial number: a positive integer')],
    expect: 'policy',
    why: 'RFC 5280 asks verifiers to handle such serials gracefully',
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { serialBytes: Buffer.concat([Buffer.from([0x80 | (randomBytes(1)[0]! & 0x3f)]), randomBytes(15)]) } }),
  },
  {
    id: 'serial-21-octets',
    what: 'a client certificate with a 21-octet serial number',
    clauses: [rfc5280('4.1.2.2', 'Serial number: no longer than 20 octets')],
    expect: 'policy',
    why: 'RFC 5280 requires verifiers to handle 20 octets, and says nothing of more',
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { serialBytes: Buffer.concat([Buffer.from([0x01]), randomBytes(20)]) } }),
  },
  {
    id: 'v1-with-extensions',
    what: 'a version 1 client certificate with extensions',
    clauses: [rfc5280('4.1.2.1', 'Version: v3 when extensions are present')],
    expect: 'policy',
    why: CA_RULE,
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { version: 1 } }),
  },
  {
    id: 'v2-with-extensions',
    what: 'a version 2 client certificate with extensions',
    clauses: [rfc5280('4.1.2.1', 'Version: v3 when extensions are present')],
    expect: 'policy',
    why: CA_RULE,
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { version: 2 } }),
  },
  {
    id: 'generalized-time-before-2050',
    what: 'a client certificate with GeneralizedTime validity dates before 2050',
    clauses: [rfc5280('4.1.2.5', 'Validity: UTCTime through 2049')],
    expect: 'policy',
    why: CA_RULE,
    control: 'leaf',
    leaf: (o) => ({ ...o, tweak: { generalizedTime: true } }),
  },
  {
    id: 'validity-inverted',
    what: 'a client certificate whose notBefore is after its notAfter',
    clauses: [rfc5280('6.1.3', 'Basic certificate processing: the validity period includes the current time')],
    expect: 'refuse',
    control: 'leaf',
    leaf: (o) => ({ ...o, notBefore: o.notAfter, notAfter: o.notBefore }),
  },
  {
    id: 'validity-beyond-ca',
    what: "a client certificate valid beyond its CA's notAfter",
    clauses: [rfc5280('4.1.2.5', 'Validity'), CABF('6.3.2', 'Certificate operational periods')],
    expect: 'policy',
    why: "RFC 5280 checks each certificate's own validity; a leaf outliving its CA is the CA's error",
    control: 'leaf',
    leaf: (o, env) => ({ ...o, notAfter: addDays(caNotAfter(env.ca), 1) }),
  },
];
