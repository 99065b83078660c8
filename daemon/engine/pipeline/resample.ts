// The reference ISNet pipeline's resampling and quantisation (the pipeline of
// @imgly/background-removal-node 1.4.5 that docs/models.md describes), reimplemented from its
// documented arithmetic so that `resample: 'reference'` modes reproduce its masks exactly:
//
//   - point-sampled bilinear, source coordinate srcX = x * (srcW / dstW) (top-left aligned,
//     no half-pixel offset), neighbours floor(srcX) and ceil(srcX) clamped to the image,
//     value = (1-dx)(1-dy)p1 + dx(1-dy)p2 + (1-dx)dy p3 + dx dy p4 in double precision,
//     rounded with Math.round (the terms are summed in that order, so the result is bit-equal);
//   - output probability to alpha by Uint8 truncation of v * 255 (no rounding).
//
// Unlike libvips' 'linear' kernel this does not widen the filter when reducing, so it aliases
// on large reductions; that is the reference's behaviour and the point here is to match it.
// Pure functions over caller-provided buffers (no allocation per pixel, small per-call tables).

/** Per destination coordinate: the two source indices and the fraction towards the second. */
interface Axis {
  i0: Int32Array;
  i1: Int32Array;
  f: Float64Array;
}

const axisCache = new Map<string, Axis>();

function axis(src: number, dst: number): Axis {
  const key = `${src}>${dst}`;
  let a = axisCache.get(key);
  if (a) return a;
  const scale = src / dst;
  a = { i0: new Int32Array(dst), i1: new Int32Array(dst), f: new Float64Array(dst) };
  for (let d = 0; d < dst; d++) {
    const s = d * scale;
    const lo = Math.max(Math.floor(s), 0);
    a.i0[d] = lo;
    a.i1[d] = Math.min(Math.ceil(s), src - 1);
    a.f[d] = s - lo;
  }
  // A few shapes recur (the model sizes, the last photo sizes): keep a handful.
  if (axisCache.size >= 16) axisCache.delete(axisCache.keys().next().value as string);
  axisCache.set(key, a);
  return a;
}

/**
 * Reference bilinear resize of interleaved 8-bit data (`channels` per pixel) from sw x sh to
 * dw x dh into `out` (length dw*dh*channels), returned. Same size → a copy.
 */
export function referenceResize(src: Uint8Array, sw: number, sh: number, channels: number, dw: number, dh: number, out: Uint8Array): Uint8Array {
  if (!(sw > 0 && sh > 0 && dw > 0 && dh > 0 && channels > 0)) throw new RangeError(`referenceResize: bad sizes ${sw}x${sh} → ${dw}x${dh}x${channels}`);
  if (src.length < sw * sh * channels) throw new RangeError(`referenceResize: source has ${src.length} bytes, need ${sw * sh * channels}`);
  if (out.length !== dw * dh * channels) throw new RangeError(`referenceResize: output has ${out.length} bytes, need ${dw * dh * channels}`);
  if (sw === dw && sh === dh) {
    out.set(src.subarray(0, out.length));
    return out;
  }
  // Separate loops per channel count keep each one monomorphic (and fast) in V8.
  if (channels === 1) resize1(src, sw, axis(sw, dw), axis(sh, dh), dw, dh, out);
  else if (channels === 3) resize3(src, sw, axis(sw, dw), axis(sh, dh), dw, dh, out);
  else resizeN(src, sw, channels, axis(sw, dw), axis(sh, dh), dw, dh, out);
  return out;
}

// One loop per channel count (1, 3, any): the hot 1- and 3-channel cases keep their innermost
// loop free of a loop over channels. The three repeat the same arithmetic on purpose and must
// stay in step (the resample unit tests compare them with an independent implementation).
function resize1(src: Uint8Array, sw: number, ax: Axis, ay: Axis, dw: number, dh: number, out: Uint8Array): void {
  const xs0 = ax.i0;
  const xs1 = ax.i1;
  const fx = ax.f;
  let o = 0;
  for (let y = 0; y < dh; y++) {
    const dy = ay.f[y];
    const ndy = 1 - dy;
    const r1 = ay.i0[y] * sw;
    const r2 = ay.i1[y] * sw;
    for (let x = 0; x < dw; x++) {
      const a = xs0[x];
      const b = xs1[x];
      const p1 = src[r1 + a];
      // Four equal neighbours give that value: the weights sum to 1 within a few ulp, far
      // from a rounding boundary. Masks are mostly flat (0 or 255), so most pixels stop here.
      if (p1 === src[r1 + b] && p1 === src[r2 + a] && p1 === src[r2 + b]) {
        out[o++] = p1;
        continue;
      }
      const dx = fx[x];
      const ndx = 1 - dx;
      out[o++] = Math.round(ndx * ndy * p1 + dx * ndy * src[r1 + b] + ndx * dy * src[r2 + a] + dx * dy * src[r2 + b]);
    }
  }
}

