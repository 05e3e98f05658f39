import { summarizeCertificate } from '../src/pki/inspect.js';
import { checkChainOrder, isSelfSigned, likelyMissingRoot } from '../src/rules/chain-order.js';
import { ekuForRole } from '../src/rules/eku.js';
import { keyStrength, signatureStrength } from '../src/rules/strength.js';
import { answeredClientHello, controlEvidence, readRefusal } from '../src/probe/controls.js';
import {
  adviceFor,
  onPresentedChain,
  onVerifiedChain,
  probeEvidence,
  refusesCrafted,
  skip,
  withPresented,
  unreachableVerdict,
  whereRefused,
} from '../src/checks/judge.js';
import type { CheckContext, Suite } from '../src/checks/types.js';
import { rejectsOcspRevokedClient, rejectsRevokedClient } from './revocation.js';
import { clientCertNotRevoked } from './client-revocation.js';
import type { CheckVerdict } from '../src/core/model.js';
import { safeText } from '../src/core/text.js';

const trustWord = (ctx: CheckContext) => (ctx.target.trustPem ? 'the configured trust anchors' : "the system's trust store (pass --ca for a private CA)");

export const chainValidation: Suite = {
  id: 'chain-validation',
  title: 'Chain validation (server chain sent, client chains accepted)',
  kind: 'server',
  checks: [
    {
      id: 'chain.server-trusted',
      title: 'The server chain verifies to the trust anchors',
      run: onVerifiedChain(async ({ chain, verification: v }, ctx) => {
        const evidence = {
          path: v.path,
          ...(v.anchor ? { anchor: v.anchor } : {}),
          problems: v.problems,
          trust: ctx.target.trustPem ? 'configured' : 'system',
        };
        if (v.ok) return { status: 'pass', message: `the server chain verifies to ${safeText(v.anchor ?? '', 160)}`, evidence };
        const missing = v.problems.some((p) => p.code === 'issuer-missing');
        const remediation = !missing
          ? await adviceFor(ctx, 'server-cert-untrusted')
          : ctx.target.trustPem
            ? await adviceFor(ctx, 'send-full-chain')
            : likelyMissingRoot(chain)
              ? `the server sends its intermediate(s); "${safeText(v.missingIssuer ?? '?', 120)}" is probably your private root CA, which the system trust store does not hold: ${await adviceFor(ctx, 'trust-anchor-missing')}`
              : `if "${safeText(v.missingIssuer ?? '?', 120)}" is your private root CA, pass it with --ca; if it is an intermediate: ${await adviceFor(ctx, 'send-full-chain')}`;
        return {
          status: 'fail',
          message: `the server chain does not verify to ${trustWord(ctx)}: ${safeText(v.problems.map((p) => p.message).join('; '), 300)}`,
          remediation,
          evidence,
        };
      }),
    },
    {
      id: 'chain.server-complete',
      title: 'The server sends every intermediate',
      run: onVerifiedChain(async ({ chain, verification: v }, ctx) => {
        const evidence = { sent: chain.length, path: v.path, ...(v.missingIssuer ? { missingIssuer: v.missingIssuer } : {}) };
        if (v.problems.some((p) => p.code === 'issuer-missing')) {
          if (!ctx.target.trustPem) {
            // Without the trust anchor an intermediate missing and a private root not given look the same.
            return {
              status: 'error',
              message: `cannot tell whether "${safeText(v.missingIssuer ?? '?', 160)}" is an intermediate the server should send or a private root CA the system trust store lacks: pass the CA with --ca to decide`,
              evidence,
            };
          }
          return {
            status: 'fail',
            message: `the server sent ${chain.length} certificate(s) and the issuer "${safeText(v.missingIssuer ?? '?', 160)}" is neither sent nor a trust anchor; clients without it cached fail`,
            remediation: await adviceFor(ctx, 'send-full-chain'),
            evidence,
          };
        }
        return { status: 'pass', message: `the server sent ${chain.length} certificate(s); no intermediate is missing`, evidence };
      }),
    },
    {
      id: 'chain.server-order',
      title: 'The server chain is in order, with nothing unrelated',
      run: onPresentedChain((chain, ctx) => {
        const r = checkChainOrder(chain);
        const evidence = {
          subjects: chain.map((x) => safeText(x.subject.replace(/\n/g, ', '), 200)),
          ordered: r.ordered,
          rootSent: r.rootSent,
          unrelated: r.unrelated,
        };
        if (!r.ordered)
          return {
            status: 'fail',
            message: `the chain is out of order: ${safeText(r.issues.join('; '), 300)}`,
            remediation: 'serve the leaf first, then each issuer in turn',
            evidence,
          };
        if (r.unrelated.length > 0)
          return {
            status: 'warn',
            message: `the chain carries unrelated certificate(s): ${safeText(r.issues.join('; '), 300)}`,
            remediation: 'remove certificates that issue nothing in the chain',
            evidence,
          };
        if (r.rootSent)
          return {
            status: 'warn',
            message: 'the chain is in order but includes the self-signed root, which clients ignore',
            remediation: 'stop sending the root (clients must already trust it)',
            evidence,
          };
        return { status: 'pass', message: `the ${chain.length} certificate(s) are in order, leaf first`, evidence };
      }),
    },
    {
      id: 'chain.server-leaf-profile',
      title: 'The server leaf is a proper TLS server certificate',
      run: onPresentedChain((chain, ctx) => {
        const s = summarizeCertificate(chain[0]!, ctx.clock);
        const problems: string[] = [];
        if (s.basicConstraints?.ca) problems.push('it is a CA certificate (CA:TRUE)');
        if (!ekuForRole(s.extKeyUsage, 'server').ok) problems.push(`its extended key usage (${s.extKeyUsage.join(', ')}) lacks serverAuth`);
        const key = keyStrength(s.publicKey);
        if (!key.ok && key.code === 'rsa-too-short') problems.push(`its RSA key has ${s.publicKey.bits} bits (< 2048)`);
        if (!key.ok && key.code === 'ec-too-small')
          problems.push(
            key.bits !== undefined ? `its EC key has ${key.bits} bits (< P-256)` : `its EC key is on the curve ${key.curve ?? '?'}, not P-256, P-384 or P-521`,
          );
        if (!key.ok && key.code === 'dsa') problems.push('its key is DSA, which no TLS 1.3 signature scheme uses');
        if (!signatureStrength(s.signatureAlgorithm, isSelfSigned(chain[0]!)).ok) problems.push(`it is signed with ${s.signatureAlgorithm}`);
        const evidence = {
          subject: s.subject,
          basicConstraints: s.basicConstraints ?? null,
          extKeyUsage: s.extKeyUsage,
          publicKey: s.publicKey,
          signatureAlgorithm: s.signatureAlgorithm,
        };
        if (s.publicKey.undecodable)
          return {
            status: 'error',
            message: `the server leaf's key cannot be judged: its ${s.publicKey.undecodable}${problems.length ? `; also ${problems.join('; ')}` : ''}`,
            remediation: 'reissue the server certificate with an ECDSA P-256 or RSA ≥ 2048 key (no peer can verify with a key it cannot decode)',
            evidence,
          };
        if (problems.length > 0)
          return {
            status: 'fail',
            message: `the server leaf is not a proper server certificate: ${problems.join('; ')}`,
            remediation: 'reissue the server certificate: CA:FALSE, EKU serverAuth, RSA ≥ 2048 or EC ≥ P-256, SHA-256 or better',
            evidence,
          };
        return {
          status: 'pass',
          message: `the server leaf is CA:FALSE, ${s.extKeyUsage.length ? `EKU ${s.extKeyUsage.join(', ')}` : 'no EKU restriction'}, ${s.publicKey.type}${s.publicKey.curve ? ` ${s.publicKey.curve}` : s.publicKey.bits ? ` ${s.publicKey.bits}` : ''}, ${s.signatureAlgorithm}`,
          evidence,
        };
      }),
    },
    refusesCrafted(
      'chain.rejects-untrusted-ca-client',
      'A client from a look-alike CA (same name, other key) is refused',
      'untrustedCa',
      "a client certificate from a CA with the trusted CA's name but another key",
      { status: 'fail', topic: 'verify-client-cert' },
    ),
    refusesCrafted('chain.rejects-self-signed-client', 'A self-signed client certificate is refused', 'selfSigned', 'a self-signed client certificate', {
      status: 'fail',
      topic: 'verify-client-cert',
    }),
    refusesCrafted(
      'chain.rejects-wrong-eku-client',
      'A client certificate without clientAuth is refused',
      'wrongEku',
      'a trusted-CA certificate whose EKU is serverAuth only',
      { status: 'fail', topic: 'check-client-eku' },
    ),
    refusesCrafted(
      'chain.rejects-ca-as-client',
      'A CA certificate used as a client leaf is refused',
      'caAsLeaf',
      'a trusted-CA certificate with CA:TRUE used as a client leaf',
      { status: 'warn', topic: 'reject-ca-as-client' },
    ),
    rejectsRevokedClient,
    rejectsOcspRevokedClient,
    clientCertNotRevoked,
    {
      id: 'chain.accepts-intermediate-client',
      title: 'A client issued by an intermediate (chain sent) is accepted',
      async run(ctx): Promise<CheckVerdict> {
        const o = await ctx.withCrafted('intermediateIssued');
        if ('skip' in o) return skip(o.skip);
        if (o.rejectedAt === 'unreachable') return unreachableVerdict(o, 'could not test the intermediate-issued client');
        if (o.rejectedAt === 'accepted')
          return withPresented(ctx, 'intermediateIssued', {
            status: 'pass',
            message: 'a client certificate issued by an intermediate of the trusted CA, sent with its chain, was accepted',
            evidence: probeEvidence(o),
          });
        // A refusal is a finding only when a valid client issued directly by the CA is accepted.
        const c = answeredClientHello(o) ? undefined : await ctx.control('intermediateIssued');
        const r = readRefusal(o, c, ctx.target.protocol);
        const evidence = { ...probeEvidence(o), ...(c ? { control: controlEvidence(c) } : {}) };
        if (r.kind === 'inconclusive')
          return withPresented(ctx, 'intermediateIssued', {
            status: 'error',
            message: `inconclusive: the intermediate-issued client was refused, but ${r.reason}${r.hint ? `; ${r.hint}` : ''}`,
            evidence: { ...evidence, inconclusive: r.reason },
          });
        return withPresented(ctx, 'intermediateIssued', {
          status: 'warn',
          message: `a client certificate issued by an intermediate of the trusted CA, sent with its chain, was refused ${whereRefused(o)}, while ${c?.what ?? 'a client issued by the CA itself'} was accepted`,
          remediation: await adviceFor(ctx, 'allow-intermediate-clients'),
          evidence,
        });
      },
    },
  ],
};
