// Instance modes' postprocessing (issue 24) against the independent computation of
// test/helpers/instanceReference.ts: letterbox and its inverse, yolo-seg decoding, NMS, masks
// cropped to their boxes, the instance-id map, RLE; boxes-masks the same.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeInstances } from '../../daemon/engine/pipeline/instances/instances';
import { fillLetterboxTensor, letterbox } from '../../daemon/engine/pipeline/instances/letterbox';
import { Detection, nonMaxSuppression } from '../../daemon/engine/pipeline/instances/detections';
import { BufferPool, normalisationTables } from '../../daemon/engine/pipeline/tensor';
import { InstanceSpec } from '../../daemon/models/modeDef';
import { RowOutputs, random, randomYoloOutputs } from '../helpers/instanceModels';
import { RefInstance, refBoxesMasks, refLetterbox, refMap, refYolo } from '../helpers/instanceReference';
import { decodeCocoRle } from '../helpers/cocoRleDecoder';

const settings = { scoreThreshold: 0.25, iouThreshold: 0.7, maxInstances: 100 };
const yoloSpec = (over: Partial<InstanceSpec> = {}): InstanceSpec => ({ format: 'yolo-seg', outputs: ['output0', 'output1'], ...settings, ...over });
const rowsSpec = (over: Partial<InstanceSpec> = {}): InstanceSpec => ({ format: 'boxes-masks', outputs: ['boxes', 'labels', 'scores', 'masks'], ...settings, ...over });
const labels = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

function compare(got: ReturnType<typeof decodeInstances>, want: RefInstance[], w: number, h: number): void {
  assert.equal(got.instances.length, want.length, 'instance count');
  got.instances.forEach((g, k) => {
    const r = want[k];
    assert.equal(g.id, k + 1);
    assert.equal(g.class, r.cls, `instance ${k + 1} class`);
    assert.equal(g.score, Math.fround(r.score), `instance ${k + 1} score`);
    const box = [g.box.left, g.box.top, g.box.left + g.box.width, g.box.top + g.box.height];
    box.forEach((v, i) => assert.ok(Math.abs(v - r.box[i]) < 2e-3, `instance ${k + 1} box[${i}] ${v} vs ${r.box[i]}`));
    const area = r.mask.reduce((a, b) => a + b, 0);
    assert.equal(g.area, area, `instance ${k + 1} area`);
    assert.deepEqual(decodeCocoRle(g.rle!), r.mask, `instance ${k + 1} RLE mask`);
  });
  const map = refMap(want, w, h);
  assert.deepEqual(got.map, map, 'instance-id map');
  const visible = new Float64Array(got.classes.length);
  for (let p = 0; p < map.length; p++) if (map[p]) visible[want[map[p] - 1].cls]++;
  got.classes.forEach((c) => assert.ok(Math.abs(c.fraction - visible[c.id] / (w * h)) < 1e-12, `class ${c.id} share`));
}

describe('letterbox', () => {
  test('geometry as Ultralytics LetterBox, and its inverse', () => {
    for (const [w, h, S] of [
      [1920, 1080, 640],
      [1080, 1920, 640],
      [641, 479, 320],
      [33, 100, 64],
      [640, 640, 640],
      [30, 1000, 32],
    ]) {
      const lb = letterbox(w, h, S, S);
      const r = refLetterbox(w, h, S);
      assert.deepEqual([lb.innerWidth, lb.innerHeight, lb.padLeft, lb.padTop], [r.nw, r.nh, r.left, r.top], `${w}x${h} at ${S}`);
      // The image's corners land on the inner rectangle's corners.
      assert.ok(Math.abs(0 * lb.gain + lb.padLeft - r.left) < 1e-9);
      assert.ok(Math.abs(w * lb.gain + lb.padLeft - (r.left + w * r.r)) < 1e-9);
    }
  });

  test('the tensor: the image at its place, grey 114 around it, split evenly', () => {
    const lb = letterbox(4, 2, 6, 6); // 6x3 inside, 1 row above (round(1.5-0.1)=1) and 2 below
    assert.deepEqual([lb.innerWidth, lb.innerHeight, lb.padLeft, lb.padTop], [6, 3, 0, 1]);
    const rgb = new Uint8Array(6 * 3 * 3).map((_, i) => i);
    const tables = normalisationTables({ scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] });
    for (const layout of ['NCHW', 'NHWC'] as const) {
      const out = fillLetterboxTensor(rgb, lb, { layout, colorOrder: 'BGR' }, tables, new Float32Array(3 * 36));
      for (let y = 0; y < 6; y++) {
        for (let x = 0; x < 6; x++) {
          for (let k = 0; k < 3; k++) {
            const at = layout === 'NCHW' ? k * 36 + y * 6 + x : (y * 6 + x) * 3 + k;
            const inside = y >= 1 && y < 4;
            const want = inside ? rgb[((y - 1) * 6 + x) * 3 + (2 - k)] : 114; // BGR: model channel k reads source 2-k
            assert.equal(out[at], Math.fround(want / 255), `${layout} (${x},${y}) channel ${k}`);
          }
        }
      }
    }
  });
});

