/**
 * What a probe answers (`ProbeOutcome`), and how it is put together once the connection has ended
 * (`assembleOutcome`): the classified end, the chain the server sent (read off the wire, else as
 * node built it), what its handshake flight revealed, and the timings. Certificates and CA names
 * are decoded once per distinct DER: a scan sees the same few on every connection.
 */
import { X509Certificate } from 'node:crypto';
import type * as tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../core/clock.js';
import type { CertSummary } from '../core/model.js';
import { nameOf } from '../pki/fields.js';
import { summarizeCertificate } from '../pki/inspect.js';
import type { TlsAlert } from './alerts.js';
import type { GrpcHealthOutcome } from './grpc.js';
import { firstFatalAlert, type ApplicationEvidence, type FailureKind, type ProbePhase, type RejectedAt } from './rejection.js';
import type { ServerFlight } from './tls-records.js';
import type { CertificateRequestInfo } from './tls-flight.js';

/** The answer of a probe: data, never an exception for target behaviour. */
export interface ProbeOutcome {
  target: string;
  servername?: string;
  rejectedAt: RejectedAt;
  /** One plain sentence: what happened. */
  reason: string;
  failure?: { kind: FailureKind; phase: ProbePhase };
  alert?: TlsAlert;
  errorCode?: string;
  protocol?: string;
  cipher?: string;
  alpn?: string;
  /** The certificates the server presented, leaf first. */
  peerChain: CertSummary[];
  /** PEM of the presented certificates (public material); empty with `detail: 'fast'`. */
  peerChainPem: string[];
  /** SHA-256 fingerprint of the served leaf (`AB:CD:…`, node's spelling), whenever one was served. */
  leafFingerprint?: string;
  /** gRPC targets: the Health/Check call made after an accepted handshake. */
  grpc?: GrpcHealthOutcome;
  /** `wire`: read from the server's Certificate message; `node`: reconstructed by node (the built chain). */
  peerChainSource: 'wire' | 'node' | 'none';
  /** The presented chain verified to the trust anchors and the name matched (node's verdict). */
  authorized: boolean;
  authorizationError?: string;
  clientCertificateOffered: boolean;
  /**
   * A real ServerHello (not a HelloRetryRequest) arrived from the server. A refusal with
   * `serverHello: false` answered the ClientHello itself (alert 70 protocol_version, 112
   * unrecognized_name, any code): it cannot be about client certificates, none was asked for yet.
   * With `detail: 'fast'` (no recording) it is inferred from the key log: the client logs its first
   * secret only after a ServerHello.
   */
  serverHello: boolean;
  /** The server answered the first ClientHello with a HelloRetryRequest (TLS 1.3, RFC 8446 §4.1.4). */
  helloRetryRequest?: true;
  /**
   * Did the server send a CertificateRequest in the INITIAL handshake? Undefined when its flight
   * could not be read. A request made after the handshake is `postHandshakeAuth`, never this.
   */
  certificateRequested?: boolean;
  /**
   * The server started client authentication after the handshake: `tls13`, a CertificateRequest
   * after its Finished (RFC 8446 §4.6.2; node's client does not offer post_handshake_auth, so it
   * cannot answer); `renegotiation`, TLS 1.2 encrypted handshake records from the server after its
   * Finished (a HelloRequest, then the renegotiation our client performs by itself) or a second
   * handshake in the key log. `certificateRequested` inside it: whether the renegotiation carried a
   * CertificateRequest, when that could be read (it is encrypted; absent when unknown).
   */
  postHandshakeAuth?: { kind: 'tls13' } | { kind: 'renegotiation'; certificateRequested?: boolean };
  /** Distinguished names of the CAs the server said it accepts. */
  acceptableCaNames: string[];
  /**
   * The initial handshake's CertificateRequest as sent: its CA names as DER, byte for byte (clients
   * match them that way), and its signature schemes. Absent when none was read.
   */
  certificateRequest?: CertificateRequestInfo & { caNames: Buffer[] };
  /** How the server's handshake flight was read (client-auth detection method) and its limitation if any. */
  handshakeInsight: { method: ServerFlight['method']; limitation?: string };
  /**
   * The client that made the connection when it was not the harness's own: "openssl s_client
   * -enable_pha (OpenSSL 3.0.x)" for TLS 1.3 post-handshake authentication (`pha-client.ts`).
   */
  client?: string;
  /** A connection that needed post-handshake authentication could not be remade: why (no PHA-capable client). */
  phaUnavailable?: string;
  /** TLS 1.3: the server issued a session ticket after our Finished (it processed our certificate). */
  sessionTicket?: boolean;
  httpStatus?: number;
  /** First line of the HTTP response, truncated to 200 characters (hostile input: render escaped). */
  httpStatusLine?: string;
  /** The HTTP `Server` response header (printable ASCII, at most 100 characters), to recognise the server stack. */
  httpServer?: string;
  /**
   * postgres, mysql, redis, mqtt, amqp, ldap, smtp, imap, pop3: how TLS was started and what the application answered (its code
   * and message, printable, bounded). https keeps the `http*` fields and gRPC `grpc`.
   */
  application?: ApplicationEvidence;
  /** `startTlsMs`: the plaintext exchange before TLS (postgres, mysql); `handshakeMs` then counts from its end. */
  timings: { connectMs?: number; startTlsMs?: number; handshakeMs?: number };
  durationMs: number;
}

