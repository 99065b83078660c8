// The refine editor's tools in the page (issue 22): none (pan and zoom as the preview), box,
// keep/remove, brush and eraser, picked in the refine toolbar or by the keybindings
// (package.json → seglens.refine.* → a refineCommand message). Strokes are drawn as the pointer
// moves, each event's segment painted at once (only its rectangle); a finished stroke, click
// or box goes to the extension, which keeps the document and VS Code's undo stack.
import { els, persist, send, showBusy, state } from '../page';
import type { PanelState } from '../shared/messages';
import { contentSize, currentView, imagePoint, onViewChange, setPointerTool } from '../inspect/viewport';
import type { PointerTool } from '../inspect/viewport';
import { imageToScreen } from '../inspect/zoom';
import type { Point } from '../inspect/zoom';
import { rectFrom } from '../shared/maskEdit';
import type { MaskEdit, Pt } from '../shared/maskEdit';
import { docClasses, docPrompt, docTask, hasKeep, maskEditor, onDocChange, paintRect, record, recordLatency, sending } from './refineDoc';
import { initPrompts, nextCandidate, onPromptDoc, promptDown, promptMove, promptUp, removeLastPrompt } from './prompts';
import type { RefineAction, RefineCommand } from '../shared/refineMessages';

type Tool = NonNullable<PanelState['tool']>;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  clearOutside: $<HTMLInputElement>('clearOutside'),
  paintGroup: $('paintGroup'),
  classGroup: $('classGroup'),
  cls: $<HTMLSelectElement>('refineClass'),
  size: $<HTMLInputElement>('brushSize'),
  sizeValue: $<HTMLOutputElement>('brushSizeValue'),
  box: $('refineBox'),
  cursor: $('brushCursor'),
  hint: $('refineHint'),
};
const HINTS: Record<Tool, string> = {
  none: 'Drag to pan, wheel to zoom.',
  box: 'Drag a box around the subject: the model runs on it.',
  keep: 'Click: keep only that region · Shift+click: keep another · Alt+click: remove it.',
  brush: 'Drag to paint · X swaps foreground/background · Alt+wheel or Shift+[ ] sizes.',
  eraser: "Drag to restore the model's output · Alt+wheel or Shift+[ ] sizes.",
  prompt: 'Click: positive point · Alt+click: negative · drag: box · Shift+click a point: remove it · Backspace: remove the last · Tab: next candidate.',
};

let tool: Tool = 'none';
let pointer: Point | undefined;

const brushSize = () => Number(ui.size.value);
const radioOf = (name: string, value: string) => document.querySelector<HTMLInputElement>(`input[name="${name}"][value="${value}"]`);
const paintValue = (): number => (docTask() === 'semantic' ? Number(ui.cls.value) : radioOf('paint', 'fg')?.checked ? 255 : 0);

function setTool(t: Tool): void {
  tool = t;
  state.tool = t;
  persist();
  const r = radioOf('tool', t);
  if (r) r.checked = true;
  els.stage.dataset.tool = t;
  ui.hint.textContent = HINTS[t];
  els.paneMain.classList.toggle('tool', t !== 'none');
  setPointerTool(t === 'none' ? undefined : pointerTool);
  placeCursor();
}

function setSize(v: number): void {
  ui.size.value = String(Math.round(Math.min(Number(ui.size.max), Math.max(Number(ui.size.min), v))));
  ui.sizeValue.textContent = `${ui.size.value} px`;
  placeCursor();
}

/** The brush outline at the pointer, its size at the zoom. */
function placeCursor(): void {
  const show = (tool === 'brush' || tool === 'eraser') && pointer !== undefined;
  ui.cursor.hidden = !show;
  if (!show || !pointer) return;
  const d = brushSize() * currentView().zoom;
  const c = imageToScreen(currentView(), pointer);
  Object.assign(ui.cursor.style, { width: `${d}px`, height: `${d}px`, left: `${c.x - d / 2}px`, top: `${c.y - d / 2}px` });
}

function placeBox(a: Pt, b: Pt): void {
  const v = currentView();
  const p = imageToScreen(v, { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y) });
  Object.assign(ui.box.style, { left: `${p.x}px`, top: `${p.y}px`, width: `${Math.abs(b.x - a.x) * v.zoom}px`, height: `${Math.abs(b.y - a.y) * v.zoom}px` });
  ui.box.hidden = false;
}

// ---- the pointer tool -----------------------------------------------------------------

let stroke: { points: Pt[]; radius: number; value: number; erase: boolean } | undefined;
let boxStart: Pt | undefined;

function strokeTo(points: Pt[], e: PointerEvent): void {
  const ed = maskEditor();
  if (!ed || !stroke) return;
  const from = stroke.points.length;
  stroke.points.push(...points);
  const dirty = ed.stroke(stroke.points, stroke.radius, stroke.value, stroke.erase, from);
  if (dirty) paintRect(dirty);
  recordLatency(e.timeStamp);
}

/** Every position of a move (the browser coalesces fast moves into one event). */
function positions(e: PointerEvent): Pt[] {
  const all = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
  return all.length ? all.map(imagePoint) : [imagePoint(e)];
}

