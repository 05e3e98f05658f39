import * as net from 'node:net';
import * as tls from 'node:tls';
import { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { X509Certificate } from 'node:crypto';
import { HarnessError } from '../core/errors.js';
import { nameOf } from '../pki/fields.js';
import { summarizeCertificate } from '../pki/inspect.js';
import type { CertSummary } from '../core/model.js';
import { systemClock, type Clock } from '../core/clock.js';
import { alertFromError, type TlsAlert } from './alerts.js';
import { classifyConnectError, classifyHttp, classifyTlsEnd, firstFatalAlert, printable, type FailureKind, type RejectedAt } from './rejection.js';
import { ServerFlightRecorder, type ServerFlight } from './tls-records.js';
import { formatEndpoint } from '../core/endpoint.js';
import type { TlsVersion } from '../core/target.js';
import { grpcHealthCheck, type GrpcHealthOutcome } from './grpc.js';

export interface ProbeOptions {
  host: string;
  port: number;
  /** SNI and the name the server certificate is checked against (default: host, unless it is an IP). */
  servername?: string;
  /** Trust anchors (PEM). Without it the system store is used for `authorized`. */
  ca?: string | Buffer;
  /** Client certificate chain (PEM, leaf first). Give with `key`, or neither. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** ALPN protocols offered (default `['http/1.1']` for https, `['h2']` for grpc, none for tls). */
  alpn?: string[];
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  /** OpenSSL cipher string (e.g. `DEFAULT:@SECLEVEL=0` to be able to offer a TLS 1.1 hello at all). */
  ciphers?: string;
  /** Budget for the whole probe, connect to verdict, in ms (default 5000). */
  timeoutMs?: number;
  /** Raw TLS: how long the connection must stay open after the handshake to count as accepted (default 300 ms). */
  graceMs?: number;
  /**
   * `https` sends one HTTP/1.1 request after the handshake; `tls` only reads; `grpc` offers ALPN h2,
   * reads like `tls`, and when the connection is accepted makes one real grpc.health.v1 Health/Check
   * call with the same credentials (default `https`).
   */
  protocol?: 'https' | 'tls' | 'grpc';
  /** Path of the HTTP request (default `/`). */
  httpPath?: string;
  /** HTTP statuses that mean "refused at the application layer" (default 400, 401, 403, 495, 496). */
  rejectStatuses?: number[];
  /**
   * A prepared secure context (trust anchors and client credentials) used instead of ca/cert/key:
   * no PEM parsing per connection (the rotation prober). `withClientCert` says whether it holds one.
   */
  secureContext?: { context: tls.SecureContext; withClientCert: boolean };
  /**
   * `exchange` (default): after the handshake, an HTTP request (https) or a read (tls).
   * `handshake`: accepted as soon as the server's verdict on the handshake is known, without
   * application data: TLS 1.2 its Finished; TLS 1.3 a session ticket (or no alert within the
   * verdict window). Refusals at the HTTP layer are not seen in this mode.
   */
  until?: 'exchange' | 'handshake';
  /**
   * `full` (default): the server's bytes are recorded (alerts, CertificateRequest, the chain as
   * sent) and the chain summarised. `fast`: a native TLS socket, alerts from the TLS library's
   * error, only the leaf's fingerprint; a server that closes mid-handshake without an alert cannot
   * be told from one that never spoke TLS. For the rotation prober's thousands of attempts.
   */
  detail?: 'full' | 'fast';
  /** DNS lookup override (tests use it to simulate resolution failures without touching a resolver). */
  lookup?: net.LookupFunction;
  clock?: Clock;
}

/** The answer of a probe: data, never an exception for target behaviour. */
export interface ProbeOutcome {
  target: string;
  servername?: string;
  rejectedAt: RejectedAt;
  /** One plain sentence: what happened. */
  reason: string;
  failure?: { kind: FailureKind; phase: 'connect' | 'handshake' | 'exchange' };
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
  /** How the server's handshake flight was read (client-auth detection method) and its limitation if any. */
  handshakeInsight: { method: ServerFlight['method']; limitation?: string };
  /** TLS 1.3: the server issued a session ticket after our Finished (it processed our certificate). */
  sessionTicket?: boolean;
  httpStatus?: number;
  /** First line of the HTTP response, truncated to 200 characters (hostile input: render escaped). */
  httpStatusLine?: string;
  /** The HTTP `Server` response header (printable ASCII, at most 100 characters), to recognise the server stack. */
  httpServer?: string;
  timings: { connectMs?: number; handshakeMs?: number };
  durationMs: number;
}

const DEFAULT_REJECT_STATUSES = [400, 401, 403, 495, 496];
const VERSIONS: TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Accepts `1.2`, `tls1.2`, `TLSv1.2`; returns node's spelling. */
export function parseTlsVersion(v: string): TlsVersion {
  const m = /^(?:tls\s*v?)?1(?:\.([0-3]))?$/i.exec(v.trim());
  if (m) {
    const minor = m[1] ?? '0';
    const out = minor === '0' ? 'TLSv1' : (`TLSv1.${minor}` as TlsVersion);
    if (VERSIONS.includes(out)) return out;
  }
  throw new HarnessError('usage.invalid-value', `unknown TLS version "${v}": use 1.2 or 1.3 (or TLSv1.2, TLSv1.3)`);
}

/** Passes socket bytes through untouched while letting the recorder see every byte the server sends. */
class TapDuplex extends Duplex {
  constructor(private readonly raw: net.Socket, tap: (b: Buffer) => void) {
    super();
    raw.on('data', (d: Buffer) => {
      tap(d);
      if (!this.push(d)) raw.pause();
    });
    raw.on('end', () => this.push(null));
    raw.on('error', (e) => this.destroy(e));
  }
  override _read(): void {
    this.raw.resume();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.raw.write(chunk, cb);
  }
  /**
   * Buffered chunks go out in one TCP write. TLS hands its flight over record by record; sent as
   * separate segments, a server that refuses after the first ones (and closes) answers the rest with
   * a TCP reset, which can destroy its alert before we read it.
   */
  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.raw.write(Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.raw.end();
    cb();
  }
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.raw.destroy();
    cb(err);
  }
}

