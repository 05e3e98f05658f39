import { adviceFor, mustBeRefused, skip, withPresentedCertificate } from '../src/checks/judge.js';
import type { Check } from '../src/checks/types.js';
import { pemToDer } from '../src/pki/encode.js';

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
    const r = await ctx.revokedClient();
    if ('skip' in r) return skip(r.skip);
    const o = await ctx.withRevoked();
    if ('skip' in o) return skip(o.skip);
    const what =
      r.source === 'given'
        ? 'the revoked client certificate given (--revoked-cert)'
        : 'a client certificate from the trusted CA that the CA has revoked (its CRL lists it)';
    const remediation = o.rejectedAt === 'accepted' ? await adviceFor(ctx, 'check-client-revocation') : '';
    const v = await mustBeRefused(o, () => ctx.control('noCert'), ctx.target, what, { status: 'fail', remediation });
    return withPresentedCertificate(v, pemToDer(r.certPem), r.chainPem, ctx.clock);
  },
};
