// The SegLens daemon protocol, version 1: the one typed copy of docs/protocol.md.
// Both the daemon and every client (extension, preview CLI, tests, bench) import it.
// Names and fields are a contract with tests outside the project: add, never rename.
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { LogLevel } from './constants';
import type { OutputFormatName, Task, UserModeDefinition } from './modeSchema';

export const PROTOCOL_VERSION = 1 as const;

export type { Task } from './modeSchema';
export type ModeState = 'cold' | 'loading' | 'warming' | 'warm' | 'failed';
export type Rgb = [number, number, number];

export interface ModeInfo {
  id: string;
  label: string;
  description: string;
  task: Task;
  /** [height, width] of the model input. */
  inputSize: [number, number];
  labels: string[];
  /** Extension: the mode comes from a user definition rather than the built-in catalogue. */
  custom?: boolean;
  /** Extension: typical steady inference time measured on the reference machine, for pickers. */
  typicalMs?: number;
  /** Extension (issue 24), instance modes: the output format and its settings. */
  instance?: { outputFormat: OutputFormatName; scoreThreshold: number; iouThreshold: number; maxInstances: number };
  /** Extension (issue 25), prompt modes: the encoder's input side (the image's longer side is resized to it). */
  prompt?: { encoderSize: number };
}

/** How a mode's mask PNG is read: a binary alpha, or indices (a semantic class map, an instance-id map). */
export const maskKind = (task: Task): 'binary' | 'semantic' => (task === 'binary' || task === 'prompt' ? 'binary' : 'semantic');

export interface ModeStatus {
  mode: string;
  state: ModeState;
  loaded: boolean;
  warm: boolean;
  warmups: number;
  loadMs?: number;
  warmupMs?: number;
  lastInferenceMs?: number;
  error?: string;
  /** Extension: a connected client has this mode selected, so it is kept loaded. */
  selected?: boolean;
  /** Extension: ISO time at which the loaded mode is unloaded if nobody uses it. */
  expiresAt?: string;
  /**
   * Extension (issue #14): this machine's steady inference time for the mode in ms (the
   * median of its last warm requests), remembered across restarts in the cache folder beside
   * the recent modes. Absent before the first measurement (ModeInfo.typicalMs is then the
   * only, estimated, figure).
   */
  steadyMs?: number;
  /** Extension (issue 25), prompt modes: image embeddings held in the embedding cache. */
  embeddings?: number;
}

/** Sent by the client, first request on every connection. */
export interface InitializeParams {
  clientName: string;
  clientVersion?: string;
  protocolVersion: 1;
  processId?: number;
}
export interface InitializeResult {
  protocolVersion: 1;
  daemonVersion: string;
  pid: number;
  providers: string[];
  modes: ModeInfo[];
  /** Extension: the execution provider sessions run on ('cpu' when a GPU provider fell back). */
  provider?: string;
  /** Extension (issue 27): the GPU adapter, providers that could not start, CPU checks, run times. */
  gpu?: GpuStatus;
}

/**
 * Extension (issue 27): the WebGPU adapter the engine runs on. onnxruntime-node 1.30 does not
 * expose the adapter Dawn picked, so `f16` is asked of ONNX Runtime (an f16 graph run on the
 * adapter) and `driver` is the GPU driver library Dawn loaded into the engine (Linux: the Vulkan
 * driver mapped in the process); `vendor` and `architecture` are read from that driver's name
 * (absent when it is not known). `source` says how they were found.
 */
export interface GpuAdapterInfo {
  provider: string;
  /** 'vulkan' (Linux), 'metal' (macOS), 'd3d12' (Windows). */
  backend: string;
  vendor?: string;
  architecture?: string;
  driver?: string;
  f16: boolean;
  /** What the CPU check's verdicts are keyed on (backend, driver, f16). */
  id: string;
  source: string;
}

/** Extension (issue 27): how a GPU provider's output compared with the CPU's on the check input. */
export interface ProviderCheckFigures {
  /** What was compared: a matte or probability map ('mask'), class maps ('classes'), raw outputs ('tensor'). */
  output: 'mask' | 'classes' | 'tensor';
  /** 'mask': IoU of the two masks at 0.5 (bar >= 0.99). */
  iou?: number;
  /** 'mask': mean absolute alpha difference in 0..255 units (bar <= 2). */
  meanAlphaDiff?: number;
  /** 'classes': share of pixels with the same class (bar >= 0.99). */
  classAgreement?: number;
  /** 'classes' (top-class confidence) and 'tensor' (relative to the CPU output's range): mean absolute difference, 0..255 units (bar <= 2). */
  meanDiff?: number;
}