function validate(opts: ProbeOptions): void {
  if (!opts.host) throw new HarnessError('usage.missing-argument', 'probe needs a host');
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw new HarnessError('usage.invalid-value', `port ${opts.port} is not in 1..65535`);
  if (opts.secureContext && (opts.ca || opts.cert || opts.key)) throw new HarnessError('usage.invalid-value', 'a prepared secure context replaces ca, cert and key: give one or the other');
  if (!!opts.cert !== !!opts.key) throw new HarnessError('usage.missing-argument', 'a client certificate needs its key and a key needs its certificate: pass both --cert and --key');
  if (opts.timeoutMs !== undefined && !(opts.timeoutMs > 0)) throw new HarnessError('usage.invalid-value', `timeout must be a positive number of milliseconds`);
  // Defence in depth (the loaders validate names and paths at the edge): these go into the request line and Host header.
  for (const [what, v] of [['host', opts.host], ['servername', opts.servername], ['HTTP path', opts.httpPath]] as const) {
    if (v !== undefined && /[\u0000-\u0020\u007f-\u009f]/.test(v)) throw new HarnessError('usage.invalid-value', `${what} "${printable(v, 80)}" contains a space or a control character (CR/LF would inject into the HTTP request): nothing was sent`);
  }
}

/** TLS 1.3: how long to wait for the server's verdict on our certificate before sending the request. */
const VERDICT_WINDOW_MS = 500;

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
 * Connects once and classifies what the server did (CONFORMANCE.md "Rejection, precisely").
 * Never rejects for target behaviour: refused, reset, hung and non-TLS peers are outcomes.
 * After the handshake it always exchanges data (an HTTP request, or a read for `graceMs`) so a
 * TLS 1.3 post-handshake rejection is seen before the connection is called accepted.
 */
