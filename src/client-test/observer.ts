import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { HarnessError } from '../core/errors.js';
import { alertFromError, type TlsAlert } from '../probe/alerts.js';
import { safeText } from '../core/text.js';
import { redactText } from '../core/redact.js';

/** What the observing server serves and asks for. */
export interface ObserverOptions {
  /** The server's certificate chain as sent on the wire (leaf first), PEM. */
  certChainPem: string;
  /** The server's private key, PEM (any form node:tls loads). Held in memory only. */
  keyPem: string;
  /**
   * Trust anchors for client certificates (PEM). When given, the server asks for a client
   * certificate (never requires one: it observes, it does not enforce) and records whether it
   * chains to these anchors.
   */
  clientCaPem?: string;
  /** Default 127.0.0.1; the observer never listens elsewhere unless told. */
  host?: string;
}

/** A client certificate as the observer saw it. */
export interface SeenClientCert {
  subject: string;
  issuer: string;
  fingerprint256: string;
  /** Certificates the client sent (leaf first), when the server can tell (node can, nginx cannot). */
  chainLength?: number;
  /** Verified by OpenSSL against `clientCaPem` (chain, signatures, dates, purpose). */
  chains: boolean;
  /** OpenSSL's reason when it does not chain, e.g. `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`. */
  verifyError?: string;
}

/** One TCP connection the client opened to the observer, and everything seen on it. */
export interface ConnectionObservation {
  /** Milliseconds since the observer started (performance clock). */
  atMs: number;
  /** The TLS handshake: the client's Finished arrived (`completed`), or it ended before (`failed`). */
  handshake: 'completed' | 'failed' | 'incomplete';
  /** SNI the client sent, if any. */
  servername?: string;
  protocol?: string;
  /** A TLS alert the client sent (e.g. 48 unknown_ca when it refuses the server's chain). */
  clientAlert?: TlsAlert;
  /**
   * Why the handshake failed on the server's side when it was not the client's alert: a reset, or a
   * server-side error (e.g. no signature algorithm in common with this key) — then `serverSide` is true.
   */
  handshakeError?: { code: string; message: string; serverSide: boolean };
  clientCert?: SeenClientCert;
  /** HTTP requests that arrived (method and path). */
  requests: { method: string; path: string }[];
  /** Application data that was not an HTTP request (a raw TLS client wrote something). */
  otherData: boolean;
  closed: boolean;
}

/** A summary of everything one client run did to the observer. */
export interface Observation {
  connections: ConnectionObservation[];
  /** The client opened at least one TCP connection. */
  reached: boolean;
  /** Some connection completed the TLS handshake (the client sent its Finished: it accepted the server's certificate, at least for the moment). */
  handshakeCompleted: boolean;
  /** Application data arrived: the client trusted the server enough to talk. */
  dataArrived: boolean;
  requests: { method: string; path: string }[];
  clientAlert?: TlsAlert;
  clientCert?: SeenClientCert;
  /** A handshake failed because of the server itself (e.g. its key type), not the client. */
  serverSideFailure?: { code: string; message: string };
}

/** A running observing server, whatever the implementation (node in-process, nginx from its logs). */
export interface StartedObserver {
  host: string;
  port: number;
  /** Waits (at most `maxMs`) until the client's last events are in, after its command exited. */
  settle(maxMs?: number): Promise<void>;
  observation(): Observation;
  stop(): Promise<void>;
}

/** Sums up the connections of one client run. */
export function summarizeObservation(connections: ConnectionObservation[]): Observation {
  const requests = connections.flatMap((c) => c.requests);
  const alert = connections.find((c) => c.clientAlert)?.clientAlert;
  const cert = connections.find((c) => c.clientCert?.chains)?.clientCert ?? connections.find((c) => c.clientCert)?.clientCert;
  const serverSide = connections.find((c) => c.handshakeError?.serverSide)?.handshakeError;
  return {
    connections,
    reached: connections.length > 0,
    handshakeCompleted: connections.some((c) => c.handshake === 'completed'),
    dataArrived: requests.length > 0 || connections.some((c) => c.otherData),
    requests,
    ...(alert ? { clientAlert: alert } : {}),
    ...(cert ? { clientCert: cert } : {}),
    ...(serverSide ? { serverSideFailure: { code: serverSide.code, message: serverSide.message } } : {}),
  };
}

const ALERT_CODE = /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_/;
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ERR_SSL_UNEXPECTED_EOF_WHILE_READING']);

/**
 * A node:https server that observes what a client under test does: whether it completes the
 * handshake (accepts the server's certificate), which alert it sends when it refuses, whether it
 * presents a client certificate and whether that certificate chains to the given CA, and which
 * HTTP requests arrive. It answers every request with 200 and never refuses anyone: refusing is
 * the client's job here.
 */
