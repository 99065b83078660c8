// The preview of an instance mode (issue 24): which instances the score slider and the class
// toggles leave shown, the drawing of the id map (fill, outline, highlight), the instance under
// a pixel, the readout, the list's keys, and the comparison's foreground; each checked against
// a computation written here.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { SegmentInstance } from '../../daemon/api/protocol';
import { FILL_ALPHA, instanceAt, instanceColour, moveHighlight, paintInstances, shownInstances, shownTable } from '../../media/webview/instanceView';
import { formatReadout, readoutAt } from '../../media/webview/inspect/readout';
import { foregroundOf } from '../../media/webview/inspect/compare';

const inst = (id: number, cls: number, score: number, area = 0): SegmentInstance => ({ id, class: cls, label: ['person', 'dog', 'cat'][cls], score, area, box: { left: 0, top: 0, width: 1, height: 1 } });
const instances = [inst(1, 0, 0.9, 12), inst(2, 1, 0.6, 8), inst(3, 0, 0.3, 4)];

// 8 x 6: instance 1 a 4x4 block, 2 beside it (3x3), 3 a single row of 2 under 1.
const W = 8;
const H = 6;
const MAP = Uint8Array.from(
  [
    [0, 1, 1, 1, 1, 2, 2, 2],
    [0, 1, 1, 1, 1, 2, 2, 2],
    [0, 1, 1, 1, 1, 2, 2, 2],
    [0, 1, 1, 1, 1, 0, 0, 0],
    [0, 3, 3, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
  ].flat(),
);

test('the slider and the class toggles decide what is shown', () => {
  const t = shownTable(instances, 0.5, []);
  assert.deepEqual([t[1], t[2], t[3]], [1, 1, 0]);
  assert.deepEqual(
    shownInstances(instances, 0, [0]).map((i) => i.id),
    [2],
    'hiding person hides instances 1 and 3',
  );
  assert.deepEqual(
    shownInstances(instances, 0.3, []).map((i) => i.id),
    [1, 2, 3],
    'a score equal to the slider is shown',
  );
  assert.equal(shownTable(instances, 0, [])[0], 0, 'background is never an instance');
});

/** Expected RGBA at pixel i, computed from the map directly (outline width 1: a 4-neighbour with another visible id). */
function expected(map: Uint8Array, shown: Uint8Array, highlight: number, outlineOnly: boolean, i: number): [number, number, number, number] {
  const vis = (j: number) => (shown[map[j]] ? map[j] : 0);
  const id = vis(i);
  if (!id) return [0, 0, 0, 0];
  const x = i % W;
  const y = Math.floor(i / W);
  const neighbours = [x > 0 ? i - 1 : -1, x < W - 1 ? i + 1 : -1, y > 0 ? i - W : -1, y < H - 1 ? i + W : -1].filter((j) => j >= 0);
  const border = neighbours.some((j) => vis(j) !== id);
  const alpha = border ? 255 : id === highlight ? FILL_ALPHA.highlighted : outlineOnly ? 0 : highlight ? FILL_ALPHA.faded : FILL_ALPHA.normal;
  const c = instanceColour(id);
  return [c[0], c[1], c[2], alpha];
}

test('each shown instance in its colour, its border opaque; the highlighted one stands out', () => {
  for (const [minScore, highlight, outlineOnly] of [
    [0, 0, false],
    [0.5, 0, false],
    [0, 2, false],
    [0, 1, true],
  ] as const) {
    const shown = shownTable(instances, minScore, []);
    const out = paintInstances(MAP, W, H, { shown, highlight, outlineWidth: 1, outlineOnly }, new Uint8ClampedArray(W * H * 4));
    for (let i = 0; i < W * H; i++) {
      const want = expected(MAP, shown, highlight, outlineOnly, i);
      const got = Array.from(out.subarray(i * 4, i * 4 + 4));
      if (want[3] === 0) assert.equal(got[3], 0, `pixel ${i} transparent (min ${minScore}, highlight ${highlight})`);
      else assert.deepEqual(got, want, `pixel ${i} (min ${minScore}, highlight ${highlight}, outline only ${outlineOnly})`);
    }
  }
  // Instance 3 hidden: the pixels of 1 above it are no longer a border with 3 but with
  // background, so still a border; a pixel inside 1 stays a fill.
  const shown = shownTable(instances, 0.5, []);
  const out = paintInstances(MAP, W, H, { shown, highlight: 0, outlineWidth: 1, outlineOnly: false }, new Uint8ClampedArray(W * H * 4));
  assert.equal(out[(1 * W + 2) * 4 + 3], FILL_ALPHA.normal);
  assert.equal(out[(4 * W + 1) * 4 + 3], 0, 'the hidden instance is not drawn');
});

test('colours of neighbouring ids differ', () => {
  const seen = new Set<string>();
  for (let id = 1; id <= 40; id++) seen.add(instanceColour(id).join(','));
  assert.equal(seen.size, 40);
  for (const c of [instanceColour(1), instanceColour(255)]) for (const v of c) assert.ok(Number.isInteger(v) && v >= 0 && v <= 255);
});

test('the instance under a pixel, and the readout that names it', () => {
  const all = shownTable(instances, 0, []);
  assert.equal(instanceAt(MAP, W, H, all, 2.7, 0.2), 1);
  assert.equal(instanceAt(MAP, W, H, all, 6, 2), 2);
  assert.equal(instanceAt(MAP, W, H, all, 0, 0), 0, 'background');
  assert.equal(instanceAt(MAP, W, H, all, -1, 0), 0, 'outside');
  assert.equal(instanceAt(MAP, W, H, all, W, 0), 0, 'outside');
  assert.equal(instanceAt(MAP, W, H, shownTable(instances, 0.5, []), 1, 4), 0, 'a hidden instance is not under the cursor');
  const m = { task: 'instance' as const, classes: [], width: W, height: H, mask: MAP, instances, shown: all };
  const r = readoutAt(m, 6, 1, 0.5);
  assert.equal(r?.instance?.id, 2);
  assert.equal(formatReadout(r), 'x 6, y 1 · instance #2 dog 0.60 · area 8 px');
  assert.equal(formatReadout(readoutAt(m, 0, 5, 0.5)), 'x 0, y 5 · background');
});

test('the list: arrow keys, Home and End move the highlight, clamped at the ends', () => {
  const ids = [1, 2, 3];
  assert.equal(moveHighlight(ids, 0, 'ArrowDown'), 1, 'from none: the first');
  assert.equal(moveHighlight(ids, 1, 'ArrowDown'), 2);
  assert.equal(moveHighlight(ids, 3, 'ArrowDown'), 3);
  assert.equal(moveHighlight(ids, 2, 'ArrowUp'), 1);
  assert.equal(moveHighlight(ids, 1, 'ArrowUp'), 1);
  assert.equal(moveHighlight(ids, 2, 'End'), 3);
  assert.equal(moveHighlight(ids, 3, 'Home'), 1);
  assert.equal(moveHighlight(ids, 1, 'a'), undefined);
  assert.equal(moveHighlight([], 0, 'ArrowDown'), undefined);
});

test('compare: an instance map\'s foreground is every instance, whatever the labels', () => {
  const fg = foregroundOf({ task: 'instance', classes: [{ id: 0, label: 'person', color: [0, 0, 0], fraction: 0 }], mask: MAP }, 0.5);
  assert.deepEqual(Array.from(fg), Array.from(MAP, (v) => (v ? 1 : 0)));
});
