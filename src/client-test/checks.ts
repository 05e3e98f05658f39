import type { CheckVerdict, Evidence } from '../core/model.js';
import { alertLabel } from '../probe/alerts.js';
import type { CommandRun } from './command.js';
import type { Observation } from './observer.js';

/** The server certificate the reference server presents for a check. */
export type ServerProfile = 'valid' | 'untrusted-ca' | 'wrong-san' | 'expired' | 'self-signed' | 'incomplete-chain';

/** What is wrong with a server a client must refuse, and how to fix a client that accepts it (suites/client-conformance.ts). */
export interface BadServer {
  /** Completes "a server whose certificate …". */
  serverFlaw?: string;
  /** How to fix a client that accepts that server. */
  remediation?: string;
}

/** One run of the client against a reference server: what the command did and what the server saw. */
export interface ClientRun {
  command: CommandRun;
  observation: Observation;
  /** Where the reference server listened. */
  endpoint: { host: string; port: number };
}

/**
 * Whether the client accepted the server: application data arrived (it trusted the server enough to
 * talk), or it completed the handshake and exited 0 (a client with nothing to send, e.g. a bare
 * `openssl s_client`). Completing the TLS 1.3 handshake alone is not acceptance: node's client
 * checks the certificate after it, then closes without a byte.
 */
export function accepted(run: ClientRun): boolean {
  const o = run.observation;
  return o.dataArrived || (o.handshakeCompleted && run.command.exitCode === 0 && !run.command.timedOut);
}

/** How the client ended its connection, in words: "alert 48 unknown_ca", "closed after the handshake …". */
export function describeRefusal(o: Observation): string {
  if (o.clientAlert) return `sent ${alertLabel(o.clientAlert)} in the handshake`;
  if (o.handshakeCompleted) return 'completed the TLS handshake, then closed without sending a request';
  const err = o.connections.find((c) => c.handshakeError)?.handshakeError;
  return err ? `closed the connection during the handshake without an alert (${err.code})` : 'closed the connection during the handshake without an alert';
}

/** Milliseconds as seconds with at most one decimal: 800 → "0.8", 10000 → "10". */
function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

function exitText(c: CommandRun): string {
  if (c.timedOut) return 'timed out';
  if (c.signal) return `killed by ${c.signal}`;
  return c.exitCode !== undefined ? `exit ${c.exitCode}` : 'did not run';
}

/** The evidence of one client run: the command, its exit and output tails, what the server saw. */
export function runEvidence(run: ClientRun): Evidence {
  const o = run.observation;
  const c = run.command;
  return {
    command: c.argv,
    exit: exitText(c),
    ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
    durationMs: c.durationMs,
    ...(c.stdoutTail ? { stdoutTail: c.stdoutTail } : {}),
    ...(c.stderrTail ? { stderrTail: c.stderrTail } : {}),
    server: `${run.endpoint.host}:${run.endpoint.port}`,
    connections: o.connections.length,
    handshake: o.handshakeCompleted ? 'completed' : o.reached ? 'failed' : 'none',
    ...(o.connections[0]?.protocol ? { protocol: o.connections[0].protocol } : {}),
    ...(o.connections[0]?.servername ? { sni: o.connections[0].servername } : {}),
    ...(o.clientAlert ? { clientAlert: o.clientAlert } : {}),
    ...(o.clientCert ? { clientCert: o.clientCert } : {}),
    requests: o.requests.map((r) => `${r.method} ${r.path}`),
    ...(o.serverSideFailure ? { serverSideFailure: o.serverSideFailure } : {}),
  };
}

/** The last line the command printed (stderr first), for a message. */
function lastLine(c: CommandRun): string | undefined {
  const tail = c.stderrTail ?? c.stdoutTail;
  return tail
    ?.split(' | ')
    .filter((l) => l.trim())
    .pop()
    ?.slice(0, 160);
}

/** Errors that make any verdict impossible: the command did not start, or never reached the server. */
function unevaluable(run: ClientRun): CheckVerdict | undefined {
  const c = run.command;
  const evidence = runEvidence(run);
  if (c.spawnError) return { status: 'error', message: `the client command could not be started: ${c.spawnError}`, evidence };
  if (!run.observation.reached) {
    return c.timedOut
      ? {
          status: 'error',
          message: `the client did not finish within ${seconds(c.limitMs)} s and was stopped; it never connected to the reference server at ${evidence.server}`,
          evidence,
        }
      : {
          status: 'error',
          message: `the client never connected to the reference server at ${evidence.server} (${exitText(c)}${lastLine(c) ? `: ${lastLine(c)}` : ''}); does the command use {url} or {host}:{port}?`,
          remediation: 'connect to {url} (or {host}:{port} with SNI {servername}); curl: --resolve {resolve} {url}',
          evidence,
        };
  }
  return undefined;
}

