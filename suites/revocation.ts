import { adviceFor, mustBeRefused, skip, withPresentedCertificate } from '../src/checks/judge.js';
import type { Check, CheckContext, RevokedClient } from '../src/checks/types.js';
import type { CheckVerdict } from '../src/core/model.js';
import type { ProbeOutcome } from '../src/probe/tls-probe.js';
import { pemToDer } from '../src/pki/encode.js';

/** The revoked client presented, refused or not, judged against the valid client accepted by the same target. */
async function judgeRevoked(
  ctx: CheckContext,
  r: RevokedClient | { skip: string },
  probe: () => Promise<ProbeOutcome | { skip: string }>,
  what: (r: RevokedClient) => string,
  remediation: () => Promise<string>,
): Promise<CheckVerdict> {
  if ('skip' in r) return skip(r.skip);
  const o = await probe();
  if ('skip' in o) return skip(o.skip);
  const advice = o.rejectedAt === 'accepted' ? await remediation() : '';
  const v = await mustBeRefused(o, () => ctx.control('noCert'), ctx.target, what(r), { status: 'fail', remediation: advice });
  return withPresentedCertificate(v, pemToDer(r.certPem), r.chainPem, ctx.clock);
}

/**
 * chain.rejects-revoked-client (docs/CONFORMANCE.md "Revocation"): a client certificate of the
 * trusted CA that the CA has revoked must be refused, judged against the valid client of the same CA
 * accepted by the same target. Presented only where a revocation list exists for it: the given
 * --revoked-cert (live), or the revocation reference profiles; otherwise `skip` with the reason.
 */
export const rejectsRevokedClient: Check = {
  id: 'chain.rejects-revoked-client',
  title: 'A client certificate revoked by its CA (CRL) is refused',
  async run(ctx) {
    return judgeRevoked(
      ctx,
      await ctx.revokedClient(),
      () => ctx.withRevoked(),
      (r) =>
        r.source === 'given'
          ? 'the revoked client certificate given (--revoked-cert)'
          : 'a client certificate from the trusted CA that the CA has revoked (its CRL lists it)',
      () => adviceFor(ctx, 'check-client-revocation'),
    );
  },
};

/**
 * chain.rejects-ocsp-revoked-client (docs/CONFORMANCE.md "Revocation"): the same through OCSP. A
 * client certificate of the trusted CA, naming an OCSP responder that answers `revoked` for it,
 * must be refused against the accepted valid client. Presented on the OCSP reference profiles (the
 * harness's loopback responder) and, live, when the given --revoked-cert names a responder.
 */
export const rejectsOcspRevokedClient: Check = {
  id: 'chain.rejects-ocsp-revoked-client',
  title: "A client certificate its CA's OCSP responder says is revoked is refused",
  async run(ctx) {
    return judgeRevoked(
      ctx,
      await ctx.ocspRevokedClient(),
      () => ctx.withOcspRevoked(),
      (r) =>
        r.source === 'given'
          ? 'the revoked client certificate given (--revoked-cert, naming its OCSP responder)'
          : "a client certificate from the trusted CA that the CA has revoked (its OCSP responder, the harness's, says so)",
      () => adviceFor(ctx, 'check-client-ocsp'),
    );
  },
};
