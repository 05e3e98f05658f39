import { randomBytes, sign as nodeSign, KeyObject, X509Certificate as NodeX509 } from 'node:crypto';
import { x509 } from './crypto.js';
import { assembleCertificate, certificateParts, replaceNames, subjectDer, toBuffer } from './der.js';
import { certificatePem, keyIdentifier, plainNameDer, signedCertificate, subjectKeyIdOf, type Tweak } from './encode.js';
import { addDays, systemClock, type Clock } from '../core/clock.js';
import { generateKey, importKeyPair, privateKeyToPem, type GeneratedKey, type KeyType, type LeafKeyType } from './keys.js';

/** A minted certificate with its private key, in memory. */
export interface Credential {
  /** The certificate (the library's object, parsed when first read; certDer() gives its DER without parsing). */
  cert: x509.X509Certificate;
  /** PEM of the certificate alone. */
  certPem: string;
  /** PEM of the certificate followed by the intermediates a peer must send with it (leaf first). */
  chainPem: string;
  /** PKCS#8 PEM of the private key. Never written into a report or log. */
  keyPem: string;
  key: GeneratedKey;
  /** The credential that issued this one (in memory only; absent for self-signed). */
  issuerOf?: Credential;
}

export interface SubjectAltNames {
  dns?: string[];
  ip?: string[];
  uri?: string[];
  email?: string[];
}

export type Eku = 'serverAuth' | 'clientAuth';

export interface MintOptions {
  /**
   * Distinguished name, e.g. `CN=localhost, O=mtls-harness`, or a DER Name (e.g. taken from a
   * certificate we were given), which is copied into the certificate byte for byte.
   */
  subject: string | ArrayBuffer | ArrayBufferView;
  /**
   * Issuer; omitted means self-signed. The certificate's issuer Name is the DER of this
   * credential's subject, copied exactly (RFC 5280 §4.1.2.4: Go and GnuTLS match parents by those
   * bytes), and its authorityKeyIdentifier is the issuer's subjectKeyIdentifier when it has one.
   */
  issuer?: Credential;
  keyType?: LeafKeyType;
  /** Reuse an existing key (e.g. a CA with the same name but another key is NOT this; this is for renewals). */
  key?: GeneratedKey;
  notBefore: Date;
  notAfter: Date;
  ca?: boolean;
  pathLength?: number;
  /** Omit or pass an empty object for a certificate with no subjectAltName extension. */
  sans?: SubjectAltNames;
  eku?: Eku[];
  serialNumber?: string;
  /** One property changed on purpose at the encoding (the crafted profiles, src/pki/crafted-profiles.ts). */
  tweak?: Tweak;
  /** OCSP responder URLs (authorityInfoAccess, id-ad-ocsp). */
  ocspUrls?: string[];
}

/** A positive random 128-bit serial number, hex. */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01; // positive, and never a leading zero byte
  return b.toString('hex');
}

/**
 * Mints one certificate. Profiles follow RFC 5280: CAs get a critical basicConstraints CA:TRUE and
 * keyCertSign/cRLSign; leaves get CA:FALSE, digitalSignature (+keyEncipherment for RSA) and the EKUs asked for.
 * Encoded by src/pki/encode.ts and signed with node:crypto.
 */
