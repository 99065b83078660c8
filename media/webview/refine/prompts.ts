// The prompt tool of a prompt mode's refine editor (issue 25), in the page: a click adds a
// positive point, Alt+click a negative one, a drag a box, Shift+click on a point removes it. The
// prompts in force are those of the document's last prompt edit (so undo brings them back); a
// change is sent to the extension, which answers with a new prompt edit. The points and the box
// are drawn over the image and listed in the toolbar, each with a remove button; Backspace
// removes the last, Tab shows the next candidate.
import { els, send } from '../page';
import { contentSize, currentView, onViewChange } from '../inspect/viewport';
import { imageToScreen } from '../inspect/zoom';
import { rectFrom } from '../shared/maskEdit';
import type { Pt, Rect } from '../shared/maskEdit';
import { addPoint, isDrag, isEmpty, lastPromptEdit, pointNear, promptItems, promptsInForce, removeItem, removeLast, setBox } from '../shared/promptState';
import type { PromptSet } from '../shared/promptState';
import type { PromptStatus } from '../shared/refineMessages';
import { docEdits, docPrompt, maskEditor, onEditsChange } from './refineDoc';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
/** How near (screen pixels) a Shift+click must be to a point's marker to remove it. */
const HIT_PX = 8;

/** Prompts sent and not answered yet (shown meanwhile); undefined: those in force. */
let pending: PromptSet | undefined;
let press: { image: Pt; screen: Pt } | undefined;

const shown = (): PromptSet => pending ?? promptsInForce(docEdits());

/** Sends the prompts wanted; none left is a reset (the empty starting mask, undoable). */
function want(next: PromptSet): void {
  if (!maskEditor()) return;
  pending = next;
  draw();
  if (isEmpty(next)) send({ type: 'refineAction', action: 'reset', threshold: 0.5 });
  else send({ type: 'refinePrompt', points: next.points, ...(next.box ? { box: next.box } : {}) });
}

export const removeLastPrompt = () => !isEmpty(shown()) && want(removeLast(shown()));
export const nextCandidate = () => send({ type: 'refineCandidate' });
/** More than one candidate to show (Tab cycles them; else Tab moves the focus as usual). */
const hasCandidates = () => (lastPromptEdit(docEdits())?.scores.length ?? 0) > 1;

// ---- the pointer, as the refine tools' pointer tool while the prompt tool is on -------------

const screenOf = (p: Pt) => imageToScreen(currentView(), p);

export function promptDown(p: Pt): void {
  press = { image: p, screen: screenOf(p) };
}
export function promptMove(p: Pt, placeBox: (a: Pt, b: Pt) => void): void {
  if (press && isDrag(press.screen, screenOf(p))) placeBox(press.image, p);
}
export function promptUp(e: { altKey: boolean; shiftKey: boolean }, p: Pt): void {
  const start = press;
  press = undefined;
  if (!start) return;
  const { width, height } = contentSize();
  if (isDrag(start.screen, screenOf(p))) {
    const box: Rect = rectFrom(start.image, p, width, height);
    if (box.width >= 2 && box.height >= 2) want(setBox(shown(), box));
    return;
  }
  if (p.x < 0 || p.y < 0 || p.x >= width || p.y >= height) return;
  if (e.shiftKey) {
    const i = pointNear(shown(), p, HIT_PX / currentView().zoom);
    if (i >= 0) want(removeItem(shown(), i));
    return;
  }
  want(addPoint(shown(), p, e.altKey ? 0 : 1));
}

// ---- drawing: markers over the image, the list in the toolbar --------------------------------

function draw(): void {
  const set = shown();
  const layer = $('promptMarks');
  const v = currentView();
  const marks: HTMLElement[] = set.points.map((m) => {
    const d = document.createElement('div');
    d.className = `prompt-point ${m.label ? 'positive' : 'negative'}`;
    const s = imageToScreen(v, m);
    Object.assign(d.style, { left: `${s.x}px`, top: `${s.y}px` });
    return d;
  });
  if (set.box) {
    const d = document.createElement('div');
    d.className = 'prompt-box';
    const s = imageToScreen(v, { x: set.box.left, y: set.box.top });
    Object.assign(d.style, { left: `${s.x}px`, top: `${s.y}px`, width: `${set.box.width * v.zoom}px`, height: `${set.box.height * v.zoom}px` });
    marks.push(d);
  }
  layer.replaceChildren(...marks);
  // For the e2e run: the prompts drawn, in image pixels.
  els.stage.dataset.promptPoints = JSON.stringify(set.points);
  els.stage.dataset.promptBox = set.box ? JSON.stringify(set.box) : '';
  drawList(set);
}

function drawList(set: PromptSet): void {
  const list = $('promptList');
  const items = promptItems(set).map((item, n) => {
    const li = document.createElement('li');
    const text =
      item.kind === 'box'
        ? `Box ${item.box.width}×${item.box.height} at ${item.box.left}, ${item.box.top}`
        : `${item.mark.label ? 'Positive' : 'Negative'} point at ${Math.round(item.mark.x)}, ${Math.round(item.mark.y)}`;
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary icon';
    b.textContent = '×';
    b.title = `Remove: ${text}`;
    b.setAttribute('aria-label', `Remove ${text.toLowerCase()}`);
    b.dataset.promptItem = String(n);
    b.addEventListener('click', () => want(removeItem(shown(), n)));
    li.append(Object.assign(document.createElement('span'), { className: item.kind === 'box' ? 'swatch box' : `swatch ${item.mark.label ? 'positive' : 'negative'}`, ariaHidden: 'true' }), ` ${text} `, b);
    return li;
  });
  list.replaceChildren(...items);
  $('promptCandidate').hidden = !hasCandidates();
}

/** The extension's status line: embedding, ready, prompting, or what failed. */
export function onPromptStatus(state: PromptStatus, message: string): void {
  const s = $('promptStatus');
  s.textContent = message;
  s.dataset.state = state;
  els.stage.dataset.promptStatus = state;
  // A failed prompt: the prompts in force are shown again.
  if (state === 'error') pending = undefined;
  draw();
}

/** Shows or hides the prompt controls for the document (a prompt mode's or not). */
export function onPromptDoc(): void {
  $('promptGroup').hidden = !docPrompt();
  $('promptMarks').hidden = !docPrompt();
}

export function initPrompts(): void {
  onEditsChange(() => {
    pending = undefined;
    draw();
  });
  onViewChange(draw);
  $('promptCandidate').addEventListener('click', nextCandidate);
  // Keys on the image: Tab shows the next candidate (only when there is one, else Tab moves the
  // focus as usual), Backspace or Delete removes the last prompt.
  els.paneMain.addEventListener('keydown', (e) => {
    if (!docPrompt() || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'Tab' && !e.shiftKey && hasCandidates()) nextCandidate();
    else if ((e.key === 'Backspace' || e.key === 'Delete') && !isEmpty(shown())) removeLastPrompt();
    else return;
    e.preventDefault();
  });
}
