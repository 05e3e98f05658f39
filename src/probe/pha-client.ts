/**
 * TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2) through a reference client:
 * node's TLS client cannot offer it, so a connection that needs it is remade by OpenSSL's
 * `s_client -enable_pha`, run as a child process. The HTTP request goes to its stdin; what the
 * server answered (stdout, hostile) is read by the https module as in any probe; the handshake
 * messages come from `-msg -msgfile` (OpenSSL's own words, one line per message), never from the
 * server's bytes. The client key goes through a 0600 temp file, deleted after.
 */
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ALERT_NAMES, alertLabel, alertOf, type TlsAlert } from './alerts.js';
import { appUserOf, sniOf, type ProbeOptions } from './options.js';
import type { ProbeOutcome } from './outcome.js';
import { protocolModule } from './protocols/index.js';
import type { Classified } from './rejection.js';
import { probeEndpoint } from './tls-probe.js';

/** The most of the server's answer that is kept (as in a node probe). */
const READ_MAX = 16384;

/** The OpenSSL binary used (`MTLS_OPENSSL` overrides `openssl` on PATH). */
export function opensslBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.MTLS_OPENSSL || 'openssl';
}

const available = new Map<string, Promise<{ client: string } | { unavailable: string }>>();

/**
 * Whether this OpenSSL can make post-handshake authentication: its version, or why not
 * ("no openssl binary (openssl): spawn ENOENT", "OpenSSL 1.1.0 has no s_client -enable_pha").
 */
export function phaClient(bin = opensslBinary()): Promise<{ client: string } | { unavailable: string }> {
  let p = available.get(bin);
  if (!p) {
    p = new Promise((resolve) => {
      execFile(bin, ['version'], { timeout: 5000 }, (err, out) => {
        if (err)
          return resolve({
            unavailable: `no PHA-capable client: the openssl binary (${bin}) could not run (${(err as NodeJS.ErrnoException).code ?? err.message})`,
          });
        const version = (/OpenSSL [0-9][\w.-]*/.exec(out)?.[0] ?? out.trim().slice(0, 40)) || 'unknown version';
        execFile(bin, ['s_client', '-help'], { timeout: 5000 }, (_e, o1, e1) => {
          if (!`${o1}${e1}`.includes('-enable_pha')) return resolve({ unavailable: `no PHA-capable client: ${version} has no s_client -enable_pha` });
          resolve({ client: `openssl s_client -enable_pha (${version})` });
        });
      });
    });
    available.set(bin, p);
  }
  return p;
}

/** What OpenSSL's message trace says happened on the connection (only message names and lengths). */
export interface PhaTranscript {
  serverHello: boolean;
  /** The client's Finished went out: the initial handshake completed. */
  handshakeDone: boolean;
  /** A CertificateRequest arrived after the handshake (post-handshake authentication). */
  postHandshakeRequest: boolean;
  /** A CertificateRequest in the initial handshake. */
  initialRequest: boolean;
  /** After the post-handshake request: the client answered with a certificate (a CertificateVerify followed), none, or not at all. */
  certificateSent?: boolean;
  /** The first fatal alert the server sent. */
  alert?: TlsAlert;
  sessionTicket: boolean;
}

const NAME_TO_CODE = new Map(Object.entries(ALERT_NAMES).map(([code, name]) => [name, Number(code)]));

