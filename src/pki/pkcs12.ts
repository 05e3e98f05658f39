// PKCS#12 (.p12/.pfx) files read with the maintained ASN.1 libraries (@peculiar/asn1-pfx,
// asn1-pkcs8, asn1-schema; asn1js for the BER they leave open) and node:crypto (pkcs12-crypto.ts):
// the certificates, whether a key is present, the key itself when the passphrase opens it. Every
// file is hostile input: sizes, bag counts and nesting are bounded, every failure is a coded exit-2
// error naming the file, and a key is never put into a message.
import { createRequire } from 'node:module';
import { X509Certificate as NodeX509, createPrivateKey, type KeyObject } from 'node:crypto';
import type * as Pfx from '@peculiar/asn1-pfx';
import type * as Pkcs8 from '@peculiar/asn1-pkcs8';
import type * as Asn1 from 'asn1js';
import { HarnessError } from '../core/errors.js';
import { registerPrivateKey } from '../core/redact.js';
import { asn1js, asnSchema } from './crypto.js';
import { keyMatchesCertificate, MAX_CLIENT_CHAIN, publicKeyProblem, readPkiFile, type LoadedCredentials } from './inspect.js';
import { IterationBudget, pbeDecrypt, schemeLabel, verifyMac } from './pkcs12-crypto.js';

const require = createRequire(import.meta.url);
let libs: { pfx: typeof Pfx; pkcs8: typeof Pkcs8 } | undefined;
/** The PFX and PKCS#8 ASN.1 types, required when a PKCS#12 file is first read. */
function asn() {
  libs ??= { pfx: require('@peculiar/asn1-pfx') as typeof Pfx, pkcs8: require('@peculiar/asn1-pkcs8') as typeof Pkcs8 };
  return libs;
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  envelopedData: '1.2.840.113549.1.7.3',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
};
/** More bags than this in one file are refused (a keystore of every public CA holds about 150). */
export const MAX_PKCS12_BAGS = 4096;
const MAX_NESTING = 3;

export interface Pkcs12Certificate {
  cert: NodeX509;
  /** The bag's friendlyName attribute (the alias), as written: untrusted text. */
  friendlyName?: string;
  /** The bag's localKeyId, hex: the key it belongs with. */
  localKeyId?: string;
}

export interface Pkcs12Contents {
  certificates: Pkcs12Certificate[];
  /** Private keys opened (never logged, never in a report). */
  keys: { key: KeyObject; localKeyId?: string }[];
  /** Encrypted private keys left closed (no passphrase, or a scheme node cannot decrypt). */
  closedKeys: number;
  /** `verified` (with the passphrase, or an empty one), `absent` (-nomac), `unchecked` (no passphrase opened it). */
  mac: 'verified' | 'absent' | 'unchecked';
  /** What stayed closed and what would open it: one sentence each. */
  closed: string[];
}

export interface Pkcs12ReadOptions {
  /**
   * Read what can be read and say what stayed closed (the audit), instead of failing on the first
   * part that needs the passphrase or a scheme node cannot decrypt (credentials).
   */
  partial?: boolean;
}

function corrupt(source: string, what: string): HarnessError {
  return new HarnessError('pki.malformed-pem', `${source}: ${what}; the file is truncated, corrupt or not PKCS#12`);
}

function parse<T>(data: ArrayBuffer | Uint8Array, type: new () => T, source: string, what: string): T {
  try {
    return asnSchema.AsnConvert.parse(data as BufferSource, type);
  } catch {
    throw corrupt(source, `${what} cannot be parsed`);
  }
}

/** The content of an OCTET STRING element, primitive or constructed (BER). */
function octetContent(data: ArrayBuffer | Uint8Array, source: string, what: string): Buffer {
  const r = asn1js.fromBER(data instanceof Uint8Array ? data : new Uint8Array(data));
  if (r.offset === -1 || !(r.result instanceof asn1js.OctetString)) throw corrupt(source, `${what} is not an OCTET STRING`);
  return Buffer.from(r.result.getValue());
}

/** True when the buffer looks like a PKCS#12 PFX (a SEQUENCE starting with INTEGER 3). */
export function looksLikePkcs12(buf: Buffer): boolean {
  if (buf.length < 8 || buf[0] !== 0x30) return false;
  const lenBytes = buf[1]! & 0x80 ? buf[1]! & 0x7f : 0;
  const p = 2 + lenBytes;
  return buf[p] === 0x02 && buf[p + 1] === 0x01 && buf[p + 2] === 0x03;
}

