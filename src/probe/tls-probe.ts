/**
 * The probe: one connection, driven through its phases (connect, handshake, exchange) and classified
 * when it ends (CONFORMANCE.md "Rejection, precisely"). The parts around the state machine live
 * beside it: `options.ts` (what a probe is asked, validated; the TLS settings derived), `tap.ts` (the
 * byte tap the flight recorder reads), `tls-records.ts` (the server's flight decoded),
 * `rejection.ts` (how an end is classified, pure), `exchange.ts` (after the handshake: the TLS 1.3
 * verdict wait, the HTTP request, the gRPC call) and `outcome.ts` (the outcome put together).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../core/clock.js';
import { formatEndpoint } from '../core/endpoint.js';
import { alertFromError } from './alerts.js';
import { afterVerdict, httpRequest, VERDICT_WINDOW_MS, withGrpcCall } from './exchange.js';
import { offeredAlpn, sniOf, tlsContextOptions, validateProbeOptions, type ProbeOptions } from './options.js';
import { assembleOutcome, type ProbeOutcome } from './outcome.js';
import { classifyConnectError, classifyHttp, classifyTlsEnd, firstFatalAlert, printable } from './rejection.js';
import { TapDuplex } from './tap.js';
import { ServerFlightRecorder } from './tls-records.js';

export { parseTlsVersion, type ProbeOptions } from './options.js';
export type { ProbeOutcome } from './outcome.js';

const DEFAULT_REJECT_STATUSES = [400, 401, 403, 495, 496];

/**
 * Connects once and classifies what the server did (CONFORMANCE.md "Rejection, precisely").
 * Never rejects for target behaviour: refused, reset, hung and non-TLS peers are outcomes.
 * After the handshake it always exchanges data (an HTTP request, or a read for `graceMs`) so a
 * TLS 1.3 post-handshake rejection is seen before the connection is called accepted.
 */
export async function probeEndpoint(opts: ProbeOptions): Promise<ProbeOutcome> {
  validateProbeOptions(opts);
  const o = await probeTls(opts);
  if (opts.protocol !== 'grpc' || o.rejectedAt !== 'accepted' || opts.until === 'handshake' || opts.detail === 'fast') return o;
  return withGrpcCall(opts, o);
}

async function probeTls(opts: ProbeOptions): Promise<ProbeOutcome> {
  const clock = opts.clock ?? systemClock;
  const protocol = opts.protocol ?? 'https';
  const timeoutMs = opts.timeoutMs ?? 5000;
  const graceMs = opts.graceMs ?? 300;
  const rejectStatuses = opts.rejectStatuses ?? DEFAULT_REJECT_STATUSES;
  const servername = sniOf(opts);
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

    function startTls(socket: Duplex | undefined): void {
      const tlsOpts: tls.ConnectionOptions = {
        ...(socket ? { socket } : { port: opts.port, ...(opts.lookup ? { lookup: opts.lookup } : {}) }),
        host: opts.host,
        rejectUnauthorized: false,
        ...(servername ? { servername } : {}),
        ...(opts.secureContext ? { secureContext: opts.secureContext.context } : {}),
        ...tlsContextOptions(opts),
      };
      const alpn = offeredAlpn(opts);
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
          const send = () => {
            if (!sock.destroyed && sock.writable) sock.write(httpRequest(opts, servername));
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
          offeredAlpn: offeredAlpn(opts),
          protocol,
          renegotiated: (flight.renegotiationRecords ?? 0) > 0 || clientRandoms.size > 1,
        }),
      );
    }

    function finish(end: Partial<ProbeOutcome> & Pick<ProbeOutcome, 'rejectedAt' | 'reason'>): void {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (graceTimer) clearTimeout(graceTimer);
      const outcome = assembleOutcome({
        target,
        ...(servername ? { servername } : {}),
        info,
        end,
        flight: recorder.decode(),
        ...(tlsSock ? { tlsSock } : {}),
        fast,
        keylogged,
        clientRandoms: clientRandoms.size,
        clientCertificateOffered: !!(opts.cert && opts.key) || !!opts.secureContext?.withClientCert,
        t0,
        ...(connectAt !== undefined ? { connectAt } : {}),
        ...(handshakeAt !== undefined ? { handshakeAt } : {}),
        clock,
      });
      tlsSock?.destroy();
      raw?.destroy();
      resolve(outcome);
    }
  });
}
