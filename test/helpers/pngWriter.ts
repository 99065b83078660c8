// A tiny PNG writer for tests: palette and grey images with chosen row filters, so the
// decoders under test meet what other tools write (VOC's palette masks, sub-byte depths).
import * as zlib from 'node:zlib';

export function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

export interface PngSpec {
  width: number;
  height: number;
  /** One value per pixel (index or grey level, already within the bit depth). */
  values: ArrayLike<number>;
  colorType: 0 | 3;
  bitDepth?: 1 | 2 | 4 | 8;
  /** Palette entries (colour type 3). */
  palette?: [number, number, number][];
  /** The filter type used on every row (0 none, 1 sub, 2 up, 3 average, 4 paeth). */
  filter?: 0 | 1 | 2 | 3 | 4;
}

const paeth = (a: number, b: number, c: number) => {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

export function writePng(s: PngSpec): Buffer {
  const depth = s.bitDepth ?? 8;
  const rowBytes = Math.ceil((s.width * depth) / 8);
  const rows: Buffer[] = [];
  let prev = Buffer.alloc(rowBytes);
  const filter = s.filter ?? 0;
  for (let y = 0; y < s.height; y++) {
    const row = Buffer.alloc(rowBytes);
    for (let x = 0; x < s.width; x++) {
      const v = s.values[y * s.width + x];
      const bit = x * depth;
      row[bit >> 3] |= v << (8 - depth - (bit & 7));
    }
    const out = Buffer.alloc(rowBytes + 1);
    out[0] = filter;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= 1 ? row[i - 1] : 0;
      const b = y > 0 ? prev[i] : 0;
      const c = y > 0 && i >= 1 ? prev[i - 1] : 0;
      const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      out[i + 1] = (row[i] - pred) & 0xff;
    }
    rows.push(out);
    prev = row;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(s.width, 0);
  ihdr.writeUInt32BE(s.height, 4);
  ihdr[8] = depth;
  ihdr[9] = s.colorType;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (s.colorType === 3) parts.push(chunk('PLTE', Buffer.from((s.palette ?? [[0, 0, 0]]).flat())));
  parts.push(chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}
