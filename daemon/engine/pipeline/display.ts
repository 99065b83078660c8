// The display image (issue 16): the picture as the daemon decoded it, for a client that cannot
// decode the original (TIFF, 16-bit PNG, CMYK JPEG) or would orient it differently (EXIF). It
// goes through the same decoding steps as the model input (first frame, EXIF orientation,
// sRGB), so it lines up with the mask pixel for pixel, scaled by width / mask width.
import { promises as fsp } from 'node:fs';
import sharp from 'sharp';
import { SegLensError } from '../../api/errors';
import { DisplayRegion, ErrorCodes } from '../../api/protocol';
import type { ImageInput } from '../engine';
import { withDecodeTimeout } from './decodeTimeout';
import { ImageHeader, probeImage, readImageBytes } from './imageIO';
import { checkInside } from './region';

export interface DisplayOutput {
  bytes: Uint8Array;
  mimeType: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
}

/** Size of the display image: the oriented size, scaled down (never up) to fit `maxSide`. */
export function displaySize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  if (scale >= 1) return { width, height };
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * Encodes the oriented, sRGB, 8-bit image at most `maxSide` on its longest side: JPEG
 * (quality 92 by default, no chroma subsampling, so class edges keep their colour at high zoom) when it
 * is opaque, PNG when it has alpha.
 */
export async function encodeDisplayImage(bytes: Uint8Array, header: ImageHeader, maxSide: number, maxPixels: number, quality = 92): Promise<DisplayOutput> {
  const size = displaySize(header.width, header.height, maxSide);
  const limit = Number.isFinite(maxPixels) && maxPixels > 0 ? Math.floor(maxPixels) : true;
  let p = sharp(bytes, { limitInputPixels: limit, failOn: 'error', pages: 1 }).rotate().toColourspace('srgb');
  if (size.width !== header.width || size.height !== header.height) p = p.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  try {
    const png = header.hasAlpha;
    const out = png
      ? await p.png({ compressionLevel: 6, palette: false }).toBuffer({ resolveWithObject: true })
      : await p.jpeg({ quality, chromaSubsampling: '4:4:4', mozjpeg: false }).toBuffer({ resolveWithObject: true });
    return { bytes: out.data, mimeType: png ? 'image/png' : 'image/jpeg', width: out.info.width, height: out.info.height };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new SegLensError(ErrorCodes.ImageUndecodable, `Image could not be decoded for display (${msg})`);
  }
}

// ---- seglens/displayCrop: full-resolution pixels of one region (run in workers/cropWorker.ts) ----

export interface CropJob {
  image: ImageInput;
  region: DisplayRegion;
  maxPixels: number;
}
export interface CropOutput {
  png: Uint8Array;
  imageWidth: number;
  imageHeight: number;
}

interface Decoded {
  key: string;
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}
/** The last image decoded for a crop: panning at 1:1 asks for many regions of one file. */
let lastDecoded: Decoded | undefined;

async function sourceKey(image: ImageInput): Promise<string | undefined> {
  if (!('path' in image)) return undefined;
  try {
    const st = await fsp.stat(image.path);
    return `${image.path}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    return undefined; // readImageBytes says why
  }
}

/** The oriented, sRGB, 8-bit pixels (alpha kept), as the display image decodes them. */
async function decodeOriented(image: ImageInput, maxPixels: number): Promise<Decoded> {
  const key = await sourceKey(image);
  if (key && lastDecoded?.key === key) return lastDecoded;
  lastDecoded = undefined; // let the previous one go before decoding the next
  const bytes = await readImageBytes(image);
  const what = 'path' in image ? image.path : `<${bytes.length} bytes>`;
  await probeImage(bytes, maxPixels, what); // 1002 / 1003 from the header, before decoding
  const limit = Number.isFinite(maxPixels) && maxPixels > 0 ? Math.floor(maxPixels) : true;
  try {
    const p = sharp(bytes, { limitInputPixels: limit, failOn: 'error', pages: 1 }).rotate().toColourspace('srgb');
    // The same time limit as the engine's decoding (--decode-timeout-ms, issue #13).
    const { data, info } = await withDecodeTimeout(p, what, (q) => q.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
    const d: Decoded = { key: key ?? '', data, width: info.width, height: info.height, channels: info.channels };
    if (key) lastDecoded = d;
    return d;
  } catch (e) {
    if (e instanceof SegLensError) throw e;
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new SegLensError(ErrorCodes.ImageUndecodable, `Image could not be decoded: ${what} (${msg})`);
  }
}

/** The region's own pixels as a PNG (lossless: what the webview draws at 1:1 is the image). */
export async function cropDisplayImage(job: CropJob): Promise<CropOutput> {
  const d = await decodeOriented(job.image, job.maxPixels);
  checkInside('seglens/displayCrop', job.region, d.width, d.height);
  const png = await sharp(d.data, { raw: { width: d.width, height: d.height, channels: d.channels } })
    .extract(job.region)
    .png({ compressionLevel: 1, palette: false })
    .toBuffer();
  return { png, imageWidth: d.width, imageHeight: d.height };
}