/** `client.presents-cert`: a certificate that chains to the CA was presented; the command's exit is evidence (`warn` when non-zero). */
export function judgePresentsCert(run: ClientRun): CheckVerdict {
  const bad = unevaluable(run);
  if (bad) return bad;
  const o = run.observation;
  const evidence = runEvidence(run);
  const cert = o.clientCert;
  if (!cert && run.command.timedOut)
    return {
      status: 'error',
      message: `the client did not finish within ${seconds(run.command.limitMs)} s and was stopped, without presenting a certificate`,
      evidence,
    };
  if (!cert) {
    return o.handshakeCompleted
      ? {
          status: 'fail',
          message: 'the client sent no certificate although the server asked for one',
          remediation: 'give the client its certificate and key (curl --cert/--key, node cert/key options, Go tls.Config.Certificates)',
          evidence,
        }
      : {
          status: 'fail',
          message: `the client sent no certificate: it ended the handshake with the valid server first (${describeRefusal(o)}; ${exitText(run.command)})`,
          remediation: 'make the client trust the CA ({ca}) and give it its certificate and key ({cert}, {key})',
          evidence,
        };
  }
  if (!cert.chains) {
    return {
      status: 'fail',
      message: `the client presented "${cert.subject}", which does not chain to the CA (${cert.verifyError ?? 'verification failed'})`,
      remediation: 'present the certificate issued by the CA the server trusts, with its intermediates',
      evidence,
    };
  }
  if (run.command.timedOut || run.command.exitCode !== 0) {
    return {
      status: 'warn',
      message: `the client presented "${cert.subject}", which chains to the CA, but then ${exitText(run.command)}${o.dataArrived ? '' : ' without sending a request'}`,
      remediation: 'check the command: it should succeed against a valid server',
      evidence,
    };
  }
  return {
    status: 'pass',
    message: `the client presented "${cert.subject}", which chains to the CA${o.requests[0] ? `, and sent ${o.requests[0].method} ${o.requests[0].path}` : ''}`,
    evidence,
  };
}

/**
 * A `client.rejects-*` check: `pass` when the client refused (no application data, handshake
 * aborted or the command failed) and exited non-zero; `fail` when it talked to the server, or
 * completed the handshake and exited 0; `warn` when it refused but exited 0 (a script cannot tell);
 * `error` when it never connected, timed out, or also refused the valid server (the baseline), so
 * its refusal proves nothing.
 */
export function judgeRejects(check: BadServer, run: ClientRun, baseline: ClientRun): CheckVerdict {
  const evidence = { ...runEvidence(run), baselineAccepted: accepted(baseline) };
  const o = run.observation;
  const flaw = `a server whose certificate ${check.serverFlaw ?? 'is invalid'}`;
  if (o.dataArrived) {
    const what = o.requests[0] ? `sent ${o.requests[0].method} ${o.requests[0].path}` : 'sent application data';
    return { status: 'fail', message: `the client ${what} to ${flaw}`, ...(check.remediation ? { remediation: check.remediation } : {}), evidence };
  }
  const bad = unevaluable(run);
  if (bad) return { ...bad, evidence };
  if (run.command.timedOut)
    return {
      status: 'error',
      message: `the client did not finish within ${seconds(run.command.limitMs)} s and was stopped (it sent nothing to ${flaw})`,
      evidence,
    };
  if (accepted(run)) {
    return {
      status: 'fail',
      message: `the client completed the TLS handshake with ${flaw} and exited 0: it accepted the server (it only had nothing to send)`,
      ...(check.remediation ? { remediation: check.remediation } : {}),
      evidence,
    };
  }
  if (!accepted(baseline)) {
    return {
      status: 'error',
      message: `inconclusive: the client also refused the valid reference server (client.presents-cert run: ${describeRefusal(baseline.observation)}, ${exitText(baseline.command)}), so this refusal proves nothing`,
      remediation: 'fix the command until it succeeds against the valid server: trust {ca}, connect to {url}',
      evidence,
    };
  }
  if (run.command.exitCode === 0) {
    return {
      status: 'warn',
      message: `the client refused ${flaw} (${describeRefusal(o)}) but exited 0, so a caller cannot tell it failed`,
      remediation: 'exit non-zero when the connection fails (curl --fail-with-body; check the error in scripts)',
      evidence,
    };
  }
  return { status: 'pass', message: `the client refused ${flaw}: it ${describeRefusal(o)} (${exitText(run.command)})`, evidence };
}
