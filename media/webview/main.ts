// The preview page: shows the original at once, composes the mask over it on a canvas when
// the result arrives, and sends the user's choices to the extension. Theme only through
// --vscode-* variables (preview.css); state (image path, mode, opacity, view) via setState.
// Shared parts in page.ts, the canvas in mask.ts, the legend and timings in resultView.ts.
import { clearCanvas, decodeMask } from './mask';
import type { PanelMode, ResultPayload, ToWebview, ViewMode } from './messages';
import { els, persist, send, showBusy, showError, state, view } from './page';
import { paint, renderSemanticLegend, renderStaticLegend, renderTimings, showAllClasses } from './resultView';

// ---- controls -------------------------------------------------------------------------

function applyOpacity(): void {
  const v = state.opacity ?? 0.5;
  els.opacity.value = String(v);
  els.opacityValue.textContent = `${Math.round(v * 100)}%`;
  document.body.style.setProperty('--overlay-opacity', String(v));
}

function applyView(): void {
  const mode = state.view ?? 'overlay';
  els.stage.classList.remove('view-overlay', 'view-mask', 'view-side');
  els.stage.classList.add(`view-${mode}`);
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="view"]')) r.checked = r.value === mode;
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
els.showAll.addEventListener('click', showAllClasses);

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

function onImage(m: Extract<ToWebview, { type: 'image' }>): void {
  const samePicture = m.path === view.currentPath;
  view.currentPath = m.path;
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
    view.resultSeq++;
    clearCanvas(els.overlay);
    clearCanvas(els.overlaySide);
    els.legend.replaceChildren();
    els.legendTools.hidden = true;
    view.shown = undefined;
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

async function onResult(r: ResultPayload): Promise<void> {
  const seq = ++view.resultSeq;
  showBusy(undefined);
  showError(undefined);
  const { data, width, height } = await decodeMask(r.maskPng);
  if (seq !== view.resultSeq || r.path !== view.currentPath) return; // a newer image or result came in
  view.shown = { r, grey: data, width, height };
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
