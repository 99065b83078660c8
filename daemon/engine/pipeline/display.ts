// The display image (issue 16): the picture as the daemon decoded it, for a client that cannot
// decode the original (TIFF, 16-bit PNG, CMYK JPEG) or would orient it differently (EXIF). It
// goes through the same decoding steps as the model input (first frame, EXIF orientation,
// sRGB), so it lines up with the mask pixel for pixel, scaled by width / mask width.
import sharp from 'sharp';
import { SegLensError } from '../../api/errors';
import { ErrorCodes } from '../../api/protocol';
import type { ImageHeader } from './imageIO';

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
