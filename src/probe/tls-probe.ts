/**
 * The probe: one connection, driven through its phases (connect, the plaintext exchange before TLS
 * for a protocol that has one, handshake, exchange) and classified when it ends (CONFORMANCE.md
 * "Rejection, precisely"). What is said around TLS is the protocol module's (`protocols/`): this
 * file knows no protocol by name. The parts around the state machine live beside it: `options.ts`
 * (what a probe is asked, validated; the TLS settings derived), `tap.ts` (the byte tap the flight
 * recorder reads), `tls-records.ts` (the server's flight decoded), `rejection.ts` (how an end is
 * classified, pure), `exchange.ts` (the TLS 1.3 verdict wait) and `outcome.ts` (the outcome put
 * together).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../core/clock.js';
import { formatEndpoint } from '../core/endpoint.js';
import { alertFromError } from './alerts.js';
import { afterVerdict, VERDICT_WINDOW_MS } from './exchange.js';
import { appUserOf, sniOf, tlsContextOptions, validateProbeOptions, type ProbeOptions } from './options.js';
import { assembleOutcome, type ProbeOutcome } from './outcome.js';
import { offeredAlpn, protocolModule } from './protocols/index.js';
import { classifyConnectError, classifyTlsEnd, firstFatalAlert, printable, type ApplicationEvidence, type ProbePhase } from './rejection.js';
import { TapDuplex } from './tap.js';
import { ServerFlightRecorder } from './tls-records.js';

export { parseTlsVersion, type ProbeOptions } from './options.js';
export type { ProbeOutcome } from './outcome.js';

/** The most of the server's answer after the handshake that is kept for its protocol to read. */
const READ_MAX = 16384;

/**
 * Connects once and classifies what the server did (CONFORMANCE.md "Rejection, precisely").
 * Never rejects for target behaviour: refused, reset, hung and non-TLS peers are outcomes.
 * After the handshake it always exchanges data (the protocol's request, or a read for `graceMs`) so
 * a TLS 1.3 post-handshake rejection is seen before the connection is called accepted.
 */
export async function probeEndpoint(opts: ProbeOptions): Promise<ProbeOutcome> {
  validateProbeOptions(opts);
  const o = await probeTls(opts);
  const after = protocolModule(opts.protocol).afterAccepted;
  if (!after || o.rejectedAt !== 'accepted' || opts.until === 'handshake' || opts.detail === 'fast') return o;
  return after(opts, o);
}

