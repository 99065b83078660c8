// The panes as viewports: the image and its mask canvases sit in one element per pane,
// transformed by the current view (zoom.ts), so they stay aligned at every zoom. Wheel and
// ctrl+wheel (pinch) zoom at the cursor, drag pans, the toolbar and the keybindings step,
// fit and 1:1. The view is kept per image in the page state, so a re-run keeps it.
import { els, persist, state, view } from '../page';
import { PIXELATED_FROM, Point, Size, View, clampView, fitView, formatZoom, pixelAt, restoreView, saveView, stepZoom, wheelFactor, zoomAt } from './zoom';

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
      set(zoomAt(current, current.zoom * wheelFactor(e.deltaY, e.deltaMode, e.ctrlKey), local(pane, e)));
    },
    { passive: false },
  );
  let drag: { x: number; y: number; v: View } | undefined;
  pane.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || (e.target as HTMLElement).closest('.divider')) return;
    drag = { x: e.clientX, y: e.clientY, v: current };
    pane.setPointerCapture(e.pointerId);
    pane.classList.add('dragging');
  });
  pane.addEventListener('pointermove', (e) => {
    if (drag) set({ zoom: drag.v.zoom, x: drag.v.x + e.clientX - drag.x, y: drag.v.y + e.clientY - drag.y });
    else hover(pixelAt(current, local(pane, e), size));
  });
  const end = () => {
    drag = undefined;
    pane.classList.remove('dragging');
  };
  pane.addEventListener('pointerup', end);
  pane.addEventListener('pointercancel', end);
  pane.addEventListener('pointerleave', () => !drag && hover(undefined));
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
