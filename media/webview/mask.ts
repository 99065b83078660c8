// The mask on the canvas: decode the daemon's grey PNG as data, colour it (binary: one colour
// with alpha = mask; semantic: a colour per shown class) and paint both canvases.
import type { ClassInfo } from '../../daemon/api/protocol';
import { colourTable } from './legend';
import type { ResultPayload } from './messages';
import type { Shown } from './page';
import { els } from './page';

export async function decodeMask(base64: string): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  // No colour management or premultiplication: the grey values are data, not colours.
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const c = document.createElement('canvas');
  c.width = bitmap.width;
  c.height = bitmap.height;
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { data: ctx.getImageData(0, 0, c.width, c.height).data, width: c.width, height: c.height };
}

function isBackground(c: ClassInfo): boolean {
  return c.id === 0 || /^background$/i.test(c.label);
}

/** Binary: the foreground colour with alpha = mask. Semantic: each shown class index in its colour. */
export function colourMask(r: ResultPayload, grey: Uint8ClampedArray, width: number, height: number, hidden: readonly number[]): ImageData {
  const out = new ImageData(width, height);
  const px = out.data;
  if (r.task === 'binary') {
    const fg = r.classes.find((c) => !isBackground(c)) ?? r.classes[r.classes.length - 1];
    const [cr, cg, cb] = fg?.color ?? [0, 200, 255];
    for (let i = 0; i < width * height; i++) {
      px[i * 4] = cr;
      px[i * 4 + 1] = cg;
      px[i * 4 + 2] = cb;
      px[i * 4 + 3] = grey[i * 4];
    }
  } else {
    // Values that are no class of the result (or a hidden one) stay transparent.
    const table = colourTable(r.classes, hidden);
    for (let i = 0; i < width * height; i++) {
      const c = table[grey[i * 4]];
      if (!c) continue;
      px[i * 4] = c[0];
      px[i * 4 + 1] = c[1];
      px[i * 4 + 2] = c[2];
      px[i * 4 + 3] = 255;
    }
  }
  return out;
}

/** Paints `shown` with the classes in `hidden` left out, on the overlay and the side view. */
export function paintMask(shown: Shown, hidden: readonly number[]): void {
  const coloured = colourMask(shown.r, shown.grey, shown.width, shown.height, hidden);
  for (const c of [els.overlay, els.overlaySide]) {
    c.width = shown.width;
    c.height = shown.height;
    c.getContext('2d')!.putImageData(coloured, 0, 0);
  }
}

export function clearCanvas(c: HTMLCanvasElement): void {
  c.width = 0;
  c.height = 0;
}
