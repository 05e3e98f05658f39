// TLS material in Secrets, in both shapes the seeds use: `kubernetes.io/tls` (tls.crt, tls.key,
// ca.crt; cert-manager adds nothing else, nova adds client.crt/client.key) and generic ones
// (gufo's ca.pem/server.pem/server-key.pem/client.pem/client-key.pem, kong's ca.crt/kong-client.crt/
// kong-client.key, per-service cert.pem/key.pem, a combined cert+key kong-client.pem).
// Key material stays in memory: results and errors name data keys, never values.
import type { KeyObject, X509Certificate } from 'node:crypto';
import { HarnessError, isHarnessError } from '../../core/errors.js';
import { keyMatchesCertificate, parseCertificates, parsePemBlocks, parsePrivateKey, publicKeyProblem } from '../../pki/inspect.js';
import type { ClientCredentials } from '../../core/target.js';
import { ekuForRole } from '../../rules/eku.js';
import { objectRef, type Secret } from './objects.js';

export interface SecretMaterial {
  /** `secret/ns/name`. */
  ref: string;
  type: string;
  keys: string[];
  /** Data keys holding certificates (a chain or bundle each). */
  certs: { key: string; chain: X509Certificate[] }[];
  /** Data keys holding a private key (parsed, or why not). */
  privateKeys: { key: string; keyObject?: KeyObject; error?: string }[];
}

/** A certificate and its private key, by the naming conventions of both Secret shapes. */
export interface KeyPair {
  certKey: string;
  keyKey: string;
  chain: X509Certificate[];
  key?: KeyObject;
  keyError?: string;
  /** The certificate's public key cannot be decoded (so no key can match it). */
  certKeyProblem?: string;
  matches: boolean;
}

const CA_KEY_NAMES = /^(ca|ca-cert|ca-bundle|cacert|root-ca|trust|ca-certificates)\.(crt|pem|cert)$|^ca\.crt$/i;

function decode(v: string): string {
  return Buffer.from(v, 'base64').toString('latin1');
}

/** Reads every data value of a Secret: certificates and private keys by PEM label; anything else is ignored. */
export function readSecretMaterial(s: Secret, namespace?: string): SecretMaterial {
  const m: SecretMaterial = {
    ref: objectRef('secret', s.metadata, namespace),
    type: s.type ?? 'Opaque',
    keys: Object.keys(s.data ?? {}).sort(),
    certs: [],
    privateKeys: [],
  };
  for (const key of m.keys) {
    const text = decode(s.data![key]!);
    if (!text.includes('-----BEGIN ')) continue;
    let blocks;
    try {
      blocks = parsePemBlocks(text, `${m.ref} ${key}`);
    } catch {
      continue;
    }
    if (blocks.some((b) => b.label === 'CERTIFICATE')) {
      try {
        m.certs.push({ key, chain: parseCertificates(text, `${m.ref} ${key}`) });
      } catch {
        /* not a certificate we can read: the audit reports what it can */
      }
    }
    if (blocks.some((b) => /PRIVATE KEY$/.test(b.label))) {
      try {
        m.privateKeys.push({ key, keyObject: parsePrivateKey(text, `${m.ref} ${key}`) });
      } catch (e) {
        m.privateKeys.push({ key, error: isHarnessError(e) ? e.message.replace(/^[^:]*: /, '') : 'cannot be parsed' });
      }
    }
  }
  return m;
}

/** Holds a certificate or a private key: a "cert Secret" for the audit. */
export function isTlsSecret(m: SecretMaterial): boolean {
  return m.certs.length > 0 || m.privateKeys.length > 0;
}

/** The certificate data key a private-key data key belongs to, by the conventions of both shapes. */
function certKeyFor(keyKey: string, certKeys: Set<string>): string | undefined {
  const candidates: string[] = [];
  if (keyKey === 'tls.key') candidates.push('tls.crt');
  if (keyKey === 'key.pem') candidates.push('cert.pem');
  let m = /^(.*)\.key$/.exec(keyKey);
  if (m) candidates.push(`${m[1]}.crt`, `${m[1]}.pem`, `${m[1]}.cert`);
  m = /^(.*)[-_.]key\.pem$/.exec(keyKey);
  if (m) candidates.push(`${m[1]}.pem`, `${m[1]}.crt`, `${m[1]}-cert.pem`);
  m = /^(.*)[-_.]key$/.exec(keyKey);
  if (m) candidates.push(`${m[1]}.crt`, `${m[1]}.pem`, `${m[1]}-cert`);
  candidates.push(keyKey); // a combined cert+key value (kong-client.pem)
  return candidates.find((c) => certKeys.has(c));
}

