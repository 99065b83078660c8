// The Engine the daemon uses: a thin main-thread proxy that posts each call to one worker
// thread (engineWorker.ts) owning ONNX Runtime, and resolves it from the reply. The worker
// handles requests one at a time in order, so two calls posted at once simply queue there.
// If the worker dies, every pending call rejects with EngineCrashedError and the next call
// starts a fresh worker (with no sessions: models load again on demand).
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EngineCrashedError, type Engine, type ImageInput, type LoadInfo, type SegmentOptions, type SegmentOutput, type WarmupOutput } from './engine';
import { SegLensError, SerializedError, deserializeError } from '../api/errors';
import type { ModeDef, ModelRef } from '../models/modeDef';
import { ErrorCodes, LogLevel } from '../api/protocol';
import type { CollectPolicy } from './optimized/optimizedFolder';
import { ProviderChoice, availableProviders } from './provider';
import { ownedBuffers, postMoving } from './transfer';

export interface WorkerEngineOptions {
  provider: ProviderChoice;
  /** ONNX Runtime intra-op threads; default: defaultIntraOpThreads() (cpuCores.ts: the physical cores, not os.availableParallelism()). */
  threads?: number;
  log?: (level: LogLevel, message: string) => void;
  /** The bundled worker script; default `engineWorker.js` beside this bundle (dist/). */
  workerPath?: string;
  /** Called when the worker dies unexpectedly (sessions are gone; the registry should mark modes cold). */
  onCrash?: (error: Error) => void;
  /** Old optimised graphs removed by collecting that ran after a load's answer (the metrics count them). */
  onCacheRemoved?: (entries: number) => void;
  /**
   * The daemon's --cache-dir: optimised ONNX Runtime graphs are kept in
   * `<cacheDir>/optimized-models/` (daemon/engine/optimized/optimizedCache.ts). Absent: no optimised-graph cache.
   */
  cacheDir?: string;
  /** When old optimised graphs are removed (default: DEFAULT_COLLECT_POLICY). */
  cachePolicy?: CollectPolicy;
}

/** Data the worker starts with (`workerData`). */
export interface WorkerInit {
  provider: ProviderChoice;
  threads?: number;
  cacheDir?: string;
  cachePolicy?: CollectPolicy;
}

/** Main → worker. */
export type WorkerRequest =
  | { id: number; op: 'load'; model: ModelRef }
  | { id: number; op: 'unload'; key: string }
  | { id: number; op: 'warmup'; mode: ModeDef; iterations: number }
  | { id: number; op: 'segment'; mode: ModeDef; image: ImageInput; maxPixels: number; confidence?: boolean; displayMaxSide?: number; thumbnailSize?: number }
  | { id: number; op: 'close' }
  | { id: number; op: 'status' }
  /** Runs the cache work loads left for later now (tests; close does it too). */
  | { id: number; op: 'settle' }
  /** ensureModels (models/modelFiles.ts): hashing and rewriting the built-in model files. */
  | { id: number; op: 'prepareModels'; modelsDir: string }
  /** Test hook: make the worker throw an uncaught exception. */
  | { id: number; op: 'crash' };

/** Worker → main. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'provider'; provider: string }
  /** Deferred collecting removed old optimised graphs (for seglens_optimized_cache_removed_total). */
  | { type: 'cacheRemoved'; entries: number }
  | { type: 'result'; id: number; ok: true; result: unknown }
  | { type: 'result'; id: number; ok: false; error: SerializedError };

interface Pending {
  op: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

type RequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

const CLOSE_TIMEOUT_MS = 15_000;

export class WorkerEngine implements Engine {
  readonly providers: string[];
  private readonly choice: ProviderChoice;
  private readonly opts: WorkerEngineOptions;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | undefined;
  private actualProvider: string | undefined;

