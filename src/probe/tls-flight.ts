/** What the server's bytes revealed (tls-records.ts `ServerFlightRecorder.decode`). */
import type { TlsAlert } from './alerts.js';

/** A CertificateRequest's parameters (RFC 8446 §4.3.2, RFC 5246 §7.4.4); CA names are `acceptableCaNames`. */
export interface CertificateRequestInfo {
  /** SignatureScheme code points, in the server's order; undefined when the message carries none (TLS 1.0/1.1). */
  signatureAlgorithms?: number[];
  /** TLS 1.3 signature_algorithms_cert, when sent: the schemes accepted in certificates' signatures. */
  signatureAlgorithmsCert?: number[];
  /** TLS 1.2 and older: ClientCertificateType values (1 rsa_sign, 64 ecdsa_sign, …). */
  certificateTypes?: number[];
}

/** What the server's bytes revealed: its records, alerts, handshake messages, and how they were read. */
export interface ServerFlight {
  /** True once at least one well-formed TLS record arrived. */
  spokeTls: boolean;
  /** A real ServerHello (not a HelloRetryRequest) arrived and was parsed. */
  serverHello: boolean;
  /** The server answered the first ClientHello with a HelloRetryRequest (RFC 8446 §4.1.4; TLS 1.3). */
  helloRetryRequest?: true;
  /** Negotiated version from ServerHello (`TLSv1.3`, `TLSv1.2`, …). */
  version?: string;
  cipherSuite?: number;
  /**
   * Whether the server sent a CertificateRequest in the initial handshake; undefined when its flight
   * could not be read. A CertificateRequest after the handshake is `postHandshakeCertificateRequest`.
   */
  certificateRequested?: boolean;
  /** Distinguished names from the CertificateRequest's certificate_authorities (DER). */
  acceptableCaNames: Buffer[];
  /**
   * What the initial handshake's CertificateRequest asked for, beside its CA names: the signature
   * schemes it accepts (TLS 1.3 signature_algorithms extension, TLS 1.2
   * supported_signature_algorithms), signature_algorithms_cert when sent (TLS 1.3), and the
   * certificate_types (TLS 1.2 and older). Absent when no CertificateRequest was read.
   */
  certificateRequest?: CertificateRequestInfo;
  /** The certificates the server sent, in the order sent (DER). */
  certificates: Buffer[];
  /** Alerts the server sent (plaintext where allowed, or decrypted), in order. */
  alerts: TlsAlert[];
  /**
   * Alert records that arrived in plaintext where the protocol demands protection: TLS 1.3 after the
   * server's ServerHello (RFC 8446 §5), TLS 1.2 after its ChangeCipherSpec. The TLS client rejects
   * them (it does not take them as the server's alert); a relay or a broken stack put them there.
   */
  unprotectedAlerts?: TlsAlert[];
  /** TLS 1.3: the server sent a CertificateRequest after its Finished (post-handshake authentication, RFC 8446 §4.6.2). */
  postHandshakeCertificateRequest?: true;
  /**
   * TLS 1.2 and older: encrypted handshake records the server sent after its Finished — a
   * HelloRequest and the flight of a renegotiation (their contents are encrypted; the outer record
   * type is not).
   */
  renegotiationRecords?: number;
  /**
   * TLS 1.2, when the records after the server's Finished could be decrypted (an AEAD suite and the
   * client's CLIENT_RANDOM key log line): what the renegotiation carried. `helloRequest`: the
   * server asked for one; `serverHello`: the renegotiation's ServerHello arrived;
   * `certificateRequested`: its flight (read up to ServerHelloDone, or the CertificateRequest itself)
   * contained a CertificateRequest (false for a resumed renegotiation). Absent when unreadable.
   */
  renegotiation?: { helloRequest: boolean; serverHello?: true; certificateRequested?: boolean };
  /** The first bytes of data that is not a TLS record, after well-formed records (stray bytes in the stream). */
  trailingNonTls?: Buffer;
  /** TLS 1.3: a NewSessionTicket arrived (the server processed our Finished and kept the connection). */
  sessionTicket: boolean;
  /** First bytes of decrypted application data (TLS 1.3; TLS 1.2 with an AEAD suite). */
  appDataPrefix?: Buffer;
  /** The end of the server's first flight arrived (TLS 1.2 ServerHelloDone, TLS 1.3 Finished). */
  flightComplete?: boolean;
  /** How the flight was read, and why not when it could not be. */
  method: 'tls1.2-plaintext' | 'tls1.3-keylog' | 'unavailable';
  limitation?: string;
  /** The first bytes when the peer is not speaking TLS at all. */
  nonTlsPrefix?: Buffer;
}
