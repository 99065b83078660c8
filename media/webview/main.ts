// The preview page: shows the original at once, composes the mask over it on a canvas when
// the result arrives, and sends the user's choices to the extension. Theme only through
// --vscode-* variables (preview.css); state (image path, mode, opacity, view) via setState.
import type { ClassInfo } from '../../daemon/api/protocol';
import { colourTable, formatFraction, hiddenFor, isSolo, legendOrder, showAll, solo, toggle } from './legend';
import type { FromWebview, PanelMode, PanelSettings, PanelState, ResultPayload, ToWebview, ViewMode } from './messages';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const settings: PanelSettings = JSON.parse(document.body.dataset.settings ?? '{}');
const saved = vscode.getState();
const state: PanelState = {
  imagePath: saved?.imagePath ?? '',
  mode: saved?.mode ?? '',
  opacity: saved?.opacity ?? settings.opacity ?? 0.5,
  view: saved?.view ?? 'overlay',
  hidden: saved?.hidden ?? {},
};

const els = {
  prev: $<HTMLButtonElement>('prev'),
  next: $<HTMLButtonElement>('next'),
  position: $('position'),
  name: $('name'),
  mode: $<HTMLSelectElement>('mode'),
  opacity: $<HTMLInputElement>('opacity'),
  opacityValue: $<HTMLOutputElement>('opacityValue'),
  rerun: $<HTMLButtonElement>('rerun'),
  save: $<HTMLButtonElement>('save'),
  busy: $('busy'),
  busyText: $('busyText'),
  error: $('error'),
  stage: $('stage'),
  image: $<HTMLImageElement>('image'),
  imageSide: $<HTMLImageElement>('imageSide'),
  overlay: $<HTMLCanvasElement>('overlay'),
  overlaySide: $<HTMLCanvasElement>('overlaySide'),
  timings: $('timings'),
  legend: $<HTMLUListElement>('legend'),
  legendTools: $('legendTools'),
  showAll: $<HTMLButtonElement>('showAll'),
};

let currentPath = '';
let resultSeq = 0;
/** The result on screen and its decoded mask, to repaint when classes are hidden or shown. */
let shown: { r: ResultPayload; grey: Uint8ClampedArray; width: number; height: number } | undefined;

function send(m: FromWebview): void {
  vscode.postMessage(m);
}
function persist(): void {
  vscode.setState(state);
}

// ---- controls -------------------------------------------------------------------------

function applyOpacity(): void {
  const v = state.opacity ?? 0.5;
  els.opacity.value = String(v);
  els.opacityValue.textContent = `${Math.round(v * 100)}%`;
  document.body.style.setProperty('--overlay-opacity', String(v));
}

function applyView(): void {
  const view = state.view ?? 'overlay';
  els.stage.classList.remove('view-overlay', 'view-mask', 'view-side');
  els.stage.classList.add(`view-${view}`);
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="view"]')) r.checked = r.value === view;
}

els.opacity.addEventListener('input', () => {
  state.opacity = Number(els.opacity.value);
  applyOpacity();
  persist();
});
for (const r of document.querySelectorAll<HTMLInputElement>('input[name="view"]')) {
  r.addEventListener('change', () => {
    if (!r.checked) return;
    state.view = r.value as ViewMode;
    applyView();
    persist();
  });
}
els.mode.addEventListener('change', () => {
  state.mode = els.mode.value;
  persist();
  send({ type: 'setMode', mode: els.mode.value });
});
els.prev.addEventListener('click', () => send({ type: 'navigate', delta: -1 }));
els.next.addEventListener('click', () => send({ type: 'navigate', delta: 1 }));
els.rerun.addEventListener('click', () => send({ type: 'rerun' }));
els.save.addEventListener('click', () => send({ type: 'saveMask' }));
els.showAll.addEventListener('click', () => shown && setHidden(showAll(hiddenNow(), shown.r.classes)));

document.addEventListener('keydown', (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
  // Arrows belong to the control that has focus when it uses them (slider, select, radios).
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
  if (e.key === 'ArrowLeft' && !els.prev.disabled) {
    e.preventDefault();
    send({ type: 'navigate', delta: -1 });
  } else if (e.key === 'ArrowRight' && !els.next.disabled) {
    e.preventDefault();
    send({ type: 'navigate', delta: 1 });
  }
});

// ---- messages from the extension ----------------------------------------------------------

function showBusy(message: string | undefined): void {
  els.busy.hidden = !message;
  els.busyText.textContent = message ?? '';
  els.stage.setAttribute('aria-busy', message ? 'true' : 'false');
}

function showError(message: string | undefined, code?: number): void {
  els.error.hidden = !message;
  els.error.textContent = message ? `${message}${code !== undefined ? ` (error ${code})` : ''}` : '';
}

function clearCanvas(c: HTMLCanvasElement): void {
  c.width = 0;
  c.height = 0;
}

function onImage(m: Extract<ToWebview, { type: 'image' }>): void {
  const samePicture = m.path === currentPath;
  currentPath = m.path;
  state.imagePath = m.path;
  persist();
  els.image.src = m.src;
  els.imageSide.src = m.src;
  els.image.alt = m.name;
  els.imageSide.alt = `${m.name} with mask`;
  els.name.textContent = m.name;
  els.name.title = m.path;
  els.position.textContent = `${m.index + 1} / ${m.count}`;
  els.prev.disabled = m.index <= 0;
  els.next.disabled = m.index >= m.count - 1;
  if (!samePicture) {
    resultSeq++;
    clearCanvas(els.overlay);
    clearCanvas(els.overlaySide);
    els.legend.replaceChildren();
    els.legendTools.hidden = true;
    shown = undefined;
    els.timings.replaceChildren();
    els.save.disabled = true;
  }
  showError(undefined);
}

