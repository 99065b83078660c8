// The Engine the daemon uses: a thin proxy that posts each call to the engine script
// (workers/engineProcess.ts) owning ONNX Runtime, and resolves it from the reply. The script runs in a
// child process the daemon supervises (host/engineHosts.ts; a worker thread for tests) and
// handles requests one at a time in order, so two calls posted at once simply queue there (a
// segment's postprocessing may overlap the next call: workers/engineProcess.ts).
// If the engine dies (a native crash ends only its process) or the watchdog ends a segment that
// runs far too long, every pending call rejects with EngineCrashedError and the next call starts
// a fresh engine (with no sessions: models load again on demand). An input that was running
// when the engine died twice is refused for a while (host/quarantine.ts, 1008).
import { EngineCrashedError, type Engine, type EngineLossReason, type ImageInput, type LoadInfo, type SegmentOptions, type SegmentOutput, type WarmupOutput } from './engine';
import { SegLensError, SerializedError, deserializeError } from '../api/errors';
import type { ModeDef, ModelRef } from '../models/modeDef';
import { DisplayRegion, ErrorCodes, GpuStatus, LogLevel } from '../api/protocol';
import type { CollectPolicy } from './optimized/optimizedFolder';
import type { ProviderChoice } from './provider';
import { ownedBuffers, postMoving } from './transfer';
import { EarlyHost, EngineHost, EngineHostKind, HostEvents, defaultEngineScript, defaultHostKind, startHost } from './host/engineHosts';
import { Quarantine, QuarantineOptions, hashOfInput } from './host/quarantine';
import type { EmbedOutput, PromptOutput, PromptRequest } from './pipeline/prompt/promptTypes';

export interface WorkerEngineOptions {
  provider: ProviderChoice;
  /** ONNX Runtime intra-op threads; default: defaultIntraOpThreads() (cpuCores.ts: the physical cores, not os.availableParallelism()). */
  threads?: number;
  log?: (level: LogLevel, message: string) => void;
  /** The bundled worker script; default `engineWorker.js` beside this bundle (dist/). */
  workerPath?: string;
  /** Called when the engine dies or the watchdog replaces it (sessions are gone; the registry should mark modes cold). */
  onCrash?: (error: EngineCrashedError) => void;
  /** Where the engine runs (default: a child process; SEGLENS_ENGINE_HOST=thread for a worker thread). */
  host?: EngineHostKind;
  /** TEST ONLY (SEGLENS_TEST_CRASH_HOOKS=1, host/inputGuard.ts): marker images abort or hang the engine. */
  testHooks?: boolean;
  /** When an input that crashed the engine is refused (default: after 2 crashes, for 10 minutes). */
  quarantine?: QuarantineOptions;
  /** Inputs larger than this are not hashed by the daemon for the quarantine check (default 100 MiB). */
  maxInputBytes?: number;
  /** Old optimised graphs removed by collecting that ran after a load's answer (the metrics count them). */
  onCacheRemoved?: (entries: number) => void;
  /**
   * The daemon's --cache-dir: optimised ONNX Runtime graphs are kept in
   * `<cacheDir>/optimized-models/` (daemon/engine/optimized/optimizedCache.ts). Absent: no optimised-graph cache.
   */
  cacheDir?: string;
  /** When old optimised graphs are removed (default: DEFAULT_COLLECT_POLICY). */
  cachePolicy?: CollectPolicy;
  /** A process forked for this engine before it existed (main.ts): the first engine it starts is that one, if it was forked with the same init. */
  early?: EarlyHost;
}

/** Data the worker starts with (`workerData`). */
export interface WorkerInit {
  provider: ProviderChoice;
  threads?: number;
  cacheDir?: string;
  cachePolicy?: CollectPolicy;
  /** TEST ONLY: honour the crash and hang markers (host/inputGuard.ts). */
  testHooks?: boolean;
}

