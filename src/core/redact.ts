/**
 * The one redaction mechanism: everything a report shows that came from a command line or from a
 * command's output passes through here where the evidence is built (argv, client-test command
 * lines and output tails, rotation command and output tails).
 *
 * - `redactArgv`: an argument list. Values of credential flags (curl -u/--user/--oauth2-bearer,
 *   --password=…, anything named pass/secret/token/bearer/api-key), credential headers
 *   (Authorization, Proxy-Authorization, Cookie, X-Api-Key, X-Auth-Token, …), URL user-info,
 *   secret query/form parameters (password=…), secret environment assignments (PGPASSWORD=…),
 *   mysql's -pPASSWORD, inline PEM and `pass:` strings. An argument holding a shell string
 *   (`sh -c '…'`, `--rotation-command '…'`) is tokenised and redacted inside.
 * - `redactCommandLine`: one shell string, the same rules word by word; the rest kept as written.
 * - `redactText`: a command's output: private-key PEM blocks, the bytes of any private key the
 *   harness knows (hex or base64, however broken into lines), credential header lines, URL
 *   user-info, credential flags and assignments (an `sh -x` trace).
 */
import { KeyObject } from 'node:crypto';

export const REDACTED = '[REDACTED]';
export const KEY_REDACTED = '[private key redacted]';

// ---------------------------------------------------------------------------------------------
// Names

/** Long flags whose values are never written to a report. */
const SECRET_FLAG = /pass|secret|token|bearer|api-?key|credential/i;
/** Flags that name a secret rather than hold one (k8s scan's Kubernetes Secret names, env var names): kept. */
const NAMES_A_SECRET = /^--(?:ca-key-)?secret$|-env$/;
/** Flags (any program) whose next argument is a credential. */
const CREDENTIAL_FLAGS = new Set([
  '-u',
  '--user',
  '--proxy-user',
  '-U',
  '--oauth2-bearer',
  '--http-user',
  '--http-password',
  '--proxy-password',
  '--password',
  '--passwd',
]);
/** Flags whose next argument is an HTTP header. */
const HEADER_FLAGS = new Set(['-H', '--header', '--proxy-header']);
/** HTTP header names that carry credentials. */
const SECRET_HEADER =
  /^(?:(?:proxy-)?authorization|(?:set-)?cookie|[a-z0-9-]*(?:token|api-?key|apikey|secret|password|passwd|session|credential|signature)[a-z0-9-]*|x-auth[a-z0-9-]*)$/i;
/** Environment variables and query/form parameters whose values are credentials. */
const SECRET_NAME = /pass(?:word|wd)?|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|credential|auth|signature|^sig$/i;
/** Environment names that hold a path or a name, not a secret. */
const NOT_A_SECRET_NAME = /(?:_FILE|_PATH|_ENV|_DIR)$/i;
const MYSQL = /^(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlsh|mariadb|mariadb-dump|mariadb-admin)$/;

