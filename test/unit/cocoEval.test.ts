// Mask AP as pycocotools' COCOeval computes it (issue 24): hand-worked cases, and a
// randomised case against an independent implementation written here on pixel masks
// (IoU by counting pixels, matching and 101-point precision written from cocoeval.py's
// description). Also the RLE pieces COCOeval relies on: polygons, strings, boxes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EvalDt, EvalGt, cocoEvaluate, matchAtHalf } from '../../daemon/api/coco/cocoEval';
import { Rle, rleArea, rleDecodeColumnMajor, rleFromPolygon, rleFromString, rleToBbox } from '../../daemon/api/coco/rle';
import { rleCounts } from '../../daemon/api/exports/cocoRle';
import { countsToString } from '../../daemon/api/exports/cocoRle';
import { random } from '../helpers/instanceModels';

/** pycocotools divides by tp + fp + eps: a precision of 1 is 1 - 2e-16. */
const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
const H = 16;
const W = 20;

/** A column-major mask of the rectangle [x0, x1) x [y0, y1). */
function rect(x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const m = new Uint8Array(H * W);
  for (let x = x0; x < x1; x++) for (let y = y0; y < y1; y++) m[x * H + y] = 1;
  return m;
}
const rle = (m: Uint8Array): Rle => ({ h: H, w: W, counts: rleCounts(m, W, H, 'columnMajor') });
let nextId = 1;
const gt = (imageId: number, mask: Uint8Array, o: { cat?: number; crowd?: boolean } = {}): EvalGt & { mask: Uint8Array } => ({
  id: nextId++,
  imageId,
  categoryId: o.cat ?? 1,
  rle: rle(mask),
  iscrowd: o.crowd ?? false,
  area: mask.reduce((a, b) => a + b, 0),
  mask,
});
const dt = (id: number, imageId: number, mask: Uint8Array, score: number, cat = 1): EvalDt & { mask: Uint8Array } => ({ id, imageId, categoryId: cat, rle: rle(mask), score, mask });

// ---------------------------------------------------------------- the independent computation

function pixelIou(d: Uint8Array, g: Uint8Array, crowd: boolean): number {
  let i = 0;
  let u = 0;
  let a = 0;
  for (let p = 0; p < d.length; p++) {
    if (d[p] && g[p]) i++;
    if (d[p] || g[p]) u++;
    if (d[p]) a++;
  }
  if (i === 0) return 0;
  return i / (crowd ? a : u);
}

function independentAp(gts: (EvalGt & { mask: Uint8Array })[], dts: (EvalDt & { mask: Uint8Array })[], imgs: number[], cats: number[]) {
  const thresholds = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
  const table: number[][][] = []; // [cat][t][r]
  for (const cat of [...cats].sort((a, b) => a - b)) {
    const perT: number[][] = [];
    for (const thr of thresholds) {
      const scored: { score: number; tp: boolean; ignore: boolean }[] = [];
      let positives = 0;
      for (const img of [...imgs].sort((a, b) => a - b)) {
        const g = gts.filter((x) => x.imageId === img && x.categoryId === cat);
        const normal = g.filter((x) => !x.iscrowd);
        const crowds = g.filter((x) => x.iscrowd);
        positives += normal.length;
        const d = dts
          .filter((x) => x.imageId === img && x.categoryId === cat)
          .map((x, k) => ({ x, k }))
          .sort((a, b) => b.x.score - a.x.score || a.k - b.k)
          .slice(0, 100)
          .map((o) => o.x);
        const taken = new Set<number>();
        for (const det of d) {
          // Best free non-crowd ground truth at the threshold; else any crowd region.
          let best = -1;
          let bestIou = Math.min(thr, 1 - 1e-10);
          normal.forEach((x, j) => {
            const v = pixelIou(det.mask, x.mask, false);
            if (!taken.has(j) && v >= bestIou) {
              bestIou = v;
              best = j;
            }
          });
          if (best >= 0) {
            taken.add(best);
            scored.push({ score: det.score, tp: true, ignore: false });
            continue;
          }
          const crowdHit = crowds.some((x) => pixelIou(det.mask, x.mask, true) >= Math.min(thr, 1 - 1e-10));
          scored.push({ score: det.score, tp: false, ignore: crowdHit });
        }
      }
      if (positives === 0) {
        perT.push(new Array(101).fill(-1));
        continue;
      }
      const order = scored.map((s, i) => ({ s, i })).sort((a, b) => b.s.score - a.s.score || a.i - b.i);
      let tp = 0;
      let fp = 0;
      const points: { recall: number; precision: number }[] = [];
      for (const { s } of order) {
        if (!s.ignore) {
          if (s.tp) tp++;
          else fp++;
        }
        points.push({ recall: tp / positives, precision: tp / (tp + fp || Infinity) });
      }
      const curve: number[] = [];
      for (let r = 0; r <= 100; r++) {
        const level = r === 100 ? 1 : r * 0.01;
        const first = points.findIndex((p) => p.recall >= level);
        curve.push(first < 0 ? 0 : Math.max(...points.slice(first).map((p) => p.precision)));
      }
      perT.push(curve);
    }
    table.push(perT);
  }
  const mean = (xs: number[]) => {
    const v = xs.filter((x) => x > -1);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : -1;
  };
  return { ap: mean(table.flat(2)), ap50: mean(table.flatMap((c) => c[0])), ap75: mean(table.flatMap((c) => c[5])) };
}

