// Comparing the shown mode with a second one on the same image: the pick, the second mode's
// progress (it runs through the daemon's warm registry like the first), a split view with a
// draggable divider (first mode left, second right), a difference view, and the IoU.
import { Shown, els, persist, send, state, view } from '../page';
import type { CompareView, PanelMode, ResultPayload } from '../shared/messages';
import { clearCanvas, colourMask, decodeMask, putImage } from '../mask';
import { DIFF_COLOURS, compareMasks, differenceImage, formatAgreement, splitAt } from './compare';
import { onPaint, paintOptions } from './paint';
import { contentSize, currentView, local, onViewChange } from './viewport';
import { screenToImage } from './zoom';

let seq = 0;

const active = () => !!(state.compare && view.compared && view.shown && view.compared.width === view.shown.width && view.compared.height === view.shown.height);

/** The compare pick: Off, then every mode but the one shown. */
export function fillCompareModes(modes: PanelMode[], current: string): void {
  const off = Object.assign(document.createElement('option'), { value: '', textContent: 'Off' });
  const opts = modes.filter((m) => m.id !== current).map((m) => Object.assign(document.createElement('option'), { value: m.id, textContent: `${m.label} (${m.state})` }));
  els.compareMode.replaceChildren(off, ...opts);
  const want = state.compare?.mode ?? '';
  els.compareMode.value = opts.some((o) => o.value === want) ? want : '';
  // The compared mode became the shown one (or went away): nothing left to compare with.
  if (want && els.compareMode.value !== want) compareWith(null);
}

/** Starts (mode) or stops (null) comparing; the extension runs the second mode. */
export function compareWith(mode: string | null): void {
  seq++;
  view.compared = undefined;
  state.compare = mode ? { mode, view: state.compare?.view ?? 'split', split: state.compare?.split ?? 0.5 } : undefined;
  persist();
  els.compareMode.value = mode ?? '';
  els.compareState.textContent = '';
  els.compareState.classList.remove('error');
  send({ type: 'compare', mode });
  paintCompare();
}

/** C: compare with the last compared mode, or the first other mode; again: stop. */
export function toggleCompare(): void {
  if (state.compare) return compareWith(null);
  const first = [...els.compareMode.options].find((o) => o.value)?.value;
  compareWith(first ?? null);
}

export function setCompareView(v: CompareView): void {
  if (!state.compare) return;
  state.compare = { ...state.compare, view: v };
  persist();
  paintCompare();
}
export const cycleCompareView = () => setCompareView(state.compare?.view === 'split' ? 'difference' : 'split');

export function onCompareState(mode: string, message: string | undefined, error: boolean | undefined): void {
  if (mode !== state.compare?.mode) return;
  els.compareState.textContent = message ? `${mode}: ${message}` : '';
  els.compareState.classList.toggle('error', !!error);
}

export async function onCompareResult(r: ResultPayload): Promise<void> {
  const mine = ++seq;
  const { data, width, height } = await decodeMask(r.maskPng);
  if (mine !== seq || r.path !== view.currentPath || r.mode !== state.compare?.mode) return;
  const compared: Shown = { r, mask: data, width, height };
  view.compared = compared;
  els.compareState.textContent = '';
  paintCompare();
}

/** The second canvas (split: the second mode; difference: where they disagree), the divider, the IoU. */
export function paintCompare(): void {
  const on = active();
  els.stage.classList.toggle('compare-split', on && state.compare!.view === 'split');
  els.stage.classList.toggle('compare-diff', on && state.compare!.view === 'difference');
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="compareView"]')) r.checked = r.value === (state.compare?.view ?? 'split');
  els.compareViews.hidden = !state.compare;
  if (!on) {
    clearCanvas(els.overlayB);
    els.divider.hidden = true;
    els.overlay.style.clipPath = '';
    els.iou.textContent = '';
    return;
  }
  const a = view.shown!;
  const b = view.compared!;
  const t = state.threshold ?? 0.5;
  if (state.compare!.view === 'split') putImage(els.overlayB, colourMask(b, paintOptions(b)));
  else {
    const diff = new ImageData(a.width, a.height);
    differenceImage({ ...a.r, mask: a.mask }, { ...b.r, mask: b.mask }, t, diff.data);
    putImage(els.overlayB, diff);
  }
  renderAgreement(a, b);
  placeSplit();
}

