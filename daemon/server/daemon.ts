// The daemon: one registry, engine, lifecycle and metrics shared by every connection. This
// module keeps the connections and the shared state; handlers.ts answers the methods, rpc.ts
// turns answers and throws into responses, and process/ decides where connections come from.
import { CancellationTokenSource, MessageConnection, NotificationType } from 'vscode-jsonrpc/node';
import { SegLensError } from '../api/errors';
import * as P from '../api/protocol';
import { Engine } from '../engine/engine';
import { ModeDef } from '../models/modeDef';
import { UserModeService, isUserModeDef, verifyUserModel } from '../models/userModes';
import { JobQueue } from '../registry/jobQueue';
import { Lifecycle } from '../registry/lifecycle';
import { RecentModes } from '../registry/recentModes';
import { Registry, RegistryHooks } from '../registry/registry';
import { Client, DaemonCore, handlersFor } from './handlers';
import { DaemonMetrics } from './metrics';
import { serveMethod } from './rpc';
import { Segmenter } from './segmenter';
import { Prompter } from './prompter';
import { EmbeddingCache } from './embeddingCache';
import { InflightBudget } from './inflight';
import type { Decoding } from './decoding';
import { ResultCache } from '../results/resultCache';

export interface DaemonConfig {
  version: string;
  maxPixels: number;
  maxQueue: number;
  maxImageBytes: number;
  /** Image bytes in flight past which a segment, an embed or a prompt gets 1005 (`--max-inflight-mb`; 0 or absent: none). */
  maxInflightBytes?: number;
  warmupIterations?: number;
  log: (level: P.LogLevel, message: string) => void;
  /** Called after `shutdown` was answered. */
  onShutdown: () => void;
  /** Called whenever the number of connections changes (for idle exit). */
  onClientsChanged?: (connections: number) => void;
  /** Keep-alive and budgets (lifecycle.ts); defaults: 30 min, no budget. */
  keepAliveMs?: number;
  maxLoadedModels?: number;
  maxRssBytes?: number;
  /** Where the modes used lately are remembered, for preloading after a restart. */
  recent?: RecentModes;
  /** The result cache of `segment {cache: true}` (absent: none). */
  results?: ResultCache;
  /** The memory the daemon uses, its engine process included (default: this process's RSS). */
  rss?: () => number;
  /** The inference watchdog's floor (segmenter.ts watchdogMs); 0 or absent: no watchdog. */
  watchdogMs?: number;
  /** Where score and displayCrop decode (decoding.ts; absent: in this process). */
  decoding?: Decoding;
  /** Prompt modes' embedding cache budget (`--embedding-cache-mb`; default 512 MB). */
  embeddingCacheBytes?: number;
}

const DEFAULT_KEEP_ALIVE_MS = 30 * 60_000;

