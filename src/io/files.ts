/**
 * Safe file input and output (issue 16): every file the harness reads is a regular file under a
 * size limit (never /dev/zero, a FIFO, a directory, a 2 GB file read into memory), and every report
 * is written atomically (a temporary file created with O_EXCL in the same folder, then renamed over
 * the final path, so a symlink there is replaced, never followed) with mode 0600 unless
 * `--report-mode` says otherwise. A report path may be neither an input file nor another report.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import * as path from 'node:path';
import { isatty } from 'node:tty';
import { HarnessError, type ErrorCode } from '../core/errors.js';

/** A config file (`--config`, client-test's config) is at most this large. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Reports and other evidence files are created with this mode unless `--report-mode` says otherwise. */
export const DEFAULT_REPORT_MODE = 0o600;

function mb(n: number): string {
  if (n < 1048576) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KB`;
  return `${(n / 1048576).toFixed(n % 1048576 === 0 ? 0 : 1)} MB`;
}

/**
 * Checks that `file` is a regular file of at most `maxBytes` (exit 2 otherwise: one line naming it).
 * Stat comes before any open, so a FIFO never blocks and /dev/zero is never read.
 */
export function checkInputFile(file: string, what: string, maxBytes: number, code: ErrorCode = 'config.invalid'): Stats {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    const c = (e as NodeJS.ErrnoException).code;
    throw new HarnessError(code, c === 'ENOENT' ? `${what} not found: ${file}` : `cannot read ${what} ${file}: ${c ?? 'error'}`);
  }
  if (!st.isFile()) throw new HarnessError(code, `${what} ${file} is not a regular file (${kindOf(st)})`);
  if (st.size > maxBytes) throw new HarnessError(code, `${what} ${file} is ${mb(st.size)}: too large (at most ${mb(maxBytes)})`);
  return st;
}

/** The file name that means standard input (`--config -`, `--targets-file -`). */
export const STDIN = '-';

/**
 * Standard input given as a file (`-`): a pipe or a redirected file, read to its end under the same
 * limit as the file would be. A terminal is refused (nothing was piped in; reading would wait forever).
 */
export function checkStdinInput(what: string, code: ErrorCode = 'config.invalid'): void {
  let st: Stats;
  try {
    st = fstatSync(0);
  } catch {
    throw new HarnessError(code, `${what} -: there is no standard input to read`);
  }
  if (isatty(0)) throw new HarnessError(code, `${what} -: standard input is a terminal; pipe the ${what} in (e.g. cat FILE | mtls-harness …) or give its path`);
  if (st.isCharacterDevice() || st.isBlockDevice()) throw new HarnessError(code, `${what} -: standard input is a device, not a pipe or a file`);
  if (st.isDirectory()) throw new HarnessError(code, `${what} -: standard input is a directory`);
}

function readStdin(what: string, maxBytes: number, code: ErrorCode): Buffer {
  checkStdinInput(what, code);
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.alloc(64 * 1024);
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      const c = (e as NodeJS.ErrnoException).code;
      if (c === 'EAGAIN') continue; // a non-blocking pipe with nothing yet: wait for the writer
      if (c === 'EOF') break;
      throw new HarnessError(code, `cannot read ${what} from standard input: ${c ?? 'error'}`);
    }
    if (n === 0) break;
    total += n;
    if (total > maxBytes) throw new HarnessError(code, `${what} on standard input is larger than ${mb(maxBytes)}: too large`);
    chunks.push(buf.subarray(0, n));
  }
  return Buffer.concat(chunks);
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

/**
 * Reads a regular file of at most `maxBytes` (checked before opening, and again while reading: a file
 * that grows meanwhile is cut at the limit and refused).
 */
export function readInputFile(file: string, what: string, maxBytes: number, code: ErrorCode = 'config.invalid'): Buffer {
  if (file === STDIN) return readStdin(what, maxBytes, code);
  checkInputFile(file, what, maxBytes, code);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new HarnessError(code, `cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new HarnessError(code, `${what} ${file} is not a regular file`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new HarnessError(code, `${what} ${file} is larger than ${mb(maxBytes)}: too large`);
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks);
  } catch (e) {
    if (e instanceof HarnessError) throw e;
    throw new HarnessError(code, `cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    closeSync(fd);
  }
}

/** Parses `--report-mode OCTAL` (e.g. 0644, 600): permission bits only, owner must be able to read and write. */
export function parseReportMode(v: string | undefined): number {
  if (v === undefined) return DEFAULT_REPORT_MODE;
  const m = /^0?([0-7]{3})$/.exec(v.trim());
  const mode = m ? parseInt(m[1]!, 8) : NaN;
  if (!m || (mode & 0o600) !== 0o600)
    throw new HarnessError(
      'usage.invalid-value',
      `--report-mode "${v.slice(0, 40)}" must be an octal file mode the owner can read and write, e.g. 0600 (the default) or 0644`,
    );
  return mode;
}

/** A file being written atomically: `write` every byte, then `commit` (rename into place) or `abort`. */
export interface AtomicFile {
  write(bytes: string | Buffer): void;
  commit(): void;
  abort(): void;
}

/**
 * The one way the harness writes a file that may hold evidence: a temporary file in the same folder
 * (O_EXCL|O_NOFOLLOW, the given mode, chmod-ed so the umask changes nothing), written synchronously,
 * then renamed over `file` by `commit`. A symlink at `file` is replaced, never followed; a reader
 * never sees half a file. `abort` (after any failure) removes the temporary file: `file` is untouched.
 */
export function openAtomicFile(file: string, mode: number = DEFAULT_REPORT_MODE): AtomicFile {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(abs)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  try {
    fchmodSync(fd, mode);
  } catch (e) {
    close();
    unlinkSync(tmp);
    throw e;
  }
  return {
    write(bytes) {
      const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    },
    commit() {
      close();
      renameSync(tmp, abs);
    },
    abort() {
      close();
      try {
        unlinkSync(tmp);
      } catch {
        /* already renamed or gone */
      }
    },
  };
}

/** Writes `bytes` to `file` atomically (see `openAtomicFile`). */
export function writeFileAtomic(file: string, bytes: string | Buffer, mode: number = DEFAULT_REPORT_MODE): void {
  const f = openAtomicFile(file, mode);
  try {
    f.write(bytes);
    f.commit();
  } catch (e) {
    f.abort();
    throw e;
  }
}

/** What identifies a path: dev:inode when it exists, else its real folder plus its name. */
function identity(file: string): string {
  try {
    const st = statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    const abs = path.resolve(file);
    let dir = path.dirname(abs);
    try {
      dir = realpathSync(dir);
    } catch {
      /* a folder still to be created */
    }
    return path.join(dir, path.basename(abs));
  }
}

/**
 * Refuses (exit 2, before anything runs) a report path that is one of the input files (same inode,
 * e.g. `--json ca.pem`, or a symlink to it) or another report's path (`--json x --junit x`).
 * `-` (stdout) and undefined entries are ignored; at most one input may be `-` (standard input).
 */
export function assertReportPaths(
  command: string,
  reports: [flag: string, file: string | undefined][],
  inputs: [flag: string, file: string | undefined][],
): void {
  const seen = new Map<string, string>();
  const fromStdin = inputs.filter(([, file]) => file === STDIN).map(([flag]) => flag);
  if (fromStdin.length > 1)
    throw new HarnessError(
      'usage.invalid-value',
      `${command}: ${fromStdin.join(' and ')} both read standard input (-): only one input can; give the other as a file`,
    );
  for (const [flag, file] of inputs) if (file && file !== STDIN) seen.set(identity(file), `${flag} ${file}`);
  const reportIds = new Map<string, string>();
  for (const [flag, file] of reports) {
    if (!file || file === '-') continue;
    const id = identity(file);
    const input = seen.get(id);
    if (input)
      throw new HarnessError(
        'usage.invalid-value',
        `${command}: ${flag} ${file} is the input file ${input}: a report would overwrite it; write the report elsewhere`,
      );
    const other = reportIds.get(id);
    if (other)
      throw new HarnessError(
        'usage.invalid-value',
        `${command}: ${flag} ${file} is also ${other}: one report would replace the other; give each report its own file`,
      );
    reportIds.set(id, `${flag} ${file}`);
  }
}