const basename = (s: string) => s.replace(/^.*\//, '');
const isSecretName = (name: string) => SECRET_NAME.test(name) && !NOT_A_SECRET_NAME.test(name);

// ---------------------------------------------------------------------------------------------
// Words (argv elements and the words of a shell string)

/** URL user-info (`scheme://user:password@host`), secret query/form parameters (`?password=…&token=…`). */
function redactUrlParts(s: string): string {
  return s
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^/\s@?#'"]+)@/gi, `$1${REDACTED}@`)
    .replace(/([?&])([A-Za-z_][A-Za-z0-9_.-]*)=([^&#\s'"]*)/g, (whole, sep: string, name: string) =>
      isSecretName(name) ? `${sep}${name}=${REDACTED}` : whole,
    );
}

/** `Name: value` with a credential header name → `Name: [REDACTED]`; anything else undefined. */
function redactHeader(s: string): string | undefined {
  const m = /^(\s*)([A-Za-z0-9-]+)\s*[:;]/.exec(s);
  return m && SECRET_HEADER.test(m[2]!) ? `${m[1]}${m[2]}: ${REDACTED}` : undefined;
}

/** One word, on its own (no flag before it): the first rule that applies. */
function redactWord(a: string, mysql: boolean, depth: number): string {
  const eq = /^(--?[A-Za-z0-9][A-Za-z0-9-]*)=(.*)$/s.exec(a);
  if (eq) {
    const [, flag, value] = eq as unknown as [string, string, string];
    if ((SECRET_FLAG.test(flag) && !NAMES_A_SECRET.test(flag)) || CREDENTIAL_FLAGS.has(flag)) return `${flag}=${REDACTED}`;
    if (HEADER_FLAGS.has(flag)) return `${flag}=${redactHeader(value) ?? redactWord(value, mysql, depth)}`;
    const v = redactWord(value, mysql, depth);
    return v === value ? a : `${flag}=${v}`;
  }
  if (/-----BEGIN [A-Z0-9 ]*-----/.test(a) || /^pass:/.test(a)) return REDACTED;
  const header = redactHeader(a);
  if (header !== undefined && /^\s*[A-Za-z0-9-]+\s*:/.test(a)) return header;
  if (mysql && /^-p./.test(a)) return `-p${REDACTED}`;
  // NAME=value: an environment assignment (PGPASSWORD=…) or a form field (password=…).
  const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(a);
  if (assign && isSecretName(assign[1]!)) return `${assign[1]}=${REDACTED}`;
  // A shell string inside an argument (sh -c '…', a --rotation-command value, ssh host '…').
  if (/\s/.test(a.trim()) && depth < 4) return redactShell(a, depth + 1);
  return redactUrlParts(a);
}

/** The words of one simple command (argv, or a command inside a shell string). */
function redactWords(words: string[], depth: number): string[] {
  const mysql = words.some((w) => MYSQL.test(basename(w)));
  const curlish = words.some((w) => /^(?:curl|wget)$/.test(basename(w)));
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const a = words[i]!;
    const hasNext = i + 1 < words.length;
    if (hasNext && CREDENTIAL_FLAGS.has(a)) {
      out.push(a, REDACTED);
      i++;
      continue;
    }
    if (hasNext && HEADER_FLAGS.has(a)) {
      const v = words[i + 1]!;
      out.push(a, redactHeader(v) ?? redactWord(v, mysql, depth));
      i++;
      continue;
    }
    if (hasNext && a.startsWith('--') && !a.includes('=') && SECRET_FLAG.test(a) && !NAMES_A_SECRET.test(a)) {
      out.push(a, REDACTED);
      i++;
      continue;
    }
    // curl's attached forms: -uuser:password, -HAuthorization: …
    if (curlish && /^-[uU]./.test(a)) {
      out.push(`${a.slice(0, 2)}${REDACTED}`);
      continue;
    }
    if (curlish && /^-H./.test(a)) {
      const h = redactHeader(a.slice(2));
      out.push(h !== undefined ? `-H${h}` : a);
      continue;
    }
    out.push(redactWord(a, mysql, depth));
  }
  return out;
}

/** argv with secrets redacted (see the module comment); private-key material in any argument too. */
export function redactArgv(argv: string[]): string[] {
  return redactWords(argv, 0).map((a) => (a === REDACTED ? a : redactKeyMaterial(a)));
}

// ---------------------------------------------------------------------------------------------
// Shell strings

interface ShellWord {
  start: number;
  end: number;
  value: string;
}

/**
 * Splits a shell string into simple commands of words (with their spans in the string): quotes
 * ('…', "…" with \-escapes), backslashes, `$(…)` and backticks kept inside a word; `; & | ( ) \n`
 * end a command; `< >` are redirections (the file name that follows is a word of the command).
 */
export function shellCommands(s: string): ShellWord[][] {
  const commands: ShellWord[][] = [];
  let words: ShellWord[] = [];
  let i = 0;
  const endCommand = () => {
    if (words.length) commands.push(words);
    words = [];
  };
  while (i < s.length) {
    const c = s[i]!;
    // Any whitespace but a newline separates words. sh splits on space, tab and newline only, but a
    // no-break space or U+2028 pasted into a command must not hide the credential after it (and the
    // word loop below breaks on every \s: skipping fewer here never advanced, and a run hung).
    if (c !== '\n' && /\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '\n' || c === ';' || c === '&' || c === '|' || c === '(' || c === ')') {
      endCommand();
      i++;
      continue;
    }
    if (c === '<' || c === '>') {
      i += s[i + 1] === '&' ? 2 : 1; // 2>&1 is a redirection, not a background command
      continue;
    }
    if (c === '#') {
      while (i < s.length && s[i] !== '\n') i++;
      continue;
    }
    const start = i;
    let value = '';
    while (i < s.length) {
      const ch = s[i]!;
      if (/[\s;&|()<>]/.test(ch)) break;
      if (ch === "'") {
        const close = s.indexOf("'", i + 1);
        const to = close < 0 ? s.length : close;
        value += s.slice(i + 1, to);
        i = to + 1;
      } else if (ch === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length && '\\"$`\n'.includes(s[i + 1]!)) i++;
          value += s[i];
          i++;
        }
        i++;
      } else if (ch === '\\' && i + 1 < s.length) {
        value += s[i + 1];
        i += 2;
      } else if ((ch === '$' && s[i + 1] === '(') || ch === '`') {
        // A command substitution: kept whole inside the word.
        const open = ch === '`' ? '`' : '(';
        let j = ch === '`' ? i + 1 : i + 2;
        let nest = 1;
        while (j < s.length && nest > 0) {
          if (open === '`' ? s[j] === '`' : s[j] === ')') nest--;
          else if (open === '(' && s[j] === '(') nest++;
          j++;
        }
        value += s.slice(i, j);
        i = j;
      } else {
        value += ch;
        i++;
      }
    }
    words.push({ start, end: Math.min(i, s.length), value });
  }
  endCommand();
  return commands;
}