async function probeTls(opts: ProbeOptions): Promise<ProbeOutcome> {
  const clock = opts.clock ?? systemClock;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const graceMs = opts.graceMs ?? 300;
  const servername = sniOf(opts);
  const target = formatEndpoint(opts);
  const recorder = new ServerFlightRecorder();
  const mod = protocolModule(opts.protocol);
  const session = mod.session({ opts, ...(servername ? { servername } : {}), appUser: appUserOf(opts) });
  const t0 = performance.now();

  return new Promise<ProbeOutcome>((resolve) => {
    let settled = false;
    let phase: ProbePhase = 'connect';
    let connectAt: number | undefined;
    let tlsStartAt: number | undefined;
    let handshakeAt: number | undefined;
    let tlsSock: tls.TLSSocket | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let rawError: NodeJS.ErrnoException | undefined;
    /** What the server said before TLS (STARTTLS protocols): evidence on every end after it. */
    let startEvidence: ApplicationEvidence | undefined;
    /** The server's answer after the handshake, for the protocol to read (at most READ_MAX bytes). */
    const answer: Buffer[] = [];
    let answerBytes = 0;
    const info: Partial<ProbeOutcome> = {};
    /** The client logged a secret: it has processed a ServerHello (fast mode's only sign of one). */
    let keylogged = false;
    /** TLS 1.2 client randoms in the key log: a second one is a second handshake (renegotiation). */
    const clientRandoms = new Set<string>();

    const fast = opts.detail === 'fast';
    let raw: net.Socket | undefined;

    const deadline = setTimeout(() => {
      if (phase === 'connect') {
        finish({
          rejectedAt: 'unreachable',
          failure: { kind: 'timeout', phase },
          reason: `TCP connect to ${target} did not complete within ${timeoutMs} ms (filtered port or unreachable host)`,
        });
      } else if (phase === 'starttls') {
        finish({
          rejectedAt: 'unreachable',
          failure: { kind: 'timeout', phase },
          reason: session.startTlsStalled?.(timeoutMs) ?? `TLS did not start within ${timeoutMs} ms`,
        });
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
        finish({
          rejectedAt: 'accepted',
          reason:
            mod.answer && session.request && opts.until !== 'handshake'
              ? `the connection was accepted and stayed open, but no ${mod.answer} arrived within ${timeoutMs} ms`
              : `the connection was accepted and stayed open`,
        });
      }
    }, timeoutMs);

    if (fast && !session.startTls) {
      // A native TLS socket: no tap, no key log (the rotation prober).
      beginTls(undefined);
    } else {
      const sock = net.connect({ host: opts.host, port: opts.port, ...(opts.lookup ? { lookup: opts.lookup } : {}) });
      raw = sock;
      sock.setNoDelay(true);
      sock.on('error', (e: NodeJS.ErrnoException) => {
        rawError ??= e;
        if (phase === 'connect') finishConnectError(e);
      });
      sock.once('connect', () => {
        connectAt = performance.now();
        // The tap wraps the raw socket only when TLS starts: the plaintext exchange is not part of the TLS flight.
        const overTls = () => beginTls(fast ? sock : new TapDuplex(sock, (b) => recorder.push(b)));
        if (!session.startTls) {
          phase = 'handshake';
          overTls();
          return;
        }
        phase = 'starttls';
        session.startTls(sock).then(
          (r) => {
            if (settled) return;
            if (!r.ok) return finish(r.end);
            startEvidence = r.evidence;
            tlsStartAt = performance.now();
            phase = 'handshake';
            overTls();
          },
          (e: Error) =>
            finish({
              rejectedAt: 'unreachable',
              failure: { kind: 'starttls', phase },
              reason: `the ${mod.title} exchange before TLS failed: ${printable(e.message)}`,
            }),
        );
      });
    }

    /** The TLS client: over `socket` (the tapped or raw TCP socket), or its own connection (fast mode, TLS at connect). */
    function beginTls(socket: Duplex | undefined): void {
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
        finish({
          rejectedAt: 'unreachable',
          failure: { kind: 'tls-client', phase },
          reason: `the TLS client could not be set up: ${printable((e as Error).message)}`,
        });
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
        if (!fast) recorder.addKeylogLine(line);
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
              if (!sock.destroyed)
                finish({
                  rejectedAt: 'accepted',
                  reason: ticket
                    ? 'the server completed the handshake and issued a session ticket (it accepted our certificate)'
                    : `the server completed the handshake and sent no alert within ${VERDICT_WINDOW_MS} ms`,
                });
            });
          } else {
            finish({ rejectedAt: 'accepted', reason: 'the server completed the handshake (its Finished follows its verification of our certificate)' });
          }
          return;
        }
        if (session.request) {
          const request = session.request;
          const send = () => {
            if (!sock.destroyed && sock.writable) sock.write(request());
          };
          // The rotation prober (fast) sends at once: the application's answer is its verdict, and a
          // server that issues no TLS 1.3 ticket (PostgreSQL) would otherwise cost every attempt the
          // whole window. A refusal's alert may then be overtaken by a reset: a failure either way.
          if (info.protocol === 'TLSv1.3' && !fast) afterVerdict(sock, send);
          else send();
        } else {
          graceTimer = setTimeout(
            () => finish({ rejectedAt: 'accepted', reason: `the server completed the handshake and kept the connection open for ${graceMs} ms` }),
            graceMs,
          );
        }
      });
      sock.on('data', (d: Buffer) => {
        if (answerBytes < READ_MAX) {
          answer.push(d);
          answerBytes += d.length;
        }
        const verdict = session.read(Buffer.concat(answer), answerBytes >= READ_MAX);
        if (verdict) finish(verdict);
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

    function onTlsEnd(err: Error | undefined): void {
      if (settled) return;
      if (phase === 'exchange' && answerBytes > 0) {
        // An answer cut short is still the protocol's to read (a truncated HTTP head, a partial message).
        const verdict = session.read(Buffer.concat(answer), true);
        if (verdict) return finish(verdict);
      }
      if (phase === 'connect' || phase === 'starttls') return;
      const ownCode = (err as NodeJS.ErrnoException | undefined)?.code;
      const flight = recorder.decode();
      const alert = firstFatalAlert(flight) ?? alertFromError(err);
      const end = classifyTlsEnd({
        phase,
        fast,
        ...(err ? { err: { ...(ownCode ? { code: ownCode } : {}), message: err.message } } : {}),
        ...((ownCode ?? rawError?.code) ? { errCode: (ownCode ?? rawError?.code)! } : {}),
        flight,
        ...(alert ? { alert } : {}),
        bytesReceived: recorder.bytesReceived,
        offeredAlpn: offeredAlpn(opts),
        ...(mod.alpnRefusal ? { alpnRefusal: mod.alpnRefusal } : {}),
        renegotiated: (flight.renegotiationRecords ?? 0) > 0 || clientRandoms.size > 1,
      });
      // Closed without a byte of answer to the ClientHello: what that most likely is, for this protocol.
      const unanswered = phase === 'handshake' && !keylogged && recorder.bytesReceived === 0 && mod.unansweredHello;
      finish(unanswered && end.rejectedAt === 'unreachable' ? { ...end, reason: `${end.reason}: ${mod.unansweredHello}` } : end);
    }

    function finish(end: Partial<ProbeOutcome> & Pick<ProbeOutcome, 'rejectedAt' | 'reason'>): void {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (graceTimer) clearTimeout(graceTimer);
      const application = startEvidence || end.application ? ({ ...startEvidence, ...end.application } as ApplicationEvidence) : undefined;
      const outcome = assembleOutcome({
        target,
        ...(servername ? { servername } : {}),
        info,
        end: { ...end, ...(application ? { application } : {}) },
        flight: recorder.decode(),
        ...(tlsSock ? { tlsSock } : {}),
        fast,
        keylogged,
        clientRandoms: clientRandoms.size,
        clientCertificateOffered: !!(opts.cert && opts.key) || !!opts.secureContext?.withClientCert,
        t0,
        ...(connectAt !== undefined ? { connectAt } : {}),
        ...(tlsStartAt !== undefined ? { tlsStartAt } : {}),
        ...(handshakeAt !== undefined ? { handshakeAt } : {}),
        clock,
      });
      tlsSock?.destroy();
      raw?.destroy();
      resolve(outcome);
    }
  });
}
