// Messages between the extension and the gallery webview (SegLens: Segment Folder…): one
// tagged union per direction, imported by both sides (extension/gallery/ and media/webview/gallery/).
import type { Rgb, Task } from '../../../daemon/api/protocol';

export type TileState = 'queued' | 'running' | 'done' | 'failed';

/** What the grid knows of one image; `i` is its index in the folder's list (name order). */
export interface TileInfo {
  i: number;
  /** Relative to the folder, '/' separators. */
  rel: string;
  state: TileState;
  /** failed: the reason. */
  error?: string;
  /** IoU against ground truth (binary: foreground; semantic: mean over classes present). */
  iou?: number;
  /** Inference time of the run that made the result, ms. */
  ms?: number;
  /** Share of the image not background (0..1). */
  share?: number;
  /** A ground-truth file was found for it. */
  gt?: boolean;
  /** Answered from the daemon's result cache. */
  cached?: boolean;
  /** Instance modes: instances at or over the mode's scoreThreshold; against a COCO ground
   * truth, at IoU 0.5: true and false positives, missed objects, and F1. */
  instances?: number;
  tp?: number;
  fp?: number;
  fn?: number;
  f1?: number;
}

/** Instance modes against a COCO ground truth: the folder's mask AP (COCOeval's, null: no ground-truth object). */
export interface InstanceTable {
  ap: number | null;
  ap50: number | null;
  ap75: number | null;
  classes: { name: string; ap: number | null }[];
  /** Detections evaluated: those at or over `scoreThreshold` (the mode's). */
  detections: number;
  scoreThreshold: number;
  /** Ground-truth categories no label of the mode matched. */
  unmatchedCategories: string[];
  /** Ground-truth images not in the folder (their objects count as missed). */
  gtImagesNotInRun: number;
}

export interface ThumbPayload {
  i: number;
  /** Base64 image and its mime type. */
  image: string;
  mimeType: string;
  /** Base64 8-bit grey PNG of the mask at the thumbnail's size. */
  mask: string;
  width: number;
  height: number;
}

export interface GalleryClass {
  id: number;
  label: string;
  color: Rgb;
}

export interface ProgressInfo {
  done: number;
  total: number;
  /** Images per second over this run so far (0 until one finished). */
  perSecond: number;
  /** Seconds left at that rate (undefined until known). */
  etaSeconds?: number;
  running: boolean;
  cancelled?: boolean;
}

export interface SummaryInfo {
  images: number;
  failed: number;
  withGroundTruth: number;
  meanIoU?: number;
  /** Per class, IoU over the folder (sum of intersections / sum of unions). */
  classes?: { name: string; iou: number }[];
  /** Semantic: pixel counts summed over the folder, rows = ground-truth class, columns = predicted
   * class, over the classes that occur (at most CONFUSION_MAX, the largest). */
  confusion?: { labels: string[]; rows: number[][] };
  /** Up to 10 images with the lowest IoU, worst first (instance modes: the lowest F1). */
  worst: { i: number; rel: string; iou: number }[];
  /** Instance modes against a COCO ground truth: the AP table; `worst` is by F1. */
  instances?: InstanceTable;
}

export type SortKey = 'name' | 'score' | 'share' | 'time' | 'f1';
export type FilterKey = 'all' | 'failed' | 'gt';

export interface GallerySettings {
  /** Tile side in CSS pixels (the daemon makes thumbnails at this size x devicePixelRatio). */
  tileSize: number;
}

/** Extension → webview. */
export type ToGallery =
  /** `folder` is for display; `path` is the folder's own path, kept in the page's state for a restore. */
  | { type: 'init'; folder: string; path: string; mode: string; task: Task; classes: GalleryClass[]; tiles: TileInfo[]; view?: GalleryView }
  | { type: 'tiles'; tiles: TileInfo[] }
  /** The mode's classes and colours, once a result gave them. */
  | { type: 'classes'; task: Task; classes: GalleryClass[] }
  | { type: 'thumbs'; thumbs: ThumbPayload[] }
  | { type: 'progress'; progress: ProgressInfo }
  | { type: 'summary'; summary: SummaryInfo }
  | { type: 'notice'; message: string };

/** Webview → extension. */
export type FromGallery =
  | { type: 'ready' }
  /** Thumbnails of the tiles now visible (indices into the folder's list). */
  | { type: 'need'; indices: number[] }
  /** Open the preview at this image; ←/→ there follow this order. */
  | { type: 'open'; i: number; sort: SortKey; filter: FilterKey }
  /** Edit the tile's ground truth (or, with none, the prediction as its first one) in the refine editor. */
  | { type: 'refine'; i: number }
  /** The user changed the sort or filter: the extension keeps it for this folder (reopen, reload). */
  | { type: 'view'; sort: SortKey; filter: FilterKey }
  | { type: 'cancel' }
  | { type: 'rerun' }
  | { type: 'exportReport' }
  /** Masks (binary, semantic) or, for an instance mode, coco.json and coco-results.json. */
  | { type: 'exportMasks' };

/** The sort and filter the user chose for a folder. */
export interface GalleryView {
  sort: SortKey;
  filter: FilterKey;
}

/**
 * What the page keeps with setState, and the serializer restores the gallery from after a
 * reload. The workbench may hand back an older copy of it, so the extension keeps the view
 * itself too (`view` messages) and sends it with `init`.
 */
export interface GalleryState {
  path?: string;
  sort?: SortKey;
  filter?: FilterKey;
}
