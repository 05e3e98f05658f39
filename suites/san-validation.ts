import { summarizeCertificate } from '../src/pki/inspect.js';
import { carriesIdentity, hasSubjectAltName, identityKind, sanCoverage, sanEntryFor, sanList } from '../src/rules/san.js';
import { adviceFor, mustBeRefused, presentedOrVerdict, skip, withPresented } from '../src/checks/judge.js';
import type { CheckContext, Suite } from '../src/checks/types.js';
import { safeText } from '../src/core/text.js';

async function leaf(ctx: CheckContext) {
  const p = await presentedOrVerdict(ctx);
  if ('verdict' in p) return p;
  const cert = p.chain[0]!;
  return { cert, summary: summarizeCertificate(cert, ctx.clock) };
}

/** The names a client dials: the servername (or the host when none is set) and every expected name. */
export function expectedNames(ctx: CheckContext): string[] {
  const t = ctx.target;
  return [...new Set([t.servername ?? t.host, ...t.expectedNames])];
}

export const sanValidation: Suite = {
  id: 'san-validation',
  title: 'Subject alternative names and identities',
  kind: 'server',
  checks: [
    {
      id: 'san.server-has-san',
      title: 'The server certificate has a subjectAltName',
      async run(ctx) {
        const l = await leaf(ctx);
        if ('verdict' in l) return l.verdict;
        const sans = sanList(l.summary.sans);
        const evidence = { subject: l.summary.subject, sans };
        if (!hasSubjectAltName(l.summary.sans)) {
          return { status: 'fail', message: `the server certificate (${safeText(l.summary.subject, 160)}) has no subjectAltName; clients ignore the CN (RFC 6125 §6.4.4)`, remediation: 'reissue the certificate with subjectAltName DNS entries (and IP entries for IP access)', evidence };
        }
        return { status: 'pass', message: `the server certificate names ${safeText(sans.join(', '), 200)}`, evidence };
      },
    },
    {
      id: 'san.server-matches-name',
      title: 'A SAN covers every expected name',
      async run(ctx) {
        const l = await leaf(ctx);
        if ('verdict' in l) return l.verdict;
        const names = expectedNames(ctx);
        const missing = sanCoverage(l.cert, names).uncovered;
        const evidence = { expectedNames: names, sans: sanList(l.summary.sans), missing };
        if (missing.length > 0) {
          return { status: 'fail', message: `${missing.map((n) => `"${safeText(n, 100)}"`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not covered by the server certificate's SANs (${safeText(sanList(l.summary.sans).join(', ') || 'none', 200)})`, remediation: `reissue the server certificate with ${missing.map(sanEntryFor).join(', ')}`, evidence };
        }
        return { status: 'pass', message: `every expected name (${names.join(', ')}) is covered by a SAN`, evidence };
      },
    },
    {
      id: 'san.server-identity',
      title: 'The server presents the expected identity',
      async run(ctx) {
        const want = ctx.target.expect.serverIdentity;
        if (!want) return skip('no expected server identity declared (expect.serverIdentity in the config)');
        const l = await leaf(ctx);
        if ('verdict' in l) return l.verdict;
        const evidence = { expected: want, sans: sanList(l.summary.sans) };
        if (carriesIdentity(l.summary.sans, want)) return { status: 'pass', message: `the server certificate carries the identity ${safeText(want, 200)}`, evidence };
        return { status: 'fail', message: `the server certificate does not carry the identity ${safeText(want, 200)} (it has ${safeText(sanList(l.summary.sans).join(', ') || 'no SAN', 200)})`, remediation: `issue the server certificate with SAN ${identityKind(want)}:${want}`, evidence };
      },
    },
    {
      id: 'san.rejects-wrong-identity-client',
      title: 'A trusted client with an identity not allowed is refused',
      async run(ctx) {
        if (!ctx.target.expect.allowedClientIdentities?.length) return skip('no allowed client identities declared (expect.allowedClientIdentities in the config)');
        const o = await ctx.withCrafted('wrongIdentity');
        if ('skip' in o) return skip(o.skip);
        return withPresented(ctx, 'wrongIdentity', await mustBeRefused(o, () => ctx.control('wrongIdentity'), ctx.target, 'a trusted-CA client certificate with an identity outside the allowed list', {
          status: 'fail',
          remediation: await adviceFor(ctx, 'authorize-client-identity'),
        }));
      },
    },
  ],
};
