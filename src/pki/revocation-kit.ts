// `mtls-harness certs revoke`: what a user with the client CA's key but no revoked certificate needs to
// test chain.rejects-revoked-client on a live server (docs/CONFORMANCE.md "Revocation"): a client
// certificate of that CA, its key, and a CRL of that CA listing it, written for the user to deploy.
import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import * as path from 'node:path';
import { addDays, systemClock, type Clock } from '../core/clock.js';
import { HarnessError } from '../core/errors.js';
import { mintCrl, revokedSerialFor } from './crl.js';
import { credentialFromPem, mintCertificate } from './generate.js';
import { parseCertificates } from './inspect.js';
import { factsOf, KU, kuNames } from './cert-facts.js';
import { crlParts, normalizeSerial, signatureBy } from './client-crl.js';
import { subjectDer } from './der.js';
import { safeText } from '../core/text.js';
import { writeAll, type PlannedFile } from './layouts.js';

export interface RevocationKitOptions {
  caCertPem: string;
  caKey: KeyObject;
  out: string;
  /** Days the certificate and the CRL are valid (the CRL's nextUpdate): default 30. */
  days?: number;
  force?: boolean;
  clock?: Clock;
  /** The CA's current CRL (DER), whose entries the new CRL carries over (never un-revoking), its number + 1. */
  currentCrl?: { source: string; der: Buffer };
}

export interface RevocationKit {
  certPath: string;
  keyPath: string;
  crlPath: string;
  serialHex: string;
  nextUpdate: Date;
  files: { path: string; mode: number }[];
  /** With --crl: how many entries of the current CRL the new one carries, and its cRLNumber. */
  carried?: number;
  crlNumber?: bigint;
}

/**
 * The entries of the CA's current CRL, to carry into the new one: it must be this CA's (issuer Name
 * byte for byte, signature by its key) and a full CRL, not a delta. Anything else: exit 2.
 */
function carriedEntries(crl: { source: string; der: Buffer }, caCert: X509Certificate): { entries: Map<string, Buffer>; number: bigint } {
  const bad = (why: string) => new HarnessError('usage.invalid-value', `certs revoke: --crl ${crl.source}: ${why}`);
  let parts: ReturnType<typeof crlParts>;
  try {
    parts = crlParts(crl.der);
  } catch (e) {
    throw bad(`not a CRL (${safeText(e instanceof Error ? e.message : String(e), 120)})`);
  }
  if (!parts.issuerDer.equals(subjectDer(caCert.raw))) throw bad("not this CA's CRL (its issuer is not the CA certificate's subject)");
  if (signatureBy(parts, caCert) !== true) throw bad("its signature does not verify with the CA certificate's key");
  if (parts.delta) throw bad('a delta CRL; give the full (base) CRL');
  return { entries: parts.revoked, number: parts.number ?? 0n };
}

/** The subject of the certificate the kit revokes. */
export const KIT_SUBJECT = 'CN=mtls-harness revoked client, O=mtls-harness';

/**
 * Mints, under the CA, a client certificate (EKU clientAuth) and a v2 CRL listing it (its serial:
 * revokedSerialFor(ca), the same for every kit of one CA, so a later kit's CRL still lists an
 * earlier kit's certificate), and writes them: revoked-client.pem, revoked-client-key.pem (0600),
 * crl.pem. Refuses to overwrite without `force`; a CA key that is not the CA certificate's: exit 2.
 */
