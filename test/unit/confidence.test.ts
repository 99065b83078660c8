// Issue 16: the semantic top-class confidence (tensor.ts topConfidence) and the display
// image's size (display.ts displaySize), on tiny arrays.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displaySize } from '../../daemon/engine/pipeline/display';
import { OutputGeometry, topConfidence } from '../../daemon/engine/pipeline/outputMaps';

const softmaxTop = (l: number[]) => Math.exp(Math.max(...l)) / l.reduce((s, v) => s + Math.exp(v), 0);

describe('topConfidence', () => {
  // 3 classes, 2 pixels. Pixel 0 logits [2, 0, -1]; pixel 1 [0, 0, 0] (a three-way tie).
  const px = [
    [2, 0, -1],
    [0, 0, 0],
  ];
  const nchw = new Float32Array([2, 0, 0, 0, -1, 0]);
  const nhwc = new Float32Array(px.flat());
  const g = (layout: 'NCHW' | 'NHWC'): OutputGeometry => ({ channels: 3, height: 1, width: 2, layout });

  it('logits: softmax of the top class, in both layouts', () => {
    const want = px.map((l) => Math.round(softmaxTop(l) * 255));
    assert.deepEqual([...topConfidence(nchw, g('NCHW'), 'logits', new Uint8Array(2))], want);
    assert.deepEqual([...topConfidence(nhwc, g('NHWC'), 'logits', new Uint8Array(2))], want);
    assert.equal(want[1], 85, 'a three-way tie is 1/3');
  });

  it('probabilities: the top one over their sum', () => {
    const probs = new Float32Array([0.6, 0.1, 0.3, 0.8, 0.1, 0.1]); // NCHW: pixel 0 [.6,.3,.1], pixel 1 [.1,.8,.1]
    assert.deepEqual([...topConfidence(probs, g('NCHW'), 'probabilities', new Uint8Array(2))], [153, 204]);
    const unnormalised = new Float32Array([2, 1, 1, 1, 1, 2]);
    assert.deepEqual([...topConfidence(unnormalised, g('NCHW'), 'probabilities', new Uint8Array(2))], [128, 128]);
  });

  it('huge logits do not overflow; NaN gives 0', () => {
    const big = new Float32Array([1000, -1000, 0, 0, -1000, NaN]);
    const out = topConfidence(big, g('NCHW'), 'logits', new Uint8Array(2));
    assert.equal(out[0], 255);
    assert.equal(out[1], 0);
  });

  it('checks buffer sizes', () => {
    assert.throws(() => topConfidence(nchw, g('NCHW'), 'logits', new Uint8Array(3)), RangeError);
    assert.throws(() => topConfidence(nchw.subarray(0, 4), g('NCHW'), 'logits', new Uint8Array(2)), RangeError);
  });
});

describe('displaySize', () => {
  it('keeps images within the bound as they are', () => {
    assert.deepEqual(displaySize(640, 480, 4096), { width: 640, height: 480 });
    assert.deepEqual(displaySize(4096, 10, 4096), { width: 4096, height: 10 });
  });
  it('scales the longest side to the bound, keeping the aspect ratio', () => {
    assert.deepEqual(displaySize(8000, 6000, 4096), { width: 4096, height: 3072 });
    assert.deepEqual(displaySize(3000, 12000, 4096), { width: 1024, height: 4096 });
    assert.deepEqual(displaySize(100000, 10, 4096), { width: 4096, height: 1 });
  });
});
