/**
 * Where a refusal counts as enforcement (docs/CONFORMANCE.md "Rejection, precisely"): a refusal in
 * TLS (the handshake, or an alert or close right after it) always does; a refusal only at the
 * HTTP/gRPC layer, after the TLS connection was accepted, does when nothing was served, unless the
 * policy requires refusal in TLS (`requireTlsRejection`, `--require-tls-rejection`). The one rule
 * for `run`'s checks (checks/judge.ts `mustBeRefused`) and `probe`'s diagnosis (probe/diagnose.ts).
 * Pure: a result, never a throw; each caller words it its own way.
 */

/** Where a refused connection was refused (probe/rejection.ts `RejectedAt`, the refused ones). */
export type RefusalLayer = 'handshake' | 'post-handshake' | 'application';

/**
 * How a refusal counts: `tls`, refused in TLS; `application`, refused only at the HTTP/gRPC layer
 * with nothing served (enforcement); `application-only`, refused only there while the policy
 * requires refusal in TLS (not enforcement).
 */
export type RefusalStanding = 'tls' | 'application' | 'application-only';

/** How a refusal at `layer` counts under the policy. */
export function refusalStanding(layer: RefusalLayer, policy: { requireTlsRejection: boolean }): RefusalStanding {
  if (layer !== 'application') return 'tls';
  return policy.requireTlsRejection ? 'application-only' : 'application';
}

/** Whether a refusal at `layer` is enforcement under the policy. */
export function refusalEnforces(layer: RefusalLayer, policy: { requireTlsRejection: boolean }): boolean {
  return refusalStanding(layer, policy) !== 'application-only';
}