/** Main → worker. */
export type WorkerRequest =
  | { id: number; op: 'load'; model: ModelRef }
  | { id: number; op: 'unload'; key: string }
  | { id: number; op: 'warmup'; mode: ModeDef; iterations: number }
  | { id: number; op: 'segment'; mode: ModeDef; image: ImageInput; maxPixels: number; confidence?: boolean; displayMaxSide?: number; thumbnailSize?: number; region?: DisplayRegion; instanceRle?: boolean; scoreThreshold?: number }
  /** Prompt modes (issue 25): the encoder on an image, its embedding kept under `key`. */
  | { id: number; op: 'embed'; mode: ModeDef; image: ImageInput; key: string; maxPixels: number }
  /** Prompt modes: the decoder on a kept embedding. */
  | { id: number; op: 'prompt'; mode: ModeDef; request: PromptRequest }
  /** Prompt modes: embeddings the daemon's cache let go. */
  | { id: number; op: 'dropEmbeddings'; keys: string[] }
  | { id: number; op: 'close' }
  | { id: number; op: 'status' }
  /** Runs the cache work loads left for later now (tests; close does it too). */
  | { id: number; op: 'settle' }
  /** ensureModels (models/modelFiles.ts): hashing and rewriting the built-in model files. */
  | { id: number; op: 'prepareModels'; modelsDir: string; int8: boolean };

/** Worker → main. */
export type WorkerReply =
  /** The engine has started; `providers`: what its ONNX Runtime binding can use here (none when it failed to load). */
  | { type: 'ready'; providers: string[]; gpu?: GpuStatus }
  /** Issue 27: the GPU adapter, the CPU checks and run times per provider (after each change). */
  | { type: 'gpu'; gpu: GpuStatus }
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'provider'; provider: string }
  /** Deferred collecting removed old optimised graphs (for seglens_optimized_cache_removed_total). */
  | { type: 'cacheRemoved'; entries: number }
  /** The content hash of the segment input about to be decoded (host/inputGuard.ts). */
  | { type: 'input'; hash: string }
  /** A segment's inference is done; its postprocessing goes on (the next job may be posted). */
  | { type: 'inferred'; id: number }
  | { type: 'result'; id: number; ok: true; result: unknown; engineRss?: number }
  | { type: 'result'; id: number; ok: false; error: SerializedError; engineRss?: number };

interface Pending {
  op: string;
  /** A segment's inference is done (the worker's 'inferred' message). */
  onInferred?: () => void;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

type RequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

const CLOSE_TIMEOUT_MS = 15_000;

export class EngineProxy implements Engine {
  readonly hostKind: EngineHostKind;
  private readonly choice: ProviderChoice;
  private readonly opts: WorkerEngineOptions;
  private worker: EngineHost | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | undefined;
  private actualProvider: string | undefined;
  /** The engine's last GPU report (kept across an engine restart until the next one says). */
  private gpuStatus: GpuStatus | undefined;
  /** The binding's usable providers, as the first engine said (the same binding for every engine after it). */
  private supported: string[] | undefined;
  /** Waiters for the current engine's 'ready' (undefined when it died first). */
  private readyWaiters: ((providers: string[] | undefined) => void)[] = [];
  private readonly quarantine: Quarantine;
  /** Content hash of the segment input the engine is working on (reported before decoding). */
  private runningInput: string | undefined;
  /** The engine process's RSS at its last answer (0: none, or a thread, whose memory is the daemon's). */
  private lastEngineRss = 0;

  constructor(opts: WorkerEngineOptions) {
    this.opts = { ...opts }; // `early` is taken once
    this.choice = opts.provider;
    this.hostKind = opts.host ?? defaultHostKind();
    this.quarantine = new Quarantine(opts.quarantine);
  }

  /**
   * The provider sessions run on: known after the first load. Before it: 'cpu' for `cpu` and
   * `auto` (auto only leaves the CPU when the GPU provider really works), the explicit choice
   * otherwise.
   */
  get provider(): string {
    if (this.actualProvider) return this.actualProvider;
    return this.choice === 'auto' ? 'cpu' : this.choice;
  }

