// A rectangle of the oriented image (issue 22's segment `region`, issue 16's displayCrop): the
// check that it lies inside the image, which only the decoded header can tell, and the crop of
// decoded pixels, taken in the raw buffer (a row copy: no re-encoding, no second decode).
import { SegLensError } from '../../api/errors';
import { DisplayRegion, ErrorCodes } from '../../api/protocol';
import type { RgbImage } from './imageIO';

/** -32602 when `r` is not inside a width x height image, saying which bound it crosses. */
export function checkInside(method: string, r: DisplayRegion, width: number, height: number): void {
  const over = r.left + r.width > width ? `left + width = ${r.left + r.width} > ${width}` : r.top + r.height > height ? `top + height = ${r.top + r.height} > ${height}` : undefined;
  if (over === undefined) return;
  throw new SegLensError(ErrorCodes.InvalidParams, `${method}: 'region' (${r.left},${r.top} ${r.width}x${r.height}) is not inside the ${width}x${height} image (${over})`);
}

/** The region's pixels of an interleaved image, row by row (the region was checked inside). */
export function cropPixels(img: RgbImage, r: DisplayRegion, channels = 3): RgbImage {
  const row = r.width * channels;
  const out = new Uint8Array(row * r.height);
  for (let y = 0; y < r.height; y++) {
    const start = ((r.top + y) * img.width + r.left) * channels;
    out.set(img.data.subarray(start, start + row), y * row);
  }
  return { data: out, width: r.width, height: r.height };
}