// resize3 is resizeN unrolled for 3 channels, the hot case (RGB photos): kept as a twin on
// purpose, since the generic channel loop costs measurably more per pixel.
function resize3(src: Uint8Array, sw: number, ax: Axis, ay: Axis, dw: number, dh: number, out: Uint8Array): void {
  const xs0 = ax.i0;
  const xs1 = ax.i1;
  const fx = ax.f;
  const rowStride = sw * 3;
  let o = 0;
  for (let y = 0; y < dh; y++) {
    const dy = ay.f[y];
    const ndy = 1 - dy;
    const r1 = ay.i0[y] * rowStride;
    const r2 = ay.i1[y] * rowStride;
    for (let x = 0; x < dw; x++) {
      const dx = fx[x];
      const ndx = 1 - dx;
      const w1 = ndx * ndy;
      const w2 = dx * ndy;
      const w3 = ndx * dy;
      const w4 = dx * dy;
      const a = r1 + xs0[x] * 3;
      const b = r1 + xs1[x] * 3;
      const c = r2 + xs0[x] * 3;
      const d = r2 + xs1[x] * 3;
      out[o] = Math.round(w1 * src[a] + w2 * src[b] + w3 * src[c] + w4 * src[d]);
      out[o + 1] = Math.round(w1 * src[a + 1] + w2 * src[b + 1] + w3 * src[c + 1] + w4 * src[d + 1]);
      out[o + 2] = Math.round(w1 * src[a + 2] + w2 * src[b + 2] + w3 * src[c + 2] + w4 * src[d + 2]);
      o += 3;
    }
  }
}

function resizeN(src: Uint8Array, sw: number, C: number, ax: Axis, ay: Axis, dw: number, dh: number, out: Uint8Array): void {
  const xs0 = ax.i0;
  const xs1 = ax.i1;
  const fx = ax.f;
  const rowStride = sw * C;
  let o = 0;
  for (let y = 0; y < dh; y++) {
    const dy = ay.f[y];
    const ndy = 1 - dy;
    const r1 = ay.i0[y] * rowStride;
    const r2 = ay.i1[y] * rowStride;
    for (let x = 0; x < dw; x++) {
      const dx = fx[x];
      const ndx = 1 - dx;
      const w1 = ndx * ndy;
      const w2 = dx * ndy;
      const w3 = ndx * dy;
      const w4 = dx * dy;
      const a = r1 + xs0[x] * C;
      const b = r1 + xs1[x] * C;
      const c0 = r2 + xs0[x] * C;
      const d = r2 + xs1[x] * C;
      for (let c = 0; c < C; c++) out[o++] = Math.round(w1 * src[a + c] + w2 * src[b + c] + w3 * src[c0 + c] + w4 * src[d + c]);
    }
  }
}

/** Where referenceResizeToTensor writes: per source channel (R, G, B), its first index in the
 *  tensor and its normalisation table; `step` between pixels (1 planar NCHW, 3 interleaved NHWC). */
export interface TensorTarget {
  out: Float32Array;
  base: [number, number, number];
  tables: [Float32Array, Float32Array, Float32Array];
  step: number;
}

/**
 * referenceResize of interleaved RGB fused with the normalisation (issue #14): each pixel's
 * three rounded 8-bit values, computed exactly as resize3 does, go through the mode's tables
 * straight into the input tensor, without an intermediate 8-bit image or a second pass.
 */
export function referenceResizeToTensor(src: Uint8Array, sw: number, sh: number, dw: number, dh: number, t: TensorTarget): Float32Array {
  if (!(sw > 0 && sh > 0 && dw > 0 && dh > 0)) throw new RangeError(`referenceResizeToTensor: bad sizes ${sw}x${sh} → ${dw}x${dh}`);
  if (src.length < sw * sh * 3) throw new RangeError(`referenceResizeToTensor: source has ${src.length} bytes, need ${sw * sh * 3}`);
  if (t.out.length !== dw * dh * 3) throw new RangeError(`referenceResizeToTensor: tensor has ${t.out.length} elements, need ${dw * dh * 3}`);
  const ax = axis(sw, dw);
  const ay = axis(sh, dh);
  const { out, step } = t;
  const [tr, tg, tb] = t.tables;
  const [br, bg, bb] = t.base;
  const fx = ax.f;
  const x0 = ax.i0;
  const x1 = ax.i1;
  const rowStride = sw * 3;
  for (let y = 0; y < dh; y++) {
    const dy = ay.f[y];
    const ndy = 1 - dy;
    const top = ay.i0[y] * rowStride;
    const bottom = ay.i1[y] * rowStride;
    let o = y * dw * step;
    for (let x = 0; x < dw; x++, o += step) {
      const dx = fx[x];
      const ndx = 1 - dx;
      const w1 = ndx * ndy;
      const w2 = dx * ndy;
      const w3 = ndx * dy;
      const w4 = dx * dy;
      const p1 = top + x0[x] * 3;
      const p2 = top + x1[x] * 3;
      const p3 = bottom + x0[x] * 3;
      const p4 = bottom + x1[x] * 3;
      out[br + o] = tr[Math.round(w1 * src[p1] + w2 * src[p2] + w3 * src[p3] + w4 * src[p4])];
      out[bg + o] = tg[Math.round(w1 * src[p1 + 1] + w2 * src[p2 + 1] + w3 * src[p3 + 1] + w4 * src[p4 + 1])];
      out[bb + o] = tb[Math.round(w1 * src[p1 + 2] + w2 * src[p2 + 2] + w3 * src[p3 + 2] + w4 * src[p4 + 2])];
    }
  }
  return out;
}

/**
 * The reference's probability → alpha: Uint8 conversion of v * 255, i.e. truncation toward
 * zero (NaN and values in (-1/255, 0] → 0). Values are clamped to 0..255 first so that a
 * model giving slightly more than 1 reads as 255 rather than wrapping around.
 */
export function probabilityToAlphaTruncate(p: Float32Array, out: Uint8Array): Uint8Array {
  if (out.length !== p.length) throw new RangeError(`alpha buffer has ${out.length} bytes, need ${p.length}`);
  for (let i = 0; i < p.length; i++) {
    const v = p[i] * 255;
    out[i] = v >= 255 ? 255 : v > 0 ? v : 0; // Uint8Array assignment truncates
  }
  return out;
}