/** Extension (issue 27): one (model, provider, adapter) checked against the CPU. */
export interface ProviderCheck {
  model: string;
  mode: string;
  provider: string;
  adapter: string;
  ortVersion: string;
  passed: boolean;
  figures: ProviderCheckFigures;
  /** True when the verdict came from the cache folder (an earlier start), not from a run now. */
  remembered: boolean;
  /** The GPU run failed outright (then `figures` is empty): why. */
  error?: string;
  checkedAt: string;
}

/** Extension (issue 27): run times of one mode's input shape on one provider. */
export interface ProviderTiming {
  provider: string;
  mode: string;
  inputSize: [number, number];
  /** The first run at this shape (on a GPU: shader compilation included). */
  firstRunMs: number;
  /** Median of the later runs (absent after one run). */
  steadyMs?: number;
  runs: number;
}

/** Extension (issue 27): what `initialize` and `seglens/status` say of the providers in use. */
/**
 * Extension: how this engine start got its WebGPU adapter answer. `remembered`: from the cache
 * folder (a probe of an earlier start found no adapter; under `auto` only), no probe ran; else
 * the probe ran at this start. `at`: when the answer was found (ISO time).
 */
export interface GpuAdapterProbe {
  remembered: boolean;
  at: string;
}

export interface GpuStatus {
  adapter?: GpuAdapterInfo;
  /** Extension: whether the adapter answer was probed or remembered; absent when no WebGPU probe was wanted (`cpu`, no WebGPU in the binding). */
  adapterProbe?: GpuAdapterProbe;
  /** GPU providers that could not start here, each with why (said once in the log). */
  unavailable: { provider: string; error: string }[];
  checks: ProviderCheck[];
  /** The provider each loaded model's session runs on. */
  sessions: { model: string; provider: string }[];
  times: ProviderTiming[];
}
export const Initialize = new RequestType<InitializeParams, InitializeResult, void>('initialize');

export interface StatusResult {
  pid: number;
  uptimeMs: number;
  clients: number;
  rssBytes: number;
  provider: string;
  modes: ModeStatus[];
  /** Extension: loaded model files with the modes using them and their approximate memory. */
  models?: { key: string; file: string; modes: string[]; approxBytes: number }[];
  /** Extension: how long an unselected mode stays loaded after its last use (0 = forever). */
  keepAliveMs?: number;
  /** Extension: the daemon's --max-loaded-models (0 = no limit). */
  maxLoadedModels?: number;
  /** Extension: the daemon's --max-rss-mb in bytes (0 = no budget). */
  maxRssBytes?: number;
  /** Extension (issue 27): the GPU adapter, providers that could not start, CPU checks, run times per provider. */
  gpu?: GpuStatus;
}
/** Client → daemon. */
export const Status = new RequestType<Record<string, never>, StatusResult, void>('seglens/status');

export interface EnsureReadyParams {
  mode: string;
  /** Default true. */
  warmup?: boolean;
}
export type LoadOutcome = 'ran' | 'cached' | 'joined';
export type WarmupOutcome = 'ran' | 'skipped' | 'joined' | 'disabled';
export interface EnsureReadyResult {
  mode: string;
  state: ModeState;
  load: LoadOutcome;
  warmup: WarmupOutcome;
  loadMs: number;
  warmupMs: number;
  elapsedMs: number;
}
/** Client → daemon. */
export const EnsureReady = new RequestType<EnsureReadyParams, EnsureReadyResult, void>('seglens/ensureReady');

export interface WarmupParams {
  mode: string;
  /** Default false: run only when the mode is not warm. */
  force?: boolean;
  iterations?: number;
}
export interface WarmupResult {
  mode: string;
  ran: boolean;
  iterations: number;
  durationMs: number;
}
/** Client → daemon. */
export const Warmup = new RequestType<WarmupParams, WarmupResult, void>('seglens/warmup');

