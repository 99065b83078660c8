// The reference resampling (daemon/engine/pipeline/resample.ts) against the reference pipeline's arithmetic
// written out per pixel here, on hand-checked tiny cases and random data; plus its cost at
// the sizes the ISNet modes use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { probabilityToAlphaTruncate, referenceResize, referenceResizeToTensor } from '../../daemon/engine/pipeline/resample';
import { fillInputTensor, flipTensor, normalisationTables, tensorTarget } from '../../daemon/engine/pipeline/tensor';

/** The reference package's formula, verbatim in structure: one pixel at a time. */
function naive(src: Uint8Array, sw: number, sh: number, C: number, dw: number, dh: number): Uint8Array {
  const out = new Uint8Array(dw * dh * C);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      const srcX = x * (sw / dw);
      const srcY = y * (sh / dh);
      const x1 = Math.max(Math.floor(srcX), 0);
      const x2 = Math.min(Math.ceil(srcX), sw - 1);
      const y1 = Math.max(Math.floor(srcY), 0);
      const y2 = Math.min(Math.ceil(srcY), sh - 1);
      const dx = srcX - x1;
      const dy = srcY - y1;
      for (let c = 0; c < C; c++) {
        const p1 = src[(y1 * sw + x1) * C + c];
        const p2 = src[(y1 * sw + x2) * C + c];
        const p3 = src[(y2 * sw + x1) * C + c];
        const p4 = src[(y2 * sw + x2) * C + c];
        out[(y * dw + x) * C + c] = Math.round((1 - dx) * (1 - dy) * p1 + dx * (1 - dy) * p2 + (1 - dx) * dy * p3 + dx * dy * p4);
      }
    }
  }
  return out;
}

function random(n: number, seed: number): Uint8Array {
  const a = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s >>> 24;
  }
  return a;
}

describe('referenceResize', () => {
  it('is top-left aligned with no half-pixel offset (2 → 4 doubles with the last pixel repeated)', () => {
    const src = Uint8Array.from([0, 100]);
    // srcX = 0, 0.5, 1, 1.5 → 0, 50, 100, 100 (ceil clamped to the last pixel)
    assert.deepEqual([...referenceResize(src, 2, 1, 1, 4, 1, new Uint8Array(4))], [0, 50, 100, 100]);
  });
  it('point-samples when reducing (4 → 2 takes pixels 0 and 2, no averaging)', () => {
    const src = Uint8Array.from([10, 200, 30, 250]);
    assert.deepEqual([...referenceResize(src, 4, 1, 1, 2, 1, new Uint8Array(2))], [10, 30]);
  });
  it('same size is a copy', () => {
    const src = random(5 * 3 * 3, 1);
    assert.deepEqual(referenceResize(src, 5, 3, 3, 5, 3, new Uint8Array(45)), src);
  });
  it('matches the per-pixel reference formula exactly (1, 2, 3 and 4 channels, up and down, odd sizes)', () => {
    const cases: [number, number, number, number, number][] = [
      [37, 23, 3, 16, 16],
      [37, 23, 1, 64, 48],
      [300, 200, 3, 128, 128],
      [128, 128, 1, 301, 199],
      [7, 5, 3, 7, 11],
      [1, 1, 1, 3, 2],
      [20, 13, 4, 9, 17],
      [20, 13, 2, 41, 5],
    ];
    for (const [sw, sh, C, dw, dh] of cases) {
      const src = random(sw * sh * C, sw * 31 + dh);
      const got = referenceResize(src, sw, sh, C, dw, dh, new Uint8Array(dw * dh * C));
      assert.deepEqual(got, naive(src, sw, sh, C, dw, dh), `${sw}x${sh}x${C} → ${dw}x${dh}`);
    }
  });
  it('rejects wrong buffer sizes', () => {
    assert.throws(() => referenceResize(new Uint8Array(3), 2, 2, 1, 2, 2, new Uint8Array(4)), RangeError);
    assert.throws(() => referenceResize(new Uint8Array(4), 2, 2, 1, 3, 3, new Uint8Array(4)), RangeError);
  });
  it('reports its cost at ISNet sizes (3 MP photo → 1024², 1024² mask → 3 MP)', (t) => {
    const sw = 2048;
    const sh = 1536;
    const img = random(sw * sh * 3, 7);
    const small = new Uint8Array(1024 * 1024 * 3);
    const mask = random(1024 * 1024, 9);
    const full = new Uint8Array(sw * sh);
    const median = (f: () => void) => {
      const ms: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        f();
        ms.push(performance.now() - t0);
      }
      return ms.sort((a, b) => a - b)[2];
    };
    const pre = median(() => referenceResize(img, sw, sh, 3, 1024, 1024, small));
    const post = median(() => referenceResize(mask, 1024, 1024, 1, sw, sh, full));
    t.diagnostic(`pre ${sw}x${sh}x3 → 1024²: ${pre.toFixed(1)} ms; post 1024² → ${sw}x${sh}: ${post.toFixed(1)} ms (median of 5)`);
    // Timing only (no bound: this machine's other work makes wall-clock assertions flaky).
    assert.equal(full.length, sw * sh);
  });
});

