// What the decoding process (decodeWorker.ts; decoding.ts) does for each job: seglens/score's
// decoding and counting (eval/score.ts) and seglens/displayCrop's decoding and cropping
// (pipeline/display.ts). Imported by that process, or lazily by the daemon when it runs jobs
// inline (no bundled worker file: tests), so libvips stays off the daemon's start.
import sharp from 'sharp';
import { testHook } from '../engine/host/inputGuard';
import { CropJob, cropDisplayImage } from '../engine/pipeline/display';
import { ScoreJob, scoreBytes } from '../eval/score';

// As in the engine: requests are independent, so no libvips operation cache.
sharp.cache(false);

export type DecodeOp = 'score' | 'crop';

/** TEST ONLY (testHooks): marker bytes abort or hang the process, as a crash in libvips would (inputGuard.ts). */
async function hooks(testHooks: boolean, ...inputs: (Uint8Array | undefined)[]): Promise<void> {
  if (!testHooks) return;
  for (const b of inputs) if (b) await testHook(b);
}

export async function decodeJob(op: DecodeOp, job: unknown, testHooks: boolean): Promise<unknown> {
  if (op === 'score') {
    const j = job as ScoreJob;
    await hooks(testHooks, j.prediction, j.groundTruth);
    return scoreBytes(j);
  }
  if (op === 'crop') {
    const j = job as CropJob;
    await hooks(testHooks, 'bytes' in j.image ? j.image.bytes : undefined);
    return cropDisplayImage(j);
  }
  throw new Error(`unknown decoding job ${String(op)}`);
}
