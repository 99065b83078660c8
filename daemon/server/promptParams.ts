// Checks of seglens/embed and seglens/prompt params (issue 25), before any work: what can be
// told without the image. Points and a box inside the image are checked once its size is
// known (checkInsideImage, after the embedding).
import { invalidParams } from '../api/errors';
import { DisplayRegion, EmbedParams, PROMPT_MAX_POINTS, PromptParams, PromptPoint, SegmentPriority } from '../api/protocol';
import { Obj, imageSource, obj, str } from './params';

function priority(o: Obj, m: string): SegmentPriority | undefined {
  if (o.priority !== undefined && o.priority !== 'interactive' && o.priority !== 'batch') throw invalidParams(`${m}: 'priority' must be 'interactive' or 'batch'`);
  return o.priority as SegmentPriority | undefined;
}

export function embedParams(p: unknown): EmbedParams {
  const m = 'seglens/embed';
  const o = obj(p, m);
  const out: EmbedParams = { mode: str(o, 'mode', m), image: imageSource(o, 'image', m) };
  const pr = priority(o, m);
  if (pr) out.priority = pr;
  return out;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function point(v: unknown, i: number, m: string): PromptPoint {
  const must = `${m}: points[${i}] must be {x, y, label: 1 | 0} (x, y in oriented-image pixels)`;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidParams(must);
  const { x, y, label } = v as Obj;
  if (!finite(x) || !finite(y)) throw invalidParams(`${must}: x and y must be numbers`);
  if (label !== 1 && label !== 0) throw invalidParams(`${must}: label is ${JSON.stringify(label)}`);
  return { x, y, label };
}

function box(v: unknown, m: string): DisplayRegion {
  const must = `${m}: 'box' must be {left, top, width, height} in oriented-image pixels, width and height > 0`;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidParams(must);
  const { left, top, width, height } = v as Obj;
  if (![left, top, width, height].every(finite)) throw invalidParams(`${must}: each must be a number`);
  if ((width as number) <= 0 || (height as number) <= 0) throw invalidParams(`${must}: got ${String(width)} x ${String(height)}`);
  return { left: left as number, top: top as number, width: width as number, height: height as number };
}

export function promptParams(p: unknown): PromptParams {
  const m = 'seglens/prompt';
  const o = obj(p, m);
  const out: PromptParams = { mode: str(o, 'mode', m), image: imageSource(o, 'image', m) };
  if (o.points !== undefined) {
    if (!Array.isArray(o.points)) throw invalidParams(`${m}: 'points' must be an array of {x, y, label}`);
    if (o.points.length > PROMPT_MAX_POINTS) throw invalidParams(`${m}: ${o.points.length} points; at most ${PROMPT_MAX_POINTS}`);
    out.points = o.points.map((v, i) => point(v, i, m));
  }
  if (o.box !== undefined) out.box = box(o.box, m);
  if (!out.points?.length && !out.box) throw invalidParams(`${m}: no prompt: give at least one point or a box`);
  if (o.previous !== undefined) out.previous = str(o, 'previous', m);
  if (o.previousCandidate !== undefined) {
    const c = o.previousCandidate;
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0) throw invalidParams(`${m}: 'previousCandidate' must be a candidate index (a whole number >= 0)`);
    if (out.previous === undefined) throw invalidParams(`${m}: 'previousCandidate' goes with 'previous'`);
    out.previousCandidate = c;
  }
  return out;
}

/** Every point and the box inside the oriented image (0 <= x <= width, 0 <= y <= height), else -32602 naming the first outside. */
export function checkInsideImage(p: PromptParams, width: number, height: number): void {
  const m = 'seglens/prompt';
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x <= width && y <= height;
  (p.points ?? []).forEach((q, i) => {
    if (!inside(q.x, q.y)) throw invalidParams(`${m}: points[${i}] (${q.x}, ${q.y}) is outside the image (${width} x ${height})`);
  });
  const b = p.box;
  if (b && !(inside(b.left, b.top) && inside(b.left + b.width, b.top + b.height))) {
    throw invalidParams(`${m}: the box (${b.left}, ${b.top}, ${b.width} x ${b.height}) is not inside the image (${width} x ${height})`);
  }
}
