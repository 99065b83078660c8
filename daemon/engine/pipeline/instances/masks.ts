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

/** Runs of image columns that sample the same two grid columns (i0 never decreases along an axis). */
function spans(ax: AxisSamples): Int32Array {
  const out: number[] = [];
  for (let k = 0; k < ax.count; k++) if (k === 0 || ax.i0[k] !== ax.i0[k - 1] || ax.i1[k] !== ax.i1[k - 1]) out.push(k);
  out.push(ax.count);
  return Int32Array.from(out);
}

/**
 * The instance's pixels inside its box, painted into `map` (the image's instance-id map) as
 * `id` (over whatever is there: the caller paints the best instance last), and into `bits`
 * (ax.count x ay.count, row by row, zeroed by the caller) when given. Returns the instance's
 * own pixel count.
 *
 * A value between two grid values is their convex combination, so where both are on the same
 * side of the threshold every value between them is (along x and along y alike). Image rows
 * come in bands that sample the same two grid rows; per band each grid cell (a run of image
 * columns between two grid columns) is classed by its four corners: all in, all out, or mixed.
 * Per image row only mixed cells are interpolated (along y at their two columns, then along x
 * pixel by pixel where they cross the threshold), and runs of pixels are filled at once.
 */
export function rasterise(grid: ScoreGrid, ax: AxisSamples, ay: AxisSamples, threshold: number, bits: Uint8Array | undefined, map: Uint8Array, mapWidth: number, id: number): number {
  const W = ax.count;
  if (W === 0 || ay.count === 0) return 0;
  const { data, base, stride } = grid;
  const runs = spans(ax);
  const cells = runs.length - 1;
  const kind = new Uint8Array(cells); // per cell of the band: OUT, IN or MIXED
  let area = 0;
  let j = 0;
  while (j < ay.count) {
    const o0 = base + ay.i0[j] * stride;
    const o1 = base + ay.i1[j] * stride;
    let bandEnd = j + 1;
    while (bandEnd < ay.count && ay.i0[bandEnd] === ay.i0[j] && ay.i1[bandEnd] === ay.i1[j]) bandEnd++;
    classifyCells(data, o0, o1, ax, runs, threshold, kind);
    for (; j < bandEnd; j++) {
      const wv = ay.w[j];
      const m = (ay.lo + j) * mapWidth + ax.lo;
      const b = j * W;
      let start = -1; // the first pixel of the run being collected
      for (let r = 0; r < cells; r++) {
        const k0 = runs[r];
        const kd = kind[r];
        if (kd === IN) {
          if (start < 0) start = k0;
          continue;
        }
        if (kd === OUT) {
          if (start >= 0) area += fillRun(map, bits, m, b, start, k0, id);
          start = -1;
          continue;
        }
        const ua = ax.i0[k0];
        const ub = ax.i1[k0];
        const a0 = data[o0 + ua];
        const ga = a0 + wv * (data[o1 + ua] - a0);
        const b0 = data[o0 + ub];
        const gb = b0 + wv * (data[o1 + ub] - b0);
        if (ga >= threshold && gb >= threshold) {
          if (start < 0) start = k0;
          continue;
        }
        if (ga < threshold && gb < threshold) {
          if (start >= 0) area += fillRun(map, bits, m, b, start, k0, id);
          start = -1;
          continue;
        }
        const d = gb - ga;
        const k1 = runs[r + 1];
        for (let k = k0; k < k1; k++) {
          if (ga + ax.w[k] * d >= threshold) {
            if (start < 0) start = k;
          } else if (start >= 0) {
            area += fillRun(map, bits, m, b, start, k, id);
            start = -1;
          }
        }
      }
      if (start >= 0) area += fillRun(map, bits, m, b, start, W, id);
    }
  }
  return area;
}

const OUT = 0;
const IN = 1;
const MIXED = 2;

/** Each cell of a band (grid rows at o0 and o1) by its four corners. */
function classifyCells(data: Float32Array | Float64Array, o0: number, o1: number, ax: AxisSamples, runs: Int32Array, t: number, kind: Uint8Array): void {
  for (let r = 0; r < kind.length; r++) {
    const k = runs[r];
    const ua = ax.i0[k];
    const ub = ax.i1[k];
    const a = data[o0 + ua];
    const b = data[o0 + ub];
    const c = data[o1 + ua];
    const d = data[o1 + ub];
    if (a >= t && b >= t && c >= t && d >= t) kind[r] = IN;
    else if (a < t && b < t && c < t && d < t) kind[r] = OUT;
    else kind[r] = MIXED;
  }
}

function fillRun(map: Uint8Array, bits: Uint8Array | undefined, m: number, b: number, k0: number, k1: number, id: number): number {
  map.fill(id, m + k0, m + k1);
  if (bits) bits.fill(1, b + k0, b + k1);
  return k1 - k0;
}
