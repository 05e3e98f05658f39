import type { ProbeOutcome } from './tls-probe.js';

/** What a server does about client certificates (CONFORMANCE.md `handshake.client-auth-mode`). */
export type ClientAuthMode = 'required' | 'optional' | 'not-requested' | 'unknown';

export interface ClientAuthDetection {
  mode: ClientAuthMode;
  /**
   * How the CertificateRequest was observed: read in plaintext (TLS 1.2), decrypted from the
   * handshake with the secrets node's `keylog` event gives (TLS 1.3), or not observed and the
   * mode inferred from the refusal alone.
   */
  method: 'tls1.2-plaintext' | 'tls1.3-keylog' | 'inferred-from-rejection' | 'none';
  /** Distinguished names of the CAs the server advertised in its CertificateRequest. */
  acceptableCaNames: string[];
  /** One sentence: what was seen. */
  evidence: string;
  caveat?: string;
}

const REJECTED = new Set(['handshake', 'post-handshake', 'application']);

/**
 * Decides the client-auth mode from a probe without a client certificate (and, if available, one
 * with a valid certificate). Deterministic: it rests on whether the server's handshake contained a
 * CertificateRequest, which the probe reads from the wire (on TLS 1.3 by decrypting it), not on
 * timing.
 */
export function detectClientAuthMode(noCert: ProbeOutcome, withCert?: ProbeOutcome): ClientAuthDetection {
  const caNames = noCert.acceptableCaNames.length > 0 ? noCert.acceptableCaNames : (withCert?.acceptableCaNames ?? []);
  const requested = noCert.certificateRequested ?? withCert?.certificateRequested;
  const insight = noCert.certificateRequested !== undefined ? noCert.handshakeInsight : (withCert?.handshakeInsight ?? noCert.handshakeInsight);
  const method = insight.method === 'unavailable' ? 'none' : insight.method;
  const rejected = REJECTED.has(noCert.rejectedAt);
  const where = noCert.rejectedAt === 'application' ? `at the HTTP layer (${noCert.httpStatusLine ?? noCert.httpStatus})` : `at ${noCert.rejectedAt}${noCert.alert ? ` (alert ${noCert.alert.code} ${noCert.alert.name})` : ''}`;
  if (noCert.rejectedAt === 'unreachable') {
    return { mode: 'unknown', method: 'none', acceptableCaNames: caNames, evidence: `the probe without a certificate could not evaluate the server: ${noCert.reason}` };
  }
  if (requested === true) {
    const served = withCert ? withCert.rejectedAt === 'accepted' : undefined;
    const caveat = served === false ? `the valid client certificate was refused too (${withCert!.reason})` : undefined;
    return rejected
      ? { mode: 'required', method, acceptableCaNames: caNames, evidence: `the server requested a client certificate and refused the connection without one ${where}`, ...(caveat ? { caveat } : {}) }
      : { mode: 'optional', method, acceptableCaNames: caNames, evidence: 'the server requested a client certificate but served the request without one', ...(caveat ? { caveat } : {}) };
  }
  if (requested === false) {
    return {
      mode: 'not-requested',
      method,
      acceptableCaNames: [],
      evidence: 'the server never sent a CertificateRequest',
      ...(rejected ? { caveat: `it refused the connection anyway ${where}, for a reason other than client certificates` } : {}),
    };
  }
  // The handshake flight could not be read (e.g. an unsupported TLS 1.3 cipher suite).
  return rejected
    ? { mode: 'required', method: 'inferred-from-rejection', acceptableCaNames: caNames, evidence: `the connection without a certificate was refused ${where}`, caveat: `the CertificateRequest itself could not be observed (${insight.limitation ?? 'unknown reason'})` }
    : { mode: 'unknown', method: 'none', acceptableCaNames: caNames, evidence: 'the server served a client without a certificate; whether it asks for one could not be observed', caveat: insight.limitation ?? 'handshake not observable' };
}
