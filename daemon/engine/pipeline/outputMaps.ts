// Postprocessing as pure functions over typed arrays: output tensor → probability / class
// maps → 8-bit masks, confidences and class fractions. No ONNX Runtime, no sharp: unit-tested
// on tiny arrays; callers pass preallocated output arrays (tensor.ts BufferPool).
import { ClassInfo, Rgb } from '../../api/protocol';
import { OutputKind } from '../../models/modeDef';
import { Layout } from './tensor';

// ---------------------------------------------------------------- output geometry

export interface OutputGeometry {
  channels: number;
  height: number;
  width: number;
  /** Where channels sit: NCHW (planar) or NHWC (interleaved). Irrelevant when channels = 1. */
  layout: Layout;
}

/**
 * Reads channels/height/width from an output's dims. Accepted: [N,C,H,W], [N,H,W,C],
 * [N,H,W] / [C,H,W] (one plane per leading entry is taken as channels when N=1 is absent),
 * [H,W]. For rank 4 the channel axis is the one equal to `expectChannels` when only one
 * is; otherwise the mode's `layout`.
 */
export function outputGeometry(dims: readonly number[], expectChannels: number | undefined, layout: Layout): OutputGeometry {
  const d = dims.map(Number);
  if (d.length === 4) {
    if (d[0] !== 1) throw new Error(`output batch size ${d[0]} (expected 1)`);
    let l: Layout = layout;
    if (expectChannels !== undefined) {
      const c1 = d[1] === expectChannels;
      const c3 = d[3] === expectChannels;
      if (c1 && !c3) l = 'NCHW';
      else if (c3 && !c1) l = 'NHWC';
    }
    return l === 'NCHW' ? { channels: d[1], height: d[2], width: d[3], layout: 'NCHW' } : { channels: d[3], height: d[1], width: d[2], layout: 'NHWC' };
  }
  if (d.length === 3) return { channels: d[0], height: d[1], width: d[2], layout: 'NCHW' };
  if (d.length === 2) return { channels: 1, height: d[0], width: d[1], layout: 'NCHW' };
  throw new Error(`unsupported output shape [${d.join(',')}]`);
}

// ---------------------------------------------------------------- binary task

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Foreground probability (0..1) per pixel at the output's resolution, into `out`
 * (length height*width). 'sigmoid': channel 0 as is (or the last of 2 channels);
 * 'logit': sigmoid(channel 0); 'logits' with 2 channels: softmax of channel 1 =
 * sigmoid(l1 - l0); 'probabilities' with 2 channels: p1 / (p0 + p1).
 */
export function probabilityMap(data: Float32Array, g: OutputGeometry, kind: OutputKind, out: Float32Array): Float32Array {
  const n = g.height * g.width;
  if (out.length !== n) throw new RangeError(`probability buffer has ${out.length} elements, need ${n}`);
  if (data.length < n * g.channels) throw new RangeError(`output has ${data.length} elements, need ${n * g.channels}`);
  const C = g.channels;
  // index of channel c at pixel i
  const at = g.layout === 'NCHW' || C === 1 ? (c: number, i: number) => c * n + i : (c: number, i: number) => i * C + c;
  if (kind === 'sigmoid' || kind === 'logit') {
    const c = C === 2 ? 1 : 0;
    if (C > 2) throw new Error(`a binary mode with output '${kind}' needs 1 output channel, the model gives ${C}`);
    if (kind === 'sigmoid') {
      if (C === 1) out.set(data.subarray(0, n));
      else for (let i = 0; i < n; i++) out[i] = data[at(c, i)];
    } else {
      for (let i = 0; i < n; i++) out[i] = sigmoid(data[at(c, i)]);
    }
    return out;
  }
  if (C !== 2) throw new Error(`a binary mode with output '${kind}' needs 2 output channels, the model gives ${C}`);
  if (kind === 'logits') {
    for (let i = 0; i < n; i++) out[i] = sigmoid(data[at(1, i)] - data[at(0, i)]);
  } else {
    for (let i = 0; i < n; i++) {
      const p0 = data[at(0, i)];
      const p1 = data[at(1, i)];
      const s = p0 + p1;
      out[i] = s > 0 ? p1 / s : 0;
    }
  }
  return out;
}

/**
 * Test-time augmentation: `a` is the plain pass, `b` the pass on the horizontally flipped
 * input (so still flipped); writes (a + flip(b)) / 2 into `out` (may be `a`). Works on
 * C-channel data in either layout (height x width x channels elements).
 */
export function hflipAverage(a: Float32Array, b: Float32Array, g: OutputGeometry, out: Float32Array): Float32Array {
  const { width: W, height: H, channels: C } = g;
  const n = W * H;
  if (a.length < n * C || b.length < n * C || out.length < n * C) throw new RangeError('hflipAverage: buffers too small');
  if (g.layout === 'NCHW' || C === 1) {
    for (let c = 0; c < C; c++) {
      const base = c * n;
      for (let y = 0; y < H; y++) {
        const row = base + y * W;
        const last = row + W - 1;
        for (let x = 0; x < W; x++) out[row + x] = (a[row + x] + b[last - x]) * 0.5;
      }
    }
  } else {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = (y * W + x) * C;
        const j = (y * W + (W - 1 - x)) * C;
        for (let c = 0; c < C; c++) out[i + c] = (a[i + c] + b[j + c]) * 0.5;
      }
    }
  }
  return out;
}

