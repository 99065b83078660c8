// Editing a mask (issue 22), as pure functions over one byte per pixel (binary: alpha 0..255;
// semantic: class index). Imported by the page (which draws each edit at once) and by the
// extension (which replays the document's edits to save it, with or without the page). Regions
// are 8-neighbour: a thin diagonal part (a cable, a strand of hair) stays with its subject.

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}
export interface Pt {
  x: number;
  y: number;
}
/** A prompt point (issue 25), image pixels; label 1 positive, 0 negative (protocol's PromptPoint). */
export interface PromptMark extends Pt {
  label: 1 | 0;
}

/** One undo step. Points are image pixels (x, y from the top-left corner, fractional). */
export type MaskEdit =
  /** The mode's result on `region` (region-sized `mask`) replaces the mask inside `box`; `clearOutside`: the rest becomes background. */
  | { kind: 'box'; box: Rect; region: Rect; mask: Uint8Array; clearOutside: boolean }
  /** Binary: keep only the region under the point (`add`: also keep it, restoring it from before the last keep). */
  | { kind: 'keep'; at: Pt; add: boolean; threshold: number }
  /** Binary: remove the region under the point. */
  | { kind: 'remove'; at: Pt; threshold: number }
  /** Semantic: the region of one class under the point becomes class `value`. */
  | { kind: 'relabel'; at: Pt; value: number }
  /** A round brush along `points`: `value` painted, or (`erase`) the starting mask restored. */
  | { kind: 'stroke'; points: Pt[]; radius: number; value: number; erase: boolean }
  /** Back to the starting mask (the model's output, or the ground truth as opened). */
  | { kind: 'reset' }
  /**
   * A prompt mode's answer (issue 25): `mask` (image-sized, 0/255) becomes the mask. It carries
   * the prompts that made it (the page shows those in force) and the answer's `token` (fed back
   * as `previous`); `candidate` of `scores.length` is the one shown (Tab picks another).
   */
  | { kind: 'prompt'; mask: Uint8Array; points: PromptMark[]; box?: Rect; token?: string; candidate: number; scores: number[] };

export type EditKind = MaskEdit['kind'];

export const EDIT_LABELS: Record<EditKind, string> = {
  box: 'Box',
  keep: 'Keep region',
  remove: 'Remove region',
  relabel: 'Relabel region',
  stroke: 'Brush stroke',
  reset: 'Reset',
  prompt: 'Prompt',
};

/** 0.5 → 128: a pixel is foreground when alpha/255 >= threshold (as render.ts's alphaThreshold). */
const alphaCut = (threshold: number) => Math.max(0, Math.min(255, Math.ceil(threshold * 255 - 1e-9)));

/**
 * Flags (1) of the connected region of pixels for which `inside(i)` holds that contains the
 * seed; all zero when the seed is outside it. `neighbours`: 4 or 8.
 */
export function connectedRegion(width: number, height: number, seed: number, inside: (i: number) => boolean, neighbours: 4 | 8 = 8): Uint8Array {
  const out = new Uint8Array(width * height);
  if (seed < 0 || seed >= out.length || !inside(seed)) return out;
  const queue = new Int32Array(out.length);
  let head = 0;
  let tail = 0;
  out[seed] = 1;
  queue[tail++] = seed;
  while (head < tail) {
    const i = queue[head++];
    const x = i % width;
    const y = (i - x) / width;
    for (let dy = -1; dy <= 1; dy++) {
      const ny = y + dy;
      if (ny < 0 || ny >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        if ((dx === 0 && dy === 0) || (neighbours === 4 && dx !== 0 && dy !== 0)) continue;
        const nx = x + dx;
        if (nx < 0 || nx >= width) continue;
        const j = ny * width + nx;
        if (out[j] || !inside(j)) continue;
        out[j] = 1;
        queue[tail++] = j;
      }
    }
  }
  return out;
}

/**
 * The subject under `at` in a binary matte: its connected foreground (alpha >= threshold) and
 * the soft edge around it (0 < alpha < threshold reached from it), so that removing or keeping
 * it takes its edge along and never reaches another subject's core.
 */
export function subjectAt(mask: Uint8Array, width: number, height: number, at: Pt, threshold: number): Uint8Array {
  const t = alphaCut(threshold);
  const seed = pixelIndex(at, width, height);
  const core = connectedRegion(width, height, seed, (i) => mask[i] >= t && mask[i] > 0);
  const queue: number[] = [];
  for (let i = 0; i < core.length; i++) if (core[i]) queue.push(i);
  if (!queue.length) return core;
  while (queue.length) {
    const i = queue.pop()!;
    const x = i % width;
    const y = (i - x) / width;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const j = ny * width + nx;
        if (core[j] || mask[j] === 0 || mask[j] >= t) continue;
        core[j] = 1;
        queue.push(j);
      }
    }
  }
  return core;
}

