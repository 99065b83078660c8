// An independent, deliberately plain computation of what an instance mode should give
// (issue 24), written from the contract rather than from daemon/engine/pipeline/instances/:
// Ultralytics' letterbox and scale_boxes formulas, a greedy NMS over a suppression list,
// and every image pixel's mask value computed on its own (bilinear of the mask grid, PyTorch's
// align_corners=False sampling), inside the box, >= threshold.
import type { RowOutputs, YoloOutputs } from './instanceModels';

export interface RefInstance {
  cls: number;
  score: number;
  /** left, top, right, bottom in image pixels. */
  box: [number, number, number, number];
  /** width x height, 1 inside the instance's own mask. */
  mask: Uint8Array;
}

export function refLetterbox(w: number, h: number, S: number) {
  const r = Math.min(S / h, S / w);
  const nw = Math.round(w * r);
  const nh = Math.round(h * r);
  // (+ 0: Math.round(-0.1) is -0)
  return { r, nw, nh, left: Math.round((S - nw) / 2 - 0.1) + 0, top: Math.round((S - nh) / 2 - 0.1) + 0 };
}

interface Cand {
  i: number;
  cls: number;
  score: number;
  b: [number, number, number, number];
}

function iou(a: Cand['b'], b: Cand['b']): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return u > 0 ? inter / u : 0;
}

function nms(c: Cand[], iouThr: number, maxDet: number): Cand[] {
  const order = c.map((_, k) => k).sort((p, q) => c[q].score - c[p].score || c[p].i - c[q].i);
  const suppressed = new Set<number>();
  const keep: Cand[] = [];
  for (let x = 0; x < order.length; x++) {
    const p = order[x];
    if (suppressed.has(p)) continue;
    keep.push(c[p]);
    for (let y = x + 1; y < order.length; y++) {
      const q = order[y];
      if (c[q].cls === c[p].cls && iou(c[p].b, c[q].b) > iouThr) suppressed.add(q);
    }
  }
  return keep.slice(0, maxDet);
}

/** Bilinear value of grid(u, v) (gw x gh) at grid position (su, sv) after the align_corners=False clamp. */
function bilinear(at: (u: number, v: number) => number, gw: number, gh: number, su: number, sv: number): number {
  su = Math.max(0, su);
  sv = Math.max(0, sv);
  const u0 = Math.min(Math.floor(su), gw - 1);
  const v0 = Math.min(Math.floor(sv), gh - 1);
  const u1 = Math.min(u0 + 1, gw - 1);
  const v1 = Math.min(v0 + 1, gh - 1);
  const fu = u1 === u0 ? 0 : su - u0;
  const fv = v1 === v0 ? 0 : sv - v0;
  return (1 - fv) * ((1 - fu) * at(u0, v0) + fu * at(u1, v0)) + fv * ((1 - fu) * at(u0, v1) + fu * at(u1, v1));
}

function instanceFrom(c: Cand, w: number, h: number, S: number, gw: number, gh: number, at: (u: number, v: number) => number, thr: number): RefInstance {
  const lb = refLetterbox(w, h, S);
  const clip = (v: number, m: number) => Math.min(m, Math.max(0, v));
  const box: RefInstance['box'] = [clip((c.b[0] - lb.left) / lb.r, w), clip((c.b[1] - lb.top) / lb.r, h), clip((c.b[2] - lb.left) / lb.r, w), clip((c.b[3] - lb.top) / lb.r, h)];
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const cx = x + 0.5;
      const cy = y + 0.5;
      if (!(cx >= box[0] && cx < box[2] && cy >= box[1] && cy < box[3])) continue;
      const ix = cx * lb.r + lb.left;
      const iy = cy * lb.r + lb.top;
      const v = bilinear(at, gw, gh, (ix * gw) / S - 0.5, (iy * gh) / S - 0.5);
      if (v >= thr) mask[y * w + x] = 1;
    }
  }
  return { cls: c.cls, score: c.score, box, mask };
}

export interface RefSettings {
  scoreThreshold: number;
  iouThreshold: number;
  maxInstances: number;
}

export function refYolo(o: YoloOutputs, S: number, w: number, h: number, s: RefSettings): RefInstance[] {
  const A = o.anchors;
  const row = (r: number, a: number) => o.output0[r * A + a];
  const cands: Cand[] = [];
  for (let a = 0; a < A; a++) {
    let cls = 0;
    for (let c = 1; c < o.nc; c++) if (row(4 + c, a) > row(4 + cls, a)) cls = c;
    const score = row(4 + cls, a);
    if (score < s.scoreThreshold) continue;
    const [cx, cy, bw, bh] = [row(0, a), row(1, a), row(2, a), row(3, a)];
    cands.push({ i: a, cls, score, b: [cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2] });
  }
  return nms(cands, s.iouThreshold, s.maxInstances).map((c) => {
    const logit = (u: number, v: number) => {
      let sum = 0;
      for (let k = 0; k < o.nm; k++) sum += row(4 + o.nc + k, c.i) * o.output1[k * o.mh * o.mw + v * o.mw + u];
      return sum;
    };
    return instanceFrom(c, w, h, S, o.mw, o.mh, logit, 0);
  });
}

export function refBoxesMasks(o: RowOutputs, S: number, w: number, h: number, s: RefSettings): RefInstance[] {
  const cands: Cand[] = [];
  o.labels.forEach((cls, i) => {
    if (o.scores[i] >= s.scoreThreshold) cands.push({ i, cls, score: o.scores[i], b: [o.boxes[4 * i], o.boxes[4 * i + 1], o.boxes[4 * i + 2], o.boxes[4 * i + 3]] });
  });
  return nms(cands, s.iouThreshold, s.maxInstances).map((c) => instanceFrom(c, w, h, S, S, S, (u, v) => o.masks[c.i * S * S + v * S + u], 0.5));
}

/** The instance-id map: ids from 1 in order, the first (best) instance wins a pixel. */
export function refMap(list: RefInstance[], w: number, h: number): Uint8Array {
  const map = new Uint8Array(w * h);
  list.forEach((inst, k) => {
    for (let p = 0; p < w * h; p++) if (inst.mask[p] && map[p] === 0) map[p] = k + 1;
  });
  return map;
}
