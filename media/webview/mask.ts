// The mask on the canvas: decode the daemon's grey PNG as data, colour it (binary: one colour
// with alpha = mask, thresholded or outlined as the page asks; semantic: a colour per shown
// class, filled or outlined) and paint it on a canvas.
import type { ClassInfo, Rgb } from '../../daemon/api/protocol';
import { colourTable } from './legend';
import { paintInstances, shownTable } from './instanceView';
import type { MatteView } from './shared/messages';
import { greyChannel, paintClasses, paintMatte } from './inspect/threshold';
import type { Shown } from './page';

/** Decodes a base64 8-bit grey PNG to one byte per pixel. */
export async function decodeMask(base64: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  // No colour management or premultiplication: the grey values are data, not colours.
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const c = document.createElement('canvas');
  c.width = bitmap.width;
  c.height = bitmap.height;
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { data: greyChannel(ctx.getImageData(0, 0, c.width, c.height).data), width: c.width, height: c.height };
}

function isBackground(c: ClassInfo): boolean {
  return c.id === 0 || /^background$/i.test(c.label);
}

/** The colour a binary result's foreground is drawn in. */
export function foregroundColour(classes: readonly ClassInfo[]): Rgb {
  const fg = classes.find((c) => !isBackground(c)) ?? classes[classes.length - 1];
  return fg?.color ?? [0, 200, 255];
}

export interface PaintOptions {
  hidden: readonly number[];
  matte: MatteView;
  threshold: number;
  /** Outline thickness in image pixels (from the zoom). */
  outlineWidth: number;
  /** Instance modes: the score slider, and the instance hovered (0: none). */
  minScore: number;
  highlight: number;
}

/** Binary: the matte in the chosen view. Semantic: each shown class in its colour (outlined on request).
 * Instance: each shown instance in its own colour with its outline. */
export function colourMask(s: Shown, o: PaintOptions): ImageData {
  const out = new ImageData(s.width, s.height);
  if (s.r.task === 'instance') {
    const shown = shownTable(s.r.instances ?? [], o.minScore, o.hidden);
    paintInstances(s.mask, s.width, s.height, { shown, highlight: o.highlight, outlineWidth: o.outlineWidth, outlineOnly: o.matte === 'outline' }, out.data);
  } else if (s.r.task === 'binary') paintMatte(s.mask, s.width, s.height, foregroundColour(s.r.classes), o.matte, o.threshold, o.outlineWidth, out.data);
  else paintClasses(s.mask, s.width, s.height, colourTable(s.r.classes, o.hidden), out.data, o.matte === 'outline' ? o.outlineWidth : undefined);
  return out;
}

export function putImage(c: HTMLCanvasElement, img: ImageData): void {
  c.width = img.width;
  c.height = img.height;
  c.getContext('2d')!.putImageData(img, 0, 0);
}

export function clearCanvas(c: HTMLCanvasElement): void {
  c.width = 0;
  c.height = 0;
}
