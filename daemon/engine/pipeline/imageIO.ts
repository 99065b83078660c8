// Image I/O for the engine worker, on sharp (libvips): read the bytes, check the dimensions
// from the header before any decoding, decode with EXIF orientation to 8-bit RGB resized to
// the model's input (ignoring aspect ratio), and the mask side: resize back, encode PNG.
//
// Resampling: sharp 0.35 has no kernel called 'bilinear'; its kernels are nearest, linear,
// cubic, mitchell, lanczos2, lanczos3, mks2013, mks2021. 'linear' is the triangle filter:
// bilinear interpolation when enlarging, and when reducing a triangle filter widened to the
// reduction factor (area-aware bilinear, so a 3000 px photo reduced to 1024 does not alias
// the way point-sampled bilinear does). That is the kernel used for the image and for the
// binary mask; class-index masks use 'nearest' (interpolating labels would invent classes).
import sharp from 'sharp';
import type { Metadata, Sharp } from 'sharp';
import { SegLensError } from '../../api/errors';
import { ErrorCodes } from '../../api/protocol';
import type { ImageInput } from '../engine';
import { withDecodeTimeout } from './decodeTimeout';
import { readImageFile } from './imageFile';

export const RESIZE_KERNEL = 'linear' as const;
export const PNG_COMPRESSION_LEVEL = 1;

export interface ImageHeader {
  /** After EXIF orientation. */
  width: number;
  height: number;
  format: string;
  hasAlpha: boolean;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
}

export interface RgbImage {
  /** Interleaved 8-bit RGB, width x height x 3. */
  data: Uint8Array;
  width: number;
  height: number;
}

const describe = (input: ImageInput) => ('path' in input ? input.path : `<${input.bytes.length} bytes>`);

/** The image's bytes; a path is read only if it is a regular file (imageFile.ts): 1001 otherwise. */
export async function readImageBytes(input: ImageInput): Promise<Uint8Array> {
  if ('bytes' in input) return input.bytes;
  return readImageFile(input.path);
}

function undecodable(what: string, e: unknown): SegLensError {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return new SegLensError(ErrorCodes.ImageUndecodable, `Image could not be decoded: ${what} (${msg})`);
}

function tooLarge(what: string, w: number, h: number, maxPixels: number): SegLensError {
  const mp = (n: number) => (n / 1e6).toFixed(1);
  return new SegLensError(
    ErrorCodes.ImageTooLarge,
    `Image too large: ${what} is ${w}x${h} (${mp(w * h)} megapixels), the limit is ${mp(maxPixels)} megapixels`,
  );
}

/** sharp's own pixel limit: the same as ours, so a header that lies never decodes. */
function sharpLimit(maxPixels: number): number | boolean {
  return Number.isFinite(maxPixels) && maxPixels > 0 ? Math.floor(maxPixels) : true;
}

/** Reads the header only (no pixel decoding): dimensions after orientation; 1002 / 1003. */
export async function probeImage(bytes: Uint8Array, maxPixels: number, what = `<${bytes.length} bytes>`): Promise<ImageHeader> {
  if (bytes.length === 0) throw undecodable(what, new Error('the file is empty'));
  let m: Metadata;
  try {
    // Header only: no pixel limit here so that we can say how large the image claims to be.
    m = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw undecodable(what, e);
  }
  const rawW = m.width ?? 0;
  const rawH = m.pageHeight ?? m.height ?? 0;
  if (!(rawW > 0 && rawH > 0)) throw undecodable(what, new Error('no image dimensions in the header'));
  const orientation = m.orientation ?? 1;
  const swap = orientation >= 5 && orientation <= 8;
  const width = swap ? rawH : rawW;
  const height = swap ? rawW : rawH;
  if (Number.isFinite(maxPixels) && width * height > maxPixels) throw tooLarge(what, width, height, maxPixels);
  return { width, height, format: m.format ?? 'unknown', hasAlpha: !!m.hasAlpha, orientation };
}

/** The decoding half of a pipeline: first frame, EXIF orientation, sRGB 8-bit, no alpha. */
function source(bytes: Uint8Array, maxPixels: number): Sharp {
  return sharp(bytes, { limitInputPixels: sharpLimit(maxPixels), failOn: 'error', pages: 1 }).rotate().removeAlpha().toColourspace('srgb');
}

async function rawRgb(pipeline: Sharp, what: string, maxPixels: number): Promise<RgbImage> {
  try {
    const { data, info } = await withDecodeTimeout(pipeline, what, (p) => p.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data, width: info.width, height: info.height };
  } catch (e) {
    if (e instanceof SegLensError) throw e;
    if (/exceeds pixel limit/i.test(String((e as Error)?.message))) throw new SegLensError(ErrorCodes.ImageTooLarge, `Image too large: ${what} exceeds ${maxPixels} pixels`);
    throw undecodable(what, e);
  }
}

/** Full-resolution decode (oriented 8-bit RGB). */
export async function decodeRgb(bytes: Uint8Array, maxPixels: number, what?: string): Promise<RgbImage> {
  const w = what ?? `<${bytes.length} bytes>`;
  return rawRgb(source(bytes, maxPixels), w, maxPixels);
}

/**
 * Decodes and resizes to width x height in one libvips pipeline (ignoring aspect ratio,
 * kernel 'linear'). Images with alpha are decoded first and resized in a second step, so
 * the alpha channel is dropped before resampling: sharp would otherwise resample
 * premultiplied colour, changing the RGB under transparent pixels (the reference pipeline
 * reads the stored RGB and ignores alpha).
 */
export async function decodeResized(bytes: Uint8Array, header: ImageHeader, width: number, height: number, maxPixels: number, what?: string): Promise<RgbImage> {
  const w = what ?? `<${bytes.length} bytes>`;
  if (!header.hasAlpha) {
    return rawRgb(source(bytes, maxPixels).resize(width, height, { fit: 'fill', kernel: RESIZE_KERNEL }), w, maxPixels);
  }
  const full = await decodeRgb(bytes, maxPixels, w);
  return resizeRgb(full, width, height);
}

/** Resizes interleaved RGB ignoring aspect ratio (kernel 'linear'). */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: RESIZE_KERNEL })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * Resizes a one-channel 8-bit map to width x height ('linear' for alpha, 'nearest' for class
 * indices), staying one channel.
 */
export async function resizeMask(mask: Uint8Array, w: number, h: number, width: number, height: number, kernel: 'linear' | 'nearest'): Promise<Uint8Array> {
  if (w === width && h === height) return mask;
  const { data, info } = await sharp(mask, { raw: { width: w, height: h, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 || data.length !== width * height) throw new Error(`mask resize gave ${info.width}x${info.height}x${info.channels}`);
  return data;
}

/** 8-bit greyscale PNG of a one-channel map (compression level 1: PNG encoding dominates postprocessing). */
export async function encodeGreyPng(mask: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  return sharp(mask, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: PNG_COMPRESSION_LEVEL, adaptiveFiltering: false, palette: false })
    .toBuffer();
}

export { describe as describeImageInput };
