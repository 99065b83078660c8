// Pre- and post-processing on tiny arrays: layouts, colour order, normalisation, geometry,
// sigmoid/logit, hflip averaging, argmax, class fractions, buffer reuse.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BufferPool,
  channelMap,
  fillGreyTensor,
  fillInputTensor,
  inputDims,
  normalisationTables,
  PreprocessSpec,
} from '../../daemon/engine/pipeline/tensor';
import {
  argmax,
  binaryClasses,
  hflipAverage,
  outputGeometry,
  probabilityMap,
  probabilityToAlpha,
  semanticClasses,
  sigmoid,
} from '../../daemon/engine/pipeline/outputMaps';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, eps = 1e-6) => {
  assert.equal(a.length, b.length, 'lengths');
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= eps, `index ${i}: ${a[i]} vs ${b[i]}`);
};

// A 2x2 image (width 2, height 2), interleaved RGB: pixel p has (10p+1, 10p+2, 10p+3).
const W = 2;
const H = 2;
const rgb = new Uint8Array([1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 32, 33]);
const identity: PreprocessSpec = { layout: 'NCHW', colorOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] };

describe('preprocess', () => {
  it('input dims follow the layout', () => {
    assert.deepEqual(inputDims({ inputSize: [480, 640], layout: 'NCHW' }), [1, 3, 480, 640]);
    assert.deepEqual(inputDims({ inputSize: [480, 640], layout: 'NHWC' }), [1, 480, 640, 3]);
  });

  it('NCHW RGB is planar in R, G, B order', () => {
    const out = fillInputTensor(rgb, W, H, identity, new Float32Array(12));
    close(out, [1, 11, 21, 31, 2, 12, 22, 32, 3, 13, 23, 33]);
  });

  it('NHWC RGB is interleaved', () => {
    const out = fillInputTensor(rgb, W, H, { ...identity, layout: 'NHWC' }, new Float32Array(12));
    close(out, [1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 32, 33]);
  });

  it('BGR swaps the first and last channel in both layouts', () => {
    assert.deepEqual(channelMap('BGR'), [2, 1, 0]);
    close(fillInputTensor(rgb, W, H, { ...identity, colorOrder: 'BGR' }, new Float32Array(12)), [3, 13, 23, 33, 2, 12, 22, 32, 1, 11, 21, 31]);
    close(fillInputTensor(rgb, W, H, { ...identity, layout: 'NHWC', colorOrder: 'BGR' }, new Float32Array(12)), [3, 2, 1, 13, 12, 11, 23, 22, 21, 33, 32, 31]);
  });

  it('normalises (v * scale - mean[c]) / std[c] with c in model channel order', () => {
    // ISNet: (v - 128) / 256
    const isnet: PreprocessSpec = { layout: 'NCHW', colorOrder: 'RGB', scale: 1, mean: [128, 128, 128], std: [256, 256, 256] };
    const px = new Uint8Array([0, 128, 255]);
    close(fillInputTensor(px, 1, 1, isnet, new Float32Array(3)), [-0.5, 0, 127 / 256]);
    // PaddleOCR: BGR, (v/255 - mean) / std with mean/std in B, G, R order
    const paddle: PreprocessSpec = { layout: 'NCHW', colorOrder: 'BGR', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    const p = new Uint8Array([255, 0, 51]); // R=255 G=0 B=51
    const want = [(51 / 255 - 0.485) / 0.229, (0 - 0.456) / 0.224, (255 / 255 - 0.406) / 0.225];
    close(fillInputTensor(p, 1, 1, paddle, new Float32Array(3)), want, 1e-5);
  });

  it('tables hold the float32 of the exact formula', () => {
    const t = normalisationTables({ scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1] });
    assert.equal(t.length, 3);
    assert.equal(t[0][255], Math.fround((255 / 255 - 0.5) / 0.25));
    assert.equal(t[2][0], Math.fround(-0.5));
  });

  it('flip mirrors each row', () => {
    const out = fillInputTensor(rgb, W, H, identity, new Float32Array(12), true);
    close(out, [11, 1, 31, 21, 12, 2, 32, 22, 13, 3, 33, 23]);
    const nhwc = fillInputTensor(rgb, W, H, { ...identity, layout: 'NHWC' }, new Float32Array(12), true);
    close(nhwc, [11, 12, 13, 1, 2, 3, 31, 32, 33, 21, 22, 23]);
  });

  it('reuses and fully overwrites the output buffer', () => {
    const buf = new Float32Array(12).fill(NaN);
    const a = fillInputTensor(rgb, W, H, identity, buf);
    assert.equal(a, buf);
    assert.ok(!Array.from(a).some(Number.isNaN));
  });

  it('rejects wrongly sized buffers', () => {
    assert.throws(() => fillInputTensor(rgb, W, H, identity, new Float32Array(11)), RangeError);
    assert.throws(() => fillInputTensor(rgb.subarray(0, 9), W, H, identity, new Float32Array(12)), RangeError);
  });

  it('grey warm-up tensor is the normalised 128 per channel', () => {
    const spec: PreprocessSpec = { layout: 'NCHW', colorOrder: 'RGB', scale: 1, mean: [0, 64, 128], std: [1, 2, 4] };
    close(fillGreyTensor(spec, 2, 1, new Float32Array(6)), [128, 128, 32, 32, 0, 0]);
    close(fillGreyTensor({ ...spec, layout: 'NHWC' }, 2, 1, new Float32Array(6)), [128, 32, 0, 128, 32, 0]);
  });
});

