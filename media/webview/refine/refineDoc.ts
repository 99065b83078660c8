// The page's copy of the refine document (issue 22): the starting mask and the edits in force,
// replayed into the mask on screen (view.shown.mask, so the readout reads the edited mask), and
// the repaint of only the rectangle an edit changed. Stroke-to-pixels latency (P14) is kept here.
import type { Task } from '../../../daemon/api/protocol';
import { classShares } from '../legend';
import { colourMask } from '../mask';
import { renderLegend } from '../resultView';
import { els, showBusy, view } from '../page';
import { paintAll, paintOptions } from '../inspect/paint';
import { MaskEditor } from '../shared/maskEdit';
import type { MaskEdit, Rect } from '../shared/maskEdit';
import type { RefineToWebview } from '../shared/refineMessages';

type RefineState = Extract<RefineToWebview, { type: 'refineState' }>;

let doc: RefineState | undefined;
let edits: MaskEdit[] = [];
/**
 * The page's own edits sent to the extension and not yet held by VS Code, oldest first. An undo
 * can overtake them (Ctrl+Z right after a stroke): VS Code undoes what it holds, then gets these
 * on top, so the edits in force are the list it sends plus these.
 */
const inFlight: MaskEdit[] = [];
let editor: MaskEditor | undefined;
const changeListeners: (() => void)[] = [];
const editListeners: (() => void)[] = [];

/** Called when the edits in force change (one added, undo, redo, a new document). */
export const onEditsChange = (f: () => void) => editListeners.push(f);
const editsChanged = () => editListeners.forEach((f) => f());
/** The edits in force, as the page has them. */
export const docEdits = (): readonly MaskEdit[] => edits;
/** The document is a prompt mode's (issue 25). */
export const docPrompt = (): boolean => !!doc?.prompt;
/** Called when the document (its task, classes) arrives or changes. */
export const onDocChange = (f: () => void) => changeListeners.push(f);

/** The editor of the mask on screen, once the document and the result are both there. */
export const maskEditor = (): MaskEditor | undefined => editor;
export const docTask = (): Task | undefined => doc?.task;
export const docClasses = () => doc?.classes ?? [];
/** A keep since the last reset: Shift+click adds a region back. */
export const hasKeep = () => edits.some((e, i) => e.kind === 'keep' && !edits.slice(i).some((x) => x.kind === 'reset'));

/**
 * Bytes as posted by the extension: a Uint8Array, or (depending on how the host serialises
 * typed arrays) an ArrayBuffer or an object of indices.
 */
function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return Uint8Array.from(v);
  const o = v as Record<string, number>;
  const out = new Uint8Array(Object.keys(o).length);
  for (let i = 0; i < out.length; i++) out[i] = o[i];
  return out;
}
const received = (e: MaskEdit): MaskEdit => (e.kind === 'box' || e.kind === 'prompt' ? { ...e, mask: bytes(e.mask) } : e);

/** Replays the edits over the starting mask into the result on screen. */
function rebuild(): void {
  const s = view.shown;
  if (!doc || !s || s.r.path !== doc.path || s.width !== doc.width || s.height !== doc.height) return;
  editor = MaskEditor.replay(doc.base, doc.width, doc.height, edits);
  s.mask = editor.mask;
  s.r = { ...s.r, task: doc.task, classes: doc.classes };
  refreshShares();
  paintAll();
  for (const f of changeListeners) f();
}

export function onRefineState(m: RefineState): void {
  doc = { ...m, base: bytes(m.base) };
  edits = [...m.edits.map(received), ...inFlight];
  els.stage.dataset.refineEdits = String(edits.length);
  els.stage.dataset.refineHeld = String(m.edits.length);
  rebuild();
  editsChanged();
}
export function onRefineEdits(list: MaskEdit[]): void {
  edits = [...list.map(received), ...inFlight];
  els.stage.dataset.refineEdits = String(edits.length);
  els.stage.dataset.refineHeld = String(list.length);
  rebuild();
  editsChanged();
}
/** An edit from the extension (a box's result, a reset): apply and repaint. */
export function onRefineEdit(sent: MaskEdit): void {
  showBusy(undefined);
  const edit = received(sent);
  const changed = editor?.apply(edit);
  record(edit);
  els.stage.dataset.refineHeld = String(edits.length); // the extension made it: VS Code has it
  // A box, a prompt or a reset changes much of the mask: repaint all of it (the foreground share too).
  if (changed) paintAll();
}
/** The extension's count of the edits VS Code holds (data-refine-held: an undo finds them). */
export function onRefineHeld(count: number): void {
  inFlight.shift();
  els.stage.dataset.refineHeld = String(count);
}
/** An edit the page made, applied and recorded, on its way to the extension. */
export function sending(edit: MaskEdit): void {
  inFlight.push(edit);
}
/** The result on screen changed (the page decoded it): put the edits back on it. */
export function refineResultShown(): void {
  rebuild();
}

/** The legend's class shares from the mask as edited (a prompt's answer, a stroke, an undo). */
function refreshShares(): void {
  const s = view.shown;
  if (!doc || !s || s.mask !== editor?.mask) return;
  s.r = { ...s.r, classes: classShares(doc.task, doc.classes, s.mask) };
  renderLegend(s.r);
}

/** An edit the page made or the extension sent (applied already). */
export function record(edit: MaskEdit): void {
  refreshShares();
  edits.push(edit);
  els.stage.dataset.refineEdits = String(edits.length);
  editsChanged();
}

/** Repaints only `r` of the overlay (an outline depends on neighbours: all of it then). */
export function paintRect(r: Rect): void {
  const s = view.shown;
  if (!s || !editor) return;
  const o = paintOptions(s);
  if (o.matte === 'outline' || els.overlay.width !== s.width || els.overlay.height !== s.height) return paintAll();
  const sub = new Uint8Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) sub.set(editor.mask.subarray((r.top + y) * s.width + r.left, (r.top + y) * s.width + r.left + r.width), y * r.width);
  const img = colourMask({ r: s.r, mask: sub, width: r.width, height: r.height }, o);
  els.overlay.getContext('2d')!.putImageData(img, r.left, r.top);
  if (els.overlaySide.width === s.width) els.overlaySide.getContext('2d')!.putImageData(img, r.left, r.top);
}

const latencies: number[] = [];
/** P14: from the pointer event to the canvas updated, per drawn event (read by the e2e run). */
export function recordLatency(eventTime: number): void {
  latencies.push(performance.now() - eventTime);
  if (latencies.length > 2000) latencies.shift();
  els.stage.dataset.strokeLatencyMs = latencies.map((v) => v.toFixed(2)).join(',');
}
