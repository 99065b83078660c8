// Mask editing (media/webview/shared/maskEdit.ts, issue 22): connected regions, the brush
// rasteriser at fractional zoom, box merge, keep/remove and the undo history, each checked
// against a computation of its own here (union-find labels, distances to the segment, loops).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EditHistory, MaskEditor, boxRegion, connectedRegion, rasterSegment, subjectAt } from '../../media/webview/shared/maskEdit';
import type { MaskEdit } from '../../media/webview/shared/maskEdit';
import { screenToImage } from '../../media/webview/inspect/zoom';

/** A deterministic pseudo-random source (xorshift). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Component labels by union-find over the grid (a different method from the flood fill). */
function labels(inside: Uint8Array, w: number, h: number, eight: boolean): Int32Array {
  const parent = Int32Array.from({ length: w * h }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const join = (a: number, b: number) => (parent[find(a)] = find(b));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!inside[i]) continue;
      if (x > 0 && inside[i - 1]) join(i, i - 1);
      if (y > 0 && inside[i - w]) join(i, i - w);
      if (eight && y > 0 && x > 0 && inside[i - w - 1]) join(i, i - w - 1);
      if (eight && y > 0 && x < w - 1 && inside[i - w + 1]) join(i, i - w + 1);
    }
  }
  return Int32Array.from({ length: w * h }, (_, i) => (inside[i] ? find(i) : -1));
}

test('connected regions, 4- and 8-neighbour, agree with union-find labels on random masks', () => {
  const r = rng(7);
  const [w, h] = [37, 23];
  for (let round = 0; round < 20; round++) {
    const inside = Uint8Array.from({ length: w * h }, () => (r() < 0.45 ? 1 : 0));
    for (const eight of [false, true]) {
      const lab = labels(inside, w, h, eight);
      const seed = Math.floor(r() * w * h);
      const got = connectedRegion(w, h, seed, (i) => inside[i] === 1, eight ? 8 : 4);
      const want = lab.map((l) => (inside[seed] && l === lab[seed] ? 1 : 0));
      assert.deepEqual(Array.from(got), Array.from(want), `round ${round}, ${eight ? 8 : 4}-neighbour`);
    }
  }
});

test('two diagonal pixels are one region with 8 neighbours and two with 4', () => {
  const inside = Uint8Array.from([1, 0, 0, 1]);
  assert.deepEqual(Array.from(connectedRegion(2, 2, 0, (i) => inside[i] === 1, 8)), [1, 0, 0, 1]);
  assert.deepEqual(Array.from(connectedRegion(2, 2, 0, (i) => inside[i] === 1, 4)), [1, 0, 0, 0]);
  assert.deepEqual(Array.from(connectedRegion(2, 2, 1, (i) => inside[i] === 1, 8)), [0, 0, 0, 0], 'a seed outside gives nothing');
});

/** Distance from p to the segment a-b by cases (endpoint or perpendicular), not by clamped projection. */
function distance(p: { x: number; y: number }, a: { x: number; y: number }, b: { x: number; y: number }): number {
  const [abx, aby, apx, apy, bpx, bpy] = [b.x - a.x, b.y - a.y, p.x - a.x, p.y - a.y, p.x - b.x, p.y - b.y];
  const len = Math.hypot(abx, aby);
  if (len === 0) return Math.hypot(apx, apy);
  if (apx * abx + apy * aby <= 0) return Math.hypot(apx, apy);
  if (bpx * abx + bpy * aby >= 0) return Math.hypot(bpx, bpy);
  return Math.abs(abx * apy - aby * apx) / len;
}

test('the brush rasteriser at fractional zoom covers exactly the pixels whose centres are within the radius', () => {
  const [w, h] = [60, 40];
  const view = { zoom: 2.37, x: 13.4, y: -7.9 };
  const r = rng(11);
  for (let k = 0; k < 30; k++) {
    // Pointer positions on screen, mapped to image pixels as the page maps them.
    const a = screenToImage(view, { x: r() * 160, y: r() * 100 });
    const b = screenToImage(view, { x: r() * 160, y: r() * 100 });
    const radius = 0.5 + r() * 6;
    const hits = new Set<number>();
    rasterSegment(a, b, radius, w, h, (i) => hits.add(i));
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const d = distance({ x: x + 0.5, y: y + 0.5 }, a, b);
        if (Math.abs(d - radius) < 1e-9) continue; // on the edge: either answer is right
        assert.equal(hits.has(y * w + x), d < radius, `segment ${k}: pixel ${x},${y} at ${d} for radius ${radius}`);
      }
    }
  }
});

test('a stroke paints at once, an eraser stroke restores the starting mask under it', () => {
  const [w, h] = [20, 10];
  const base = Uint8Array.from({ length: w * h }, (_, i) => (i % 7) * 30);
  const e = new MaskEditor(base, w, h);
  const points = [
    { x: 2.5, y: 5.5 },
    { x: 17.5, y: 5.5 },
  ];
  e.apply({ kind: 'stroke', points, radius: 1.5, value: 255, erase: false });
  for (let i = 0; i < w * h; i++) {
    const x = i % w;
    const y = Math.floor(i / w);
    const on = distance({ x: x + 0.5, y: y + 0.5 }, points[0], points[1]) <= 1.5;
    assert.equal(e.mask[i], on ? 255 : base[i], `pixel ${x},${y}`);
  }
  e.apply({ kind: 'stroke', points, radius: 3, value: 0, erase: true });
  assert.deepEqual(Array.from(e.mask), Array.from(base));
});

