// The engine's side of prompt modes (issue 25), in the engine process beside the sessions: the
// encoder run (embed), the decoder run (prompt), and the embeddings and `previous` masks they
// keep. The daemon decides what is kept (its embedding cache, server/embeddingCache.ts): it
// names each embedding by its key, and drops keys it evicts; this side only stores what it is
// told to and says how many bytes each takes.
import type * as Ort from 'onnxruntime-node';
import { SegLensError } from '../../../api/errors';
import { ErrorCodes } from '../../../api/protocol';
import type { EmbedOutput, PromptOutput, PromptRequest } from './promptTypes';
import type { ImageInput } from '../../engine';
import type { ModeDef, ModelRef, PromptSpec } from '../../../models/modeDef';
import { decodeResized, describeImageInput, encodeGreyPng, probeImage, readImageBytes, resizeMask } from '../imageIO';
import { normalisationTables } from '../tensor';
import { bestIndex, candidateMask, fillPadded, promptTensors, resizedSize } from './samFrame';
import { logitMaskPng } from './logitMaskPng';

export interface PromptDeps {
  ort: typeof Ort;
  /** The session of a model file, loading it when the registry has not (as for segment). */
  session(ref: ModelRef, mode: ModeDef): Promise<Ort.InferenceSession>;
  /** Counts a session.run (engine status: runs per input shape). */
  counted(shape: string): void;
  /** The quarantine's hash report and test hooks (host/inputGuard.ts); resolves to the bytes' sha256. */
  guardInput(bytes: Uint8Array): Promise<string>;
}

interface Kept {
  embedding: Ort.Tensor;
  width: number;
  height: number;
  /** Per token: low_res_masks [K, lh, lw]. */
  tokens: Map<string, { low: Float32Array; lh: number; lw: number }>;
}

const f32 = (ort: typeof Ort, data: ArrayLike<number> | Float32Array, dims: number[]) => new ort.Tensor('float32', data instanceof Float32Array ? data : Float32Array.from(data), dims);

export class PromptRunner {
  private readonly kept = new Map<string, Kept>();
  private readonly tables = new Map<string, Float32Array[]>();
  private input: Float32Array | undefined;

  constructor(private readonly deps: PromptDeps) {}

  /** Embeddings kept (engine status). */
  get size(): number {
    return this.kept.size;
  }

  drop(keys: string[]): void {
    for (const k of keys) this.kept.delete(k);
  }

  clear(): void {
    this.kept.clear();
    this.input = undefined;
  }

  /** Reads, orients, resizes, normalises and pads the image, runs the encoder, keeps the embedding under `key`. */
  async embed(mode: ModeDef, image: ImageInput, key: string, maxPixels: number): Promise<EmbedOutput> {
    const spec = specOf(mode);
    const S = spec.encoderSize;
    const what = describeImageInput(image);
    const t0 = performance.now();
    const bytes = await readImageBytes(image);
    const inputSha256 = await this.deps.guardInput(bytes);
    const header = await probeImage(bytes, maxPixels, what);
    const [h, w] = resizedSize(header.height, header.width, S);
    const rgb = await decodeResized(bytes, header, w, h, maxPixels, what);
    const t1 = performance.now();
    const data = fillPadded(rgb.data, w, h, S, this.tablesFor(mode), this.inputBuffer(S));
    const t2 = performance.now();
    const embedding = await this.encode(mode, spec, data);
    const t3 = performance.now();
    this.kept.set(key, { embedding, width: header.width, height: header.height, tokens: new Map() });
    return { width: header.width, height: header.height, encoderMs: t3 - t2, decodeMs: t1 - t0, preprocessMs: t2 - t1, bytes: (embedding.data as Float32Array).byteLength, inputSha256 };
  }

  /** Runs the decoder on a kept embedding; the masks at the image's size, as PNGs. */
  async prompt(mode: ModeDef, r: PromptRequest): Promise<PromptOutput> {
    const spec = specOf(mode);
    const kept = this.kept.get(r.key);
    // The daemon's cache pins what a request uses: a miss here is a bug, not bad input.
    if (!kept) throw new SegLensError(ErrorCodes.InternalError, `the embedding of this image is no longer kept by the engine (${r.key.slice(0, 16)}…); try again`);
    const prev = r.previous ? kept.tokens.get(r.previous.token) : undefined;
    if (r.previous && !prev) throw new SegLensError(ErrorCodes.InvalidParams, `seglens/prompt: 'previous' names no answer kept for this image`);
    const t0 = performance.now();
    const out = await this.decode(mode, spec, kept, promptTensors(r.points, r.box, kept.height, kept.width, spec.encoderSize), prev && { ...prev, candidate: r.previous!.candidate });
    const t1 = performance.now();
    const [, K, H, W] = out.masks.dims as number[];
    const scores = Array.from(out.iou.data as Float32Array).slice(0, K);
    const best = bestIndex(scores);
    const maskPngs = await Promise.all(Array.from({ length: K }, (_, k) => this.maskPng(out.masks.data as Float32Array, k, H, W, kept)));
    const [, , lh, lw] = out.low.dims as number[];
    const low = out.low.data as Float32Array;
    kept.tokens.set(r.token, { low, lh, lw });
    const droppedTokens: string[] = [];
    for (const t of kept.tokens.keys()) {
      if (kept.tokens.size <= r.maxTokens) break;
      kept.tokens.delete(t);
      droppedTokens.push(t);
    }
    return { width: kept.width, height: kept.height, maskPngs, scores, best, decoderMs: t1 - t0, postprocessMs: performance.now() - t1, tokenBytes: low.byteLength, droppedTokens };
  }

