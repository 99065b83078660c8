// A guard in front of vscode-jsonrpc's StreamMessageReader. The reader buffers whatever a
// client sends until a frame is complete: a `Content-Length: 2147483648` header, or bytes that
// never end a header, make it buffer without bound (and a negative length confuses it). The
// guard follows the framing itself and, past the limits, says why and drops that client; the
// bytes pass through unchanged otherwise.
import { Transform, TransformCallback } from 'node:stream';

/** Largest frame body accepted by default. */
export const MAX_FRAME_BYTES = 128 * 1024 * 1024;

/**
 * The frame limit for a daemon that accepts base64 images up to `maxImageBytes`: such an image
 * must reach the daemon (and be refused with 1003 if it is over), so the limit is at least its
 * base64 size plus room for the JSON around it.
 */
export function frameLimitFor(maxImageBytes: number): number {
  return Math.max(MAX_FRAME_BYTES, Math.ceil(maxImageBytes / 3) * 4 + 1024 * 1024);
}
/** Largest header block (the headers of one frame, up to the blank line). */
export const MAX_HEADER_BYTES = 8 * 1024;

const CRLFCRLF = Buffer.from('\r\n\r\n', 'ascii');

export class FrameGuard extends Transform {
  /** Bytes of body still expected for the current frame; -1 while reading headers. */
  private bodyLeft = -1;
  private header = Buffer.alloc(0);
  private failed = false;

  constructor(
    private readonly onViolation: (reason: string) => void,
    private readonly maxFrameBytes = MAX_FRAME_BYTES,
    private readonly maxHeaderBytes = MAX_HEADER_BYTES,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.failed) return done();
    let off = 0;
    while (off < chunk.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - off);
        this.bodyLeft -= n;
        off += n;
        if (this.bodyLeft === 0) this.bodyLeft = -1;
        continue;
      }
      // Reading headers: look for the blank line, across chunk boundaries.
      const rest = chunk.subarray(off);
      const joined = this.header.length ? Buffer.concat([this.header, rest]) : rest;
      const end = joined.indexOf(CRLFCRLF);
      if (end < 0) {
        if (joined.length > this.maxHeaderBytes) return this.fail(`a frame header longer than ${this.maxHeaderBytes} bytes`, done);
        this.header = Buffer.from(joined);
        off = chunk.length;
        break;
      }
      if (end > this.maxHeaderBytes) return this.fail(`a frame header longer than ${this.maxHeaderBytes} bytes`, done);
      const m = /(?:^|\r\n)content-length:[ \t]*([^\r\n]*)/i.exec(joined.subarray(0, end).toString('latin1'));
      const value = m?.[1].trim();
      const length = value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : NaN;
      if (!Number.isFinite(length)) {
        return this.fail(value === undefined ? 'a frame without Content-Length' : `an invalid Content-Length '${value.slice(0, 40)}'`, done);
      }
      if (length > this.maxFrameBytes) {
        return this.fail(`a frame of ${length} bytes (the limit is ${this.maxFrameBytes})`, done);
      }
      const consumed = end + CRLFCRLF.length - this.header.length; // of `rest`
      this.header = Buffer.alloc(0);
      off += consumed;
      this.bodyLeft = length > 0 ? length : -1;
    }
    done(null, chunk);
  }

  private fail(reason: string, done: TransformCallback): void {
    this.failed = true;
    this.header = Buffer.alloc(0);
    done();
    this.onViolation(reason);
  }
}
