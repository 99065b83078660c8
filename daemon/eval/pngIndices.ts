// Reads a class-index PNG as its stored indices. libvips (sharp) expands a palette PNG to RGB,
// which would lose the indices a VOC SegmentationClass/ mask is made of, so palette (and plain
// one-channel) PNGs are decoded here: chunks, zlib, and the five PNG row filters.
// A ground truth is a file like any input (issue #20): its one IHDR must come first (libvips
// reads the first, so a second one could slip past the pixel limit), the image data inflates to
// exactly the length the header implies (a 500 KB file must not inflate to gigabytes), and the
// work stays under the pixel limit and the decode time limit.
import * as zlib from 'node:zlib';
import { SegLensError } from '../api/errors';
import { ErrorCodes } from '../api/protocol';
import { decodeDeadline, withTimeLimit } from '../engine/pipeline/decodeTimeout';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface IndexImage {
  width: number;
  height: number;
  /** One byte per pixel: the palette index, or the grey value. */
  data: Uint8Array;
  colorType: 'palette' | 'grey';
}

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

/** True for a PNG whose pixels are one index/grey sample (colour types 0 and 3). */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 8 && Buffer.from(bytes.subarray(0, 8)).equals(SIGNATURE);
}

/** The header and image data; throws on a damaged or ambiguous chunk layout (one IHDR, first). */
function chunks(bytes: Buffer): { header: Header; idat: Buffer } {
  let p = 8;
  let header: Header | undefined;
  const idat: Buffer[] = [];
  while (p + 8 <= bytes.length) {
    const len = bytes.readUInt32BE(p);
    const type = bytes.toString('latin1', p + 4, p + 8);
    const data = bytes.subarray(p + 8, p + 8 + len);
    if (data.length !== len) throw new Error('truncated PNG chunk');
    if (type === 'IHDR') {
      if (header) throw new Error('a second IHDR chunk');
      if (p !== 8) throw new Error('the IHDR chunk is not the first chunk');
      if (len !== 13) throw new Error(`an IHDR chunk of ${len} bytes, not 13`);
      header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), bitDepth: data[8], colorType: data[9], interlace: data[12] };
    } else if (!header) throw new Error(`a ${JSON.stringify(type)} chunk before IHDR`);
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  if (!header) throw new Error('PNG without IHDR');
  return { header, idat: Buffer.concat(idat) };
}

/**
 * Inflates the image data to exactly `length` bytes: more (a decompression bomb, or data past
 * the image) or less is refused, and inflating stops as soon as it passes `length`.
 */
async function inflateExactly(idat: Buffer, length: number, what: string): Promise<Buffer> {
  const inflated = new Promise<{ buffer: Buffer; engine: zlib.Inflate }>((resolve, reject) =>
    zlib.inflate(idat, { maxOutputLength: length, info: true }, (e, r) => (e ? reject(e) : resolve(r as unknown as { buffer: Buffer; engine: zlib.Inflate }))),
  );
  let r;
  try {
    r = await withTimeLimit(inflated, what);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`the image data inflates past the ${length} bytes its header implies`);
    throw e;
  }
  if (r.buffer.length < length) throw new Error('PNG image data is truncated');
  if (r.engine.bytesWritten < idat.length) throw new Error(`${idat.length - r.engine.bytesWritten} bytes of image data after its end`);
  return r.buffer;
}

const paeth = (a: number, b: number, c: number) => {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/** Reverses the per-row filters in place; `bpp` bytes per complete pixel (at least 1); `late()` is checked each row. */
function unfilter(raw: Buffer, rowBytes: number, height: number, bpp: number, late: () => void): Uint8Array {
  const out = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    late();
    const filter = raw[y * (rowBytes + 1)];
    const src = y * (rowBytes + 1) + 1;
    const row = y * rowBytes;
    const prev = row - rowBytes;
    for (let x = 0; x < rowBytes; x++) {
      const a = x >= bpp ? out[row + x - bpp] : 0;
      const b = y > 0 ? out[prev + x] : 0;
      const c = y > 0 && x >= bpp ? out[prev + x - bpp] : 0;
      const v = raw[src + x];
      const pred = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : -1;
      if (pred < 0) throw new Error(`bad PNG filter type ${filter}`);
      out[row + x] = (v + pred) & 0xff;
    }
  }
  return out;
}

export interface IndexPngLimits {
  /** Refused (1003) above this many pixels. */
  maxPixels: number;
  /** How to name the file in messages. */
  what: string;
}

/**
 * The indices of a palette PNG, or the samples of an 8-bit-or-less grey PNG; undefined for
 * every other kind (the caller decodes those with sharp), once its chunk layout passed (any
 * PNG with two IHDRs throws, whatever its kind). Throws on a damaged file (Error),
 * on one over the pixel limit (1003) and past the decode time limit (1002).
 */
export async function readIndexPng(bytes: Uint8Array, limits: IndexPngLimits = { maxPixels: Infinity, what: 'PNG' }): Promise<IndexImage | undefined> {
  if (!isPng(bytes)) return undefined;
  const { header: h, idat } = chunks(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if ((h.colorType !== 3 && h.colorType !== 0) || h.bitDepth > 8 || h.interlace !== 0) return undefined;
  if (!(h.width > 0 && h.height > 0)) throw new Error('PNG without dimensions');
  if (h.width * h.height > limits.maxPixels) {
    throw new SegLensError(ErrorCodes.ImageTooLarge, `Image too large: ${limits.what} is ${h.width}x${h.height}, the limit is ${limits.maxPixels} pixels`);
  }
  const late = decodeDeadline(limits.what);
  const rowBytes = Math.ceil((h.width * h.bitDepth) / 8);
  const raw = await inflateExactly(idat, (rowBytes + 1) * h.height, limits.what);
  const packed = unfilter(raw, rowBytes, h.height, 1, late);
  const data = new Uint8Array(h.width * h.height);
  const perByte = 8 / h.bitDepth;
  const mask = (1 << h.bitDepth) - 1;
  // Grey below 8 bits is scaled to 0..255 as every decoder does; palette indices stay indices.
  const scale = h.colorType === 0 ? 255 / mask : 1;
  for (let y = 0; y < h.height; y++) {
    late();
    for (let x = 0; x < h.width; x++) {
      const byte = packed[y * rowBytes + Math.floor(x / perByte)];
      const shift = 8 - h.bitDepth * ((x % perByte) + 1);
      data[y * h.width + x] = Math.round(((byte >> shift) & mask) * scale);
    }
  }
  return { width: h.width, height: h.height, data, colorType: h.colorType === 3 ? 'palette' : 'grey' };
}
