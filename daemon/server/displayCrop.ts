// seglens/displayCrop: full-resolution pixels of one region of an image, for a client zoomed to
// 1:1 on a downscaled display image. No inference and no queue slot: the decoding runs in the
// decoding process (decoding.ts), a few requests at a time (1005 past them).
import { round1 } from '../api/numbers';
import type { DisplayCropParams, DisplayCropResult } from '../api/protocol';
import type { CropJob, CropOutput } from '../engine/pipeline/display';

export async function displayCrop(
  p: DisplayCropParams,
  limits: { maxPixels: number; maxBytes: number; decodeBase64: (data: string) => Uint8Array; run: (job: CropJob) => Promise<CropOutput> },
): Promise<DisplayCropResult> {
  const t0 = performance.now();
  const image = 'path' in p.image ? { path: p.image.path } : { bytes: limits.decodeBase64(p.image.base64) };
  const out = await limits.run({ image, region: p.region, maxPixels: limits.maxPixels, maxBytes: limits.maxBytes });
  return {
    data: Buffer.from(out.png).toString('base64'),
    mimeType: 'image/png',
    region: p.region,
    imageWidth: out.imageWidth,
    imageHeight: out.imageHeight,
    encodeMs: round1(performance.now() - t0),
  };
}