export type ImageSource = { path: string } | { base64: string };
export interface SegmentParams {
  mode: string;
  image: ImageSource;
  /** Extension (issue 16): also return `confidencePng` (semantic modes). Default false. */
  confidence?: boolean;
  /** Extension (issue 16): also return `displayImage`; `true` bounds it at DISPLAY_MAX_SIDE. Default false. */
  displayImage?: boolean | DisplayImageRequest;
  /** Extension (issue 15): also return `thumbnail`, the image and its mask at most `size` on the longest side. */
  thumbnail?: ThumbnailRequest;
  /** Extension (issue 15): 'batch' requests start only when no interactive one waits (a gallery's
   * folder run behind the preview). Default 'interactive'. */
  priority?: SegmentPriority;
  /** Extension (issue 15): answer from the daemon's result cache when this image (by content),
   * mode definition, model file and options were segmented before, and store the result when
   * not. A cached answer runs no inference and has `cached: true`. Default false. */
  cache?: boolean;
  /** Extension (issue 22): segment only this rectangle of the oriented image (whole pixels,
   * inside the image, each side >= SEGMENT_REGION_MIN_SIDE). The mode's whole pipeline runs on
   * the crop as on an image file of that size; `maskPng` (and `confidencePng`) are region-sized,
   * `width`/`height` stay the image's, and the result echoes `region`. Part of the cache key. */
  region?: DisplayRegion;
  /** Extension (issue 24), instance modes: also give each instance its whole mask as COCO
   * compressed RLE (`SegmentInstance.rle`, its own pixels, overlaps included). Default false. */
  instanceRle?: boolean;
  /** Extension (issue 24), instance modes: keep instances scoring at least this (0..1) instead of
   * the mode's `scoreThreshold`, for this request (COCO evaluation runs at 0.001). */
  scoreThreshold?: number;
}
/** Smallest side of a `seglens/segment` region (issue 22). */
export const SEGMENT_REGION_MIN_SIDE = 16;
export type SegmentPriority = 'interactive' | 'batch';
export interface ThumbnailRequest {
  /** Longest side, THUMBNAIL_MIN_SIZE..THUMBNAIL_MAX_SIZE (never enlarged). */
  size: number;
}
export const THUMBNAIL_MIN_SIZE = 16;
export const THUMBNAIL_MAX_SIZE = 1024;
/** The gallery's tile: the oriented image and the mask at the same small size. (Like
 * DisplayImage in shape, but a separate contract: a tile carries its own mask.) */
export interface Thumbnail {
  /** Base64 JPEG (opaque images) or PNG (with alpha). */
  image: string;
  mimeType: 'image/jpeg' | 'image/png';
  /** Base64 PNG, 8-bit grey, width x height: binary alpha, semantic class index (nearest). */
  mask: string;
  width: number;
  height: number;
}
export interface DisplayImageRequest {
  /** Longest side of the display image, DISPLAY_MIN_SIDE..DISPLAY_MAX_SIDE_LIMIT (default DISPLAY_MAX_SIDE). */
  maxSide?: number;
}
export const DISPLAY_MAX_SIDE = 4096;
export const DISPLAY_MIN_SIDE = 16;
export const DISPLAY_MAX_SIDE_LIMIT = 16384;
/** The image as the daemon decoded it, for clients that cannot decode the original (TIFF,
 * 16-bit, CMYK) or would orient it differently (EXIF): same orientation as the mask, at most
 * `maxSide` on its longest side (never enlarged), 8-bit sRGB. */
export interface DisplayImage {
  /** Base64 of the encoded image: JPEG for opaque images, PNG when the image has alpha. */
  data: string;
  mimeType: 'image/jpeg' | 'image/png';
  /** Of the display image; width / SegmentResult.width is its scale (<= 1). */
  width: number;
  height: number;
  /** Time spent decoding and encoding it (part of timings.totalMs, in none of the other timings). */
  encodeMs: number;
}
/** A rectangle of the oriented image, in its pixels (SegmentResult.width x height). */
export interface DisplayRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}
export interface DisplayCropParams {
  image: ImageSource;
  /** Whole numbers, inside the oriented image, each side 1..DISPLAY_CROP_MAX_SIDE. */
  region: DisplayRegion;
}
/** Longest side of a `seglens/displayCrop` region (a 4K screen at 1:1 fits). */
export const DISPLAY_CROP_MAX_SIDE = 4096;
export interface DisplayCropResult {
  /** Base64 PNG, 8-bit sRGB (RGBA when the image has alpha): the image's own pixels in `region`,
   * decoded and oriented exactly as for the mask, never resampled. */
  data: string;
  mimeType: 'image/png';
  region: DisplayRegion;
  /** The whole oriented image's size. */
  imageWidth: number;
  imageHeight: number;
  /** Time spent reading, decoding and encoding (a decoded image is reused for the next crop of the same file). */
  encodeMs: number;
}
/**
 * Client → daemon (issue 16): full-resolution pixels of one region of an image, for a client
 * zoomed to 1:1 or more on a downscaled `displayImage`. No inference and no mode; decoded off the
 * main thread. Errors: 1001/1002/1003 as for segment, -32602 for a region outside the image.
 */