/**
 * Reads a PKCS#12 file. Without a passphrase (undefined) the empty one is tried, as openssl does;
 * with one, a MAC that does not verify is `pki.bad-passphrase`.
 */
export function readPkcs12(der: Buffer, passphrase: string | undefined, source: string, o: Pkcs12ReadOptions = {}): Pkcs12Contents {
  const { pfx } = asn();
  const top = parse(der, pfx.PFX, source, 'the PFX');
  if (top.version !== 3) throw corrupt(source, `PFX version ${String(top.version)} (3 expected)`);
  if (top.authSafe.contentType !== OID.data)
    throw new HarnessError(
      'pki.unsupported-key',
      `${source}: the file is signed with a public key (public-key integrity mode), which is not read; export it with a password: openssl pkcs12 -export`,
    );
  const authSafeBytes = octetContent(top.authSafe.content, source, 'the authenticated safe');
  const budget = new IterationBudget(source);
  const out: Pkcs12Contents = { certificates: [], keys: [], closedKeys: 0, mac: 'absent', closed: [] };
  let pass = passphrase;
  if (top.macData?.mac?.digestAlgorithm?.algorithm) {
    const mac = {
      digestOid: top.macData.mac.digestAlgorithm.algorithm,
      digest: Buffer.from(top.macData.mac.digest.buffer),
      salt: Buffer.from(top.macData.macSalt.buffer),
      iterations: top.macData.iterations,
    };
    if (verifyMac(mac, authSafeBytes, passphrase ?? '', budget, source)) {
      out.mac = 'verified';
      pass = passphrase ?? '';
    } else if (passphrase !== undefined) {
      throw new HarnessError('pki.bad-passphrase', `${source}: the MAC does not verify: wrong passphrase or corrupt file`);
    } else {
      out.mac = 'unchecked';
      pass = undefined;
    }
  } else pass = passphrase ?? '';
  // No MAC and no passphrase: the empty one is tried; what it does not open stays closed.
  const state = { bags: 0, budget, source, partial: !!o.partial, guessed: !top.macData?.mac?.digestAlgorithm?.algorithm && passphrase === undefined, out };
  const safes = parse(authSafeBytes, pfx.AuthenticatedSafe, source, 'the authenticated safe');
  for (const ci of safes) {
    if (ci.contentType === OID.data) readSafeContents(octetContent(ci.content, source, 'a safe'), pass, state, 0);
    else if (ci.contentType === OID.encryptedData) {
      const enc = encryptedData(Buffer.from(ci.content), source);
      if (pass === undefined) {
        out.closed.push(`certificates encrypted with ${schemeLabel(enc.oid, enc.params)}: the passphrase opens them`);
        continue;
      }
      const plain = closedOr(state, () => pbeDecrypt(enc.oid, enc.params, enc.data, pass, budget, source));
      if (plain) readSafeContents(plain, pass, state, 0);
    } else if (ci.contentType === OID.envelopedData) {
      const note = 'a part encrypted to a public key (envelopedData) is not read';
      if (!o.partial) throw new HarnessError('pki.unsupported-key', `${source}: ${note}; export it with a password: openssl pkcs12 -export`);
      out.closed.push(note);
    } else throw corrupt(source, `a safe of the content type ${ci.contentType}`);
  }
  if (!o.partial && out.closed.length > 0)
    throw new HarnessError(
      'pki.encrypted-key',
      `${source}: the file is encrypted (${out.closed[0]}); give its passphrase in an environment variable named by --p12-passphrase-env`,
    );
  return out;
}

interface ReadState {
  bags: number;
  budget: IterationBudget;
  source: string;
  partial: boolean;
  /** The empty passphrase is being tried (no MAC, none given): a failed decryption means "closed". */
  guessed: boolean;
  out: Pkcs12Contents;
}

/** Runs a decryption; in partial mode a scheme node cannot do becomes a note instead of an error. */
function closedOr<T>(s: ReadState, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (s.partial && e instanceof HarnessError && e.code === 'pki.unsupported-key') {
      s.out.closed.push(e.message.replace(`${s.source}: `, ''));
      return undefined;
    }
    if (s.guessed && e instanceof HarnessError && e.code === 'pki.bad-passphrase') {
      s.out.closed.push('a part encrypted under a passphrase (the file has no MAC): the passphrase opens it');
      return undefined;
    }
    throw e;
  }
}

/** EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType, algorithm, [0] IMPLICIT content } }. */
function encryptedData(content: Buffer, source: string): { oid: string; params: Buffer | undefined; data: Buffer } {
  const r = asn1js.fromBER(new Uint8Array(content));
  const eci = r.offset === -1 ? undefined : (r.result as Asn1.Sequence).valueBlock?.value?.[1];
  const parts = (eci as Asn1.Sequence | undefined)?.valueBlock?.value;
  const alg = (parts?.[1] as Asn1.Sequence | undefined)?.valueBlock?.value;
  const body = parts?.[2];
  if (!alg || !(alg[0] instanceof asn1js.ObjectIdentifier) || !body || body.idBlock.tagClass !== 3 || body.idBlock.tagNumber !== 0)
    throw corrupt(source, 'an encrypted safe is malformed');
  const pieces = body.idBlock.isConstructed
    ? ((body as Asn1.Constructed).valueBlock.value.map((p: Asn1.BaseBlock) => (p as Asn1.OctetString).valueBlock.valueHexView) ?? [])
    : [(body as Asn1.Primitive).valueBlock.valueHexView];
  return {
    oid: alg[0].valueBlock.toString(),
    params: alg[1] ? Buffer.from(alg[1].toBER()) : undefined,
    data: Buffer.concat(pieces.map((p) => Buffer.from(p))),
  };
}

function attribute(bag: Pfx.SafeBag, oid: string): ArrayBuffer | undefined {
  return bag.bagAttributes?.find((a) => a.attrId === oid)?.attrValues[0];
}

function readSafeContents(bytes: Buffer, pass: string | undefined, s: ReadState, depth: number): void {
  const { pfx, pkcs8 } = asn();
  const bags = parse(bytes, pfx.SafeContents, s.source, 'a safe');
  for (const bag of bags) {
    if (++s.bags > MAX_PKCS12_BAGS) throw corrupt(s.source, `more than ${MAX_PKCS12_BAGS} bags`);
    const idRaw = attribute(bag, OID.localKeyId);
    const localKeyId = idRaw ? octetContent(idRaw, s.source, 'a localKeyId').toString('hex') : undefined;
    if (bag.bagId === OID.certBag) {
      const cb = parse(bag.bagValue, pfx.CertBag, s.source, 'a certificate bag');
      if (cb.certId !== OID.x509Certificate) continue; // SDSI certificates: nothing TLS uses
      const der = octetContent(cb.certValue, s.source, 'a certificate bag');
      let cert: NodeX509;
      try {
        cert = new NodeX509(der);
      } catch {
        throw corrupt(s.source, `certificate ${s.out.certificates.length + 1} is not X.509 DER`);
      }
      const fn = attribute(bag, OID.friendlyName);
      const name = fn ? asn1js.fromBER(new Uint8Array(fn)).result : undefined;
      const friendlyName = name instanceof asn1js.BmpString ? name.valueBlock.value.slice(0, 200) : undefined;
      s.out.certificates.push({ cert, ...(friendlyName ? { friendlyName } : {}), ...(localKeyId ? { localKeyId } : {}) });
    } else if (bag.bagId === OID.keyBag) {
      s.out.keys.push({ key: privateKey(Buffer.from(bag.bagValue), s.source), ...(localKeyId ? { localKeyId } : {}) });
    } else if (bag.bagId === OID.shroudedKeyBag) {
      const epki = parse(bag.bagValue, pkcs8.EncryptedPrivateKeyInfo, s.source, 'an encrypted private key');
      const alg = epki.encryptionAlgorithm;
      const params = alg.parameters ? Buffer.from(alg.parameters) : undefined;
      if (pass === undefined) {
        s.out.closedKeys++;
        s.out.closed.push(`a private key encrypted with ${schemeLabel(alg.algorithm, params)}: the passphrase opens it`);
        continue;
      }
      const plain = closedOr(s, () => pbeDecrypt(alg.algorithm, params, Buffer.from(epki.encryptedData.buffer), pass, s.budget, s.source));
      if (plain) s.out.keys.push({ key: privateKey(plain, s.source), ...(localKeyId ? { localKeyId } : {}) });
      else s.out.closedKeys++;
    } else if (bag.bagId === OID.safeContentsBag) {
      if (depth >= MAX_NESTING) throw corrupt(s.source, `safes nested more than ${MAX_NESTING} deep`);
      readSafeContents(Buffer.from(bag.bagValue), pass, s, depth + 1);
    }
    // CRL and secret bags: nothing the harness uses.
  }
}

