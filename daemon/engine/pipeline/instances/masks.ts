// One instance's mask at the image's size, straight from a grid of scores (yolo-seg: mask
// logits at the prototypes' resolution; boxes-masks: probabilities at the input's), cropped
// to the instance's box:
//   - an image pixel (x, y) is inside the box when its centre (x + 0.5, y + 0.5) is in
//     [x1, x2) x [y1, y2) (the box in image pixels);
//   - its centre goes through the letterbox to input pixels, then to the grid as PyTorch's
//     bilinear resize with align_corners=False samples (src = (dst + 0.5) * scale - 0.5,
//     clamped at the edges);
//   - the bilinear value there is compared with the threshold (yolo-seg: logit >= 0, that is
//     sigmoid >= 0.5; boxes-masks: probability >= 0.5).
// Interpolating along x first, once per grid row, leaves two operations per pixel.
import { Letterbox } from './letterbox';

/** Where the pixels of one image axis sample the grid. */
export interface AxisSamples {
  /** First image pixel and count. */
  lo: number;
  count: number;
  /** Grid cells on either side, and the weight of the second. */
  i0: Int32Array;
  i1: Int32Array;
  w: Float64Array;
  /** Smallest and largest grid cell used. */
  first: number;
  last: number;
}

/** Image pixels whose centre lies in [b1, b2), within [0, size). */
export function pixelRange(b1: number, b2: number, size: number): [number, number] {
  const lo = Math.max(0, Math.ceil(b1 - 0.5));
  const hi = Math.min(size, Math.ceil(b2 - 0.5));
  return [lo, Math.max(lo, hi)];
}

/** Image pixels lo..hi-1 of an axis → grid cells (`gain`, `pad`: the letterbox on that axis). */
export function axisSamples(lo: number, hi: number, gain: number, pad: number, inputSize: number, gridSize: number): AxisSamples {
  const count = hi - lo;
  const i0 = new Int32Array(count);
  const i1 = new Int32Array(count);
  const w = new Float64Array(count);
  const scale = gridSize / inputSize;
  let first = gridSize;
  let last = -1;
  for (let k = 0; k < count; k++) {
    const xi = (lo + k + 0.5) * gain + pad;
    let src = xi * scale - 0.5;
    if (src < 0) src = 0;
    let a = Math.floor(src);
    if (a > gridSize - 1) a = gridSize - 1;
    const b = a + 1 < gridSize ? a + 1 : gridSize - 1;
    i0[k] = a;
    i1[k] = b;
    w[k] = b === a ? 0 : src - a;
    if (a < first) first = a;
    if (b > last) last = b;
  }
  return { lo, count, i0, i1, w, first, last };
}

/** A grid of scores: value at cell (u, v) = data[base + v * stride + u]. */
export interface ScoreGrid {
  data: Float32Array | Float64Array;
  base: number;
  stride: number;
}

/** The image-pixel samples of a box, on a grid of gridWidth x gridHeight over the input. */
export function boxSamples(lb: Letterbox, box: [number, number, number, number], gridWidth: number, gridHeight: number): { ax: AxisSamples; ay: AxisSamples } {
  const [xlo, xhi] = pixelRange(box[0], box[2], lb.width);
  const [ylo, yhi] = pixelRange(box[1], box[3], lb.height);
  return {
    ax: axisSamples(xlo, xhi, lb.gain, lb.padLeft, lb.inputWidth, gridWidth),
    ay: axisSamples(ylo, yhi, lb.gain, lb.padTop, lb.inputHeight, gridHeight),
  };
}

/**
 * The instance's pixels inside its box: `bits` (ax.count x ay.count, row by row) set to 1
 * where the score >= threshold, 0 elsewhere; painted into `map` (the image's instance-id map)
 * as `id` where no earlier (better) instance is. Returns the instance's own pixel count and
 * how many of them it won in the map.
 */
export function rasterise(grid: ScoreGrid, ax: AxisSamples, ay: AxisSamples, threshold: number, bits: Uint8Array, map: Uint8Array, mapWidth: number, id: number): { area: number; visible: number } {
  const W = ax.count;
  if (W === 0 || ay.count === 0) return { area: 0, visible: 0 };
  // Rows of the grid interpolated along x at each image column, once per grid row used.
  const rows = ay.last - ay.first + 1;
  const h = new Float64Array(rows * W);
  const { data, base, stride } = grid;
  for (let r = 0; r < rows; r++) {
    const off = base + (ay.first + r) * stride;
    const o = r * W;
    for (let k = 0; k < W; k++) {
      const a = data[off + ax.i0[k]];
      h[o + k] = a + ax.w[k] * (data[off + ax.i1[k]] - a);
    }
  }
  let area = 0;
  let visible = 0;
  for (let j = 0; j < ay.count; j++) {
    const r0 = (ay.i0[j] - ay.first) * W;
    const r1 = (ay.i1[j] - ay.first) * W;
    const wv = ay.w[j];
    const b = j * W;
    const m = (ay.lo + j) * mapWidth + ax.lo;
    for (let k = 0; k < W; k++) {
      const top = h[r0 + k];
      if (top + wv * (h[r1 + k] - top) >= threshold) {
        bits[b + k] = 1;
        area++;
        if (map[m + k] === 0) {
          map[m + k] = id;
          visible++;
        }
      } else bits[b + k] = 0;
    }
  }
  return { area, visible };
}
