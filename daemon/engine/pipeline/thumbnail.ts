// The gallery's tile (issue 15): the image and its mask at tile size, made here so a folder of
// thousands of images never sends a full picture to the webview. Same decoding steps as the
// display image (first frame, EXIF orientation, sRGB), so the two line up pixel for pixel.
import type { ThumbnailOutput } from '../engine';
import type { ImageHeader } from './imageIO';
import { encodeDisplayImage } from './display';
import { encodeGreyPng, resizeMask } from './imageIO';

/** A one-channel map and its size. */
export interface MaskMap {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * `size` bounds the longest side (never enlarged). `map` is the mask at the model's output size
 * (stretched to the image's aspect here): shrinking it is far cheaper than shrinking the mask
 * at the image's size (6.5 Mpx for a 2560 px photo), and a tile shows the same.
 */
export async function encodeThumbnail(bytes: Uint8Array, header: ImageHeader, map: MaskMap, task: 'binary' | 'semantic', size: number, maxPixels: number): Promise<ThumbnailOutput> {
  const img = await encodeDisplayImage(bytes, header, size, maxPixels, 80);
  const { width, height } = img;
  // Class indices must not blend; a matte may.
  const small = await resizeMask(map.data, map.width, map.height, width, height, task === 'binary' ? 'linear' : 'nearest');
  return { image: img.bytes, mimeType: img.mimeType, mask: await encodeGreyPng(small, width, height), width, height };
}
