// Scores of a predicted mask against ground truth, on plain arrays (pure, so unit-testable on
// tiny inputs). The one implementation behind `seglens/score`: VS Code and the CLI report the
// same numbers because both ask the daemon.

/** Pixels a semantic ground truth marks as "not labelled" (as in PASCAL VOC). */
export const IGNORE_INDEX = 255;

export interface BinaryCounts {
  truePositive: number;
  falsePositive: number;
  falseNegative: number;
  trueNegative: number;
}

export interface BinaryScores {
  iou: number;
  dice: number;
  counts: BinaryCounts;
}

/**
 * Binary: `pred` and `gt` are foreground flags (non-zero = foreground), same length.
 * IoU = TP / (TP + FP + FN), Dice = 2TP / (2TP + FP + FN); both empty scores 1.
 */
export function binaryScores(pred: Uint8Array, gt: Uint8Array): BinaryScores {
  if (pred.length !== gt.length) throw new Error(`binaryScores: ${pred.length} vs ${gt.length} pixels`);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] !== 0;
    const g = gt[i] !== 0;
    if (p && g) tp++;
    else if (p) fp++;
    else if (g) fn++;
  }
  const union = tp + fp + fn;
  return {
    iou: union === 0 ? 1 : tp / union,
    dice: union === 0 ? 1 : (2 * tp) / (2 * tp + fp + fn),
    counts: { truePositive: tp, falsePositive: fp, falseNegative: fn, trueNegative: pred.length - union },
  };
}

export interface ClassScore {
  id: number;
  /** Pixels where both say this class (ignored pixels excluded). */
  intersection: number;
  /** Pixels where either says this class (ignored pixels excluded). */
  union: number;
  iou: number;
}

export interface SemanticScores {
  /** Classes present in the prediction or the ground truth (outside ignored pixels), by id. */
  classes: ClassScore[];
  /** Mean of the classes' IoU (1 when there is no class: every pixel ignored). */
  iou: number;
  /** Correct pixels / pixels not ignored (1 when every pixel is ignored). */
  pixelAccuracy: number;
  ignoredPixels: number;
  /** Pixel counts by (ground-truth class, predicted class), the pairs that occur, ignored pixels excluded. */
  confusion: { gt: number; pred: number; pixels: number }[];
}

/** Semantic: class indices per pixel; ground-truth pixels equal to `ignore` count nowhere. */
export function semanticScores(pred: Uint8Array, gt: Uint8Array, ignore = IGNORE_INDEX): SemanticScores {
  if (pred.length !== gt.length) throw new Error(`semanticScores: ${pred.length} vs ${gt.length} pixels`);
  const inter = new Float64Array(256);
  const predCount = new Float64Array(256);
  const gtCount = new Float64Array(256);
  const pairs = new Uint32Array(256 * 256);
  let ignored = 0;
  for (let i = 0; i < pred.length; i++) {
    const g = gt[i];
    if (g === ignore) {
      ignored++;
      continue;
    }
    const p = pred[i];
    predCount[p]++;
    gtCount[g]++;
    pairs[g * 256 + p]++;
    if (p === g) inter[p]++;
  }
  const classes: ClassScore[] = [];
  let correct = 0;
  for (let c = 0; c < 256; c++) {
    correct += inter[c];
    if (predCount[c] === 0 && gtCount[c] === 0) continue;
    const union = predCount[c] + gtCount[c] - inter[c];
    classes.push({ id: c, intersection: inter[c], union, iou: inter[c] / union });
  }
  const valid = pred.length - ignored;
  const confusion: SemanticScores['confusion'] = [];
  for (let k = 0; k < pairs.length; k++) if (pairs[k]) confusion.push({ gt: k >> 8, pred: k & 255, pixels: pairs[k] });
  return {
    confusion,
    classes,
    iou: classes.length === 0 ? 1 : classes.reduce((s, c) => s + c.iou, 0) / classes.length,
    pixelAccuracy: valid === 0 ? 1 : correct / valid,
    ignoredPixels: ignored,
  };
}

/** Foreground of a binary ground truth: luminance >= 128, or alpha >= 128 when there is alpha. */
export function groundTruthForeground(data: Uint8Array, channels: number, out = new Uint8Array(data.length / channels)): Uint8Array {
  const n = out.length;
  if (channels === 2 || channels === 4) {
    for (let i = 0; i < n; i++) out[i] = data[i * channels + channels - 1] >= 128 ? 1 : 0;
  } else if (channels === 1) {
    for (let i = 0; i < n; i++) out[i] = data[i] >= 128 ? 1 : 0;
  } else if (channels === 3) {
    // Rec. 601 luma, the weights of PNG's and libvips' own grey conversion.
    for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = 0.299 * data[j] + 0.587 * data[j + 1] + 0.114 * data[j + 2] >= 128 ? 1 : 0;
  } else throw new Error(`ground truth with ${channels} channels`);
  return out;
}

/** Foreground of a predicted binary mask (alpha 0..255): mask >= 128. */
export function predictionForeground(mask: Uint8Array, out = new Uint8Array(mask.length)): Uint8Array {
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] >= 128 ? 1 : 0;
  return out;
}

/**
 * Cityscapes `*_gtFine_labelIds.png` holds the 34 label ids; models trained on the 19 classes
 * predict train ids. Label id → train id (255 = not evaluated), from the Cityscapes scripts' table.
 */
export const CITYSCAPES_LABEL_TO_TRAIN: ReadonlyMap<number, number> = new Map([
  [7, 0], [8, 1], [11, 2], [12, 3], [13, 4], [17, 5], [19, 6], [20, 7], [21, 8], [22, 9],
  [23, 10], [24, 11], [25, 12], [26, 13], [27, 14], [28, 15], [31, 16], [32, 17], [33, 18],
]);

export function mapIds(data: Uint8Array, table: ReadonlyMap<number, number>, fallback = IGNORE_INDEX): Uint8Array {
  const lut = new Uint8Array(256).fill(fallback);
  for (const [from, to] of table) lut[from] = to;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = lut[data[i]];
  return out;
}

/** Codes of the agreement map (`seglens/score` with `agreement: true`), one byte per pixel. */
export const AGREEMENT = { none: 0, truePositive: 1, falsePositive: 2, falseNegative: 3 } as const;

/**
 * Where prediction and ground truth agree. Binary (0/1 foreground flags): TP, FP, FN, else 0.
 * Semantic (class ids, 0 = background): TP where both have the same non-background class, FP
 * where the prediction has a class the ground truth does not (another class or background),
 * FN where the ground truth has a class the prediction left as background; ignored pixels 0.
 */
export function agreementMap(pred: Uint8Array, gt: Uint8Array, task: 'binary' | 'semantic', ignore = IGNORE_INDEX): Uint8Array {
  const out = new Uint8Array(pred.length);
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i];
    const g = gt[i];
    if (task === 'semantic' && g === ignore) continue;
    if (p !== 0 && p === g) out[i] = AGREEMENT.truePositive;
    else if (p !== 0) out[i] = AGREEMENT.falsePositive;
    else if (g !== 0) out[i] = AGREEMENT.falseNegative;
  }
  return out;
}