  /**
   * The providers this binding can use (`listSupportedBackends()`, engineWorker.ts), asked of the
   * engine, which is started for it the first time; [] when no engine could say.
   */
  async providers(): Promise<string[]> {
    if (this.supported) return this.supported;
    if (this.closed || this.closing) return [];
    try {
      this.ensureWorker();
    } catch {
      return [];
    }
    // An engine forked early may have said it already, while being adopted.
    if (this.supported) return this.supported;
    const said = await new Promise<string[] | undefined>((resolve) => this.readyWaiters.push(resolve));
    return said ?? [];
  }

  /** Issue 27: the GPU adapter, providers that could not start, CPU checks and run times (once the engine said). */
  get gpu(): GpuStatus | undefined {
    return this.gpuStatus;
  }

  /** The engine process's id while one runs (undefined for a worker thread, or none started). */
  get enginePid(): number | undefined {
    return this.worker?.pid;
  }

  /** The engine process's memory as of its last answer (0 without a separate process). */
  get engineRssBytes(): number {
    return this.worker ? this.lastEngineRss : 0;
  }

  load(model: ModelRef): Promise<LoadInfo> {
    return this.call({ op: 'load', model }) as Promise<LoadInfo>;
  }

  async unload(modelKey: string): Promise<void> {
    // Nothing to free when no engine runs (never started, or crashed).
    if (!this.worker) return;
    await this.call({ op: 'unload', key: modelKey });
  }

  warmup(mode: ModeDef, iterations: number): Promise<WarmupOutput> {
    return this.call({ op: 'warmup', mode, iterations }) as Promise<WarmupOutput>;
  }

  async segment(mode: ModeDef, image: ImageInput, opts: SegmentOptions): Promise<SegmentOutput> {
    const { maxPixels, confidence, displayMaxSide, thumbnailSize, region, instanceRle, scoreThreshold, watchdogMs, onInferred } = opts;
    const msg = { op: 'segment' as const, mode, image, maxPixels, confidence, displayMaxSide, thumbnailSize, region, instanceRle, scoreThreshold };
    const out = (await this.call(msg, false, watchdogMs, onInferred)) as SegmentOutput;
    // Structured clone gives a Uint8Array (Buffer's prototype does not cross threads); keep it.
    return out;
  }

  /** Prompt modes (issue 25): runs the encoder on the image and keeps its embedding under `key`. */
  embed(mode: ModeDef, image: ImageInput, key: string, opts: { maxPixels: number; watchdogMs?: number }): Promise<EmbedOutput> {
    return this.call({ op: 'embed', mode, image, key, maxPixels: opts.maxPixels }, false, opts.watchdogMs) as Promise<EmbedOutput>;
  }

  /** Prompt modes: runs the decoder on a kept embedding. */
  prompt(mode: ModeDef, request: PromptRequest, watchdogMs?: number): Promise<PromptOutput> {
    return this.call({ op: 'prompt', mode, request }, false, watchdogMs) as Promise<PromptOutput>;
  }

  /** Prompt modes: frees kept embeddings (nothing to free when no engine runs: they went with it). */
  async dropEmbeddings(keys: string[]): Promise<void> {
    if (!this.worker || keys.length === 0) return;
    await this.call({ op: 'dropEmbeddings', keys });
  }

  /**
   * Prepares the built-in model files in `modelsDir` (models/modelFiles.ts ensureModels) in the
   * engine: hashing and rewriting the 88 MB ISNet must not stall the main thread.
   */
  prepareModels(modelsDir: string, int8: boolean): Promise<unknown> {
    return this.call({ op: 'prepareModels', modelsDir, int8 });
  }

