// What the page shows beside the mask: the legend (static for binary results, toggles for
// semantic ones, with the hidden classes kept per mode in the page state) and the timings line.
import type { ClassInfo } from '../../daemon/api/protocol';
import { formatFraction, hiddenFor, isSolo, legendOrder, showAll, solo, toggle } from './legend';
import { paintAll } from './inspect/paint';
import type { ResultPayload } from './shared/messages';
import { els, persist, state, view } from './page';

function swatch(c: ClassInfo): HTMLSpanElement {
  const sw = document.createElement('span');
  sw.className = 'swatch';
  sw.style.setProperty('--swatch', `rgb(${c.color.join(',')})`);
  return sw;
}

/** The classes hidden now for the result on screen. */
export function hiddenNow(): number[] {
  const shown = view.shown;
  return shown ? hiddenFor(state.hidden, shown.r.mode, shown.r.classes) : [];
}

export function paint(): void {
  paintAll();
}

function setHidden(hidden: number[], focusId?: number): void {
  if (!view.shown) return;
  state.hidden = { ...state.hidden, [view.shown.r.mode]: hidden };
  persist();
  paint();
  renderSemanticLegend(focusId);
}

/** "Show all" in the legend's tools. */
export function showAllClasses(): void {
  if (view.shown) setHidden(showAll(hiddenNow(), view.shown.r.classes));
}

/** Binary results: the classes as they were, nothing to toggle. */
export function renderStaticLegend(classes: ClassInfo[]): void {
  els.legendTools.hidden = true;
  els.legend.replaceChildren(
    ...classes.map((c) => {
      const li = document.createElement('li');
      // For the e2e run: the share shown, unrounded.
      li.dataset.classId = String(c.id);
      li.dataset.fraction = String(c.fraction);
      const label = document.createElement('span');
      label.textContent = c.label;
      const frac = document.createElement('span');
      frac.className = 'muted';
      frac.textContent = `${(c.fraction * 100).toFixed(1)}%`;
      li.append(swatch(c), label, frac);
      return li;
    }),
  );
}

/** The legend of `r`: toggles for semantic and instance results, the shares for binary ones. */
export function renderLegend(r: { task: string; classes: ClassInfo[] }): void {
  if (r.task !== 'binary') renderSemanticLegend();
  else renderStaticLegend(r.classes);
}

/** One class's toggle button; Alt or Shift with a click (or Enter/Space) shows it alone. */
function legendButton(c: ClassInfo, classes: ClassInfo[], hidden: number[]): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'legend-item';
  b.dataset.id = String(c.id);
  const off = hidden.includes(c.id);
  b.setAttribute('aria-pressed', off ? 'false' : 'true');
  if (off) b.classList.add('off');
  const alone = isSolo(hidden, classes, c.id);
  b.title = `${c.label}: ${formatFraction(c.fraction)} of the image, ${off ? 'hidden' : 'shown'}${alone ? ' alone' : ''}. Click: ${off ? 'show' : 'hide'} · Alt+click: ${alone ? 'show all' : 'show only this class'}`;
  const label = document.createElement('span');
  label.className = 'label';
  label.textContent = c.label;
  const frac = document.createElement('span');
  frac.className = 'muted';
  frac.textContent = formatFraction(c.fraction);
  b.append(swatch(c), label, frac);
  const act = (soloIt: boolean) => setHidden(soloIt ? solo(hiddenNow(), classes, c.id) : toggle(hiddenNow(), c.id), c.id);
  b.addEventListener('click', (e) => act(e.altKey || e.shiftKey));
  // Keyboard: Enter/Space click the button; with Alt or Shift they solo (a key's click carries no modifiers).
  b.addEventListener('keydown', (e) => {
    if ((e.key === 'Enter' || e.key === ' ') && (e.altKey || e.shiftKey)) {
      e.preventDefault();
      act(true);
    }
  });
  return b;
}

/** Semantic and instance results: one toggle button per class, largest area first. */
export function renderSemanticLegend(focusId?: number): void {
  if (!view.shown) return;
  const r = view.shown.r;
  // Instance modes: toggles for the classes found (a COCO model has 80 labels).
  const classes = r.task === 'instance' ? r.classes.filter((c) => r.instances?.some((i) => i.class === c.id)) : r.classes;
  const hidden = hiddenNow();
  const items = legendOrder(classes).map((c) => {
    const li = document.createElement('li');
    li.append(legendButton(c, classes, hidden));
    return li;
  });
  els.legend.replaceChildren(...items);
  els.legendTools.hidden = false;
  els.showAll.disabled = !classes.some((c) => hidden.includes(c.id));
  if (focusId !== undefined) els.legend.querySelector<HTMLButtonElement>(`button[data-id="${focusId}"]`)?.focus();
}

function fmt(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function renderTimings(r: ResultPayload): void {
  if (r.provisional) {
    const badge = Object.assign(document.createElement('span'), { className: 'badge cold', textContent: 'provisional' });
    const text = Object.assign(document.createElement('span'), { textContent: `${r.mode}'s mask while ${r.provisional.for} loads; replaced when it arrives` });
    els.timings.replaceChildren(badge, text);
    return;
  }
  const badge = document.createElement('span');
  badge.className = `badge ${r.wasWarm ? 'warm' : 'cold'}`;
  badge.textContent = r.wasWarm ? 'warm' : 'cold';
  badge.title = r.wasWarm ? 'The mode was warm when this request started' : 'The mode was cold when this request started (load and warm-up included)';
  const t = r.timings;
  const text = document.createElement('span');
  text.textContent =
    `${r.mode} · ${r.width}×${r.height} · total ${fmt(t.totalMs)} ` +
    `(inference ${fmt(t.inferenceMs)}, decode ${fmt(t.decodeMs)}, pre ${fmt(t.preprocessMs)}, post ${fmt(t.postprocessMs)}, queue ${fmt(t.queueMs)})`;
  const parts: Node[] = [badge, text];
  if (r.prepared) {
    const p = document.createElement('span');
    p.className = 'muted';
    p.textContent = ` · model prepared first: load ${fmt(r.prepared.loadMs)}, warm-up ${fmt(r.prepared.warmupMs)}`;
    parts.push(p);
  }
  els.timings.replaceChildren(...parts);
}