export async function revocationKit(o: RevocationKitOptions): Promise<RevocationKit> {
  const [caCert] = parseCertificates(o.caCertPem, 'the CA certificate');
  const spki = (k: KeyObject) => k.export({ format: 'der', type: 'spki' });
  if (!spki(createPublicKey(o.caKey)).equals(spki(caCert!.publicKey)))
    throw new HarnessError('pki.key-mismatch', 'certs revoke: the CA key is not the private key of the CA certificate');
  // A CRL is judged by its issuer's certificate: one that may not sign CRLs is refused by every server.
  const facts = factsOf(caCert!);
  if (facts.ca !== true) throw new HarnessError('usage.invalid-value', 'certs revoke: the CA certificate is not a CA (basicConstraints cA is not TRUE)');
  if (facts.keyUsage !== undefined && (!(facts.keyUsage & KU.cRLSign) || !(facts.keyUsage & KU.keyCertSign)))
    throw new HarnessError(
      'usage.invalid-value',
      `certs revoke: the CA certificate's keyUsage (${kuNames(facts.keyUsage) || 'none'}) lacks ${facts.keyUsage & KU.keyCertSign ? 'cRLSign' : facts.keyUsage & KU.cRLSign ? 'keyCertSign' : 'keyCertSign and cRLSign'}: servers refuse its certificates or CRLs (RFC 5280 §4.2.1.3)`,
    );
  const ca = await credentialFromPem(caCert!.toString(), o.caKey);
  const carried = o.currentCrl ? carriedEntries(o.currentCrl, caCert!) : undefined;
  const now = (o.clock ?? systemClock)();
  const days = o.days ?? 30;
  const serialHex = revokedSerialFor(ca);
  const client = await mintCertificate({
    subject: KIT_SUBJECT,
    issuer: ca,
    notBefore: addDays(now, -1 / 24),
    notAfter: addDays(now, days),
    eku: ['clientAuth'],
    serialNumber: serialHex,
  });
  const nextUpdate = addDays(now, days);
  // The kit's serial already in the current CRL (an earlier kit): its entry is carried, not added twice.
  const already = carried?.entries.has(normalizeSerial(serialHex));
  const crl = mintCrl(ca, {
    thisUpdate: addDays(now, -1 / 24),
    nextUpdate,
    revoked: already ? [] : [{ serialHex, revokedAt: addDays(now, -1 / 24) }],
    ...(carried ? { carried: [...carried.entries.values()], number: carried.number + 1n } : {}),
  });
  const out = path.resolve(o.out);
  const files: PlannedFile[] = [
    { path: path.join(out, 'revoked-client.pem'), content: `${client.certPem.trimEnd()}\n`, kind: 'cert' },
    { path: path.join(out, 'revoked-client-key.pem'), content: `${client.keyPem.trimEnd()}\n`, kind: 'key' },
    { path: path.join(out, 'crl.pem'), content: `${crl.trimEnd()}\n`, kind: 'crl' },
  ];
  await writeAll(out, files, o.force ?? false);
  return {
    ...(carried ? { carried: carried.entries.size, crlNumber: carried.number + 1n } : {}),
    certPath: files[0]!.path,
    keyPath: files[1]!.path,
    crlPath: files[2]!.path,
    serialHex,
    nextUpdate,
    files: files.map((f) => ({ path: f.path, mode: f.kind === 'key' ? 0o600 : 0o644 })),
  };
}

/** What to do with a kit, in plain words: deploy the CRL (stack-neutral, then the line per stack), then run with the certificate. */
export function kitInstructions(k: RevocationKit): string[] {
  const crl = k.crlPath;
  return [
    `The certificate (serial ${k.serialHex}) is listed as revoked in ${crl}. The CRL is valid until ${k.nextUpdate.toISOString()}: a server that checks CRLs refuses every client once its CRL has expired, so replace it before then.`,
    'Give the server this CRL where it checks client certificates, then reload it:',
    `  nginx       ssl_crl ${crl};`,
    `  haproxy     crl-file ${crl}   (on the bind line, beside ca-file and verify required)`,
    `  Apache      SSLCARevocationFile ${crl}  and  SSLCARevocationCheck chain`,
    `  stunnel     CRLfile = ${crl}`,
    `  Envoy       validation_context: { crl: { filename: ${crl} } }`,
    `  PostgreSQL  ssl_crl_file = '${crl}'      MariaDB  ssl_crl = ${crl}`,
    k.carried !== undefined
      ? `It carries the ${k.carried} entr${k.carried === 1 ? 'y' : 'ies'} of the current CRL given (--crl) and is CRL number ${k.crlNumber}: it replaces that CRL wherever it is deployed.`
      : 'If this CA already publishes a CRL, do not replace it with this one (that would un-revoke what it lists): give the current CRL with --crl so this one carries its entries, or revoke the serial above with the tool that issues your CRL, and deploy that.',
    `Then: mtls-harness run --target HOST:PORT … --revoked-cert ${k.certPath} --revoked-key ${k.keyPath}`,
  ];
}
