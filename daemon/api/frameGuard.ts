// A guard in front of vscode-jsonrpc's StreamMessageReader. The reader buffers whatever a
// client sends until a frame is complete: a `Content-Length: 2147483648` header, or bytes that
// never end a header, make it buffer without bound (and a negative length confuses it). The
// guard follows the framing itself and, past the limits, says why and drops that client; the
// bytes pass through unchanged otherwise. It is the one framing authority (issue #13): a header
// block the reader could read differently (a header twice, as two Content-Length values of
// which the guard would check one and the reader use the other; a line without ':') is
// refused, and so is a frame that stays incomplete past a timeout. The daemon puts one in front
// of each socket client, the Node client one in front of the daemon.
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

/** The Content-Length of a header block, or why the block is refused. */
export function parseHeaders(block: string): { length: number } | { error: string } {
  const seen = new Set<string>();
  let value: string | undefined;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `a malformed header line '${line.slice(0, 40)}'` };
    const name = line.slice(0, colon).trim().toLowerCase();
    if (seen.has(name)) return { error: `a frame with the ${name} header twice` };
    seen.add(name);
    if (name === 'content-length') value = line.slice(colon + 1).trim();
  }
  if (value === undefined) return { error: 'a frame without Content-Length' };
  if (!/^\d{1,15}$/.test(value)) return { error: `an invalid Content-Length '${value.slice(0, 40)}'` };
  return { length: Number(value) };
}

export class FrameGuard extends Transform {
  /** Bytes of body still expected for the current frame; -1 while reading headers. */
  private bodyLeft = -1;
  private header = Buffer.alloc(0);
  private failed = false;
  private frameTimer: NodeJS.Timeout | undefined;
  /** Frames seen whole so far. */
  private completed = 0;

  /**
   * `frameTimeoutMs`: a frame begun (a header byte received) must be complete within this
   * time, or the peer is dropped (0: no limit).
   */
  constructor(
    private readonly onViolation: (reason: string) => void,
    private readonly maxFrameBytes = MAX_FRAME_BYTES,
    private readonly maxHeaderBytes = MAX_HEADER_BYTES,
    private readonly frameTimeoutMs = 0,
  ) {
    super();
  }

  override _transform(chunk: Buffer, enc: BufferEncoding, done: TransformCallback): void {
    const completedBefore = this.completed;
    this.scan(chunk, enc, done);
    if (this.failed || this.frameTimeoutMs <= 0) return;
    // The clock runs per frame: from its first byte to its last.
    if (this.completed !== completedBefore) this.clearTimer();
    const midFrame = this.bodyLeft > 0 || this.header.length > 0;
    if (!midFrame) this.clearTimer();
    else
      this.frameTimer ??= setTimeout(() => {
        if (this.failed) return;
        this.failed = true;
        this.onViolation(`a frame that did not complete within ${this.frameTimeoutMs / 1000} s`);
      }, this.frameTimeoutMs);
  }

  override _flush(done: TransformCallback): void {
    this.clearTimer();
    done();
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    this.clearTimer();
    done(err);
  }

  private clearTimer(): void {
    clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  private scan(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.failed) return done();
    let off = 0;
    while (off < chunk.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - off);
        this.bodyLeft -= n;
        off += n;
        if (this.bodyLeft === 0) {
          this.bodyLeft = -1;
          this.completed++;
        }
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
      const parsed = parseHeaders(joined.subarray(0, end).toString('latin1'));
      if ('error' in parsed) return this.fail(parsed.error, done);
      const length = parsed.length;
      if (length > this.maxFrameBytes) {
        return this.fail(`a frame of ${length} bytes (the limit is ${this.maxFrameBytes})`, done);
      }
      const consumed = end + CRLFCRLF.length - this.header.length; // of `rest`
      this.header = Buffer.alloc(0);
      off += consumed;
      this.bodyLeft = length > 0 ? length : -1;
      if (length === 0) this.completed++;
    }
    done(null, chunk);
  }

  private fail(reason: string, done: TransformCallback): void {
    this.failed = true;
    this.clearTimer();
    this.header = Buffer.alloc(0);
    done();
    this.onViolation(reason);
  }
}
