// Binary mattes in the preview (media/webview/threshold.ts) and the pixel readout
// (media/webview/readout.ts): threshold, views, outline, the sentence announced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClassInfo } from '../../daemon/api/protocol';
import { formatReadout, readoutAt } from '../../media/webview/inspect/readout';
import { foregroundMap, foregroundShare, greyChannel, outline, outlineWidth, paintClasses, paintMatte, thresholdByte } from '../../media/webview/inspect/threshold';

const alpha = new Uint8Array([0, 64, 127, 128, 200, 255]);

test('threshold: alpha / 255 >= t is foreground; 0 takes everything, 1 only 255', () => {
  assert.equal(thresholdByte(0.5), 128);
  assert.equal(thresholdByte(0), 0);
  assert.equal(thresholdByte(1), 255);
  assert.equal(thresholdByte(64 / 255), 64);
  assert.deepEqual([...foregroundMap(alpha, 0.5)], [0, 0, 0, 1, 1, 1]);
  assert.equal(foregroundShare(alpha, 0.5), 0.5);
  assert.equal(foregroundShare(alpha, 0.9), 1 / 6);
  assert.equal(foregroundShare(alpha, 0), 1);
  assert.ok(foregroundShare(alpha, 0.2) > foregroundShare(alpha, 0.5), 'a lower threshold never shrinks the foreground');
});

test('grey channel of RGBA', () => {
  assert.deepEqual([...greyChannel(new Uint8ClampedArray([9, 9, 9, 255, 3, 3, 3, 255]))], [9, 3]);
});

test('outline: the contour of a square, widened on demand', () => {
  // 6x6 with a 2x2 square of 1 at (2..3, 2..3).
  const w = 6;
  const labels = new Uint8Array(36);
  for (const [x, y] of [[2, 2], [3, 2], [2, 3], [3, 3]]) labels[y * w + x] = 1;
  const e = outline(labels, w, 6, 1);
  const on = (x: number, y: number) => e[y * w + x];
  assert.equal(on(2, 2), 1, 'inside edge');
  assert.equal(on(1, 2), 1, 'outside edge');
  assert.equal(on(0, 0), 0, 'far away');
  assert.equal(on(1, 1), 0, 'diagonal neighbours are not 4-neighbours');
  const wide = outline(labels, w, 6, 3);
  assert.equal(wide[1 * w + 1], 1, 'width 3 reaches the diagonal');
  assert.equal(wide[0], 0);
  assert.equal(outlineWidth(4), 1);
  assert.equal(outlineWidth(0.25), 6);
  assert.equal(outlineWidth(0.01), 8);
});

test('matte views: soft keeps alpha, hard thresholds, outline draws the contour only', () => {
  const w = 3;
  const h = 2;
  const m = new Uint8Array([0, 100, 255, 0, 200, 255]);
  const out = new Uint8ClampedArray(w * h * 4);
  const a = (o: Uint8ClampedArray) => [...o.filter((_, i) => i % 4 === 3)];
  assert.deepEqual(a(paintMatte(m, w, h, [255, 0, 0], 'soft', 0.5, 1, out)), [0, 100, 255, 0, 200, 255]);
  assert.deepEqual(a(paintMatte(m, w, h, [255, 0, 0], 'hard', 0.5, 1, out)), [0, 0, 255, 0, 255, 255]);
  assert.deepEqual(a(paintMatte(m, w, h, [255, 0, 0], 'hard', 0.3, 1, out)), [0, 255, 255, 0, 255, 255], 'the slider moves the edge');
  const outlined = a(paintMatte(new Uint8Array([0, 0, 255, 255, 0, 0]), 6, 1, [255, 0, 0], 'outline', 0.5, 1, new Uint8ClampedArray(24)));
  assert.deepEqual(outlined, [0, 255, 255, 255, 255, 0]);
  assert.deepEqual([...out.subarray(0, 3)], [255, 0, 0]);
});

test('class maps: hidden classes are transparent; outline only on class borders', () => {
  const idx = new Uint8Array([0, 0, 1, 1, 2, 2]);
  const table = [null, [255, 0, 0], [0, 0, 255]] as ([number, number, number] | null)[];
  const full = paintClasses(idx, 6, 1, table, new Uint8ClampedArray(24));
  assert.deepEqual([...full.filter((_, i) => i % 4 === 3)], [0, 0, 255, 255, 255, 255]);
  const edges = paintClasses(idx, 6, 1, table, new Uint8ClampedArray(24), 1);
  assert.deepEqual([...edges.filter((_, i) => i % 4 === 3)], [0, 0, 255, 255, 255, 0]);
});

const binaryClasses: ClassInfo[] = [
  { id: 0, label: 'background', color: [0, 0, 0], fraction: 0.5 },
  { id: 1, label: 'foreground', color: [0, 200, 255], fraction: 0.5 },
];

test('readout, binary: the alpha as a probability, the class at the threshold', () => {
  const m = { task: 'binary' as const, classes: binaryClasses, width: 3, height: 2, mask: new Uint8Array([0, 100, 255, 0, 200, 255]) };
  const r = readoutAt(m, 1, 1, 0.5)!;
  assert.deepEqual([r.label, r.value], ['foreground', 200 / 255]);
  assert.equal(formatReadout(r), 'x 1, y 1 · foreground · p(foreground) 0.78');
  assert.equal(readoutAt(m, 1, 0, 0.5)!.label, 'background');
  assert.equal(readoutAt(m, 1, 0, 0.3)!.label, 'foreground', 'follows the slider');
  assert.equal(readoutAt(m, 3, 0, 0.5), undefined);
  assert.equal(formatReadout(undefined), 'outside the image');
});

test('readout, semantic: the class, and its confidence when the daemon sent it', () => {
  const classes: ClassInfo[] = [
    { id: 0, label: 'background', color: [0, 0, 0], fraction: 0.5 },
    { id: 7, label: 'cat', color: [1, 2, 3], fraction: 0.5 },
  ];
  const m = { task: 'semantic' as const, classes, width: 2, height: 1, mask: new Uint8Array([0, 7]) };
  assert.equal(formatReadout(readoutAt(m, 1, 0, 0.5)), 'x 1, y 0 · cat');
  const withConf = { ...m, confidence: new Uint8Array([255, 230]) };
  assert.equal(formatReadout(readoutAt(withConf, 1, 0, 0.5)), 'x 1, y 0 · cat · confidence 0.90');
  assert.equal(readoutAt({ ...m, mask: new Uint8Array([0, 9]) }, 1, 0, 0.5)!.label, 'class 9');
});
