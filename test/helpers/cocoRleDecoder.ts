// A COCO compressed-RLE decoder written from the format's description (pycocotools' maskApi.c
// rleFrString + rleDecode), independent of daemon/api/exports/cocoRle.ts, to check it.
import assert from 'node:assert/strict';

/** Independent decoder: string → counts (6-bit groups, sign from bit 0x10 of the last group,
 * delta to the count two before from index 3 on) → column-major mask (rows of `width`). */
export function decodeCocoRle(rle: { size: [number, number]; counts: string }): Uint8Array {
  const counts: number[] = [];
  let p = 0;
  while (p < rle.counts.length) {
    let value = 0;
    let shift = 0;
    let group: number;
    do {
      group = rle.counts.charCodeAt(p++) - 48;
      value += (group & 0x1f) * 2 ** shift;
      shift += 5;
    } while (group & 0x20);
    if (group & 0x10) value -= 2 ** shift; // negative: the last group's top bit is the sign
    if (counts.length > 2) value += counts[counts.length - 2];
    counts.push(value);
  }
  const [h, w] = rle.size;
  const mask = new Uint8Array(h * w);
  let pos = 0;
  counts.forEach((n, i) => {
    for (let k = 0; k < n; k++, pos++) if (i % 2 === 1) mask[(pos % h) * w + Math.floor(pos / h)] = 1;
  });
  assert.equal(pos, h * w, 'counts cover the mask');
  return mask;
}