export const DisplayCrop = new RequestType<DisplayCropParams, DisplayCropResult, void>('seglens/displayCrop');
export interface ClassInfo {
  id: number;
  label: string;
  color: Rgb;
  /** Fraction of pixels; the fractions of one result sum to 1 (instance modes: every label is
   * listed, and they sum to the share the instances cover). */
  fraction: number;
}
/** One object found by an instance mode (issue 24). */
export interface SegmentInstance {
  /** 1.. in `instances` order: its value in the instance-id map (`maskPng`). */
  id: number;
  /** Class index into the mode's labels (ClassInfo.id). */
  class: number;
  /** The class's label. */
  label: string;
  score: number;
  /** In image pixels (after EXIF orientation), the letterbox undone, clipped to the image. */
  box: { left: number; top: number; width: number; height: number };
  /** Pixels of its own mask (overlaps included). */
  area: number;
  /** When `instanceRle` was asked for: its mask as COCO compressed RLE over the whole image. */
  rle?: { size: [number, number]; counts: string };
}
export interface SegmentTimings {
  queueMs: number;
  decodeMs: number;
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
  totalMs: number;
}
export interface SegmentResult {
  mode: string;
  /** Of the input image, after EXIF orientation. */
  width: number;
  height: number;
  /** Base64 PNG, 8-bit grey, width x height (region.width x region.height when a `region` was
   * asked for): binary task alpha 0..255, semantic task class index, instance task the
   * instance id (0 background; where two overlap, the higher score wins). */
  maskPng: string;
  /** Extension (issue 24), instance modes: the objects found, best score first. */
  instances?: SegmentInstance[];
  /** Extension (issue 22): the `region` the request asked for, when it asked for one. */
  region?: DisplayRegion;
  classes: ClassInfo[];
  /** The mode was warm when this request started. */
  wasWarm: boolean;
  timings: SegmentTimings;
  /** Extension (issue 16), when `confidence` was asked for and the mode is semantic: base64 PNG,
   * 8-bit grey, width x height, the top class's probability at each pixel x 255 (softmax of
   * logits, or the normalised probabilities), sampled like the class map. */
  confidencePng?: string;
  /** Extension (issue 16), when `displayImage` was asked for. */
  displayImage?: DisplayImage;
  /** Extension (issue 15), when `thumbnail` was asked for. */
  thumbnail?: Thumbnail;
  /** Extension (issue 15): answered from the result cache (`cache: true`); timings other than
   * queueMs and totalMs are those of the run that made it. */
  cached?: boolean;
}
/** Client → daemon. */
export const Segment = new RequestType<SegmentParams, SegmentResult, void>('seglens/segment');

// ---------------------------------------------------------------- issue 25: promptable (SAM) modes

/** How a prompt mode's image embedding was had: run now, found in the cache, or joined a run
 * another request started (single flight). Also the `outcome` label of seglens_embeddings_total. */
export type EmbeddingOutcome = 'computed' | 'cached' | 'joined';
/** Client → daemon: compute and keep an image's embedding for a prompt mode (called when the user
 * opens an image in a prompt mode; the gallery calls it with priority 'batch' ahead of the user). */
export interface EmbedParams {
  mode: string;
  image: ImageSource;
  /** Extension: as for segment; default 'interactive'. */
  priority?: SegmentPriority;
}
export interface EmbedResult {
  mode: string;
  /** Of the image after EXIF orientation. */
  width: number;
  height: number;
  embedding: EmbeddingOutcome;
  /** The encoder run's time (that of the run that made it when cached or joined). */
  encoderMs: number;
}
export const Embed = new RequestType<EmbedParams, EmbedResult, void>('seglens/embed');

