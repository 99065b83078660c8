// The warm-up registry: per-mode state (cold → loading → warming → warm, or failed) with
// single flight, so clients racing on a cold mode share one load and one warm-up. Warm is
// only ever set after a warm-up really ran in this process: a dummy warm-up, or a request's
// own first inference (request-as-warm-up, issue #14: `prepareForRequest`).
import { Engine, EngineCrashedError, LoadInfo } from '../engine/engine';
import { SegLensError, invalidParams } from '../api/errors';
import { JobQueue } from './jobQueue';
import { ModelCache } from './modelCache';
import { ModeTiming } from './modeTiming';
import { round1 as round } from '../api/numbers';
import { ModeDef } from '../models/modeDef';
import { isUserModeDef } from '../models/userModes';
import { EnsureReadyResult, ErrorCodes, LoadOutcome, ModeState, ModeStatus, WarmupResult } from '../api/protocol';

interface Flight {
  promise: Promise<void>;
  /** The flight ends with a warm-up (not just a load). */
  warms: boolean;
}

/** A mode's state as `status` reports it (unrounded), plus the registry's own bookkeeping. */
interface Entry extends Pick<ModeStatus, 'state' | 'loaded' | 'warm' | 'warmups' | 'loadMs' | 'warmupMs' | 'error'> {
  def: ModeDef;
  /** Its inference times: last, steady, degradation baseline, watchdog bound. */
  timing: ModeTiming;
  flight?: Flight;
  /** How the load of the current flight went, for the caller that started it. */
  flightLoad?: LoadOutcome;
  /** Requests running on the mode's session right now; unloading waits for them. */
  active: number;
  drained: (() => void)[];
}

export type WarmupSource = 'dummy' | 'request';

/** A request that warms its cold mode with its own inference: it reports how that went. */
export interface RequestWarmup {
  /** The request's inference ran: the mode is warm now (its first-run cost is paid). */
  done(inferenceMs: number): void;
  /** The request failed: the mode stays loaded but not warm. */
  failed(): void;
}

export interface RegistryHooks {
  onState?(status: ModeStatus): void;
  onLoad?(mode: string, ms: number, info: LoadInfo): void;
  /** A warm-up ran: dummy inferences ('dummy') or a request's own first inference ('request'). */
  onWarmup?(mode: string, ms: number, source: WarmupSource): void;
  onWarmupSkipped?(mode: string): void;
  /** The mode's steady inference time changed (median of its last warm requests). */
  onSteady?(mode: string, ms: number): void;
  /** The mode was unloaded (its sessions let go): prompt modes' embeddings go too. */
  onUnloaded?(mode: string): void;
  /** Runs before a mode's model is acquired (e.g. checking a user definition against the file); a throw fails the load. */
  beforeLoad?(def: ModeDef): Promise<void>;
}

export class Registry {
  private readonly entries = new Map<string, Entry>();
  readonly cache: ModelCache;

  constructor(
    modes: ModeDef[],
    private readonly engine: Engine,
    private readonly queue: JobQueue,
    private readonly hooks: RegistryHooks = {},
    private readonly defaultIterations?: number,
  ) {
    for (const def of modes) this.entries.set(def.id, newEntry(def));
    this.cache = new ModelCache(engine, { onLoaded: (mode, _m, info) => hooks.onLoad?.(mode, info.loadMs, info) });
  }

  modes(): ModeDef[] {
    return [...this.entries.values()].map((e) => e.def);
  }

  has(mode: string): boolean {
    return this.entries.has(mode);
  }

  def(mode: string): ModeDef {
    return this.entry(mode).def;
  }

  isWarm(mode: string): boolean {
    return this.entry(mode).warm;
  }

  status(mode: string): ModeStatus {
    const e = this.entry(mode);
    const s: ModeStatus = { mode, state: e.state, loaded: e.loaded, warm: e.warm, warmups: e.warmups };
    if (e.loadMs !== undefined) s.loadMs = round(e.loadMs);
    if (e.warmupMs !== undefined) s.warmupMs = round(e.warmupMs);
    if (e.timing.lastMs !== undefined) s.lastInferenceMs = round(e.timing.lastMs);
    if (e.timing.steadyMs !== undefined) s.steadyMs = round(e.timing.steadyMs);
    if (e.error !== undefined) s.error = e.error;
    return s;
  }

  allStatus(): ModeStatus[] {
    return [...this.entries.keys()].map((m) => this.status(m));
  }

