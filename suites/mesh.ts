// Mesh ports (k8s scan: Istio PeerAuthentication, Linkerd annotations; src/targets/k8s/mesh.ts):
// the mTLS mode the mesh declares for a Pod port beside what the port does with a plaintext
// request and with a TLS client offering no certificate.
import type { CheckContext, Suite } from '../src/checks/types.js';
import { adviceFor } from '../src/checks/judge.js';

type Observed = { mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'TLS without client authentication' } | { unknown: string };

/** What the port did: plaintext HTTP/1.1 and h2c (prior knowledge), then a TLS client with no certificate. */
async function observe(ctx: CheckContext) {
  const t = ctx.target;
  const plain = await Promise.all((['http1', 'h2c-prior-knowledge'] as const).map((k) => ctx.plaintext(t.port, k)));
  const tls = await ctx.noCert();
  const servedPlain = plain.find((p) => p.served);
  const evidence = {
    declared: t.origin?.declared ?? {},
    plaintext: plain.map((p) => ({ kind: p.kind, served: p.served, reason: p.reason })),
    tlsWithoutCert: { rejectedAt: tls.rejectedAt, reason: tls.reason, ...(tls.failure ? { failure: tls.failure.kind } : {}) },
  };
  const noTls = tls.rejectedAt === 'unreachable' && (tls.failure?.kind === 'plaintext-http' || tls.failure?.kind === 'not-tls');
  let observed: Observed;
  if (plain[0]!.unreachable) observed = { unknown: `the port could not be reached: ${plain[0]!.reason}` };
  else if (servedPlain) observed = noTls ? { mode: 'DISABLE' } : tls.rejectedAt === 'unreachable' ? { unknown: tls.reason } : { mode: 'PERMISSIVE' };
  else if (tls.rejectedAt === 'accepted') observed = { mode: 'TLS without client authentication' };
  else if ((tls.rejectedAt === 'handshake' || tls.rejectedAt === 'post-handshake') && (tls.serverHello || tls.certificateRequested))
    // A TLS server that answered the ClientHello, then refused the client for want of a certificate.
    observed = { mode: 'STRICT' };
  else
    observed = {
      unknown: `neither plaintext nor a TLS client without certificate was served, and the refusal does not show a TLS server asking for a certificate (${tls.reason})`,
    };
  return { observed, servedPlain, evidence, unreachable: plain[0]!.unreachable === true };
}

const declaredMode = (ctx: CheckContext) => ctx.target.origin?.declared?.['mtls.mode'];
const notMesh = { status: 'skip' as const, message: 'not a mesh port (k8s scan: a Pod port covered by an Istio PeerAuthentication or a Linkerd proxy)' };
const declaredAt = (ctx: CheckContext) => {
  const o = ctx.target.origin!;
  return `${o.kind} ${o.namespace}/${o.name} (${o.declared?.field ?? 'spec.mtls.mode'})`;
};

export const mesh: Suite = {
  id: 'mesh',
  title: 'Mesh ports: declared mTLS mode beside observed behaviour',
  kind: 'server',
  checks: [
    {
      id: 'mesh.strict-refuses-plaintext',
      title: 'A port the mesh declares STRICT does not serve plaintext',
      async run(ctx) {
        const declared = declaredMode(ctx);
        if (!declared) return notMesh;
        if (declared !== 'STRICT')
          return {
            status: 'skip',
            message: `declared ${declared} by ${declaredAt(ctx)}: plaintext is allowed by the declaration (mesh.declared-matches-observed compares)`,
          };
        const { observed, servedPlain, evidence, unreachable } = await observe(ctx);
        if (servedPlain)
          return {
            status: 'fail',
            message: `declared STRICT by ${declaredAt(ctx)}, but port ${ctx.target.port} served a plaintext ${servedPlain.kind} request: ${servedPlain.reason}`,
            remediation: await adviceFor(ctx, 'require-client-cert'),
            evidence,
          };
        if (unreachable && 'unknown' in observed)
          return { status: 'error', message: `could not reach port ${ctx.target.port} to send a plaintext request: ${observed.unknown}`, evidence };
        return {
          status: 'pass',
          message: `declared STRICT by ${declaredAt(ctx)}; plaintext HTTP/1.1 and h2c were not served on port ${ctx.target.port}`,
          evidence,
        };
      },
    },
    {
      id: 'mesh.declared-matches-observed',
      title: 'The mTLS mode the mesh declares for a port is the one the port shows',
      async run(ctx) {
        const declared = declaredMode(ctx);
        if (!declared) return notMesh;
        const { observed, evidence } = await observe(ctx);
        if ('unknown' in observed)
          return {
            status: 'error',
            message: `declared ${declared} by ${declaredAt(ctx)}; observed: cannot tell (${observed.unknown}); what would decide it: a plaintext request served, or a TLS server refusing a client without certificate`,
            evidence,
          };
        const side = `declared ${declared} by ${declaredAt(ctx)}; observed ${observed.mode} on port ${ctx.target.port}`;
        const ev = { ...evidence, observed: observed.mode };
        if (declared === 'STRICT')
          return observed.mode === 'STRICT'
            ? { status: 'pass', message: `${side} (plaintext not served, a TLS client without certificate refused)`, evidence: ev }
            : {
                status: 'fail',
                message: `${side}: a STRICT port must refuse plaintext and clients without a certificate`,
                remediation: await adviceFor(ctx, 'require-client-cert'),
                evidence: ev,
              };
        // PERMISSIVE / DISABLE declared: plaintext is allowed by the declaration itself. Said, never passed.
        return {
          status: 'warn',
          message:
            observed.mode === declared
              ? `${side}: as declared, this port accepts clients without mesh mTLS (PERMISSIVE is a migration mode)`
              : `${side}: not what the mesh declares (something besides the mesh decides this port)`,
          remediation: await adviceFor(ctx, 'require-client-cert'),
          evidence: ev,
        };
      },
    },
  ],
};
