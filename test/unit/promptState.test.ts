// Prompt modes' editor state (issue 25): the prompts in force follow the edit history (undo and
// redo bring them back), points and the box are added and removed one by one, a prompt answer
// mixes with brush strokes on replay, and a click at a zoom lands on the image pixel under it.
// Each is checked against a computation of its own here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EditHistory, MaskEditor } from '../../media/webview/shared/maskEdit';
import type { MaskEdit, PromptMark, Rect } from '../../media/webview/shared/maskEdit';
import { addPoint, EMPTY_PROMPTS, grew, isDrag, lastPromptEdit, pointNear, promptItems, promptsInForce, removeItem, removeLast, setBox } from '../../media/webview/shared/promptState';
import { imageToScreen, screenToImage } from '../../media/webview/inspect/zoom';

const W = 40;
const H = 30;

/** A disc mask (0/255) of radius r around (cx, cy), pixel centres. */
function disc(cx: number, cy: number, r: number): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) m[y * W + x] = 255;
  return m;
}
const promptEdit = (points: PromptMark[], mask: Uint8Array, token: string, box?: Rect): MaskEdit => ({
  kind: 'prompt',
  mask,
  points,
  ...(box ? { box } : {}),
  token,
  candidate: 0,
  scores: [0.9],
});

test('points and the box are added, listed and removed one by one; Backspace takes the last', () => {
  let s = addPoint(EMPTY_PROMPTS, { x: 3, y: 4 }, 1);
  s = addPoint(s, { x: 10, y: 12 }, 0);
  s = setBox(s, { left: 1, top: 2, width: 20, height: 10 });
  s = addPoint(s, { x: 30, y: 5 }, 1);
  assert.deepEqual(
    promptItems(s).map((i) => (i.kind === 'box' ? 'box' : `${i.mark.label}@${i.mark.x},${i.mark.y}`)),
    ['1@3,4', '0@10,12', '1@30,5', 'box'],
  );
  // A new box replaces the old one.
  assert.deepEqual(setBox(s, { left: 0, top: 0, width: 2, height: 2 }).box, { left: 0, top: 0, width: 2, height: 2 });
  assert.deepEqual(removeItem(s, 1).points, [s.points[0], s.points[2]]);
  assert.equal(removeItem(s, 3).box, undefined);
  assert.equal(removeItem(s, 3).points.length, 3);
  assert.deepEqual(removeItem(s, 9), s);
  let t = s;
  const lengths: string[] = [];
  while (t.points.length || t.box) {
    t = removeLast(t);
    lengths.push(`${t.points.length}${t.box ? '+box' : ''}`);
  }
  assert.deepEqual(lengths, ['2+box', '1+box', '0+box', '0']);
  assert.deepEqual(removeLast(EMPTY_PROMPTS), EMPTY_PROMPTS);
});

test('the point near a click is the nearest within the radius', () => {
  const s = addPoint(addPoint(addPoint(EMPTY_PROMPTS, { x: 5, y: 5 }, 1), { x: 8, y: 5 }, 0), { x: 30, y: 20 }, 1);
  assert.equal(pointNear(s, { x: 7, y: 5 }, 3), 1);
  assert.equal(pointNear(s, { x: 5.5, y: 5 }, 3), 0);
  assert.equal(pointNear(s, { x: 20, y: 20 }, 3), -1);
});

test('the previous answer is fed back only when the prompts grew', () => {
  const a = addPoint(EMPTY_PROMPTS, { x: 3, y: 4 }, 1);
  const b = addPoint(a, { x: 9, y: 9 }, 0);
  assert.equal(grew(a, b), true);
  assert.equal(grew(EMPTY_PROMPTS, a), true);
  assert.equal(grew(b, a), false);
  assert.equal(grew(a, setBox(a, { left: 0, top: 0, width: 3, height: 3 })), true);
  const boxed = setBox(a, { left: 0, top: 0, width: 3, height: 3 });
  assert.equal(grew(boxed, setBox(b, { left: 0, top: 0, width: 4, height: 3 })), false);
  assert.equal(grew(a, addPoint(EMPTY_PROMPTS, { x: 1, y: 1 }, 1)), false);
});

