// Mesh ports (k8s scan: Istio PeerAuthentication, Linkerd annotations; src/targets/k8s/mesh.ts):
// the mTLS mode the mesh declares for a Pod port beside what the port does with a plaintext
// request and with a TLS client offering no certificate.
import type { CheckContext, Suite } from '../src/checks/types.js';
import { adviceFor } from '../src/checks/judge.js';
import { controlEvidence, readRefusal } from '../src/probe/controls.js';

type Observed = { mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'TLS without client authentication' } | { unknown: string };

/**
 * What the port did: plaintext HTTP/1.1 and h2c (prior knowledge), then a TLS client with no
 * certificate, read against its control (a client the mesh should accept: the valid client given, or
 * one minted from the mesh CA's key) by the shared judge. A refusal with no accepted control is not
 * STRICT, only "cannot tell": a port that refuses every client looks the same.
 */
async function observe(ctx: CheckContext) {
  const t = ctx.target;
  const plain = await Promise.all((['http1', 'h2c-prior-knowledge'] as const).map((k) => ctx.plaintext(t.port, k)));
  const tls = await ctx.noCert();
  const servedPlain = plain.find((p) => p.served);
  const evidence: Record<string, unknown> = {
    declared: t.origin?.declared ?? {},
    plaintext: plain.map((p) => ({ kind: p.kind, served: p.served, reason: p.reason })),
    tlsWithoutCert: { rejectedAt: tls.rejectedAt, reason: tls.reason, ...(tls.failure ? { failure: tls.failure.kind } : {}) },
  };
  const noTls = tls.rejectedAt === 'unreachable' && (tls.failure?.kind === 'plaintext-http' || tls.failure?.kind === 'not-tls');
  let observed: Observed;
  if (plain[0]!.unreachable) observed = { unknown: `the port could not be reached: ${plain[0]!.reason}` };
  else if (servedPlain) observed = noTls ? { mode: 'DISABLE' } : tls.rejectedAt === 'unreachable' ? { unknown: tls.reason } : { mode: 'PERMISSIVE' };
  else if (tls.rejectedAt === 'accepted') observed = { mode: 'TLS without client authentication' };
  else {
    const control = await ctx.control('noCert');
    if (control) evidence.control = controlEvidence(control);
    const r = readRefusal(tls, control, t.protocol);
    observed =
      r.kind === 'refused'
        ? { mode: 'STRICT' }
        : {
            unknown:
              r.kind === 'inconclusive'
                ? `${r.reason}${r.hint ? `; ${r.hint}` : ''}${control ? '' : ' (a certificate of the mesh CA: --cert/--key, or its key with --ca-key or --ca-key-secret, e.g. istio-system/istio-ca-secret)'}`
                : r.kind === 'unreachable'
                  ? r.reason
                  : 'the client without a certificate was served',
          };
  }
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
      title: 'A mesh port does not serve plaintext (mTLS STRICT, whatever the mesh declares)',
      async run(ctx) {
        const declared = declaredMode(ctx);
        if (!declared) return notMesh;
        const { observed, servedPlain, evidence, unreachable } = await observe(ctx);
        if (servedPlain)
          return {
            status: 'fail',
            message:
              declared === 'STRICT'
                ? `declared STRICT by ${declaredAt(ctx)}, but port ${ctx.target.port} served a plaintext ${servedPlain.kind} request: ${servedPlain.reason}`
                : `declared ${declared} by ${declaredAt(ctx)}: port ${ctx.target.port} served a plaintext ${servedPlain.kind} request (${servedPlain.reason}), as that mode allows: mesh mTLS is not enforced on it`,
            remediation: await adviceFor(ctx, 'require-client-cert'),
            evidence,
          };
        if (unreachable && 'unknown' in observed)
          return { status: 'error', message: `could not reach port ${ctx.target.port} to send a plaintext request: ${observed.unknown}`, evidence };
        return {
          status: 'pass',
          message: `declared ${declared} by ${declaredAt(ctx)}; plaintext HTTP/1.1 and h2c were not served on port ${ctx.target.port}`,
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
            message: `declared ${declared} by ${declaredAt(ctx)}; observed: cannot tell (${observed.unknown})`,
            evidence,
          };
        const side = `declared ${declared} by ${declaredAt(ctx)}; observed ${observed.mode} on port ${ctx.target.port}`;
        const ev = { ...evidence, observed: observed.mode };
        if (declared === 'STRICT')
          return observed.mode === 'STRICT'
            ? {
                status: 'pass',
                message: `${side} (plaintext not served; a TLS client without a certificate refused while a client of the mesh CA was accepted)`,
                evidence: ev,
              }
            : {
                status: 'fail',
                message: `${side}: a STRICT port must refuse plaintext and clients without a certificate`,
                remediation: await adviceFor(ctx, 'require-client-cert'),
                evidence: ev,
              };
        // PERMISSIVE / DISABLE declared: the port is judged on plaintext by mesh.strict-refuses-plaintext;
        // here only whether it does what the mesh says.
        if (observed.mode === declared)
          return {
            status: 'pass',
            message: `${side}, as declared (mesh.strict-refuses-plaintext judges whether plaintext may be served)`,
            evidence: ev,
          };
        return {
          status: 'warn',
          message: `${side}: not what the mesh declares (something besides the mesh decides this port)`,
          evidence: ev,
        };
      },
    },
  ],
};
