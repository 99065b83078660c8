// The semantic legend of the preview: order by area, hide, solo, show all, colours.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ClassInfo } from '../../daemon/api/protocol';
import { classShares, colourTable, defaultHidden, formatFraction, hiddenFor, isSolo, legendOrder, showAll, solo, toggle } from '../../media/webview/legend';

const classes: ClassInfo[] = [
  { id: 0, label: 'background', color: [0, 0, 0], fraction: 0.25 },
  { id: 1, label: 'red', color: [255, 0, 0], fraction: 0.4 },
  { id: 2, label: 'green', color: [0, 255, 0], fraction: 0.25 },
  { id: 3, label: 'blue', color: [0, 0, 255], fraction: 0.1 },
];

test('largest area first, ties by id', () => {
  assert.deepEqual(legendOrder(classes).map((c) => c.id), [1, 0, 2, 3]);
  assert.deepEqual(classes.map((c) => c.id), [0, 1, 2, 3], 'the input is not reordered');
});

test('background is hidden until the user chooses; the choice is per mode', () => {
  assert.deepEqual(defaultHidden(classes), [0]);
  assert.deepEqual(defaultHidden([{ id: 0, label: 'wall', color: [1, 1, 1], fraction: 1 }]), [], 'index 0 is not background by itself (ADE20K)');
  assert.deepEqual(hiddenFor(undefined, 'seg', classes), [0]);
  assert.deepEqual(hiddenFor({ seg: [] }, 'seg', classes), [], 'the user showed everything');
  assert.deepEqual(hiddenFor({ other: [2] }, 'seg', classes), [0]);
});

test('click toggles one class', () => {
  assert.deepEqual(toggle([0], 2), [0, 2]);
  assert.deepEqual(toggle([0, 2], 2), [0]);
});

test('alt+click shows one class alone; again shows all', () => {
  const s = solo([0], classes, 2);
  assert.deepEqual(s, [0, 1, 3]);
  assert.ok(isSolo(s, classes, 2));
  assert.ok(!isSolo([0], classes, 2));
  assert.deepEqual(solo(s, classes, 2), [], 'solo on the lone class shows all');
  assert.deepEqual(solo(s, classes, 1), [0, 2, 3], 'solo on another class moves the solo');
});

test('hidden ids of classes absent from this result are kept', () => {
  assert.deepEqual(solo([7], classes, 1), [0, 2, 3, 7]);
  assert.deepEqual(showAll([0, 2, 7], classes), [7]);
});

test('colour table: shown classes only; unknown values have no colour', () => {
  const t = colourTable(classes, [0, 3]);
  assert.equal(t.length, 256);
  assert.equal(t[0], null);
  assert.deepEqual(t[1], [255, 0, 0]);
  assert.deepEqual(t[2], [0, 255, 0]);
  assert.equal(t[3], null);
  assert.equal(t[9], null);
});

test('fractions', () => {
  assert.equal(formatFraction(0.4), '40.0%');
  assert.equal(formatFraction(0.0004), '<0.1%');
  assert.equal(formatFraction(0), '0.0%');
});

test('classShares: the shares of an edited mask (binary: sum of alpha / 255 / N; semantic: counts / N)', () => {
  const binary: ClassInfo[] = [
    { id: 0, label: 'background', color: [0, 0, 0], fraction: 1 },
    { id: 1, label: 'foreground', color: [255, 255, 255], fraction: 0 },
  ];
  const shares = classShares('binary', binary, Uint8Array.from([255, 255, 0, 0, 0, 0, 0, 102]));
  assert.deepEqual(
    shares.map((c) => c.fraction),
    [1 - 2.4 / 8, 2.4 / 8],
  );
  assert.deepEqual(shares.map((c) => c.label), ['background', 'foreground'], 'labels and colours kept');
  assert.equal(binary[1].fraction, 0, 'the classes given are not changed');
  const semantic = classShares('semantic', classes, Uint8Array.from([1, 1, 1, 2, 0, 0, 3, 1]));
  assert.deepEqual(
    semantic.map((c) => [c.id, c.fraction]),
    [
      [0, 0.25],
      [1, 0.5],
      [2, 0.125],
      [3, 0.125],
    ],
  );
});
