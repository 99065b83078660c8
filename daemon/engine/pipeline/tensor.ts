// Preprocessing as pure functions over typed arrays: image bytes → input tensor (layouts,
// colour order, normalisation, flips), and the buffer pool. Postprocessing is outputMaps.ts.
// No ONNX Runtime, no sharp: everything here is unit-tested on tiny arrays. Callers pass
// preallocated output arrays (see BufferPool): fresh buffers per request made these loops
// up to 10x slower (docs/models.md).
import { ModeDef } from '../../models/modeDef';

export type Layout = 'NCHW' | 'NHWC';

/** What preprocessing needs from a mode. */
export type PreprocessSpec = Pick<ModeDef, 'layout' | 'colorOrder' | 'scale' | 'mean' | 'std'>;

/** Input tensor dims for a mode: [1,3,H,W] (NCHW) or [1,H,W,3] (NHWC). */
export function inputDims(mode: Pick<ModeDef, 'inputSize' | 'layout' | 'unbatched'>): number[] {
  const [h, w] = mode.inputSize;
  if (mode.unbatched) return [3, h, w]; // [1,3,H,W] without its batch axis: the same memory
  return mode.layout === 'NCHW' ? [1, 3, h, w] : [1, h, w, 3];
}

/**
 * Per model channel k, a 256-entry table of (v * scale - mean[k]) / std[k] as float32, so the
 * per-pixel work is one lookup and the arithmetic is exactly the formula (no refactoring
 * of the division into a multiply-add that would change the last bit).
 */
export function normalisationTables(spec: Pick<PreprocessSpec, 'scale' | 'mean' | 'std'>): Float32Array[] {
  const tables: Float32Array[] = [];
  for (let k = 0; k < 3; k++) {
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = (v * spec.scale - spec.mean[k]) / spec.std[k];
    tables.push(t);
  }
  return tables;
}

/** Source (RGB) channel feeding model channel k. */
export function channelMap(colorOrder: 'RGB' | 'BGR'): [number, number, number] {
  return colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
}

/**
 * Fills `out` (length 3*width*height) from interleaved 8-bit RGB `rgb` (width x height x 3)
 * in the mode's layout and colour order with its normalisation. `flip` mirrors horizontally
 * (for the hflip test-time pass). `tables` may be passed to skip rebuilding them.
 */
export function fillInputTensor(
  rgb: Uint8Array,
  width: number,
  height: number,
  spec: PreprocessSpec,
  out: Float32Array,
  flip = false,
  tables: Float32Array[] = normalisationTables(spec),
): Float32Array {
  const n = width * height;
  if (rgb.length < n * 3) throw new RangeError(`rgb buffer has ${rgb.length} bytes, need ${n * 3}`);
  if (out.length !== n * 3) throw new RangeError(`tensor buffer has ${out.length} elements, need ${n * 3}`);
  const [s0, s1, s2] = channelMap(spec.colorOrder);
  const t0 = tables[0];
  const t1 = tables[1];
  const t2 = tables[2];
  if (spec.layout === 'NCHW') {
    const p1 = n;
    const p2 = 2 * n;
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const src = (row + (flip ? width - 1 - x : x)) * 3;
        const dst = row + x;
        out[dst] = t0[rgb[src + s0]];
        out[p1 + dst] = t1[rgb[src + s1]];
        out[p2 + dst] = t2[rgb[src + s2]];
      }
    }
  } else {
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const src = (row + (flip ? width - 1 - x : x)) * 3;
        const dst = (row + x) * 3;
        out[dst] = t0[rgb[src + s0]];
        out[dst + 1] = t1[rgb[src + s1]];
        out[dst + 2] = t2[rgb[src + s2]];
      }
    }
  }
  return out;
}

/**
 * Where each source channel (R, G, B) of a width x height image lands in the mode's input
 * tensor, with its table: the target of resample.referenceResizeToTensor (same placement as
 * fillInputTensor).
 */
export function tensorTarget(spec: PreprocessSpec, width: number, height: number, out: Float32Array, tables: Float32Array[]) {
  const map = channelMap(spec.colorOrder); // model channel k reads source channel map[k]
  const n = width * height;
  const base: [number, number, number] = [0, 0, 0];
  const byChannel: Float32Array[] = [];
  for (let k = 0; k < 3; k++) {
    base[map[k]] = spec.layout === 'NCHW' ? k * n : k;
    byChannel[map[k]] = tables[k];
  }
  return { out, base, tables: byChannel as [Float32Array, Float32Array, Float32Array], step: spec.layout === 'NCHW' ? 1 : 3 };
}

/**
 * Mirrors a filled input tensor horizontally in place: the same values fillInputTensor gives
 * with `flip`, for the hflip test-time pass, without the 8-bit image.
 */
export function flipTensor(data: Float32Array, width: number, height: number, layout: 'NCHW' | 'NHWC'): Float32Array {
  if (data.length !== width * height * 3) throw new RangeError(`tensor has ${data.length} elements, need ${width * height * 3}`);
  if (layout === 'NCHW') {
    for (let row = 0; row < 3 * height; row++) data.subarray(row * width, (row + 1) * width).reverse();
    return data;
  }
  for (let y = 0; y < height; y++) {
    for (let l = y * width * 3, r = l + (width - 1) * 3; l < r; l += 3, r -= 3) {
      for (let c = 0; c < 3; c++) {
        const v = data[l + c];
        data[l + c] = data[r + c];
        data[r + c] = v;
      }
    }
  }
  return data;
}

/** Fills `out` with the normalised value of a flat mid-grey (128) image: the warm-up input. */
export function fillGreyTensor(spec: PreprocessSpec, width: number, height: number, out: Float32Array): Float32Array {
  const n = width * height;
  const tables = normalisationTables(spec);
  const vals = [tables[0][128], tables[1][128], tables[2][128]];
  if (spec.layout === 'NCHW') {
    for (let k = 0; k < 3; k++) out.fill(vals[k], k * n, (k + 1) * n);
  } else {
    for (let i = 0; i < n; i++) {
      out[i * 3] = vals[0];
      out[i * 3 + 1] = vals[1];
      out[i * 3 + 2] = vals[2];
    }
  }
  return out;
}

// ---------------------------------------------------------------- buffer reuse

/**
 * Typed arrays kept per (kind, length) and handed out again on the next request of the same
 * shape. Single-threaded and one request at a time, so one buffer per key is enough; callers
 * must not keep a buffer across requests. `maxKeys` bounds memory when shapes vary
 * (least recently used first out).
 */
export class BufferPool {
  private readonly f32 = new Map<string, Float32Array>();
  private readonly u8 = new Map<string, Uint8Array>();
  constructor(private readonly maxKeys = 8) {}

  float32(tag: string, length: number): Float32Array {
    return this.take(this.f32, `${tag}:${length}`, () => new Float32Array(length));
  }
  uint8(tag: string, length: number): Uint8Array {
    return this.take(this.u8, `${tag}:${length}`, () => new Uint8Array(length));
  }
  clear(): void {
    this.f32.clear();
    this.u8.clear();
  }
  get size(): number {
    return this.f32.size + this.u8.size;
  }

  private take<T>(m: Map<string, T>, key: string, make: () => T): T {
    let b = m.get(key);
    if (b !== undefined) {
      m.delete(key);
    } else {
      b = make();
      while (m.size >= this.maxKeys) m.delete(m.keys().next().value as string);
    }
    m.set(key, b);
    return b;
  }
}