test('a stroke drawn segment by segment equals the same stroke replayed', () => {
  const [w, h] = [30, 30];
  const base = new Uint8Array(w * h);
  const live = new MaskEditor(base, w, h);
  const points = [{ x: 3.2, y: 4.7 }];
  live.stroke(points, 2.2, 9, false);
  for (const p of [
    { x: 10.1, y: 8.3 },
    { x: 20.6, y: 25.9 },
    { x: 5.5, y: 28 },
  ]) {
    points.push(p);
    live.stroke(points, 2.2, 9, false, points.length - 1);
  }
  const replayed = MaskEditor.replay(base, w, h, [{ kind: 'stroke', points, radius: 2.2, value: 9, erase: false }]);
  assert.deepEqual(Array.from(live.mask), Array.from(replayed.mask));
});

test('a box replaces the mask inside it from the region result, and clears the outside on request', () => {
  const [w, h] = [12, 8];
  const base = Uint8Array.from({ length: w * h }, (_, i) => 100 + (i % 5));
  const box = { left: 3, top: 2, width: 4, height: 3 };
  const region = boxRegion(box, w, h, 0.5, 1);
  assert.deepEqual(region, { left: 1, top: 0, width: 8, height: 7 }, '50% margin, clipped to the image');
  const regionMask = Uint8Array.from({ length: region.width * region.height }, (_, i) => i % 251);
  for (const clearOutside of [false, true]) {
    const e = MaskEditor.replay(base, w, h, [{ kind: 'box', box, region, mask: regionMask, clearOutside }]);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inBox = x >= 3 && x < 7 && y >= 2 && y < 5;
        const want = inBox ? regionMask[(y - region.top) * region.width + (x - region.left)] : clearOutside ? 0 : base[y * w + x];
        assert.equal(e.mask[y * w + x], want, `${x},${y} clearOutside=${clearOutside}`);
      }
    }
  }
  assert.deepEqual(boxRegion({ left: 0, top: 0, width: 2, height: 2 }, 100, 100), { left: 0, top: 0, width: 16, height: 16 }, 'at least 16 px a side');
});

/** Two subjects (cores of 255 with a soft edge of 60) on a 20x10 matte. */
function twoSubjects(): { mask: Uint8Array; w: number; h: number } {
  const [w, h] = [20, 10];
  const mask = new Uint8Array(w * h);
  const blob = (x0: number, x1: number) => {
    for (let y = 2; y < 8; y++) for (let x = x0 - 1; x <= x1; x++) mask[y * w + x] = x === x0 - 1 || x === x1 || y === 2 || y === 7 ? 60 : 255;
  };
  blob(2, 7);
  blob(12, 17);
  return { mask, w, h };
}

test('keep keeps the subject under the click with its soft edge; shift adds back the other; remove removes one', () => {
  const { mask, w, h } = twoSubjects();
  const left = subjectAt(mask, w, h, { x: 4, y: 4 }, 0.5);
  const inLeft = (i: number) => i % w >= 1 && i % w <= 7 && mask[i] > 0;
  assert.deepEqual(Array.from(left), Array.from(mask, (_, i) => (inLeft(i) ? 1 : 0)), 'core and edge of the left subject only');
  const keep: MaskEdit = { kind: 'keep', at: { x: 4.5, y: 4.5 }, add: false, threshold: 0.5 };
  const kept = MaskEditor.replay(mask, w, h, [keep]);
  assert.deepEqual(Array.from(kept.mask), Array.from(mask, (v, i) => (inLeft(i) ? v : 0)));
  const both = MaskEditor.replay(mask, w, h, [keep, { kind: 'keep', at: { x: 14, y: 4 }, add: true, threshold: 0.5 }]);
  assert.deepEqual(Array.from(both.mask), Array.from(mask));
  const removed = MaskEditor.replay(mask, w, h, [{ kind: 'remove', at: { x: 14, y: 4 }, threshold: 0.5 }]);
  assert.deepEqual(Array.from(removed.mask), Array.from(kept.mask));
  const reset = MaskEditor.replay(mask, w, h, [keep, { kind: 'reset' }]);
  assert.deepEqual(Array.from(reset.mask), Array.from(mask));
});

test('relabel changes the class of the one connected region under the click', () => {
  const [w, h] = [6, 3];
  // class 1 in two separate areas, class 2 between them
  const mask = Uint8Array.from([1, 1, 2, 2, 1, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0]);
  const e = MaskEditor.replay(mask, w, h, [{ kind: 'relabel', at: { x: 0, y: 0 }, value: 5 }]);
  assert.deepEqual(Array.from(e.mask), [5, 5, 2, 2, 1, 1, 5, 5, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0]);
});

test('the edit history: push drops undone edits; undo and redo move through the rest', () => {
  const hist = new EditHistory<string>();
  const model: string[] = [];
  let undone: string[] = [];
  const check = () => assert.deepEqual(hist.applied, model);
  for (const step of ['a', 'b', 'undo', 'undo', 'redo', 'c', 'redo', 'undo', 'undo', 'undo', 'redo', 'd']) {
    if (step === 'undo') {
      const ok = hist.undo();
      assert.equal(ok, model.length > 0);
      if (ok) undone.push(model.pop()!);
    } else if (step === 'redo') {
      const ok = hist.redo();
      assert.equal(ok, undone.length > 0);
      if (ok) model.push(undone.pop()!);
    } else {
      hist.push(step);
      model.push(step);
      undone = [];
    }
    check();
  }
  assert.deepEqual(hist.applied, ['a', 'd']);
  assert.equal(hist.canRedo, false);
});