export async function probeEndpoint(opts: ProbeOptions): Promise<ProbeOutcome> {
  validate(opts);
  const o = await probeTls(opts);
  if (opts.protocol !== 'grpc' || o.rejectedAt !== 'accepted' || opts.until === 'handshake' || opts.detail === 'fast') return o;
  return withGrpcCall(opts, o);
}

/** gRPC statuses that mean "refused at the application layer" (the gRPC analogue of HTTP 401/403). */
const GRPC_REFUSALS = new Set([7, 16]);
/** Statuses the client produces itself when no gRPC answer came (the transport failed). */
const GRPC_NO_ANSWER = new Set([1, 4, 14]);

/** An accepted gRPC connection: one Health/Check call over the same credentials decides what was served. */
async function withGrpcCall(opts: ProbeOptions, o: ProbeOutcome): Promise<ProbeOutcome> {
  const context = opts.secureContext?.context ?? tls.createSecureContext({ ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.cert && opts.key ? { cert: opts.cert, key: opts.key } : {}), ...(opts.minVersion ? { minVersion: opts.minVersion } : {}), ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}), ...(opts.ciphers ? { ciphers: opts.ciphers } : {}) });
  const servername = opts.servername ?? (net.isIP(opts.host) ? undefined : opts.host);
  const g = await grpcHealthCheck({ host: opts.host, port: opts.port, ...(servername ? { servername } : {}), secureContext: context, timeoutMs: Math.max(1000, (opts.timeoutMs ?? 5000) - o.durationMs) });
  const detail = g.details ? ` (${g.details})` : '';
  const base = { ...o, grpc: g, durationMs: round(o.durationMs + g.durationMs) };
  if (GRPC_REFUSALS.has(g.code)) return { ...base, rejectedAt: 'application', reason: `the TLS connection was established, then the gRPC Health/Check call was refused with ${g.codeName}${detail}` };
  if (g.code === 0) return { ...base, reason: `the gRPC Health/Check call was answered: ${g.servingStatus}` };
  if (GRPC_NO_ANSWER.has(g.code)) return { ...base, reason: `the TLS handshake was accepted, but the gRPC Health/Check call got no answer: ${g.codeName}${detail}` };
  return { ...base, reason: `the gRPC Health/Check call was answered with ${g.codeName}${detail}` };
}

