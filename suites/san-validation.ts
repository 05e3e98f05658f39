import type { X509Certificate } from 'node:crypto';
import { summarizeCertificate } from '../src/pki/inspect.js';
import { carriesIdentity, hasSubjectAltName, identityKind, sanCoverage, sanEntryFor, sanList } from '../src/rules/san.js';
import { adviceFor, mustBeRefused, onPresentedChain, skip, withPresented } from '../src/checks/judge.js';
import type { CheckContext, Suite } from '../src/checks/types.js';
import type { CertSummary, CheckVerdict } from '../src/core/model.js';
import { safeText } from '../src/core/text.js';
import { isSpiffeId, spiffeIdProblem, svidProblems, SVID_SPEC_URL } from '../src/rules/svid.js';

/** A check of the server's leaf: its certificate and summary (none presented: the `error` verdict). */
const onLeaf = (judge: (cert: X509Certificate, summary: CertSummary, ctx: CheckContext) => CheckVerdict) =>
  onPresentedChain((chain, ctx) => judge(chain[0]!, summarizeCertificate(chain[0]!, ctx.clock), ctx));

/** The names a client dials: the servername (or the host when none is set) and every expected name. */
export function expectedNames(ctx: CheckContext): string[] {
  const t = ctx.target;
  return [...new Set([t.servername ?? t.host, ...t.expectedNames])];
}

/**
 * The identity is a SPIFFE ID the leaf carries: the leaf must also be an X.509-SVID (X509-SVID
 * §2-§4: exactly one URI SAN, cA FALSE, a critical keyUsage with digitalSignature and neither
 * keyCertSign nor cRLSign, serverAuth and clientAuth when it has an EKU). A MUST broken: `fail`;
 * only the EKU's SHOULD: `warn`.
 */
function svidVerdict(cert: X509Certificate, want: string, evidence: Record<string, unknown>): CheckVerdict {
  const problems = svidProblems(cert.raw);
  const ev = { ...evidence, svidProfile: { spec: SVID_SPEC_URL, problems } };
  if (problems.length === 0)
    return {
      status: 'pass',
      message: `the server certificate carries the identity ${safeText(want, 200)} and is an X.509-SVID (one URI SAN, not a CA, digitalSignature)`,
      evidence: ev,
    };
  const status = problems.some((p) => p.severity === 'fail') ? 'fail' : 'warn';
  return {
    status,
    message: `the server certificate carries the identity ${safeText(want, 200)} but is not a conforming X.509-SVID: ${problems.map((p) => `${p.text} (${p.clause})`).join('; ')}`,
    remediation:
      'reissue the server certificate as an X.509-SVID: the SPIFFE ID as its only URI SAN, basicConstraints cA FALSE, a critical keyUsage with digitalSignature (not keyCertSign or cRLSign), extendedKeyUsage serverAuth and clientAuth (SPIRE and cert-manager csi-driver-spiffe issue such certificates)',
    evidence: ev,
  };
}

export const sanValidation: Suite = {
  id: 'san-validation',
  title: 'Subject alternative names and identities',
  kind: 'server',
  checks: [
    {
      id: 'san.server-has-san',
      title: 'The server certificate has a subjectAltName',
      run: onLeaf((cert, summary, ctx) => {
        const sans = sanList(summary.sans);
        const evidence = { subject: summary.subject, sans };
        if (!hasSubjectAltName(summary.sans)) {
          return {
            status: 'fail',
            message: `the server certificate (${safeText(summary.subject, 160)}) has no subjectAltName; clients ignore the CN (RFC 6125 §6.4.4)`,
            remediation: 'reissue the certificate with subjectAltName DNS entries (and IP entries for IP access)',
            evidence,
          };
        }
        return { status: 'pass', message: `the server certificate names ${safeText(sans.join(', '), 200)}`, evidence };
      }),
    },
    {
      id: 'san.server-matches-name',
      title: 'A SAN covers every expected name',
      run: onLeaf((cert, summary, ctx) => {
        const names = expectedNames(ctx);
        const missing = sanCoverage(cert, names).uncovered;
        const evidence = { expectedNames: names, sans: sanList(summary.sans), missing };
        if (missing.length > 0) {
          return {
            status: 'fail',
            message: `${missing.map((n) => `"${safeText(n, 100)}"`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not covered by the server certificate's SANs (${safeText(sanList(summary.sans).join(', ') || 'none', 200)})`,
            remediation: `reissue the server certificate with ${missing.map(sanEntryFor).join(', ')}`,
            evidence,
          };
        }
        return { status: 'pass', message: `every expected name (${names.join(', ')}) is covered by a SAN`, evidence };
      }),
    },
    {
      id: 'san.server-identity',
      title: 'The server presents the expected identity',
      async run(ctx) {
        const want = ctx.target.expect.serverIdentity;
        if (!want) return skip('no expected server identity declared (expect.serverIdentity in the config)');
        if (isSpiffeId(want)) {
          const bad = spiffeIdProblem(want);
          if (bad)
            return {
              status: 'error',
              message: `the expected server identity ${safeText(want, 200)} is not a valid SPIFFE ID: ${bad}; correct expect.serverIdentity`,
            };
        }
        return onLeaf((cert, summary) => {
          const evidence: Record<string, unknown> = { expected: want, sans: sanList(summary.sans) };
          if (carriesIdentity(summary.sans, want)) {
            if (isSpiffeId(want)) return svidVerdict(cert, want, evidence);
            return { status: 'pass', message: `the server certificate carries the identity ${safeText(want, 200)}`, evidence };
          }
          return {
            status: 'fail',
            message: `the server certificate does not carry the identity ${safeText(want, 200)} (it has ${safeText(sanList(summary.sans).join(', ') || 'no SAN', 200)})`,
            remediation: `issue the server certificate with SAN ${identityKind(want)}:${want}`,
            evidence,
          };
        })(ctx);
      },
    },
    {
      id: 'san.rejects-wrong-identity-client',
      title: 'A trusted client with an identity not allowed is refused',
      async run(ctx) {
        if (!ctx.target.expect.allowedClientIdentities?.length)
          return skip('no allowed client identities declared (expect.allowedClientIdentities in the config)');
        const o = await ctx.withCrafted('wrongIdentity');
        if ('skip' in o) return skip(o.skip);
        return withPresented(
          ctx,
          'wrongIdentity',
          await mustBeRefused(o, () => ctx.control('wrongIdentity'), ctx.target, 'a trusted-CA client certificate with an identity outside the allowed list', {
            status: 'fail',
            remediation: await adviceFor(ctx, 'authorize-client-identity'),
          }),
        );
      },
    },
  ],
};
