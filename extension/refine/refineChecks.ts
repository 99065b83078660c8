// The refine editor's messages from the page, checked like every other page message
// (../preview/webviewMessages.ts calls this): exactly the fields of a RefineFromWebview, finite
// numbers, points and boxes inside the image. Pure (no vscode import): unit-tested.
import type { MaskEdit, PromptMark, Pt, Rect } from '../../media/webview/shared/maskEdit';
import { PROMPT_MAX_POINTS } from '../../daemon/api/protocol';
import { REFINE_ACTIONS, RefineAction, RefineFromWebview } from '../../media/webview/shared/refineMessages';

export type CheckedRefine = { ok: true; message: RefineFromWebview } | { ok: false; reason: string };

/** Far more points than a long stroke has (pointer events come at display rate). */
const MAX_POINTS = 100_000;
const MAX_RADIUS = 2_000;

const refuse = (reason: string): CheckedRefine => ({ ok: false, reason });
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const extraKey = (o: Record<string, unknown>, allowed: string[]) => Object.keys(o).find((k) => !allowed.includes(k));
const num = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
const whole = (v: unknown, min: number, max: number) => num(v, min, max) && Number.isInteger(v);

function point(v: unknown, size: { width: number; height: number }): Pt | undefined {
  if (!isObject(v) || extraKey(v, ['x', 'y'])) return undefined;
  // A stroke may start or pass outside the image (its brush still reaches in).
  const pad = MAX_RADIUS;
  return num(v.x, -pad, size.width + pad) && num(v.y, -pad, size.height + pad) ? { x: v.x as number, y: v.y as number } : undefined;
}

/** A box in whole pixels inside the image, at least one pixel a side. */
export function checkRect(v: unknown, size: { width: number; height: number }): Rect | string {
  if (!isObject(v) || extraKey(v, ['left', 'top', 'width', 'height'])) return 'box must be {left, top, width, height}';
  if (!whole(v.left, 0, size.width - 1) || !whole(v.top, 0, size.height - 1)) return 'box left/top must be whole pixels inside the image';
  if (!whole(v.width, 1, size.width - (v.left as number)) || !whole(v.height, 1, size.height - (v.top as number))) return 'box width/height must be whole pixels inside the image';
  return { left: v.left as number, top: v.top as number, width: v.width as number, height: v.height as number };
}

/** An edit the page may make (a box comes from the extension, never from the page). */
function checkEdit(v: unknown, size: { width: number; height: number }): MaskEdit | string {
  if (!isObject(v)) return 'edit must be an object';
  const fields: Record<string, string[]> = { keep: ['at', 'add', 'threshold'], remove: ['at', 'threshold'], relabel: ['at', 'value'], stroke: ['points', 'radius', 'value', 'erase'], reset: [] };
  const allowed = typeof v.kind === 'string' ? fields[v.kind] : undefined;
  if (!allowed) return `unknown edit kind ${JSON.stringify(String(v.kind)).slice(0, 30)}`;
  const extra = extraKey(v, ['kind', ...allowed]);
  if (extra) return `unexpected edit field '${extra}'`;
  const at = allowed.includes('at') ? point(v.at, size) : undefined;
  if (allowed.includes('at') && !at) return 'at must be a point in the image';
  if (allowed.includes('threshold') && !num(v.threshold, 0, 1)) return 'threshold must be 0..1';
  if (allowed.includes('value') && !whole(v.value, 0, 255)) return 'value must be a whole number 0..255';
  switch (v.kind) {
    case 'keep':
      return typeof v.add === 'boolean' ? { kind: 'keep', at: at!, add: v.add, threshold: v.threshold as number } : 'add must be a boolean';
    case 'remove':
      return { kind: 'remove', at: at!, threshold: v.threshold as number };
    case 'relabel':
      return { kind: 'relabel', at: at!, value: v.value as number };
    case 'reset':
      return { kind: 'reset' };
    default: {
      if (!Array.isArray(v.points) || v.points.length < 1 || v.points.length > MAX_POINTS) return `points must be 1..${MAX_POINTS} points`;
      const points = v.points.map((p) => point(p, size));
      if (points.some((p) => !p)) return 'points must be points near the image';
      if (!num(v.radius, 0.5, MAX_RADIUS)) return `radius must be 0.5..${MAX_RADIUS}`;
      if (typeof v.erase !== 'boolean') return 'erase must be a boolean';
      return { kind: 'stroke', points: points as Pt[], radius: v.radius as number, value: v.value as number, erase: v.erase };
    }
  }
}

/** Prompts (issue 25): 0..PROMPT_MAX_POINTS points inside the image, an optional box, at least one of them. */
function checkPrompt(o: Record<string, unknown>, size: { width: number; height: number }): CheckedRefine {
  if (!Array.isArray(o.points) || o.points.length > PROMPT_MAX_POINTS) return refuse(`points must be 0..${PROMPT_MAX_POINTS} points`);
  const points: PromptMark[] = [];
  for (const p of o.points as unknown[]) {
    if (!isObject(p) || extraKey(p, ['x', 'y', 'label'])) return refuse('a prompt point must be {x, y, label}');
    if (!num(p.x, 0, size.width) || !num(p.y, 0, size.height)) return refuse('prompt points must be inside the image');
    if (p.label !== 1 && p.label !== 0) return refuse('a prompt point label must be 1 or 0');
    points.push({ x: p.x as number, y: p.y as number, label: p.label });
  }
  const box = o.box === undefined ? undefined : checkRect(o.box, size);
  if (typeof box === 'string') return refuse(box);
  if (!points.length && !box) return refuse('a prompt needs a point or a box');
  return { ok: true, message: { type: 'refinePrompt', points, ...(box ? { box } : {}) } };
}

/** A refine message, for an editor whose mask is `size`. */
export function checkRefine(o: Record<string, unknown>, size: { width: number; height: number }): CheckedRefine {
  const fields: Record<string, string[]> = { refineEdit: ['edit'], refineBox: ['box', 'clearOutside'], refineAction: ['action', 'threshold'], refinePrompt: ['points', 'box'], refineCandidate: [] };
  const extra = extraKey(o, ['type', ...(fields[o.type as string] ?? [])]);
  if (extra) return refuse(`unexpected field '${extra}'`);
  if (o.type === 'refinePrompt') return checkPrompt(o, size);
  if (o.type === 'refineCandidate') return { ok: true, message: { type: 'refineCandidate' } };
  if (o.type === 'refineEdit') {
    const edit = checkEdit(o.edit, size);
    return typeof edit === 'string' ? refuse(edit) : { ok: true, message: { type: 'refineEdit', edit } };
  }
  if (o.type === 'refineBox') {
    const box = checkRect(o.box, size);
    if (typeof box === 'string') return refuse(box);
    return typeof o.clearOutside === 'boolean' ? { ok: true, message: { type: 'refineBox', box, clearOutside: o.clearOutside } } : refuse('clearOutside must be a boolean');
  }
  if (!REFINE_ACTIONS.includes(o.action as RefineAction)) return refuse('unknown action');
  if (!num(o.threshold, 0, 1)) return refuse('threshold must be 0..1');
  return { ok: true, message: { type: 'refineAction', action: o.action as RefineAction, threshold: o.threshold as number } };
}
