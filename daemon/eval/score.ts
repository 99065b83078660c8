// `seglens/score`: decodes a predicted mask and its ground truth, checks they can be compared,
// and scores them (scores.ts). `scoreBytes` is the work; it runs in workers/scoreWorker.ts's thread
// (scoreClient.ts) so that a 12-megapixel comparison never holds up the daemon's main thread.
import sharp from 'sharp';
import { SegLensError } from '../api/errors';
import { PRESETS } from '../api/presets';
import { ErrorCodes, ModeInfo, ScoreResult } from '../api/protocol';
import { withDecodeTimeout } from '../engine/pipeline/decodeTimeout';
import { probeImage } from '../engine/pipeline/imageIO';
import { readIndexPng } from './pngIndices';
import { CITYSCAPES_LABEL_TO_TRAIN, agreementMap, binaryScores, groundTruthForeground, mapIds, predictionForeground, semanticScores } from './scores';

/** What one score needs, as plain data (it crosses to the worker thread). */
export interface ScoreJob {
  mode: ModeInfo;
  prediction: Uint8Array;
  groundTruth: Uint8Array;
  /** How to name them in messages ("ground truth /data/masks/a.png"). */
  predictionName: string;
  groundTruthName: string;
  /** The ground truth's path, when it came from one (Cityscapes label ids are recognised by name). */
  groundTruthPath?: string;
  maxPixels: number;
  /** Also the agreement map (ScoreParams.agreement). */
  agreement?: boolean;
}

interface Plane {
  width: number;
  height: number;
  /** Interleaved samples, `channels` per pixel. */
  data: Uint8Array;
  channels: number;
  palette: boolean;
}

const mismatch = (message: string) => new SegLensError(ErrorCodes.GroundTruthMismatch, message);

/** Decodes to samples: palette and grey PNGs as stored (indices), anything else through sharp. */
async function decodePlane(bytes: Uint8Array, what: string, maxPixels: number): Promise<Plane> {
  // Header first: dimensions are checked against the pixel limit before anything is inflated.
  const header = await probeImage(bytes, maxPixels, what);
  try {
    const idx = readIndexPng(bytes);
    if (idx) return { width: idx.width, height: idx.height, data: idx.data, channels: 1, palette: idx.colorType === 'palette' };
    const pipeline = sharp(bytes, { limitInputPixels: header.width * header.height, failOn: 'error', pages: 1 }).rotate();
    // The same time limit as the engine's decoding (--decode-timeout-ms, issue #13).
    const { data, info } = await withDecodeTimeout(pipeline, what, (p) => p.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
    return { width: info.width, height: info.height, data, channels: info.channels, palette: false };
  } catch (e) {
    if (e instanceof SegLensError) throw e;
    throw new SegLensError(ErrorCodes.ImageUndecodable, `${what} could not be decoded (${(e as Error).message.split('\n')[0]})`);
  }
}

/** The first channel of a one- or two-channel (grey + alpha) plane. */
function firstChannel(p: Plane): Uint8Array {
  if (p.channels === 1) return p.data;
  const out = new Uint8Array(p.width * p.height);
  for (let i = 0; i < out.length; i++) out[i] = p.data[i * p.channels];
  return out;
}

const isCityscapes = (labels: string[]) => labels.length === PRESETS.cityscapes.labels.length && labels.every((l, i) => l === PRESETS.cityscapes.labels[i]);

export async function scoreBytes(job: ScoreJob): Promise<ScoreResult> {
  const { mode, predictionName: predWhat, groundTruthName: gtWhat } = job;
  const [pred, gt] = await Promise.all([decodePlane(job.prediction, predWhat, job.maxPixels), decodePlane(job.groundTruth, gtWhat, job.maxPixels)]);
  if (pred.channels > 2) throw new SegLensError(ErrorCodes.InvalidParams, `${predWhat} has ${pred.channels} channels; give the grey mask PNG seglens/segment returned`);
  if (gt.width !== pred.width || gt.height !== pred.height) {
    throw mismatch(`${gtWhat} is ${gt.width}x${gt.height}, the image is ${pred.width}x${pred.height}: ground truth must have the image's size`);
  }
  const predMask = firstChannel(pred);
  const base = { mode: mode.id, task: mode.task, width: pred.width, height: pred.height };
  if (mode.task === 'binary') {
    const [pf, gf] = [predictionForeground(predMask), groundTruthForeground(gt.data, gt.channels)];
    const s = binaryScores(pf, gf);
    return { ...base, iou: s.iou, dice: s.dice, counts: s.counts, ...(await agreement(job, pf, gf, 'binary', pred)) };
  }
  if (gt.channels !== 1) {
    throw mismatch(`${gtWhat} has ${gt.channels} channels: a semantic ground truth must be a class-index PNG (grey or palette)`);
  }
  let gtIds = gt.data;
  if (isCityscapes(mode.labels) && /_labelIds\.png$/i.test(job.groundTruthPath ?? '')) gtIds = mapIds(gtIds, CITYSCAPES_LABEL_TO_TRAIN);
  const s = semanticScores(predMask, gtIds);
  return {
    ...base,
    iou: s.iou,
    pixelAccuracy: s.pixelAccuracy,
    ignoredPixels: s.ignoredPixels,
    classes: s.classes.map((c) => ({ id: c.id, label: mode.labels[c.id] ?? `class ${c.id}`, iou: c.iou, intersection: c.intersection, union: c.union })),
    confusion: s.confusion,
    ...(await agreement(job, predMask, gtIds, 'semantic', pred)),
  };
}

/** The agreement map as a grey PNG, when asked for (the preview's "vs ground truth" view). */
async function agreement(job: ScoreJob, pred: Uint8Array, gt: Uint8Array, task: 'binary' | 'semantic', size: Plane): Promise<Pick<ScoreResult, 'agreementPng'>> {
  if (!job.agreement) return {};
  const map = agreementMap(pred, gt, task);
  const png = await sharp(map, { raw: { width: size.width, height: size.height, channels: 1 } }).png({ compressionLevel: 6 }).toBuffer();
  return { agreementPng: png.toString('base64') };
}
