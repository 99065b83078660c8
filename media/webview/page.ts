// The page's shared parts: the VS Code API, the elements, the state kept with setState and
// what is on screen now. Every other module of the page reads and writes them from here.
import type { FromWebview, PanelSettings, PanelState, ResultPayload } from './shared/messages';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export const settings: PanelSettings = JSON.parse(document.body.dataset.settings ?? '{}') as PanelSettings;
const saved = vscode.getState();
export const state: PanelState = {
  imagePath: saved?.imagePath ?? '',
  mode: saved?.mode ?? '',
  opacity: saved?.opacity ?? settings.opacity ?? 0.5,
  view: saved?.view ?? 'overlay',
  hidden: saved?.hidden ?? {},
  zoom: saved?.zoom,
  matte: saved?.matte ?? 'soft',
  threshold: saved?.threshold ?? 0.5,
  compare: saved?.compare,
  minScore: saved?.minScore,
  tool: saved?.tool,
};

// A data table: one row per element id of previewHtml.ts (rows alike by design).
export const els = {
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
  /** Full-resolution crops over a scaled-down display image (inspect/fullRes.ts). */
  crop: $<HTMLImageElement>('crop'),
  cropSide: $<HTMLImageElement>('cropSide'),
  overlay: $<HTMLCanvasElement>('overlay'),
  overlaySide: $<HTMLCanvasElement>('overlaySide'),
  timings: $('timings'),
  legend: $<HTMLUListElement>('legend'),
  legendTools: $('legendTools'),
  showAll: $<HTMLButtonElement>('showAll'),
  paneMain: $('paneMain'),
  paneSide: $('paneSide'),
  content: $('content'),
  contentSide: $('contentSide'),
  overlayB: $<HTMLCanvasElement>('overlayB'),
  divider: $('divider'),
  crosshair: $('crosshair'),
  zoomIn: $<HTMLButtonElement>('zoomIn'),
  zoomOut: $<HTMLButtonElement>('zoomOut'),
  zoomFit: $<HTMLButtonElement>('zoomFit'),
  zoom1: $<HTMLButtonElement>('zoom1'),
  zoomValue: $<HTMLOutputElement>('zoomValue'),
  matteGroup: $('matteGroup'),
  thresholdGroup: $('thresholdGroup'),
  threshold: $<HTMLInputElement>('threshold'),
  thresholdValue: $<HTMLOutputElement>('thresholdValue'),
  share: $('share'),
  scoreGroup: $('scoreGroup'),
  minScore: $<HTMLInputElement>('minScore'),
  minScoreValue: $<HTMLOutputElement>('minScoreValue'),
  instanceList: $<HTMLUListElement>('instanceList'),
  compareMode: $<HTMLSelectElement>('compareMode'),
  compareViews: $('compareViews'),
  compareState: $('compareState'),
  iou: $<HTMLOutputElement>('iou'),
  readout: $('readout'),
  announce: $('announce'),
};

/** The result on screen and its decoded mask, to repaint when classes are hidden or shown. */
export interface Shown {
  r: ResultPayload;
  /** One byte per pixel: alpha (binary) or class index (semantic). */
  mask: Uint8Array;
  /** Semantic, when the daemon sent it: the top class's confidence x 255 per pixel. */
  confidence?: Uint8Array;
  width: number;
  height: number;
}

/** What the page shows now; `resultSeq` drops a result decoded after a newer image came. */
export const view: { currentPath: string; resultSeq: number; shown: Shown | undefined; compared: Shown | undefined; highlight: number } = {
  currentPath: '',
  resultSeq: 0,
  shown: undefined,
  /** Instance modes: the instance hovered in the list or on the mask (0: none). */
  highlight: 0,
  /** The second mode's result (compare). */
  compared: undefined,
};

export function send(m: FromWebview): void {
  vscode.postMessage(m);
}
export function persist(): void {
  vscode.setState(state);
}

export function showBusy(message: string | undefined): void {
  els.busy.hidden = !message;
  els.busyText.textContent = message ?? '';
  els.stage.setAttribute('aria-busy', message ? 'true' : 'false');
}

export function showError(message: string | undefined, code?: number): void {
  els.error.hidden = !message;
  els.error.textContent = message ? `${message}${code !== undefined ? ` (error ${code})` : ''}` : '';
}