// ---------------------------------------------------------------- cases

describe('COCOeval mask AP, hand-worked', () => {
  const A = rect(1, 1, 8, 8);
  const B = rect(10, 2, 18, 12);
  const C = rect(2, 10, 6, 15);

  test('a perfect prediction is 1', () => {
    const r = cocoEvaluate([gt(1, A), gt(1, B)], [dt(1, 1, A, 0.9), dt(2, 1, B, 0.5)], [1], [1]);
    [r.ap, r.ap50, r.ap75].forEach((v) => near(v, 1));
  });

  test('a missed object: recall stops at 1/2, 51 of the 101 points (recall 0.50 counts)', () => {
    const r = cocoEvaluate([gt(1, A), gt(1, B)], [dt(1, 1, A, 0.9)], [1], [1]);
    near(r.ap, 51 / 101);
  });

  test('duplicates: the second is a false positive, after the true one it does not lower AP', () => {
    const gts = [gt(1, A)];
    const dts = [dt(1, 1, A, 0.9), dt(2, 1, A, 0.8)];
    near(cocoEvaluate(gts, dts, [1], [1]).ap, 1);
    assert.deepEqual(matchAtHalf(gts, dts), { tp: 1, fp: 1, fn: 0 });
    near(cocoEvaluate(gts, [dt(1, 1, A, 0.7), dt(2, 1, A, 0.8)], [1], [1]).ap, 1);
    // A wrong detection ahead of the right one halves the precision at every recall.
    const wrongFirst = cocoEvaluate(gts, [dt(1, 1, B, 0.9), dt(2, 1, A, 0.8)], [1], [1]);
    near(wrongFirst.ap, 0.5);
  });

  test('101-point interpolation at a recall step', () => {
    // 3 objects: TP 0.9, FP 0.8, TP 0.7. Recall 1/3, 1/3, 2/3; precision made monotone 1, 2/3, 2/3.
    // Points 0.00..0.33 read 1 (34), 0.34..0.66 read 2/3 (33), 0.67..1 read 0 (34).
    const r = cocoEvaluate([gt(1, A), gt(1, B), gt(1, C)], [dt(1, 1, A, 0.9), dt(2, 1, rect(0, 0, 1, 1), 0.8), dt(3, 1, B, 0.7)], [1], [1]);
    assert.ok(Math.abs(r.ap - (34 + 33 * (2 / 3)) / 101) < 1e-12, String(r.ap));
  });

  test('a crowd region: a detection inside it is neither right nor wrong; many may fall in it', () => {
    const crowd = rect(10, 0, 20, 16);
    const inside = rect(12, 3, 15, 6); // IoU with the region 12/160, but all of it inside
    const gts = [gt(1, A), gt(1, crowd, { crowd: true })];
    const dts = [dt(1, 1, inside, 0.95), dt(2, 1, rect(16, 8, 19, 12), 0.9), dt(3, 1, A, 0.5)];
    near(cocoEvaluate(gts, dts, [1], [1]).ap, 1);
    assert.deepEqual(matchAtHalf(gts, dts), { tp: 1, fp: 0, fn: 0 });
    // Not crowd: the two are false positives ahead of the true one.
    const plain = [gt(1, A), gt(1, crowd)];
    assert.deepEqual(matchAtHalf(plain, dts), { tp: 1, fp: 2, fn: 1 });
  });

  test('empty images on either side', () => {
    // Image 2 has a detection and no ground truth (a false positive); image 3 has neither.
    const r = cocoEvaluate([gt(1, A)], [dt(1, 2, A, 0.9), dt(2, 1, A, 0.8)], [1, 2, 3], [1]);
    near(r.ap, 0.5);
    // Ground truth with no detection at all: AP 0; a category with no ground truth: -1, left out of the mean.
    const r2 = cocoEvaluate([gt(1, A, { cat: 1 })], [dt(1, 1, A, 0.9, 2)], [1], [1, 2]);
    assert.equal(r2.ap, 0);
    assert.equal(r2.perCategory.get(2), -1);
    assert.equal(cocoEvaluate([], [], [1], [1]).ap, -1);
  });
});

