/**
 * What the probe does after the handshake: wait for a TLS 1.3 server's verdict on our certificate
 * before speaking (`afterVerdict`), the one HTTP/1.1 request of an https probe (`httpRequest`), and
 * the gRPC Health/Check call that decides what an accepted gRPC connection served (`withGrpcCall`).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { grpcHealthCheck } from './grpc.js';
import { sniOf, tlsContextOptions, type ProbeOptions } from './options.js';
import { roundMs, type ProbeOutcome } from './outcome.js';

/** TLS 1.3: how long to wait for the server's verdict on our certificate before sending the request. */
export const VERDICT_WINDOW_MS = 500;

/**
 * TLS 1.3: the server judges our certificate after our Finished and answers with a session
 * ticket (accepted) or an alert (refused). Anything sent before that verdict races it: a server
 * that refuses and closes with our request unread sends a TCP reset, and the reset can destroy
 * the alert before we read it. So wait for the ticket, the alert, or a short window.
 */
export function afterVerdict(sock: tls.TLSSocket, then: (ticket: boolean) => void): void {
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

/** The one request of an https probe: GET the path, Host the SNI (else the host, an IPv6 one in brackets), then close. */
export function httpRequest(opts: Pick<ProbeOptions, 'host' | 'port' | 'httpPath'>, servername: string | undefined): string {
  const hostHeader = servername ?? (net.isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host);
  return `GET ${opts.httpPath ?? '/'} HTTP/1.1\r\nHost: ${hostHeader}:${opts.port}\r\nUser-Agent: mtls-harness\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
}

/** gRPC statuses that mean "refused at the application layer" (the gRPC analogue of HTTP 401/403). */
const GRPC_REFUSALS = new Set([7, 16]);
/** Statuses the client produces itself when no gRPC answer came (the transport failed). */
const GRPC_NO_ANSWER = new Set([1, 4, 14]);

/** An accepted gRPC connection: one Health/Check call over the same credentials decides what was served. */
export async function withGrpcCall(opts: ProbeOptions, o: ProbeOutcome): Promise<ProbeOutcome> {
  const context = opts.secureContext?.context ?? tls.createSecureContext(tlsContextOptions(opts));
  const servername = sniOf(opts);
  const g = await grpcHealthCheck({ host: opts.host, port: opts.port, ...(servername ? { servername } : {}), secureContext: context, timeoutMs: Math.max(1000, (opts.timeoutMs ?? 5000) - o.durationMs) });
  const detail = g.details ? ` (${g.details})` : '';
  const base = { ...o, grpc: g, durationMs: roundMs(o.durationMs + g.durationMs) };
  if (GRPC_REFUSALS.has(g.code)) return { ...base, rejectedAt: 'application', reason: `the TLS connection was established, then the gRPC Health/Check call was refused with ${g.codeName}${detail}` };
  if (g.code === 0) return { ...base, reason: `the gRPC Health/Check call was answered: ${g.servingStatus}` };
  if (GRPC_NO_ANSWER.has(g.code)) return { ...base, reason: `the TLS handshake was accepted, but the gRPC Health/Check call got no answer: ${g.codeName}${detail}` };
  return { ...base, reason: `the gRPC Health/Check call was answered with ${g.codeName}${detail}` };
}
