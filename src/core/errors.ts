/**
 * Errors of the harness itself (never of a target: a target's behaviour is a Result or a ProbeOutcome).
 *
 * Every error has a stable `code` so callers never match message strings, and a message that says
 * what to do next. Codes in the usage/config/pki families are detected before any check runs and
 * map to exit code 2.
 */
import { safeText } from './text.js';
import { redactPrivateKeys } from './redact.js';

export type ErrorCode =
  | 'usage.unknown-command'
  | 'usage.unknown-option'
  | 'usage.missing-argument'
  | 'usage.invalid-value'
  | 'usage.missing-dependency'
  | 'config.invalid'
  | 'pki.file-missing'
  | 'pki.file-unreadable'
  | 'pki.malformed-pem'
  | 'pki.no-certificate'
  | 'pki.no-private-key'
  | 'pki.key-mismatch'
  | 'pki.encrypted-key'
  | 'pki.bad-passphrase'
  | 'pki.unsupported-key'
  | 'pki.output-exists'
  | 'pki.write-failed'
  | 'target.unsupported-profile'
  | 'target.start-failed'
  | 'report.write-failed'
  | 'k8s.no-cluster'
  | 'k8s.unreachable'
  | 'k8s.unauthorized'
  | 'k8s.not-found'
  | 'internal';

/** Error raised by the harness for what it cannot do; carries a stable code and an actionable message. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  readonly code: ErrorCode;
  /** Extra lines for the user (e.g. the tail of a server log). */
  readonly details?: string;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: string }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    if (options?.details !== undefined) this.details = options.details;
  }

  /**
   * True for errors detected before any check runs: bad usage, configuration, input files, a profile
   * an implementation cannot express, no reachable Kubernetes cluster (exit 2).
   */
  get isUsageError(): boolean {
    return (
      this.code.startsWith('usage.') ||
      this.code.startsWith('config.') ||
      this.code.startsWith('pki.') ||
      this.code.startsWith('k8s.') ||
      this.code === 'target.unsupported-profile'
    );
  }
}

/** Type guard for HarnessError (also across module copies). */
export function isHarnessError(e: unknown): e is HarnessError {
  return (
    e instanceof HarnessError ||
    (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'HarnessError' && typeof (e as { code?: unknown }).code === 'string')
  );
}

/**
 * The reason the CLI's last line of defence (src/cli/main.ts) aborts a run with when an exception
 * escaped anyway: the run ends like Ctrl-C (reports written, the rest "not finished: internal error …")
 * and main prints the one line, so the commands print no "incomplete" line of their own.
 */
export function internalFailure(e: unknown): Error {
  const msg = safeText(redactPrivateKeys(e instanceof Error ? e.message : String(e)).split('\n')[0]!, 300);
  return new Error(`internal error: ${msg}`);
}

export function isInternalFailure(reason: unknown): boolean {
  return reason instanceof Error && reason.message.startsWith('internal error: ');
}
