// The daemon's side of `seglens/score`: reads the two images (path or base64), then has
// workers/scoreWorker.ts decode and count them in its own thread (util/threadJobs.ts: started on first
// use, stopped when idle; inline without the bundled worker file, e.g. in a test).
import * as path from 'node:path';
import { SegLensError, SerializedError, deserializeError } from '../api/errors';
import { ErrorCodes, ImageSource, ModeInfo, ScoreParams, ScoreResult } from '../api/protocol';
import { readImageFile } from '../engine/pipeline/imageFile';
import { ThreadJobs } from '../util/threadJobs';
import type { ScoreJob } from './score';

export interface ScoreLimits {
  maxPixels: number;
  /** A path is read only if it is a regular file of at most this many bytes (imageFile.ts). */
  maxBytes: number;
  /** Turns `{base64}` into bytes (strict, size-bounded: params.decodeBase64). */
  decodeBase64: (data: string) => Uint8Array;
}

const scoreThread = new ThreadJobs<ScoreJob, ScoreResult, SerializedError>({
  file: path.join(__dirname, 'scoreWorker.js'),
  // Loaded when first needed: libvips stays off the daemon's start (issue #14).
  inline: async (job) => (await import('./score')).scoreBytes(job),
  toError: (e) => deserializeError(e, ErrorCodes.InternalError),
  stopped: (e) => new SegLensError(ErrorCodes.InternalError, `the scoring thread stopped (${e.message}); try again`),
});

async function readSource(src: ImageSource, what: string, limits: ScoreLimits): Promise<Uint8Array> {
  if ('base64' in src) return limits.decodeBase64(src.base64);
  // The same checks as an image path: a FIFO or /dev/zero would block or never end a plain read.
  try {
    return await readImageFile(src.path, limits.maxBytes);
  } catch (e) {
    if (e instanceof SegLensError) throw new SegLensError(e.code, `${what}: ${e.message}`);
    throw e;
  }
}

const sourceName = (src: ImageSource, what: string) => ('path' in src ? `${what} ${src.path}` : `${what} (base64)`);

export async function scoreMask(mode: ModeInfo, p: ScoreParams, limits: ScoreLimits): Promise<ScoreResult> {
  const [prediction, groundTruth] = await Promise.all([readSource(p.prediction, 'prediction', limits), readSource(p.groundTruth, 'ground truth', limits)]);
  return scoreThread.run({
    mode: { id: mode.id, label: mode.label, description: mode.description, task: mode.task, inputSize: mode.inputSize, labels: mode.labels },
    prediction,
    groundTruth,
    predictionName: sourceName(p.prediction, 'prediction'),
    groundTruthName: sourceName(p.groundTruth, 'ground truth'),
    groundTruthPath: 'path' in p.groundTruth ? p.groundTruth.path : undefined,
    maxPixels: limits.maxPixels,
    agreement: p.agreement === true,
  });
}
