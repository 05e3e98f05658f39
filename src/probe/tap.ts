import type * as net from 'node:net';
import { Duplex } from 'node:stream';

/** Passes socket bytes through untouched while letting the recorder see every byte the server sends. */
export class TapDuplex extends Duplex {
  constructor(
    private readonly raw: net.Socket,
    tap: (b: Buffer) => void,
  ) {
    super();
    raw.on('data', (d: Buffer) => {
      tap(d);
      if (!this.push(d)) raw.pause();
    });
    raw.on('end', () => this.push(null));
    raw.on('error', (e) => this.destroy(e));
  }
  override _read(): void {
    this.raw.resume();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.raw.write(chunk, cb);
  }
  /**
   * Buffered chunks go out in one TCP write. TLS hands its flight over record by record; sent as
   * separate segments, a server that refuses after the first ones (and closes) answers the rest with
   * a TCP reset, which can destroy its alert before we read it.
   */
  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.raw.write(Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.raw.end();
    cb();
  }
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.raw.destroy();
    cb(err);
  }
}
