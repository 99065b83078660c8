// seglens/embed and seglens/prompt (issue 25): a prompt mode's image embedding from the
// embedding cache (or the encoder, in the queue like every engine job, once per image and mode),
// then the decoder on it for each prompt. Both sessions are the registry's (ensureReady loads
// and warms them); a request holds its mode, so an unload waits for it.
import { createHash, randomBytes } from 'node:crypto';
import { CancellationToken } from 'vscode-jsonrpc/node';
import { SegLensError, invalidParams } from '../api/errors';
import * as P from '../api/protocol';
import { round1 as r1 } from '../api/numbers';
import { Engine, ImageInput } from '../engine/engine';
import { checkImageFile } from '../engine/pipeline/imageFile';
import type { PromptOutput } from '../engine/pipeline/prompt/promptTypes';
import type { ModeDef } from '../models/modeDef';
import { JobQueue, Promotion, Ticket } from '../registry/jobQueue';
import { Registry } from '../registry/registry';
import { fileContentHash } from '../results/fileHash';
import { EmbeddingCache, Lease } from './embeddingCache';
import { fileHead, InflightBudget } from './inflight';
import { DaemonMetrics } from './metrics';
import { decodeBase64 } from './params';
import { checkInsideImage } from './promptParams';

export interface PrompterOptions {
  maxPixels: number;
  maxImageBytes: number;
  metrics: DaemonMetrics;
  /** The inference watchdog's floor in ms (0: none). */
  watchdogMs: number;
  /** Image bytes in flight (`--max-inflight-mb`), shared with segment (absent: none). */
  inflight?: InflightBudget;
}

/** Answers kept per image for `previous` (the oldest goes first). */
export const TOKENS_PER_IMAGE = 4;
/** Remembered image file hashes (by path and stamp). */
const HASH_MEMO_ENTRIES = 10_000;
/** Mask candidates assumed before a mode's first answer: SAM's multimask output (3) plus its single mask. */
const CANDIDATES_GUESS = 4;

/** A request's image, hashed; what `withEmbedding` hands on. */
interface Held {
  def: ModeDef;
  lease: Lease;
  image: ImageInput;
  /** The queue place taken on arrival, unless the encoder run used it (the prompt after it then just follows). */
  ticket: Ticket | undefined;
  t0: number;
  queueMs: number;
  /** This request's wait for the encoder (its own run or the one it joined); 0 when cached. */
  encoderMs: number;
}

export class Prompter {
  private readonly hashes = new Map<string, { stamp: string; sha256: string }>();
  /** Mask candidates (K) of each mode's last answer: what a prompt's bytes in flight are estimated with. */
  private readonly candidates = new Map<string, number>();
  private readonly inflight: InflightBudget;

  constructor(
    private readonly registry: Registry,
    private readonly engine: Engine,
    private readonly queue: JobQueue,
    readonly cache: EmbeddingCache,
    private readonly opts: PrompterOptions,
  ) {
    this.inflight = opts.inflight ?? new InflightBudget(0);
  }

  /** seglens/embed: the image's embedding, computed and kept (or found, or joined). */
  async embed(p: P.EmbedParams, token: CancellationToken): Promise<P.EmbedResult> {
    return this.withEmbedding(p, token, async (h) => {
      const { entry, outcome } = h.lease;
      return { mode: p.mode, width: entry.width, height: entry.height, embedding: outcome, encoderMs: r1(entry.encoderMs) };
    });
  }

