// Validation at the edge: a host name or an HTTP path from any source (flag, MTLS_* environment,
// config file, targets file, k8s annotation) is checked once, where it enters, before anything runs.
// The probe writes both into an HTTP request (Host header, request line): CR/LF there is injection.
import { isIP } from 'node:net';
import { HarnessError, type ErrorCode } from '../core/errors.js';
import { safeText } from '../core/text.js';

/** One RFC 1123 label (underscore tolerated: some internal names carry one). */
const LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;

/**
 * Why `name` is not a host name to dial or send as SNI/Host, or undefined when it is: an IP literal,
 * or RFC 1123 labels (letters, digits, hyphens; `_` tolerated; a leading `*` label allowed), at most
 * 253 characters, an optional trailing dot.
 */
export function hostNameProblem(name: string): string | undefined {
  if (isIP(name)) return undefined;
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length === 0 || n.length > 253) return 'a host name has 1 to 253 characters';
  const labels = n.split('.');
  if (!labels.every((l, i) => LABEL.test(l) || (i === 0 && l === '*' && labels.length > 1)))
    return 'letters, digits, hyphens and dots only (RFC 1123), or an IP address';
  return undefined;
}

/** Throws `code` (exit 2) naming `what` unless `name` is a valid host name; returns it. */
export function checkHostName(what: string, name: string, code: ErrorCode = 'usage.invalid-value'): string {
  const problem = hostNameProblem(name);
  if (problem) throw new HarnessError(code, `${what} "${safeText(name, 80)}" is not a valid host name (${problem})`);
  return name;
}

/** RFC 3986 path and query characters; `%` only as a percent-encoding. */
const PATH = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;

/** Throws `code` (exit 2) naming `what` unless `p` is an HTTP path: starts with '/', no spaces, controls or raw non-ASCII (percent-encode them). */
export function checkHttpPath(what: string, p: string, code: ErrorCode = 'usage.invalid-value'): string {
  if (p.length > 4096 || !PATH.test(p))
    throw new HarnessError(
      code,
      `${what} "${safeText(p, 80)}" is not a valid HTTP path (it starts with /; no spaces, control characters or CR/LF; percent-encode anything else, e.g. %20)`,
    );
  return p;
}
