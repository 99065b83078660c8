// The preview page: shows the original at once, composes the mask over it on a canvas when
// the result arrives, and sends the user's choices to the extension. Theme only through
// --vscode-* variables (preview.css); state (image path, mode, opacity, view) via setState.
// Shared parts in page.ts, the canvas in mask.ts, the legend and timings in resultView.ts,
// zoom, threshold, readout, comparison and keybindings in inspect/.
import { clearCanvas, decodeMask } from './mask';
import type { PanelMode, ResultPayload, ToWebview, ViewMode } from './shared/messages';
import { els, persist, send, settings, showBusy, showError, state, view } from './page';
import { renderLegend, renderTimings, showAllClasses } from './resultView';
import { initFocusReport, runCommand } from './inspect/commands';
import { clearCompare, compareWith, fillCompareModes, initCompare, onCompareResult, onCompareState } from './inspect/compareView';
import { applyMatteControls, initInspector } from './inspect/inspector';
import { clearCrop, initFullRes, onCrop, refreshCrop } from './inspect/fullRes';
import { initPaint, onPaint, paintAll } from './inspect/paint';
import { initInstanceList } from './instanceList';
import { initGroundTruth, onGroundTruth, paintGroundTruth, resetGroundTruth } from './groundTruthView';
import { initViewport, setContentSize } from './inspect/viewport';
import { onRefineEdit, onRefineEdits, onRefineHeld, onRefineState, refineResultShown } from './refine/refineDoc';
import { initRefine, runRefineCommand } from './refine/tools';
import { onPromptStatus } from './refine/prompts';

// ---- controls -------------------------------------------------------------------------

function applyOpacity(): void {
  const v = state.opacity ?? 0.5;
  els.opacity.value = String(v);
  els.opacityValue.textContent = `${Math.round(v * 100)}%`;
  document.body.style.setProperty('--overlay-opacity', String(v));
}

function applyView(): void {
  const mode = state.view ?? 'overlay';
  els.paneSide.hidden = mode !== 'side';
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
(document.getElementById('wholeFolder') as HTMLButtonElement).addEventListener('click', () => send({ type: 'segmentFolder' }));
els.save.addEventListener('click', () => send({ type: 'saveMask' }));
els.showAll.addEventListener('click', showAllClasses);

// ---- messages from the extension ----------------------------------------------------------

let objectUrl: string | undefined;

/** Shows the picture: the original's bytes, or the daemon's display image (a data: URL). */
function setPicture(src: string | undefined, path: string, fromBytes: boolean): void {
  if (objectUrl && objectUrl !== src) URL.revokeObjectURL(objectUrl);
  objectUrl = fromBytes ? src : undefined;
  for (const img of [els.image, els.imageSide]) {
    if (src) img.src = src;
    else img.removeAttribute('src');
  }
  els.image.onload = () => {
    // Before a result, the picture's own size sets the content; the mask's size wins after.
    if (!view.shown && view.currentPath === path) setContentSize({ width: els.image.naturalWidth, height: els.image.naturalHeight }, path);
  };
  els.image.onerror = () => {
    if (fromBytes && view.currentPath === path) send({ type: 'imageFailed', path });
  };
}

function onImage(m: Extract<ToWebview, { type: 'image' }>): void {
  const samePicture = m.path === view.currentPath;
  view.currentPath = m.path;
  state.imagePath = m.path;
  persist();
  if (m.bytes) setPicture(URL.createObjectURL(new Blob([m.bytes as Uint8Array<ArrayBuffer>], { type: m.mime ?? 'application/octet-stream' })), m.path, true);
  else if (!samePicture) setPicture(undefined, m.path, false);
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
    view.highlight = 0;
    els.instanceList.replaceChildren();
    clearCompare();
    clearCrop();
    els.readout.textContent = '';
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
  fillCompareModes(modes, current);
}

async function onResult(r: ResultPayload): Promise<void> {
  const seq = ++view.resultSeq;
  // A provisional mask leaves the busy line up: the chosen mode is still loading.
  if (!r.provisional) showBusy(undefined);
  showError(undefined);
  const { data, width, height } = await decodeMask(r.maskPng);
  const confidence = r.confidencePng ? (await decodeMask(r.confidencePng)).data : undefined;
  if (seq !== view.resultSeq || r.path !== view.currentPath) return; // a newer image or result came in
  view.shown = { r, mask: data, confidence, width, height };
  view.highlight = 0;
  if (r.displayImage) setPicture(`data:${r.displayImage.mimeType};base64,${r.displayImage.data}`, r.path, false);
  clearCrop(); // the file may have changed: crops come anew from this result's image
  setContentSize({ width, height }, r.path);
  refreshCrop();
  applyMatteControls();
  paintAll();
  if (settings.refine) refineResultShown();
  // The classes as shown: in the refine editor, their shares of the edited mask.
  renderLegend(view.shown.r);
  renderTimings(r);
  els.stage.classList.toggle('provisional', !!r.provisional);
  els.save.disabled = !!r.provisional;
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  switch (m.type) {
    case 'image':
      if (m.path !== view.currentPath) resetGroundTruth();
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
    case 'command':
      runCommand(m.command, applyView);
      break;
    case 'compareState':
      onCompareState(m.mode, m.message, m.error);
      break;
    case 'groundTruth':
      void onGroundTruth(m, paintAll).catch((err) => showError(`Could not show the ground truth: ${err instanceof Error ? err.message : err}`));
      break;
    case 'displayCrop':
      onCrop(m);
      break;
    case 'refineState':
      onRefineState(m);
      break;
    case 'refineEdits':
      onRefineEdits(m.edits);
      break;
    case 'refineEdit':
      onRefineEdit(m.edit);
      break;
    case 'refineCommand':
      runRefineCommand(m.command);
      break;
    case 'refineHeld':
      onRefineHeld(m.count);
      break;
    case 'promptStatus':
      onPromptStatus(m.state, m.message);
      break;
    case 'compareResult':
      void onCompareResult(m.result).catch((err) => onCompareState(m.result.mode, `could not show the mask: ${err instanceof Error ? err.message : err}`, true));
      break;
  }
});

initViewport();
initFullRes();
initPaint();
initGroundTruth(paintAll);
onPaint(paintGroundTruth);
initInspector();
initInstanceList();
initCompare();
initFocusReport();
applyOpacity();
applyView();
if (settings.refine) initRefine();
send({ type: 'ready' });
// A restored page compares again with the mode it compared with.
if (state.compare) compareWith(state.compare.mode);
