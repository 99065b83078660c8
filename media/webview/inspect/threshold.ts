// Binary mattes in the page, as pure functions (unit-tested): the threshold applied without
// re-inference, the three views (soft: alpha as opacity; hard: thresholded; outline: the
// contour only), and the outline of a class map. Masks are one byte per pixel (the PNG's grey).
import type { Rgb } from '../../../daemon/api/protocol';
import type { MatteView } from '../shared/messages';

export const MATTE_VIEWS: readonly MatteView[] = ['soft', 'hard', 'outline'];

/** The smallest alpha byte that counts as foreground at threshold t (0..1): alpha / 255 >= t. */
export function thresholdByte(t: number): number {
  if (!(t > 0)) return 0;
  if (t >= 1) return 255;
  return Math.ceil(t * 255 - 1e-9);
}

/** 1 where alpha >= threshold, else 0. */
export function foregroundMap(alpha: Uint8Array, t: number, out = new Uint8Array(alpha.length)): Uint8Array {
  const b = thresholdByte(t);
  for (let i = 0; i < alpha.length; i++) out[i] = alpha[i] >= b ? 1 : 0;
  return out;
}

/** Share of pixels that are foreground at threshold t (what the hard view shows). */
export function foregroundShare(alpha: Uint8Array, t: number): number {
  if (alpha.length === 0) return 0;
  const b = thresholdByte(t);
  let n = 0;
  for (let i = 0; i < alpha.length; i++) if (alpha[i] >= b) n++;
  return n / alpha.length;
}

/** The first channel of RGBA pixels (a grey PNG decoded by a canvas). */
export function greyChannel(rgba: Uint8ClampedArray): Uint8Array {
  const out = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = rgba[i * 4];
  return out;
}

/** Outline thickness in image pixels for a zoom: about 1.5 screen pixels, 1 to 8 image pixels. */
export function outlineWidth(zoom: number): number {
  return Math.max(1, Math.min(8, Math.round(1.5 / Math.max(zoom, 1e-3))));
}

/**
 * 1 on the contour of a label map: pixels with a 4-neighbour of another label, widened to
 * `width` pixels (a square dilation, separable: rows then columns).
 */
export function outline(labels: Uint8Array, w: number, h: number, width = 1): Uint8Array {
  let edge: Uint8Array = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = labels[i];
      if ((x > 0 && labels[i - 1] !== v) || (x < w - 1 && labels[i + 1] !== v) || (y > 0 && labels[i - w] !== v) || (y < h - 1 && labels[i + w] !== v)) edge[i] = 1;
    }
  }
  const r = Math.floor((width - 1) / 2);
  if (r > 0) edge = dilate(dilate(edge, w, h, r, 1, w), w, h, r, w, h);
  return edge;
}

/** Max filter of radius r along one axis (`step` 1: rows of `len` w; `step` w: columns of `len` h). */
function dilate(src: Uint8Array, w: number, h: number, r: number, step: number, len: number): Uint8Array {
  const out = new Uint8Array(src.length);
  const lines = step === 1 ? h : w;
  for (let l = 0; l < lines; l++) {
    const base = step === 1 ? l * w : l;
    for (let k = 0; k < len; k++) {
      if (!src[base + k * step]) continue;
      const from = Math.max(0, k - r);
      const to = Math.min(len - 1, k + r);
      for (let j = from; j <= to; j++) out[base + j * step] = 1;
    }
  }
  return out;
}

/**
 * RGBA of a binary matte in one view: soft, the colour with alpha = the matte; hard, opaque
 * where alpha >= t; outline, opaque on the thresholded contour (`width` image pixels).
 */
export function paintMatte(alpha: Uint8Array, w: number, h: number, colour: Rgb, view: MatteView, t: number, width: number, out: Uint8ClampedArray): Uint8ClampedArray {
  const n = w * h;
  const b = thresholdByte(t);
  const edge = view === 'outline' ? outline(foregroundMap(alpha, t), w, h, width) : undefined;
  for (let i = 0; i < n; i++) {
    const a = view === 'soft' ? alpha[i] : view === 'hard' ? (alpha[i] >= b ? 255 : 0) : edge![i] ? 255 : 0;
    const o = i * 4;
    out[o] = colour[0];
    out[o + 1] = colour[1];
    out[o + 2] = colour[2];
    out[o + 3] = a;
  }
  return out;
}

/**
 * RGBA of a class map: each class in its colour (`table`, null = hidden or not a class), all
 * of it, or with `outlineWidth` only its contour.
 */
export function paintClasses(index: Uint8Array, w: number, h: number, table: readonly (Rgb | null)[], out: Uint8ClampedArray, outlineWidth?: number): Uint8ClampedArray {
  const edge = outlineWidth ? outline(index, w, h, outlineWidth) : undefined;
  for (let i = 0; i < w * h; i++) {
    const c = table[index[i]];
    const o = i * 4;
    if (!c || (edge && !edge[i])) {
      out[o + 3] = 0;
      continue;
    }
    out[o] = c[0];
    out[o + 1] = c[1];
    out[o + 2] = c[2];
    out[o + 3] = 255;
  }
  return out;
}
