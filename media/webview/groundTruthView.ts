// The preview's "vs ground truth" view (issue 15): the daemon's agreement map (seglens/score
// with `agreement: true`: 1 true positive, 2 false positive, 3 false negative) painted in three
// colours over the image in place of the mask, with the scores. The colouring is pure; the page
// part only shows it when the panel sent a ground truth for the image on screen.
import type { Rgb } from '../../daemon/api/protocol';
import { paintClasses } from './inspect/threshold';
import { decodeMask, putImage } from './mask';
import type { ToWebview } from './shared/messages';
import { els, view } from './page';

/** Fixed colours (not the theme's): they must read the same on any background. */
export const AGREEMENT_COLOURS: Record<1 | 2 | 3, Rgb> = { 1: [0, 200, 83], 2: [235, 64, 52], 3: [41, 121, 255] };
const NAMES = { 1: 'true positive', 2: 'false positive', 3: 'false negative' } as const;

/** Agreement value → colour (0 and anything past 3: transparent). */
const AGREEMENT_TABLE: readonly (Rgb | null)[] = [null, AGREEMENT_COLOURS[1], AGREEMENT_COLOURS[2], AGREEMENT_COLOURS[3]];

/** RGBA of an agreement map: TP, FP, FN in their colours, opaque; anything else transparent. */
export function paintAgreement(map: Uint8Array, out: Uint8ClampedArray): Uint8ClampedArray {
  return paintClasses(map, map.length, 1, AGREEMENT_TABLE, out);
}

type GroundTruthMessage = Extract<ToWebview, { type: 'groundTruth' }>;
let current: { path: string; image: ImageData; m: GroundTruthMessage } | undefined;

const toggle = () => document.getElementById('gtView') as HTMLInputElement;
const group = () => document.getElementById('gtGroup') as HTMLElement;

/** After each repaint of the mask: the agreement instead, while the view is on. */
export function paintGroundTruth(): void {
  if (!current || current.path !== view.currentPath || !toggle().checked) return;
  putImage(els.overlay, current.image);
  putImage(els.overlaySide, current.image);
}

/** The scores line: IoU (and Dice, pixel accuracy), or an instance mode's counts at IoU 0.5. */
function groundTruthScores(m: GroundTruthMessage): string[] {
  const a = m.instances;
  if (a) return [`tp ${a.tp} · fp ${a.fp} · fn ${a.fn} · F1 ${a.f1.toFixed(3)} at IoU 0.5`];
  const parts = [`IoU ${(m.iou ?? 0).toFixed(3)}`];
  if (m.dice !== undefined) parts.push(`Dice ${m.dice.toFixed(3)}`);
  if (m.pixelAccuracy !== undefined) parts.push(`pixel accuracy ${m.pixelAccuracy.toFixed(3)}`);
  return parts;
}

export async function onGroundTruth(m: GroundTruthMessage, repaint: () => void): Promise<void> {
  const map = m.instances ? { data: m.instances.map, width: m.instances.width, height: m.instances.height } : m.agreementPng ? await decodeMask(m.agreementPng) : undefined;
  if (!map) return;
  const image = new ImageData(map.width, map.height);
  paintAgreement(map.data, image.data);
  current = { path: m.path, image, m };
  if (m.path !== view.currentPath) return;
  const parts = groundTruthScores(m);
  const scores = document.getElementById('gtScores')!;
  scores.replaceChildren(
    parts.join(' · '),
    ...([1, 2, 3] as const).map((k) => {
      const s = document.createElement('span');
      s.className = 'gt-key';
      s.style.setProperty('--swatch', `rgb(${AGREEMENT_COLOURS[k].join(',')})`);
      s.textContent = NAMES[k];
      return s;
    }),
  );
  group().hidden = false;
  document.body.dataset.groundTruth = String(m.instances ? m.instances.f1 : m.iou);
  repaint();
}

/** A new image: no ground truth until the panel sends one. */
export function resetGroundTruth(): void {
  current = undefined;
  group().hidden = true;
  delete document.body.dataset.groundTruth;
}

export function initGroundTruth(repaint: () => void): void {
  toggle().addEventListener('change', repaint);
}
