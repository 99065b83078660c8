// Fit, zoom and pan as pure functions (no DOM, unit-tested). A view maps image pixels to the
// viewport: screen = image * zoom + offset. The image and its mask live in one transformed
// element, so they stay aligned at every zoom; the page persists the view per image as
// {zoom, centre in image pixels} (robust to the panel being resized), or `fit`.
import type { DisplayRegion } from '../../../daemon/api/protocol';
import type { SavedView } from '../shared/messages';

export interface Size {
  width: number;
  height: number;
}
export interface Point {
  x: number;
  y: number;
}
export interface View {
  zoom: number;
  /** Screen position (viewport pixels) of the image's top-left corner. */
  x: number;
  y: number;
}

export const MIN_ZOOM = 0.02;
export const MAX_ZOOM = 64;
/** The +/− steps (as VS Code's image preview: a fixed ladder, so repeated steps land on round values). */
export const ZOOM_STEPS = [0.05, 0.1, 0.25, 0.33, 0.5, 0.67, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
/** From this zoom up, pixels are drawn as squares (image-rendering: pixelated). */
export const PIXELATED_FROM = 2;

export const clampZoom = (z: number) => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));

/** The whole image in the viewport, centred, never enlarged beyond 1:1 unless it is tiny (then up to 8x). */
export function fitView(image: Size, viewport: Size, padding = 8): View {
  if (image.width <= 0 || image.height <= 0) return { zoom: 1, x: 0, y: 0 };
  const aw = Math.max(1, viewport.width - 2 * padding);
  const ah = Math.max(1, viewport.height - 2 * padding);
  const raw = Math.min(aw / image.width, ah / image.height);
  // A 64 px image is a stamp at 1:1: let fit enlarge small images, within reason.
  const zoom = clampZoom(Math.min(raw, 8));
  return centred(image, viewport, zoom);
}

/** The image at `zoom`, centred in the viewport. */
export function centred(image: Size, viewport: Size, zoom: number): View {
  return { zoom, x: (viewport.width - image.width * zoom) / 2, y: (viewport.height - image.height * zoom) / 2 };
}

export function screenToImage(v: View, p: Point): Point {
  return { x: (p.x - v.x) / v.zoom, y: (p.y - v.y) / v.zoom };
}
export function imageToScreen(v: View, p: Point): Point {
  return { x: p.x * v.zoom + v.x, y: p.y * v.zoom + v.y };
}

/** The image pixel (integer coordinates) under a screen point, or undefined outside the image. */
export function pixelAt(v: View, p: Point, image: Size): Point | undefined {
  const q = screenToImage(v, p);
  const x = Math.floor(q.x);
  const y = Math.floor(q.y);
  return x >= 0 && y >= 0 && x < image.width && y < image.height ? { x, y } : undefined;
}

/** Zoom to `zoom` keeping the image point under `anchor` (screen) where it is. */
export function zoomAt(v: View, zoom: number, anchor: Point): View {
  const z = clampZoom(zoom);
  const q = screenToImage(v, anchor);
  return { zoom: z, x: anchor.x - q.x * z, y: anchor.y - q.y * z };
}

/** The next step of the ladder above (dir 1) or below (dir -1) the current zoom. */
export function stepZoom(zoom: number, dir: 1 | -1): number {
  const eps = 1e-6;
  if (dir > 0) return ZOOM_STEPS.find((s) => s > zoom + eps) ?? MAX_ZOOM;
  for (let i = ZOOM_STEPS.length - 1; i >= 0; i--) if (ZOOM_STEPS[i] < zoom - eps) return ZOOM_STEPS[i];
  return MIN_ZOOM;
}

/**
 * Zoom factor of one wheel event: smooth in deltaY (trackpads send many small deltas, mice
 * ±100 per notch = ×1.2 or so), bounded so one event never jumps more than 2x.
 */