/** What the connection left behind when it ended: the state machine's facts, for the outcome. */
export interface EndedConnection {
  target: string;
  servername?: string;
  /** What the TLS socket said after the handshake (version, cipher, ALPN, authorization, leaf fingerprint in fast mode). */
  info: Partial<ProbeOutcome>;
  /** The classified end: where and why. */
  end: Partial<ProbeOutcome> & Pick<ProbeOutcome, 'rejectedAt' | 'reason'>;
  /** The server's bytes, decoded. */
  flight: ServerFlight;
  /** The TLS socket, when one was made: node's built chain when the wire showed none. */
  tlsSock?: tls.TLSSocket;
  fast: boolean;
  /** The client logged a secret (fast mode's only sign of a ServerHello). */
  keylogged: boolean;
  /** TLS 1.2 client randoms in the key log: a second one is a second handshake (renegotiation). */
  clientRandoms: number;
  clientCertificateOffered: boolean;
  t0: number;
  connectAt?: number;
  /** When TLS started after a plaintext exchange (STARTTLS protocols). */
  tlsStartAt?: number;
  handshakeAt?: number;
  clock: Clock;
}

/** The outcome of an ended connection. */
export function assembleOutcome(c: EndedConnection): ProbeOutcome {
  const { flight, end, info, fast, connectAt, tlsStartAt, handshakeAt } = c;
  const tlsFrom = tlsStartAt ?? connectAt;
  const certs: X509Certificate[] = [];
  let peerChainSource: ProbeOutcome['peerChainSource'] = 'none';
  for (const der of flight.certificates) {
    const cert = parsedCertificate(der);
    if (cert) certs.push(cert); // an unparsable certificate from the peer is skipped; the chain checks will notice
  }
  if (certs.length > 0) peerChainSource = 'wire';
  else if (c.tlsSock && handshakeAt !== undefined && !fast) {
    certs.push(...nodePeerChain(c.tlsSock));
    if (certs.length > 0) peerChainSource = 'node';
  }
  const renegotiated = (flight.renegotiationRecords ?? 0) > 0 || c.clientRandoms > 1;
  const alertFromFlight = end.alert ?? (end.rejectedAt === 'handshake' || end.rejectedAt === 'post-handshake' ? firstFatalAlert(flight) : undefined);
  return {
    target: c.target,
    ...(c.servername ? { servername: c.servername } : {}),
    ...info,
    ...end,
    ...(alertFromFlight ? { alert: alertFromFlight } : {}),
    peerChain: certs.map((x) => summarizeCertificate(x, c.clock)),
    peerChainPem: certs.map(pemOf),
    peerChainSource,
    ...(certs[0] ? { leafFingerprint: certs[0].fingerprint256 } : {}),
    authorized: info.authorized ?? false,
    clientCertificateOffered: c.clientCertificateOffered,
    acceptableCaNames: flight.acceptableCaNames.map(nameToString),
    ...(flight.certificateRequest ? { certificateRequest: { ...flight.certificateRequest, caNames: flight.acceptableCaNames } } : {}),
    handshakeInsight: { method: flight.method, ...(flight.limitation ? { limitation: flight.limitation } : {}) },
    serverHello: flight.serverHello || handshakeAt !== undefined || (fast && c.keylogged),
    ...(flight.helloRetryRequest ? { helloRetryRequest: true as const } : {}),
    ...(flight.certificateRequested !== undefined ? { certificateRequested: flight.certificateRequested } : {}),
    ...(flight.postHandshakeCertificateRequest
      ? { postHandshakeAuth: { kind: 'tls13' as const } }
      : renegotiated
        ? {
            postHandshakeAuth: {
              kind: 'renegotiation' as const,
              ...(flight.renegotiation?.certificateRequested !== undefined ? { certificateRequested: flight.renegotiation.certificateRequested } : {}),
            },
          }
        : {}),
    ...(flight.version === 'TLSv1.3' ? { sessionTicket: flight.sessionTicket } : {}),
    ...(info.protocol === undefined && flight.version ? { protocol: flight.version } : {}),
    timings: {
      ...(connectAt !== undefined ? { connectMs: roundMs(connectAt - c.t0) } : {}),
      ...(tlsStartAt !== undefined && connectAt !== undefined ? { startTlsMs: roundMs(tlsStartAt - connectAt) } : {}),
      ...(handshakeAt !== undefined && tlsFrom !== undefined ? { handshakeMs: roundMs(handshakeAt - tlsFrom) } : {}),
    },
    durationMs: roundMs(performance.now() - c.t0),
  };
}

