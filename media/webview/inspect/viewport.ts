// The panes as viewports: the image and its mask canvases sit in one element per pane,
// transformed by the current view (zoom.ts), so they stay aligned at every zoom. Wheel and
// ctrl+wheel (pinch) zoom at the cursor, drag pans, the toolbar and the keybindings step,
// fit and 1:1. The view is kept per image in the page state, so a re-run keeps it.
import { els, persist, state, view } from '../page';
import { PIXELATED_FROM, Point, Size, View, clampView, fitView, formatZoom, pixelAt, restoreView, saveView, screenToImage, stepZoom, wheelFactor, zoomAt } from './zoom';

/** An editing tool (the refine editor's, issue 22): it gets the main pane's left button instead of panning; the middle button still pans. */
export interface PointerTool {
  /** Positions are image pixels, fractional (the zoom's own coordinates). */
  down(e: PointerEvent, p: Point): void;
  move(e: PointerEvent, p: Point): void;
  up(e: PointerEvent, p: Point): void;
  /** The pointer moved with no button down (or left: undefined). */
  hover(p: Point | undefined): void;
  /** A wheel event the tool takes (brush size), instead of zooming. */
  wheel(e: WheelEvent): boolean;
}
let tool: PointerTool | undefined;
export const setPointerTool = (t: PointerTool | undefined) => (tool = t);

let current: View = { zoom: 1, x: 0, y: 0 };
let fitted = true;
let size: Size = { width: 0, height: 0 };
let sizedFor = '';
let saveTimer: ReturnType<typeof setTimeout> | undefined;
const changeListeners: (() => void)[] = [];
const hoverListeners: ((p: Point | undefined) => void)[] = [];

export const currentView = (): View => current;
export const contentSize = (): Size => size;
/** Called after every change of the view (readout, divider, outline width). */
export const onViewChange = (f: () => void) => changeListeners.push(f);
/** Called with the image pixel under the pointer (undefined when it leaves the image). */
export const onHover = (f: (p: Point | undefined) => void) => hoverListeners.push(f);

/** The main pane's size (the viewport the view maps to). */
export const viewportSize = (): Size => viewport();

function viewport(): Size {
  const r = els.paneMain.getBoundingClientRect();
  return { width: r.width, height: r.height };
}

function apply(): void {
  const t = `translate(${current.x}px, ${current.y}px) scale(${current.zoom})`;
  for (const c of [els.content, els.contentSide]) c.style.transform = t;
  els.stage.classList.toggle('pixelated', current.zoom >= PIXELATED_FROM);
  els.zoomValue.textContent = fitted ? `Fit ${formatZoom(current.zoom)}` : formatZoom(current.zoom);
  els.stage.dataset.zoom = String(current.zoom);
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    if (!view.currentPath || size.width === 0) return;
    state.zoom = { path: view.currentPath, ...saveView(current, viewport(), fitted) };
    persist();
  }, 150);
  for (const f of changeListeners) f();
}

function set(v: View, fit = false): void {
  fitted = fit;
  current = fit ? v : clampView(v, size, viewport());
  apply();
}

/**
 * The content is `s` image pixels (the mask's size, or the picture's before a result). A new
 * image starts fitted, unless the page kept a view for it (a re-run, a reload).
 */
export function setContentSize(s: Size, path: string): void {
  if (s.width === size.width && s.height === size.height && path === sizedFor) return;
  const samePicture = path === sizedFor;
  size = s;
  sizedFor = path;
  for (const c of [els.content, els.contentSide]) {
    c.style.width = `${s.width}px`;
    c.style.height = `${s.height}px`;
  }
  const saved = state.zoom?.path === path ? state.zoom : undefined;
  if (samePicture && !fitted) set(current);
  else if (saved && !saved.fit) set(restoreView(saved, s, viewport()));
  else fit();
}

export function fit(): void {
  set(fitView(size, viewport()), true);
}
export function oneToOne(): void {
  const vp = viewport();
  set(zoomAt(current, 1, { x: vp.width / 2, y: vp.height / 2 }));
}
/** +1 / −1 step of the zoom ladder, about the viewport's centre. */
export function step(dir: 1 | -1): void {
  const vp = viewport();
  set(zoomAt(current, stepZoom(current.zoom, dir), { x: vp.width / 2, y: vp.height / 2 }));
}
/** Pans by a fraction of the viewport (keyboard). */
export function pan(fx: number, fy: number): void {
  const vp = viewport();
  set({ zoom: current.zoom, x: current.x + fx * vp.width, y: current.y + fy * vp.height });
}

/** The image point (fractional pixels) under a pointer event on the main pane. */
export function imagePoint(e: { clientX: number; clientY: number }): Point {
  return screenToImage(current, local(els.paneMain, e));
}

/** The pointer's position in the pane's coordinates. */
export function local(pane: HTMLElement, e: { clientX: number; clientY: number }): Point {
  const r = pane.getBoundingClientRect();
  return { x: e.clientX - r.left, y: e.clientY - r.top };
}

function hover(p: Point | undefined): void {
  for (const f of hoverListeners) f(p);
}

function wire(pane: HTMLElement): void {
  pane.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      if (tool?.wheel(e)) return;
      set(zoomAt(current, current.zoom * wheelFactor(e.deltaY, e.deltaMode, e.ctrlKey), local(pane, e)));
    },
    { passive: false },
  );
  let drag: { x: number; y: number; v: View } | undefined;
  let drawing = false;
  const withTool = () => (pane === els.paneMain ? tool : undefined);
  pane.addEventListener('pointerdown', (e) => {
    if ((e.button !== 0 && e.button !== 1) || (e.target as HTMLElement).closest('.divider')) return;
    const t = withTool();
    if (t && e.button === 0) {
      drawing = true;
      pane.setPointerCapture(e.pointerId);
      t.down(e, imagePoint(e));
      return;
    }
    drag = { x: e.clientX, y: e.clientY, v: current };
    pane.setPointerCapture(e.pointerId);
    pane.classList.add('dragging');
  });
  pane.addEventListener('pointermove', (e) => {
    if (drag) return set({ zoom: drag.v.zoom, x: drag.v.x + e.clientX - drag.x, y: drag.v.y + e.clientY - drag.y });
    // The readout follows the pointer while a tool draws too.
    hover(pixelAt(current, local(pane, e), size));
    const t = withTool();
    if (t && drawing) t.move(e, imagePoint(e));
    else t?.hover(imagePoint(e));
  });
  const end = (e: PointerEvent) => {
    if (drawing) withTool()?.up(e, imagePoint(e));
    drawing = false;
    drag = undefined;
    pane.classList.remove('dragging');
  };
  pane.addEventListener('pointerup', end);
  pane.addEventListener('pointercancel', end);
  pane.addEventListener('pointerleave', () => {
    if (drag || drawing) return;
    hover(undefined);
    withTool()?.hover(undefined);
  });
}

export function initViewport(): void {
  wire(els.paneMain);
  wire(els.paneSide);
  els.zoomIn.addEventListener('click', () => step(1));
  els.zoomOut.addEventListener('click', () => step(-1));
  els.zoomFit.addEventListener('click', fit);
  els.zoom1.addEventListener('click', oneToOne);
  // A resized panel refits a fitted image and keeps a zoomed one around its centre.
  let last = viewport();
  new ResizeObserver(() => {
    const vp = viewport();
    if (size.width === 0 || (vp.width === last.width && vp.height === last.height)) return;
    const kept = saveView(current, last, fitted);
    last = vp;
    if (fitted) fit();
    else set(restoreView(kept, size, vp));
  }).observe(els.paneMain);
}