export async function mintCertificate(opts: MintOptions): Promise<Credential> {
  const keyType = opts.key?.type ?? opts.keyType ?? opts.issuer?.key.type ?? 'ec-p256';
  const key = opts.key ?? (await generateKey(keyType));
  const issuerKey = opts.issuer?.key ?? key;
  // Copy, don't re-encode: the subject given as DER and the issuer's subject go in as they are.
  const subject = typeof opts.subject === 'string' ? nameDer(opts.subject) : toBuffer(opts.subject);
  const issuerCert = opts.issuer ? certDer(opts.issuer) : undefined;
  const spki = KeyObject.from(key.pair.publicKey).export({ format: 'der', type: 'spki' });
  // Path building (Go, GnuTLS, OpenSSL) uses the AKI to find the parent: the issuer's SKI.
  const authorityKeyId =
    (issuerCert && subjectKeyIdOf(issuerCert)) ??
    keyIdentifier(issuerCert ? KeyObject.from(issuerKey.pair.publicKey).export({ format: 'der', type: 'spki' }) : spki);
  const der = signedCertificate(
    {
      serialHex: opts.serialNumber ?? randomSerial(),
      issuer: issuerCert ? subjectDer(issuerCert) : subject,
      subject,
      notBefore: opts.notBefore,
      notAfter: opts.notAfter,
      spki,
      authorityKeyId,
      ca: opts.ca ?? false,
      pathLength: opts.ca ? opts.pathLength : undefined,
      rsa: keyType.startsWith('rsa'),
      eku: opts.eku,
      sans: opts.sans,
      tweak: opts.tweak,
      ocspUrls: opts.ocspUrls,
    },
    KeyObject.from(issuerKey.pair.privateKey),
    issuerKey.type,
  );
  const certPem = certificatePem(der) + '\n';
  // A leaf's chain is itself plus every non-root issuer above it.
  let chainPem = certPem;
  for (let p = opts.issuer; p && !isSelfIssued(p); p = p.issuerOf) chainPem += p.certPem;
  const cred = withCertificate({ certPem, chainPem, keyPem: privateKeyToPem(key.pair.privateKey), key }, der);
  if (opts.issuer) cred.issuerOf = opts.issuer;
  return cred;
}

/** A Name from text: plain `CN=…, O=…` lists encoded here, any other text by the certificate library. */
function nameDer(text: string): Buffer {
  return plainNameDer(text) ?? Buffer.from(new x509.Name(text).toArrayBuffer());
}

/** The DER of each credential minted or wrapped here (its `cert` is parsed from it only when read). */
const DER = new WeakMap<object, Buffer>();

/** A credential's certificate, DER (without parsing it with the certificate library). */
export function certDer(c: Credential): Buffer {
  return DER.get(c) ?? Buffer.from(c.cert.rawData);
}

/** The credential with its `cert`: the library's certificate object, parsed from `der` when first read. */
function withCertificate(c: Omit<Credential, 'cert'>, der: Buffer): Credential {
  let parsed: x509.X509Certificate | undefined;
  const cred = Object.defineProperty(c, 'cert', {
    enumerable: true,
    configurable: true,
    get: () => (parsed ??= new x509.X509Certificate(new Uint8Array(der))),
  }) as Credential;
  DER.set(cred, der);
  return cred;
}

/**
 * A certificate with its issuer and/or subject Name replaced by the given DER, signed again (the
 * tests use it to make the re-encoded names a library would produce; mintCertificate copies names
 * byte for byte by itself).
 */
export function exactNames(cert: x509.X509Certificate, want: { issuer?: Buffer; subject?: Buffer }, signer: GeneratedKey): x509.X509Certificate {
  const parts = certificateParts(cert.rawData);
  const fix: { issuer?: Buffer; subject?: Buffer } = {};
  if (want.issuer && !parts.issuer.equals(want.issuer)) fix.issuer = want.issuer;
  if (want.subject && !parts.subject.equals(want.subject)) fix.subject = want.subject;
  if (!fix.issuer && !fix.subject) return cert;
  const tbs = replaceNames(parts, fix);
  const privateKey = KeyObject.from(signer.pair.privateKey);
  const hash = signer.type === 'ec-p384' ? 'sha384' : 'sha256';
  const signature = signer.type.startsWith('ec') ? nodeSign(hash, tbs, { key: privateKey, dsaEncoding: 'der' }) : nodeSign(hash, tbs, privateKey);
  return new x509.X509Certificate(new Uint8Array(assembleCertificate(tbs, parts.signatureAlgorithm, signature)));
}