/** Milliseconds to a tenth. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Distinguished names decoded once per distinct DER (servers advertise the same CA names on every connection). */
const NAMES = new Map<string, string>();

function nameToString(der: Buffer): string {
  const key = der.toString('latin1');
  const hit = NAMES.get(key);
  if (hit !== undefined) return hit;
  let name: string;
  try {
    name = nameOf(der).toString();
  } catch {
    name = `(undecodable name, ${der.length} bytes)`;
  }
  if (NAMES.size >= 1024) NAMES.clear();
  NAMES.set(key, name);
  return name;
}

/**
 * Peer certificates parsed once per distinct DER (and their PEM): a scan of many targets sees the
 * same chain on every connection. Bounded; parse failures are not cached.
 */
const PARSED = new Map<string, { cert: X509Certificate; pem: string }>();
const PARSED_MAX = 1024;

function parsedCertificate(der: Buffer): X509Certificate | undefined {
  const key = der.toString('latin1');
  const hit = PARSED.get(key);
  if (hit) return hit.cert;
  try {
    const cert = new X509Certificate(der);
    if (PARSED.size >= PARSED_MAX) PARSED.clear();
    PARSED.set(key, { cert, pem: cert.toString() });
    return cert;
  } catch {
    return undefined;
  }
}

function pemOf(c: X509Certificate): string {
  return PARSED.get(c.raw.toString('latin1'))?.pem ?? c.toString();
}

function nodePeerChain(sock: tls.TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let c: tls.DetailedPeerCertificate | undefined = sock.getPeerCertificate(true) as tls.DetailedPeerCertificate;
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    try {
      out.push(new X509Certificate(c.raw));
    } catch {
      break;
    }
    c = c.issuerCertificate;
  }
  return out;
}