export class Daemon implements DaemonCore {
  readonly registry: Registry;
  readonly metrics: DaemonMetrics;
  /** seglens/defineModes: the user's own models (userModes.ts). */
  readonly userModes: UserModeService;
  readonly lifecycle: Lifecycle;
  readonly segmenter: Segmenter;
  /** seglens/embed and seglens/prompt (issue 25). */
  readonly prompter: Prompter;
  readonly version: string;
  private readonly queue: JobQueue;
  private readonly connections = new Set<Client>();
  private readonly started = performance.now();
  private shuttingDown = false;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    modes: ModeDef[],
    readonly engine: Engine,
    private readonly opts: DaemonConfig,
  ) {
    this.version = opts.version;
    this.metrics = new DaemonMetrics(
      () => this.initializedClients(),
      () => this.prompter.cache.totalBytes,
      () => this.queue.waitingByPriority(),
    );
    this.queue = new JobQueue(opts.maxQueue, () => this.metrics.queueRejected.inc());
    this.registry = new Registry(modes, engine, this.queue, this.registryHooks(), opts.warmupIterations);
    for (const [mode, ms] of opts.recent?.steadyTimes() ?? []) this.registry.rememberSteady(mode, ms);
    this.lifecycle = new Lifecycle(this.registry, {
      keepAliveMs: this.keepAliveMs,
      maxLoadedModels: opts.maxLoadedModels ?? 0,
      maxRssBytes: opts.maxRssBytes ?? 0,
      log: opts.log,
      onEvicted: (mode, reason) => this.metrics.evictions.inc({ mode, reason }),
      rss: opts.rss,
    });
    // One budget for the image bytes of segments, embeds and prompts in flight.
    const inflight = new InflightBudget(opts.maxInflightBytes ?? 0, opts.maxPixels);
    this.segmenter = new Segmenter(this.registry, engine, this.queue, {
      maxPixels: opts.maxPixels,
      maxImageBytes: opts.maxImageBytes,
      metrics: this.metrics,
      log: opts.log,
      announce: (level, message) => this.log(level, message),
      shuttingDown: () => this.shuttingDown,
      results: opts.results,
      watchdogMs: opts.watchdogMs ?? 0,
      inflight,
      decoding: opts.decoding,
    });
    const embeddings = new EmbeddingCache(opts.embeddingCacheBytes ?? 512 * 1024 * 1024, (keys) => {
      engine.dropEmbeddings?.(keys).catch((e) => opts.log('warn', `freeing embeddings: ${(e as Error).message}`));
    });
    this.prompter = new Prompter(this.registry, engine, this.queue, embeddings, {
      maxPixels: opts.maxPixels,
      maxImageBytes: opts.maxImageBytes,
      metrics: this.metrics,
      watchdogMs: opts.watchdogMs ?? 0,
      inflight,
    });
    this.startSweeping();
    this.userModes = new UserModeService(this.registry, (p) => this.broadcast(P.ModesChanged, p));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  initializedClients(): number {
    let n = 0;
    for (const c of this.connections) if (c.initializedAt !== undefined) n++;
    return n;
  }

  /** Sends a log line to stderr and (unless `toClients` is false) to every client. */
  log(level: P.LogLevel, message: string, toClients = true): void {
    this.opts.log(level, message);
    if (toClients) this.broadcast(P.Log, { level, message });
  }

  /** Serves one client on `connection` until it closes. */
  attach(connection: MessageConnection, closeTransport?: () => void): void {
    const client: Client = { connection, closeTransport, readyReported: false };
    // Cancelled when this client leaves: its requests still waiting in the queue are dropped.
    const gone = new CancellationTokenSource();
    this.connections.add(client);
    this.opts.onClientsChanged?.(this.connections.size);
    const rpc = {
      gone: gone.token,
      admit: (method: string) => {
        if (this.shuttingDown && method !== P.Shutdown.method) throw new SegLensError(P.ErrorCodes.ShuttingDown, 'the SegLens daemon is shutting down');
      },
      answered: (method: string, outcome: string, err?: { code: number; message: string }) => {
        this.metrics.requests.inc({ method, outcome });
        if (err?.code === P.ErrorCodes.InternalError) this.opts.log('error', `${method} failed: ${err.message}`);
      },
    };
    for (const [method, fn] of Object.entries(handlersFor(this, client))) serveMethod(connection, method, fn, rpc);
    connection.onClose(() => {
      gone.cancel();
      this.detach(client);
    });
    connection.onError(([err]) => this.opts.log('warn', `connection error: ${err.message}`));
    connection.listen();
  }

  status(): P.StatusResult {
    return {
      pid: process.pid,
      uptimeMs: Math.round(performance.now() - this.started),
      clients: this.initializedClients(),
      rssBytes: this.opts.rss ? this.opts.rss() : process.memoryUsage.rss(),
      provider: this.engine.provider,
      modes: this.registry.modes().map((m) => this.modeStatus(m.id)),
      models: this.lifecycle.models(),
      keepAliveMs: this.keepAliveMs,
      maxLoadedModels: this.opts.maxLoadedModels ?? 0,
      maxRssBytes: this.opts.maxRssBytes ?? 0,
      ...(this.engine.gpu ? { gpu: this.engine.gpu } : {}),
    };
  }

  /** The registry's status plus what the lifecycle knows (selection, expiry). */
  modeStatus(mode: string): P.ModeStatus {
    return this.withLifecycle(this.registry.status(mode));
  }

  /** Prompt modes: how many image embeddings the cache holds for it. */
  private withEmbeddings(s: P.ModeStatus): P.ModeStatus {
    if (this.prompter && this.registry.def(s.mode).promptSpec) s.embeddings = this.prompter.cache.count(s.mode);
    return s;
  }

  used(mode: string, client: Client): void {
    if (!this.registry.has(mode)) return;
    this.lifecycle.used(mode, client);
    this.opts.recent?.used(mode);
  }

  shutdownRequested(client: Client): void {
    this.shuttingDown = true;
    this.opts.log('info', `shutdown requested by '${client.name ?? 'a client'}'`);
    setImmediate(() => this.opts.onShutdown());
  }

  /** Resolves once no engine job runs or waits (background work yields to clients' requests). */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => this.queue.whenIdle(resolve));
  }

  /** Stops accepting work; waiting jobs are refused with 1006. */
  beginShutdown(): void {
    this.shuttingDown = true;
    clearInterval(this.sweepTimer);
    this.opts.recent?.flush();
    this.queue.rejectAll(new SegLensError(P.ErrorCodes.ShuttingDown, 'the SegLens daemon is shutting down'));
  }

  closeConnections(): void {
    for (const c of [...this.connections]) {
      c.connection.dispose();
      c.closeTransport?.();
    }
  }

  broadcast<T>(type: NotificationType<T>, payload: T): void {
    for (const c of this.connections) {
      if (c.initializedAt === undefined) continue;
      c.connection.sendNotification(type, payload).catch(() => undefined);
    }
  }

  private get keepAliveMs(): number {
    return this.opts.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  }

  private detach(client: Client): void {
    if (!this.connections.delete(client)) return;
    this.lifecycle.clientGone(client);
    this.userModes.clientGone(client);
    if (client.initializedAt !== undefined) this.opts.log('info', `client '${client.name}' left (${this.initializedClients()} connected)`);
    this.opts.onClientsChanged?.(this.connections.size);
  }

  /** Metrics, logs and memory budgets follow the registry's loads and warm-ups. */
  private registryHooks(): RegistryHooks {
    return {
      onState: (s) => this.broadcast(P.ModelState, this.withLifecycle(s)),
      onLoad: (mode, ms, info) => {
        this.metrics.modelLoads.inc({ mode });
        if (info.optimizedCache) this.metrics.optimizedCache.inc({ outcome: info.optimizedCache });
        if (info.optimizedCacheRemoved) this.metrics.optimizedCacheRemoved.inc({}, info.optimizedCacheRemoved);
        this.metrics.modelLoadSeconds.observe({ mode }, ms / 1000);
        this.opts.log('info', `loaded the model of ${mode} in ${Math.round(ms)} ms`);
        this.afterGrowth(mode);
      },
      onWarmup: (mode, ms, source) => {
        this.metrics.warmupRuns.inc({ mode, source });
        this.metrics.warmupSeconds.observe({ mode }, ms / 1000);
        this.opts.log('info', source === 'request' ? `${mode} warmed up by a request's own inference (${Math.round(ms)} ms)` : `warmed up ${mode} in ${Math.round(ms)} ms`);
        this.afterGrowth(mode);
      },
      onWarmupSkipped: (mode) => this.metrics.warmupSkipped.inc({ mode }),
      // A prompt mode's embeddings go with its sessions (unload, idle, budget, redefinition).
      onUnloaded: (mode) => this.prompter?.cache.dropMode(mode),
      onSteady: (mode, ms) => this.opts.recent?.setSteady(mode, ms),
      // A user definition is checked against what its file declares before the session is made (1004 naming the field).
      beforeLoad: async (def) => {
        if (isUserModeDef(def)) await verifyUserModel(def);
      },
    };
  }

  /** Unloads modes idle past their keep-alive, checked at half the keep-alive (1 s to 1 min). */
  private startSweeping(): void {
    if (this.keepAliveMs <= 0) return;
    const every = Math.max(1000, Math.min(60_000, this.keepAliveMs / 2));
    const sweep = () => this.lifecycle.sweep().catch((e) => this.opts.log('warn', `idle sweep: ${(e as Error).message}`));
    this.sweepTimer = setInterval(() => void sweep(), every);
    this.sweepTimer.unref();
  }

  private withLifecycle(s: P.ModeStatus): P.ModeStatus {
    // Called from the registry's hooks too, before the lifecycle exists.
    if (!this.lifecycle || !this.registry.has(s.mode)) return s;
    this.withEmbeddings(s);
    if (this.lifecycle.isSelected(s.mode)) s.selected = true;
    const exp = this.lifecycle.expiresAt(s.mode);
    if (exp !== undefined) s.expiresAt = new Date(exp).toISOString();
    return s;
  }

  /** After a load or warm-up: attribute the memory it took and keep within the budgets. */
  private afterGrowth(mode: string): void {
    const key = this.registry.def(mode).model.key;
    this.lifecycle.noteGrowth(key);
    this.lifecycle.enforceBudget(key).catch((e) => this.opts.log('warn', `memory budget: ${(e as Error).message}`));
  }
}