function isSelfIssued(c: Credential): boolean {
  if (c.issuerOf) return false;
  const der = certDer(c);
  const parts = certificateParts(der);
  if (parts.subject.equals(parts.issuer)) return true;
  const node = new NodeX509(der);
  return node.subject === node.issuer;
}

/**
 * The crafted client certificates the checks present (docs/CONFORMANCE.md): each is the valid
 * client's profile with one property changed, so that a refusal can only be about that property.
 */
export type CraftedKind = 'untrustedCa' | 'selfSigned' | 'wrongEku' | 'caAsLeaf' | 'expired' | 'notYetValid' | 'intermediateIssued' | 'wrongIdentity';

/** The URI the `wrongIdentity` client carries: an identity no allow list names. */
export const WRONG_IDENTITY_URI = 'spiffe://mtls-harness.invalid/wrong-identity';

/**
 * The one recipe of crafted certificates (the fixture PKI's bad clients and expired server, those
 * minted from a user's CA key, the client-test servers, the diagnosis's self-signed client):
 * `valid` is the valid certificate they are compared with (issuer, subject, key type, validity,
 * EKU, SANs); the result changes the property under test. `untrustedCa` and `intermediateIssued`
 * change the issuer: `issuer` is the look-alike CA (`lookAlikeCaOptions`) or the intermediate
 * under the trusted CA.
 */
export function craftedOptions(kind: CraftedKind, valid: MintOptions, now: Date, issuer?: Credential): MintOptions {
  switch (kind) {
    case 'selfSigned': {
      const { issuer: _issuer, ...selfSigned } = valid;
      return selfSigned;
    }
    case 'untrustedCa':
    case 'intermediateIssued':
      if (!issuer) throw new Error(`craftedOptions: ${kind} needs its issuer`);
      return { ...valid, issuer };
    case 'wrongEku':
      return { ...valid, eku: ['serverAuth'] };
    case 'caAsLeaf':
      return { ...valid, ca: true, eku: ['clientAuth'] };
    case 'expired':
      return { ...valid, notBefore: addDays(now, -30), notAfter: addDays(now, -1) };
    case 'notYetValid':
      return { ...valid, notBefore: addDays(now, 1), notAfter: addDays(now, 30) };
    case 'wrongIdentity':
      return {
        ...valid,
        subject: 'CN=mtls-harness wrong identity, O=mtls-harness',
        sans: { uri: [WRONG_IDENTITY_URI], dns: ['wrong-identity.mtls-harness.invalid'] },
      };
  }
}

/** The issuer of the `untrustedCa` client: the trusted CA's subject (its DER, byte for byte) on another key, CA:TRUE. */
export function lookAlikeCaOptions(trustedName: MintOptions['subject'], notBefore: Date, notAfter: Date, keyType?: KeyType): MintOptions {
  return { subject: trustedName, ...(keyType ? { keyType } : {}), notBefore, notAfter, ca: true, pathLength: 1 };
}

/** Options for the fixture PKI of a run. */
export interface FixturePkiOptions {
  clock?: Clock;
  keyType?: KeyType;
  /** DNS names the server leaf covers (default `localhost`). */
  serverDnsNames?: string[];
  /** IP addresses the server leaf covers (default `127.0.0.1`, `::1`). */
  serverIps?: string[];
  serverCommonName?: string;
  /** Optional URI SAN of the valid client (e.g. `spiffe://example.org/ns/default/sa/client`). */
  clientUri?: string;
  clientCommonName?: string;
  /** Validity of leaves in days (default 365). */
  leafDays?: number;
  /** Days until the `expiringServer` certificate expires (default 3). */
  expiringInDays?: number;
  /** Name prefix for subjects (default `mtls-harness`). */
  organization?: string;
}

