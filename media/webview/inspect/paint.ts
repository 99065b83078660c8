// Paints the result on screen in the page's current drawing (matte view, threshold, hidden
// classes, outline width for the zoom), and lets the comparison and the readout follow.
import { hiddenFor } from '../legend';
import { PaintOptions, colourMask, putImage } from '../mask';
import { Shown, els, state, view } from '../page';
import { foregroundShare, outlineWidth } from './threshold';
import { currentView, onViewChange } from './viewport';

const afterPaint: (() => void)[] = [];
/** Called after each repaint of the result (the comparison repaints its own canvas). */
export const onPaint = (f: () => void) => afterPaint.push(f);

let paintedWidth = 0;

/** The score slider's value for `s`'s mode (instance modes; 0 until moved). */
export function minScoreFor(s: Shown): number {
  return state.minScore?.[s.r.mode] ?? 0;
}

/** How `s` is drawn now. */
export function paintOptions(s: Shown): PaintOptions {
  return {
    hidden: hiddenFor(state.hidden, s.r.mode, s.r.classes),
    matte: state.matte ?? 'soft',
    threshold: state.threshold ?? 0.5,
    outlineWidth: outlineWidth(currentView().zoom),
    minScore: minScoreFor(s),
    highlight: view.highlight,
  };
}

export function paintAll(): void {
  const s = view.shown;
  if (!s) return;
  const o = paintOptions(s);
  paintedWidth = o.outlineWidth;
  const img = colourMask(s, o);
  putImage(els.overlay, img);
  putImage(els.overlaySide, img);
  // What the hard view shows, so the slider's effect reads as a number too.
  els.share.textContent = s.r.task === 'binary' ? `foreground ${(foregroundShare(s.mask, o.threshold) * 100).toFixed(1)}%` : '';
  els.stage.dataset.foregroundShare = s.r.task === 'binary' ? String(foregroundShare(s.mask, o.threshold)) : '';
  for (const f of afterPaint) f();
}

export function initPaint(): void {
  // An outline is about 1.5 screen pixels wide: repaint when the zoom changes its width.
  onViewChange(() => {
    if (view.shown && (state.matte === 'outline' || view.shown.r.task === 'instance') && outlineWidth(currentView().zoom) !== paintedWidth) paintAll();
  });
}
