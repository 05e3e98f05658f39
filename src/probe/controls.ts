/**
 * "A refusal is evidence only against an accepted control" (docs/CONFORMANCE.md "Controls").
 *
 * A server that refuses a client without a certificate (or with a crafted one) has proven
 * something about certificates only when a control — a client that differs from the refused one in
 * the property under test alone — is accepted by the same target in the same run. A server that
 * refuses everyone (an SNI catch-all, a TLS-version mismatch, a broker closing on an HTTP request,
 * per-path client auth the harness cannot answer) refuses the control too, and then the refusal is
 * not a verdict: it is `inconclusive`, with the reason and what would decide it.
 *
 * Pure functions over probe outcomes; `probe` and `run` both judge through them.
 */
import { safeText } from '../core/text.js';
import type { RefusalLayer } from '../rules/refusal.js';
import { ALERT_MEANINGS, alertLabel, ownCertificateFault } from './alerts.js';
import { answeringModule, protocolModule, type Protocol } from './protocols/index.js';
import type { ProbeOutcome } from './tls-probe.js';

/** A client that differs from the one under test in the tested property alone, and how it fared. */
export interface Control {
  /** What the control presented, in words ("the valid client certificate given with --cert"). */
  what: string;
  /** `given`: the user's own valid client; `minted`: minted by the harness from the CA key. */
  source: 'given' | 'minted';
  outcome: ProbeOutcome;
  /** The given certificate is listed in a CRL the harness read: in words ("listed as revoked in crl.pem since …"). */
  listedRevoked?: string;
}

/** What a probe that was expected to be refused says, once read against its control. */
export type RefusalReading =
  | { kind: 'served' }
  | { kind: 'unreachable'; reason: string }
  /** Refused, and the control was accepted: the refusal is about the property under test. */
  | { kind: 'refused'; control: Control }
  /** Refused, but that proves nothing about the property: `reason` says why, `hint` what would decide it. */
  | { kind: 'inconclusive'; reason: string; hint?: string };

const REFUSED = new Set<string>(['handshake', 'post-handshake', 'application'] satisfies RefusalLayer[]);

/** The server refused the connection: in the handshake, after it, or at the application layer (HTTP, gRPC, PostgreSQL, …). */
export function isRefusal(o: ProbeOutcome): o is ProbeOutcome & { rejectedAt: RefusalLayer } {
  return REFUSED.has(o.rejectedAt);
}

/**
 * The server refused in answer to the ClientHello itself (no ServerHello): an SNI catch-all, no
 * shared version or cipher, any alert before the server said anything else. Never about client
 * certificates: none can have been asked for.
 */
export function answeredClientHello(o: ProbeOutcome): boolean {
  if (o.rejectedAt !== 'handshake') return false;
  return o.serverHello !== undefined ? !o.serverHello : o.protocol === undefined;
}

/** The application layer an outcome was refused at, in words: "HTTP", "gRPC", "PostgreSQL". */
export function refusalLayer(o: ProbeOutcome): string {
  const m = answeringModule(o);
  return m.layer ?? m.title;
}

/**
 * Where and how a connection was refused, in words: "at post-handshake with alert 116
 * certificate_required", "at the PostgreSQL layer (FATAL 28000 …)" (the layer and its detail are
 * the protocol module's).
 */
export function describeRefusal(o: ProbeOutcome): string {
  if (o.rejectedAt === 'application') return `at the ${refusalLayer(o)} layer (${answeringModule(o).refusal(o)})`;
  if (answeredClientHello(o))
    return `in answer to the ClientHello, before any ServerHello${o.alert ? `, with ${alertLabel(o.alert)}` : ' (connection closed without an alert)'}`;
  return `at ${o.rejectedAt}${o.alert ? ` with ${alertLabel(o.alert)}` : ' (connection closed without an alert)'}`;
}

/** What would decide a refusal in answer to the ClientHello, by its alert (alerts.ts ALERT_MEANINGS). */
function clientHelloHint(o: ProbeOutcome): string {
  return (
    (o.alert && ALERT_MEANINGS[o.alert.code]?.clientHello) ??
    'check --servername and the TLS versions the server allows; a server that refuses the ClientHello has not looked at any certificate'
  );
}

