// The gallery's tile (issue 15): the image and its mask at tile size, made here so a folder of
// thousands of images never sends a full picture to the webview. Same decoding steps as the
// display image (first frame, EXIF orientation, sRGB), so the two line up pixel for pixel.
import type { ImageHeader } from './imageIO';
import { encodeDisplayImage } from './display';
import { encodeGreyPng, resizeMask } from './imageIO';

export interface ThumbnailOutput {
  image: Uint8Array;
  mimeType: 'image/jpeg' | 'image/png';
  /** 8-bit grey PNG at the thumbnail's size: binary alpha, semantic class index. */
  mask: Uint8Array;
  width: number;
  height: number;
}

/** `size` bounds the longest side (never enlarged); `full` is the mask at the image's size. */
export async function encodeThumbnail(
  bytes: Uint8Array,
  header: ImageHeader,
  full: Uint8Array,
  task: 'binary' | 'semantic',
  size: number,
  maxPixels: number,
): Promise<ThumbnailOutput> {
  const img = await encodeDisplayImage(bytes, header, size, maxPixels, 80);
  const { width, height } = img;
  // Class indices must not blend; a matte may.
  const small = width === header.width && height === header.height ? full : await resizeMask(full, header.width, header.height, width, height, task === 'binary' ? 'linear' : 'nearest');
  return { image: img.bytes, mimeType: img.mimeType, mask: await encodeGreyPng(small, width, height), width, height };
}