export class ObservingServer implements StartedObserver {
  private server?: https.Server;
  /** By the raw TCP socket: a TLS socket's `_parent` (its remote address is gone once it is reset). */
  private readonly conns = new WeakMap<Socket, ConnectionObservation>();
  private readonly order: ConnectionObservation[] = [];
  private readonly sockets = new Set<Socket>();
  private t0 = 0;
  port = 0;
  host = '127.0.0.1';

  constructor(private readonly opts: ObserverOptions) {}

  /** Starts listening on an ephemeral port. Throws `target.start-failed` when node cannot load the credential. */
  async start(): Promise<this> {
    const askCert = this.opts.clientCaPem !== undefined;
    let server: https.Server;
    try {
      server = https.createServer(
        {
          cert: this.opts.certChainPem,
          key: this.opts.keyPem,
          ...(askCert ? { ca: this.opts.clientCaPem, requestCert: true } : {}),
          rejectUnauthorized: false,
        },
        (req, res) => this.onRequest(req, res),
      );
    } catch (e) {
      throw new HarnessError(
        'target.start-failed',
        `the observing server cannot use this certificate and key: ${safeText((e as Error).message.split('\n')[0] ?? '', 200)}`,
        { cause: e },
      );
    }
    this.server = server;
    this.t0 = performance.now();
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      const obs: ConnectionObservation = {
        atMs: Math.round(performance.now() - this.t0),
        handshake: 'incomplete',
        requests: [],
        otherData: false,
        closed: false,
      };
      this.conns.set(s, obs);
      this.order.push(obs);
      s.once('close', () => {
        this.sockets.delete(s);
        obs.closed = true;
      });
    });
    server.on('secureConnection', (sock: tls.TLSSocket) => {
      const obs = this.obsOf(sock);
      if (!obs) return;
      obs.handshake = 'completed';
      if (typeof sock.servername === 'string') obs.servername = sock.servername;
      const protocol = sock.getProtocol();
      if (protocol) obs.protocol = protocol;
      if (askCert) {
        const peer = sock.getPeerX509Certificate();
        if (peer) {
          let n = 0;
          const seen = new Set<string>();
          for (
            let c = sock.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
            c?.raw && !seen.has(c.fingerprint256);
            c = c.issuerCertificate
          ) {
            seen.add(c.fingerprint256);
            n++;
          }
          obs.clientCert = {
            subject: safeText(peer.subject.replace(/\n/g, ', '), 300),
            issuer: safeText(peer.issuer.replace(/\n/g, ', '), 300),
            fingerprint256: peer.fingerprint256,
            chainLength: n,
            chains: sock.authorized,
            ...(sock.authorizationError ? { verifyError: String(sock.authorizationError) } : {}),
          };
        }
      }
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, sock: tls.TLSSocket) => {
      const obs = this.obsOf(sock);
      if (!obs) return;
      obs.handshake = 'failed';
      if (typeof sock.servername === 'string') obs.servername = sock.servername;
      const alert = alertFromError(err);
      const code = err.code ?? 'ERR_UNKNOWN';
      if (alert && ALERT_CODE.test(code)) obs.clientAlert = alert;
      else
        obs.handshakeError = {
          code,
          message: safeText(err.message.split('\n')[0] ?? '', 200),
          serverSide: !CLIENT_GONE.has(code) && !/disconnected before secure TLS/i.test(err.message),
        };
    });
    server.on('clientError', (err: NodeJS.ErrnoException, sock: Socket) => {
      // Bytes that are not HTTP still mean the client talked to this server.
      const obs = this.obsOf(sock);
      if (obs && String(err.code ?? '').startsWith('HPE_')) obs.otherData = true;
      sock.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) =>
        reject(new HarnessError('target.start-failed', `the observing server could not listen: ${(e as Error).message}`, { cause: e })),
      );
      server.listen(0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    const addr = server.address() as AddressInfo;
    this.port = addr.port;
    this.host = addr.address;
    return this;
  }

  private obsOf(sock: Socket): ConnectionObservation | undefined {
    // node wraps the accepted TCP socket; `_parent` is that socket (undocumented, stable since node 0.11).
    return this.conns.get((sock as Socket & { _parent?: Socket })._parent ?? sock) ?? this.conns.get(sock);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const obs = this.obsOf(req.socket);
    obs?.requests.push({ method: safeText(req.method ?? '?', 20), path: safeText(redactText(req.url ?? '?'), 200) });
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
    res.end('hello from the mtls-harness observing server\n');
  }

  /**
   * Waits until every connection the client opened is closed (its process exited, so the kernel
   * closes them), at most `maxMs`: the server's last events (an alert, a request) are then in.
   */
  async settle(maxMs = 1000): Promise<void> {
    const deadline = performance.now() + maxMs;
    while (this.order.some((o) => !o.closed) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  /** What happened so far, summarised. */
  observation(): Observation {
    return summarizeObservation(this.order.map((o) => ({ ...o, requests: [...o.requests] })));
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }
}