test('the prompts in force follow undo and redo; a reset clears them', () => {
  const p1 = [{ x: 10, y: 10, label: 1 as const }];
  const p2 = [...p1, { x: 25, y: 15, label: 1 as const }];
  const h = new EditHistory<MaskEdit>();
  h.push(promptEdit(p1, disc(10, 10, 5), 't1'));
  h.push({ kind: 'stroke', points: [{ x: 2, y: 2 }], radius: 2, value: 255, erase: false });
  h.push(promptEdit(p2, disc(25, 15, 5), 't2'));
  assert.deepEqual(promptsInForce(h.applied).points, p2);
  assert.equal(lastPromptEdit(h.applied)?.token, 't2');
  h.undo();
  assert.deepEqual(promptsInForce(h.applied).points, p1);
  assert.equal(lastPromptEdit(h.applied)?.token, 't1');
  h.redo();
  h.push({ kind: 'reset' });
  assert.deepEqual(promptsInForce(h.applied), EMPTY_PROMPTS);
  assert.equal(lastPromptEdit(h.applied), undefined);
});

test('replay mixes prompt answers with strokes: each prompt answer sets the mask, strokes paint over it', () => {
  const base = new Uint8Array(W * H);
  const a = disc(10, 10, 6);
  const b = disc(28, 18, 7);
  const edits: MaskEdit[] = [
    promptEdit([{ x: 10, y: 10, label: 1 }], a, 't1'),
    { kind: 'stroke', points: [{ x: 0, y: 29 }, { x: 39, y: 29 }], radius: 1, value: 255, erase: false },
    { kind: 'stroke', points: [{ x: 10, y: 10 }], radius: 2, value: 0, erase: false },
  ];
  // Independent: the disc, a 1-px band along y = 29 (centres within 1 of the line y=29: rows 28 and 29), minus a dot at (10,10).
  const expected = a.slice();
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (Math.abs(y + 0.5 - 29) <= 1) expected[y * W + x] = 255;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x + 0.5 - 10) ** 2 + (y + 0.5 - 10) ** 2 <= 4) expected[y * W + x] = 0;
  assert.deepEqual(MaskEditor.replay(base, W, H, edits).mask, expected);
  // A later prompt answer replaces the mask; an eraser stroke then restores the (empty) start.
  const more: MaskEdit[] = [...edits, promptEdit([{ x: 28, y: 18, label: 1 }], b, 't2'), { kind: 'stroke', points: [{ x: 28, y: 18 }], radius: 3, value: 0, erase: true }];
  const expected2 = b.slice();
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x + 0.5 - 28) ** 2 + (y + 0.5 - 18) ** 2 <= 9) expected2[y * W + x] = 0;
  assert.deepEqual(MaskEditor.replay(base, W, H, more).mask, expected2);
  // Undoing the last two edits is the replay of the first three.
  assert.deepEqual(MaskEditor.replay(base, W, H, more.slice(0, 3)).mask, expected);
});

test('a click at a zoom lands on the image pixel under it; a small move is a click, a longer one a drag', () => {
  for (const v of [
    { zoom: 1, x: 0, y: 0 },
    { zoom: 2.5, x: 13, y: -40 },
    { zoom: 0.37, x: 100.5, y: 7.25 },
  ]) {
    // The pixel whose centre is drawn at a screen point: independent arithmetic.
    for (const screen of [{ x: 50, y: 60 }, { x: 133.3, y: 21.9 }]) {
      const p = screenToImage(v, screen);
      assert.ok(Math.abs(p.x - (screen.x - v.x) / v.zoom) < 1e-9 && Math.abs(p.y - (screen.y - v.y) / v.zoom) < 1e-9);
      const back = imageToScreen(v, p);
      assert.ok(Math.abs(back.x - screen.x) < 1e-9 && Math.abs(back.y - screen.y) < 1e-9);
    }
    // A point drawn at its image position is found again by a click on its marker (6 screen px → image px at this zoom).
    const s = addPoint(EMPTY_PROMPTS, { x: 20, y: 15 }, 1);
    const marker = imageToScreen(v, { x: 20, y: 15 });
    const click = screenToImage(v, { x: marker.x + 4, y: marker.y - 3 });
    assert.equal(pointNear(s, click, 6 / v.zoom), 0);
    assert.equal(pointNear(s, screenToImage(v, { x: marker.x + 9, y: marker.y }), 6 / v.zoom), -1);
  }
  assert.equal(isDrag({ x: 0, y: 0 }, { x: 2, y: 2 }), false);
  assert.equal(isDrag({ x: 0, y: 0 }, { x: 3, y: 3 }), true);
});