  constructor(opts: WorkerEngineOptions) {
    this.opts = opts;
    this.choice = opts.provider;
    this.providers = availableProviders(process.platform);
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

  load(model: ModelRef): Promise<LoadInfo> {
    return this.call({ op: 'load', model }) as Promise<LoadInfo>;
  }

  async unload(modelKey: string): Promise<void> {
    // Nothing to free when no worker runs (never started, or crashed).
    if (!this.worker) return;
    await this.call({ op: 'unload', key: modelKey });
  }

  warmup(mode: ModeDef, iterations: number): Promise<WarmupOutput> {
    return this.call({ op: 'warmup', mode, iterations }) as Promise<WarmupOutput>;
  }

  async segment(mode: ModeDef, image: ImageInput, opts: SegmentOptions): Promise<SegmentOutput> {
    const { maxPixels, confidence, displayMaxSide, thumbnailSize } = opts;
    const out = (await this.call({ op: 'segment', mode, image, maxPixels, confidence, displayMaxSide, thumbnailSize })) as SegmentOutput;
    // Structured clone gives a Uint8Array (Buffer's prototype does not cross threads); keep it.
    return out;
  }

  /**
   * Prepares the built-in model files in `modelsDir` (models/modelFiles.ts ensureModels) in the
   * worker: hashing and rewriting the 88 MB ISNet must not stall the main thread.
   */
  prepareModels(modelsDir: string): Promise<unknown> {
    return this.call({ op: 'prepareModels', modelsDir });
  }

  /** Model keys with a live session in the worker (diagnostics and tests). */
  async loadedModels(): Promise<string[]> {
    if (!this.worker) return [];
    const s = (await this.call({ op: 'status' })) as { loaded: string[] };
    return s.loaded;
  }

  /** session.run calls of the current worker so far (tests count warm-up iterations with it). */
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

  /** session.run calls of the current worker per input "HxW" (tests check a warm-up's shape). */
  async modelRunShapes(): Promise<Record<string, number>> {
    if (!this.worker) return {};
    const s = (await this.call({ op: 'status' })) as { runShapes: Record<string, number> };
    return s.runShapes;
  }

  /** Frees every session and stops the worker. Later calls reject with 1006. */
  async close(): Promise<void> {
    if (this.closed || this.closing) return this.closing;
    this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const w = this.worker;
    if (w) {
      // Work posted before close() finishes and sessions are released, but never wait
      // forever; calls made from now on are refused.
      const closing = this.call({ op: 'close' }, true).catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closing, new Promise((r) => (timer = setTimeout(r, CLOSE_TIMEOUT_MS)))]);
      clearTimeout(timer);
    }
    this.closed = true;
    if (w) {
      this.worker = undefined;
      w.removeAllListeners();
      w.on('error', () => undefined);
      await w.terminate();
    }
    this.rejectAll(new SegLensError(ErrorCodes.ShuttingDown, 'the inference engine was closed'));
  }

  /** Test hook: makes the worker die with an uncaught exception. */
  crashForTest(): void {
    this.ensureWorker().postMessage({ id: 0, op: 'crash' } satisfies WorkerRequest);
  }

  // ---------------------------------------------------------------- plumbing

  private call(body: RequestBody, internal = false): Promise<unknown> {
    if (this.closed || (this.closing && !internal)) return Promise.reject(new SegLensError(ErrorCodes.ShuttingDown, 'the inference engine is closed'));
    let w: Worker;
    try {
      w = this.ensureWorker();
    } catch (e) {
      return Promise.reject(e);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { op: body.op, resolve, reject });
      try {
        // Image bytes move to the worker (the caller hands them over with the request).
        postMoving(w, { ...body, id }, body.op === 'segment' ? ownedBuffers(body.image) : []);
      } catch (e) {
        this.pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const file = this.opts.workerPath ?? path.join(__dirname, 'engineWorker.js');
    const init: WorkerInit = { provider: this.choice, threads: this.opts.threads, cacheDir: this.opts.cacheDir, cachePolicy: this.opts.cachePolicy };
    // The worker's stdout is captured (never the process's: under --stdio that is the
    // protocol transport) and forwarded to the log; its stderr goes to the daemon's stderr.
    const w = new Worker(file, { workerData: init, stdout: true });
    this.worker = w;
    let partial = '';
    w.stdout.setEncoding('utf8');
    w.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.opts.log?.('info', `[engine] ${line}`);
    });
    this.actualProvider = undefined;
    w.on('message', (m: WorkerReply) => this.onMessage(m));
    w.on('error', (e: Error) => this.onDeath(w, `inference worker crashed: ${e.message}`));
    w.on('messageerror', (e: Error) => this.onDeath(w, `inference worker sent an unreadable message: ${e.message}`));
    w.on('exit', (code: number) => this.onDeath(w, `inference worker exited unexpectedly (exit code ${code})`));
    return w;
  }

  private onMessage(m: WorkerReply): void {
    switch (m.type) {
      case 'result': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(deserializeError(m.error));
        return;
      }
      case 'log':
        this.opts.log?.(m.level, m.message);
        return;
      case 'provider':
        this.actualProvider = m.provider;
        return;
      case 'cacheRemoved':
        this.opts.onCacheRemoved?.(m.entries);
        return;
      case 'ready':
        return;
    }
  }

  private onDeath(w: Worker, message: string): void {
    if (this.worker !== w) return; // an old worker, already replaced or closed
    this.worker = undefined;
    this.actualProvider = undefined;
    const pendingOps = [...this.pending.values()].map((p) => p.op);
    const err = new EngineCrashedError(pendingOps.length ? `${message}; failed: ${pendingOps.join(', ')}` : message);
    this.opts.log?.('error', err.message);
    this.rejectAll(err);
    w.removeAllListeners();
    w.on('error', () => undefined);
    void w.terminate().catch(() => undefined);
    this.opts.onCrash?.(err);
  }

  private rejectAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(e);
  }
}
