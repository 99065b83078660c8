// The instance list and score slider of an instance mode's preview: one row per shown instance
// (class, score, area, in its colour); hovering a row highlights its mask and hovering the mask
// highlights its row; the list is focusable and the arrow keys (Home, End) move the highlight.
// The slider hides instances under a score, per mode; the class toggles are the legend's.
import { hiddenFor } from './legend';
import { formatArea, instanceAt, instanceColour, instanceName, moveHighlight, shownInstances, shownTable } from './instanceView';
import { minScoreFor, onPaint, paintAll } from './inspect/paint';
import { onHover } from './inspect/viewport';
import { Shown, els, persist, state, view } from './page';

const isInstance = (s: Shown | undefined): s is Shown => s?.r.task === 'instance';
const hiddenOf = (s: Shown) => hiddenFor(state.hidden, s.r.mode, s.r.classes);
const rowId = (id: number) => `instance-${id}`;

/** What the list was drawn for: it is rebuilt only when this changes, not on every highlight. */
let drawnFor: { shown: Shown; key: string; share: string } | undefined;

function row(id: number): HTMLLIElement | undefined {
  return els.instanceList.querySelector<HTMLLIElement>(`#${rowId(id)}`) ?? undefined;
}

/** The ids listed now, in list order. */
function listedIds(): number[] {
  return [...els.instanceList.querySelectorAll<HTMLLIElement>('li[data-id]')].map((li) => Number(li.dataset.id));
}

/** Highlights instance `id` (0: none) in the list and on the mask. */
export function setHighlight(id: number, scroll = false): void {
  const s = view.shown;
  if (!isInstance(s) || id === view.highlight) return;
  if (view.highlight) row(view.highlight)?.classList.remove('hot');
  view.highlight = id;
  const li = id ? row(id) : undefined;
  li?.classList.add('hot');
  if (li) els.instanceList.setAttribute('aria-activedescendant', li.id);
  else els.instanceList.removeAttribute('aria-activedescendant');
  if (li && scroll) li.scrollIntoView({ block: 'nearest' });
  els.stage.dataset.highlight = String(id);
  paintAll();
}

/** The list's rows for `s`; the count line ("2 of 3 instances"). */
function renderList(s: Shown): string {
  const list = shownInstances(s.r.instances ?? [], minScoreFor(s), hiddenOf(s));
  const rows = list.map((inst) => {
    const li = document.createElement('li');
    li.id = rowId(inst.id);
    li.dataset.id = String(inst.id);
    li.setAttribute('role', 'option');
    li.setAttribute('aria-label', `${instanceName(inst)}, ${formatArea(inst.area)}`);
    if (inst.id === view.highlight) li.classList.add('hot');
    const sw = Object.assign(document.createElement('span'), { className: 'swatch' });
    sw.style.setProperty('--swatch', `rgb(${instanceColour(inst.id).join(',')})`);
    const label = Object.assign(document.createElement('span'), { className: 'label', textContent: `#${inst.id} ${inst.label}` });
    const score = Object.assign(document.createElement('span'), { className: 'score', textContent: inst.score.toFixed(2) });
    const area = Object.assign(document.createElement('span'), { className: 'muted area', textContent: formatArea(inst.area) });
    li.append(sw, label, score, area);
    return li;
  });
  els.instanceList.replaceChildren(...rows);
  const total = s.r.instances?.length ?? 0;
  els.instanceList.setAttribute('aria-label', `Instances: ${list.length} of ${total} shown; arrow keys move the highlight`);
  els.stage.dataset.instancesShown = String(list.length);
  if (view.highlight && !list.some((i) => i.id === view.highlight)) view.highlight = 0;
  return `${list.length} of ${total} instances`;
}

/** After each repaint: the slider and the list follow the result on screen (rebuilt only when what they show changes). */
function refresh(): void {
  const s = view.shown;
  const on = isInstance(s);
  els.scoreGroup.hidden = !on;
  els.instanceList.hidden = !on;
  if (!on) {
    drawnFor = undefined;
    view.highlight = 0;
    return;
  }
  const min = minScoreFor(s);
  els.minScore.value = String(min);
  els.minScoreValue.textContent = min.toFixed(2);
  const key = `${min}|${hiddenOf(s).join(',')}`;
  if (drawnFor?.shown !== s || drawnFor.key !== key) drawnFor = { shown: s, key, share: renderList(s) };
  els.share.textContent = drawnFor.share; // (each repaint clears it)
}

export function setMinScore(v: number): void {
  const s = view.shown;
  if (!isInstance(s)) return;
  state.minScore = { ...state.minScore, [s.r.mode]: Math.round(Math.min(1, Math.max(0, v)) * 100) / 100 };
  persist();
  paintAll();
}

export function initInstanceList(): void {
  onPaint(refresh);
  els.minScore.addEventListener('input', () => setMinScore(Number(els.minScore.value)));
  els.instanceList.addEventListener('mouseover', (e) => {
    const li = (e.target as HTMLElement).closest<HTMLLIElement>('li[data-id]');
    if (li) setHighlight(Number(li.dataset.id));
  });
  els.instanceList.addEventListener('mouseleave', () => {
    if (document.activeElement !== els.instanceList) setHighlight(0);
  });
  els.instanceList.addEventListener('keydown', (e) => {
    const next = moveHighlight(listedIds(), view.highlight, e.key);
    if (next === undefined) return;
    e.preventDefault();
    setHighlight(next, true);
  });
  els.instanceList.addEventListener('blur', () => setHighlight(0));
  onHover((p) => {
    const s = view.shown;
    if (!isInstance(s)) return;
    const shown = shownTable(s.r.instances ?? [], minScoreFor(s), hiddenOf(s));
    setHighlight(p ? instanceAt(s.mask, s.width, s.height, shown, p.x, p.y) : 0, true);
  });
}
