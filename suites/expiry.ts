import { summarizeCertificate } from '../src/pki/inspect.js';
import { expiryVerdict, onPresentedChain, refusesCrafted, skip } from '../src/checks/judge.js';
import type { Suite } from '../src/checks/types.js';
import { worstOf } from '../src/core/status.js';

const DATES = { status: 'fail' as const, topic: 'check-client-dates' as const };

export const expiry: Suite = {
  id: 'expiry',
  title: 'Certificate expiry',
  kind: 'server',
  checks: [
    {
      id: 'expiry.server-cert',
      title: 'The server certificate is not expiring',
      run: onPresentedChain((chain, ctx) => {
        return expiryVerdict(summarizeCertificate(chain[0]!, ctx.clock), ctx.target.policy, 'the server certificate');
      }),
    },
    {
      id: 'expiry.server-chain',
      title: 'The intermediates sent are not expiring',
      run: onPresentedChain((chain, ctx) => {
        const intermediates = chain.slice(1).filter((c) => c.subject !== c.issuer);
        if (intermediates.length === 0) return { status: 'pass', message: 'the server sent no intermediate certificates', evidence: { intermediates: 0 } };
        const verdicts = intermediates.map((c) => expiryVerdict(summarizeCertificate(c, ctx.clock), ctx.target.policy, 'intermediate'));
        const worst = worstOf(verdicts);
        return {
          ...worst,
          ...(worst.status === 'pass'
            ? { message: `all ${intermediates.length} intermediate(s) are valid for at least ${ctx.target.policy.warnDays} days` }
            : {}),
          evidence: { intermediates: verdicts.map((v) => v.evidence) },
        };
      }),
    },
    {
      id: 'expiry.client-cert',
      title: 'The client certificate given is not expiring',
      async run(ctx) {
        const c = ctx.target.client;
        if (!c) return skip('no client credentials given (--cert and --key)');
        return expiryVerdict(summarizeCertificate(c.chain[0]!, ctx.clock), ctx.target.policy, 'the client certificate');
      },
    },
    refusesCrafted(
      'expiry.rejects-expired-client',
      'An expired client certificate is refused',
      'expired',
      'a trusted-CA client certificate that expired yesterday',
      DATES,
    ),
    refusesCrafted(
      'expiry.rejects-not-yet-valid-client',
      'A not-yet-valid client certificate is refused',
      'notYetValid',
      'a trusted-CA client certificate valid from tomorrow',
      DATES,
    ),
  ],
};