  /**
   * `steady`: the request ran on a mode already warm (not its first run), so it counts for
   * steadyMs and the degradation check. True when the mode has got slow (re-warm it).
   */
  recordInference(mode: string, ms: number, steady = false): boolean {
    const e = this.entry(mode);
    const degraded = e.timing.record(ms, steady);
    if (steady) this.hooks.onSteady?.(mode, e.timing.steadyMs!);
    this.emit(e);
    return degraded;
  }

  /** The mode's inference times (the watchdog's bound, the degradation baseline). */
  timing(mode: string): ModeTiming {
    return this.entry(mode).timing;
  }

  /** A steady time remembered from an earlier process, until this one measures its own. */
  rememberSteady(mode: string, ms: number): void {
    const e = this.entries.get(mode);
    e?.timing.remember(ms);
  }

  /** Loads the mode if needed and warms it once (docs/protocol.md "Warm-up semantics"). */
  async ensureReady(mode: string, warmup = true, iterations?: number): Promise<EnsureReadyResult> {
    const started = performance.now();
    const e = this.entry(mode);
    const result = (load: LoadOutcome, w: EnsureReadyResult['warmup'], loadMs = 0, warmupMs = 0): EnsureReadyResult => ({
      mode,
      state: e.state,
      load,
      warmup: w,
      loadMs: round(loadMs),
      warmupMs: round(warmupMs),
      elapsedMs: round(performance.now() - started),
    });

    if (e.warm) {
      this.hooks.onWarmupSkipped?.(mode);
      return result('cached', 'skipped');
    }
    if (e.flight) {
      const f = e.flight;
      await f.promise;
      // (A request-as-warm-up flight whose request failed warms nothing: warm it here.)
      if ((f.warms && e.warm) || !warmup) return result('joined', warmup ? 'joined' : 'disabled');
      // The flight we joined only loaded; go on to warm (or join whoever already is).
      const next = await this.ensureReady(mode, true, iterations);
      return { ...next, load: 'joined', elapsedMs: round(performance.now() - started) };
    }
    if (e.loaded && !warmup) return result('cached', 'disabled');

    const flight: Flight = { warms: warmup, promise: this.fly(e, warmup, iterations) };
    e.flight = flight;
    try {
      await flight.promise;
    } finally {
      if (e.flight === flight) e.flight = undefined;
    }
    const load = e.flightLoad ?? 'cached';
    return result(load, warmup ? 'ran' : 'disabled', load === 'cached' ? 0 : e.loadMs, warmup ? e.warmupMs : 0);
  }

  /** `force` always runs a warm-up; otherwise only when the mode is not warm. */
  async warmup(mode: string, force = false, iterations?: number): Promise<WarmupResult> {
    const e = this.entry(mode);
    const iters = this.iterationsFor(e, iterations);
    if (e.flight) await e.flight.promise.catch(() => undefined);
    if (!e.warm) {
      const r = await this.ensureReady(mode, true, iters);
      const ran = r.warmup === 'ran';
      return { mode, ran, iterations: ran ? iters : 0, durationMs: ran ? r.warmupMs : 0 };
    }
    if (!force) {
      this.hooks.onWarmupSkipped?.(mode);
      return { mode, ran: false, iterations: 0, durationMs: 0 };
    }
    const flight: Flight = { warms: true, promise: this.runWarmup(e, iters) };
    e.flight = flight;
    try {
      await flight.promise;
    } finally {
      if (e.flight === flight) e.flight = undefined;
    }
    return { mode, ran: true, iterations: iters, durationMs: round(e.warmupMs ?? 0) };
  }

