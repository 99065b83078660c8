// seglens/displayCrop: full-resolution pixels of one region of an image, for a client zoomed to
// 1:1 on a downscaled display image. No inference and no queue slot: the decoding runs in its
// own small thread (dist/cropWorker.js, util/threadJobs.ts), a few requests at a time.
import * as path from 'node:path';
import { SegLensError, SerializedError, deserializeError } from '../api/errors';
import { round1 } from '../api/numbers';
import { DisplayCropParams, DisplayCropResult, ErrorCodes } from '../api/protocol';
import type { CropJob, CropOutput } from '../engine/pipeline/display';
import { ThreadJobs } from '../util/threadJobs';

/** Crops waiting or running at once; more are refused (1005): a client asks for the visible region, debounced. */
const MAX_WAITING = 8;

const cropThread = new ThreadJobs<CropJob, CropOutput, SerializedError>({
  file: path.join(__dirname, 'cropWorker.js'),
  // Loaded when first needed: libvips stays off the daemon's start (issue #14).
  inline: async (job) => (await import('../engine/pipeline/display')).cropDisplayImage(job),
  toError: (e) => deserializeError(e, ErrorCodes.InternalError),
  stopped: (e) => new SegLensError(ErrorCodes.InternalError, `the display crop thread stopped (${e.message}); try again`),
  maxWaiting: MAX_WAITING,
  overloaded: () => new SegLensError(ErrorCodes.Overloaded, `seglens/displayCrop: ${MAX_WAITING} crops are already waiting; try again`),
});

export async function displayCrop(p: DisplayCropParams, limits: { maxPixels: number; decodeBase64: (data: string) => Uint8Array }): Promise<DisplayCropResult> {
  const t0 = performance.now();
  const image = 'path' in p.image ? { path: p.image.path } : { bytes: limits.decodeBase64(p.image.base64) };
  const out = await cropThread.run({ image, region: p.region, maxPixels: limits.maxPixels });
  return {
    data: Buffer.from(out.png).toString('base64'),
    mimeType: 'image/png',
    region: p.region,
    imageWidth: out.imageWidth,
    imageHeight: out.imageHeight,
    encodeMs: round1(performance.now() - t0),
  };
}