/** Reads an `s_client -msg` trace (`<<< TLS 1.3, Handshake [length 0092], CertificateRequest`). Never throws. */
export function readPhaTrace(trace: string): PhaTranscript {
  const t: PhaTranscript = { serverHello: false, handshakeDone: false, postHandshakeRequest: false, initialRequest: false, sessionTicket: false };
  let awaitingVerify = false;
  for (const line of trace.split(/\r?\n/)) {
    const m = /^(<<<|>>>) [^,]*, (Handshake|Alert) \[length [0-9a-f]+\], (.+)$/.exec(line);
    if (!m) continue;
    const [, dir, type, what] = m as unknown as [string, string, string, string];
    const inbound = dir === '<<<';
    if (type === 'Alert') {
      const a = /^(fatal|warning) (\w+)/.exec(what);
      if (inbound && a && a[1] === 'fatal' && !t.alert) {
        const code = NAME_TO_CODE.get(a[2]!);
        if (code !== undefined) t.alert = alertOf(code, 2);
      }
      continue;
    }
    if (inbound && what === 'ServerHello') t.serverHello = true;
    else if (inbound && what === 'CertificateRequest') {
      if (t.handshakeDone) t.postHandshakeRequest = true;
      else t.initialRequest = true;
    } else if (inbound && what === 'NewSessionTicket') t.sessionTicket = true;
    else if (!inbound && what === 'Finished') {
      if (awaitingVerify) t.certificateSent ??= false;
      awaitingVerify = false;
      t.handshakeDone = true;
    } else if (!inbound && what === 'Certificate' && t.postHandshakeRequest) awaitingVerify = true;
    else if (!inbound && what === 'CertificateVerify' && awaitingVerify) {
      t.certificateSent = true;
      awaitingVerify = false;
    }
  }
  return t;
}

/** What the reference client made of one connection: the classified end and its trace. */
export type PhaConnection = { ok: true; client: string; transcript: PhaTranscript; end: Classified; durationMs: number } | { ok: false; reason: string };

/**
 * One connection through `openssl s_client -enable_pha -tls1_3`, with the client certificate of
 * `cert`/`key` when given (PEM). The server's chain is not verified here: the harness judges it
 * from its own connections.
 */
export async function connectWithPha(opts: ProbeOptions & { cert?: string; key?: string }, bin = opensslBinary()): Promise<PhaConnection> {
  const have = await phaClient(bin);
  if ('unavailable' in have) return { ok: false, reason: have.unavailable };
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-pha-'));
  const t0 = performance.now();
  try {
    const msgFile = path.join(dir, 'trace');
    const args = [
      's_client',
      '-enable_pha',
      '-tls1_3',
      '-quiet',
      '-msg',
      '-msgfile',
      msgFile,
      '-connect',
      `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`,
    ];
    const servername = sniOf(opts);
    args.push(...(servername ? ['-servername', servername] : ['-noservername']));
    if (opts.cert && opts.key) {
      // -cert takes the leaf alone: the intermediates go with -cert_chain, so they are sent too.
      const [leaf, ...chain] = opts.cert.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [opts.cert];
      await fs.writeFile(path.join(dir, 'cert.pem'), `${leaf}\n`, { mode: 0o600 });
      await fs.writeFile(path.join(dir, 'key.pem'), opts.key, { mode: 0o600 });
      args.push('-cert', path.join(dir, 'cert.pem'), '-key', path.join(dir, 'key.pem'));
      if (chain.length > 0) {
        await fs.writeFile(path.join(dir, 'chain.pem'), `${chain.join('\n')}\n`, { mode: 0o600 });
        args.push('-cert_chain', path.join(dir, 'chain.pem'));
      }
    }
    const session = protocolModule('https').session({ opts, ...(servername ? { servername } : {}), appUser: appUserOf(opts) });
    const request = session.request?.() ?? '';
    const { stdout, code } = await runClient(bin, args, request, opts.timeoutMs ?? 5000);
    if (code === 'spawn-error') return { ok: false, reason: `the reference client could not be started (${bin})` };
    const trace = await fs.readFile(msgFile, 'utf8').catch(() => '');
    const transcript = readPhaTrace(trace);
    const durationMs = Math.round(performance.now() - t0);
    return { ok: true, client: have.client, transcript, end: classifyPha(transcript, stdout, session.read.bind(session), code === 'timeout'), durationMs };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function runClient(
  bin: string,
  args: string[],
  input: string | Buffer,
  timeoutMs: number,
): Promise<{ stdout: Buffer; code: number | 'timeout' | 'spawn-error' }> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      if (size < READ_MAX) chunks.push(b.subarray(0, READ_MAX - size));
      size += b.length;
    });
    child.stdin.on('error', () => undefined);
    child.on('error', () => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.alloc(0), code: 'spawn-error' });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(chunks), code: timedOut ? 'timeout' : (code ?? 1) });
    });
    child.stdin.end(input);
  });
}

