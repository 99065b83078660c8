// Comparing two masks in the preview (media/webview/compare.ts): IoU, agreement, difference colours.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClassInfo } from '../../daemon/api/protocol';
import { DIFF_COLOURS, compareMasks, differenceImage, foregroundOf, formatAgreement, iou, meanIou, splitAt } from '../../media/webview/inspect/compare';

const bin: ClassInfo[] = [
  { id: 0, label: 'background', color: [0, 0, 0], fraction: 0 },
  { id: 1, label: 'foreground', color: [0, 200, 255], fraction: 0 },
];
const sem: ClassInfo[] = [
  { id: 0, label: 'background', color: [0, 0, 0], fraction: 0 },
  { id: 1, label: 'red', color: [255, 0, 0], fraction: 0 },
  { id: 2, label: 'green', color: [0, 255, 0], fraction: 0 },
];

test('IoU of foregrounds, thresholded', () => {
  const a = { task: 'binary' as const, classes: bin, mask: new Uint8Array([255, 255, 200, 0, 0, 100]) };
  const b = { task: 'binary' as const, classes: bin, mask: new Uint8Array([255, 0, 255, 0, 255, 0]) };
  const g = compareMasks(a, b, 0.5);
  // a fg: {0,1,2}; b fg: {0,2,4}: intersection 2, union 4.
  assert.equal(g.kind, 'foreground');
  assert.equal(g.iou, 0.5);
  assert.equal(g.agree, 4 / 6);
  assert.equal(compareMasks(a, a, 0.5).iou, 1);
  assert.equal(compareMasks(a, b, 0.3).iou, 2 / 5, 'a lower threshold adds pixel 5 to a');
  assert.match(formatAgreement(g), /^IoU 0\.500 \(foreground\) · agree 66\.7%$/);
});

test('both semantic: mean IoU over the classes present in either', () => {
  const a = new Uint8Array([0, 1, 1, 2]);
  const b = new Uint8Array([0, 1, 2, 2]);
  // class 0: 1/1; class 1: 1/2; class 2: 1/2.
  assert.equal(meanIou(a, b), (1 + 0.5 + 0.5) / 3);
  const g = compareMasks({ task: 'semantic', classes: sem, mask: a }, { task: 'semantic', classes: sem, mask: b }, 0.5);
  assert.equal(g.kind, 'mean');
  assert.equal(g.agree, 0.75);
});

test('binary against semantic: the foreground is every class that is not background', () => {
  assert.deepEqual([...foregroundOf({ task: 'semantic', classes: sem, mask: new Uint8Array([0, 1, 2]) }, 0.5)], [0, 1, 1]);
  const g = compareMasks({ task: 'semantic', classes: sem, mask: new Uint8Array([0, 1, 2]) }, { task: 'binary', classes: bin, mask: new Uint8Array([0, 255, 0]) }, 0.5);
  assert.equal(g.iou, 0.5);
  assert.equal(iou(new Uint8Array(3), new Uint8Array(3)), 1, 'two empty masks agree');
  assert.throws(() => compareMasks({ task: 'binary', classes: bin, mask: new Uint8Array(2) }, { task: 'binary', classes: bin, mask: new Uint8Array(3) }, 0.5), RangeError);
});

test('difference image: colours where they disagree, transparent where they agree', () => {
  const a = { task: 'semantic' as const, classes: sem, mask: new Uint8Array([0, 1, 0, 1]) };
  const b = { task: 'semantic' as const, classes: sem, mask: new Uint8Array([0, 0, 2, 2]) };
  const out = differenceImage(a, b, 0.5, new Uint8ClampedArray(16));
  const px = (i: number) => [...out.subarray(i * 4, i * 4 + 4)];
  assert.deepEqual(px(0), [0, 0, 0, 0]);
  assert.deepEqual(px(1), [...DIFF_COLOURS.onlyA, 255]);
  assert.deepEqual(px(2), [...DIFF_COLOURS.onlyB, 255]);
  assert.deepEqual(px(3), [...DIFF_COLOURS.both, 255]);
});

test('split position follows the pointer, clamped to the image', () => {
  assert.equal(splitAt(50, 200), 0.25);
  assert.equal(splitAt(-10, 200), 0);
  assert.equal(splitAt(999, 200), 1);
  assert.equal(splitAt(5, 0), 0.5);
});