export function wheelFactor(deltaY: number, deltaMode: number, pinch: boolean): number {
  const px = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  const k = pinch ? 0.01 : 0.002;
  return Math.min(2, Math.max(0.5, Math.exp(-px * k)));
}

/** Keeps at least `margin` pixels of the image inside the viewport on each axis, so a drag cannot lose it. */
export function clampView(v: View, image: Size, viewport: Size, margin = 48): View {
  const axis = (pos: number, len: number, vp: number) => {
    const m = Math.min(margin, len, vp);
    return Math.min(vp - m, Math.max(m - len, pos));
  };
  return { zoom: v.zoom, x: axis(v.x, image.width * v.zoom, viewport.width), y: axis(v.y, image.height * v.zoom, viewport.height) };
}

/** The view to keep: the zoom and the image point at the viewport centre. */
export function saveView(v: View, viewport: Size, fit: boolean): SavedView {
  const c = screenToImage(v, { x: viewport.width / 2, y: viewport.height / 2 });
  return { fit, zoom: v.zoom, cx: c.x, cy: c.y };
}

/** A saved view back in this viewport (fit is recomputed for the viewport's size). */
export function restoreView(s: SavedView | undefined, image: Size, viewport: Size): View {
  if (!s || s.fit || !(s.zoom > 0)) return fitView(image, viewport);
  const zoom = clampZoom(s.zoom);
  return { zoom, x: viewport.width / 2 - s.cx * zoom, y: viewport.height / 2 - s.cy * zoom };
}

/** A zoom as the toolbar shows it: "400%", "12.5%". */
export function formatZoom(zoom: number): string {
  const p = zoom * 100;
  return `${p >= 20 ? Math.round(p) : Math.round(p * 10) / 10}%`;
}

// ---- full-resolution crops (issue 16): a display image scaled down from a huge original ----

/** A rectangle of the image, in whole image pixels (seglens/displayCrop's region). */
export type Region = DisplayRegion;
/** The daemon's bound on a crop's side (DISPLAY_CROP_MAX_SIDE in daemon/api/protocol.ts). */
export const CROP_MAX_SIDE = 4096;

/** From 1:1 up, a picture scaled down to `displayWidth` shows less than the image has: fetch the region. */
export function wantsFullRes(zoom: number, image: Size, displayWidth: number): boolean {
  return zoom >= 1 - 1e-9 && displayWidth > 0 && displayWidth < image.width;
}

/**
 * The image pixels the viewport shows, grown by `margin` (a fraction of the visible size on
 * each side, so a short pan needs no new crop), whole pixels inside the image, at most
 * CROP_MAX_SIDE a side (kept around the centre); undefined when the image is off screen.
 */
export function visibleRegion(v: View, viewport: Size, image: Size, margin = 0): Region | undefined {
  const axis = (pos: number, vp: number, len: number): [number, number] | undefined => {
    const a = -pos / v.zoom;
    const b = (vp - pos) / v.zoom;
    const grow = (b - a) * margin;
    let lo = Math.max(0, Math.floor(a - grow));
    let hi = Math.min(len, Math.ceil(b + grow));
    if (hi - lo > CROP_MAX_SIDE) {
      const mid = Math.round((Math.max(0, a) + Math.min(len, b)) / 2);
      lo = Math.max(0, Math.min(len - CROP_MAX_SIDE, mid - CROP_MAX_SIDE / 2));
      hi = lo + CROP_MAX_SIDE;
    }
    return hi > lo ? [lo, hi] : undefined;
  };
  const x = axis(v.x, viewport.width, image.width);
  const y = axis(v.y, viewport.height, image.height);
  return x && y ? { left: x[0], top: y[0], width: x[1] - x[0], height: y[1] - y[0] } : undefined;
}

/** `outer` holds all of `inner`. */
export function covers(outer: Region | undefined, inner: Region): boolean {
  return !!outer && outer.left <= inner.left && outer.top <= inner.top && outer.left + outer.width >= inner.left + inner.width && outer.top + outer.height >= inner.top + inner.height;
}
