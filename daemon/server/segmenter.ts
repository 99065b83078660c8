// seglens/segment: refuse early when the line is full, make the mode ready, run the engine in
// the queue, and re-warm a mode the registry finds slow (once the line is idle); seglens/score.
import { CancellationToken } from 'vscode-jsonrpc/node';
import { invalidParams } from '../api/errors';
import * as P from '../api/protocol';
import { Engine } from '../engine/engine';
import { JobQueue, Ticket } from '../registry/jobQueue';
import { checkImageFile } from '../engine/pipeline/imageFile';
import type { CropOutput } from '../engine/pipeline/display';
import { fileHead, InflightBudget } from './inflight';
import { Registry } from '../registry/registry';
import { DaemonMetrics } from './metrics';
import { decodeBase64, displayMaxSide } from './params';
import { segmentExtras } from './resultEncoding';
import { scoreMask } from '../eval/scoreClient';
import { displayCrop } from './displayCrop';
import { Decoding, inlineDecoding } from './decoding';
import { Lookup, ResultCache } from '../results/resultCache';
import type { ModeDef } from '../models/modeDef';
import { round1 as r1 } from '../api/numbers';

export interface SegmenterOptions {
  maxPixels: number;
  maxImageBytes: number;
  metrics: DaemonMetrics;
  /** Logs to stderr. */
  log: (level: P.LogLevel, message: string) => void;
  /** Logs to stderr and to every client. */
  announce: (level: P.LogLevel, message: string) => void;
  shuttingDown: () => boolean;
  /** Where `cache: true` requests look first (absent: no cache folder, every request runs). */
  results?: ResultCache;
  /** The inference watchdog's floor in ms (0: none); see registry/modeTiming.ts watchdogMs. */
  watchdogMs: number;
  /** Image bytes in flight (encoded + decoded estimate) past which a segment gets 1005; shared with prompt modes (absent: none). */
  inflight?: InflightBudget;
  /** Where score and displayCrop decode (decoding.ts; absent: in this process, for tests of the server alone). */
  decoding?: Decoding;
}

export class Segmenter {
  private readonly inflight: InflightBudget;

  constructor(
    private readonly registry: Registry,
    private readonly engine: Engine,
    private readonly queue: JobQueue,
    private readonly opts: SegmenterOptions,
  ) {
    this.inflight = opts.inflight ?? new InflightBudget(0);
  }

  /** seglens/score (daemon/eval/scoreClient.ts), under the same size limits as segment. */
  score(p: P.ScoreParams): Promise<P.ScoreResult> {
    const decode = (data: string) => decodeBase64(data, this.opts.maxImageBytes, 'seglens/score: base64');
    const run = (job: unknown) => (this.opts.decoding ?? inlineDecoding).run<P.ScoreResult>('score', job);
    return scoreMask(this.registry.def(p.mode), p, { maxPixels: this.opts.maxPixels, maxBytes: this.opts.maxImageBytes, decodeBase64: decode, run });
  }

  /** seglens/displayCrop (displayCrop.ts), under the same size limits as segment. */
  displayCrop(p: P.DisplayCropParams): Promise<P.DisplayCropResult> {
    const decode = (data: string) => decodeBase64(data, this.opts.maxImageBytes, "seglens/displayCrop: 'image.base64'");
    const run = (job: unknown) => (this.opts.decoding ?? inlineDecoding).run<CropOutput>('crop', job);
    return displayCrop(p, { maxPixels: this.opts.maxPixels, maxBytes: this.opts.maxImageBytes, decodeBase64: decode, run });
  }

  async segment(p: P.SegmentParams, token: CancellationToken): Promise<P.SegmentResult> {
    const def = this.registry.def(p.mode);
    if (def.promptSpec) throw invalidParams(`mode '${p.mode}' is a prompt mode: it segments from clicks and boxes; use seglens/prompt (after seglens/embed)`);
    // Take a place in the line at once (1005 when full), before decoding base64 or waiting for
    // a cold mode: a request waiting for a load counts against the bound like one in the line.
    const ticket = this.queue.admit();
    // Held for the whole request: an unload, an eviction or a defineModes replace waits for it,
    // so its job never runs on a session the registry has let go (the worker would silently
    // load one the registry does not know about).
    const release = this.registry.hold(p.mode);
    try {
      return await this.admitted(p, def, token, ticket);
    } finally {
      ticket.release();
      release();
    }
  }

  private async admitted(p: P.SegmentParams, def: ModeDef, token: CancellationToken, ticket: Ticket): Promise<P.SegmentResult> {
    let image: { path: string } | { bytes: Uint8Array };
    let release: () => void;
    if ('path' in p.image) {
      // A FIFO, a device or a folder is refused now, without a blocking open (imageFile.ts).
      const size = await checkImageFile(p.image.path, this.opts.maxImageBytes);
      image = { path: p.image.path };
      release = this.inflight.reserve(size, await fileHead(p.image.path));
    } else {
      image = { bytes: decodeBase64(p.image.base64, this.opts.maxImageBytes) };
      // The params object lives as long as the request: let the base64 text go now.
      (p.image as { base64?: string }).base64 = '';
      release = this.inflight.reserve(image.bytes.length, image.bytes);
    }
    try {
      return await this.cachedOrRun(p, def, image, token, ticket);
    } finally {
      release();
    }
  }

