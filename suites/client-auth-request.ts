/**
 * What the server's CertificateRequest advertises, judged as clients read it
 * (src/rules/client-auth-request.ts): the acceptable CA names against the client's issuer chain,
 * and the client key types it accepts (each a minted client, against an accepted control).
 */
import { probeEvidence, skip, unreachableVerdict } from '../src/checks/judge.js';
import type { Check, CheckContext } from '../src/checks/types.js';
import type { CheckVerdict } from '../src/core/model.js';
import { safeText } from '../src/core/text.js';
import type { ProbeOutcome } from '../src/probe/tls-probe.js';
import { chainIssuerNames, caNamesCoverage, nameText } from '../src/rules/client-auth-request.js';

/** The CertificateRequest of the initial handshake (the same for every client), or why there is none to judge. */
export async function certificateRequestOf(
  ctx: CheckContext,
): Promise<{ cr: NonNullable<ProbeOutcome['certificateRequest']>; o: ProbeOutcome } | { verdict: CheckVerdict }> {
  const o = await ctx.noCert();
  if (o.certificateRequest) return { cr: o.certificateRequest, o };
  const w = o.certificateRequested === undefined ? await ctx.withCert() : undefined;
  if (w?.certificateRequest) return { cr: w.certificateRequest, o: w };
  const seen = w ?? o;
  if (seen.rejectedAt === 'unreachable') return { verdict: unreachableVerdict(seen, 'could not read the CertificateRequest') };
  if (seen.postHandshakeAuth)
    return {
      verdict: {
        status: 'error',
        message: `the server asked for a client certificate only after the handshake (${seen.postHandshakeAuth.kind === 'tls13' ? 'TLS 1.3 post-handshake authentication' : 'a TLS 1.2 renegotiation'}), whose CertificateRequest the harness does not read: test a path that asks in the handshake`,
        evidence: probeEvidence(seen),
      },
    };
  if (seen.certificateRequested === false)
    return { verdict: skip('the server does not request a client certificate in the handshake, so it advertises nothing to judge') };
  return {
    verdict: {
      status: 'error',
      message: `the server's handshake flight could not be read, so its CertificateRequest is unknown: ${safeText(seen.handshakeInsight.limitation ?? seen.reason, 200)}`,
      evidence: probeEvidence(seen),
    },
  };
}

const ESCAPED = (names: readonly Buffer[]) => names.map((n) => safeText(nameText(n), 300));

export const advertisedCasCoverClient: Check = {
  id: 'handshake.advertised-cas-cover-client',
  title: "The CA names the server advertises include the client certificate's issuer",
  async run(ctx) {
    const client = ctx.target.client;
    if (!client) return skip("needs the client certificate (--cert): its issuer chain is what the server's advertised CA names are compared with");
    const r = await certificateRequestOf(ctx);
    if ('verdict' in r) return r.verdict;
    const advertised = r.cr.caNames;
    const issuers = chainIssuerNames(client.chain.map((c) => Buffer.from(c.raw)));
    const evidence = {
      advertisedCaNames: ESCAPED(advertised),
      clientIssuerChain: ESCAPED(issuers),
      tlsVersion: r.o.protocol ?? null,
      how: 'names compared by their DER bytes, as Go (crypto/tls) and NSS do',
    };
    if (advertised.length === 0)
      return {
        status: 'warn',
        message:
          'the server requests a client certificate but advertises no acceptable CA names: Go, Java and browsers then offer any certificate they hold (a client with several may send the wrong one, a browser asks the user to choose among all of them); OpenSSL-based clients send the one configured either way',
        remediation:
          "advertise the client CA(s) in the CertificateRequest (OpenSSL: don't set -no_ca_names / SSL_OP_DISABLE_CA_NAMES; nginx: ssl_client_certificate; Go: tls.Config.ClientCAs)",
        evidence,
      };
    const cov = caNamesCoverage(advertised, issuers);
    if (cov.matched.length > 0)
      return {
        status: 'pass',
        message: `the server advertises ${advertised.length} CA name(s), including ${safeText(nameText(cov.matched[0]!), 160)} from the client certificate's issuer chain`,
        evidence,
      };
    const encoding = cov.sameTextOtherBytes[0];
    const note = encoding
      ? `; "${safeText(nameText(encoding.issuer), 160)}" is advertised, but encoded differently (other string types or attribute order): byte comparison (Go, NSS) does not match it, Java's canonical comparison may`
      : '';
    return {
      status: 'fail',
      message: `the server advertises ${advertised.length} CA name(s) (${safeText(ESCAPED(advertised).join(' | '), 200)}), none of them the issuer of the client certificate or of its chain (${safeText(ESCAPED(issuers).join(' | '), 200)}): Go, Java and browsers will not send this certificate${note}`,
      remediation:
        "advertise the CA that issues the clients: the server's client CA list (nginx: ssl_client_certificate, not only ssl_trusted_certificate; OpenSSL: -client_CA_file / SSL_CTX_set_client_CA_list; Go: tls.Config.ClientCAs) must hold the client's issuer, with the same name bytes as in the client certificate",
      evidence: { ...evidence, ...(encoding ? { sameTextOtherEncoding: safeText(nameText(encoding.advertised), 300) } : {}) },
    };
  },
};