  /** The warm-up: the encoder on zeros `iterations` times, then the decoder once on its embedding. */
  async warmup(mode: ModeDef, iterations: number): Promise<{ durationMs: number; inputSize: [number, number] }> {
    const spec = specOf(mode);
    const S = spec.encoderSize;
    const t0 = performance.now();
    const data = this.inputBuffer(S).fill(0);
    let embedding: Ort.Tensor | undefined;
    for (let i = 0; i < Math.max(1, Math.floor(iterations)); i++) embedding = await this.encode(mode, spec, data);
    const kept: Kept = { embedding: embedding!, width: S, height: S, tokens: new Map() };
    await this.decode(mode, spec, kept, promptTensors([{ x: S / 2, y: S / 2, label: 1 }], undefined, S, S, S), undefined);
    return { durationMs: performance.now() - t0, inputSize: [S, S] };
  }

  private async encode(mode: ModeDef, spec: PromptSpec, data: Float32Array): Promise<Ort.Tensor> {
    const { ort } = this.deps;
    const S = spec.encoderSize;
    const sess = await this.deps.session(spec.encoder, mode);
    this.deps.counted(`${S}x${S}`);
    const res = await sess.run({ [spec.names.encoderInput]: f32(ort, data, [1, 3, S, S]) }, [spec.names.imageEmbeddings]);
    const t = res[spec.names.imageEmbeddings] as Ort.Tensor | undefined;
    if (!t || t.type !== 'float32' || t.dims.length !== 4) throw modelError(spec.encoder, `the encoder's '${spec.names.imageEmbeddings}' is ${t ? `${t.type} [${t.dims.join(', ')}]` : 'missing'}; expected float32 [1, 256, 64, 64]`);
    return t;
  }

  private async decode(mode: ModeDef, spec: PromptSpec, kept: Kept, p: { coords: Float32Array; labels: Float32Array; n: number }, prev: { low: Float32Array; lh: number; lw: number; candidate?: number } | undefined) {
    const { ort } = this.deps;
    const n = spec.names;
    const [, , eh, ew] = kept.embedding.dims as number[];
    const lh = 4 * eh;
    const lw = 4 * ew;
    let mask: Float32Array = new Float32Array(lh * lw);
    if (prev) {
      const K = prev.low.length / (prev.lh * prev.lw);
      const c = Math.min(K - 1, Math.max(0, prev.candidate ?? 0));
      if (prev.lh === lh && prev.lw === lw) mask = prev.low.subarray(c * lh * lw, (c + 1) * lh * lw);
    }
    const sess = await this.deps.session(mode.model, mode);
    this.deps.counted(`prompt:${p.n}`);
    const feeds: Record<string, Ort.Tensor> = {
      [n.imageEmbeddings]: kept.embedding,
      [n.pointCoords]: f32(ort, p.coords, [1, p.n, 2]),
      [n.pointLabels]: f32(ort, p.labels, [1, p.n]),
      [n.maskInput]: f32(ort, mask, [1, 1, lh, lw]),
      [n.hasMaskInput]: f32(ort, [prev ? 1 : 0], [1]),
      [n.origImSize]: f32(ort, [kept.height, kept.width], [2]),
    };
    const res = await sess.run(feeds, [n.masks, n.iouPredictions, n.lowResMasks]);
    const masks = res[n.masks] as Ort.Tensor;
    const iou = res[n.iouPredictions] as Ort.Tensor;
    const low = res[n.lowResMasks] as Ort.Tensor;
    const K = masks.dims[1];
    if (masks.dims.length !== 4 || iou.data.length < K || low.dims[1] !== K) {
      throw modelError(mode.model, `the decoder gave masks [${masks.dims.join(', ')}], iou_predictions [${iou.dims.join(', ')}], low_res_masks [${low.dims.join(', ')}]; expected [1, K, H, W], [1, K], [1, K, 256, 256]`);
    }
    return { masks, iou, low };
  }

  /** Candidate k at the image's size: decoders upsample to orig_im_size; any other size is resized. */
  private async maskPng(masks: Float32Array, k: number, H: number, W: number, kept: Kept): Promise<Uint8Array> {
    if (H === kept.height && W === kept.width) return logitMaskPng(masks, k, H, W);
    const m = candidateMask(masks, k, H, W, new Uint8Array(H * W));
    const r = await resizeMask(m, W, H, kept.width, kept.height, 'linear');
    for (let i = 0; i < r.length; i++) r[i] = r[i] >= 128 ? 255 : 0;
    return encodeGreyPng(r, kept.width, kept.height);
  }

  private tablesFor(mode: ModeDef): Float32Array[] {
    const key = `${mode.scale}|${mode.mean.join(',')}|${mode.std.join(',')}`;
    let t = this.tables.get(key);
    if (!t) this.tables.set(key, (t = normalisationTables(mode)));
    return t;
  }

  private inputBuffer(S: number): Float32Array {
    if (!this.input || this.input.length !== 3 * S * S) this.input = new Float32Array(3 * S * S);
    return this.input;
  }
}

function specOf(mode: ModeDef): PromptSpec {
  if (!mode.promptSpec) throw new SegLensError(ErrorCodes.InvalidParams, `mode '${mode.id}' is not a prompt mode`);
  return mode.promptSpec;
}

function modelError(ref: ModelRef, why: string): SegLensError {
  return new SegLensError(ErrorCodes.ModelLoadFailed, `Model could not be run: ${ref.file} (${why})`);
}