  /** seglens/prompt: the decoder on the image's kept embedding. */
  async prompt(p: P.PromptParams, token: CancellationToken): Promise<P.PromptResult> {
    return this.withEmbedding({ mode: p.mode, image: p.image }, token, async (h) => {
      const { entry, outcome } = h.lease;
      checkInsideImage(p, entry.width, entry.height);
      let previous: { token: string; candidate: number } | undefined;
      if (p.previous !== undefined) {
        const kept = entry.tokens.get(p.previous);
        if (!kept) throw invalidParams(`seglens/prompt: unknown 'previous' token: it names no answer kept for this image and mode (the last ${TOKENS_PER_IMAGE} answers on an image are kept)`);
        if (p.previousCandidate !== undefined && p.previousCandidate >= kept.candidates) throw invalidParams(`seglens/prompt: 'previousCandidate' ${p.previousCandidate}: that answer had ${kept.candidates} candidate(s)`);
        previous = { token: p.previous, candidate: p.previousCandidate ?? kept.best };
      }
      const name = randomBytes(12).toString('base64url');
      const request = { key: entry.key, points: p.points ?? [], box: p.box, previous, token: name, maxTokens: TOKENS_PER_IMAGE };
      const prompt = this.engine.prompt;
      if (!prompt) throw new SegLensError(P.ErrorCodes.InternalError, 'this engine cannot run prompt modes');
      const release = this.holdPrompt(p.mode, entry.width, entry.height);
      try {
        const { value: out, queueMs } = await this.queue.run(() => prompt.call(this.engine, h.def, request, this.watchdog(h.def)), { token, ticket: h.ticket });
        this.candidates.set(p.mode, out.scores.length);
        this.cache.addToken(entry, name, { bytes: out.tokenBytes, best: out.best, candidates: out.scores.length }, out.droppedTokens);
        return this.answer(p.mode, out, outcome, name, { ...h, queueMs: h.queueMs + queueMs });
      } finally {
        release();
      }
    });
  }

  /** A prompt's bytes in flight: the decoder's masks [1,K,H,W] float32 and their 8-bit masks (a PNG is at most about that); 1005 past the budget. */
  private holdPrompt(mode: string, width: number, height: number): () => void {
    const k = this.candidates.get(mode) ?? CANDIDATES_GUESS;
    return this.inflight.hold(width * height * k * (4 + 1), 'this prompt', `the decoder's ${k} masks at ${width}x${height} as float32, and their PNGs`);
  }

  /** An encoder run's bytes in flight: the image (encoded and decoded) and the encoder's input [1,3,S,S] float32; 1005 past the budget. */
  private async holdEmbed(def: ModeDef, image: ImageInput, encoded: number): Promise<() => void> {
    const head = 'bytes' in image ? image.bytes : await fileHead(image.path);
    const S = def.promptSpec?.encoderSize ?? 0;
    return this.inflight.hold(this.inflight.imageBytes(encoded, head) + 3 * S * S * 4, "this image's embedding", `the image encoded and decoded, and the encoder's ${S}x${S} input`);
  }

  /** The engine lost what it kept (it crashed or was replaced). */
  engineLost(): void {
    this.cache.clear();
  }

  private answer(mode: string, out: PromptOutput, embedding: P.EmbeddingOutcome, token: string, h: Held): P.PromptResult {
    const png = (b: Uint8Array) => Buffer.from(b).toString('base64');
    const result: P.PromptResult = {
      mode,
      width: out.width,
      height: out.height,
      maskPng: png(out.maskPngs[out.best]),
      score: out.scores[out.best],
      embedding,
      token,
      timings: {
        queueMs: r1(h.queueMs),
        encoderMs: r1(h.encoderMs),
        decoderMs: r1(out.decoderMs),
        postprocessMs: r1(out.postprocessMs),
        totalMs: r1(performance.now() - h.t0),
      },
    };
    if (out.maskPngs.length > 1) result.candidates = out.maskPngs.map((m, k) => ({ maskPng: png(m), score: out.scores[k] }));
    return result;
  }

