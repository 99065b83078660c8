// Comparing two masks of one image, as pure functions (unit-tested): per-pixel labels, the
// IoU (binary or mixed: of the foreground; both semantic: mean over the classes present in
// either), the difference image, and the split position.
import type { ClassInfo, Rgb, Task } from '../../../daemon/api/protocol';
import { isBackground } from '../legend';
import { foregroundMap } from './threshold';

export interface Labelled {
  task: Task;
  classes: ClassInfo[];
  /** One byte per pixel: alpha (binary) or class index (semantic). */
  mask: Uint8Array;
}

export interface Agreement {
  /** 'foreground': IoU of the foreground sets; 'mean': mean IoU over classes. */
  kind: 'foreground' | 'mean';
  iou: number;
  /** Share of pixels on which both say the same (foreground/background, or class). */
  agree: number;
}

/** Colours of the difference view: only the first mode, only the second, both but another class. */
export const DIFF_COLOURS: { onlyA: Rgb; onlyB: Rgb; both: Rgb } = { onlyA: [255, 140, 0], onlyB: [0, 170, 255], both: [255, 0, 255] };

/** 1 where the mask says foreground: alpha >= t (binary), a class that is not background (semantic), an instance. */
export function foregroundOf(m: Labelled, t: number): Uint8Array {
  if (m.task === 'binary') return foregroundMap(m.mask, t);
  if (m.task === 'instance') return m.mask.map((v) => (v ? 1 : 0)); // an instance-id map: 0 is background
  const bg = new Uint8Array(256);
  for (const c of m.classes) if (isBackground(c) && c.id >= 0 && c.id < 256) bg[c.id] = 1;
  const out = new Uint8Array(m.mask.length);
  for (let i = 0; i < out.length; i++) out[i] = bg[m.mask[i]] ? 0 : 1;
  return out;
}

/** IoU of two 0/1 maps (1 when both are empty: they agree). */
export function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Mean IoU over the class ids present in either class map. */
export function meanIou(a: Uint8Array, b: Uint8Array): number {
  const inter = new Float64Array(256);
  const ca = new Float64Array(256);
  const cb = new Float64Array(256);
  for (let i = 0; i < a.length; i++) {
    ca[a[i]]++;
    cb[b[i]]++;
    if (a[i] === b[i]) inter[a[i]]++;
  }
  let sum = 0;
  let n = 0;
  for (let c = 0; c < 256; c++) {
    const union = ca[c] + cb[c] - inter[c];
    if (union > 0) {
      sum += inter[c] / union;
      n++;
    }
  }
  return n === 0 ? 1 : sum / n;
}

/** How much two masks of the same image agree; `t` thresholds binary mattes. */
export function compareMasks(a: Labelled, b: Labelled, t: number): Agreement {
  if (a.mask.length !== b.mask.length) throw new RangeError(`masks of ${a.mask.length} and ${b.mask.length} pixels`);
  const n = a.mask.length || 1;
  if (a.task === 'semantic' && b.task === 'semantic') {
    let same = 0;
    for (let i = 0; i < a.mask.length; i++) if (a.mask[i] === b.mask[i]) same++;
    return { kind: 'mean', iou: meanIou(a.mask, b.mask), agree: same / n };
  }
  const fa = foregroundOf(a, t);
  const fb = foregroundOf(b, t);
  let same = 0;
  for (let i = 0; i < fa.length; i++) if (fa[i] === fb[i]) same++;
  return { kind: 'foreground', iou: iou(fa, fb), agree: same / n };
}

/**
 * RGBA where the two disagree: foreground only in A, only in B, or (both semantic) both
 * foreground but different classes; transparent where they agree.
 */
export function differenceImage(a: Labelled, b: Labelled, t: number, out: Uint8ClampedArray): Uint8ClampedArray {
  const fa = foregroundOf(a, t);
  const fb = foregroundOf(b, t);
  const classes = a.task === 'semantic' && b.task === 'semantic';
  for (let i = 0; i < fa.length; i++) {
    const c = fa[i] && !fb[i] ? DIFF_COLOURS.onlyA : fb[i] && !fa[i] ? DIFF_COLOURS.onlyB : classes && fa[i] && a.mask[i] !== b.mask[i] ? DIFF_COLOURS.both : undefined;
    const o = i * 4;
    out[o + 3] = c ? 255 : 0;
    if (!c) continue;
    out[o] = c[0];
    out[o + 1] = c[1];
    out[o + 2] = c[2];
  }
  return out;
}

/** The split position (0..1 of the image width) for a pointer at image x. */
export function splitAt(imageX: number, imageWidth: number): number {
  if (!(imageWidth > 0)) return 0.5;
  return Math.min(1, Math.max(0, imageX / imageWidth));
}

/** "IoU 0.93 (foreground) · agree 98.1%". */
export function formatAgreement(g: Agreement): string {
  return `IoU ${g.iou.toFixed(3)} (${g.kind === 'mean' ? 'mean over classes' : 'foreground'}) · agree ${(g.agree * 100).toFixed(1)}%`;
}
