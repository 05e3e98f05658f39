import { describeRefusal, readRefusal, type Control } from './controls.js';
import type { Protocol } from './protocols/names.js';
import type { ProbeOutcome } from './tls-probe.js';

/** What a server does about client certificates (CONFORMANCE.md `handshake.client-auth-mode`). */
export type ClientAuthMode = 'required' | 'optional' | 'not-requested' | 'unknown';

export interface ClientAuthDetection {
  mode: ClientAuthMode;
  /**
   * How the CertificateRequest was observed: read in plaintext (TLS 1.2), decrypted from the
   * handshake with the secrets node's `keylog` event gives (TLS 1.3), on a TLS 1.2 renegotiation,
   * after a TLS 1.3 handshake (post-handshake authentication, answered by the reference client
   * `openssl s_client -enable_pha`), or not observed and the mode inferred from the refusal against an accepted control.
   */
  method: 'tls1.2-plaintext' | 'tls1.3-keylog' | 'renegotiation' | 'post-handshake-auth' | 'inferred-from-rejection' | 'none';
  /** Distinguished names of the CAs the server advertised in its CertificateRequest. */
  acceptableCaNames: string[];
  /** One sentence: what was seen. */
  evidence: string;
  caveat?: string;
  /**
   * Set when the refusal of the cert-less client proves nothing (no accepted control, the server
   * refused the ClientHello itself, post-handshake auth the harness cannot answer): the mode is
   * then `unknown`, and this says what would decide it.
   */
  inconclusive?: { reason: string; hint?: string };
}

/**
 * Decides the client-auth mode from a probe without a client certificate and its control (the
 * valid client, given or minted). Deterministic: it rests on whether the server's handshake
 * contained a CertificateRequest, read from the wire (on TLS 1.3 by decrypting it), not on timing;
 * and a refusal counts as `required` only when the control was accepted by the same target.
 * `protocol` (default https) words what would decide an inconclusive refusal.
 */