/** The whole fixture PKI: a trusted hierarchy, the valid credentials and every crafted bad certificate. */
export interface FixturePki {
  createdAt: Date;
  root: Credential;
  intermediate: Credential;
  /** Server leaf issued by the intermediate; serve `chainPem` (leaf + intermediate). */
  server: Credential;
  /** Valid client leaf issued by the root. */
  client: Credential;
  badClients: {
    /** Issued by a CA whose subject equals the trusted root's, with another key. */
    untrustedCa: Credential;
    untrustedCaIssuer: Credential;
    selfSigned: Credential;
    /** Issued by the trusted root, EKU serverAuth only. */
    wrongEku: Credential;
    /** Issued by the trusted root, CA:TRUE with clientAuth. */
    caAsLeaf: Credential;
    /** Issued by the trusted root, expired yesterday. */
    expired: Credential;
    /** Issued by the trusted root, valid from tomorrow. */
    notYetValid: Credential;
    /** Issued by the intermediate; `chainPem` carries the intermediate. */
    intermediateIssued: Credential;
  };
  badServers: {
    /** SAN `wrong.example` only. */
    wrongSan: Credential;
    /** No subjectAltName, CN only. */
    cnOnly: Credential;
    /** Expires in `expiringInDays` days. */
    expiring: Credential;
    /** Expired yesterday. */
    expired: Credential;
    /** Issued by the intermediate; serve `certPem` only (the intermediate is not sent). */
    incompleteChain: Credential;
  };
}

/**
 * Mints the fixture PKI for a run: root → intermediate → server, root → client, and every crafted
 * bad client and server certificate of CONFORMANCE.md. ECDSA P-256 unless `keyType` says otherwise.
 */
export async function mintFixturePki(options: FixturePkiOptions = {}): Promise<FixturePki> {
  const clock = options.clock ?? systemClock;
  const now = clock();
  const keyType = options.keyType ?? 'ec-p256';
  const org = options.organization ?? 'mtls-harness';
  const leafDays = options.leafDays ?? 365;
  const start = addDays(now, -1 / 24); // one hour of tolerance for peers with a skewed clock
  const leafEnd = addDays(now, leafDays);
  const caEnd = addDays(now, 3650);
  const rootSubject = `CN=${org} Test Root CA, O=${org}`;
  const serverSans: SubjectAltNames = { dns: options.serverDnsNames ?? ['localhost'], ip: options.serverIps ?? ['127.0.0.1', '::1'] };
  const serverCn = options.serverCommonName ?? serverSans.dns?.[0] ?? 'localhost';
  const clientSubject = `CN=${options.clientCommonName ?? `${org} client`}, O=${org}`;
  const clientSans: SubjectAltNames | undefined = options.clientUri ? { uri: [options.clientUri] } : undefined;

  const root = await mintCertificate({ subject: rootSubject, keyType, notBefore: start, notAfter: caEnd, ca: true, pathLength: 1 });
  // The look-alike carries the root's subject byte for byte, with another key.
  const untrustedCaIssuer = await mintCertificate(lookAlikeCaOptions(subjectDer(root.cert.rawData), start, caEnd, keyType));
  const intermediate = await mintCertificate({
    subject: `CN=${org} Test Intermediate CA, O=${org}`,
    issuer: root,
    notBefore: start,
    notAfter: caEnd,
    ca: true,
    pathLength: 0,
  });

  const serverOptions = (issuer: Credential): MintOptions => ({
    subject: `CN=${serverCn}, O=${org}`,
    issuer,
    keyType,
    notBefore: start,
    notAfter: leafEnd,
    sans: serverSans,
    eku: ['serverAuth'],
  });
  const server = (issuer: Credential, over: Partial<MintOptions> = {}) => mintCertificate({ ...serverOptions(issuer), ...over });
  const validClient: MintOptions = {
    subject: clientSubject,
    issuer: root,
    keyType,
    notBefore: start,
    notAfter: leafEnd,
    sans: clientSans,
    eku: ['clientAuth'],
  };
  const crafted = (kind: Exclude<CraftedKind, 'wrongIdentity'>, issuer?: Credential) => mintCertificate(craftedOptions(kind, validClient, now, issuer));

  const [srv, cli] = await Promise.all([server(intermediate), mintCertificate(validClient)]);
  const [untrustedCa, selfSigned, wrongEku, caAsLeaf, expired, notYetValid, intermediateIssued] = await Promise.all([
    crafted('untrustedCa', untrustedCaIssuer),
    crafted('selfSigned'),
    crafted('wrongEku'),
    crafted('caAsLeaf'),
    crafted('expired'),
    crafted('notYetValid'),
    crafted('intermediateIssued', intermediate),
  ]);
  const [wrongSan, cnOnly, expiring, expiredServer] = await Promise.all([
    server(intermediate, { sans: { dns: ['wrong.example'] }, subject: `CN=wrong.example, O=${org}` }),
    server(intermediate, { sans: {} }),
    server(intermediate, { notAfter: addDays(now, options.expiringInDays ?? 3) }),
    mintCertificate(craftedOptions('expired', serverOptions(intermediate), now)),
  ]);
  return {
    createdAt: now,
    root,
    intermediate,
    server: srv,
    client: cli,
    badClients: { untrustedCa, untrustedCaIssuer, selfSigned, wrongEku, caAsLeaf, expired, notYetValid, intermediateIssued },
    badServers: { wrongSan, cnOnly, expiring, expired: expiredServer, incompleteChain: srv },
  };
}