describe('probabilityToAlphaTruncate', () => {
  it('truncates v * 255 like a Uint8 store, clamping to 0..255', () => {
    const p = Float32Array.from([0, 0.5, 0.999, 1, 1.5, -0.2, NaN, 0.0039]);
    assert.deepEqual([...probabilityToAlphaTruncate(p, new Uint8Array(p.length))], [0, 127, 254, 255, 255, 0, 0, 0]);
  });
});

describe('referenceResizeToTensor (fused resize + normalise, issue #14)', () => {
  const rand = (n: number, seed: number) => {
    const a = new Uint8Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) a[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    return a;
  };
  const spec = (layout: 'NCHW' | 'NHWC', colorOrder: 'RGB' | 'BGR') => ({ layout, colorOrder, scale: 1 / 255, mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] });

  it('gives exactly referenceResize then fillInputTensor (both layouts and colour orders, up and down, odd sizes), and flipTensor the flipped fill', () => {
    for (const [sw, sh, dw, dh] of [
      [37, 23, 64, 48],
      [640, 427, 96, 80],
      [5, 9, 5, 9],
      [300, 200, 33, 71],
    ]) {
      const src = rand(sw * sh * 3, sw * 7 + dh);
      for (const layout of ['NCHW', 'NHWC'] as const) {
        for (const order of ['RGB', 'BGR'] as const) {
          const sp = spec(layout, order);
          const tables = normalisationTables(sp);
          const small = referenceResize(src, sw, sh, 3, dw, dh, new Uint8Array(dw * dh * 3));
          const want = fillInputTensor(small, dw, dh, sp, new Float32Array(dw * dh * 3), false, tables);
          const got = referenceResizeToTensor(src, sw, sh, dw, dh, tensorTarget(sp, dw, dh, new Float32Array(dw * dh * 3), tables));
          assert.deepEqual(got, want, `${sw}x${sh} → ${dw}x${dh} ${layout} ${order}`);
          const flipped = fillInputTensor(small, dw, dh, sp, new Float32Array(dw * dh * 3), true, tables);
          assert.deepEqual(flipTensor(got, dw, dh, layout), flipped, `flip ${dw}x${dh} ${layout}`);
        }
      }
    }
  });

  it('rejects wrong buffer sizes', () => {
    const sp = spec('NCHW', 'RGB');
    assert.throws(() => referenceResizeToTensor(new Uint8Array(12), 2, 2, 2, 2, tensorTarget(sp, 2, 2, new Float32Array(11), normalisationTables(sp))), RangeError);
    assert.throws(() => referenceResizeToTensor(new Uint8Array(11), 2, 2, 2, 2, tensorTarget(sp, 2, 2, new Float32Array(12), normalisationTables(sp))), RangeError);
  });

  it('reports its cost against the two passes at the accurate size (3 MP photo → 1024²)', (t) => {
    const [sw, sh, dw, dh] = [2000, 1500, 1024, 1024];
    const src = rand(sw * sh * 3, 3);
    const sp = spec('NCHW', 'RGB');
    const tables = normalisationTables(sp);
    const small = new Uint8Array(dw * dh * 3);
    const out = new Float32Array(dw * dh * 3);
    const target = tensorTarget(sp, dw, dh, out, tables);
    const time = (f: () => void) => {
      const ms: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        f();
        ms.push(performance.now() - t0);
      }
      return ms.sort((a, b) => a - b)[2];
    };
    const two = time(() => fillInputTensor(referenceResize(src, sw, sh, 3, dw, dh, small), dw, dh, sp, out, false, tables));
    const fused = time(() => referenceResizeToTensor(src, sw, sh, dw, dh, target));
    t.diagnostic(`resize + normalise: two passes ${two.toFixed(1)} ms, fused ${fused.toFixed(1)} ms (median of 5; not asserted)`);
  });
});
