// A global budget for image bytes in flight (issue #13; `--max-inflight-mb`): the encoded bytes
// a segment holds plus an estimate of its decoded pixels (width x height x 3 from the header
// of a PNG, JPEG or GIF; other formats count their encoded bytes only). Past the budget a
// request gets 1005 at once, like a full queue: the queue bounds how many, this how much.
// Prompt modes count here too (prompter.ts): an encoder run its image and the encoder's input,
// a prompt the decoder's masks and their PNGs.
import { constants as C, promises as fsp } from 'node:fs';
import { SegLensError } from '../api/errors';
import { ErrorCodes } from '../api/protocol';

const be16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const le16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const be32 = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);

/** SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC): the frame header with the dimensions. */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegPixels(b: Uint8Array): number {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return 0;
    const m = b[i + 1];
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    if (isSof(m)) return be16(b, i + 5) * be16(b, i + 7);
    i += 2 + be16(b, i + 2);
  }
  return 0;
}

/** Width x height from the first bytes of a PNG, JPEG or GIF; 0 when unknown. */
export function headerPixels(b: Uint8Array): number {
  if (b.length >= 24 && be32(b, 0) === 0x89504e47) return be32(b, 16) * be32(b, 20);
  if (b.length >= 10 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return le16(b, 6) * le16(b, 8);
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return jpegPixels(b);
  return 0;
}

/** The first `n` bytes of a file checked to be a regular file (imageFile.ts); none if it no longer is one. */
export async function fileHead(p: string, n = 65536): Promise<Uint8Array> {
  // Without blocking, and only from a regular file: the path may have been swapped for a FIFO since.
  // Gone since the check: no estimate; the engine's read says what is wrong (1001).
  const fh = await fsp.open(p, C.O_RDONLY | (C.O_NONBLOCK ?? 0)).catch(() => undefined);
  if (!fh) return new Uint8Array();
  try {
    if (!(await fh.stat()).isFile()) return new Uint8Array();
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

export class InflightBudget {
  private used = 0;
  /** `maxPixels`: an image whose header claims more is refused (1003) before it is decoded, so
   * only its encoded bytes count here (it must get 1003, not 1005). */
  constructor(
    private readonly maxBytes: number,
    private readonly maxPixels = Infinity,
  ) {}

  /** `encoded` bytes and the decoded estimate (width x height x 3 from `head`'s header). */
  imageBytes(encoded: number, head: Uint8Array): number {
    const pixels = headerPixels(head);
    return encoded + (pixels <= this.maxPixels ? pixels * 3 : 0);
  }

  /** Counts `encoded` bytes and the decoded estimate against the budget; 1005 past it. The release function, once. */
  reserve(encoded: number, head: Uint8Array): () => void {
    return this.hold(this.imageBytes(encoded, head), 'this image', 'encoded and decoded');
  }

  /** Counts `bytes` (what `what` needs, made of `parts`) against the budget; 1005 past it. The release function, once. */
  hold(bytes: number, what: string, parts: string): () => void {
    if (this.maxBytes > 0 && this.used + bytes > this.maxBytes) {
      const mb = (n: number) => (n / 1048576).toFixed(1);
      throw new SegLensError(
        ErrorCodes.Overloaded,
        `SegLens is busy: ${what} needs ${mb(bytes)} MB (${parts}), ${mb(this.used)} MB of images are in flight, the limit is ${mb(this.maxBytes)} MB (--max-inflight-mb); try again shortly`,
      );
    }
    this.used += bytes;
    let done = false;
    return () => {
      if (!done) this.used -= bytes;
      done = true;
    };
  }
}
