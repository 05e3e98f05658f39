/**
 * Where a report goes as it is generated (issue 16, "stream what can be streamed"): pieces are
 * gathered into writes of about 64 KiB, and each write completes before the next piece is
 * generated (backpressure: a slow disk or a slow reader of stdout holds the generator, never a
 * growing buffer). A report file keeps the semantics of src/files.ts writeFileAtomic: a temporary
 * file created with O_EXCL|O_NOFOLLOW in the same folder, chmod-ed to the report mode (0600 unless
 * `--report-mode`), renamed over the final path when complete (a symlink there is replaced, never
 * followed; a reader never sees half a report), removed when anything fails.
 *
 * File writes are synchronous, as writeFileAtomic's were: writing a report never turns the event
 * loop, so the 10 s limit of an interrupted run's cleanup (src/cli/main.ts) cannot cut a report
 * half-way and leave its temporary file behind. Only a refused write to stdout (a slow pipe
 * reader) waits for 'drain'.
 */
import { DEFAULT_REPORT_MODE, openAtomicFile } from '../io/files.js';

/** Takes a report's pieces in order; each write resolves when the piece may be let go. */
export interface ReportSink {
  write(piece: string | Buffer): Promise<void>;
}

/** Writes text pieces in order, each awaited. */
export async function writePiecesTo(out: ReportSink, pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) await out.write(piece);
}

/** About this much is gathered before it is written. */
export const WRITE_SIZE = 64 * 1024;

/**
 * Gathers pieces into writes of about WRITE_SIZE. Text is encoded as UTF-8 per write, so a high
 * surrogate that ends a write waits for the next piece (its low half, if it has one): the bytes
 * are those of the whole text encoded at once. Binary pieces (a PDF) are written as they are.
 */
class Gather implements ReportSink {
  private parts: (string | Buffer)[] = [];
  private size = 0;
  constructor(private readonly flushTo: (data: string | Buffer) => void | Promise<void>) {}

  async write(piece: string | Buffer): Promise<void> {
    if (piece.length === 0) return;
    this.parts.push(piece);
    this.size += piece.length;
    if (this.size >= WRITE_SIZE) await this.flush(false);
  }

  async flush(end: boolean): Promise<void> {
    const parts = this.parts;
    this.parts = [];
    this.size = 0;
    if (parts.length === 0) return;
    if (!parts.every((p) => typeof p === 'string')) {
      await this.flushTo(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))));
      return;
    }
    let text = parts.join('');
    const last = text.charCodeAt(text.length - 1);
    if (!end && last >= 0xd800 && last <= 0xdbff) {
      this.parts.push(text.slice(-1));
      this.size = 1;
      text = text.slice(0, -1);
    }
    if (text.length) await this.flushTo(text);
  }
}

/**
 * Writes a report to `file` as `produce` generates it, atomically (see the module comment), with
 * `mode`. When `produce` or a write fails, the temporary file is removed and the error thrown: the
 * final path is untouched.
 */
export async function writeFileAtomicStreamed(file: string, produce: (out: ReportSink) => Promise<void>, mode: number = DEFAULT_REPORT_MODE): Promise<void> {
  const f = openAtomicFile(file, mode);
  try {
    const sink = new Gather((data) => f.write(data));
    await produce(sink);
    await sink.flush(true);
    f.commit();
  } catch (e) {
    f.abort();
    throw e;
  }
}

/** A stream the CLI writes text to (process.stdout, or a test's collector). */
export interface TextOut {
  write(s: string): unknown;
  once?(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener?(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Writes a text report to stdout as `produce` generates it: a write that the stream refuses to
 * buffer (write() returned false) waits for 'drain' (or fails on 'error' / 'close').
 */
export async function writeStreamed(stdout: TextOut, produce: (out: ReportSink) => Promise<void>): Promise<void> {
  const sink = new Gather(async (data) => {
    const ok = stdout.write(typeof data === 'string' ? data : data.toString('utf8'));
    if (ok !== false || !stdout.once || !stdout.removeListener) return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: unknown) => {
        stdout.removeListener!('drain', onDrain);
        stdout.removeListener!('error', onError);
        stdout.removeListener!('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onError = (e: unknown) => done(e ?? new Error('stdout error'));
      const onClose = () => done(Object.assign(new Error('stdout closed'), { code: 'EPIPE' }));
      stdout.once!('drain', onDrain);
      stdout.once!('error', onError);
      stdout.once!('close', onClose);
    });
  });
  await produce(sink);
  await sink.flush(true);
}