/**
 * What would decide an inconclusive refusal, read from how the control was refused: a refusal at the
 * application layer by the module that answered, any other by the module of the protocol probed
 * (default https).
 */
function controlHint(o: ProbeOutcome, c: ProbeOutcome, protocol: Protocol | undefined, listedRevoked?: string): string {
  if (o.postHandshakeAuth?.kind === 'tls13' || c.postHandshakeAuth?.kind === 'tls13') {
    return 'the server asked for a certificate after the handshake (TLS 1.3 post-handshake authentication), which the harness cannot answer: try --tls-max 1.2';
  }
  const own = ownCertificateFault(c.alert);
  if (own) return `the valid client certificate itself ${own.state} (${own.label}): ${own.fix} it, then test again`;
  if (listedRevoked) return `the valid client certificate itself is ${listedRevoked}: reissue it, then test again`;
  const m = c.rejectedAt === 'application' ? answeringModule(c) : protocolModule(protocol);
  return (
    m.controlRefusedHint?.(c) ?? 'make sure the valid client certificate is trusted by the server (see handshake.accepts-valid-client-cert), then test again'
  );
}

/**
 * Reads a probe that should have been refused against its control. `control` undefined: there is
 * none (no valid client given and none could be minted).
 */
export function readRefusal(o: ProbeOutcome, control: Control | undefined, protocol?: Protocol): RefusalReading {
  if (o.rejectedAt === 'accepted') return { kind: 'served' };
  if (o.rejectedAt === 'unreachable') return { kind: 'unreachable', reason: o.reason };
  if (answeredClientHello(o)) {
    const same = control && answeredClientHello(control.outcome) ? `; ${control.what} was refused the same way` : '';
    return {
      kind: 'inconclusive',
      reason: `the server refused ${describeRefusal(o)}${same}: no certificate could have mattered yet`,
      hint: clientHelloHint(o),
    };
  }
  if (!control) {
    return {
      kind: 'inconclusive',
      reason: `the server refused ${describeRefusal(o)}, but no valid client was tested to compare with: a server that refuses every client would look the same`,
      hint: 'give a valid client certificate (--cert/--key), or the CA key (--ca-key) so the harness can mint one',
    };
  }
  const c = control.outcome;
  if (c.rejectedAt === 'unreachable') {
    return {
      kind: 'inconclusive',
      reason: `the server refused ${describeRefusal(o)}, and the control (${control.what}) could not be evaluated: ${safeText(c.reason, 200)}`,
      hint: 'test again when the control connection succeeds',
    };
  }
  if (c.rejectedAt !== 'accepted') {
    const a = describeRefusal(o);
    const b = describeRefusal(c);
    const how = a === b ? `the same way (${a})` : `too (${b}; this client ${a})`;
    return { kind: 'inconclusive', reason: `the server refused ${control.what} ${how}`, hint: controlHint(o, c, protocol, control.listedRevoked) };
  }
  return { kind: 'refused', control };
}

/** The control as evidence: what it was and how it fared. Never key material. */
export function controlEvidence(c: Control): Record<string, unknown> {
  const o = c.outcome;
  return {
    what: c.what,
    source: c.source,
    rejectedAt: o.rejectedAt,
    ...(o.alert ? { alert: { code: o.alert.code, name: o.alert.name } } : {}),
    ...(o.httpStatusLine ? { httpStatusLine: safeText(o.httpStatusLine, 200) } : {}),
    ...(o.grpc ? { grpc: { code: o.grpc.code, codeName: o.grpc.codeName } } : {}),
    ...(o.application ? { application: o.application } : {}),
    ...(o.protocol ? { tlsVersion: o.protocol } : {}),
    reason: safeText(o.reason, 300),
  };
}

/** A served probe, in words that say only what happened. */
export function describeServed(o: ProbeOutcome, what: string): string {
  const neverAsked = o.certificateRequested === false && !o.postHandshakeAuth;
  if (neverAsked && o.clientCertificateOffered)
    return `${what}: served; the server never asked for a certificate, so none was sent (${safeText(o.reason, 160)})`;
  return `${what} was accepted: ${safeText(o.reason, 200)}`;
}
