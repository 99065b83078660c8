// The inspection controls of one result: the matte view (soft, hard, outline), the threshold
// slider (binary mattes, applied here without re-inference) and the readout under the cursor,
// announced to screen readers on demand (the I key: at the pointer, else at the centre).
import { els, persist, state, view } from '../page';
import { minScoreFor, paintAll } from './paint';
import { hiddenFor } from '../legend';
import { shownTable } from '../instanceView';
import { formatReadout, readoutAt } from './readout';
import type { MatteView } from '../shared/messages';
import { MATTE_VIEWS } from './threshold';
import { contentSize, currentView, onHover, onViewChange } from './viewport';
import { Point, imageToScreen, pixelAt } from './zoom';

let pointer: Point | undefined;
let crosshairAt: Point | undefined;

export function readoutText(p: Point | undefined): string {
  const s = view.shown;
  if (!s) return '';
  const shown = s.r.task === 'instance' ? shownTable(s.r.instances ?? [], minScoreFor(s), hiddenFor(state.hidden, s.r.mode, s.r.classes)) : undefined;
  const r = p && readoutAt({ ...s.r, mask: s.mask, confidence: s.confidence, width: s.width, height: s.height, shown }, p.x, p.y, state.threshold ?? 0.5);
  return formatReadout(r);
}

function showReadout(): void {
  els.readout.textContent = view.shown && pointer ? readoutText(pointer) : '';
}

export function applyMatteControls(): void {
  const matte = state.matte ?? 'soft';
  const t = state.threshold ?? 0.5;
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="matte"]')) r.checked = r.value === matte;
  els.threshold.value = String(t);
  els.thresholdValue.textContent = t.toFixed(2);
  const binary = !view.shown || view.shown.r.task === 'binary';
  els.thresholdGroup.hidden = !binary;
  const hard = document.querySelector<HTMLInputElement>('input[name="matte"][value="hard"]');
  if (hard) hard.disabled = !binary;
}

export function setMatte(m: MatteView): void {
  state.matte = m === 'hard' && view.shown && view.shown.r.task !== 'binary' ? 'outline' : m;
  persist();
  applyMatteControls();
  paintAll();
}
export function cycleMatte(): void {
  const usable = view.shown && view.shown.r.task !== 'binary' ? MATTE_VIEWS.filter((v) => v !== 'hard') : MATTE_VIEWS;
  setMatte(usable[(usable.indexOf(state.matte ?? 'soft') + 1) % usable.length]);
}
export function setThreshold(t: number): void {
  state.threshold = Math.round(Math.min(1, Math.max(0, t)) * 100) / 100;
  persist();
  applyMatteControls();
  paintAll();
  showReadout();
}

/** Announces the readout at the pointer, or at the viewport's centre (marked by a crosshair). */
export function announce(): void {
  let p = pointer;
  if (!p) {
    const r = els.paneMain.getBoundingClientRect();
    p = pixelAt(currentView(), { x: r.width / 2, y: r.height / 2 }, contentSize());
    crosshairAt = p;
    placeCrosshair();
  }
  const text = view.shown ? readoutText(p) : 'no mask yet';
  els.readout.textContent = text;
  // Re-setting the same text would not be announced again: clear, then set on the next frame.
  els.announce.textContent = '';
  requestAnimationFrame(() => (els.announce.textContent = text));
}

function placeCrosshair(): void {
  const p = crosshairAt;
  els.crosshair.hidden = !p;
  if (!p) return;
  const c = imageToScreen(currentView(), { x: p.x + 0.5, y: p.y + 0.5 });
  els.crosshair.style.left = `${c.x}px`;
  els.crosshair.style.top = `${c.y}px`;
}

export function initInspector(): void {
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="matte"]')) {
    r.addEventListener('change', () => r.checked && setMatte(r.value as MatteView));
  }
  els.threshold.addEventListener('input', () => setThreshold(Number(els.threshold.value)));
  onHover((p) => {
    pointer = p;
    crosshairAt = undefined;
    placeCrosshair();
    showReadout();
  });
  onViewChange(placeCrosshair);
  applyMatteControls();
}
