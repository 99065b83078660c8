// Messages between the extension and the preview webview: one tagged union per direction,
// imported by both sides (extension/preview/ and media/webview/).
import type { ClassInfo, ModeState, SegmentTimings, Task } from '../../daemon/api/protocol';

export type ViewMode = 'overlay' | 'mask' | 'side';

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
}

/** What the webview keeps with setState, and the serializer restores the panel from. */
export interface PanelState {
  imagePath: string;
  mode: string;
  opacity?: number;
  view?: ViewMode;
  /** Semantic legend: class ids hidden, per mode (absent: the mode's background classes). */
  hidden?: Record<string, number[]>;
}

export interface ResultPayload {
  path: string;
  mode: string;
  task: Task;
  width: number;
  height: number;
  /** Base64 PNG, 8-bit grey: binary task alpha, semantic task class index. */
  maskPng: string;
  classes: ClassInfo[];
  wasWarm: boolean;
  timings: SegmentTimings;
  /** Set when this preview had to load and/or warm the mode first (ensureReady ran). */
  prepared?: { loadMs: number; warmupMs: number };
}

/** Extension → webview. */
export type ToWebview =
  | { type: 'image'; src: string; path: string; name: string; index: number; count: number }
  | { type: 'modes'; modes: PanelMode[]; current: string }
  | { type: 'busy'; message: string }
  | { type: 'result'; result: ResultPayload }
  | { type: 'error'; message: string; code?: number }
  | { type: 'saved'; path: string };

/** Webview → extension. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'navigate'; delta: -1 | 1 }
  | { type: 'setMode'; mode: string }
  | { type: 'saveMask' }
  | { type: 'rerun' };