/** The index of the pixel under a point, or -1 outside the image. */
export function pixelIndex(p: Pt, width: number, height: number): number {
  const x = Math.floor(p.x);
  const y = Math.floor(p.y);
  return x >= 0 && y >= 0 && x < width && y < height ? y * width + x : -1;
}

/**
 * The pixels a round brush of `radius` (image pixels) covers along the segment a→b: those whose
 * centre (x + 0.5, y + 0.5) lies within `radius` of the segment. Calls `hit` for each; returns
 * the rectangle it looked at (clipped), for the page to repaint only that.
 */
export function rasterSegment(a: Pt, b: Pt, radius: number, width: number, height: number, hit: (i: number) => void): Rect | undefined {
  const r = Math.max(0.5, radius);
  const left = Math.max(0, Math.floor(Math.min(a.x, b.x) - r));
  const top = Math.max(0, Math.floor(Math.min(a.y, b.y) - r));
  const right = Math.min(width, Math.ceil(Math.max(a.x, b.x) + r));
  const bottom = Math.min(height, Math.ceil(Math.max(a.y, b.y) + r));
  if (right <= left || bottom <= top) return undefined;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const r2 = r * r;
  for (let y = top; y < bottom; y++) {
    const cy = y + 0.5;
    for (let x = left; x < right; x++) {
      const cx = x + 0.5;
      // The nearest point of the segment to the pixel's centre.
      const t = len2 > 0 ? Math.max(0, Math.min(1, ((cx - a.x) * dx + (cy - a.y) * dy) / len2)) : 0;
      const ex = cx - (a.x + t * dx);
      const ey = cy - (a.y + t * dy);
      if (ex * ex + ey * ey <= r2) hit(y * width + x);
    }
  }
  return { left, top, width: right - left, height: bottom - top };
}

/** The union of two rectangles (either may be absent). */
export function unionRect(a: Rect | undefined, b: Rect | undefined): Rect | undefined {
  if (!a) return b;
  if (!b) return a;
  const left = Math.min(a.left, b.left);
  const top = Math.min(a.top, b.top);
  return { left, top, width: Math.max(a.left + a.width, b.left + b.width) - left, height: Math.max(a.top + a.height, b.top + b.height) - top };
}

/** The box grown by `margin` of its size on each side, whole pixels, clipped to the image, each side at least `minSide` when the image allows. */
export function boxRegion(box: Rect, width: number, height: number, margin = 0.1, minSide = 16): Rect {
  const axis = (pos: number, len: number, size: number): [number, number] => {
    const grow = len * margin;
    let lo = Math.max(0, Math.floor(pos - grow));
    let hi = Math.min(size, Math.ceil(pos + len + grow));
    const need = Math.min(minSide, size) - (hi - lo);
    if (need > 0) {
      lo = Math.max(0, lo - Math.ceil(need / 2));
      hi = Math.min(size, lo + Math.min(minSide, size));
      lo = Math.max(0, hi - Math.min(minSide, size));
    }
    return [lo, hi];
  };
  const [l, r] = axis(box.left, box.width, width);
  const [t, b] = axis(box.top, box.height, height);
  return { left: l, top: t, width: r - l, height: b - t };
}

/** A rectangle in whole pixels inside the image (a drag's two corners, in either order). */
export function rectFrom(a: Pt, b: Pt, width: number, height: number): Rect {
  const clip = (v: number, max: number) => Math.max(0, Math.min(max, v));
  const left = clip(Math.floor(Math.min(a.x, b.x)), width);
  const top = clip(Math.floor(Math.min(a.y, b.y)), height);
  const right = clip(Math.ceil(Math.max(a.x, b.x)), width);
  const bottom = clip(Math.ceil(Math.max(a.y, b.y)), height);
  return { left, top, width: right - left, height: bottom - top };
}

/**
 * The mask being edited: the starting mask (`base`), the current one, and the mask as it was
 * before the last keep (what Shift+click restores a region from). `apply` returns the
 * rectangle that changed (undefined: nothing did), so the page repaints only that.
 */
export class MaskEditor {
  readonly mask: Uint8Array;
  private beforeKeep: Uint8Array | undefined;

  constructor(
    readonly base: Uint8Array,
    readonly width: number,
    readonly height: number,
  ) {
    this.mask = base.slice();
  }

  /** The base with `edits` applied in order. */
  static replay(base: Uint8Array, width: number, height: number, edits: readonly MaskEdit[]): MaskEditor {
    const e = new MaskEditor(base, width, height);
    for (const edit of edits) e.apply(edit);
    return e;
  }