describe('non-maximum suppression', () => {
  const det = (index: number, cls: number, score: number, x1: number, y1: number, x2: number, y2: number): Detection => ({ index, cls, score, x1, y1, x2, y2 });
  test('per class, over the threshold only, best first, equal scores in output order, capped', () => {
    const a = det(0, 0, 0.9, 0, 0, 10, 10);
    const b = det(1, 0, 0.8, 1, 0, 11, 10); // IoU 9/11 with a: dropped
    const c = det(2, 1, 0.8, 1, 0, 11, 10); // same box, other class: kept
    const d = det(3, 0, 0.7, 0, 0, 10, 7); // IoU 0.7 exactly with a: kept (only > drops)
    const e = det(4, 0, 0.9, 50, 50, 60, 60); // ties a: after it (output order)
    assert.deepEqual(nonMaxSuppression([b, c, d, e, a], 0.7, 100), [a, e, c, d]);
    assert.deepEqual(nonMaxSuppression([b, c, d, e, a], 0.7, 2), [a, e]);
  });
});

describe('yolo-seg decoding', () => {
  const cases: [number, number, number, number][] = [
    // seed, image width, height, input size
    [1, 48, 30, 32],
    [2, 30, 48, 32],
    [3, 64, 64, 32],
    [4, 97, 41, 64],
    [5, 20, 13, 64],
  ];
  for (const [seed, w, h, S] of cases) {
    test(`random outputs, seed ${seed}, ${w}x${h} image, ${S} input`, () => {
      const o = randomYoloOutputs(random(seed), S, { nc: 3, nm: 4, anchors: 300, proto: S / 4 });
      const spec = yoloSpec();
      const got = decodeInstances(
        spec,
        [
          { data: o.output0, dims: [1, 4 + o.nc + o.nm, o.anchors] },
          { data: o.output1, dims: [1, o.nm, o.mh, o.mw] },
        ],
        letterbox(w, h, S, S),
        { labels: labels(3), colors: [], rle: true, scratch: new BufferPool() },
      );
      const want = refYolo(o, S, w, h, settings);
      assert.ok(want.length > 5, 'the case has instances');
      compare(got, want, w, h);
    });
  }

  test('maxInstances, scoreThreshold and iouThreshold are the spec’s', () => {
    const S = 32;
    const o = randomYoloOutputs(random(9), S, { nc: 2, nm: 3, anchors: 200, proto: 8 });
    const s = { scoreThreshold: 0.5, iouThreshold: 0.3, maxInstances: 4 };
    const got = decodeInstances(
      yoloSpec(s),
      [
        { data: o.output0, dims: [1, 4 + 2 + 3, 200] },
        { data: o.output1, dims: [1, 3, 8, 8] },
      ],
      letterbox(40, 25, S, S),
      { labels: labels(2), colors: [], rle: true, scratch: new BufferPool() },
    );
    assert.equal(got.instances.length, 4);
    compare(got, refYolo(o, S, 40, 25, s), 40, 25);
  });

  test('an output with the wrong number of rows is named', () => {
    const o = randomYoloOutputs(random(1), 32, { nc: 3, nm: 4, anchors: 10, proto: 8 });
    assert.throws(
      () =>
        decodeInstances(
          yoloSpec(),
          [
            { data: o.output0, dims: [1, 12, 10] },
            { data: o.output1, dims: [1, 4, 8, 8] },
          ],
          letterbox(32, 32, 32, 32),
          { labels: labels(3), colors: [], scratch: new BufferPool() },
        ),
      /output0.*12 rows, expected 4 \+ 3 classes \+ 4 mask coefficients = 11/,
    );
  });
});

describe('boxes-masks decoding', () => {
  function randomRows(seed: number, S: number, N: number): RowOutputs {
    const rnd = random(seed);
    const boxes = new Float32Array(N * 4);
    const scores = new Float32Array(N);
    const labelsOut: number[] = [];
    const masks = new Float32Array(N * S * S);
    for (let i = 0; i < N; i++) {
      const x1 = rnd() * S * 0.7;
      const y1 = rnd() * S * 0.7;
      boxes.set([x1, y1, x1 + 1 + rnd() * (S - x1 - 1), y1 + 1 + rnd() * (S - y1 - 1)], 4 * i);
      scores[i] = i % 5 === 0 ? 0.6 : rnd();
      labelsOut.push(1 + Math.floor(rnd() * 3));
      for (let p = 0; p < S * S; p++) masks[i * S * S + p] = rnd();
    }
    return { boxes, labels: labelsOut, scores, masks };
  }
  for (const [seed, w, h] of [
    [11, 50, 30],
    [12, 21, 40],
  ]) {
    test(`random outputs, seed ${seed}, ${w}x${h}`, () => {
      const S = 24;
      const o = randomRows(seed, S, 30);
      const got = decodeInstances(
        rowsSpec(),
        [
          { data: o.boxes, dims: [30, 4] },
          { data: BigInt64Array.from(o.labels.map(BigInt)), dims: [30] },
          { data: o.scores, dims: [30] },
          { data: o.masks, dims: [30, 1, S, S] },
        ],
        letterbox(w, h, S, S),
        { labels: labels(4), colors: [], rle: true, scratch: new BufferPool() },
      );
      compare(got, refBoxesMasks(o, S, w, h, settings), w, h);
    });
  }
});