/** A prompt point in oriented-image pixels; label 1 positive, 0 negative. */
export interface PromptPoint {
  x: number;
  y: number;
  label: 1 | 0;
}
/** Most points one `seglens/prompt` may carry (more is -32602). */
export const PROMPT_MAX_POINTS = 64;
export interface PromptParams {
  mode: string;
  image: ImageSource;
  /** At least one point or a box (else -32602). */
  points?: PromptPoint[];
  /** In oriented-image pixels. */
  box?: DisplayRegion;
  /** The `token` of an earlier answer on the same image: its low-res mask is fed back as `mask_input`. */
  previous?: string;
  /** Extension: which of that answer's candidates is fed back (an index into its `candidates`;
   * default its best, the one its `maskPng` showed). */
  previousCandidate?: number;
}
export interface PromptCandidate {
  /** Base64 PNG, 8-bit grey, width x height, 255 foreground. */
  maskPng: string;
  /** The decoder's iou_predictions for it. */
  score: number;
}
export interface PromptTimings {
  queueMs: number;
  encoderMs: number;
  decoderMs: number;
  postprocessMs: number;
  totalMs: number;
}
export interface PromptResult {
  mode: string;
  width: number;
  height: number;
  /** Base64 PNG, 8-bit grey, width x height, 255 foreground: the best candidate by iou_predictions. */
  maskPng: string;
  score: number;
  /** When the decoder gives K > 1 masks: all K, in the decoder's order. */
  candidates?: PromptCandidate[];
  embedding: EmbeddingOutcome;
  /** Names this answer for a later request's `previous`. */
  token: string;
  timings: PromptTimings;
}
export const Prompt = new RequestType<PromptParams, PromptResult, void>('seglens/prompt');

/** Extension (issue 15): what a gallery asks when it reopens a folder. Results of `cache: true`
 * segment requests already in the result cache, for many images at once, answered from the
 * cache folder without queueing behind the engine (nothing runs). The options that shape a
 * segment answer (`confidence`, `displayImage`, `thumbnail`) are part of the cache key: give the
 * ones the segment requests had. */
export interface CachedResultsParams {
  mode: string;
  /** 1..CACHED_RESULTS_MAX_IMAGES images, by path. */
  images: { path: string }[];
  thumbnail?: ThumbnailRequest;
  /** Extension (issue 24): as in `segment`. */
  instanceRle?: boolean;
  confidence?: boolean;
  displayImage?: boolean | DisplayImageRequest;
}
export const CACHED_RESULTS_MAX_IMAGES = 1000;
export interface CachedResultsEntry {
  /** As given in the request. */
  path: string;
  /** The cached answer (`cached: true`), or absent: a miss (never segmented with these options,
   * changed since, or not readable; a segment request says which). */
  result?: SegmentResult;
  /** A miss that cannot be looked up, and why (issue #20): 1001 missing, unreadable or not a
   * regular file (a FIFO, a device, a folder), 1003 over --max-image-bytes. */
  error?: { code: number; message: string };
}
export interface CachedResultsResult {
  mode: string;
  /** One entry per requested image, in the request's order. */
  results: CachedResultsEntry[];
  hits: number;
  misses: number;
}
/** Client → daemon (extension, issue 15). */
export const CachedResults = new RequestType<CachedResultsParams, CachedResultsResult, void>('seglens/cachedResults');

export interface UnloadParams {
  /** All modes when absent. */
  mode?: string;
}
export interface UnloadResult {
  unloaded: string[];
}
/** Client → daemon. */
export const Unload = new RequestType<UnloadParams, UnloadResult, void>('seglens/unload');

export interface MetricsResult {
  /** Prometheus text format 0.0.4. */
  text: string;
}
/** Client → daemon. */
export const Metrics = new RequestType<Record<string, never>, MetricsResult, void>('seglens/metrics');

/** Client → daemon; the daemon stops after answering. */
export const Shutdown = new RequestType0<null, void>('shutdown');

/** Daemon → every client, on each state change. */
export const ModelState = new NotificationType<ModeStatus>('seglens/modelState');

export type { LogLevel } from './constants';
export interface LogParams {
  level: LogLevel;
  message: string;
}
/** Daemon → client. */
export const Log = new NotificationType<LogParams>('seglens/log');

// ---------------------------------------------------------------- your own models (issue #8)

