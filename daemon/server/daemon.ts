// The daemon: one registry, engine and metrics shared by every connection. This module
// speaks the protocol on a MessageConnection; main.ts decides where connections come from.
import { CancellationToken, CancellationTokenSource, MessageConnection, NotificationType, RequestType, ResponseError } from 'vscode-jsonrpc/node';
import { Engine } from '../engine/engine';
import { SegLensError, invalidParams } from '../api/errors';
import { DegradationDetector } from '../registry/degradation';
import { JobQueue } from '../registry/jobQueue';
import { Lifecycle } from '../registry/lifecycle';
import { DaemonMetrics } from './metrics';
import { ModeDef, modeInfo } from '../models/modeDef';
import * as params from './params';
import * as P from '../api/protocol';
import { RecentModes } from '../registry/recentModes';
import { Registry } from '../registry/registry';
import { UserModeService, inspectModel, isUserModeDef, verifyUserModel } from '../models/userModes';

export interface DaemonOptions {
  version: string;
  maxPixels: number;
  maxQueue: number;
  maxImageBytes: number;
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
}

interface Client {
  connection: MessageConnection;
  closeTransport?: () => void;
  name?: string;
  initializedAt?: number;
  readyReported: boolean;
}

export class Daemon {
  readonly registry: Registry;
  readonly metrics: DaemonMetrics;
  /** seglens/defineModes: the user's own models (userModes.ts). */
  readonly userModes: UserModeService;
  private readonly queue: JobQueue;
  private readonly connections = new Set<Client>();
  private readonly started = performance.now();
  private shuttingDown = false;
  readonly lifecycle: Lifecycle;
  private readonly detectors = new Map<string, DegradationDetector>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    modes: ModeDef[],
    readonly engine: Engine,
    private readonly opts: DaemonOptions,
  ) {
    this.metrics = new DaemonMetrics(() => this.initializedClients());
    this.queue = new JobQueue(opts.maxQueue);
    this.registry = new Registry(
      modes,
      engine,
      this.queue,
      {
        onState: (s) => this.broadcast(P.ModelState, this.withLifecycle(s)),
        onLoad: (mode, ms, info) => {
          this.metrics.modelLoads.inc({ mode });
          if (info.optimizedCache) this.metrics.optimizedCache.inc({ outcome: info.optimizedCache });
          if (info.optimizedCacheRemoved) this.metrics.optimizedCacheRemoved.inc({}, info.optimizedCacheRemoved);
          this.metrics.modelLoadSeconds.observe({ mode }, ms / 1000);
          opts.log('info', `loaded the model of ${mode} in ${Math.round(ms)} ms`);
          this.afterGrowth(mode);
        },
        onWarmup: (mode, ms) => {
          this.metrics.warmupRuns.inc({ mode });
          this.metrics.warmupSeconds.observe({ mode }, ms / 1000);
          opts.log('info', `warmed up ${mode} in ${Math.round(ms)} ms`);
          // The baseline of the degradation check is measured anew after every warm-up.
          this.detector(mode).reset();
          this.afterGrowth(mode);
        },
        onWarmupSkipped: (mode) => this.metrics.warmupSkipped.inc({ mode }),
        // A user definition is checked against what its file declares before the session is made (1004 naming the field).
        beforeLoad: async (def) => {
          if (isUserModeDef(def)) await verifyUserModel(def);
        },
      },
      opts.warmupIterations,
    );
    this.lifecycle = new Lifecycle(this.registry, {
      keepAliveMs: opts.keepAliveMs ?? 30 * 60_000,
      maxLoadedModels: opts.maxLoadedModels ?? 0,
      maxRssBytes: opts.maxRssBytes ?? 0,
      log: opts.log,
      onEvicted: (mode, reason) => this.metrics.evictions.inc({ mode, reason }),
    });
    const keepAlive = opts.keepAliveMs ?? 30 * 60_000;
    if (keepAlive > 0) {
      const every = Math.max(1000, Math.min(60_000, keepAlive / 2));
      this.sweepTimer = setInterval(() => void this.lifecycle.sweep().catch((e) => opts.log('warn', `idle sweep: ${(e as Error).message}`)), every);
      this.sweepTimer.unref();
    }
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

  /** Sends a log line to stderr and to every client. */
  log(level: P.LogLevel, message: string): void {
    this.opts.log(level, message);
    this.broadcast(P.Log, { level, message });
  }

  /** Serves one client on `connection` until it closes. */
  attach(connection: MessageConnection, closeTransport?: () => void): void {
    const client: Client = { connection, closeTransport, readyReported: false };
    // Cancelled when this client leaves: its requests still waiting in the queue are dropped.
    const gone = new CancellationTokenSource();
    this.connections.add(client);
    this.opts.onClientsChanged?.(this.connections.size);

    const handle = <Pa, R>(type: RequestType<Pa, R, void> | string, fn: (p: unknown, token: CancellationToken) => Promise<R> | R) => {
      const method = typeof type === 'string' ? type : type.method;
      // vscode-jsonrpc spreads positional params before the token: `[a, b]` arrives as (a, b, token).
      // Only an object (or one-element array) is valid params; anything else is -32602 in fn.
      connection.onRequest(method, async (...args: unknown[]) => {
        const token = args[args.length - 1] as CancellationToken;
        const p = args.length === 1 ? undefined : args.length === 2 ? args[0] : args.slice(0, -1);
        try {
          if (this.shuttingDown && method !== P.Shutdown.method) {
            throw new SegLensError(P.ErrorCodes.ShuttingDown, 'the SegLens daemon is shutting down');
          }
          const r = await fn(p, eitherToken(token, gone.token));
          this.metrics.requests.inc({ method, outcome: 'ok' });
          return r;
        } catch (e) {
          const err = toResponseError(e);
          this.metrics.requests.inc({ method, outcome: outcomeOf(err.code) });
          if (err.code === -32603) this.opts.log('error', `${method} failed: ${err.message}`);
          return err;
        }
      });
    };

    handle(P.Initialize, (p) => {
      const o = (p ?? {}) as Partial<P.InitializeParams>;
      if (typeof o.clientName !== 'string') throw invalidParams("initialize: 'clientName' must be a string");
      if (o.protocolVersion !== P.PROTOCOL_VERSION) {
        throw invalidParams(`initialize: this daemon speaks protocolVersion ${P.PROTOCOL_VERSION}, the client asked for ${String(o.protocolVersion)}`);
      }
      client.name = o.clientName;
      if (client.initializedAt === undefined) client.initializedAt = performance.now();
      this.opts.log('info', `client '${o.clientName}' connected (${this.initializedClients()} connected)`);
      const result: P.InitializeResult = {
        protocolVersion: P.PROTOCOL_VERSION,
        daemonVersion: this.opts.version,
        pid: process.pid,
        providers: this.engine.providers,
        modes: this.registry.modes().map(modeInfo),
        provider: this.engine.provider,
      };
      return result;
    });

    handle(P.Status, () => this.status());

    handle(P.EnsureReady, async (p) => {
      const { mode, warmup } = params.ensureReadyParams(p);
      this.used(mode, client);
      const r = await this.registry.ensureReady(mode, warmup ?? true);
      if (!client.readyReported && client.initializedAt !== undefined) {
        client.readyReported = true;
        this.metrics.clientReadySeconds.observe({}, (performance.now() - client.initializedAt) / 1000);
      }
      return r;
    });

    handle(P.Warmup, (p) => {
      const { mode, force, iterations } = params.warmupParams(p);
      this.used(mode, client);
      return this.registry.warmup(mode, force ?? false, iterations);
    });

    handle(P.Segment, (p, token) => {
      const sp = params.segmentParams(p);
      this.used(sp.mode, client);
      return this.segment(sp, token);
    });

    handle(P.SelectMode, (p) => {
      const { mode } = params.selectModeParams(p);
      this.registry.def(mode); // -32602 for an unknown mode
      this.lifecycle.select(client, mode);
      this.broadcast(P.ModelState, this.modeStatus(mode));
      return { mode, state: this.registry.status(mode).state };
    });

    handle(P.Unload, async (p) => {
      const { mode } = params.unloadParams(p);
      if (mode !== undefined && !this.registry.has(mode)) this.registry.def(mode); // throws -32602
      return { unloaded: await this.registry.unload(mode) };
    });

    handle(P.Metrics, () => ({ text: this.metrics.render() }));

    handle(P.DefineModes, (p) => this.userModes.define(p, client));

    handle(P.InspectModel, (p) => inspectModel((p as Partial<P.InspectModelParams> | null)?.path as string));

    handle(P.Shutdown.method, () => {
      this.shuttingDown = true;
      this.opts.log('info', `shutdown requested by '${client.name ?? 'a client'}'`);
      setImmediate(() => this.opts.onShutdown());
      return null;
    });

    connection.onClose(() => {
      gone.cancel();
      if (!this.connections.delete(client)) return;
      this.lifecycle.clientGone(client);
      this.userModes.clientGone(client);
      if (client.initializedAt !== undefined) this.opts.log('info', `client '${client.name}' left (${this.initializedClients()} connected)`);
      this.opts.onClientsChanged?.(this.connections.size);
    });
    connection.onError(([err]) => this.opts.log('warn', `connection error: ${err.message}`));
    connection.listen();
  }

  status(): P.StatusResult {
    return {
      pid: process.pid,
      uptimeMs: Math.round(performance.now() - this.started),
      clients: this.initializedClients(),
      rssBytes: process.memoryUsage.rss(),
      provider: this.engine.provider,
      modes: this.registry.modes().map((m) => this.modeStatus(m.id)),
      models: this.lifecycle.models(),
      keepAliveMs: this.opts.keepAliveMs ?? 30 * 60_000,
    };
  }

  /** The registry's status plus what the lifecycle knows (selection, expiry). */
  modeStatus(mode: string): P.ModeStatus {
    return this.withLifecycle(this.registry.status(mode));
  }

  private withLifecycle(s: P.ModeStatus): P.ModeStatus {
    // Called from the registry's constructor hooks too, before the lifecycle exists.
    if (!this.lifecycle || !this.registry.has(s.mode)) return s;
    const mode = s.mode;
    if (this.lifecycle.isSelected(mode)) s.selected = true;
    const exp = this.lifecycle.expiresAt(mode);
    if (exp !== undefined) s.expiresAt = new Date(exp).toISOString();
    return s;
  }

  private used(mode: string, client: object): void {
    if (!this.registry.has(mode)) return;
    this.lifecycle.used(mode, client);
    this.opts.recent?.used(mode);
  }

  private detector(mode: string): DegradationDetector {
    let d = this.detectors.get(mode);
    if (!d) this.detectors.set(mode, (d = new DegradationDetector()));
    return d;
  }

  /** After a load or warm-up: attribute the memory it took and keep within the budgets. */
  private afterGrowth(mode: string): void {
    const key = this.registry.def(mode).model.key;
    this.lifecycle.noteGrowth(key);
    this.lifecycle.enforceBudget(key).catch((e) => this.opts.log('warn', `memory budget: ${(e as Error).message}`));
  }

  /** A warm mode got slow (median of recent runs over 1.5x its baseline): re-warm it once the line is idle. */
  private checkDegradation(mode: string, inferenceMs: number): void {
    if (!this.detector(mode).record(inferenceMs)) return;
    const baseline = this.detector(mode).baselineMs ?? 0;
    this.queue.whenIdle(() => {
      if (this.shuttingDown || !this.registry.isWarm(mode)) return;
      this.metrics.rewarmDegraded.inc({ mode });
      this.log('info', `${mode} got slower than ${Math.round(baseline)} ms x 1.5: re-warming it`);
      this.registry.warmup(mode, true).catch((e) => this.opts.log('warn', `re-warm of ${mode} failed: ${(e as Error).message}`));
    });
  }

  private async segment(p: P.SegmentParams, token: CancellationToken): Promise<P.SegmentResult> {
    const def = this.registry.def(p.mode);
    // Refuse at once when the line is full, before decoding base64 or loading anything.
    this.queue.checkCapacity();
    const image = 'path' in p.image ? { path: p.image.path } : { bytes: params.decodeBase64(p.image.base64, this.opts.maxImageBytes) };
    const wasWarm = this.registry.isWarm(p.mode);
    const t0 = performance.now();
    if (!wasWarm) await this.registry.ensureReady(p.mode, true);
    const readyMs = performance.now() - t0;
    const opts = { maxPixels: this.opts.maxPixels, confidence: p.confidence === true && def.task === 'semantic', displayMaxSide: params.displayMaxSide(p.displayImage) };
    const { value: out, queueMs } = await this.queue.run(() => this.engine.segment(def, image, opts), {
      limited: true,
      token,
    });
    this.registry.recordInference(p.mode, out.timings.inferenceMs);
    this.checkDegradation(p.mode, out.timings.inferenceMs);
    this.metrics.inferenceSeconds.observe({ mode: p.mode }, out.timings.inferenceMs / 1000);
    const t = out.timings;
    return {
      mode: p.mode,
      width: out.width,
      height: out.height,
      maskPng: Buffer.from(out.maskPng).toString('base64'),
      classes: out.classes,
      wasWarm,
      ...params.segmentExtras(out),
      timings: {
        queueMs: r1(queueMs + readyMs),
        decodeMs: r1(t.decodeMs),
        preprocessMs: r1(t.preprocessMs),
        inferenceMs: r1(t.inferenceMs),
        postprocessMs: r1(t.postprocessMs),
        totalMs: r1(performance.now() - t0),
      },
    };
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

  private broadcast<T>(type: NotificationType<T>, payload: T): void {
    for (const c of this.connections) {
      if (c.initializedAt === undefined) continue;
      c.connection.sendNotification(type, payload).catch(() => undefined);
    }
  }
}

const r1 = (ms: number) => Math.round(ms * 10) / 10;

/** Cancelled when either is (a request's own token, its client leaving); listeners are removable. */
function eitherToken(a: CancellationToken, b: CancellationToken): CancellationToken {
  if (a.isCancellationRequested || b.isCancellationRequested) return CancellationToken.Cancelled;
  return {
    get isCancellationRequested() {
      return a.isCancellationRequested || b.isCancellationRequested;
    },
    onCancellationRequested: ((listener: (e: unknown) => unknown) => {
      const subs = [a.onCancellationRequested(listener), b.onCancellationRequested(listener)];
      return { dispose: () => subs.forEach((d) => d.dispose()) };
    }) as CancellationToken['onCancellationRequested'],
  };
}

function toResponseError(e: unknown): ResponseError<void> {
  if (e instanceof ResponseError) return e;
  if (e instanceof SegLensError) return new ResponseError(e.code, e.message);
  if (e instanceof Error && e.name === 'EngineCrashedError') {
    return new ResponseError(P.ErrorCodes.InternalError, `the inference worker stopped during this request (${e.message}); the daemon restarted it: try again`);
  }
  return new ResponseError(-32603, e instanceof Error ? e.message : String(e));
}

function outcomeOf(code: number): string {
  switch (code) {
    case P.ErrorCodes.InvalidParams:
      return 'invalid_params';
    case P.ErrorCodes.RequestCancelled:
      return 'cancelled';
    case P.ErrorCodes.Overloaded:
      return 'overloaded';
    case P.ErrorCodes.ShuttingDown:
      return 'shutting_down';
    default:
      return code >= 1001 && code <= 1004 ? `error_${code}` : 'error';
  }
}