/** alpha = round(clamp(p, 0, 1) * 255) as 8-bit. */
export function probabilityToAlpha(p: Float32Array, out: Uint8Array): Uint8Array {
  if (out.length !== p.length) throw new RangeError(`alpha buffer has ${out.length} bytes, need ${p.length}`);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    // NaN and negatives → 0; Uint8Array assignment truncates, so add 0.5 to round.
    out[i] = v > 1 ? 255 : v > 0 ? v * 255 + 0.5 : 0;
  }
  return out;
}

// ---------------------------------------------------------------- semantic task

/** Class index (0..C-1, ties to the lowest) per pixel into `out` (height*width). C ≤ 256. */
export function argmax(data: Float32Array, g: OutputGeometry, out: Uint8Array, scratch?: Float32Array): Uint8Array {
  const { channels: C } = g;
  const n = g.height * g.width;
  if (C > 256) throw new Error(`${C} classes do not fit an 8-bit class map (at most 256)`);
  if (out.length !== n) throw new RangeError(`class map has ${out.length} bytes, need ${n}`);
  if (data.length < n * C) throw new RangeError(`output has ${data.length} elements, need ${n * C}`);
  if (g.layout === 'NCHW' || C === 1) {
    // Plane by plane keeps memory access sequential: best value so far in a scratch array.
    const best = scratch && scratch.length >= n ? scratch : new Float32Array(n);
    best.set(data.subarray(0, n));
    out.fill(0);
    for (let c = 1; c < C; c++) {
      const base = c * n;
      for (let i = 0; i < n; i++) {
        const v = data[base + i];
        if (v > best[i]) {
          best[i] = v;
          out[i] = c;
        }
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const base = i * C;
      let bi = 0;
      let bv = data[base];
      for (let c = 1; c < C; c++) {
        const v = data[base + c];
        if (v > bv) {
          bv = v;
          bi = c;
        }
      }
      out[i] = bi;
    }
  }
  return out;
}

/**
 * The top class's probability per pixel as 8-bit (round(p * 255)) into `out` (height*width):
 * for 'logits' the softmax of the top score, 1 / sum(exp(l_c - l_max)); for 'probabilities'
 * p_max / sum(p) (an already normalised output stays as it is). `scratch` (2 x n floats)
 * avoids allocating per request.
 */
export function topConfidence(data: Float32Array, g: OutputGeometry, kind: OutputKind, out: Uint8Array, scratch?: Float32Array): Uint8Array {
  const C = g.channels;
  const n = g.height * g.width;
  if (out.length !== n) throw new RangeError(`confidence map has ${out.length} bytes, need ${n}`);
  if (data.length < n * C) throw new RangeError(`output has ${data.length} elements, need ${n * C}`);
  const buf = scratch && scratch.length >= 2 * n ? scratch : new Float32Array(2 * n);
  const best = buf.subarray(0, n);
  const sum = buf.subarray(n, 2 * n);
  const planar = g.layout === 'NCHW' || C === 1;
  const at = planar ? (c: number, i: number) => c * n + i : (c: number, i: number) => i * C + c;
  best.fill(-Infinity);
  for (let c = 0; c < C; c++) for (let i = 0; i < n; i++) if (data[at(c, i)] > best[i]) best[i] = data[at(c, i)];
  sum.fill(0);
  if (kind === 'probabilities') {
    for (let c = 0; c < C; c++) for (let i = 0; i < n; i++) sum[i] += data[at(c, i)];
    for (let i = 0; i < n; i++) out[i] = confidenceByte(sum[i] > 0 ? best[i] / sum[i] : 0);
  } else {
    for (let c = 0; c < C; c++) for (let i = 0; i < n; i++) sum[i] += Math.exp(data[at(c, i)] - best[i]);
    for (let i = 0; i < n; i++) out[i] = confidenceByte(1 / sum[i]);
  }
  return out;
}

function confidenceByte(p: number): number {
  // NaN and negatives → 0; round like probabilityToAlpha.
  return p > 1 ? 255 : p > 0 ? Math.round(p * 255) : 0;
}

// ---------------------------------------------------------------- classes and fractions

const FALLBACK_COLORS: Rgb[] = [
  [0, 0, 0],
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 212],
  [0, 128, 128],
];

function labelOf(labels: readonly string[], i: number): string {
  return labels[i] ?? `class ${i}`;
}
function colorOf(colors: readonly Rgb[], i: number): Rgb {
  const c = colors[i] ?? FALLBACK_COLORS[i % FALLBACK_COLORS.length];
  return [c[0], c[1], c[2]];
}

/** Binary task: foreground fraction = sum(alpha) / 255 / N; background = 1 - that. */
export function binaryClasses(alpha: Uint8Array, labels: readonly string[], colors: readonly Rgb[]): ClassInfo[] {
  let sum = 0;
  for (let i = 0; i < alpha.length; i++) sum += alpha[i];
  const fg = alpha.length > 0 ? sum / 255 / alpha.length : 0;
  return [
    { id: 0, label: labelOf(labels, 0), color: colorOf(colors, 0), fraction: 1 - fg },
    { id: 1, label: labelOf(labels, 1), color: colorOf(colors, 1), fraction: fg },
  ];
}

/** Semantic task: each class present in the index map with its fraction of pixels, by id. */
export function semanticClasses(index: Uint8Array, labels: readonly string[], colors: readonly Rgb[]): ClassInfo[] {
  const counts = new Float64Array(256);
  for (let i = 0; i < index.length; i++) counts[index[i]]++;
  const out: ClassInfo[] = [];
  for (let c = 0; c < 256; c++) {
    if (counts[c] > 0) out.push({ id: c, label: labelOf(labels, c), color: colorOf(colors, c), fraction: counts[c] / index.length });
  }
  return out;
}