// The definition and its enums are the TypeBox schema's types (daemon/api/modeSchema.ts).
/** How a model's output is read: per-class `logits`/`probabilities` (argmax → class map), or
 * one channel: `sigmoid` (already 0..1) / `logit` (raw, sigmoid applied) → binary matte.
 * Input size: [height, width], one number for a square, or, for a model with free height and
 * width, the size to run at (`target`, rounded to the nearest multiple of `multipleOf`).
 * A definition needs only `id` and `model`; what is left out is taken from the model file when
 * it can be read, else defaulted. */
export type { LabelPresetName, NormalizationPreset, OutputKindName, UserInputSize, UserModeDefinition } from './modeSchema';

/** A definition refused before loading anything: `field` names the offending field. */
export interface DefinitionError {
  /** The definition's id ('' when it has none), and its position in the list. */
  id: string;
  index: number;
  field: string;
  message: string;
}

export interface DefineModesParams {
  modes: UserModeDefinition[];
  /** Default false: add or update only. True: the list is the whole set of this client's user
   * modes, so user modes not in it are unloaded and removed, except those another connected
   * client has defined (and not dropped since) and those from the daemon's --models file. */
  replace?: boolean;
  /** Base folder for relative `model` paths (default: relative paths are refused). */
  baseDir?: string;
}
export interface DefineModesResult {
  /** The modes of this request that were accepted (added, replaced or unchanged), as `initialize` lists them. */
  modes: ModeInfo[];
  errors: DefinitionError[];
  added: string[];
  /** Redefined with a different definition: unloaded first, now cold. */
  replaced: string[];
  /** Same definition as the mode already has: left as it is (warm stays warm). */
  unchanged: string[];
  removed: string[];
}
/** Client → daemon. Built-in ids cannot be redefined. */
export const DefineModes = new RequestType<DefineModesParams, DefineModesResult, void>('seglens/defineModes');

export interface ModesChangedParams {
  /** Every mode the daemon now offers, as `initialize` lists them. */
  modes: ModeInfo[];
  added: string[];
  replaced: string[];
  removed: string[];
}
/** Daemon → every client, when user modes were added, replaced or removed (followed by a
 * `seglens/modelState` for each added or replaced mode). */
export const ModesChanged = new NotificationType<ModesChangedParams>('seglens/modesChanged');

export interface ModelTensorInfo {
  name: string;
  /** 'float32', 'float16', 'uint8', 'int64'...; 'sequence', 'map' or 'unknown' for non-tensors. */
  type: string;
  /** A number per fixed axis, the symbol of a symbolic axis, null when unknown; null when the rank is unknown. */
  shape: (number | string | null)[] | null;
}
export interface InspectModelParams {
  path: string;
  /**
   * Extension (issue 25): the image encoder of a Segment Anything pair, `path` being its prompt
   * decoder: the result's `prompt` says whether the pair fits the 'sam' contract and what does not.
   */
  encoder?: string;
  /** Extension (issue 25), with `encoder`: its input side (default 1024) and tensor names, as a definition would give them. */
  encoderSize?: number;
  samNames?: UserModeDefinition['samNames'];
}
/** Extension (issue 25): a Segment Anything pair checked against the 'sam' contract (docs/models.md). */
export interface PromptPairCheck {
  /** The encoder's path, resolved. */
  encoder: string;
  encoderInputs: ModelTensorInfo[];
  encoderOutputs: ModelTensorInfo[];
  /** True when nothing below is wrong: a prompt mode with this pair loads. */
  fits: boolean;
  /** Each way the pair does not fit, naming the input or output and the shape expected; `field`
   * the definition field at fault ('encoder', 'model' the decoder, or 'samNames'). */
  problems: { field: 'encoder' | 'model' | 'samNames'; message: string }[];
}
export interface InspectModelResult {
  path: string;
  inputs: ModelTensorInfo[];
  outputs: ModelTensorInfo[];
  opset?: number;
  irVersion?: number;
  producer?: string;
  fileBytes: number;
  metadata: Record<string, string>;
  /** A definition guessed from the shapes (layout, size, output kind, class count, preset), to prefill a form. */
  suggestion: UserModeDefinition;
  /** What the guess could not know or assumed (normalisation, labels...), one sentence each. */
  notes: string[];
  /** Extension (issue 25): with `encoder` in the params, the pair against the 'sam' contract
   * (`suggestion` is then a prompt mode for the pair). */
  prompt?: PromptPairCheck;
}
/** Client → daemon. Reads the file's declarations without creating a session; -32602 when the
 * path is not a readable ONNX file. */
