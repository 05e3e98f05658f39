/**
 * The crafted certificate profiles (docs/CONFORMANCE.md "Crafted certificate profiles"): one
 * parameterised check per row of src/pki/crafted-profiles.ts, `crafted.<id>`. Each presents the
 * crafted client certificate and judges a refusal against its own control (the same CA, the
 * certificate without the crafted property): accepted is `fail` for what RFC 5280 path validation
 * rejects, `warn` for a policy (the row says whose).
 */
import { CRAFTED_PROFILES, type CraftedProfile } from '../src/pki/crafted-profiles.js';
import { certDer, type Credential } from '../src/pki/generate.js';
import { certificateEvidence, mustBeRefused, skip } from '../src/checks/judge.js';
import type { Check, CheckContext, Suite } from '../src/checks/types.js';
import type { CheckVerdict } from '../src/core/model.js';
import { safeText } from '../src/core/text.js';

/** What the evidence shows of a certificate: enough to tell the crafted one from its control. Never the key. */
function shown(c: Credential, ctx: CheckContext): Record<string, unknown> {
  try {
    return certificateEvidence(certDer(c), c.chainPem, ctx.clock);
  } catch (e) {
    // A certificate crafted to break a rule may break our own summary too: say so, show its size.
    return { unparsed: safeText(e instanceof Error ? e.message : String(e), 200), derBytes: certDer(c).length };
  }
}

function profileCheck(p: CraftedProfile): Check {
  return {
    id: `crafted.${p.id}`,
    title: `Refuses ${p.what}${p.expect === 'policy' ? ' (policy)' : ''}`,
    async run(ctx): Promise<CheckVerdict> {
      let r: Awaited<ReturnType<CheckContext['withProfile']>>;
      try {
        r = await ctx.withProfile(p.id);
      } catch (e) {
        return {
          status: 'error',
          message: `could not present ${p.what}: ${safeText(e instanceof Error ? e.message : String(e), 300)} (our client's error, not the server's verdict)`,
        };
      }
      if ('skip' in r) return skip(r.skip);
      const remediation =
        p.expect === 'refuse'
          ? `the server's certificate verification must refuse ${p.what} (${p.clauses[0]!.cite}): use the TLS library's own chain verification, with no callback that overrides its errors`
          : `${p.why ?? 'a policy'}: refuse it where your policy requires (${p.clauses.map((c) => c.cite).join(', ')})`;
      const v = await mustBeRefused(r.outcome, r.control, ctx.target, p.what, { status: p.expect === 'refuse' ? 'fail' : 'warn', remediation });
      return {
        ...v,
        evidence: {
          ...(v.evidence ?? {}),
          crafted: { profile: p.id, differs: p.what, clause: p.clauses[0]!.cite, expect: p.expect },
          presentedCertificate: shown(r.crafted, ctx),
          controlCertificate: shown(r.controlCert, ctx),
        },
      };
    },
  };
}

export const craftedProfiles: Suite = {
  id: 'crafted-profiles',
  title: 'Crafted client certificate profiles (each against its control)',
  kind: 'server',
  checks: CRAFTED_PROFILES.map(profileCheck),
};