  private async cachedOrRun(p: P.SegmentParams, def: ModeDef, image: { path: string } | { bytes: Uint8Array }, token: CancellationToken, ticket: Ticket): Promise<P.SegmentResult> {
    const results = p.cache ? this.opts.results : undefined;
    if (!results) return (await this.run(p, def, image, token, ticket)).result;
    const t0 = performance.now();
    const key = await results.key(def, image, p);
    const hit = key && (await results.get(key));
    this.opts.metrics.resultCache.inc({ outcome: hit ? 'hit' : 'miss' });
    if (hit) {
      const timings = { ...hit.timings, queueMs: 0, totalMs: r1(performance.now() - t0) };
      return { ...hit, mode: p.mode, wasWarm: this.registry.isWarm(p.mode), cached: true, timings };
    }
    const { result: r, inputSha256 } = await this.run(p, def, image, token, ticket);
    // Stored under the content the engine read, whatever the file holds now (it may have changed since the lookup).
    const storeKey = inputSha256 && (await results.keyForContent(def, p, inputSha256));
    if (storeKey) await results.put(storeKey, r);
    return r;
  }

  /** seglens/cachedResults: the result cache's answers for many images; never queues, never runs. */
  async cachedResults(p: P.CachedResultsParams): Promise<P.CachedResultsResult> {
    const def = this.registry.def(p.mode);
    const t0 = performance.now();
    const stored = this.opts.results ? await this.opts.results.getMany(def, p.images.map((i) => i.path), p) : p.images.map((): Lookup => ({}));
    const wasWarm = this.registry.isWarm(p.mode);
    const totalMs = r1(performance.now() - t0);
    let hits = 0;
    const results = p.images.map(({ path }, i): P.CachedResultsEntry => {
      const { result: hit, error } = stored[i];
      if (!hit) return error ? { path, error } : { path };
      hits++;
      return { path, result: { ...hit, mode: p.mode, wasWarm, cached: true, timings: { ...hit.timings, queueMs: 0, totalMs } } };
    });
    return { mode: p.mode, results, hits, misses: results.length - hits };
  }

  /** Runs the engine for one request, in its turn; with the sha256 of the bytes it segmented, when the engine says. */
  private async run(p: P.SegmentParams, def: ModeDef, image: { path: string } | { bytes: Uint8Array }, token: CancellationToken, ticket: Ticket): Promise<{ result: P.SegmentResult; inputSha256?: string }> {
    // An input that crashed the engine twice is refused before its mode is even made ready (1008).
    await this.engine.admit?.(image);
    const wasWarm = this.registry.isWarm(p.mode);
    const t0 = performance.now();
    // A cold mode with the engine free: the request's own inference is its warm-up (issue #14).
    const asWarmup = wasWarm ? undefined : await this.registry.prepareForRequest(p.mode, () => this.queue.idle);
    const readyMs = performance.now() - t0;
    const opts = {
      maxPixels: this.opts.maxPixels,
      confidence: p.confidence === true && def.task === 'semantic',
      displayMaxSide: displayMaxSide(p.displayImage),
      thumbnailSize: p.thumbnail?.size,
      region: p.region,
      instanceRle: p.instanceRle === true && def.instanceSpec !== undefined,
      scoreThreshold: def.instanceSpec ? p.scoreThreshold : undefined,
      watchdogMs: this.registry.timing(p.mode).watchdogMs(this.opts.watchdogMs, def.typicalMs),
    };
    // The line frees once the inference is done: the next job overlaps this one's postprocessing.
    const run = (release: () => void) => this.engine.segment(def, image, { ...opts, onInferred: release });
    const { value: out, queueMs } = await this.queue.run(run, { limited: true, token, priority: p.priority, ticket }).catch((e: unknown) => {
      asWarmup?.failed();
      throw e;
    });
    const t = out.timings;
    asWarmup?.done(t.inferenceMs);
    // A first run is slower than steady: it counts for neither the steady time nor the degradation check.
    if (this.registry.recordInference(p.mode, t.inferenceMs, !asWarmup)) this.rewarmWhenIdle(p.mode);
    this.opts.metrics.inferenceSeconds.observe({ mode: p.mode }, t.inferenceMs / 1000);
    const result: P.SegmentResult = {
      mode: p.mode,
      width: out.width,
      height: out.height,
      maskPng: Buffer.from(out.maskPng).toString('base64'),
      ...(p.region && { region: { ...p.region } }),
      classes: out.classes,
      ...(out.instances ? { instances: out.instances } : {}),
      wasWarm,
      ...segmentExtras(out),
      timings: {
        queueMs: r1(queueMs + readyMs),
        decodeMs: r1(t.decodeMs),
        preprocessMs: r1(t.preprocessMs),
        inferenceMs: r1(t.inferenceMs),
        postprocessMs: r1(t.postprocessMs),
        totalMs: r1(performance.now() - t0),
      },
    };
    return { result, inputSha256: out.inputSha256 };
  }

  /** A warm mode got slow (median of recent runs over 1.5x its baseline): re-warm it once the line is idle. */
  private rewarmWhenIdle(mode: string): void {
    const baseline = this.registry.timing(mode).baselineMs ?? 0;
    this.queue.whenIdle(() => {
      if (this.opts.shuttingDown() || !this.registry.isWarm(mode)) return;
      this.opts.metrics.rewarmDegraded.inc({ mode });
      this.opts.announce('info', `${mode} got slower than ${Math.round(baseline)} ms x 1.5: re-warming it`);
      this.registry.warmup(mode, true).catch((e) => this.opts.log('warn', `re-warm of ${mode} failed: ${(e as Error).message}`));
    });
  }
}