  private get all(): Rect {
    return { left: 0, top: 0, width: this.width, height: this.height };
  }

  apply(edit: MaskEdit): Rect | undefined {
    switch (edit.kind) {
      case 'reset':
        this.mask.set(this.base);
        this.beforeKeep = undefined;
        return this.all;
      case 'box':
        return this.box(edit);
      case 'keep':
        return this.keep(edit.at, edit.add, edit.threshold);
      case 'remove':
        return this.fill(subjectAt(this.mask, this.width, this.height, edit.at, edit.threshold), () => 0);
      case 'relabel': {
        const seed = pixelIndex(edit.at, this.width, this.height);
        const cls = seed >= 0 ? this.mask[seed] : -1;
        return this.fill(
          connectedRegion(this.width, this.height, seed, (i) => this.mask[i] === cls),
          () => edit.value,
        );
      }
      case 'stroke':
        return this.stroke(edit.points, edit.radius, edit.value, edit.erase);
      case 'prompt':
        // A mask of another size (a backup of another image version) changes nothing.
        if (edit.mask.length !== this.mask.length) return undefined;
        this.mask.set(edit.mask);
        this.beforeKeep = undefined;
        return this.all;
    }
  }

  /** One more segment of a stroke (the page draws it at once); a stroke of one point is a dot. */
  stroke(points: readonly Pt[], radius: number, value: number, erase: boolean, from = 0): Rect | undefined {
    const m = this.mask;
    const base = this.base;
    const hit = erase ? (i: number) => (m[i] = base[i]) : (i: number) => (m[i] = value);
    let dirty: Rect | undefined;
    if (points.length === 1 && from === 0) return rasterSegment(points[0], points[0], radius, this.width, this.height, hit);
    for (let k = Math.max(1, from); k < points.length; k++) dirty = unionRect(dirty, rasterSegment(points[k - 1], points[k], radius, this.width, this.height, hit));
    return dirty;
  }

  private box(e: Extract<MaskEdit, { kind: 'box' }>): Rect {
    const { box, region, mask: src } = e;
    const m = this.mask;
    if (e.clearOutside) m.fill(0);
    for (let y = box.top; y < box.top + box.height; y++) {
      const from = (y - region.top) * region.width + (box.left - region.left);
      m.set(src.subarray(from, from + box.width), y * this.width + box.left);
    }
    return e.clearOutside ? this.all : box;
  }

  private keep(at: Pt, add: boolean, threshold: number): Rect | undefined {
    if (add && this.beforeKeep) {
      const before = this.beforeKeep;
      const region = subjectAt(before, this.width, this.height, at, threshold);
      return this.fill(region, (i) => before[i]);
    }
    const region = subjectAt(this.mask, this.width, this.height, at, threshold);
    if (!region.some((v) => v)) return undefined;
    this.beforeKeep = this.mask.slice();
    for (let i = 0; i < region.length; i++) if (!region[i]) this.mask[i] = 0;
    return this.all;
  }

  private fill(region: Uint8Array, value: (i: number) => number): Rect | undefined {
    let dirty: Rect | undefined;
    let [l, t, r, b] = [this.width, this.height, -1, -1];
    for (let i = 0; i < region.length; i++) {
      if (!region[i]) continue;
      this.mask[i] = value(i);
      const x = i % this.width;
      const y = (i - x) / this.width;
      if (x < l) l = x;
      if (x > r) r = x;
      if (y < t) t = y;
      if (y > b) b = y;
    }
    if (r >= 0) dirty = { left: l, top: t, width: r - l + 1, height: b - t + 1 };
    return dirty;
  }
}

/**
 * The document's edits and how many of them are applied: a new edit drops the undone ones
 * (what VS Code's own undo stack does with ours, one entry per edit).
 */
export class EditHistory<T> {
  private items: T[] = [];
  private count = 0;

  constructor(edits: readonly T[] = []) {
    this.items = [...edits];
    this.count = this.items.length;
  }

  /** The edits in force, in order. */
  get applied(): readonly T[] {
    return this.items.slice(0, this.count);
  }
  get canUndo(): boolean {
    return this.count > 0;
  }
  get canRedo(): boolean {
    return this.count < this.items.length;
  }

  push(edit: T): void {
    this.items.length = this.count;
    this.items.push(edit);
    this.count++;
  }
  undo(): boolean {
    if (!this.canUndo) return false;
    this.count--;
    return true;
  }
  redo(): boolean {
    if (!this.canRedo) return false;
    this.count++;
    return true;
  }
  /** Everything applied as the new starting point (after a save or a revert, the stack stays VS Code's). */
  reset(edits: readonly T[] = []): void {
    this.items = [...edits];
    this.count = this.items.length;
  }
}
