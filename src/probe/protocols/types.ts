/**
 * The shape of a protocol module (docs/architecture.md "Protocols"): how TLS starts, what is sent
 * after the handshake, what the answer means, and how a refusal at its layer is worded. The state
 * machine (`tls-probe.ts`) calls these; it knows no protocol by name.
 */
import type * as net from 'node:net';
import type { ProbeOptions } from '../options.js';
import type { ProbeOutcome } from '../outcome.js';
import type { ApplicationEvidence, Classified } from '../rejection.js';
import type { Protocol } from './names.js';

/** What a protocol session knows of its probe. */
export interface ProtocolContext {
  opts: ProbeOptions;
  /** The SNI sent (none for an IP address without `servername`). */
  servername?: string;
  /** postgres, mysql, imap, pop3: the user to log in as (`options.ts` `appUserOf`). */
  appUser: string;
}

/**
 * How the plaintext exchange before TLS ended: TLS may start (with what the server said, as
 * evidence), or the probe ends there, `unreachable` with `failure.kind` `starttls` (or `timeout`,
 * `reset`), never a verdict on a certificate: none was sent yet.
 */
export type StartTlsResult = { ok: true; evidence: ApplicationEvidence } | { ok: false; end: Classified & { rejectedAt: 'unreachable' } };

/**
 * What the application's answer means: `accepted` (the application answered: served),
 * `application` (an application-layer refusal), `unreachable` (it cannot serve now, or its answer
 * is not the protocol's). The classified fields of the outcome, with the evidence in `application`
 * (https: the `http*` fields).
 */
export type AppVerdict = Classified & { rejectedAt: 'accepted' | 'application' | 'unreachable' };

/** One connection's conversation: made per probe, so it can keep what the server said before TLS. */
export interface ProtocolSession {
  /**
   * The plaintext exchange on the raw socket after TCP connect, before the ClientHello. It must
   * leave the socket paused with no byte of the server's unread: the TLS client reads from there.
   */
  startTls?(raw: net.Socket): Promise<StartTlsResult>;
  /** Why TLS had not started when the probe's budget ran out ("no answer to the SSLRequest within 5000 ms"). */
  startTlsStalled?(timeoutMs: number): string;
  /**
   * The bytes sent once after the handshake (after the TLS 1.3 verdict wait). A session without a
   * request only reads: the connection is accepted when the server sends data, or when it stays open
   * for `graceMs` (raw TLS).
   */
  request?(): Buffer | string;
  /**
   * What the server's bytes after the handshake mean: `undefined` when more are needed.
   * `ended` (the connection ended, or the probe's read limit was reached): with bytes buffered, a
   * verdict must come back (a truncated answer is classified too); with none, `undefined` leaves the
   * end to the TLS classification (an alert, a close). Never throws on hostile bytes.
   */
  read(buffered: Buffer, ended: boolean): AppVerdict | undefined;
}

/**
 * How auto-detection recognises a protocol (docs/protocols.md "Detection"): the names a Service
 * port or `appProtocol` gives it (k8s scan) and, for a server that speaks first in plaintext
 * (SMTP, IMAP, POP3, MySQL), whether its greeting is this protocol's. The well-known ports are
 * `defaultPorts`. What the detector does with them is `src/probe/detect.ts`.
 */
export interface ProtocolDetection {
  /** Port names and `appProtocol` values naming the protocol (a `-suffix` is allowed: `postgres-tls`). */
  names?: readonly string[];
  /** The first bytes a server sent after connect, before the client sent anything: are they this protocol's greeting? Never throws. */
  greeting?(first: Buffer): boolean;
  /** A raw-TLS protocol: is the application's answer to this module's request (`ProbeOutcome.application`) really this protocol's? */
  recognises?(app: ApplicationEvidence): boolean;
}

/** A protocol of the registry. */
export interface ProtocolModule<P extends Protocol = Protocol> {
  name: P;
  /** In prose: "PostgreSQL". */
  title: string;
  /** The layer a refusal after TLS is at, in words: "at the PostgreSQL layer (…)". None for raw TLS. */
  layer?: string;
  /**
   * Whether a plaintext HTTP/1.1 or h2c request to the port tests what this protocol would serve
   * without TLS (reject.plaintext): true for https, grpc and raw TLS; a database or broker speaks
   * its own plaintext protocol, which the harness does not send yet.
   */
  plaintextHttp: boolean;
  /** Well-known ports: hints for auto-detection. */
  defaultPorts: readonly number[];
  /** How auto-detection recognises it (names, greeting). */
  detection?: ProtocolDetection;
  /** ALPN protocols offered by default. */
  alpn: readonly string[];
  /** How TLS starts, in words (for the docs and the evidence). */
  startsTls: 'at connect' | string;
  /** The answer awaited after the request, for the deadline's reason ("no HTTP response arrived within …"). */
  answer?: string;
  /** What an ALPN refusal (alert 120) means for this protocol. */
  alpnRefusal?: string;
  /** What a server that closes without a byte of answer to the ClientHello most likely is, for this protocol (added to the reason). */
  unansweredHello?: string;
  session(ctx: ProtocolContext): ProtocolSession;
  /** After an accepted connection (full probe, exchange mode): a further call that decides what was served (gRPC Health/Check). */
  afterAccepted?(opts: ProbeOptions, o: ProbeOutcome): Promise<ProbeOutcome>;
  /** A refusal at this layer, in a few words for "at the … layer (…)": the status line, the SQLSTATE and message. */
  refusal(o: ProbeOutcome): string;
  /**
   * What would decide a refusal when the valid client (the control) was refused too: asked of the
   * module that answered an application-layer refusal, else of the protocol probed.
   */
  controlRefusedHint?(control: ProbeOutcome): string | undefined;
}