export const InspectModel = new RequestType<InspectModelParams, InspectModelResult, void>('seglens/inspectModel');

export interface SelectModeParams {
  mode: string;
}
export interface SelectModeResult {
  mode: string;
  state: ModeState;
}
/**
 * Client → daemon (extension): the mode this client shows. A mode some connected client has
 * selected is never unloaded for being idle. Using a mode (ensureReady, segment) selects it too.
 */
export const SelectMode = new RequestType<SelectModeParams, SelectModeResult, void>('seglens/selectMode');

// ---------------------------------------------------------------- ground truth (issue #15)

export interface ScoreParams {
  /** The mode that made the prediction: its task (binary/semantic) and labels. */
  mode: string;
  /** The predicted mask as `seglens/segment` returns it (`{base64: maskPng}`), or a mask PNG file. */
  prediction: ImageSource;
  /**
   * Binary task: a grey, RGB or RGBA image, foreground = luminance >= 128 (Rec. 601), or
   * alpha >= 128 when it has alpha. Semantic task: a class-index PNG (a palette PNG is read as
   * its indices), 255 = ignored; Cityscapes `*_labelIds.png` is mapped to train ids when the
   * mode's labels are the `cityscapes` preset.
   */
  groundTruth: ImageSource;
  /** Extension (issue 15): also return `agreementPng`, where they agree. Default false. */
  agreement?: boolean;
}
export interface ScoreClass {
  id: number;
  /** The mode's label for the id (`class N` beyond its labels). */
  label: string;
  iou: number;
  /** Pixel counts (ignored pixels excluded), so folder scores can be summed: IoU = sum(I) / sum(U). */
  intersection: number;
  union: number;
}
export interface ScoreResult {
  mode: string;
  task: Task;
  width: number;
  height: number;
  /** Binary: IoU of prediction foreground (mask >= 128) and ground truth foreground, 1 when both
   * are empty. Semantic: the mean of `classes[].iou`. */
  iou: number;
  /** Binary only: 2TP / (2TP + FP + FN), 1 when both are empty. */
  dice?: number;
  /** Binary only: pixel counts. */
  counts?: { truePositive: number; falsePositive: number; falseNegative: number; trueNegative: number };
  /** Semantic only: the classes present in the prediction or the ground truth (ignored pixels excluded), by id. */
  classes?: ScoreClass[];
  /** Semantic only: correct pixels / pixels not ignored. */
  pixelAccuracy?: number;
  /** Semantic only: ground-truth pixels equal to 255. */
  ignoredPixels?: number;
  /** Extension (issue 15), semantic only: pixel counts by (ground-truth class id, predicted class
   * id), only the pairs that occur, ignored pixels excluded: a folder's confusion matrix is their sum. */
  confusion?: { gt: number; pred: number; pixels: number }[];
  /** When `agreement` was asked for: base64 8-bit grey PNG, width x height, per pixel 1 true
   * positive, 2 false positive, 3 false negative, 0 otherwise (binary: of the foregrounds;
   * semantic: 1 same non-background class, 2 a predicted class the ground truth does not have
   * there, 3 a ground-truth class predicted as background, 0 background or ignored). */
  agreementPng?: string;
}
/**
 * Client → daemon. Scores a predicted mask against ground truth. Errors: 1001/1002 for a ground
 * truth (or prediction) file that cannot be read or decoded, 1007 when it cannot be compared
 * (a size other than the prediction's; a semantic ground truth that is not a class-index image).
 */
export const Score = new RequestType<ScoreParams, ScoreResult, void>('seglens/score');

/** JSON-RPC error codes the daemon answers with (docs/protocol.md "Errors"). */
export const ErrorCodes = {
  MethodNotFound: -32601,
  /** In the docs/protocol.md table since the worker thread: an unexpected failure (e.g. the inference worker died mid-request). */
  InternalError: -32603,
  InvalidParams: -32602,
  RequestCancelled: -32800,
  ImageNotFound: 1001,
  ImageUndecodable: 1002,
  ImageTooLarge: 1003,
  ModelLoadFailed: 1004,
  Overloaded: 1005,
  ShuttingDown: 1006,
  /** seglens/score: the ground truth cannot be compared with the prediction (size, kind). */
  GroundTruthMismatch: 1007,
  /** seglens/segment: this image crashed the inference engine twice; refused for a while (10 minutes). */
  InputQuarantined: 1008,
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
