/**
 * Offline audit, what a file holds: its bytes classified (PEM blocks one by one, DER, PKCS#12 by
 * name, Kubernetes Secret manifests) and the names that promise PKI content. A file that cannot be
 * parsed is data (its `errors`), never an exception. Private keys are parsed in memory only.
 */
import { X509Certificate as NodeX509, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { isHarnessError } from '../core/errors.js';
import { parsePemBlocks, parsePrivateKey } from '../pki/inspect.js';
import { looksLikePkcs12, readPkcs12 } from '../pki/pkcs12.js';

/** A private key found in a file. The key material stays in memory; reports only ever see public facts. */
export interface FoundKey {
  /** PEM label (`PRIVATE KEY`, `EC PRIVATE KEY`, …) or `DER`. */
  label: string;
  encrypted: boolean;
  /** The parsed key (unencrypted keys only). */
  key?: KeyObject;
  /** The encoded key, kept only for encrypted keys (decrypted later with the passphrase). */
  encoded?: string | Buffer;
  /** Why it does not parse (never contains key material). */
  error?: string;
}

/** What a file holds. */
export interface FileContent {
  format: 'pem' | 'der' | 'pkcs12' | 'k8s-secret' | 'none';
  certs: NodeX509[];
  keys: FoundKey[];
  /** CSRs, public keys, CRLs: PKI, but nothing the audit judges. */
  others: string[];
  /** Why (part of) the file cannot be parsed; never contains file content beyond PEM labels. */
  errors: string[];
  /** The bytes hold (or look like they hold) a private key, even one that does not parse. */
  keyLike: boolean;
  /** Kubernetes Secret manifests: the data entries that hold a private key. */
  secretKeyEntries?: string[];
  /** Not read: larger than the limit. */
  tooLarge?: boolean;
  /** Not read: the file cannot be opened (permissions). */
  unreadable?: boolean;
  /** A PKCS#12 archive: its MAC and what stayed closed (without the passphrase, or in a scheme node cannot decrypt). */
  pkcs12?: { mac: 'verified' | 'absent' | 'unchecked'; closed: string[] };
}

const CERT_LABELS = new Set(['CERTIFICATE', 'TRUSTED CERTIFICATE', 'X509 CERTIFICATE']);
const OTHER_LABELS: Record<string, string> = {
  'CERTIFICATE REQUEST': 'certificate signing request',
  'NEW CERTIFICATE REQUEST': 'certificate signing request',
  'PUBLIC KEY': 'public key',
  'RSA PUBLIC KEY': 'public key',
  'X509 CRL': 'certificate revocation list',
  'EC PARAMETERS': 'EC parameters',
  'DH PARAMETERS': 'DH parameters',
};
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const PKI_EXT = /\.(pem|crt|cer|der|key|p8|pk8|csr|p12|pfx|chain|bundle)$/i;

/** True for names that only a PKI file would have (extension or a well-known bare name). */
export function hasPkiName(name: string): boolean {
  return PKI_EXT.test(name) || /^(tls\.(crt|key)|ca\.crt|ca|cert|key|privkey|fullchain|chain)$/i.test(name);
}

/** Does the file name say "private key"? (`server-key.pem`, `tls.key`, `key.pem`, `privkey.pem`) */
export function hasKeyName(name: string): boolean {
  return /\.key$/i.test(name) || /(^|[-_.])(private[-_]?key|privkey|key)(\.[a-z0-9]+)?$/i.test(name);
}

/** SHA-256 of a public key's DER SubjectPublicKeyInfo, hex: what `openssl pkey -pubout -outform DER | sha256sum` prints. */
export function spkiSha256(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function keyLikeText(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text);
}

function parseKeyText(label: string, text: string, source: string): FoundKey {
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(text);
  if (encrypted) return { label, encrypted, encoded: text };
  try {
    return { label, encrypted, key: parsePrivateKey(text, source) };
  } catch (e) {
    return { label, encrypted, error: isHarnessError(e) ? e.message : 'the private key cannot be parsed' };
  }
}

/**
 * Classifies a file's bytes: PEM blocks one by one (a broken block never hides the good ones), DER
 * (a certificate or a private key), PKCS#12 by name, Kubernetes Secret manifests. `pkiName` says the
 * name promises PKI content: then bytes that are neither PEM nor DER are an error, else "not PKI".
 */
export function classifyBytes(buf: Buffer, name: string, pkiName: boolean, o: { p12Passphrase?: string } = {}): FileContent {
  const c: FileContent = { format: 'none', certs: [], keys: [], others: [], errors: [], keyLike: false };
  // PKCS#12 by name, or by content (a PFX is the only DER PKI file opening with INTEGER 3).
  if (/\.(p12|pfx)$/i.test(name) || looksLikePkcs12(buf)) return classifyPkcs12(buf, name, o.p12Passphrase, c);
  const text = buf.toString('latin1');
  if (/^kind:\s*Secret\s*$/m.test(text) && /^apiVersion:/m.test(text)) return classifySecretManifest(text, c);
  if (text.includes('-----BEGIN ')) {
    c.format = 'pem';
    c.keyLike = keyLikeText(text);
    let n = 0;
    for (const m of text.matchAll(PEM_BLOCK)) {
      n++;
      const label = m[1]!;
      let der: Buffer;
      try {
        der = parsePemBlocks(m[0], `${name} block #${n}`)[0]!.der;
      } catch (e) {
        c.errors.push(isHarnessError(e) ? e.message : `${name}: block #${n} (${label}) is not valid PEM`);
        continue;
      }
      if (CERT_LABELS.has(label)) {
        try {
          c.certs.push(new NodeX509(der));
        } catch {
          c.errors.push(`${name}: block #${n} (${label}) cannot be parsed as an X.509 certificate`);
        }
      } else if (/PRIVATE KEY$/.test(label)) {
        const k = parseKeyText(label, m[0], `${name} block #${n}`);
        c.keys.push(k);
        if (k.error) c.errors.push(k.error);
      } else {
        c.others.push(OTHER_LABELS[label] ?? `PEM block "${label}"`);
      }
    }
    const begins = (text.match(/-----BEGIN /g) ?? []).length;
    if (begins !== n)
      c.errors.push(`${name}: ${begins} BEGIN line(s) but ${n} complete PEM block(s); the file is truncated or its BEGIN/END labels do not match`);
    return c;
  }
  if (buf.length === 0) {
    if (pkiName) c.errors.push(`${name}: the file is empty`);
    return c;
  }
  // DER: a certificate, or a private key (PKCS#8, PKCS#1, SEC1; encrypted PKCS#8).
  if (buf[0] === 0x30 && buf.length > 2) {
    try {
      return { ...c, format: 'der', certs: [new NodeX509(buf)] };
    } catch {
      /* not a certificate */
    }
    try {
      return { ...c, format: 'der', keyLike: true, keys: [{ label: 'DER', encrypted: false, key: parsePrivateKey(buf, name) }] };
    } catch (e) {
      if (isHarnessError(e) && e.code === 'pki.encrypted-key')
        return { ...c, format: 'der', keyLike: true, keys: [{ label: 'DER', encrypted: true, encoded: buf }] };
    }
  }
  if (pkiName) c.errors.push(`${name}: neither PEM nor DER (no "-----BEGIN" line, and the bytes are not a DER certificate or key)`);
  return c;
}

/** A Secret manifest (kubectl YAML): which data entries hold a private key (base64 of "-----BEGIN … PRIVATE KEY"). */
function classifySecretManifest(text: string, c: FileContent): FileContent {
  const entries: string[] = [];
  for (const m of text.matchAll(/^\s+([A-Za-z0-9._-]+):\s*(LS0tLS1CRUdJTi[A-Za-z0-9+/=]+)\s*$/gm)) {
    if (keyLikeText(Buffer.from(m[2]!, 'base64').toString('latin1'))) entries.push(m[1]!);
  }
  if (keyLikeText(text)) entries.push('stringData (PEM in clear text)');
  return { ...c, format: 'k8s-secret', keyLike: entries.length > 0, secretKeyEntries: [...new Set(entries)] };
}

/**
 * A PKCS#12 archive read like a PEM bundle: its certificates and opened keys. Without the passphrase
 * (the empty one is tried, as openssl does) or with a wrong one, what stayed closed is said with what
 * would open it: a finding of the parse check, never an exception. It normally holds a key, so
 * permissions apply either way.
 */
function classifyPkcs12(buf: Buffer, name: string, passphrase: string | undefined, c: FileContent): FileContent {
  const out: FileContent = { ...c, format: 'pkcs12', keyLike: true };
  try {
    const p = readPkcs12(buf, passphrase, name, { partial: true });
    out.certs = p.certificates.map((x) => x.cert);
    out.keys = p.keys.map((k) => ({ label: 'PKCS#12 key', encrypted: false, key: k.key }));
    out.pkcs12 = { mac: p.mac, closed: p.closed };
  } catch (e) {
    if (isHarnessError(e) && e.code === 'pki.bad-passphrase')
      out.pkcs12 = { mac: 'unchecked', closed: [`${e.message.replace(`${name}: `, '')} (the passphrase from --p12-passphrase-env)`] };
    else out.errors.push(isHarnessError(e) ? e.message : `${name}: not a PKCS#12 archive`);
  }
  return out;
}
