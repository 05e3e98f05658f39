// Whether the valid client certificate is listed in a CRL the harness can read (docs/CONFORMANCE.md
// "Revocation", chain.client-cert-not-revoked): CRLs given (--crl) or fetched from the certificate's
// CRL distribution points (--fetch-crl). A CRL counts only when its issuer Name is the certificate's
// issuer byte for byte; its signature is verified against the issuer when the harness has it.
import type { X509Certificate as NodeX509 } from 'node:crypto';
import { x509 } from './crypto.js';
import { issuerDer, subjectDer } from './der.js';

/** The CRLs of a file: each PEM `X509 CRL` block, or the whole file as one DER CRL. */
export function crlsOfFile(bytes: Buffer): Buffer[] {
  const text = bytes.toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  return blocks.length > 0 ? blocks : [bytes];
}

/** The http(s) URLs of a certificate's CRL distribution points (fullName URIs). */
export function crlDistributionPoints(cert: NodeX509): string[] {
  const c = new x509.X509Certificate(new Uint8Array(cert.raw));
  const ext = c.getExtension(x509.CRLDistributionPointsExtension);
  const out: string[] = [];
  for (const dp of ext?.distributionPoints ?? [])
    for (const n of dp.distributionPoint?.fullName ?? []) if (n.uniformResourceIdentifier) out.push(n.uniformResourceIdentifier);
  return out;
}

export interface CrlReading {
  source: string;
  /** Not this certificate's issuer's CRL (or unreadable): why. */
  ignored?: string;
  /** The CRL's signature checked against the issuer certificate: true, false (bad), undefined (no issuer at hand). */
  signatureOk?: boolean;
  /** The entry listing the certificate. */
  listed?: { revokedAt: string; reason?: string };
  nextUpdate?: string;
}

const REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  '',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
];

/** Reads each CRL against the certificate (its leaf) and, when at hand, its issuer's certificate. */
export async function readCrlsFor(leaf: NodeX509, issuer: NodeX509 | undefined, crls: readonly { source: string; der: Buffer }[]): Promise<CrlReading[]> {
  const out: CrlReading[] = [];
  const leafIssuer = issuerDer(leaf.raw);
  for (const { source, der } of crls) {
    let crl: InstanceType<typeof x509.X509Crl>;
    try {
      crl = new x509.X509Crl(new Uint8Array(der));
    } catch (e) {
      out.push({ source, ignored: `not a CRL (${e instanceof Error ? e.message.slice(0, 120) : 'unreadable'})` });
      continue;
    }
    if (!Buffer.from(crl.issuerName.toArrayBuffer()).equals(leafIssuer)) {
      out.push({ source, ignored: `issued by ${crl.issuer}, not by the certificate's issuer` });
      continue;
    }
    const signatureOk =
      issuer && Buffer.from(subjectDer(issuer.raw)).equals(leafIssuer)
        ? await crl.verify({ publicKey: new x509.X509Certificate(new Uint8Array(issuer.raw)) }).catch(() => false)
        : undefined;
    const norm = (h: string) => h.toLowerCase().replace(/^0+/, '');
    const entry = crl.entries.find((e) => norm(e.serialNumber) === norm(leaf.serialNumber));
    const reason = entry?.reason !== undefined ? REASONS[entry.reason] : undefined;
    out.push({
      source,
      ...(signatureOk !== undefined ? { signatureOk } : {}),
      ...(entry ? { listed: { revokedAt: entry.revocationDate.toISOString(), ...(reason ? { reason } : {}) } } : {}),
      ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate.toISOString() } : {}),
    });
  }
  return out;
}