async function probeTls(opts: ProbeOptions): Promise<ProbeOutcome> {
  const clock = opts.clock ?? systemClock;
  const protocol = opts.protocol ?? 'https';
  const timeoutMs = opts.timeoutMs ?? 5000;
  const graceMs = opts.graceMs ?? 300;
  const rejectStatuses = opts.rejectStatuses ?? DEFAULT_REJECT_STATUSES;
  const servername = opts.servername ?? (net.isIP(opts.host) ? undefined : opts.host);
  const target = formatEndpoint(opts);
  const recorder = new ServerFlightRecorder();
  const t0 = performance.now();

  return new Promise<ProbeOutcome>((resolve) => {
    let settled = false;
    let phase: 'connect' | 'handshake' | 'exchange' = 'connect';
    let connectAt: number | undefined;
    let handshakeAt: number | undefined;
    let tlsSock: tls.TLSSocket | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let rawError: NodeJS.ErrnoException | undefined;
    const http: Buffer[] = [];
    let httpBytes = 0;
    const info: Partial<ProbeOutcome> = {};
    /** The client logged a secret: it has processed a ServerHello (fast mode's only sign of one). */
    let keylogged = false;
    /** TLS 1.2 client randoms in the key log: a second one is a second handshake (renegotiation). */
    const clientRandoms = new Set<string>();

    const fast = opts.detail === 'fast';
    let raw: net.Socket | undefined;

    const deadline = setTimeout(() => {
      if (phase === 'connect') {
        finish({ rejectedAt: 'unreachable', failure: { kind: 'timeout', phase }, reason: `TCP connect to ${target} did not complete within ${timeoutMs} ms (filtered port or unreachable host)` });
      } else if (phase === 'handshake') {
        const got = recorder.bytesReceived;
        finish({
          rejectedAt: 'unreachable',
          failure: { kind: 'timeout', phase },
          reason: fast
            ? `the TLS handshake did not complete within ${timeoutMs} ms`
            : got === 0
              ? `the peer accepted the TCP connection but never answered the TLS ClientHello within ${timeoutMs} ms`
              : `the TLS handshake did not complete within ${timeoutMs} ms (the peer stalled after ${got} bytes)`,
        });
      } else {
        // Connected, not refused, and nothing came back for the whole budget.
        finish({ rejectedAt: 'accepted', reason: protocol === 'https' && opts.until !== 'handshake'
          ? `the connection was accepted and stayed open, but no HTTP response arrived within ${timeoutMs} ms`
          : `the connection was accepted and stayed open` });
      }
    }, timeoutMs);

    if (fast) {
      // A native TLS socket: no tap, no key log (the rotation prober).
      startTls(undefined);
    } else {
      raw = net.connect({ host: opts.host, port: opts.port, ...(opts.lookup ? { lookup: opts.lookup } : {}) });
      raw.setNoDelay(true);
      raw.on('error', (e: NodeJS.ErrnoException) => {
        rawError ??= e;
        if (phase === 'connect') finishConnectError(e);
      });
      raw.once('connect', () => {
        connectAt = performance.now();
        phase = 'handshake';
        startTls(new TapDuplex(raw!, (b) => recorder.push(b)));
      });
    }

    /**
     * TLS 1.3: the server judges our certificate after our Finished and answers with a session
     * ticket (accepted) or an alert (refused). Anything sent before that verdict races it: a server
     * that refuses and closes with our request unread sends a TCP reset, and the reset can destroy
     * the alert before we read it. So wait for the ticket, the alert, or a short window.
     */
    function afterVerdict(sock: tls.TLSSocket, then: (ticket: boolean) => void): void {
      let done = false;
      const go = (ticket: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(window);
        then(ticket);
      };
      const window = setTimeout(() => go(false), VERDICT_WINDOW_MS);
      // Not synchronously: 'session' fires inside OpenSSL's read of the ticket, and a write made
      // there is encrypted but never flushed to the socket (the request is lost and the probe waits
      // out its whole budget). Defer it to the next turn of the event loop.
      sock.once('session', () => setImmediate(() => go(true)));
      sock.once('close', () => clearTimeout(window));
    }

    function startTls(socket: Duplex | undefined): void {
      const tlsOpts: tls.ConnectionOptions = {
        ...(socket ? { socket } : { port: opts.port, ...(opts.lookup ? { lookup: opts.lookup } : {}) }),
        host: opts.host,
        rejectUnauthorized: false,
        ...(servername ? { servername } : {}),
        ...(opts.secureContext ? { secureContext: opts.secureContext.context } : {}),
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.cert && opts.key ? { cert: opts.cert, key: opts.key } : {}),
        ...(opts.minVersion ? { minVersion: opts.minVersion } : {}),
        ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
        ...(opts.ciphers ? { ciphers: opts.ciphers } : {}),
      };
      const alpn = opts.alpn ?? (protocol === 'https' ? ['http/1.1'] : protocol === 'grpc' ? ['h2'] : []);
      if (alpn.length > 0) tlsOpts.ALPNProtocols = alpn;
      let sock: tls.TLSSocket;
      try {
        sock = tls.connect(tlsOpts);
      } catch (e) {
        finish({ rejectedAt: 'unreachable', failure: { kind: 'tls-client', phase }, reason: `the TLS client could not be set up: ${printable((e as Error).message)}` });
        return;
      }
      tlsSock = sock;
      if (!socket) {
        sock.setNoDelay(true);
        sock.once('connect', () => {
          connectAt = performance.now();
          phase = 'handshake';
        });
      }
      sock.on('keylog', (line: Buffer) => {
        keylogged = true;
        if (socket) recorder.addKeylogLine(line);
        const m = /^CLIENT_RANDOM ([0-9a-fA-F]{64}) /.exec(line.toString('latin1'));
        if (m && clientRandoms.size < 16) clientRandoms.add(m[1]!.toLowerCase());
      });
      sock.once('secureConnect', () => {
        handshakeAt = performance.now();
        phase = 'exchange';
        info.protocol = sock.getProtocol() ?? undefined;
        if (sock.alpnProtocol) info.alpn = sock.alpnProtocol;
        info.authorized = sock.authorized;
        if (sock.authorizationError) info.authorizationError = String(sock.authorizationError);
        // getPeerCertificate's fingerprint costs a third of getPeerX509Certificate's (measured):
        // it matters at the rotation prober's hundreds of handshakes per second.
        if (fast) {
          // (The full probe takes the fingerprint from the chain it reads off the wire.)
          const leaf = sock.getPeerCertificate();
          if (leaf?.fingerprint256) info.leafFingerprint = leaf.fingerprint256;
        }
        const cipher = sock.getCipher();
        info.cipher = cipher?.standardName ?? cipher?.name;
        if (opts.until === 'handshake') {
          if (info.protocol === 'TLSv1.3') {
            afterVerdict(sock, (ticket) => {
              if (!sock.destroyed) finish({ rejectedAt: 'accepted', reason: ticket ? 'the server completed the handshake and issued a session ticket (it accepted our certificate)' : `the server completed the handshake and sent no alert within ${VERDICT_WINDOW_MS} ms` });
            });
          } else {
            finish({ rejectedAt: 'accepted', reason: 'the server completed the handshake (its Finished follows its verification of our certificate)' });
          }
          return;
        }
        if (protocol === 'https') {
          const hostHeader = servername ?? (net.isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host);
          const send = () => {
            if (!sock.destroyed && sock.writable) sock.write(`GET ${opts.httpPath ?? '/'} HTTP/1.1\r\nHost: ${hostHeader}:${opts.port}\r\nUser-Agent: mtls-harness\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
          };
          if (info.protocol === 'TLSv1.3') afterVerdict(sock, send);
          else send();
        } else {
          graceTimer = setTimeout(() => finish({ rejectedAt: 'accepted', reason: `the server completed the handshake and kept the connection open for ${graceMs} ms` }), graceMs);
        }
      });
      sock.on('data', (d: Buffer) => {
        if (protocol !== 'https') {
          finish({ rejectedAt: 'accepted', reason: 'the server completed the handshake and sent application data' });
          return;
        }
        if (httpBytes < 16384) {
          http.push(d);
          httpBytes += d.length;
        }
        const text = Buffer.concat(http).toString('latin1');
        if (text.includes('\r\n\r\n') || text.includes('\n\n') || httpBytes >= 16384) finishHttp(text);
      });
      sock.on('error', (e: NodeJS.ErrnoException) => {
        if (phase === 'connect') finishConnectError(e);
        else onTlsEnd(e);
      });
      sock.on('end', () => onTlsEnd(undefined));
      sock.on('close', () => onTlsEnd(undefined));
    }

    function finishConnectError(e: NodeJS.ErrnoException): void {
      finish(classifyConnectError(e.code, target, opts.host));
    }

    function finishHttp(text: string): void {
      const c = classifyHttp(text, rejectStatuses);
      if (c.httpServer !== undefined) info.httpServer = c.httpServer;
      const { httpServer: _, ...rest } = c;
      finish(rest);
    }

    function onTlsEnd(err: Error | undefined): void {
      if (settled) return;
      if (phase === 'exchange' && protocol === 'https' && httpBytes > 0) {
        finishHttp(Buffer.concat(http).toString('latin1'));
        return;
      }
      if (phase === 'connect') return;
      const ownCode = (err as NodeJS.ErrnoException | undefined)?.code;
      const flight = recorder.decode();
      finish(
        classifyTlsEnd({
          phase,
          fast,
          ...(err ? { err: { ...(ownCode ? { code: ownCode } : {}), message: err.message } } : {}),
          ...((ownCode ?? rawError?.code) ? { errCode: (ownCode ?? rawError?.code)! } : {}),
          flight,
          ...((firstFatalAlert(flight) ?? alertFromError(err)) ? { alert: (firstFatalAlert(flight) ?? alertFromError(err))! } : {}),
          bytesReceived: recorder.bytesReceived,
          offeredAlpn: opts.alpn ?? (protocol === 'https' ? ['http/1.1'] : protocol === 'grpc' ? ['h2'] : []),
          protocol,
          renegotiated: (flight.renegotiationRecords ?? 0) > 0 || clientRandoms.size > 1,
        }),
      );
    }

    function finish(partial: Partial<ProbeOutcome> & Pick<ProbeOutcome, 'rejectedAt' | 'reason'>): void {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (graceTimer) clearTimeout(graceTimer);
      const flight = recorder.decode();
      let peerChainPem: string[] = [];
      let peerChainSource: ProbeOutcome['peerChainSource'] = 'none';
      const certs: X509Certificate[] = [];
      for (const der of flight.certificates) {
        const c = parsedCertificate(der);
        if (c) certs.push(c); // an unparsable certificate from the peer is skipped; the chain checks will notice
      }
      if (certs.length > 0) peerChainSource = 'wire';
      else if (tlsSock && handshakeAt !== undefined && !fast) {
        certs.push(...nodePeerChain(tlsSock));
        if (certs.length > 0) peerChainSource = 'node';
      }
      peerChainPem = certs.map((c) => pemOf(c));
      const alertFromFlight = partial.alert ?? (partial.rejectedAt === 'handshake' || partial.rejectedAt === 'post-handshake' ? firstFatalAlert(flight) : undefined);
      const outcome: ProbeOutcome = {
        target,
        ...(servername ? { servername } : {}),
        ...info,
        ...partial,
        ...(alertFromFlight ? { alert: alertFromFlight } : {}),
        peerChain: certs.map((c) => summarizeCertificate(c, clock)),
        peerChainPem,
        peerChainSource,
        ...(certs[0] ? { leafFingerprint: certs[0].fingerprint256 } : {}),
        authorized: info.authorized ?? false,
        clientCertificateOffered: !!(opts.cert && opts.key) || !!opts.secureContext?.withClientCert,
        acceptableCaNames: flight.acceptableCaNames.map(nameToString),
        handshakeInsight: { method: flight.method, ...(flight.limitation ? { limitation: flight.limitation } : {}) },
        serverHello: flight.serverHello || handshakeAt !== undefined || (fast && keylogged),
        ...(flight.helloRetryRequest ? { helloRetryRequest: true as const } : {}),
        ...(flight.certificateRequested !== undefined ? { certificateRequested: flight.certificateRequested } : {}),
        ...(flight.postHandshakeCertificateRequest ? { postHandshakeAuth: { kind: 'tls13' as const } } : (flight.renegotiationRecords ?? 0) > 0 || clientRandoms.size > 1 ? { postHandshakeAuth: { kind: 'renegotiation' as const, ...(flight.renegotiation?.certificateRequested !== undefined ? { certificateRequested: flight.renegotiation.certificateRequested } : {}) } } : {}),
        ...(flight.version === 'TLSv1.3' ? { sessionTicket: flight.sessionTicket } : {}),
        ...(info.protocol === undefined && flight.version ? { protocol: flight.version } : {}),
        timings: {
          ...(connectAt !== undefined ? { connectMs: round(connectAt - t0) } : {}),
          ...(handshakeAt !== undefined && connectAt !== undefined ? { handshakeMs: round(handshakeAt - connectAt) } : {}),
        },
        durationMs: round(performance.now() - t0),
      };
      tlsSock?.destroy();
      raw?.destroy();
      resolve(outcome);
    }
  });
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

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
