import { X509Certificate as NodeX509, createPrivateKey, createHash, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { HarnessError } from '../core/errors.js';
import { registerPrivateKey } from '../core/redact.js';
import { x509 } from './crypto.js';
import { readCertFields } from './fields.js';
import { DAY_MS, systemClock, type Clock } from '../core/clock.js';
import type { CertSummary } from '../core/model.js';

/** Extended key usage OIDs by the names summaries use (`CertSummary.extKeyUsage`). */
export const EKU_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

/** keyUsage bits and their names (RFC 5280 §4.2.1.3). */
export const KU_NAMES: readonly [number, string][] = [
  [1, 'digitalSignature'],
  [2, 'nonRepudiation'],
  [4, 'keyEncipherment'],
  [8, 'dataEncipherment'],
  [16, 'keyAgreement'],
  [32, 'keyCertSign'],
  [64, 'cRLSign'],
  [128, 'encipherOnly'],
  [256, 'decipherOnly'],
];

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** One PEM block: its label and DER bytes. */
export interface PemBlock {
  label: string;
  der: Buffer;
  /** The block's original text (for keys, handed to node:crypto as is). */
  text: string;
}

/**
 * Splits text into PEM blocks. Throws `pki.malformed-pem` when the text has BEGIN lines that do not
 * form valid blocks or a block's body is not base64.
 */
export function parsePemBlocks(text: string, source = 'input'): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const label = m[1]!;
    const body = m[2]!
      .split(/\r?\n/)
      .filter((l) => !/^[A-Za-z-]+:/.test(l))
      .join('')
      .replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0 || body.length === 0) {
      throw new HarnessError(
        'pki.malformed-pem',
        `${source}: the PEM block "${label}" is not valid base64; re-export the file (e.g. openssl x509 -in FILE -out FILE.pem)`,
      );
    }
    blocks.push({ label, der: Buffer.from(body, 'base64'), text: m[0] });
  }
  const begins = (text.match(/-----BEGIN /g) ?? []).length;
  // Text around the blocks is allowed (comments, "Bag Attributes", as openssl allows); binary data
  // is not: it means a corrupted or concatenated-by-accident file.
  // (Comments in UTF-8, as in curl's cacert.pem, are text.)
  const outside = Buffer.from(text.replace(PEM_BLOCK, ''), 'latin1').toString('utf8');
  if (begins === blocks.length && /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/.test(outside)) {
    throw new HarnessError(
      'pki.malformed-pem',
      `${source}: binary data outside the PEM blocks; the file is corrupt or has something appended: keep only the -----BEGIN/END----- blocks (and text comments)`,
    );
  }
  if (begins !== blocks.length) {
    throw new HarnessError(
      'pki.malformed-pem',
      `${source}: ${begins} BEGIN line(s) but ${blocks.length} complete PEM block(s); the file is truncated or its BEGIN/END labels do not match`,
    );
  }
  return blocks;
}

function looksLikeDer(buf: Buffer): boolean {
  return buf.length > 2 && buf[0] === 0x30;
}

/**
 * Parses certificates from a PEM bundle (any number of CERTIFICATE blocks) or one DER certificate.
 * Throws `pki.malformed-pem` / `pki.no-certificate` with the source named.
 */
export function parseCertificates(input: string | Buffer, source = 'input'): NodeX509[] {
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  const text = buf.toString('latin1');
  if (text.includes('-----BEGIN ')) {
    const blocks = parsePemBlocks(text, source).filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE' || b.label === 'X509 CERTIFICATE');
    if (blocks.length === 0)
      throw new HarnessError('pki.no-certificate', `${source}: no CERTIFICATE block found (is this a key or a CSR instead of a certificate?)`);
    return blocks.map((b, i) => parseDer(b.der, `${source} (certificate #${i + 1})`));
  }
  if (looksLikeDer(buf)) return [parseDer(buf, source)];
  throw new HarnessError('pki.malformed-pem', `${source}: neither PEM nor DER; expected "-----BEGIN CERTIFICATE-----" blocks`);
}

function parseDer(der: Buffer, source: string): NodeX509 {
  try {
    return new NodeX509(der);
  } catch {
    throw new HarnessError('pki.malformed-pem', `${source}: the certificate cannot be parsed as X.509 DER; the file is corrupt or not a certificate`);
  }
}