/** A word as the shell reads it back: bare when safe, else single-quoted. */
function quoteWord(v: string): string {
  return /^[A-Za-z0-9_@%+=:,./{}\[\]-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

function redactShell(s: string, depth: number): string {
  const edits: { start: number; end: number; text: string }[] = [];
  for (const words of shellCommands(s)) {
    const values = words.map((w) => w.value);
    const red = redactWords(values, depth);
    for (let k = 0; k < words.length; k++) {
      if (red[k] !== values[k]) edits.push({ start: words[k]!.start, end: words[k]!.end, text: quoteWord(red[k]!) });
    }
  }
  let out = s;
  for (const e of edits.reverse()) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** One shell command line (`rotation.command`, a client command run by /bin/sh) with its secrets redacted. */
export function redactCommandLine(s: string): string {
  return redactKeyMaterial(redactShell(s, 0));
}

// ---------------------------------------------------------------------------------------------
// Private keys

/** A PEM private-key block (any kind: PKCS#8, EC, RSA, encrypted), or its unterminated start or end. */
const PRIVATE_KEY_BLOCK =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)|^(?:(?!-----BEGIN )[\s\S])*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g;

/**
 * Window size (bytes) of the known-key index. A run of ≥ 16 bytes of key material printed in
 * base64 from an arbitrary offset still decodes to ≥ 12 aligned bytes (≤ 2 lost at each end).
 */
const WINDOW = 12;
/**
 * Minted keys indexed at most (the newest kept): a scan of many CAs mints thousands of crafted
 * client keys. Keys the harness read (the user's --key, --ca-key) are pinned, up to MAX_PINNED.
 */
const MAX_KEYS = 256;
const MAX_PINNED = 1024;
const pendingKeys: { key: KeyObject; pinned: boolean }[] = [];
const knownKeys = new WeakSet<object>();
/** The windows of each indexed key, oldest first, and their union. */
const indexed: { windows: string[]; pinned: boolean }[] = [];
let pinnedCount = 0;
let secretWindows = new Set<string>();

/**
 * Registers a private key the harness holds (read from --key/--ca-key, minted for a fixture PKI
 * or a client under test), so that its bytes are redacted from any output. Cheap: the index is
 * built on the next redaction.
 */
export function registerPrivateKey(key: KeyObject | CryptoKey, o: { pinned?: boolean } = {}): void {
  if (knownKeys.has(key)) return;
  knownKeys.add(key);
  try {
    const k = key instanceof KeyObject ? key : KeyObject.from(key);
    if (k.type !== 'private') return;
    const pinned = !!o.pinned && pinnedCount < MAX_PINNED;
    if (pinned) pinnedCount++;
    pendingKeys.push({ key: k, pinned });
  } catch {
    /* not a key we can read */
  }
}

/** The secret components of a key (RSA d, p, q, dp, dq, qi; EC/EdDSA d) and its DER encodings. */
function indexKey(k: KeyObject): string[] {
  const windows: string[] = [];
  let jwk: Record<string, unknown>;
  try {
    jwk = k.export({ format: 'jwk' }) as Record<string, unknown>;
  } catch {
    return windows;
  }
  const secrets = ['d', 'p', 'q', 'dp', 'dq', 'qi']
    .flatMap((n) => (typeof jwk[n] === 'string' ? [Buffer.from(jwk[n] as string, 'base64url')] : []))
    .filter((b) => b.length >= WINDOW);
  const add = (b: Buffer, from: number) => windows.push(b.toString('latin1', from, from + WINDOW));
  for (const b of secrets) for (let i = 0; i + WINDOW <= b.length; i++) add(b, i);
  // Windows of the DER encodings that include secret bytes (never the public parts alone: those are in certificates).
  const types =
    k.asymmetricKeyType === 'rsa' ? (['pkcs8', 'pkcs1'] as const) : k.asymmetricKeyType === 'ec' ? (['pkcs8', 'sec1'] as const) : (['pkcs8'] as const);
  for (const type of types) {
    let der: Buffer;
    try {
      der = k.export({ format: 'der', type });
    } catch {
      continue;
    }
    const secret = new Uint8Array(der.length);
    for (const b of secrets) {
      const at = der.indexOf(b);
      if (at >= 0) secret.fill(1, at, at + b.length);
    }
    for (let i = 0; i + WINDOW <= der.length; i++) if (secret.subarray(i, i + WINDOW).includes(1)) add(der, i);
  }
  return windows;
}

/** Indexes the keys registered since the last redaction; past MAX_KEYS the oldest quarter is dropped. */
function indexPending(): void {
  if (!pendingKeys.length) return;
  for (const { key, pinned } of pendingKeys.splice(0)) {
    const windows = indexKey(key);
    indexed.push({ windows, pinned });
    for (const x of windows) secretWindows.add(x);
  }
  const minted = indexed.filter((e) => !e.pinned);
  if (minted.length > MAX_KEYS) {
    const drop = new Set(minted.slice(0, minted.length - Math.floor((MAX_KEYS * 3) / 4)));
    const keep = indexed.filter((e) => !drop.has(e));
    indexed.splice(0, indexed.length, ...keep);
    secretWindows = new Set(indexed.flatMap((e) => e.windows));
  }
}

function hasKeyBytes(bytes: Buffer): boolean {
  for (let i = 0; i + WINDOW <= bytes.length; i++) if (secretWindows.has(bytes.toString('latin1', i, i + WINDOW))) return true;
  return false;
}

/** Hex runs (openssl -text's `aa:bb:` lines, od/xxd dumps, plain hex) and base64 runs (DER base64, PEM bodies without armour): whole words, across line breaks. */
const HEX_RUN = /(?<!\S)[0-9A-Fa-f:]+(?:\s+[0-9A-Fa-f:]+(?!\S))*(?!\S)/g;
const B64_RUN = /[A-Za-z0-9+/]+={0,2}(?:\s+[A-Za-z0-9+/]+={0,2})*/g;

function keyRun(run: string, decode: (joined: string, offset: number) => Buffer, alignments: number, clean: RegExp): boolean {
  const joined = run.replace(clean, '');
  if (joined.length < 16) return false;
  for (let j = 0; j < alignments; j++) if (hasKeyBytes(decode(joined, j))) return true;
  return false;
}

/** Replaces any run of a known private key's bytes (hex or base64, across line breaks) with the marker. */
function redactKeyMaterial(s: string): string {
  indexPending();
  if (secretWindows.size === 0 || s.length < 16) return s;
  const replaceRun = (run: string) => {
    const lead = /^\s*/.exec(run)![0];
    const trail = /\s*$/.exec(run)![0];
    return `${lead}${KEY_REDACTED}${trail}`;
  };
  s = s.replace(HEX_RUN, (run) =>
    keyRun(run, (h, j) => Buffer.from(h.slice(j, j + ((h.length - j) & ~1)), 'hex'), 2, /[^0-9A-Fa-f]/g) ? replaceRun(run) : run,
  );
  s = s.replace(B64_RUN, (run) => {
    if (!keyRun(run, (b, j) => Buffer.from(b.slice(j).replace(/=/g, ''), 'base64'), 4, /\s/g)) return run;
    // Words around the long tokens (a "256" ending the line above, an "ok" after) are kept; a short
    // last line that ends the base64 (its `=` padding) goes with it.
    const tokens = [...run.matchAll(/\S+/g)];
    const long = tokens.filter((t) => t[0].length >= 16);
    if (!long.length) return replaceRun(run);
    let last = long[long.length - 1]!;
    const next = tokens[tokens.indexOf(last) + 1];
    if (next && /=$/.test(next[0])) last = next;
    const from = long[0]!.index!;
    const to = last.index! + last[0].length;
    return run.slice(0, from) + KEY_REDACTED + run.slice(to);
  });
  return s;
}

/** Private-key PEM blocks (even cut ones) and the bytes of every known private key, replaced by a marker. */
export function redactPrivateKeys(s: string): string {
  return redactKeyMaterial(s.replace(PRIVATE_KEY_BLOCK, KEY_REDACTED));
}

// ---------------------------------------------------------------------------------------------
// Free text (a command's output)

const HEADER_LINE = /(^|[\s>'"])([A-Za-z0-9-]+)(\s*:[ \t]*)([^\r\n'"]*)/gm;
const FLAG_IN_TEXT =
  /(^|\s)(-u|-U|--user|--proxy-user|--oauth2-bearer|--password|--passwd|--http-password|--proxy-password|--pass)(=|[ \t]+)('[^']*'|"[^"]*"|\S+)/gm;
const ASSIGN_IN_TEXT = /(^|[\s'"])([A-Za-z_][A-Za-z0-9_]*)=('[^']*'|"[^"]*"|[^\s'"&]+)/gm;

/** A command's output with private keys, credential headers, URL user-info and credential flags/assignments redacted. */
export function redactText(s: string): string {
  let out = redactPrivateKeys(s);
  out = out.replace(HEADER_LINE, (whole, pre: string, name: string, colon: string, value: string) =>
    value && SECRET_HEADER.test(name) && !/^\[REDACTED\]/.test(value) ? `${pre}${name}${colon}${REDACTED}` : whole,
  );
  out = out.replace(FLAG_IN_TEXT, (whole, pre: string, flag: string, sep: string, value: string) =>
    value === REDACTED ? whole : `${pre}${flag}${sep}${REDACTED}`,
  );
  out = out.replace(ASSIGN_IN_TEXT, (whole, pre: string, name: string) => (isSecretName(name) ? `${pre}${name}=${REDACTED}` : whole));
  return redactUrlParts(out);
}