describe('output geometry', () => {
  it('reads NCHW, NHWC and lower ranks', () => {
    assert.deepEqual(outputGeometry([1, 1, 4, 6], 1, 'NCHW'), { channels: 1, height: 4, width: 6, layout: 'NCHW' });
    assert.deepEqual(outputGeometry([1, 4, 6, 3], 3, 'NCHW'), { channels: 3, height: 4, width: 6, layout: 'NHWC' });
    assert.deepEqual(outputGeometry([1, 3, 4, 6], 3, 'NHWC'), { channels: 3, height: 4, width: 6, layout: 'NCHW' });
    // ambiguous: the mode's layout decides
    assert.deepEqual(outputGeometry([1, 3, 3, 3], 3, 'NHWC').layout, 'NHWC');
    assert.deepEqual(outputGeometry([1, 4, 6], 1, 'NCHW'), { channels: 1, height: 4, width: 6, layout: 'NCHW' });
    assert.deepEqual(outputGeometry([4, 6], 1, 'NCHW'), { channels: 1, height: 4, width: 6, layout: 'NCHW' });
    assert.throws(() => outputGeometry([2, 1, 4, 4], 1, 'NCHW'));
    assert.throws(() => outputGeometry([4], 1, 'NCHW'));
  });
});

describe('binary postprocess', () => {
  const g = { channels: 1, height: 1, width: 4, layout: 'NCHW' as const };

  it('sigmoid output is taken as is', () => {
    const out = probabilityMap(new Float32Array([0, 0.25, 0.5, 1]), g, 'sigmoid', new Float32Array(4));
    close(out, [0, 0.25, 0.5, 1]);
  });

  it('logit output goes through the sigmoid', () => {
    assert.equal(sigmoid(0), 0.5);
    const out = probabilityMap(new Float32Array([0, 2, -2, 40]), g, 'logit', new Float32Array(4));
    close(out, [0.5, 1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(2)), 1]);
  });

  it('two-channel logits and probabilities give the foreground channel, both layouts', () => {
    const g2 = { channels: 2, height: 1, width: 2, layout: 'NCHW' as const };
    // planar: bg = [0, 1], fg = [0, 3]
    close(probabilityMap(new Float32Array([0, 1, 0, 3]), g2, 'logits', new Float32Array(2)), [0.5, sigmoid(2)]);
    close(probabilityMap(new Float32Array([0.25, 0.5, 0.75, 0.5]), g2, 'probabilities', new Float32Array(2)), [0.75, 0.5]);
    // interleaved: (bg, fg) per pixel
    close(probabilityMap(new Float32Array([0, 0, 1, 3]), { ...g2, layout: 'NHWC' }, 'logits', new Float32Array(2)), [0.5, sigmoid(2)]);
    assert.throws(() => probabilityMap(new Float32Array(3), { ...g2, channels: 3, width: 1 }, 'sigmoid', new Float32Array(1)));
  });

  it('alpha is round(p * 255), clamped, NaN to 0', () => {
    const a = probabilityToAlpha(new Float32Array([0, 0.5, 1, 1.5, -0.2, NaN, 0.002, 0.998]), new Uint8Array(8));
    assert.deepEqual([...a], [0, 128, 255, 255, 0, 0, 1, 254]);
  });

  it('hflip average mirrors the second pass back before averaging', () => {
    const gg = { channels: 1, height: 2, width: 3, layout: 'NCHW' as const };
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    // the flipped pass of the same image, i.e. a mirrored
    const b = new Float32Array([3, 2, 1, 6, 5, 4]);
    close(hflipAverage(a, b, gg, new Float32Array(6)), [1, 2, 3, 4, 5, 6]);
    const b2 = new Float32Array([0, 0, 9, 0, 0, 0]); // 9 lands on (0,0)
    close(hflipAverage(new Float32Array(6), b2, gg, new Float32Array(6)), [4.5, 0, 0, 0, 0, 0]);
    // in place on a
    const inPlace = new Float32Array([1, 1, 1, 1, 1, 1]);
    hflipAverage(inPlace, new Float32Array([3, 1, 1, 1, 1, 1]), gg, inPlace);
    close(inPlace, [1, 1, 2, 1, 1, 1]);
  });

  it('hflip average on interleaved channels keeps channels together', () => {
    const gg = { channels: 2, height: 1, width: 2, layout: 'NHWC' as const };
    const a = new Float32Array([1, 2, 3, 4]);
    const b = new Float32Array([30, 40, 10, 20]); // pixel 1 of b maps to pixel 0
    close(hflipAverage(a, b, gg, new Float32Array(4)), [5.5, 11, 16.5, 22]);
  });

  it('binary fractions are mean alpha / 255 and sum to 1', () => {
    const cls = binaryClasses(new Uint8Array([0, 255, 255, 51]), ['background', 'foreground'], [
      [0, 0, 0],
      [0, 200, 255],
    ]);
    assert.equal(cls.length, 2);
    assert.deepEqual(
      cls.map((c) => [c.id, c.label]),
      [
        [0, 'background'],
        [1, 'foreground'],
      ],
    );
    close([cls[1].fraction], [(255 + 255 + 51) / 255 / 4]);
    close([cls[0].fraction + cls[1].fraction], [1], 1e-12);
    assert.deepEqual(cls[1].color, [0, 200, 255]);
  });
});