export function detectClientAuthMode(noCert: ProbeOutcome, controlOrWithCert?: Control | ProbeOutcome, protocol?: Protocol): ClientAuthDetection {
  // A bare outcome is the user's valid client (the library's earlier signature).
  const control: Control | undefined =
    controlOrWithCert && 'outcome' in controlOrWithCert
      ? controlOrWithCert
      : controlOrWithCert
        ? { what: 'the valid client certificate', source: 'given', outcome: controlOrWithCert }
        : undefined;
  const withCert = control?.outcome;
  const caNames = noCert.acceptableCaNames.length > 0 ? noCert.acceptableCaNames : (withCert?.acceptableCaNames ?? []);
  const requested = noCert.certificateRequested ?? withCert?.certificateRequested;
  const insight = noCert.certificateRequested !== undefined ? noCert.handshakeInsight : (withCert?.handshakeInsight ?? noCert.handshakeInsight);
  // Asked for after the handshake, and followed: a TLS 1.2 renegotiation, or TLS 1.3 post-handshake
  // auth answered by the reference client (`client` set: pha-client.ts).
  const pha = noCert.postHandshakeAuth?.kind === 'tls13' && !!noCert.client;
  const renegotiated = noCert.postHandshakeAuth?.kind === 'renegotiation' || pha;
  const lateMethod = pha ? 'post-handshake-auth' : 'renegotiation';
  const lateAsked = pha || (noCert.postHandshakeAuth?.kind === 'renegotiation' && noCert.postHandshakeAuth.certificateRequested);
  const method = renegotiated && !requested ? lateMethod : insight.method === 'unavailable' ? 'none' : insight.method;
  const unanswered = (o: ProbeOutcome | undefined) => o?.postHandshakeAuth?.kind === 'tls13' && !o.client;
  const phaUnavailable = noCert.phaUnavailable ?? withCert?.phaUnavailable;
  if (unanswered(noCert) || unanswered(withCert) || (phaUnavailable && noCert.rejectedAt !== 'accepted')) {
    const reason = phaUnavailable
      ? `the server may ask for a client certificate after the TLS 1.3 handshake (post-handshake authentication), which the harness's TLS client cannot answer, and ${phaUnavailable}`
      : "the server asked for a client certificate after the handshake (TLS 1.3 post-handshake authentication), which the harness's TLS client cannot answer";
    return {
      mode: 'unknown',
      method: 'none',
      acceptableCaNames: caNames,
      evidence: `inconclusive: ${reason}`,
      inconclusive: {
        reason,
        hint: phaUnavailable
          ? 'install OpenSSL 1.1.1 or later (openssl s_client -enable_pha), or try --tls-max 1.2 (the server may then ask on a renegotiation, which the harness follows)'
          : 'try --tls-max 1.2 (the server may then ask on a renegotiation, which the harness follows)',
      },
    };
  }
  if (noCert.rejectedAt === 'unreachable') {
    return {
      mode: 'unknown',
      method: 'none',
      acceptableCaNames: caNames,
      evidence: `the probe without a certificate could not evaluate the server: ${noCert.reason}`,
    };
  }
  if (noCert.rejectedAt === 'accepted') {
    if (requested === true || lateAsked) {
      return {
        mode: 'optional',
        method,
        acceptableCaNames: caNames,
        evidence: `the server requested a client certificate${renegotiated && !requested ? (pha ? ' after the TLS 1.3 handshake (post-handshake authentication)' : ' on a renegotiation') : ''} but served the request without one`,
      };
    }
    if (requested === false)
      return {
        mode: 'not-requested',
        method,
        acceptableCaNames: [],
        evidence: 'the server never sent a CertificateRequest, and served the request without a certificate',
      };
    return {
      mode: 'unknown',
      method: 'none',
      acceptableCaNames: caNames,
      evidence: 'the server served a client without a certificate; whether it asks for one could not be observed',
      caveat: insight.limitation ?? 'handshake not observable',
    };
  }
  // Refused. Against no accepted control a refusal says nothing, not even "not requested": a server
  // wanting TLS 1.3 post-handshake auth the client cannot offer (Apache per location) never sends a
  // CertificateRequest and refuses every client alike.
  const r = readRefusal(noCert, control, protocol);
  if (r.kind === 'inconclusive') {
    return {
      mode: 'unknown',
      method,
      acceptableCaNames: caNames,
      evidence: `inconclusive: ${r.reason}`,
      inconclusive: { reason: r.reason, ...(r.hint ? { hint: r.hint } : {}) },
    };
  }
  // The control was served: a server that never asked for a certificate has not enforced one.
  if (requested === false && !renegotiated) {
    return {
      mode: 'not-requested',
      method,
      acceptableCaNames: [],
      evidence: 'the server never sent a CertificateRequest',
      caveat: `it refused the connection without a certificate anyway ${describeRefusal(noCert)}, while the valid client was served: for a reason other than client certificates`,
    };
  }
  const where = describeRefusal(noCert);
  const against = control ? `, while ${control.what} was accepted` : '';
  if (requested === true)
    return {
      mode: 'required',
      method,
      acceptableCaNames: caNames,
      evidence: `the server requested a client certificate and refused the connection without one ${where}${against}`,
    };
  if (renegotiated)
    return {
      mode: 'required',
      method: lateMethod,
      acceptableCaNames: caNames,
      evidence: `the server asked for a client certificate ${pha ? `after the TLS 1.3 handshake (post-handshake authentication, answered by ${noCert.client})` : 'on a renegotiation'} (per-path client auth) and refused the connection without one ${where}${against}`,
      caveat: 'requested after the initial handshake: the mode describes the path probed',
    };
  return {
    mode: 'required',
    method: 'inferred-from-rejection',
    acceptableCaNames: caNames,
    evidence: `the connection without a certificate was refused ${where}${against}`,
    caveat: `the CertificateRequest itself could not be observed (${insight.limitation ?? 'unknown reason'})`,
  };
}
