// Messages between the extension and the preview webview: one tagged union per direction,
// imported by both sides (extension/preview/ and media/webview/).
import type { DisplayRegion as Region, ModeState, SegmentResult, Task } from '../../../daemon/api/protocol';

/** How a binary matte is drawn (inspect/threshold.ts paints each). */
export type MatteView = 'soft' | 'hard' | 'outline';
/** What the page keeps across re-runs: fit, or a zoom and the image point at the viewport centre. */
export interface SavedView {
  fit: boolean;
  zoom: number;
  cx: number;
  cy: number;
}
import type { RefineFromWebview, RefineToWebview } from './refineMessages';

export type ViewMode = 'overlay' | 'mask' | 'side';
export type CompareView = 'split' | 'difference';

/** What the keybindings ask the page to do (package.json contributes.keybindings → commands.ts). */
export const PANEL_COMMANDS = [
  'zoomIn',
  'zoomOut',
  'zoomFit',
  'zoom1',
  'panLeft',
  'panRight',
  'panUp',
  'panDown',
  'cycleView',
  'cycleMatte',
  'thresholdUp',
  'thresholdDown',
  'toggleCompare',
  'cycleCompareView',
  'splitLeft',
  'splitRight',
  'announce',
] as const;
export type PanelCommand = (typeof PANEL_COMMANDS)[number];

export interface PanelMode {
  id: string;
  label: string;
  state: ModeState;
  typicalMs?: number;
  /** One of the user's own models (seglens.customModels). */
  custom?: boolean;
}

/** Given to the page in a data attribute of <body> (settings, not state). */
export interface PanelSettings {
  opacity: number;
  /** The refine editor (issue 22): the same page with the editing tools. */
  refine?: boolean;
}

/** What the webview keeps with setState, and the serializer restores the panel from. */
export interface PanelState {
  imagePath: string;
  /** The mode shown when saved; a restored panel takes the window's mode instead (it may be older). */
  mode: string;
  opacity?: number;
  view?: ViewMode;
  /** Semantic legend: class ids hidden, per mode (absent: the mode's background classes). */
  hidden?: Record<string, number[]>;
  /** Zoom and pan of the image at `path`, kept across re-runs of the same image. */
  zoom?: SavedView & { path: string };
  /** Instance modes: the score slider (0..1), per mode. */
  minScore?: Record<string, number>;
  /** Binary mattes: the view and the threshold (0..1). */
  matte?: MatteView;
  threshold?: number;
  /** The second mode compared with the first, how, and where the split is (0..1 of the width). */
  compare?: { mode: string; view: CompareView; split: number };
  /** The refine editor's tool, kept when its hidden page comes back. */
  tool?: 'none' | 'box' | 'keep' | 'brush' | 'eraser' | 'prompt';
}

/** An instance mode's image against COCO ground truth at IoU 0.5 (its gallery tile's counts):
 * `map` (width x height, row by row) 1 on true positives, 2 on false positives, 3 on missed objects. */
export interface InstanceAgreement {
  map: Uint8Array;
  width: number;
  height: number;
  tp: number;
  fp: number;
  fn: number;
  f1: number;
}

/** A segment result as the page gets it: the daemon's fields (docs/protocol.md SegmentResult) plus the panel's. */
export interface ResultPayload extends Pick<SegmentResult, 'mode' | 'width' | 'height' | 'maskPng' | 'classes' | 'wasWarm' | 'timings' | 'confidencePng' | 'displayImage' | 'instances'> {
  path: string;
  task: Task;
  /** Set when this preview had to load and/or warm the mode first (ensureReady ran). */
  prepared?: { loadMs: number; warmupMs: number };
  /** `fast`'s mask shown while the chosen mode (`for`) is still loading: replaced, never saved. */
  provisional?: { for: string };
}

/** Extension → webview. */
export type ToWebview =
  /** The image: its bytes when the page can decode them, else none until the result's display image. */
  | { type: 'image'; path: string; name: string; index: number; count: number; bytes?: Uint8Array; mime?: string }
  | { type: 'modes'; modes: PanelMode[]; current: string }
  | { type: 'busy'; message: string }
  | { type: 'result'; result: ResultPayload }
  | { type: 'error'; message: string; code?: number }
  | { type: 'saved'; path: string }
  | { type: 'command'; command: PanelCommand }
  /** The compared mode's progress (loading, warming, segmenting) or failure; no message: done. */
  | { type: 'compareState'; mode: string; message?: string; error?: boolean }
  | { type: 'compareResult'; result: ResultPayload }
  /** The image's ground truth (opened from the gallery): seglens/score's agreement map and scores;
   * instance modes, against a COCO file: the agreement at IoU 0.5 (`instances`), no PNG. */
  | { type: 'groundTruth'; path: string; agreementPng?: string; iou?: number; dice?: number; pixelAccuracy?: number; instances?: InstanceAgreement }
  /** The full-resolution pixels of `region` of the image at `path` (seglens/displayCrop): base64 PNG. */
  | { type: 'displayCrop'; path: string; region: Region; data: string; mimeType: string }
  | RefineToWebview;

/** Webview → extension. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'navigate'; delta: -1 | 1 }
  | { type: 'setMode'; mode: string }
  | { type: 'saveMask' }
  | { type: 'rerun' }
  /** The "whole folder" button: the gallery of the image's folder. */
  | { type: 'segmentFolder' }
  /** Compare with a second mode (null: stop comparing). */
  | { type: 'compare'; mode: string | null }
  /** Focus is on a control that uses the keys itself (slider, select, divider): keybindings yield. */
  | { type: 'focus'; control: boolean }
  /** The page could not decode the image at `path`: send the daemon's display image instead. */
  | { type: 'imageFailed'; path: string }
  /** Zoomed to 1:1 or more on a scaled-down display image: the full-resolution pixels of `region`. */
  | { type: 'displayCrop'; path: string; region: Region }
  | RefineFromWebview;
