/**
 * Text from certificates and servers is hostile: it may carry terminal escape sequences, bidi
 * overrides or megabytes of junk. `safeText` keeps ordinary Unicode, drops control and
 * direction-override characters, and bounds the length. HTML escaping is the HTML reporter's job.
 */
export function safeText(s: string, max = 300): string {
  // C0/C1 controls (incl. ESC), DEL, bidi embeddings/overrides/isolates, zero-width joiners used for spoofing.
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** A PEM private-key block (any kind: PKCS#8, EC, RSA, encrypted), or its unterminated start or end. */
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)|^(?:(?!-----BEGIN )[\s\S])*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g;

/** Replaces every private-key PEM block (even a cut one) with a marker: a command's output may print a key. */
export function redactPrivateKeys(s: string): string {
  return s.replace(PRIVATE_KEY_BLOCK, '[private key redacted]');
}

/**
 * The last `lines` lines of a command's output, for evidence: private keys redacted first (before
 * cutting, so a cut block is still recognised), lines joined with " | ", bounded by `max` characters
 * and passed through `safeText`. Undefined for empty output.
 */
export function outputTail(text: string | undefined, lines = 10, max = 1000): string | undefined {
  if (!text || !text.trim()) return undefined;
  const tail = redactPrivateKeys(text).trimEnd().split('\n').slice(-lines).join('\n').replace(/\r?\n/g, ' | ');
  return safeText(tail.length > max ? `…${tail.slice(-max)}` : tail, max + 1);
}

/** Flags whose values are never written to a report. */
const SECRET_FLAG = /pass|secret|token|password/i;
/** Flags that name a secret rather than hold one (k8s scan's Kubernetes Secret names): kept as evidence. */
const NAMES_A_SECRET = /^--(?:ca-key-)?secret$|-env$/;

/** argv with secrets redacted: values of secret-looking flags, inline PEM, `pass:` strings, HTTP authorization headers, curl's `-u user:password`. */
export function redactArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = /^(--[^=]+)=(.*)$/s.exec(a);
    if (eq && ((SECRET_FLAG.test(eq[1]!) && !NAMES_A_SECRET.test(eq[1]!)) || /^--(?:proxy-)?user$/.test(eq[1]!))) {
      out.push(`${eq[1]}=[REDACTED]`);
      continue;
    }
    if (/-----BEGIN [A-Z ]*-----/.test(a) || /^pass:/.test(a)) {
      out.push('[REDACTED]');
      continue;
    }
    // A client command's credentials (client-test argv): HTTP auth headers, `user:password`.
    const header = /^(\s*(?:proxy-)?authorization\s*:).*$/is.exec(a);
    if (header) {
      out.push(`${header[1]} [REDACTED]`);
      continue;
    }
    out.push(a);
    if ((a === '-u' || a === '--user' || a === '--proxy-user' || a === '-U') && i + 1 < argv.length) {
      out.push('[REDACTED]');
      i++;
      continue;
    }
    if (a.startsWith('--') && !a.includes('=') && SECRET_FLAG.test(a) && !NAMES_A_SECRET.test(a) && i + 1 < argv.length) {
      out.push('[REDACTED]');
      i++;
    }
  }
  return out;
}