  /** Makes the mode ready, hashes the image and holds its embedding (from the cache, a run under way, or a run now) while `use` runs. */
  private async withEmbedding<T>(p: P.EmbedParams, token: CancellationToken, use: (h: Held) => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const def = this.promptDef(p.mode);
    // A place in the line at once (1005 when full), as for segment.
    const ticket = this.queue.admit();
    let ticketUsed = false;
    const hold = this.registry.hold(p.mode);
    try {
      const { image, sha256, encoded } = await this.hashImage(p.image);
      await this.engine.admit?.(image);
      if (!this.registry.isWarm(p.mode)) await this.registry.ensureReady(p.mode, true);
      const key = `${modeKey(def)}:${sha256}`;
      let queueMs = 0;
      let runMs = 0;
      // A click joining this run while it waits at batch priority raises it (embeddingCache.ts).
      const promotion = new Promotion();
      const compute = async () => {
        const embed = this.engine.embed;
        if (!embed) throw new SegLensError(P.ErrorCodes.InternalError, 'this engine cannot run prompt modes');
        ticketUsed = true;
        const release = await this.holdEmbed(def, image, encoded);
        const r = await this.queue
          .run(() => embed.call(this.engine, def, image, key, { maxPixels: this.opts.maxPixels, watchdogMs: this.watchdog(def) }), { limited: true, token, priority: p.priority, ticket, promotion })
          .finally(release);
        queueMs = r.queueMs;
        if (r.value.inputSha256 !== sha256) {
          void this.engine.dropEmbeddings?.([key]);
          throw new SegLensError(P.ErrorCodes.ImageUndecodable, 'the image changed while it was read; try again');
        }
        runMs = r.value.encoderMs;
        // The encoder's time is the mode's inference time (status, the watchdog's bound).
        this.registry.recordInference(p.mode, runMs, true);
        return { width: r.value.width, height: r.value.height, encoderMs: r.value.encoderMs, bytes: r.value.bytes };
      };
      const started = performance.now();
      const lease = await this.cache.acquire(key, p.mode, compute, { interactive: p.priority !== 'batch', promote: () => promotion.promote() });
      this.opts.metrics.embeddings.inc({ mode: p.mode, outcome: lease.outcome });
      const encoderMs = lease.outcome === 'computed' ? runMs : lease.outcome === 'joined' ? performance.now() - started : 0;
      try {
        return await use({ def, lease, image, ticket: ticketUsed ? undefined : ticket, t0, queueMs, encoderMs });
      } finally {
        lease.release();
      }
    } finally {
      ticket.release();
      hold();
    }
  }

  private promptDef(mode: string): ModeDef {
    const def = this.registry.def(mode); // -32602 for an unknown mode
    if (!def.promptSpec) throw invalidParams(`mode '${mode}' is not a prompt mode (task '${def.task}'): seglens/embed and seglens/prompt need a mode with task 'prompt' (outputFormat 'sam'); use seglens/segment`);
    return def;
  }

  /** The bytes or path to read, their size, and the content's sha256 (a file's memoised by its stamp). */
  private async hashImage(src: P.ImageSource): Promise<{ image: ImageInput; sha256: string; encoded: number }> {
    if ('base64' in src) {
      const bytes = decodeBase64(src.base64, this.opts.maxImageBytes, "seglens/prompt: 'image.base64'");
      return { image: { bytes }, sha256: createHash('sha256').update(bytes).digest('hex'), encoded: bytes.length };
    }
    const encoded = await checkImageFile(src.path, this.opts.maxImageBytes);
    const known = this.hashes.get(src.path);
    const { stamp, sha256 } = await fileContentHash(src.path, this.opts.maxImageBytes, (s) => (known?.stamp === s ? known.sha256 : undefined));
    if (this.hashes.size >= HASH_MEMO_ENTRIES) this.hashes.clear();
    this.hashes.set(src.path, { stamp, sha256 });
    return { image: { path: src.path }, sha256, encoded };
  }

  /** The watchdog's bound: 10x the encoder's known time (its warm-up run's before any embed), at least the floor. */
  private watchdog(def: ModeDef): number | undefined {
    const warmupMs = this.registry.status(def.id).warmupMs ?? 0;
    return this.registry.timing(def.id).watchdogMs(this.opts.watchdogMs, Math.max(def.typicalMs ?? 0, warmupMs));
  }
}

/** What an embedding depends on besides the image: the mode's definition and its files (their stamps are in the model keys). */
const modeKeys = new WeakMap<ModeDef, string>();
function modeKey(def: ModeDef): string {
  let k = modeKeys.get(def);
  if (!k) {
    const { id, model, promptSpec, mean, std } = def;
    k = createHash('sha256').update(JSON.stringify({ id, model, promptSpec, mean, std })).digest('hex').slice(0, 32);
    modeKeys.set(def, k);
  }
  return k;
}
