/** TLS alert descriptions (RFC 8446 §6, RFC 5246 §7.2), by code. */
export const ALERT_NAMES: Readonly<Record<number, string>> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  21: 'decryption_failed',
  22: 'record_overflow',
  30: 'decompression_failure',
  40: 'handshake_failure',
  41: 'no_certificate',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  60: 'export_restriction',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  100: 'no_renegotiation',
  109: 'missing_extension',
  110: 'unsupported_extension',
  111: 'certificate_unobtainable',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  114: 'bad_certificate_hash_value',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

export interface TlsAlert {
  code: number;
  name: string;
  /** 1 warning, 2 fatal (when known from the record). */
  level?: number;
}

/** An alert by code; a code outside the registry is named `unknown(CODE)`. */
export function alertOf(code: number, level?: number): TlsAlert {
  return { code, name: ALERT_NAMES[code] ?? `unknown(${code})`, ...(level !== undefined ? { level } : {}) };
}

/** An alert in words: "alert 44 certificate_revoked". */
export function alertLabel(a: Pick<TlsAlert, 'code' | 'name'>): string {
  return `alert ${a.code} ${a.name}`;
}

/** A fault of the client's own certificate, which the server otherwise trusts: not of the server's settings. */
export interface OwnCertificateFault {
  /** The advice topic (src/probe/advice/topics.ts). */
  topic: 'client-cert-revoked' | 'client-cert-expired-own';
  /** What the certificate is, in words: "is revoked", "has expired". */
  state: string;
  /** What to do with it: "reissue", "renew". */
  fix: string;
  /** Judged by the server's clock: the server may be the one that is wrong. */
  serverClock?: true;
}

/** What an alert means to the harness beyond its name: the one table every reader of an alert code uses. */
export interface AlertMeaning {
  /** Refusing a certificate the server otherwise trusts: the certificate itself is at fault (the diagnosis, the control hints, the checks, the advice). */
  ownCertificate?: OwnCertificateFault;
  /** Sent in answer to the ClientHello, before any certificate mattered: what would decide it. */
  clientHello?: string;
  /** The server speaks none of the application protocols offered by ALPN: not a verdict on the client. */
  alpnRefusal?: true;
}

const NO_SHARED_PARAMETERS =
  'the server shares no cipher suite, group or signature algorithm with the harness, or refuses the SNI sent: check its TLS settings and --servername';

export const ALERT_MEANINGS: Readonly<Record<number, AlertMeaning>> = {
  40: { clientHello: NO_SHARED_PARAMETERS },
  44: { ownCertificate: { topic: 'client-cert-revoked', state: 'is revoked', fix: 'reissue' } },
  45: { ownCertificate: { topic: 'client-cert-expired-own', state: 'has expired', fix: 'renew', serverClock: true } },
  70: { clientHello: 'the server shares no TLS version with the harness: check the versions it allows and offer them with --tls-min/--tls-max' },
  71: { clientHello: NO_SHARED_PARAMETERS },
  112: { clientHello: 'give --servername with a name this server serves (it refuses the SNI sent, or its absence)' },
  120: { alpnRefusal: true },
};

/** The fault of the client's own certificate that an alert names (44 revoked, 45 expired), with the alert's label. */
export function ownCertificateFault(alert: TlsAlert | undefined): (OwnCertificateFault & { label: string }) | undefined {
  const own = alert ? ALERT_MEANINGS[alert.code]?.ownCertificate : undefined;
  return own && alert ? { ...own, label: alertLabel(alert) } : undefined;
}

/** The alert that names a fault of the client's own certificate, by its advice topic: "alert 45 certificate_expired". */
export function ownCertificateAlert(topic: OwnCertificateFault['topic']): string {
  const code = Object.keys(ALERT_MEANINGS)
    .map(Number)
    .find((c) => ALERT_MEANINGS[c]!.ownCertificate?.topic === topic)!;
  return alertLabel(alertOf(code));
}

/**
 * Extracts a received alert from a node/OpenSSL error ("... SSL alert number 116"), if any. OpenSSL
 * adds "SSL alert number" only to errors about an alert it *received* from the peer.
 */
export function alertFromError(err: unknown): TlsAlert | undefined {
  const msg = err instanceof Error ? err.message : String(err ?? '');
  const m = /SSL alert number (\d+)/.exec(msg);
  return m ? alertOf(Number(m[1])) : undefined;
}

/**
 * node's error codes that name an alert received from the peer (`ERR_SSL_SSLV3_ALERT_*`,
 * `ERR_SSL_TLSV1_ALERT_*`, `ERR_SSL_TLSV13_ALERT_*`, and OpenSSL's five RFC 6066 ones spelt without
 * ALERT, e.g. `ERR_SSL_TLSV1_UNRECOGNIZED_NAME` for alert 112). Every other `ERR_SSL_*` is raised by
 * our own TLS client about what it read.
 */
export function isReceivedAlertCode(code: string | undefined): boolean {
  return (
    !!code &&
    /^ERR_SSL_(?:(?:SSLV3|TLSV1|TLSV13)_ALERT_|TLSV1_(?:UNRECOGNIZED_NAME|UNSUPPORTED_EXTENSION|CERTIFICATE_UNOBTAINABLE|BAD_CERTIFICATE_STATUS_RESPONSE|BAD_CERTIFICATE_HASH_VALUE)$)/.test(
      code,
    )
  );
}
