// COCO masks as run lengths, computed as pycocotools does (cocoapi common/maskApi.c), so that
// IoUs and AP agree with it: column-major runs starting with zeros; the compressed string;
// polygons rasterised as rleFrPoly does (5x upsampled boundary, y-boundary points); areas;
// boxes as rleToBbox; IoU as rleIou (a crowd region's IoU is intersection / detection area).

import { rleCounts } from '../exports/cocoRle';

export interface Rle {
  h: number;
  w: number;
  counts: number[];
}

/** rleFrString: the compressed counts string. */
export function rleFromString(s: string, h: number, w: number): Rle {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    let c = 0;
    while (more) {
      if (p >= s.length) throw new Error('truncated RLE string');
      c = s.charCodeAt(p) - 48;
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
    }
    if (c & 0x10) x -= 2 ** (5 * k); // sign-extend
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return { h, w, counts };
}

export function rleDecodeColumnMajor(r: Rle): Uint8Array {
  const out = new Uint8Array(r.h * r.w);
  let pos = 0;
  r.counts.forEach((n, i) => {
    if (i % 2 === 1) out.fill(1, pos, Math.min(out.length, pos + n));
    pos += n;
  });
  return out;
}

/** The union of masks of one size (rleMerge with intersect = 0). */
export function rleUnion(list: Rle[]): Rle {
  if (list.length === 1) return list[0];
  const { h, w } = list[0];
  const bits = new Uint8Array(h * w);
  for (const r of list) {
    const d = rleDecodeColumnMajor(r);
    for (let i = 0; i < d.length; i++) bits[i] |= d[i];
  }
  return { h, w, counts: rleCounts(bits, w, h, 'columnMajor') };
}

export function rleArea(r: Rle): number {
  let a = 0;
  for (let j = 1; j < r.counts.length; j += 2) a += r.counts[j];
  return a;
}

/** rleToBbox: [x, y, width, height] of the mask's pixels. */
export function rleToBbox(r: Rle): [number, number, number, number] {
  const { h, w } = r;
  const m = Math.floor(r.counts.length / 2) * 2;
  if (m === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc += r.counts[j];
    const t = cc - (j % 2);
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/** rleFrPoly: one polygon [x0, y0, x1, y1, ...] in an h x w image. */
export function rleFromPolygon(xy: readonly number[], h: number, w: number): Rle {
  const scale = 5;
  const k = Math.floor(xy.length / 2);
  const trunc = (v: number) => Math.trunc(v); // C's (int) cast
  const x: number[] = [];
  const y: number[] = [];
  for (let j = 0; j < k; j++) x.push(trunc(scale * xy[2 * j] + 0.5));
  for (let j = 0; j < k; j++) y.push(trunc(scale * xy[2 * j + 1] + 0.5));
  x.push(x[0]);
  y.push(y[0]);
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let xs = x[j];
    let xe = x[j + 1];
    let ys = y[j];
    let ye = y[j + 1];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) [xs, xe, ys, ye] = [xe, xs, ye, ys];
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(trunc(ys + s * t + 0.5));
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(trunc(xs + s * t + 0.5));
      }
    }
  }
  // Points along the y-boundary, downsampled.
  const a: number[] = [];
  for (let j = 1; j < u.length; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    yd = Math.ceil(yd);
    a.push(xd * h + yd);
  }
  a.push(h * w);
  a.sort((p, q) => p - q);
  let p = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j];
    a[j] -= p;
    p = t;
  }
  const b: number[] = [a[0]];
  for (let j = 1; j < a.length; ) {
    if (a[j] > 0) b.push(a[j++]);
    else {
      j++;
      if (j < a.length) b[b.length - 1] += a[j++];
    }
  }
  return { h, w, counts: b };
}

function bboxIou(d: [number, number, number, number], g: [number, number, number, number], crowd: boolean): number {
  const w = Math.min(d[2] + d[0], g[2] + g[0]) - Math.max(d[0], g[0]);
  if (w <= 0) return 0;
  const h = Math.min(d[3] + d[1], g[3] + g[1]) - Math.max(d[1], g[1]);
  if (h <= 0) return 0;
  const i = w * h;
  return i / (crowd ? d[2] * d[3] : d[2] * d[3] + g[2] * g[3] - i);
}

/** rleIou for one pair: -1 when the sizes differ; a crowd ground truth divides by the detection's area. */
export function rleIou(dt: Rle, gt: Rle, crowd: boolean, boxes?: { dt: [number, number, number, number]; gt: [number, number, number, number] }): number {
  if (!(bboxIou(boxes?.dt ?? rleToBbox(dt), boxes?.gt ?? rleToBbox(gt), crowd) > 0)) return 0;
  if (dt.h !== gt.h || dt.w !== gt.w) return -1;
  const A = dt.counts;
  const B = gt.counts;
  let ca = A[0];
  let cb = B[0];
  let va = false;
  let vb = false;
  let a = 1;
  let b = 1;
  let i = 0;
  let u = 0;
  let ct = 1;
  while (ct > 0) {
    const c = Math.min(ca, cb);
    if (va || vb) {
      u += c;
      if (va && vb) i += c;
    }
    ct = 0;
    ca -= c;
    if (!ca && a < A.length) {
      ca = A[a++];
      va = !va;
    }
    ct += ca;
    cb -= c;
    if (!cb && b < B.length) {
      cb = B[b++];
      vb = !vb;
    }
    ct += cb;
  }
  if (i === 0) u = 1;
  else if (crowd) u = rleArea(dt);
  return i / u;
}