/**
 * Wraps an existing CA (certificate + private key, e.g. from --ca and --ca-key) as a Credential so
 * crafted test certificates can be issued by it.
 */
export async function credentialFromPem(certPem: string, privateKey: KeyObject): Promise<Credential> {
  const nodeCert = new NodeX509(certPem);
  const key = await importKeyPair(privateKey, nodeCert.publicKey);
  const pem = certificatePem(nodeCert.raw) + '\n';
  return withCertificate({ certPem: pem, chainPem: pem, keyPem: privateKeyToPem(key.pair.privateKey), key }, nodeCert.raw);
}

/**
 * Renews a certificate the way a rotation does: same subject, SANs, EKU and validity length, a new
 * key and a new serial, issued by `issuer` (the original's issuer unless given).
 */
export async function reissue(cred: Credential, issuer?: Credential, clock: Clock = systemClock): Promise<Credential> {
  const by = issuer ?? cred.issuerOf;
  const old = cred.cert;
  const sans: SubjectAltNames = {};
  const san = old.getExtension(x509.SubjectAlternativeNameExtension);
  for (const n of san?.names.toJSON() ?? []) {
    if (n.type === 'dns') (sans.dns ??= []).push(n.value);
    else if (n.type === 'ip') (sans.ip ??= []).push(n.value);
    else if (n.type === 'url') (sans.uri ??= []).push(n.value);
    else if (n.type === 'email') (sans.email ??= []).push(n.value);
  }
  const ekuExt = old.getExtension(x509.ExtendedKeyUsageExtension);
  const eku: Eku[] = [];
  for (const u of ekuExt?.usages ?? []) {
    if (u === x509.ExtendedKeyUsage.serverAuth) eku.push('serverAuth');
    else if (u === x509.ExtendedKeyUsage.clientAuth) eku.push('clientAuth');
  }
  const now = clock();
  const lifetimeMs = old.notAfter.getTime() - old.notBefore.getTime();
  const notBefore = addDays(now, -1 / 24);
  return mintCertificate({
    subject: subjectDer(old.rawData),
    ...(by ? { issuer: by } : {}),
    keyType: cred.key.type,
    notBefore,
    notAfter: new Date(notBefore.getTime() + lifetimeMs),
    sans,
    eku,
  });
}
