// Candidate detections of instance models, in input pixels, and per-class non-maximum
// suppression, as Ultralytics' ops.non_max_suppression predicts (multi_label off, not agnostic):
// each candidate takes its best class; candidates over the score threshold, best first (equal
// scores in output order), at most 30,000; greedy per class, a box whose IoU with a kept box
// of its class is over iouThreshold is dropped; the first maxInstances kept.

export interface Detection {
  /** Row (boxes-masks) or anchor (yolo-seg) in the model's output: where its mask comes from. */
  index: number;
  cls: number;
  score: number;
  /** x1, y1, x2, y2 in input pixels. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Ultralytics' max_nms: candidates considered at most. */
const MAX_CANDIDATES = 30_000;

/** Scratch arrays reused across calls (one image at a time per engine). */
export interface DetectionScratch {
  float32(tag: string, length: number): Float32Array;
}

/**
 * yolo-seg `output0` [1, 4+nc+nm, A] (cx, cy, w, h, nc class scores already 0..1, nm mask
 * coefficients, one column per anchor): the anchors whose best class scores >= threshold.
 * Ties between classes go to the lower class index (torch.max).
 */
export function yoloCandidates(data: Float32Array, A: number, nc: number, threshold: number, scratch: DetectionScratch): Detection[] {
  const best = scratch.float32('yolo-best', A);
  const bestC = scratch.float32('yolo-best-class', A);
  best.set(data.subarray(4 * A, 5 * A));
  bestC.fill(0);
  // Class by class: each row is contiguous, so the loop reads memory in order.
  for (let c = 1; c < nc; c++) {
    const row = (4 + c) * A;
    for (let a = 0; a < A; a++) {
      const v = data[row + a];
      if (v > best[a]) {
        best[a] = v;
        bestC[a] = c;
      }
    }
  }
  const out: Detection[] = [];
  for (let a = 0; a < A; a++) {
    const score = best[a];
    if (!(score >= threshold)) continue;
    const cx = data[a];
    const cy = data[A + a];
    const hw = data[2 * A + a] / 2;
    const hh = data[3 * A + a] / 2;
    out.push({ index: a, cls: bestC[a], score, x1: cx - hw, y1: cy - hh, x2: cx + hw, y2: cy + hh });
  }
  return out;
}

/** boxes-masks outputs: rows scoring >= threshold. */
export function rowCandidates(boxes: Float32Array, labels: ArrayLike<number | bigint>, scores: Float32Array, threshold: number): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i];
    if (!(score >= threshold)) continue;
    out.push({ index: i, cls: Number(labels[i]), score, x1: boxes[4 * i], y1: boxes[4 * i + 1], x2: boxes[4 * i + 2], y2: boxes[4 * i + 3] });
  }
  return out;
}

/** IoU of two boxes as torchvision's box_iou computes it. */
export function boxIou(a: Detection, b: Detection): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Best first (stable: equal scores keep output order), greedy per class, at most maxKept. */
export function nonMaxSuppression(candidates: Detection[], iouThreshold: number, maxKept: number): Detection[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score || a.index - b.index).slice(0, MAX_CANDIDATES);
  const keptByClass = new Map<number, Detection[]>();
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (kept.length >= maxKept) break;
    let same = keptByClass.get(d.cls);
    if (!same) keptByClass.set(d.cls, (same = []));
    if (same.some((k) => boxIou(k, d) > iouThreshold)) continue;
    same.push(d);
    kept.push(d);
  }
  return kept;
}