function renderAgreement(a: Shown, b: Shown): void {
  const g = compareMasks({ ...a.r, mask: a.mask }, { ...b.r, mask: b.mask }, state.threshold ?? 0.5);
  const text = document.createElement('span');
  text.textContent = `${a.r.mode} vs ${b.r.mode}: ${formatAgreement(g)}`;
  const parts: Node[] = [text];
  if (state.compare!.view === 'difference') {
    const keys: [readonly number[], string][] = [
      [DIFF_COLOURS.onlyA, `only ${a.r.mode}`],
      [DIFF_COLOURS.onlyB, `only ${b.r.mode}`],
    ];
    if (g.kind === 'mean') keys.push([DIFF_COLOURS.both, 'another class']);
    for (const [c, label] of keys) {
      const sw = Object.assign(document.createElement('span'), { className: 'swatch' });
      sw.style.setProperty('--swatch', `rgb(${c.join(',')})`);
      parts.push(sw, Object.assign(document.createElement('span'), { className: 'muted', textContent: label }));
    }
  }
  els.iou.replaceChildren(...parts);
  els.iou.dataset.iou = String(g.iou);
}

/** Clips the two overlays at the split and puts the divider there (screen coordinates). */
function placeSplit(): void {
  const split = state.compare?.view === 'split' && active();
  els.divider.hidden = !split;
  if (!split) {
    els.overlay.style.clipPath = '';
    els.overlayB.style.clipPath = '';
    return;
  }
  const s = state.compare!.split;
  els.overlay.style.clipPath = `inset(0 ${(1 - s) * 100}% 0 0)`;
  els.overlayB.style.clipPath = `inset(0 0 0 ${s * 100}%)`;
  const v = currentView();
  els.divider.style.left = `${v.x + s * contentSize().width * v.zoom}px`;
  els.divider.setAttribute('aria-valuenow', String(Math.round(s * 100)));
  els.divider.setAttribute('aria-valuetext', `${Math.round(s * 100)}% ${view.shown?.r.mode ?? ''}, the rest ${view.compared?.r.mode ?? ''}`);
}

/** Keyboard (, and . through package.json): moves the divider, showing the split view if needed. */
export function moveSplit(d: number): void {
  if (!state.compare) return;
  if (state.compare.view !== 'split') setCompareView('split');
  setSplit(Math.min(1, Math.max(0, state.compare.split + d)));
}

function setSplit(s: number): void {
  if (!state.compare) return;
  state.compare = { ...state.compare, split: s };
  persist();
  placeSplit();
}

export function initCompare(): void {
  els.compareMode.addEventListener('change', () => compareWith(els.compareMode.value || null));
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="compareView"]')) {
    r.addEventListener('change', () => r.checked && setCompareView(r.value as CompareView));
  }
  let dragging = false;
  els.divider.addEventListener('pointerdown', (e) => {
    dragging = true;
    els.divider.setPointerCapture(e.pointerId);
    e.stopPropagation();
  });
  els.divider.addEventListener('pointermove', (e) => {
    if (dragging) setSplit(splitAt(screenToImage(currentView(), local(els.paneMain, e)).x, contentSize().width));
  });
  els.divider.addEventListener('pointerup', () => (dragging = false));
  els.divider.addEventListener('keydown', (e) => {
    const d = e.key === 'ArrowLeft' ? -0.02 : e.key === 'ArrowRight' ? 0.02 : e.key === 'Home' ? -1 : e.key === 'End' ? 1 : 0;
    if (!d || !state.compare) return;
    e.preventDefault();
    setSplit(Math.min(1, Math.max(0, state.compare.split + d)));
  });
  onPaint(paintCompare);
  onViewChange(placeSplit);
}

/** A new picture: the comparison's result is gone (the mode stays chosen; the extension re-runs it). */
export function clearCompare(): void {
  seq++;
  view.compared = undefined;
  els.compareState.textContent = '';
  paintCompare();
}