function click(e: PointerEvent, p: Pt): void {
  const ed = maskEditor();
  if (!ed) return;
  const threshold = state.threshold ?? 0.5;
  let edit: MaskEdit;
  if (docTask() === 'semantic') edit = { kind: 'relabel', at: p, value: Number(ui.cls.value) };
  else if (e.altKey) edit = { kind: 'remove', at: p, threshold };
  else edit = { kind: 'keep', at: p, add: e.shiftKey && hasKeep(), threshold };
  const dirty = ed.apply(edit);
  if (!dirty) return; // nothing there: no undo step
  paintRect(dirty);
  record(edit);
  sending(edit);
  send({ type: 'refineEdit', edit });
}

const pointerTool: PointerTool = {
  down(e, p) {
    if (!maskEditor()) return;
    if (tool === 'prompt') promptDown(p);
    else if (tool === 'box') {
      boxStart = p;
      placeBox(p, p);
    } else if (tool === 'brush' || tool === 'eraser') {
      stroke = { points: [], radius: brushSize() / 2, value: tool === 'eraser' ? 0 : paintValue(), erase: tool === 'eraser' };
      strokeTo([p], e);
    }
  },
  move(e, p) {
    pointer = p;
    placeCursor();
    if (tool === 'prompt') promptMove(p, placeBox);
    else if (boxStart) placeBox(boxStart, p);
    else if (stroke) strokeTo(positions(e), e);
  },
  up(e, p) {
    if (tool === 'prompt') {
      ui.box.hidden = true;
      promptUp(e, p);
    }
    if (tool === 'keep') click(e, p);
    if (boxStart) {
      const { width, height } = contentSize();
      const box = rectFrom(boxStart, p, width, height);
      boxStart = undefined;
      ui.box.hidden = true;
      if (box.width >= 2 && box.height >= 2) {
        showBusy('Segmenting the box…');
        send({ type: 'refineBox', box, clearOutside: ui.clearOutside.checked });
      }
    }
    if (stroke) {
      const edit: MaskEdit = { kind: 'stroke', ...stroke };
      stroke = undefined;
      // The stroke as drawn, for the e2e run's own check of the saved mask.
      els.stage.dataset.lastStroke = JSON.stringify({ points: edit.points, radius: edit.radius });
      record(edit);
      sending(edit);
      send({ type: 'refineEdit', edit });
    }
  },
  hover(p) {
    pointer = p;
    placeCursor();
  },
  wheel(e) {
    if (!e.altKey || (tool !== 'brush' && tool !== 'eraser')) return false;
    setSize(brushSize() * (e.deltaY < 0 ? 1.15 : 1 / 1.15));
    return true;
  },
};

// ---- controls and commands ---------------------------------------------------------------

function action(a: RefineAction): void {
  if (a === 'reset' && !maskEditor()) return;
  send({ type: 'refineAction', action: a, threshold: state.threshold ?? 0.5 });
}

export function runRefineCommand(c: RefineCommand): void {
  const actions: Record<RefineCommand, () => void> = {
    toolBox: () => setTool('box'),
    toolKeep: () => setTool('keep'),
    toolBrush: () => setTool('brush'),
    toolEraser: () => setTool('eraser'),
    toolNone: () => setTool('none'),
    swapPaint: () => {
      if (docTask() === 'semantic') return;
      const bg = radioOf('paint', 'bg');
      const fg = radioOf('paint', 'fg');
      if (bg && fg) [fg.checked, bg.checked] = [bg.checked, fg.checked];
    },
    sizeUp: () => setSize(brushSize() * 1.25 + 1),
    sizeDown: () => setSize(brushSize() / 1.25),
    toggleOutside: () => (ui.clearOutside.checked = !ui.clearOutside.checked),
    toolPrompt: () => docPrompt() && setTool('prompt'),
    nextCandidate: () => docPrompt() && nextCandidate(),
    removeLastPrompt: () => docPrompt() && removeLastPrompt(),
  };
  actions[c]?.();
}

/** Semantic documents paint and relabel with a class; binary ones with foreground or background. */
function onDoc(): void {
  // A prompt mode (issue 25): the prompt tool instead of the box (which segments a region).
  const prompt = docPrompt();
  onPromptDoc();
  radioOf('tool', 'prompt')!.parentElement!.hidden = !prompt;
  radioOf('tool', 'box')!.parentElement!.hidden = prompt;
  ui.clearOutside.parentElement!.hidden = prompt;
  if (prompt && (tool === 'box' || tool === 'none')) setTool('prompt');
  else if (!prompt && tool === 'prompt') setTool('none');
  const semantic = docTask() === 'semantic';
  ui.paintGroup.hidden = semantic;
  ui.classGroup.hidden = !semantic;
  const keep = ui.cls.value;
  ui.cls.replaceChildren(...docClasses().map((c) => Object.assign(document.createElement('option'), { value: String(c.id), textContent: c.label })));
  if (keep && docClasses().some((c) => String(c.id) === keep)) ui.cls.value = keep;
}

export function initRefine(): void {
  document.body.classList.add('refine');
  $('refineBar').hidden = false;
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="tool"]')) r.addEventListener('change', () => r.checked && setTool(r.value as Tool));
  ui.size.addEventListener('input', () => setSize(brushSize()));
  $('refineReset').addEventListener('click', () => action('reset'));
  $('refineExport').addEventListener('click', () => action('export'));
  $('refineSaveGt').addEventListener('click', () => action('saveGroundTruth'));
  onDocChange(onDoc);
  initPrompts();
  onViewChange(placeCursor);
  setSize(brushSize());
  setTool(state.tool ?? 'none');
  // A box answered with an error: the busy line goes, the error says why.
  window.addEventListener('message', (e: MessageEvent<{ type: string }>) => e.data?.type === 'error' && showBusy(undefined));
}