function fingerprintOf(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/**
 * Summaries without the clock-dependent fields, by DER fingerprint: a scan of many targets sees the
 * same few certificates thousands of times, and parsing extensions is the costly part. Bounded.
 */
const SUMMARY_CACHE = new Map<string, Omit<CertSummary, 'daysLeft' | 'expired' | 'notYetValid'>>();
const SUMMARY_CACHE_MAX = 2048;

/** Summarises a certificate (node X509Certificate, peculiar certificate, or DER). */
export function summarizeCertificate(input: NodeX509 | x509.X509Certificate | Buffer, clock: Clock = systemClock): CertSummary {
  const der = input instanceof NodeX509 ? input.raw : Buffer.isBuffer(input) ? input : Buffer.from(input.rawData);
  const fingerprint = fingerprintOf(der);
  let fixed = SUMMARY_CACHE.get(fingerprint);
  if (!fixed) {
    fixed = staticSummary(input instanceof NodeX509 ? input : new NodeX509(der), der, fingerprint);
    if (SUMMARY_CACHE.size >= SUMMARY_CACHE_MAX) SUMMARY_CACHE.clear();
    SUMMARY_CACHE.set(fingerprint, fixed);
  }
  const now = clock().getTime();
  const notBefore = Date.parse(fixed.notBefore);
  const notAfter = Date.parse(fixed.notAfter);
  return {
    ...fixed,
    sans: { dns: [...fixed.sans.dns], ip: [...fixed.sans.ip], uri: [...fixed.sans.uri], email: [...fixed.sans.email], other: [...fixed.sans.other] },
    extKeyUsage: [...fixed.extKeyUsage],
    keyUsage: [...fixed.keyUsage],
    daysLeft: Math.floor((notAfter - now) / DAY_MS),
    expired: notAfter < now,
    notYetValid: notBefore > now,
  };
}

/**
 * The clock-independent summary. The fields come from src/pki/fields.ts when it reads them (the
 * plain certificates: most), else from the certificate library (`fast: false` asks the library
 * always: the test that compares both).
 */
export function staticSummary(node: NodeX509, der: Buffer, fingerprint: string, fast = true): Omit<CertSummary, 'daysLeft' | 'expired' | 'notYetValid'> {
  const sans: CertSummary['sans'] = { dns: [], ip: [], uri: [], email: [], other: [] };
  let extKeyUsage: string[] = [];
  let keyUsage: string[] = [];
  let basicConstraints: CertSummary['basicConstraints'];
  let signatureAlgorithm = 'unknown';
  let notBefore = new Date(node.validFrom);
  let notAfter = new Date(node.validTo);
  let subject = (node.subject ?? '').replace(/\n/g, ', ');
  let issuer = (node.issuer ?? '').replace(/\n/g, ', ');
  const f = fast ? readCertFields(der) : undefined;
  if (f) {
    ({ subject, issuer, notBefore, notAfter, signatureAlgorithm } = f);
    sans.dns.push(...f.sans.dns);
    sans.ip.push(...f.sans.ip);
    sans.uri.push(...f.sans.uri);
    sans.email.push(...f.sans.email);
    extKeyUsage = f.extKeyUsage.map((u) => EKU_NAMES[u] ?? u);
    if (f.keyUsage !== undefined) keyUsage = KU_NAMES.filter(([bit]) => (f.keyUsage! & bit) !== 0).map(([, n]) => n);
    basicConstraints = f.basicConstraints;
  } else
    try {
      const p = new x509.X509Certificate(new Uint8Array(der));
      subject = p.subject;
      issuer = p.issuer;
      notBefore = p.notBefore;
      notAfter = p.notAfter;
      const sig = p.signatureAlgorithm as { name?: string; hash?: { name?: string } };
      signatureAlgorithm = [sig.hash?.name, sig.name].filter(Boolean).join(' with ') || 'unknown';
      for (const ext of p.extensions) {
        if (ext instanceof x509.SubjectAlternativeNameExtension) {
          for (const n of ext.names.toJSON()) {
            if (n.type === 'dns') sans.dns.push(n.value);
            else if (n.type === 'ip') sans.ip.push(n.value);
            else if (n.type === 'url') sans.uri.push(n.value);
            else if (n.type === 'email') sans.email.push(n.value);
            else sans.other.push(`${n.type}:${n.value}`);
          }
        } else if (ext instanceof x509.ExtendedKeyUsageExtension) {
          extKeyUsage = Array.from(ext.usages, (u) => EKU_NAMES[String(u)] ?? String(u)); // a plain array, not peculiar's Array subclass
        } else if (ext instanceof x509.KeyUsagesExtension) {
          keyUsage = KU_NAMES.filter(([bit]) => (ext.usages & bit) !== 0).map(([, n]) => n);
        } else if (ext instanceof x509.BasicConstraintsExtension) {
          basicConstraints = { ca: ext.ca, critical: ext.critical, ...(ext.pathLength !== undefined ? { pathLength: ext.pathLength } : {}) };
        }
      }
    } catch {
      // A certificate node can parse but peculiar cannot: keep what node gave us.
    }
  const problem = publicKeyProblem(node);
  const pk = problem === undefined ? node.publicKey : undefined;
  const details = pk?.asymmetricKeyDetails ?? {};
  const publicKey: CertSummary['publicKey'] = pk ? { type: (pk.asymmetricKeyType ?? 'unknown').toUpperCase() } : { type: 'undecodable', undecodable: problem! };
  if (details.modulusLength) publicKey.bits = details.modulusLength;
  if (details.namedCurve) {
    publicKey.curve =
      details.namedCurve === 'prime256v1'
        ? 'P-256'
        : details.namedCurve === 'secp384r1'
          ? 'P-384'
          : details.namedCurve === 'secp521r1'
            ? 'P-521'
            : details.namedCurve;
    const bits = { 'P-256': 256, 'P-384': 384, 'P-521': 521 }[publicKey.curve];
    if (bits) publicKey.bits = bits;
  }
  return {
    subject,
    issuer,
    serialNumber: node.serialNumber.toLowerCase(),
    sans,
    extKeyUsage,
    keyUsage,
    ...(basicConstraints ? { basicConstraints } : {}),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    publicKey,
    signatureAlgorithm,
    fingerprintSha256: fingerprint,
    selfIssued: node.subject === node.issuer,
  };
}

/**
 * Why the certificate's public key cannot be decoded (an unknown curve OID, a truncated key), or
 * undefined when it can: node parses such a certificate but throws on `.publicKey`, `.verify()`.
 */
export function publicKeyProblem(cert: NodeX509): string | undefined {
  try {
    void cert.publicKey;
    return undefined;
  } catch (e) {
    return `subject public key (SPKI) cannot be decoded: ${oneLine(e instanceof Error ? e.message : String(e))}`;
  }
}

/** True when `child` names `parent` as issuer and `parent`'s key verifies `child`'s signature. */
export function isIssuedBy(child: NodeX509, parent: NodeX509): boolean {
  if (child.issuer !== parent.subject) return false;
  try {
    return child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/** A distinguished name as node gives it (one RDN a line) on one line: `CN=a, O=b`. */
export function oneLine(name: string): string {
  return name.replace(/\n/g, ', ');
}

/** Reads a file for PKI input, turning fs errors into exit-2 errors that name the file. */
export function readPkiFile(path: string, what: string): Buffer {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new HarnessError('pki.file-missing', `${what} file not found: ${path}`);
  }
  if (!st.isFile()) throw new HarnessError('pki.file-unreadable', `${what} path is not a file: ${path}`);
  if (st.size > MAX_PKI_FILE_BYTES)
    throw new HarnessError(
      'pki.file-unreadable',
      `${what} file ${path} is ${(st.size / 1048576).toFixed(1)} MB: too large for a certificate or key file (at most ${MAX_PKI_FILE_BYTES / 1048576} MB)`,
    );
  try {
    return readFileSync(path);
  } catch (e) {
    throw new HarnessError('pki.file-unreadable', `cannot read ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * Parses a private key (PKCS#8, PKCS#1, SEC1; PEM or DER). An encrypted key without a passphrase,
 * a wrong passphrase, or anything else gives a coded exit-2 error naming the source.
 */
/** A key the harness read: its bytes are redacted from every command output (src/core/redact.ts). */
const known = (k: KeyObject): KeyObject => (registerPrivateKey(k, { pinned: true }), k);

export function parsePrivateKey(input: Buffer | string, source = 'key', passphrase?: string): KeyObject {
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  const text = buf.toString('latin1');
  if (text.includes('-----BEGIN ')) {
    const blocks = parsePemBlocks(text, source);
    const keyBlocks = blocks.filter((b) => /PRIVATE KEY$/.test(b.label));
    if (keyBlocks.length === 0)
      throw new HarnessError('pki.no-private-key', `${source}: no PRIVATE KEY block found (is this a certificate instead of its key?)`);
    const block = keyBlocks[0]!;
    const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.text);
    if (encrypted && passphrase === undefined) {
      throw new HarnessError(
        'pki.encrypted-key',
        `${source}: the private key is encrypted; pass its passphrase with --key-passphrase-env VAR (the name of an environment variable holding it)`,
      );
    }
    try {
      return known(createPrivateKey(passphrase !== undefined ? { key: block.text, passphrase } : { key: block.text }));
    } catch (e) {
      if (encrypted) throw new HarnessError('pki.bad-passphrase', `${source}: the passphrase does not decrypt the private key`);
      throw new HarnessError('pki.malformed-pem', `${source}: the private key cannot be parsed (${shortCryptoReason(e)})`);
    }
  }
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return known(createPrivateKey({ key: buf, format: 'der', type }));
    } catch (e) {
      // DER EncryptedPrivateKeyInfo (openssl pkcs8 -topk8 -outform DER): node asks for the passphrase.
      if (type === 'pkcs8' && (e as { code?: unknown }).code === 'ERR_MISSING_PASSPHRASE') {
        if (passphrase === undefined) {
          throw new HarnessError(
            'pki.encrypted-key',
            `${source}: the private key is encrypted; pass its passphrase with --key-passphrase-env VAR (the name of an environment variable holding it)`,
          );
        }
        try {
          return known(createPrivateKey({ key: buf, format: 'der', type, passphrase }));
        } catch {
          throw new HarnessError('pki.bad-passphrase', `${source}: the passphrase does not decrypt the private key`);
        }
      }
      /* try the next encoding */
    }
  }
  throw new HarnessError('pki.malformed-pem', `${source}: neither a PEM nor a DER private key`);
}

function shortCryptoReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.slice(0, 120);
}

/** True when the private key belongs to the certificate. */
export function keyMatchesCertificate(key: KeyObject, cert: NodeX509): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false;
  }
}

/** Client (or server) credentials loaded from files, validated: the key matches the first certificate. */
export interface LoadedCredentials {
  /** PEM of the certificate chain as given (leaf first). */
  certPem: string;
  /** PEM (PKCS#8) of the private key, decrypted. Never logged. */
  keyPem: string;
  chain: NodeX509[];
}

/** A certificate or key file (or CA bundle) larger than this is refused before it is parsed. */
export const MAX_PKI_FILE_BYTES = 8 * 1048576;
/** A client chain longer than this is refused: verifiers stop far earlier (OpenSSL's default depth is 100). */
export const MAX_CLIENT_CHAIN = 64;

/** Loads a certificate (chain) file and its key file; throws exit-2 errors for every bad-input case. */
export function loadCredentialFiles(certFile: string, keyFile: string, passphrase?: string): LoadedCredentials {
  const certBuf = readPkiFile(certFile, 'certificate');
  const chain = parseCertificates(certBuf, certFile);
  if (chain.length > MAX_CLIENT_CHAIN)
    throw new HarnessError(
      'pki.malformed-pem',
      `${certFile} holds a chain of ${chain.length} certificates; a client chain is the leaf and its intermediates (at most ${MAX_CLIENT_CHAIN}): is this a CA bundle?`,
    );
  const keyProblem = publicKeyProblem(chain[0]!);
  if (keyProblem)
    throw new HarnessError('pki.unsupported-key', `${certFile}: the certificate's ${keyProblem}; a client certificate needs a key the harness can use`);
  const key = parsePrivateKey(readPkiFile(keyFile, 'private key'), keyFile, passphrase);
  if (!keyMatchesCertificate(key, chain[0]!)) {
    throw new HarnessError(
      'pki.key-mismatch',
      `${keyFile} is not the private key of ${certFile} (subject ${oneLine(chain[0]!.subject)}); pass the key that was generated with this certificate`,
    );
  }
  return {
    certPem: chain.map((c) => c.toString()).join(''),
    keyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    chain,
  };
}

/** Loads a trust-anchor bundle (one or more CA certificates). */
export function loadCaFile(caFile: string): { pem: string; certs: NodeX509[] } {
  const certs = parseCertificates(readPkiFile(caFile, 'CA'), caFile);
  for (const [i, c] of certs.entries()) {
    const problem = publicKeyProblem(c);
    if (problem)
      throw new HarnessError(
        'pki.unsupported-key',
        `${caFile}: certificate ${i + 1} (subject ${oneLine(c.subject)}): its ${problem}; a trust anchor needs a key that can verify signatures`,
      );
  }
  return { pem: certs.map((c) => c.toString()).join(''), certs };
}