describe('COCOeval mask AP, randomised, against the independent computation', () => {
  for (const seed of [1, 2, 3, 4]) {
    test(`seed ${seed}`, () => {
      const rnd = random(seed);
      const blob = () => {
        const x0 = Math.floor(rnd() * (W - 4));
        const y0 = Math.floor(rnd() * (H - 4));
        return rect(x0, y0, x0 + 2 + Math.floor(rnd() * (W - x0 - 2)), y0 + 2 + Math.floor(rnd() * (H - y0 - 2)));
      };
      const jitter = (m: Uint8Array) => m.map((v) => (rnd() < 0.12 ? 1 - v : v));
      const gts: ReturnType<typeof gt>[] = [];
      const dts: ReturnType<typeof dt>[] = [];
      const imgs = [1, 2, 3, 4, 5, 6];
      for (const img of imgs) {
        const n = Math.floor(rnd() * 4);
        for (let k = 0; k < n; k++) {
          const g = gt(img, blob(), { cat: 1 + Math.floor(rnd() * 3), crowd: rnd() < 0.15 });
          gts.push(g);
          if (rnd() < 0.8) dts.push(dt(dts.length + 1, img, jitter(g.mask), Math.round(rnd() * 5) / 5, rnd() < 0.9 ? g.categoryId : 1 + Math.floor(rnd() * 3)));
        }
        for (let k = Math.floor(rnd() * 3); k > 0; k--) dts.push(dt(dts.length + 1, img, blob(), Math.round(rnd() * 5) / 5, 1 + Math.floor(rnd() * 3)));
      }
      const got = cocoEvaluate(gts, dts, imgs, [1, 2, 3]);
      const want = independentAp(gts, dts, imgs, [1, 2, 3]);
      assert.ok(Math.abs(got.ap - want.ap) < 1e-9, `ap ${got.ap} vs ${want.ap}`);
      assert.ok(Math.abs(got.ap50 - want.ap50) < 1e-9, `ap50 ${got.ap50} vs ${want.ap50}`);
      assert.ok(Math.abs(got.ap75 - want.ap75) < 1e-9, `ap75 ${got.ap75} vs ${want.ap75}`);
    });
  }
});

describe('COCO masks', () => {
  test('strings, areas and boxes', () => {
    const m = rect(3, 2, 9, 7);
    const r = rle(m);
    const s = countsToString(r.counts);
    assert.deepEqual(rleFromString(s, H, W).counts, r.counts);
    assert.equal(rleArea(r), 30);
    assert.deepEqual(rleToBbox(r), [3, 2, 6, 5]);
    assert.deepEqual(rleDecodeColumnMajor(r), m);
  });

  test('a polygon is rasterised as pycocotools frPoly does (pixel centres inside; worked by hand)', () => {
    // The square with corners (2,1) and (6,5): pixels x 2..5, y 1..4 (frPoly's half-open rule).
    const r = rleFromPolygon([2, 1, 6, 1, 6, 5, 2, 5], H, W);
    assert.deepEqual(rleDecodeColumnMajor(r), rect(2, 1, 6, 5));
    // A right triangle (0,0) (8,0) (0,8): pixel centres (x + .5, y + .5) with x + y + 1 < 8, that is
    // x + y <= 6: 7 + 6 + ... + 1 = 28 pixels.
    assert.equal(rleArea(rleFromPolygon([0, 0, 8, 0, 0, 8], H, W)), 28);
  });
});