/** Every (certificate, private key) pair of a Secret; a key with no certificate of its name is left out. */
export function keyPairs(m: SecretMaterial): KeyPair[] {
  const certKeys = new Set(m.certs.map((c) => c.key));
  const pairs: KeyPair[] = [];
  for (const pk of m.privateKeys) {
    const certKey = certKeyFor(pk.key, certKeys);
    if (!certKey) continue;
    const chain = m.certs.find((c) => c.key === certKey)!.chain;
    pairs.push({
      certKey,
      keyKey: pk.key,
      chain,
      ...(pk.keyObject ? { key: pk.keyObject } : {}),
      ...(pk.error ? { keyError: pk.error } : {}),
      ...(publicKeyProblem(chain[0]!) ? { certKeyProblem: publicKeyProblem(chain[0]!)! } : {}),
      matches: pk.keyObject ? keyMatchesCertificate(pk.keyObject, chain[0]!) : false,
    });
  }
  return pairs;
}

/** The Secret's trust anchors: ca.crt / ca.pem (and similar names), else nothing. */
export function caCertificates(m: SecretMaterial): { key: string; certs: X509Certificate[] } | undefined {
  const c = m.certs.find((x) => CA_KEY_NAMES.test(x.key));
  return c ? { key: c.key, certs: c.chain } : undefined;
}

/** The certificate's EKU OIDs (node exposes them as `keyUsage`); empty when absent (any purpose). */
function ekus(cert: X509Certificate): string[] {
  return (cert as unknown as { keyUsage?: string[] }).keyUsage ?? [];
}

/** A pair whose leaf may serve TLS: not a CA, its EKU allows serverAuth (rules/eku.ts), and not named for a client. */
export function isServerPair(p: KeyPair): boolean {
  const leaf = p.chain[0]!;
  if (leaf.ca) return false;
  if (/client/i.test(p.certKey)) return false;
  return ekuForRole(ekus(leaf), 'server').ok;
}

function isClientPair(p: KeyPair): boolean {
  const leaf = p.chain[0]!;
  if (leaf.ca) return false;
  return ekuForRole(ekus(leaf), 'client').ok;
}

/**
 * The client credentials of `--secret`: the pair named for a client (client.crt/client.key,
 * client.pem/client-key.pem, kong-client.crt/kong-client.key…), else `tls.crt`/`tls.key`, else any
 * pair whose certificate allows clientAuth; the trust anchors from ca.crt / ca.pem. Exit 2 when the
 * Secret holds no usable pair: the message lists its data keys (never their values).
 */
export function clientCredentialsFrom(m: SecretMaterial): {
  client: ClientCredentials;
  trustPem?: string;
  caPem?: string;
  source: { cert: string; key: string; ca?: string };
} {
  const pairs = keyPairs(m).filter((p) => p.matches && isClientPair(p));
  const rank = (p: KeyPair) => (/client/i.test(p.certKey) ? 0 : p.certKey === 'tls.crt' ? 1 : 2);
  pairs.sort((a, b) => rank(a) - rank(b));
  const best = pairs[0];
  if (!best) {
    const mismatched = keyPairs(m)
      .filter((p) => !p.matches)
      .map((p) => `${p.certKey}/${p.keyKey}`);
    throw new HarnessError(
      'usage.invalid-value',
      `--secret ${m.ref.replace(/^secret\//, '')}: no client certificate with its matching private key among the data keys ${m.keys.join(', ') || '(none)'}${mismatched.length ? ` (${mismatched.join(', ')}: the key does not match the certificate, or cannot be read)` : ''}; expected client.crt/client.key, client.pem/client-key.pem or tls.crt/tls.key`,
    );
  }
  const ca = caCertificates(m);
  const client: ClientCredentials = {
    certPem: best.chain.map((c) => c.toString()).join(''),
    keyPem: best.key!.export({ format: 'pem', type: 'pkcs8' }).toString(),
    chain: best.chain,
  };
  const caPem = ca ? ca.certs.map((c) => c.toString()).join('') : undefined;
  return { client, ...(caPem ? { trustPem: caPem, caPem } : {}), source: { cert: best.certKey, key: best.keyKey, ...(ca ? { ca: ca.key } : {}) } };
}

/**
 * The CA signing key of `--ca-key-secret`: a CA certificate (CA:TRUE) with its matching key —
 * cert-manager's CA issuer Secret (tls.crt/tls.key), or ca.crt/ca.key, ca.pem/ca-key.pem. In memory only.
 */
export function caKeyFrom(m: SecretMaterial): { caPem: string; key: KeyObject; source: { cert: string; key: string } } {
  const pair = keyPairs(m).find((p) => p.matches && p.chain[0]!.ca);
  if (!pair)
    throw new HarnessError(
      'usage.invalid-value',
      `--ca-key-secret ${m.ref.replace(/^secret\//, '')}: no CA certificate (CA:TRUE) with its matching private key among the data keys ${m.keys.join(', ') || '(none)'}; expected tls.crt/tls.key (cert-manager CA issuer), ca.crt/ca.key or ca.pem/ca-key.pem`,
    );
  return { caPem: pair.chain[0]!.toString(), key: pair.key!, source: { cert: pair.certKey, key: pair.keyKey } };
}
