// The prompts of a prompt mode's refine editor (issue 25), as pure functions: the points and the
// box in force are those of the last prompt edit (a reset clears them), so undo and redo bring
// them back with the mask. The page adds and removes prompts here and asks the extension for the
// answer; the extension feeds the last answer back (`previous`) when the prompts only grew.
import type { MaskEdit, PromptMark, Pt, Rect } from './maskEdit';

export interface PromptSet {
  points: PromptMark[];
  box?: Rect;
}

/** One prompt as the list shows it: a point (its index in `points`) or the box. */
export type PromptItem = { kind: 'point'; index: number; mark: PromptMark } | { kind: 'box'; box: Rect };

export const EMPTY_PROMPTS: PromptSet = { points: [] };

/** The prompts behind the mask of `edits`: the last prompt edit's, none after a reset. */
export function promptsInForce(edits: readonly MaskEdit[]): PromptSet {
  for (let i = edits.length - 1; i >= 0; i--) {
    const e = edits[i];
    if (e.kind === 'reset') return EMPTY_PROMPTS;
    if (e.kind === 'prompt') return { points: e.points, ...(e.box ? { box: e.box } : {}) };
  }
  return EMPTY_PROMPTS;
}

/** The last prompt edit in force (its token is `previous`, its scores are what Tab cycles). */
export function lastPromptEdit(edits: readonly MaskEdit[]): Extract<MaskEdit, { kind: 'prompt' }> | undefined {
  for (let i = edits.length - 1; i >= 0; i--) {
    const e = edits[i];
    if (e.kind === 'reset') return undefined;
    if (e.kind === 'prompt') return e;
  }
  return undefined;
}

export const isEmpty = (s: PromptSet) => s.points.length === 0 && !s.box;

export function addPoint(s: PromptSet, p: Pt, label: 1 | 0): PromptSet {
  return { ...s, points: [...s.points, { x: p.x, y: p.y, label }] };
}

/** A new box replaces the old one (the contract takes one). */
export function setBox(s: PromptSet, box: Rect): PromptSet {
  return { ...s, box };
}

/** The list the page shows, points in the order added, then the box. */
export function promptItems(s: PromptSet): PromptItem[] {
  const items: PromptItem[] = s.points.map((mark, index) => ({ kind: 'point', index, mark }));
  if (s.box) items.push({ kind: 'box', box: s.box });
  return items;
}

/** Without the `n`th item of promptItems. */
export function removeItem(s: PromptSet, n: number): PromptSet {
  if (n < 0) return s;
  if (n < s.points.length) return { ...s, points: s.points.filter((_, i) => i !== n) };
  if (n === s.points.length && s.box) return { points: s.points };
  return s;
}

/** Backspace: without the last point, or the box when no point is left. */
export function removeLast(s: PromptSet): PromptSet {
  return s.points.length ? removeItem(s, s.points.length - 1) : removeItem(s, 0);
}

/** The point within `radius` image pixels of `p` (the nearest), or -1. */
export function pointNear(s: PromptSet, p: Pt, radius: number): number {
  let best = -1;
  let bestD = radius * radius;
  s.points.forEach((q, i) => {
    const d = (q.x - p.x) ** 2 + (q.y - p.y) ** 2;
    if (d <= bestD) [best, bestD] = [i, d];
  });
  return best;
}

/** True when `next` holds every prompt of `prev` and more: the previous answer is fed back then. */
export function grew(prev: PromptSet, next: PromptSet): boolean {
  const same = (a: PromptMark, b: PromptMark) => a.x === b.x && a.y === b.y && a.label === b.label;
  const sameBox = !prev.box || (!!next.box && (['left', 'top', 'width', 'height'] as const).every((k) => prev.box![k] === next.box![k]));
  const added = next.points.length + (next.box ? 1 : 0) > prev.points.length + (prev.box ? 1 : 0);
  return added && sameBox && prev.points.every((p, i) => next.points[i] !== undefined && same(p, next.points[i]));
}

/** A press and release this far apart on screen (CSS pixels) is a drag (a box), else a click. */
export const DRAG_MIN_PX = 4;
export function isDrag(aScreen: Pt, bScreen: Pt): boolean {
  return Math.hypot(bScreen.x - aScreen.x, bScreen.y - aScreen.y) >= DRAG_MIN_PX;
}
