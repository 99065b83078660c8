// Mask AP as pycocotools' COCOeval computes it for iouType 'segm' (PythonAPI cocoeval.py:
// evaluate, evaluateImg, accumulate, summarize), area range "all" and maxDets 100 only:
//   - every ground-truth image and category takes part (imgIds and catIds of the ground truth);
//   - per image and category, detections best first (a stable sort: equal scores keep their
//     order in the results), at most 100; ground truths not ignored first (crowd = ignored);
//   - at each IoU threshold .50:.05:.95 each detection takes the unmatched ground truth with the
//     best IoU >= the threshold (a crowd one may match many; once matched to a non-ignored one,
//     ignored ones are not looked at); matched to an ignored one, the detection is ignored;
//   - per category, all images' detections sorted by score (stable: image-id order, then the
//     order above), cumulative TP/FP, precision made monotone, read at 101 recall points
//     (0 past the last recall reached); -1 where a category has no non-ignored ground truth;
//   - AP = the mean of every precision value > -1; AP50, AP75 at those thresholds.
import { Rle, rleArea, rleIou, rleToBbox } from './rle';

export interface EvalGt {
  id: number;
  imageId: number;
  categoryId: number;
  rle: Rle;
  iscrowd: boolean;
  /** The annotation's `area` (only tested against the "all" range, so only its presence matters). */
  area: number;
}
export interface EvalDt {
  /** 1.. in results order (loadRes). */
  id: number;
  imageId: number;
  categoryId: number;
  rle: Rle;
  score: number;
}

export interface EvalResult {
  ap: number;
  ap50: number;
  ap75: number;
  /** Per category id: the mean of its precision values > -1, or -1 when it has none. */
  perCategory: Map<number, number>;
}

const MAX_DETS = 100;
const AREA_ALL: [number, number] = [0, 1e5 ** 2];
/** np.linspace(.5, .95, 10) and np.linspace(0, 1, 101), value for value. */
export const IOU_THRESHOLDS = Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : i * ((0.95 - 0.5) / 9) + 0.5));
const REC_THRESHOLDS = Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * (1 / 100) + 0));

/** Stable order of `xs` by descending key (np.argsort(-key, kind='mergesort')). */
function byScore<T>(xs: T[], key: (x: T) => number): T[] {
  return xs
    .map((x, i) => [x, i] as const)
    .sort((a, b) => key(b[0]) - key(a[0]) || a[1] - b[1])
    .map(([x]) => x);
}

export interface ImageEval {
  dtScores: number[];
  /** [threshold][detection]: the matched ground truth's id, 0 when unmatched. */
  dtMatches: number[][];
  dtIgnore: boolean[][];
  gtIgnore: boolean[];
}

export function evaluateImg(gts: EvalGt[], dts: EvalDt[]): ImageEval | undefined {
  if (gts.length === 0 && dts.length === 0) return undefined;
  const gtIgnoreRaw = gts.map((g) => g.iscrowd || g.area < AREA_ALL[0] || g.area > AREA_ALL[1]);
  const gtOrder = gts.map((_, i) => i).sort((a, b) => Number(gtIgnoreRaw[a]) - Number(gtIgnoreRaw[b]) || a - b);
  const gt = gtOrder.map((i) => gts[i]);
  const gtIg = gtOrder.map((i) => gtIgnoreRaw[i]);
  const dt = byScore(dts, (d) => d.score).slice(0, MAX_DETS);
  const dtBoxes = dt.map((d) => rleToBbox(d.rle));
  const gtBoxes = gt.map((g) => rleToBbox(g.rle));
  const ious = dt.map((d, i) => gt.map((g, j) => rleIou(d.rle, g.rle, g.iscrowd, { dt: dtBoxes[i], gt: gtBoxes[j] })));
  const T = IOU_THRESHOLDS.length;
  const gtm = IOU_THRESHOLDS.map(() => new Array<number>(gt.length).fill(0));
  const dtm = IOU_THRESHOLDS.map(() => new Array<number>(dt.length).fill(0));
  const dtIg = IOU_THRESHOLDS.map(() => new Array<boolean>(dt.length).fill(false));
  for (let t = 0; t < T; t++) {
    dt.forEach((d, di) => {
      let iou = Math.min(IOU_THRESHOLDS[t], 1 - 1e-10);
      let m = -1;
      for (let gi = 0; gi < gt.length; gi++) {
        if (gtm[t][gi] > 0 && !gt[gi].iscrowd) continue;
        if (m > -1 && !gtIg[m] && gtIg[gi]) break;
        if (ious[di][gi] < iou) continue;
        iou = ious[di][gi];
        m = gi;
      }
      if (m === -1) return;
      dtIg[t][di] = gtIg[m];
      dtm[t][di] = gt[m].id;
      gtm[t][m] = d.id;
    });
  }
  const outside = dt.map((d) => {
    const a = rleArea(d.rle);
    return a < AREA_ALL[0] || a > AREA_ALL[1];
  });
  for (let t = 0; t < T; t++) for (let di = 0; di < dt.length; di++) if (dtm[t][di] === 0 && outside[di]) dtIg[t][di] = true;
  return { dtScores: dt.map((d) => d.score), dtMatches: dtm, dtIgnore: dtIg, gtIgnore: gtIg };
}