  /**
   * Readies a mode for a segment request that found it not warm. When `engineFree()` says
   * nothing else needs the engine, the mode is only loaded and the request's own inference
   * is its warm-up (no dummy inference in front of it): the returned ticket reports how the
   * request went. Otherwise it is made ready as by ensureReady (load + dummy warm-up) and
   * the result is undefined. Single flight holds: callers that find a load, warm-up or
   * request-as-warm-up under way join it, then run their own request on the warm mode.
   */
  async prepareForRequest(mode: string, engineFree: () => boolean): Promise<RequestWarmup | undefined> {
    const e = this.entry(mode);
    while (e.flight && !e.warm) await e.flight.promise;
    if (e.warm) return undefined;
    if (!engineFree()) {
      await this.ensureReady(mode, true);
      return undefined;
    }
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    const loading = this.loadIfNeeded(e).then(() => this.setState(e, 'warming'));
    const flight: Flight = { warms: true, promise: loading.then(() => settled) };
    flight.promise.catch(() => undefined); // the caller below sees a failed load; joiners too
    e.flight = flight;
    const end = () => {
      if (e.flight === flight) e.flight = undefined;
      settle();
    };
    try {
      await loading;
    } catch (err) {
      end();
      throw err;
    }
    return {
      done: (ms) => {
        e.warmups++;
        e.warmupMs = ms;
        e.warm = true;
        e.error = undefined;
        e.timing.warmedUp();
        this.hooks.onWarmup?.(mode, ms, 'request');
        this.setState(e, 'warm');
        end();
      },
      failed: () => {
        if (e.state === 'warming') this.setState(e, 'cold');
        end();
      },
    };
  }

  /** Clears warm state and frees sessions no loaded mode still uses. Returns the modes unloaded. */
  async unload(mode?: string): Promise<string[]> {
    const targets = mode === undefined ? [...this.entries.values()] : [this.entry(mode)];
    const unloaded: string[] = [];
    for (const e of targets) {
      if (e.flight) await e.flight.promise.catch(() => undefined);
      while (e.active > 0) await new Promise<void>((r) => e.drained.push(r));
      if (!e.loaded && !e.warm && e.state !== 'failed') continue;
      e.loaded = false;
      e.warm = false;
      e.state = 'cold';
      e.error = undefined;
      await this.cache.release(e.def.model.key, e.def.id);
      if (e.def.promptSpec) await this.cache.release(e.def.promptSpec.encoder.key, e.def.id);
      unloaded.push(e.def.id);
      this.hooks.onUnloaded?.(e.def.id);
      this.emit(e);
    }
    return unloaded;
  }

  /**
   * The engine lost its sessions (the worker thread died and a new one starts on the next
   * call): every loaded mode is cold again, and says why, rather than claiming a warmth that
   * went with the old worker.
   */
  engineLost(reason: string): void {
    this.cache.forgetAll();
    for (const e of this.entries.values()) {
      if (!e.loaded && !e.warm) continue;
      e.loaded = false;
      e.warm = false;
      e.error = `the inference worker stopped (${reason}); the next request loads the model again`;
      this.setState(e, 'cold');
    }
  }

