// chain.client-cert-not-revoked (docs/CONFORMANCE.md "Revocation"): the valid client certificate
// given is not listed in a CRL the harness can read: the files given (--crl) and, only with
// --fetch-crl, its CRL distribution points (http). The reading is shared (src/checks/own-revocation.ts)
// with the verdicts whose control that certificate is. A server refusing it with alert 44 is the
// other way it shows (the control's own fault, src/probe/controls.ts).
import { skip } from '../src/checks/judge.js';
import { ownRevocation } from '../src/probe/own-revocation.js';
import type { Check } from '../src/checks/types.js';
import type { CheckVerdict } from '../src/core/model.js';
import { safeText } from '../src/core/text.js';
import type { CrlReading } from '../src/pki/client-crl.js';

const NO_CRL = "no CRL to read: give --crl FILE (your CA's CRL, PEM or DER), or --fetch-crl to fetch the certificate's CRL distribution points";

const where = (r: CrlReading) => safeText(r.source, 200);

export const clientCertNotRevoked: Check = {
  id: 'chain.client-cert-not-revoked',
  title: 'The client certificate given is not listed in a CRL the harness can read',
  async run(ctx): Promise<CheckVerdict> {
    const c = ctx.target.client;
    if (!c) return skip('no client credentials given (--cert and --key)');
    const leaf = c.chain[0]!;
    const own = await ownRevocation(ctx.target);
    if (!own) return skip(NO_CRL);
    const fetchErrors = own.fetched.flatMap((f) => (f.error ? [{ url: f.url, error: f.error }] : []));
    if (own.readings.length === 0) {
      if (fetchErrors.length > 0)
        return {
          status: 'error',
          message: `no CRL could be read: ${fetchErrors.map((e) => `${safeText(e.url, 200)}: ${safeText(e.error, 200)}`).join('; ')}`,
          evidence: { fetchErrors },
        };
      return skip(own.fetched.length === 0 ? `the certificate names no CRL distribution point; ${NO_CRL}` : NO_CRL);
    }
    const evidence = { serialNumber: leaf.serialNumber, crls: own.readings, ...(fetchErrors.length ? { fetchErrors } : {}) };
    const usable = own.readings.filter((r) => !r.ignored && r.signatureOk !== false);
    const forged = own.readings.filter((r) => r.signatureOk === false);
    const l = own.listed;
    if (l) {
      const verified = l.signatureOk === true;
      return {
        status: verified ? 'fail' : 'warn',
        message: `the valid client certificate (serial ${leaf.serialNumber}) is revoked: ${where(l)} lists it since ${l.listed.revokedAt}${l.listed.reason ? ` (${l.listed.reason})` : ''}${verified ? '' : `; the CRL's signature was not verified (${safeText(l.signatureNote ?? "its issuer's certificate is not in --ca or the client chain", 160)})`}`,
        remediation:
          'issue a new client certificate (a revoked one stays revoked) and deploy it; a server checking revocation refuses this one (alert 44 certificate_revoked, or an HTTP error such as nginx 400)',
        evidence,
      };
    }
    if (usable.length === 0)
      return {
        status: forged.length > 0 ? 'error' : 'skip',
        message:
          forged.length > 0
            ? `no CRL of the certificate's issuer could be trusted: the signature of ${forged.map(where).join(', ')} does not verify with the issuer's key`
            : `none of the CRLs read is the certificate's issuer's (${own.readings.map((r) => `${where(r)}: ${safeText(r.ignored ?? '', 200)}`).join('; ')})`,
        evidence,
      };
    const unverified = usable.filter((r) => r.signatureOk === undefined);
    const notes = [...new Set(unverified.map((r) => r.signatureNote ?? "the issuer's certificate is not in --ca or the client chain"))];
    return {
      status: 'pass',
      message: `the valid client certificate is not listed in ${usable.length} CRL(s) of its issuer (${usable.map((r) => `${where(r)}: ${r.entries ?? 0} entries`).join(', ')})${unverified.length ? `; ${unverified.length} of them not verified (${notes.map((n) => safeText(n, 160)).join('; ')})` : ''}`,
      evidence,
    };
  },
};