  /** Model keys with a live session in the engine (diagnostics and tests). */
  async loadedModels(): Promise<string[]> {
    if (!this.worker) return [];
    const s = (await this.call({ op: 'status' })) as { loaded: string[] };
    return s.loaded;
  }

  /** session.run calls of the current engine so far (tests count warm-up iterations with it). */
  async modelRuns(): Promise<number> {
    if (!this.worker) return 0;
    const s = (await this.call({ op: 'status' })) as { runs: number };
    return s.runs;
  }

  /** Runs the optimised-graph cache work that loads deferred (writing graphs, collecting) now. */
  async settle(): Promise<void> {
    if (!this.worker) return;
    await this.call({ op: 'settle' });
  }

  /** session.run calls of the current engine per input "HxW" (tests check a warm-up's shape). */
  async modelRunShapes(): Promise<Record<string, number>> {
    if (!this.worker) return {};
    const s = (await this.call({ op: 'status' })) as { runShapes: Record<string, number> };
    return s.runShapes;
  }

  /**
   * Frees every session and stops the engine: an engine that has not closed within `graceMs`
   * (stuck in a native call, or still saving an optimised graph) is killed, and the promise
   * resolves once it is gone. Later calls reject with 1006.
   */
  async close(graceMs = CLOSE_TIMEOUT_MS): Promise<void> {
    if (this.closed || this.closing) return this.closing;
    this.closing = this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    // A process forked early and never used goes too.
    await this.opts.early?.kill();
    this.opts.early = undefined;
    const w = this.worker;
    if (w) {
      // Work posted before close() finishes and sessions are released, but never wait
      // forever; calls made from now on are refused.
      const closing = this.call({ op: 'close' }, true).catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closing, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    this.closed = true;
    if (this.worker) {
      const host = this.worker;
      this.worker = undefined;
      await host.kill();
    }
    this.rejectAll(new SegLensError(ErrorCodes.ShuttingDown, 'the inference engine was closed'));
    this.wakeReadyWaiters(undefined);
  }

  // ---------------------------------------------------------------- plumbing

  /** Refuses (1008) an input that crashed the engine before; hashes only while some input is refused. */
  async admit(image: ImageInput): Promise<void> {
    if (!this.quarantine.active) return;
    const hash = await hashOfInput(image, this.opts.maxInputBytes ?? 100 * 1024 * 1024);
    const ms = hash ? this.quarantine.refusedFor(hash) : 0;
    if (ms <= 0) return;
    const minutes = Math.ceil(ms / 60_000);
    throw new SegLensError(
      ErrorCodes.InputQuarantined,
      `this image crashed the inference engine twice (sha256 ${hash!.slice(0, 12)}…); it is refused for ${minutes} more minute(s) so that it cannot take the engine down again`,
    );
  }

  private call(body: RequestBody, internal = false, watchdogMs?: number, onInferred?: () => void): Promise<unknown> {
    if (this.closed || (this.closing && !internal)) return Promise.reject(new SegLensError(ErrorCodes.ShuttingDown, 'the inference engine is closed'));
    let w: EngineHost;
    try {
      w = this.ensureWorker();
    } catch (e) {
      return Promise.reject(e);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // The watchdog: a call still unanswered after watchdogMs ends the engine that runs it.
      const timer = watchdogMs && watchdogMs > 0 ? setTimeout(() => this.watchdogFired(w, body.op, watchdogMs), watchdogMs) : undefined;
      const settle = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      this.pending.set(id, { op: body.op, resolve: settle(resolve), reject: settle(reject), onInferred });
      try {
        // Image bytes move to the worker (the caller hands them over with the request).
        postMoving(w, { ...body, id }, body.op === 'segment' || body.op === 'embed' ? ownedBuffers(body.image) : []);
      } catch (e) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  private ensureWorker(): EngineHost {
    if (this.worker) return this.worker;
    const file = this.opts.workerPath ?? defaultEngineScript();
    const init: WorkerInit = { provider: this.choice, threads: this.opts.threads, cacheDir: this.opts.cacheDir, cachePolicy: this.opts.cachePolicy, testHooks: this.opts.testHooks };
    // The engine's stdout is captured (never the daemon's: under --stdio that is the protocol
    // transport) and forwarded to the log; its stderr goes to the daemon's stderr.
    const events: HostEvents = {
      message: (m) => this.onMessage(m as WorkerReply),
      died: (why) => this.lost(host, why, 'crash'),
      stdoutLine: (line) => this.opts.log?.('info', `[engine] ${line}`),
    };
    const host: EngineHost = this.adoptEarly(file, init, events) ?? startHost(this.hostKind, file, init, events);
    this.worker = host;
    this.actualProvider = undefined;
    this.runningInput = undefined;
    this.lastEngineRss = 0;
    return host;
  }

  /** The process forked early, once, if it runs the same script with the same init. */
  private adoptEarly(file: string, init: WorkerInit, events: HostEvents): EngineHost | undefined {
    const early = this.opts.early;
    this.opts.early = undefined;
    if (!early) return undefined;
    const same = this.hostKind === 'process' && file === defaultEngineScript() && JSON.stringify(early.init) === JSON.stringify(init);
    if (same) return early.adopt(events);
    void early.kill();
    return undefined;
  }

  private onMessage(m: WorkerReply): void {
    switch (m.type) {
      case 'result': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.engineRss !== undefined) this.lastEngineRss = m.engineRss;
        // With stages, the next segment's input may already be announced: keep it while one is pending.
        if ((p.op === 'segment' || p.op === 'embed') && ![...this.pending.values()].some((q) => q.op === 'segment' || q.op === 'embed')) this.runningInput = undefined;
        if (m.ok) p.resolve(m.result);
        else p.reject(deserializeError(m.error));
        return;
      }
      case 'input':
        this.runningInput = m.hash;
        return;
      case 'inferred':
        this.pending.get(m.id)?.onInferred?.();
        return;
      case 'log':
        this.opts.log?.(m.level, m.message);
        return;
      case 'provider':
        this.actualProvider = m.provider;
        return;
      case 'gpu':
        this.gpuStatus = m.gpu;
        return;
      case 'cacheRemoved':
        this.opts.onCacheRemoved?.(m.entries);
        return;
      case 'ready':
        if (m.gpu) this.gpuStatus = m.gpu;
        this.supported = m.providers;
        this.wakeReadyWaiters(m.providers);
        return;
    }
  }

  private watchdogFired(w: EngineHost, op: string, ms: number): void {
    if (this.worker !== w) return;
    this.lost(w, `the watchdog ended the engine: a ${op} ran for more than ${(ms / 1000).toFixed(1)} s`, 'watchdog');
  }

  /** The engine died or the watchdog ended it: fail what is pending, count the input it was running, start afresh on demand. */
  private lost(w: EngineHost, message: string, reason: EngineLossReason): void {
    if (this.worker !== w) return; // an old engine, already replaced or closed
    this.worker = undefined;
    this.actualProvider = undefined;
    const culprit = this.runningInput;
    this.runningInput = undefined;
    if (culprit && this.quarantine.strike(culprit)) {
      this.opts.log?.('warn', `input sha256 ${culprit} ended the engine twice: refused for ${Math.round(this.quarantine.forMs / 60_000)} minute(s)`);
    }
    const pendingOps = [...this.pending.values()].map((p) => p.op);
    const err = new EngineCrashedError(pendingOps.length ? `${message}; failed: ${pendingOps.join(', ')}` : message, reason);
    this.opts.log?.('error', err.message);
    this.rejectAll(err);
    this.wakeReadyWaiters(undefined);
    void w.kill();
    this.opts.onCrash?.(err);
  }

  private wakeReadyWaiters(providers: string[] | undefined): void {
    for (const w of this.readyWaiters.splice(0)) w(providers);
  }

  private rejectAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(e);
  }
}
