// The engine's contract with the registry and server. The implementation (engineProxy.ts)
// owns ONNX Runtime in a child process it supervises; the registry and tests can substitute a
// fake that counts calls.
import { ClassInfo, DisplayRegion, GpuStatus, SegmentInstance } from '../api/protocol';
import { ModeDef, ModelRef } from '../models/modeDef';
import type { EmbedOutput, PromptOutput, PromptRequest } from './pipeline/prompt/promptTypes';

export type ImageInput = { path: string } | { bytes: Uint8Array };

export interface LoadInfo {
  loadMs: number;
  /** The execution provider the session runs on (after any fallback). */
  provider: string;
  /**
   * The optimised-graph cache (daemon/engine/optimized/optimizedCache.ts) for this load: 'hit' (the saved graph
   * was loaded), 'miss' (optimised from the original and saved), 'rebuilt' (a saved graph was
   * damaged or unloadable: discarded, optimised again and saved), 'off' (no cache folder or it
   * is unusable). Absent when nothing was loaded (the session already existed).
   */
  optimizedCache?: 'hit' | 'miss' | 'rebuilt' | 'off';
  /** Time inside ONNX Runtime's session creation (part of loadMs). */
  sessionMs?: number;
  /** Old optimised graphs the cache removed after this load (daemon/engine/optimized/optimizedCache.ts, collect). */
  optimizedCacheRemoved?: number;
}

export interface WarmupOutput {
  durationMs: number;
  /** [height, width] the dummy inferences ran at (absent from engines that do not say). */
  inputSize?: [number, number];
}

/** The image and its mask at tile size (pipeline/thumbnail.ts makes it). */
export interface ThumbnailOutput {
  image: Uint8Array;
  mimeType: 'image/jpeg' | 'image/png';
  /** 8-bit grey PNG at the thumbnail's size: binary alpha, semantic class index. */
  mask: Uint8Array;
  width: number;
  height: number;
}

export interface SegmentOutput {
  /** Of the whole oriented image, with or without a region. */
  width: number;
  height: number;
  /** 8-bit grey PNG, width x height (the region's size when one was given). */
  maskPng: Uint8Array;
  classes: ClassInfo[];
  /** Instance modes: the objects found, best first. */
  instances?: SegmentInstance[];
  timings: { decodeMs: number; preprocessMs: number; inferenceMs: number; postprocessMs: number };
  /**
   * When, on the engine's clock (ms since the epoch), its inference began and its whole output
   * was ready to send: two jobs overlap when the next one's `inferenceAt` precedes this `readyAt`.
   */
  stamps?: { inferenceAt: number; readyAt: number };
  /** 8-bit grey PNG of the top class's probability (semantic modes, when asked for). */
  confidencePng?: Uint8Array;
  /** The oriented image for display (when asked for). */
  display?: { bytes: Uint8Array; mimeType: 'image/jpeg' | 'image/png'; width: number; height: number; encodeMs: number };
  /** The image and its mask at tile size (when asked for; pipeline/thumbnail.ts). */
  thumbnail?: ThumbnailOutput;
  /** sha256 (hex) of the encoded bytes the engine segmented (the result cache keys on it: a file changed meanwhile cannot store a mask under its old content). */
  inputSha256?: string;
}

export interface SegmentOptions {
  maxPixels: number;
  /** Also compute the top-class confidence map (semantic modes). */
  confidence?: boolean;
  /** Segment only this rectangle of the oriented image, as if it were the whole image (issue 22):
   *  -32602 when it is not inside the image. The display image and thumbnail stay whole. */
  region?: DisplayRegion;
  /** Instance modes: also give each instance's mask as COCO compressed RLE. */
  instanceRle?: boolean;
  /** Instance modes: the score threshold of this request instead of the mode's. */
  scoreThreshold?: number;
  /** Also encode a display image at most this long on its longest side. */
  displayMaxSide?: number;
  /** Also encode a thumbnail (image + mask) at most this long on its longest side. */
  thumbnailSize?: number;
  /**
   * The watchdog: past this many milliseconds in the engine, the engine is replaced and the
   * call rejects with EngineCrashedError (reason 'watchdog'). Absent: no limit.
   */
  watchdogMs?: number;
  /** Called once the inference is done (only postprocessing is left): the caller may hand the
   *  engine its next job, whose preparation and inference then overlap this one's postprocessing. */
  onInferred?: () => void;
}

export interface Engine {
  /** Creates the session for a model file (throws SegLensError 1004 on failure). */
  load(model: ModelRef): Promise<LoadInfo>;
  /** Frees the session; unknown keys are ignored. */
  unload(modelKey: string): Promise<void>;
  /** Runs `iterations` dummy inferences, at the mode's input shape or a small one (warmupShape.ts); says which. */
  warmup(mode: ModeDef, iterations: number): Promise<WarmupOutput>;
  /**
   * Refuses, before any work is done for it (loading a mode included), an input that crashed the
   * engine before (1008, engineProxy.ts quarantine). Optional: engines without one admit all.
   */
  admit?(image: ImageInput): Promise<void>;
  /** Decode → preprocess → run → postprocess (errors 1001/1002/1003 as SegLensError). */
  segment(mode: ModeDef, image: ImageInput, opts: SegmentOptions): Promise<SegmentOutput>;
  /** Prompt modes (issue 25): the encoder on an image, its embedding kept in the engine under `key`
   *  (engines without prompt support leave these out: prompt requests then fail). */
  embed?(mode: ModeDef, image: ImageInput, key: string, opts: { maxPixels: number; watchdogMs?: number }): Promise<EmbedOutput>;
  /** Prompt modes: the decoder on a kept embedding. */
  prompt?(mode: ModeDef, request: PromptRequest, watchdogMs?: number): Promise<PromptOutput>;
  /** Prompt modes: frees kept embeddings. */
  dropEmbeddings?(keys: string[]): Promise<void>;
  /** The execution providers ONNX Runtime's binding can use on this machine (asked of it). */
  providers(): Promise<string[]>;
  /** The provider sessions run on. */
  readonly provider: string;
  /** Issue 27: the GPU adapter, providers that could not start, CPU checks, run times (engines that run GPU providers). */
  readonly gpu?: GpuStatus;
  close(): Promise<void>;
}

/** Why the engine was lost: it died ('crash': native crash, signal, uncaught error) or the watchdog ended it. */
export type EngineLossReason = 'crash' | 'watchdog';

/**
 * The engine lost its sessions while calls were pending (its process or thread died, or the
 * watchdog replaced it). Says nothing about the model: the next call starts afresh.
 */
export class EngineCrashedError extends Error {
  constructor(
    message: string,
    readonly reason: EngineLossReason = 'crash',
  ) {
    super(message);
    this.name = 'EngineCrashedError';
  }
}
