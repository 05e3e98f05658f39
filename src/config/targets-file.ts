import { createReadStream } from 'node:fs';
import { HarnessError } from '../core/errors.js';
import { checkInputFile, checkStdinInput, STDIN } from '../io/files.js';
import { parseEndpoint, type Endpoint } from '../core/endpoint.js';
import { safeText } from '../core/text.js';
import { checkHostName } from './validate.js';

/** One line of a targets file. */
export interface TargetLine extends Endpoint {
  servername?: string;
  /** The line it came from (for messages). */
  line: number;
}

/** More targets than this in one file is almost certainly the wrong file. */
export const MAX_TARGETS = 1_000_000;
/** A targets file is at most this large (it is streamed, never read whole). */
export const MAX_TARGETS_FILE_BYTES = 256 * 1024 * 1024;
/** No line of a targets file is longer than this (host:port,servername fits in far less). */
export const MAX_TARGETS_LINE_BYTES = 4096;

/** A copy of `s` that keeps no larger string alive (V8 slices share their parent's memory). */
function flat(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** Parses targets-file lines one at a time (see `parseTargetsText`). */
class TargetsParser {
  readonly out: TargetLine[] = [];
  constructor(private readonly file: string) {}

  line(raw: string, n: number): void {
    const hash = raw.indexOf('#');
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (!line) return;
    const where = `${this.file}:${n}`;
    const parts = line.includes(',') ? line.split(',').map((p) => p.trim()) : [line];
    if (parts.length > 2 || !parts[0])
      throw new HarnessError('config.invalid', `${where}: expected host:port or host:port,servername, not "${safeText(line, 80)}"`);
    let endpoint: Endpoint;
    try {
      endpoint = parseEndpoint(parts[0]);
    } catch (e) {
      throw new HarnessError('config.invalid', `${where}: ${safeText((e as Error).message, 200)}`);
    }
    const servername = parts[1];
    if (servername !== undefined) checkHostName(`${where}: servername`, servername, 'config.invalid');
    if (this.out.length >= MAX_TARGETS) throw new HarnessError('config.invalid', `${this.file}: more than ${MAX_TARGETS} targets`);
    // One shape for every entry, and the host copied out of the chunk it was read from: 1,000,000
    // targets stay well under 150 MB.
    const host = flat(endpoint.host);
    this.out.push(servername ? { host, port: endpoint.port, servername: flat(servername), line: n } : { host, port: endpoint.port, line: n });
  }

  finish(): TargetLine[] {
    if (this.out.length === 0) throw new HarnessError('config.invalid', `${this.file}: no targets (one host:port[,servername] per line; # starts a comment)`);
    return this.out;
  }
}

/**
 * Parses a targets file: one `host:port[,servername]` per line (`[v6]:port` too); blank lines and
 * `#` comments are ignored. Any bad line is a `config.invalid` error naming file and line (exit 2).
 */
export function parseTargetsText(text: string, file: string): TargetLine[] {
  const p = new TargetsParser(file);
  for (const [i, raw] of text.split(/\r?\n/).entries()) p.line(raw, i + 1);
  return p.finish();
}

/**
 * Reads a targets file (see `parseTargetsText`), streamed line by line: memory grows with the targets
 * kept, not with the file. A path that is not a regular file, a file over 256 MB, a line over 4096
 * bytes or more than 1,000,000 targets is a `config.invalid` error (exit 2). `-` reads standard input
 * (a pipe or a redirected file, under the same limits; a terminal is refused).
 */
export async function loadTargetsFile(file: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<TargetLine[]> {
  const mb = MAX_TARGETS_FILE_BYTES / 1048576;
  const fromStdin = file === STDIN;
  if (fromStdin && stdin === process.stdin) checkStdinInput('targets file');
  else if (!fromStdin) checkInputFile(file, 'targets file', MAX_TARGETS_FILE_BYTES);
  const label = fromStdin ? '(stdin)' : file;
  const p = new TargetsParser(label);
  file = label;
  if (fromStdin) stdin.setEncoding('utf8');
  const stream = fromStdin ? stdin : createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  let carry = '';
  let n = 0;
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      bytes += Buffer.byteLength(chunk);
      if (bytes > MAX_TARGETS_FILE_BYTES) throw new HarnessError('config.invalid', `targets file ${file} is larger than ${mb} MB: too large`);
      let text = carry + chunk;
      let nl: number;
      let start = 0;
      while ((nl = text.indexOf('\n', start)) !== -1) {
        p.line(text.slice(start, nl).replace(/\r$/, ''), ++n);
        start = nl + 1;
      }
      carry = text.slice(start);
      text = '';
      if (carry.length > MAX_TARGETS_LINE_BYTES)
        throw new HarnessError('config.invalid', `${file}:${n + 1}: line longer than ${MAX_TARGETS_LINE_BYTES} bytes (one host:port[,servername] per line)`);
    }
  } catch (e) {
    if (e instanceof HarnessError) throw e;
    throw new HarnessError('config.invalid', `cannot read targets file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    if (!fromStdin) (stream as ReturnType<typeof createReadStream>).destroy();
  }
  if (carry) p.line(carry, ++n);
  return p.finish();
}