  /** Marks a request running on the mode's session until the returned function is called. */
  hold(mode: string): () => void {
    const e = this.entry(mode);
    e.active++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--e.active === 0) for (const r of e.drained.splice(0)) r();
    };
  }

  /** Loaded model files, the modes holding each, and whether any of them is working. */
  loadedModels(): { key: string; file: string; modes: string[]; busy: boolean }[] {
    const byKey = new Map<string, { key: string; file: string; modes: string[]; busy: boolean }>();
    for (const e of this.entries.values()) {
      if (!e.loaded) continue;
      for (const ref of e.def.promptSpec ? [e.def.model, e.def.promptSpec.encoder] : [e.def.model]) {
        let m = byKey.get(ref.key);
        if (!m) byKey.set(ref.key, (m = { key: ref.key, file: ref.file, modes: [], busy: false }));
        m.modes.push(e.def.id);
        if (e.flight || e.active > 0) m.busy = true;
      }
    }
    return [...byKey.values()];
  }

  /**
   * Adds a mode, or gives an existing one a new definition: a loaded or warm mode is unloaded
   * first (its session freed once no other mode uses it) and comes back cold. An identical
   * definition leaves the mode as it is (a warm mode stays warm).
   */
  async define(def: ModeDef): Promise<'added' | 'replaced' | 'unchanged'> {
    const old = this.entries.get(def.id);
    if (old && JSON.stringify(old.def) === JSON.stringify(def)) return 'unchanged';
    // Loop: a request may start loading the old definition while we wait for its unload.
    while (old && this.entries.get(def.id) === old && (old.flight || old.loaded || old.warm || old.state === 'failed')) await this.unload(def.id);
    const e = newEntry(def);
    this.entries.set(def.id, e);
    this.emit(e);
    return old ? 'replaced' : 'added';
  }

  /** Unloads and forgets a mode. Returns false when there was no such mode. */
  async remove(mode: string): Promise<boolean> {
    const e = this.entries.get(mode);
    if (!e) return false;
    while (this.entries.get(mode) === e && (e.flight || e.loaded || e.warm || e.state === 'failed')) await this.unload(mode);
    if (this.entries.get(mode) === e) this.entries.delete(mode);
    return true;
  }

  private async fly(e: Entry, warmup: boolean, iterations?: number): Promise<void> {
    await this.loadIfNeeded(e);
    if (!warmup) {
      this.setState(e, 'cold');
      return;
    }
    await this.runWarmup(e, this.iterationsFor(e, iterations));
  }

  private async loadIfNeeded(e: Entry): Promise<void> {
    e.flightLoad = undefined;
    try {
      if (!e.loaded) {
        this.setState(e, 'loading');
        await this.hooks.beforeLoad?.(e.def);
        const { outcome, info } = await this.acquireModels(e.def);
        e.loaded = true;
        e.flightLoad = outcome;
        e.loadMs = info.loadMs;
        e.error = undefined;
      } else {
        e.flightLoad = 'cached';
      }
    } catch (err) {
      this.fail(e, err, true);
    }
  }

  /** The mode's session; a prompt mode's encoder and decoder both (the load's time is theirs together). */
  private async acquireModels(def: ModeDef): Promise<{ outcome: LoadOutcome; info: LoadInfo }> {
    const decoder = await this.cache.acquire(def.model, def.id);
    if (!def.promptSpec) return decoder;
    let encoder;
    try {
      encoder = await this.cache.acquire(def.promptSpec.encoder, def.id);
    } catch (err) {
      await this.cache.release(def.model.key, def.id);
      throw err;
    }
    const outcome: LoadOutcome = decoder.outcome === 'ran' || encoder.outcome === 'ran' ? 'ran' : decoder.outcome === 'joined' || encoder.outcome === 'joined' ? 'joined' : 'cached';
    return { outcome, info: { ...encoder.info, loadMs: decoder.info.loadMs + encoder.info.loadMs } };
  }

  private async runWarmup(e: Entry, iterations: number): Promise<void> {
    e.warm = false;
    this.setState(e, 'warming');
    try {
      const { value } = await this.queue.run(() => this.engine.warmup(e.def, iterations));
      e.warmups++;
      e.warmupMs = value.durationMs;
      e.warm = true;
      e.error = undefined;
      e.timing.warmedUp();
      this.hooks.onWarmup?.(e.def.id, value.durationMs, 'dummy');
      this.setState(e, 'warm');
    } catch (err) {
      this.fail(e, err, false);
    }
  }

  private fail(e: Entry, err: unknown, loading: boolean): never {
    const message = err instanceof Error ? err.message : String(err);
    e.warm = false;
    e.error = message;
    if (loading) e.loaded = false;
    // A worker that died under this load or warm-up says nothing about the model: the mode is
    // cold (with the reason), not failed, and the next request simply tries again.
    if (err instanceof EngineCrashedError) {
      e.loaded = false;
      this.setState(e, 'cold');
      throw new SegLensError(ErrorCodes.InternalError, `the inference worker stopped while preparing ${e.def.id} (${message}); try again`);
    }
    this.setState(e, 'failed');
    if (err instanceof SegLensError) throw err;
    throw new SegLensError(ErrorCodes.ModelLoadFailed, `mode ${e.def.id}: ${message}`);
  }

  /** A request's own count, else the user mode's own warmupIterations, else --warmup-iterations, else the mode's default. */
  private iterationsFor(e: Entry, requested?: number): number {
    return requested ?? ownIterations(e.def) ?? this.defaultIterations ?? e.def.warmupIterations;
  }

  private setState(e: Entry, state: ModeState): void {
    e.state = state;
    this.emit(e);
  }

  private emit(e: Entry): void {
    this.hooks.onState?.(this.status(e.def.id));
  }

  private entry(mode: string): Entry {
    const e = this.entries.get(mode);
    if (!e) throw invalidParams(`unknown mode '${mode}'; known modes: ${[...this.entries.keys()].join(', ')}`);
    return e;
  }
}

/** The warmupIterations a user definition sets itself (built-in modes and definitions without it follow the daemon's flag). */
function ownIterations(def: ModeDef): number | undefined {
  return isUserModeDef(def) && def.definition.warmupIterations !== undefined ? def.warmupIterations : undefined;
}

const newEntry = (def: ModeDef): Entry => ({ def, state: 'cold', loaded: false, warm: false, warmups: 0, timing: new ModeTiming(), active: 0, drained: [] });