function onModes(modes: PanelMode[], current: string): void {
  const focused = document.activeElement === els.mode;
  const option = (mode: PanelMode) => {
    const o = document.createElement('option');
    o.value = mode.id;
    o.textContent = `${mode.label} (${mode.state})`;
    return o;
  };
  const builtin = modes.filter((m) => !m.custom).map(option);
  const custom = modes.filter((m) => m.custom).map(option);
  if (custom.length) {
    const group = document.createElement('optgroup');
    group.label = 'Your models';
    group.append(...custom);
    els.mode.replaceChildren(...builtin, group);
  } else els.mode.replaceChildren(...builtin);
  els.mode.value = current;
  state.mode = current;
  persist();
  if (focused) els.mode.focus();
}

async function decodeMask(base64: string): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  // No colour management or premultiplication: the grey values are data, not colours.
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const c = document.createElement('canvas');
  c.width = bitmap.width;
  c.height = bitmap.height;
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { data: ctx.getImageData(0, 0, c.width, c.height).data, width: c.width, height: c.height };
}

function isBackground(c: ClassInfo): boolean {
  return c.id === 0 || /^background$/i.test(c.label);
}

/** Binary: the foreground colour with alpha = mask. Semantic: each shown class index in its colour. */
function colourMask(r: ResultPayload, grey: Uint8ClampedArray, width: number, height: number, hidden: readonly number[]): ImageData {
  const out = new ImageData(width, height);
  const px = out.data;
  if (r.task === 'binary') {
    const fg = r.classes.find((c) => !isBackground(c)) ?? r.classes[r.classes.length - 1];
    const [cr, cg, cb] = fg?.color ?? [0, 200, 255];
    for (let i = 0; i < width * height; i++) {
      px[i * 4] = cr;
      px[i * 4 + 1] = cg;
      px[i * 4 + 2] = cb;
      px[i * 4 + 3] = grey[i * 4];
    }
  } else {
    // Values that are no class of the result (or a hidden one) stay transparent.
    const table = colourTable(r.classes, hidden);
    for (let i = 0; i < width * height; i++) {
      const c = table[grey[i * 4]];
      if (!c) continue;
      px[i * 4] = c[0];
      px[i * 4 + 1] = c[1];
      px[i * 4 + 2] = c[2];
      px[i * 4 + 3] = 255;
    }
  }
  return out;
}

function paint(): void {
  if (!shown) return;
  const coloured = colourMask(shown.r, shown.grey, shown.width, shown.height, hiddenNow());
  for (const c of [els.overlay, els.overlaySide]) {
    c.width = shown.width;
    c.height = shown.height;
    c.getContext('2d')!.putImageData(coloured, 0, 0);
  }
}

function fmt(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function swatch(c: ClassInfo): HTMLSpanElement {
  const sw = document.createElement('span');
  sw.className = 'swatch';
  sw.style.setProperty('--swatch', `rgb(${c.color.join(',')})`);
  return sw;
}

/** Binary results: the classes as they were, nothing to toggle. */
function renderStaticLegend(classes: ClassInfo[]): void {
  els.legendTools.hidden = true;
  els.legend.replaceChildren(
    ...classes.map((c) => {
      const li = document.createElement('li');
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

function hiddenNow(): number[] {
  return shown ? hiddenFor(state.hidden, shown.r.mode, shown.r.classes) : [];
}

function setHidden(hidden: number[], focusId?: number): void {
  if (!shown) return;
  state.hidden = { ...state.hidden, [shown.r.mode]: hidden };
  persist();
  paint();
  renderSemanticLegend(focusId);
}

/**
 * Semantic results: one toggle button per class, largest area first. Click (Enter/Space)
 * hides or shows it; Alt or Shift with it shows that class alone (again: all).
 */
function renderSemanticLegend(focusId?: number): void {
  if (!shown) return;
  const classes = shown.r.classes;
  const hidden = hiddenNow();
  const items = legendOrder(classes).map((c) => {
    const li = document.createElement('li');
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
    li.append(b);
    return li;
  });
  els.legend.replaceChildren(...items);
  els.legendTools.hidden = false;
  els.showAll.disabled = !classes.some((c) => hidden.includes(c.id));
  if (focusId !== undefined) els.legend.querySelector<HTMLButtonElement>(`button[data-id="${focusId}"]`)?.focus();
}

function renderTimings(r: ResultPayload): void {
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

async function onResult(r: ResultPayload): Promise<void> {
  const seq = ++resultSeq;
  showBusy(undefined);
  showError(undefined);
  const { data, width, height } = await decodeMask(r.maskPng);
  if (seq !== resultSeq || r.path !== currentPath) return; // a newer image or result came in
  shown = { r, grey: data, width, height };
  paint();
  if (r.task === 'semantic') renderSemanticLegend();
  else renderStaticLegend(r.classes);
  renderTimings(r);
  els.save.disabled = false;
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  switch (m.type) {
    case 'image':
      onImage(m);
      break;
    case 'modes':
      onModes(m.modes, m.current);
      break;
    case 'busy':
      showError(undefined);
      showBusy(m.message);
      break;
    case 'result':
      void onResult(m.result).catch((err) => showError(`Could not show the mask: ${err instanceof Error ? err.message : err}`));
      break;
    case 'error':
      showBusy(undefined);
      showError(m.message, m.code);
      break;
    case 'saved':
      els.timings.append(Object.assign(document.createElement('span'), { className: 'muted', textContent: ` · saved to ${m.path}` }));
      break;
  }
});

applyOpacity();
applyView();
send({ type: 'ready' });
