// COCO's compressed RLE, as pycocotools' `mask.encode` writes it (cocoapi common/maskApi.c):
// run lengths over the mask in column-major order (down each column, then the next column),
// starting with a run of zeros (possibly empty); then each count as a string of 6-bit digits,
// low 5 bits of value per char plus a continuation bit, offset by 48 ('0'), sign-extended like
// LEB128; from the fourth count on (index > 2), the difference to the count two before is
// written instead of the count.

export interface CocoRle {
  /** [height, width], as pycocotools writes it. */
  size: [number, number];
  counts: string;
}

/**
 * Run lengths of `fg` (non-zero = 1) in column-major order, zeros first. `fg` holds the pixels
 * row by row, or (`columnMajor`, as a decoded RLE does) column by column.
 */
export function rleCounts(fg: Uint8Array, width: number, height: number, layout: 'rowMajor' | 'columnMajor' = 'rowMajor'): number[] {
  if (fg.length !== width * height) throw new Error(`rleCounts: ${fg.length} pixels for ${width}x${height}`);
  const columnMajor = layout === 'columnMajor';
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = fg[columnMajor ? x * height + y : y * width + x] !== 0 ? 1 : 0;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

/** rleToString of maskApi.c. */
export function countsToString(counts: readonly number[]): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5; // arithmetic shift, as on C's signed long
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

export function encodeRle(fg: Uint8Array, width: number, height: number): CocoRle {
  return { size: [height, width], counts: countsToString(rleCounts(fg, width, height)) };
}

/**
 * Run lengths (column-major over a width x height image, zeros first) of a mask that is zero
 * outside the box at (left, top) of bw x bh, whose pixels `bits` holds row by row.
 */
export function boxRleCounts(bits: Uint8Array, bw: number, bh: number, left: number, top: number, width: number, height: number): number[] {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  const emit = (v: number, n: number) => {
    if (n === 0) return;
    if (v !== current) {
      counts.push(run);
      run = 0;
      current = v;
    }
    run += n;
  };
  emit(0, left * height); // the columns left of the box
  for (let x = 0; x < bw; x++) {
    emit(0, top);
    for (let y = 0; y < bh; y++) emit(bits[y * bw + x] !== 0 ? 1 : 0, 1);
    emit(0, height - top - bh);
  }
  emit(0, (width - left - bw) * height);
  counts.push(run);
  return counts;
}