describe('semantic postprocess', () => {
  it('argmax over planar channels, ties to the lowest index', () => {
    const g = { channels: 3, height: 1, width: 4, layout: 'NCHW' as const };
    // channel planes
    const data = new Float32Array([
      5, 0, 1, 2, // c0
      1, 9, 1, 2, // c1
      0, 0, 7, 2, // c2
    ]);
    assert.deepEqual([...argmax(data, g, new Uint8Array(4))], [0, 1, 2, 0]);
  });

  it('argmax over interleaved channels', () => {
    const g = { channels: 3, height: 2, width: 1, layout: 'NHWC' as const };
    const data = new Float32Array([0.1, 0.7, 0.2, 0.3, 0.3, 0.4]);
    assert.deepEqual([...argmax(data, g, new Uint8Array(2))], [1, 2]);
  });

  it('argmax reuses a scratch buffer and overwrites the output', () => {
    const g = { channels: 2, height: 1, width: 2, layout: 'NCHW' as const };
    const out = new Uint8Array([7, 7]);
    const scratch = new Float32Array(2);
    assert.deepEqual([...argmax(new Float32Array([1, 0, 0, 1]), g, out, scratch)], [0, 1]);
    assert.deepEqual([...argmax(new Float32Array([0, 1, 1, 0]), g, out, scratch)], [1, 0]);
  });

  it('refuses more than 256 classes', () => {
    assert.throws(() => argmax(new Float32Array(257), { channels: 257, height: 1, width: 1, layout: 'NCHW' }, new Uint8Array(1)));
  });

  it('class fractions: present classes only, sorted by id, sum to 1, labels and colours from the mode', () => {
    const idx = new Uint8Array([2, 0, 2, 2, 0, 5, 2, 2]);
    const cls = semanticClasses(idx, ['sky', 'tree', 'road'], [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    assert.deepEqual(
      cls.map((c) => c.id),
      [0, 2, 5],
    );
    assert.deepEqual(cls[1], { id: 2, label: 'road', color: [7, 8, 9], fraction: 5 / 8 });
    assert.equal(cls[2].label, 'class 5');
    assert.equal(cls[2].color.length, 3);
    close([cls.reduce((s, c) => s + c.fraction, 0)], [1], 1e-12);
  });
});

describe('BufferPool', () => {
  it('returns the same buffer for the same tag and length, new ones otherwise', () => {
    const p = new BufferPool(3);
    const a = p.float32('input', 12);
    assert.equal(p.float32('input', 12), a);
    assert.notEqual(p.float32('input', 13), a);
    assert.notEqual(p.float32('prob', 12), a);
    assert.ok(p.uint8('alpha', 4) instanceof Uint8Array);
  });

  it('evicts the least recently used shape past its bound', () => {
    const p = new BufferPool(2);
    const a = p.float32('x', 1);
    const b = p.float32('x', 2);
    p.float32('x', 1); // a is now most recent
    p.float32('x', 3); // evicts b
    assert.equal(p.float32('x', 1), a);
    assert.notEqual(p.float32('x', 2), b);
  });
});
