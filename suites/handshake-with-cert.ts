import { detectClientAuthMode } from '../src/probe/client-auth.js';
import { alertLabel, ownCertificateFault } from '../src/probe/alerts.js';
import { answeredClientHello, controlEvidence } from '../src/probe/controls.js';
import { TLS_VERSIONS, type TlsVersion } from '../src/core/target.js';
import { adviceFor, probeEvidence, skip, unreachableVerdict, whereRefused } from '../src/checks/judge.js';
import type { Suite } from '../src/checks/types.js';
import { listedInWords, ownRevocation, REISSUE_LISTED } from '../src/probe/own-revocation.js';
import { safeText } from '../src/core/text.js';
import { advertisedCasCoverClient } from './client-auth-request.js';
import { clientKeyTypes } from './client-key-types.js';

const ORDER: readonly TlsVersion[] = TLS_VERSIONS;

export const handshakeWithCert: Suite = {
  id: 'handshake-with-cert',
  title: 'Handshake with a valid client certificate',
  kind: 'server',
  checks: [
    {
      id: 'handshake.accepts-valid-client-cert',
      title: 'A valid client certificate is accepted',
      async run(ctx) {
        const o = await ctx.withCert();
        if (!o) return skip('needs client credentials (--cert and --key) to test that a valid client is accepted');
        if (o.rejectedAt === 'unreachable' && o.failure?.kind === 'alpn' && ctx.target.protocol === 'grpc') {
          return {
            status: 'fail',
            message: `the server does not negotiate ALPN h2, so no gRPC client can connect: ${safeText(o.reason, 200)}`,
            remediation: await adviceFor(ctx, 'alpn-h2'),
            evidence: probeEvidence(o),
          };
        }
        if (o.rejectedAt === 'unreachable') return unreachableVerdict(o, 'could not connect with the client certificate');
        if (o.rejectedAt === 'accepted' && ctx.target.protocol === 'grpc') {
          // gRPC needs HTTP/2: ALPN h2, and one real call answered over this mTLS connection.
          if (o.alpn !== 'h2')
            return {
              status: 'fail',
              message: `the valid client certificate was accepted, but the server did not negotiate ALPN h2 (it chose ${o.alpn ? `"${safeText(o.alpn, 40)}"` : 'none'}): gRPC clients cannot connect`,
              remediation: await adviceFor(ctx, 'alpn-h2'),
              evidence: probeEvidence(o),
            };
          if (!o.grpc || o.grpc.code === 14 || o.grpc.code === 4 || o.grpc.code === 1)
            return {
              status: 'fail',
              message: `the valid client certificate was accepted, but the gRPC Health/Check call got no answer: ${safeText(o.grpc ? `${o.grpc.codeName}${o.grpc.details ? ` (${o.grpc.details})` : ''}` : 'not made', 200)}`,
              remediation: 'check that the port serves gRPC (not another protocol) and that the server is up',
              evidence: probeEvidence(o),
            };
          const note =
            o.grpc.code === 0
              ? `: ${o.grpc.servingStatus}`
              : o.grpc.code === 12
                ? ' with UNIMPLEMENTED (the server answers gRPC but has no grpc.health.v1 service)'
                : ` with ${o.grpc.codeName}`;
          return {
            status: 'pass',
            message: `the valid client certificate was accepted over ALPN h2 and the gRPC Health/Check call was answered${note}`,
            evidence: probeEvidence(o),
          };
        }
        if (o.rejectedAt === 'accepted') {
          const answered = o.httpStatusLine ? ` (${safeText(o.httpStatusLine, 120)})` : '';
          // Say only what happened: a server that never asks for a certificate never saw ours.
          if (o.certificateRequested === false && !o.postHandshakeAuth)
            return { status: 'pass', message: `served; the server never asked for a certificate, so none was sent${answered}`, evidence: probeEvidence(o) };
          const listed = (await ownRevocation(ctx.target))?.listed;
          return {
            status: 'pass',
            message: `the valid client certificate was accepted${answered ? ` and the request answered${answered}` : ''}${listed ? `, though it is ${listedInWords(listed)}: this server does not check that list (see chain.client-cert-not-revoked)` : ''}`,
            evidence: probeEvidence(o),
          };
        }
        if (answeredClientHello(o)) {
          return {
            status: 'error',
            message: `could not test the valid client certificate: the server refused ${whereRefused(o)}, before any certificate could matter; check --servername and the TLS versions the server allows`,
            evidence: probeEvidence(o),
          };
        }
        if (o.certificateRequested === false && !o.postHandshakeAuth) {
          // No certificate was asked for, so none was sent: the refusal cannot be about it.
          const hint = ctx.target.protocol === 'https' && o.rejectedAt !== 'application' ? '; if this is not an HTTP service, give --protocol tls' : '';
          return {
            status: 'error',
            message: `could not test the valid client certificate: the server never asked for a certificate (so none was sent) and refused the connection ${whereRefused(o)}${hint}`,
            evidence: probeEvidence(o),
          };
        }
        if (o.postHandshakeAuth?.kind === 'tls13') {
          return {
            status: 'error',
            message:
              'could not test the valid client certificate: the server asked for it after the handshake (TLS 1.3 post-handshake authentication), which the harness cannot answer; try --tls-max 1.2',
            evidence: probeEvidence(o),
          };
        }
        const own = ownCertificateFault(o.alert);
        const listed = own ? undefined : (await ownRevocation(ctx.target))?.listed;
        if (listed)
          // Refused without saying why (nginx: HTTP 400), and the certificate is in its CA's CRL.
          return {
            status: 'fail',
            message: `the valid client certificate was refused ${whereRefused(o)}; it is ${listedInWords(listed)}`,
            remediation:
              "issue a new client certificate (a revoked one stays revoked) and deploy it; if it should not be revoked, correct the CRL the server loads. Nothing to change in the server's trust of your CA.",
            evidence: { ...probeEvidence(o), crl: listed },
          };
        return {
          status: 'fail',
          message: `the valid client certificate was refused ${whereRefused(o)}`,
          remediation: await adviceFor(ctx, own?.topic ?? 'trust-client-ca'),
          evidence: probeEvidence(o),
        };
      },
    },
    {
      id: 'handshake.protocol-version',
      title: 'TLS version at or above the policy minimum, older hellos refused',
      async run(ctx) {
        const min = ctx.target.policy.minTlsVersion;
        const o = (await ctx.withCert()) ?? (await ctx.noCert());
        if (!o.protocol) return unreachableVerdict(o, 'no TLS handshake completed');
        const negotiated = o.protocol as TlsVersion;
        if (ORDER.indexOf(negotiated) < ORDER.indexOf(min)) {
          return {
            status: 'fail',
            message: `negotiated ${negotiated}, below the policy minimum ${min}`,
            remediation: await adviceFor(ctx, 'min-tls-version', { minTlsVersion: min }),
            evidence: { negotiated, minTlsVersion: min },
          };
        }
        const below = ORDER[ORDER.indexOf(min) - 1];
        if (!below)
          return {
            status: 'pass',
            message: `negotiated ${negotiated}; nothing older than ${min} exists to offer`,
            evidence: { negotiated, minTlsVersion: min },
          };
        const old = await ctx.capped(below);
        const evidence = { negotiated, minTlsVersion: min, offeredMax: below, capped: probeEvidence(old) };
        if (old.failure?.kind === 'tls-client')
          return { status: 'error', message: `could not offer a ${below} hello from this machine: ${safeText(old.reason, 200)}`, evidence };
        if (
          old.protocol &&
          ORDER.indexOf(old.protocol as TlsVersion) < ORDER.indexOf(min) &&
          (old.rejectedAt === 'accepted' || old.rejectedAt === 'application')
        ) {
          return {
            status: 'fail',
            message: `the server accepted a hello capped at ${below} (negotiated ${old.protocol})`,
            remediation: `disable protocols older than ${min} on the server`,
            evidence,
          };
        }
        return {
          status: 'pass',
          message: `negotiated ${negotiated}; a hello capped at ${below} was refused ${old.alert ? `with ${alertLabel(old.alert)}` : `(${safeText(old.reason, 120)})`}`,
          evidence,
        };
      },
    },
    {
      id: 'handshake.client-auth-mode',
      title: 'Client-auth mode is required',
      async run(ctx) {
        const [noCert, control] = await Promise.all([ctx.noCert(), ctx.control('noCert')]);
        const d = detectClientAuthMode(noCert, control, ctx.target.protocol);
        const evidence = {
          mode: d.mode,
          method: d.method,
          acceptableCaNames: d.acceptableCaNames.map((n) => safeText(n, 300)),
          evidence: d.evidence,
          ...(d.caveat ? { caveat: d.caveat } : {}),
          noCert: probeEvidence(noCert),
          ...(control ? { control: controlEvidence(control) } : {}),
        };
        const cas = d.acceptableCaNames.length > 0 ? `; acceptable CAs advertised: ${safeText(d.acceptableCaNames.join(' | '), 200)}` : '';
        switch (d.mode) {
          case 'required':
            return { status: 'pass', message: `required: ${d.evidence}${cas}`, evidence };
          case 'optional':
            return { status: 'fail', message: `optional: ${d.evidence}${cas}`, remediation: await adviceFor(ctx, 'require-client-cert'), evidence };
          case 'not-requested':
            return { status: 'fail', message: `not requested: ${d.evidence}`, remediation: await adviceFor(ctx, 'require-client-cert'), evidence };
          default:
            if (d.inconclusive)
              return {
                status: 'error',
                message: `client-auth mode: inconclusive: ${d.inconclusive.reason}${d.inconclusive.hint ? `; ${d.inconclusive.hint}` : ''}`,
                evidence,
              };
            return { status: 'error', message: `client-auth mode could not be determined: ${d.evidence}`, evidence };
        }
      },
    },
    advertisedCasCoverClient,
    clientKeyTypes,
  ],
};
