// chain.client-cert-not-revoked (docs/CONFORMANCE.md "Revocation"): the valid client certificate
// given is not listed in a CRL the harness can read: the files given (--crl) and, only with
// --fetch-crl, its CRL distribution points (http). A server refusing it with alert 44 is the other
// way it shows (the control's own fault, src/probe/controls.ts).
import type { X509Certificate } from 'node:crypto';
import { skip } from '../src/checks/judge.js';
import type { Check } from '../src/checks/types.js';
import type { CheckVerdict } from '../src/core/model.js';
import { safeText } from '../src/core/text.js';
import { crlDistributionPoints, readCrlsFor, type CrlReading } from '../src/pki/client-crl.js';
import { issuerDer, subjectDer } from '../src/pki/der.js';
import { parseCertificates } from '../src/pki/inspect.js';
import { fetchCrl, type CrlFetch } from '../src/probe/crl-fetch.js';

const NO_CRL = "no CRL to read: give --crl FILE (your CA's CRL, PEM or DER), or --fetch-crl to fetch the certificate's CRL distribution points";

/** The issuer of the leaf among its chain and the trust bundles, by Name bytes. */
function issuerOf(leaf: X509Certificate, candidates: readonly X509Certificate[]): X509Certificate | undefined {
  const want = issuerDer(leaf.raw);
  return candidates.find((c) => Buffer.from(subjectDer(c.raw)).equals(want));
}

const where = (r: CrlReading) => safeText(r.source, 200);

/** One fetch per certificate per command: targets sharing a credential (several paths, ports) share its CRLs. */
const fetched = new WeakMap<X509Certificate, Promise<{ url: string; result: CrlFetch }[]>>();
function fetchOnce(leaf: X509Certificate): Promise<{ url: string; result: CrlFetch }[]> {
  let p = fetched.get(leaf);
  if (!p) {
    p = Promise.all(crlDistributionPoints(leaf).map(async (url) => ({ url, result: await fetchCrl(url) })));
    fetched.set(leaf, p);
  }
  return p;
}

export const clientCertNotRevoked: Check = {
  id: 'chain.client-cert-not-revoked',
  title: 'The client certificate given is not listed in a CRL the harness can read',
  async run(ctx): Promise<CheckVerdict> {
    const c = ctx.target.client;
    if (!c) return skip('no client credentials given (--cert and --key)');
    const leaf = c.chain[0]!;
    const crls = [...(ctx.target.clientCrls ?? [])];
    const fetchErrors: { url: string; error: string }[] = [];
    const points = ctx.target.fetchCrl ? await fetchOnce(leaf) : [];
    for (const { url, result } of points) {
      if ('der' in result) crls.push({ source: url, der: result.der });
      else fetchErrors.push({ url, error: result.error });
    }
    if (crls.length === 0) {
      if (fetchErrors.length > 0)
        return {
          status: 'error',
          message: `no CRL could be read: ${fetchErrors.map((e) => `${safeText(e.url, 200)}: ${safeText(e.error, 200)}`).join('; ')}`,
          evidence: { fetchErrors },
        };
      return skip(ctx.target.fetchCrl && points.length === 0 ? `the certificate names no CRL distribution point; ${NO_CRL}` : NO_CRL);
    }
    const trusted = [ctx.target.clientCaPem, ctx.target.trustPem].flatMap((p) => (p ? parseCertificates(p, 'the trust bundle') : []));
    const readings = readCrlsFor(leaf, issuerOf(leaf, [...c.chain.slice(1), ...trusted]), crls);
    const evidence = { serialNumber: leaf.serialNumber, crls: readings, ...(fetchErrors.length ? { fetchErrors } : {}) };
    const own = readings.filter((r) => !r.ignored && r.signatureOk !== false);
    const forged = readings.filter((r) => r.signatureOk === false);
    const listed = own.filter((r) => r.listed);
    if (listed.length > 0) {
      const l = listed[0]!;
      const verified = l.signatureOk === true;
      return {
        status: verified ? 'fail' : 'warn',
        message: `the valid client certificate (serial ${leaf.serialNumber}) is revoked: ${where(l)} lists it since ${l.listed!.revokedAt}${l.listed!.reason ? ` (${l.listed!.reason})` : ''}${verified ? '' : `; the CRL's signature was not verified (${safeText(l.signatureNote ?? "its issuer's certificate is not in --ca or the client chain", 160)})`}`,
        remediation:
          'issue a new client certificate (a revoked one stays revoked) and deploy it; a server checking revocation refuses this one with alert 44 certificate_revoked',
        evidence,
      };
    }
    if (own.length === 0)
      return {
        status: forged.length > 0 ? 'error' : 'skip',
        message:
          forged.length > 0
            ? `no CRL of the certificate's issuer could be trusted: the signature of ${forged.map(where).join(', ')} does not verify with the issuer's key`
            : `none of the CRLs read is the certificate's issuer's (${readings.map((r) => `${where(r)}: ${safeText(r.ignored ?? '', 200)}`).join('; ')})`,
        evidence,
      };
    const unverified = own.filter((r) => r.signatureOk === undefined);
    const notes = [...new Set(unverified.map((r) => r.signatureNote ?? "the issuer's certificate is not in --ca or the client chain"))];
    return {
      status: 'pass',
      message: `the valid client certificate is not listed in ${own.length} CRL(s) of its issuer (${own.map((r) => `${where(r)}: ${r.entries ?? 0} entries`).join(', ')})${unverified.length ? `; ${unverified.length} of them not verified (${notes.map((n) => safeText(n, 160)).join('; ')})` : ''}`,
      evidence,
    };
  },
};