function privateKey(pkcs8: Buffer, source: string): KeyObject {
  try {
    const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    registerPrivateKey(key, { pinned: true });
    return key;
  } catch {
    throw new HarnessError('pki.bad-passphrase', `${source}: a private key does not decrypt to PKCS#8: wrong passphrase or corrupt file`);
  }
}

/** True when `cert` is signed by `issuer` (names and signature). */
function issuedBy(cert: NodeX509, issuer: NodeX509): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * A client credential from a PKCS#12 file: the one private key, the certificate it belongs to and
 * the intermediates of that certificate found in the file, leaf first. A self-signed root in the
 * file is not sent (RFC 8446 §4.4.2: the server has it or it is no use), and the file's other
 * certificates are not trust anchors: the server's CA comes from --ca (docs/options.md).
 */
export function pkcs12Credentials(der: Buffer, passphrase: string | undefined, source: string): LoadedCredentials {
  const p = readPkcs12(der, passphrase, source);
  if (p.keys.length === 0)
    throw new HarnessError('pki.no-private-key', `${source}: no private key in the file (a trust store?); --p12 takes a client certificate with its key`);
  if (p.keys.length > 1)
    throw new HarnessError(
      'pki.no-private-key',
      `${source}: ${p.keys.length} private keys in the file; --p12 takes one client credential (keep one: keytool -importkeystore -srckeystore FILE -srcalias ALIAS -destkeystore ONE.p12 -deststoretype pkcs12)`,
    );
  const { key, localKeyId } = p.keys[0]!;
  const candidates = p.certificates.filter((c) => keyMatchesCertificate(key, c.cert));
  const leaf = (candidates.find((c) => localKeyId !== undefined && c.localKeyId === localKeyId) ?? candidates[0])?.cert;
  if (!leaf) throw new HarnessError('pki.key-mismatch', `${source}: the private key belongs to none of the file's ${p.certificates.length} certificate(s)`);
  const keyProblem = publicKeyProblem(leaf);
  if (keyProblem)
    throw new HarnessError('pki.unsupported-key', `${source}: the certificate's ${keyProblem}; a client certificate needs a key the harness can use`);
  const chain = [leaf];
  const rest = p.certificates.map((c) => c.cert).filter((c) => c !== leaf);
  for (let cur = leaf; chain.length <= MAX_CLIENT_CHAIN;) {
    if (issuedBy(cur, cur)) break;
    const next = rest.find((c) => !chain.includes(c) && issuedBy(cur, c));
    if (!next || issuedBy(next, next)) break;
    chain.push(next);
    cur = next;
  }
  return { certPem: chain.map((c) => c.toString()).join(''), keyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(), chain };
}

/** `pkcs12Credentials` on a file (bounded read, the file named in every error). */
export function loadPkcs12Credentials(file: string, passphrase: string | undefined): LoadedCredentials {
  return pkcs12Credentials(readPkiFile(file, 'PKCS#12'), passphrase, file);
}

/** --p12 (or p12:) and --cert/--key (cert:/key:) are two ways to give one credential: never both. */
export function p12Excludes(
  where: string,
  p12: string | undefined,
  certOrKey: string | undefined,
  code: 'usage.invalid-value' | 'config.invalid' = 'usage.invalid-value',
): void {
  if (p12 !== undefined && certOrKey !== undefined)
    throw new HarnessError(
      code,
      `${where}: ${code === 'config.invalid' ? 'p12 and cert/key' : '--p12 and --cert/--key'} exclude each other (the PKCS#12 file holds the certificate and its key): give one or the other`,
    );
}

/**
 * The PKCS#12 passphrase, read from the environment variable --p12-passphrase-env names (never
 * from argv); undefined when none is named (the empty passphrase is then tried).
 */
export function p12Passphrase(where: string, varName: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (varName === undefined) return undefined;
  const value = env[varName];
  if (value === undefined)
    throw new HarnessError('usage.invalid-value', `${where}: environment variable ${varName} (the PKCS#12 passphrase, from --p12-passphrase-env) is not set`);
  return value;
}