/** Where the connection ended, by the rules of a node probe ("Rejection, precisely"). */
function classifyPha(t: PhaTranscript, answer: Buffer, read: (b: Buffer, ended: boolean) => Classified | undefined, timedOut: boolean): Classified {
  const asked = t.postHandshakeRequest
    ? `, in answer to the post-handshake authentication it requested (the client ${t.certificateSent ? 'sent a certificate' : 'sent none'})`
    : '';
  if (!t.serverHello || !t.handshakeDone) {
    if (t.alert) return { rejectedAt: 'handshake', alert: t.alert, reason: `the server refused the TLS handshake with ${alertLabel(t.alert)}` };
    return {
      rejectedAt: 'unreachable',
      failure: { kind: 'tls-client', phase: 'handshake' },
      reason: "the reference client's TLS 1.3 handshake did not complete; this is not a refusal by the server",
    };
  }
  if (answer.length > 0) {
    const v = read(answer, true);
    if (v) return v;
  }
  if (t.alert) return { rejectedAt: 'post-handshake', alert: t.alert, reason: `the handshake completed, then the server sent ${alertLabel(t.alert)}${asked}` };
  if (timedOut) return { rejectedAt: 'accepted', reason: `the connection was accepted and stayed open, but no HTTP response arrived${asked}` };
  return { rejectedAt: 'post-handshake', reason: `the handshake completed, then the server closed the connection without an answer or an alert${asked}` };
}

/**
 * A node probe's outcome remade through the reference client: the classified end, the request and
 * whether the certificate was sent are the reference client's; what only the harness's own
 * connection read (the server's chain, the initial handshake) stays node's. `client` says which
 * client made the connection.
 */
export function remadeOutcome(node: ProbeOutcome, c: Extract<PhaConnection, { ok: true }>): ProbeOutcome {
  const { alert: _a, errorCode: _e, failure: _f, httpStatus: _s, httpStatusLine: _l, httpServer: _h, application: _ap, ...rest } = node;
  return {
    ...rest,
    ...c.end,
    protocol: 'TLSv1.3',
    serverHello: c.transcript.serverHello,
    certificateRequested: c.transcript.initialRequest,
    ...(c.transcript.postHandshakeRequest ? { postHandshakeAuth: { kind: 'tls13' as const } } : {}),
    ...(c.transcript.sessionTicket ? { sessionTicket: true } : {}),
    clientCertificateOffered: c.transcript.certificateSent ?? node.clientCertificateOffered,
    client: c.client,
    // The reference client's connection: node's timings were of another one.
    timings: {},
    durationMs: c.durationMs,
  };
}

/**
 * Whether a node probe's connection needs remaking with post-handshake authentication: an HTTPS
 * exchange over TLS 1.3 where the server sent a post-handshake CertificateRequest node could not
 * answer, or answered 403 (Apache refuses a `<Location>` that requires a certificate with 403 to a
 * client that did not offer post_handshake_auth, without asking).
 */
export function needsPha(opts: ProbeOptions, o: ProbeOutcome): boolean {
  if ((opts.protocol ?? 'https') !== 'https' || opts.until === 'handshake' || opts.detail === 'fast') return false;
  if (o.protocol !== 'TLSv1.3') return false;
  return o.postHandshakeAuth?.kind === 'tls13' || (o.rejectedAt === 'application' && o.httpStatus === 403);
}

/**
 * A probe (`probeEndpoint`), remade through the reference client when it needs post-handshake
 * authentication (`needsPha`). The remade outcome replaces node's only when the server did ask
 * after the handshake; when no PHA-capable client is available, node's outcome is kept with
 * `phaUnavailable` saying why (the detection then stays inconclusive).
 */
export async function probeWithPha(opts: ProbeOptions, bin = opensslBinary()): Promise<ProbeOutcome> {
  const o = await probeEndpoint(opts);
  if (!needsPha(opts, o)) return o;
  const pem = opts.secureContext?.pem ?? (opts.cert && opts.key ? { cert: opts.cert.toString(), key: opts.key.toString() } : undefined);
  const { secureContext: _sc, cert: _c, key: _k, ...rest } = opts;
  const c = await connectWithPha({ ...rest, ...(pem ? pem : {}) }, bin);
  if (!c.ok) return { ...o, phaUnavailable: c.reason };
  if (!c.transcript.postHandshakeRequest) return o;
  return remadeOutcome(o, c);
}