/** precision[t][r] of one category, or undefined when it has no non-ignored ground truth. */
function accumulate(evals: ImageEval[]): number[][] | undefined {
  const scores = evals.flatMap((e) => e.dtScores.slice(0, MAX_DETS));
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const npig = evals.reduce((n, e) => n + e.gtIgnore.filter((g) => !g).length, 0);
  if (npig === 0) return undefined;
  return IOU_THRESHOLDS.map((_, t) => {
    const dtm = evals.flatMap((e) => e.dtMatches[t].slice(0, MAX_DETS));
    const dtIg = evals.flatMap((e) => e.dtIgnore[t].slice(0, MAX_DETS));
    let tp = 0;
    let fp = 0;
    const rc: number[] = [];
    const pr: number[] = [];
    for (const i of order) {
      if (dtIg[i]) {
        // Neither a TP nor an FP, but its place in the cumulative sums still counts.
      } else if (dtm[i] !== 0) tp++;
      else fp++;
      rc.push(tp / npig);
      pr.push(tp / (fp + tp + Number.EPSILON));
    }
    for (let i = pr.length - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    return REC_THRESHOLDS.map((r) => {
      // np.searchsorted(rc, r, side='left'): the first index with rc >= r.
      let lo = 0;
      let hi = rc.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (rc[mid] < r) lo = mid + 1;
        else hi = mid;
      }
      return lo < pr.length ? pr[lo] : 0;
    });
  });
}

const meanValid = (xs: number[]) => {
  const v = xs.filter((x) => x > -1);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : -1;
};

/** COCOeval (segm) over `imageIds` and `categoryIds` (the ground truth's, sorted). */
export function cocoEvaluate(gts: EvalGt[], dts: EvalDt[], imageIds: number[], categoryIds: number[]): EvalResult {
  const key = (img: number, cat: number) => `${img}/${cat}`;
  const group = <T extends { imageId: number; categoryId: number }>(xs: T[]) => {
    const m = new Map<string, T[]>();
    for (const x of xs) {
      const k = key(x.imageId, x.categoryId);
      const list = m.get(k);
      if (list) list.push(x);
      else m.set(k, [x]);
    }
    return m;
  };
  const G = group(gts);
  const D = group(dts);
  const imgs = [...new Set(imageIds)].sort((a, b) => a - b);
  const cats = [...new Set(categoryIds)].sort((a, b) => a - b);
  // precision[t][r][k]
  const all: number[][] = IOU_THRESHOLDS.map(() => []);
  const perCategory = new Map<number, number>();
  for (const cat of cats) {
    const evals = imgs.map((img) => evaluateImg(G.get(key(img, cat)) ?? [], D.get(key(img, cat)) ?? [])).filter((e): e is ImageEval => e !== undefined);
    const p = accumulate(evals) ?? IOU_THRESHOLDS.map(() => REC_THRESHOLDS.map(() => -1));
    p.forEach((row, t) => all[t].push(...row));
    perCategory.set(cat, meanValid(p.flat()));
  }
  return { ap: meanValid(all.flat()), ap50: meanValid(all[0]), ap75: meanValid(all[5]), perCategory };
}

/** One image at IoU 0.50 (COCOeval's matching, all categories): true and false positives, missed ground truths. */
export function matchAtHalf(gts: EvalGt[], dts: EvalDt[]): { tp: number; fp: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const cats = new Set([...gts.map((g) => g.categoryId), ...dts.map((d) => d.categoryId)]);
  for (const cat of cats) {
    const e = evaluateImg(
      gts.filter((g) => g.categoryId === cat),
      dts.filter((d) => d.categoryId === cat),
    );
    if (!e) continue;
    let t = 0;
    e.dtMatches[0].forEach((m, i) => {
      if (e.dtIgnore[0][i]) return;
      if (m !== 0) t++;
      else fp++;
    });
    tp += t;
    fn += e.gtIgnore.filter((g) => !g).length - t;
  }
  return { tp, fp, fn };
}
