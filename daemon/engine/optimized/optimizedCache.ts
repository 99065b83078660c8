// On-disk cache of ONNX Runtime's optimised graphs (issue #5, part 1). Creating a session
// optimises the graph every time (ISNet medium: ~480 ms of session creation); ONNX Runtime can
// save the optimised graph (`optimizedModelFilePath`) and a later session can load that file
// with graph optimisation disabled, as ORT's documentation recommends for pre-optimised models
// ("offline mode": use the same execution provider, options and hardware; then disable all
// optimisations when loading the optimised model).
//
// The saved graph is tied to the model, the ORT version, the execution provider, the CPU's
// features (layout transforms such as NCHWc pick kernels by instruction set) and the session
// options, so the file name is a hash of all of those:
//
//   <cacheDir>/optimized-models/<model key>-<hash>.onnx   the optimised graph
//   <cacheDir>/optimized-models/<model key>-<hash>.json   sidecar: what it is, size, check hash
//   <cacheDir>/optimized-models/model-hashes.json         sha256 of model files by path+size+mtime
//
// Writing: the session is created from the original with optimizedModelFilePath pointing at a
// unique temp file in the same folder, then the temp file is renamed atomically to its final
// name and the sidecar is written (temp + rename as well). Reading: size, then a sampled
// sha256 (first and last MiB plus evenly spaced 256 KiB blocks: a full sha256 of the ~170 MB
// ISNet graph costs ~290 ms here, more than the ~180 ms the cache saves), then ORT's own
// parsing. Anything wrong: the entry is deleted and rebuilt from the original. An unusable
// cache folder turns the cache off (with one warning) and sessions load as before.
//
// Collecting: each entry is ~170 MB for ISNet and a new one appears whenever the model, ORT,
// the provider or the options change, so old ones would pile up. A hit touches the sidecar
// (its mtime is the entry's last use); after a process's first load and after every write,
// entries unused for `maxAgeDays` go, then the least recently used until the folder fits
// `maxBytes`. Entries this process loaded are never collected by it. Another daemon sharing
// the folder (e.g. the previous extension version) loses nothing it has loaded: ORT reads
// the file at session creation; at worst its next load rebuilds the entry.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type * as ortTypes from 'onnxruntime-node';
import { removeQuietly, tempPathFor, writeFileAtomic } from '../../util/fileOps';
import { Collected, CollectPolicy, DEFAULT_COLLECT_POLICY, HASH_MEMO, ModelHashMemo, collectEntries, sweepStaleTemps } from './optimizedFolder';
import { OPTIMIZED_CACHE_VERSION, OptimizedSidecar, cacheKey, checkEntry, cpuFeatures, firstLine, keyedOptions, notOurs, ortVersion, sampledSha256 } from './optimizedKey';
import type { Logger } from '../../api/constants';

export type CacheOutcome = 'hit' | 'miss' | 'rebuilt' | 'off';

export const OPTIMIZED_DIR = 'optimized-models';


// ---------------------------------------------------------------- the cache

type SessionOptions = ortTypes.InferenceSession.SessionOptions;
type ModelFile = { key: string; file: string; sha256?: string };

/** One entry's files and the sidecar describing it. */
interface CacheEntry {
  base: string;
  onnx: string;
  side: string;
  sidecar: OptimizedSidecar;
}

export interface CachedCreate {
  session: ortTypes.InferenceSession;
  outcome: CacheOutcome;
  /** Time spent inside InferenceSession.create (ms), for the measurements. */
  createMs: number;
  /** Why the entry was rebuilt, or why the cache is off. */
  reason?: string;
  /** What collecting old entries removed after this load (absent when it did not run). */
  collected?: Collected;
  /**
   * With `defer`: the work left for the caller to run once the first request has been
   * answered (writing the optimised graph, collecting old entries); it never throws.
   */
  later?: () => Promise<Collected | undefined>;
}

export class OptimizedModelCache {
  readonly dir: string | undefined;
  private usable: boolean | undefined;
  private warned = false;
  private readonly hashes: ModelHashMemo | undefined;
  /** Entry names (without extension) this process has loaded or written: never collected by it. */
  private readonly inUse = new Set<string>();
  private collectedOnce = false;

  constructor(
    private readonly ort: typeof ortTypes,
    cacheDir: string | undefined,
    private readonly log: Logger,
    private readonly policy: CollectPolicy = DEFAULT_COLLECT_POLICY,
    /** How a deferred save creates its session (the engine worker: in a thread of its own, graphWriter.ts). */
    private readonly saveGraph: (file: string, opts: SessionOptions) => Promise<void> = async (file, opts) => {
      await (await this.ort.InferenceSession.create(file, opts)).release();
    },
  ) {
    this.dir = cacheDir ? path.join(path.resolve(cacheDir), OPTIMIZED_DIR) : undefined;
    this.hashes = this.dir ? new ModelHashMemo(path.join(this.dir, HASH_MEMO)) : undefined;
  }

  /**
   * A session for `file` on `provider` with `opts`, through the cache. `modelSha256` is the
   * checksum when the caller knows it (ModelRef.sha256), else found by `modelChecksum`.
   * `defer` keeps the graph's write and the collecting off this call (issue #14): a miss
   * creates the session from the original without saving, and `later` saves the graph (with
   * a short-lived second session) and collects.
   */
  async create(model: ModelFile, provider: string, opts: SessionOptions, defer = false): Promise<CachedCreate> {
    const plain = (outcome: CacheOutcome, reason?: string) => this.createPlain(model.file, opts, outcome, reason);
    if (!this.dir) return plain('off', 'no cache folder');
    // A WebGPU graph holds the provider's layout rewrites for one adapter: not saved (issue 27).
    if (provider === 'webgpu') return plain('off', 'not kept for the WebGPU provider');
    const ready = await this.ensureDir();
    if (!ready.ok) return plain('off', ready.reason);
    let entry: CacheEntry;
    try {
      entry = await this.entryFor(model, provider, opts);
    } catch (e) {
      return plain('off', `cannot hash ${model.file}: ${(e as Error).message}`);
    }
    const found = await checkEntry(entry.onnx, entry.side, entry.sidecar.key);
    let rebuiltBecause = found.state === 'bad' ? found.reason : undefined;
    if (found.state === 'ok') {
      const hit = await this.loadHit(entry, opts, defer);
      if (hit.ok) return hit.result;
      rebuiltBecause = hit.reason;
    }
    if (rebuiltBecause) {
      this.log('warn', `optimised-graph cache: discarding ${entry.onnx}: ${rebuiltBecause}; rebuilding it from ${model.file}`);
      await removeQuietly(entry.onnx);
      await removeQuietly(entry.side);
    }
    return this.build(entry, model, opts, rebuiltBecause, defer);
  }

  private async createPlain(file: string, opts: SessionOptions, outcome: CacheOutcome, reason?: string): Promise<CachedCreate> {
    const t = performance.now();
    const session = await this.ort.InferenceSession.create(file, opts);
    return { session, outcome, createMs: performance.now() - t, reason };
  }

  /** Where the entry for this model, provider and options lives, and the sidecar it would have (size and check to fill in). */
  private async entryFor(model: ModelFile, provider: string, opts: SessionOptions): Promise<CacheEntry> {
    const modelSha256 = model.sha256?.toLowerCase() ?? (await this.modelChecksum(model.file));
    const options = keyedOptions(opts);
    const cpu = cpuFeatures();
    const ortV = ortVersion(this.ort);
    const key = cacheKey({ modelSha256, ortVersion: ortV, provider, cpu, options });
    const base = `${model.key.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60)}-${key}`;
    const sidecar: OptimizedSidecar = {
      version: OPTIMIZED_CACHE_VERSION,
      key,
      modelKey: model.key,
      modelFile: model.file,
      modelSha256,
      ortVersion: ortV,
      provider,
      cpu,
      options,
      size: 0,
      check: '',
      createdAt: '',
    };
    return { base, onnx: path.join(this.dir!, `${base}.onnx`), side: path.join(this.dir!, `${base}.json`), sidecar };
  }

  /** Loads a checked entry, pre-optimised, with ORT's optimisations disabled (as ORT recommends). */
  private async loadHit(entry: CacheEntry, opts: SessionOptions, defer: boolean): Promise<{ ok: true; result: CachedCreate } | { ok: false; reason: string }> {
    const t = performance.now();
    try {
      const session = await this.ort.InferenceSession.create(entry.onnx, { ...opts, graphOptimizationLevel: 'disabled' });
      const createMs = performance.now() - t;
      this.inUse.add(entry.base);
      // The sidecar's mtime records the entry's last use, for collecting.
      const now = new Date();
      await fsp.utimes(entry.side, now, now).catch(() => undefined);
      if (this.collectedOnce) return { ok: true, result: { session, outcome: 'hit', createMs } };
      if (defer) return { ok: true, result: { session, outcome: 'hit', createMs, later: () => this.collect().catch(() => undefined) } };
      return { ok: true, result: { session, outcome: 'hit', createMs, collected: await this.collect() } };
    } catch (e) {
      return { ok: false, reason: `ONNX Runtime could not load it (${firstLine(e)})` };
    }
  }

  /** Miss (or rebuild): optimises from the original, saving the graph to a temp file renamed into place. */
  private async build(entry: CacheEntry, model: ModelFile, opts: SessionOptions, rebuiltBecause?: string, defer = false): Promise<CachedCreate> {
    const tmp = tempPathFor(path.join(this.dir!, entry.base));
    try {
      await fsp.writeFile(tmp, ''); // fails early on a read-only folder
    } catch (e) {
      this.warnOnce(`optimised-graph cache: cannot write in ${this.dir} (${firstLine(e)}); loading without the cache`);
      return this.createPlain(model.file, opts, 'off', firstLine(e));
    }
    if (defer) {
      await removeQuietly(tmp);
      const r = await this.createPlain(model.file, opts, rebuiltBecause ? 'rebuilt' : 'miss', rebuiltBecause);
      return { ...r, later: () => this.writeLater(entry, model, opts) };
    }
    const t = performance.now();
    let session: ortTypes.InferenceSession;
    try {
      session = await this.ort.InferenceSession.create(model.file, { ...opts, optimizedModelFilePath: tmp });
    } catch (e) {
      await removeQuietly(tmp);
      // Maybe saving failed, maybe the model is bad: the plain attempt tells (and throws if bad).
      const r = await this.createPlain(model.file, opts, 'off', `saving the optimised graph failed: ${firstLine(e)}`);
      this.log('warn', `optimised-graph cache: ${r.reason}; loaded without the cache`);
      return r;
    }
    const createMs = performance.now() - t;
    const outcome: CacheOutcome = rebuiltBecause ? 'rebuilt' : 'miss';
    try {
      await this.store(entry, tmp);
      this.log('debug', `optimised-graph cache: ${outcome === 'miss' ? 'wrote' : 'rebuilt'} ${entry.onnx} (${entry.sidecar.size} bytes)`);
      const collected = await this.collect();
      return { session, outcome, createMs, reason: rebuiltBecause, collected };
    } catch (e) {
      await removeQuietly(tmp);
      this.warnOnce(`optimised-graph cache: could not store ${entry.onnx} (${firstLine(e)}); the session is served without it`);
      return { session, outcome: 'off', createMs, reason: firstLine(e) };
    }
  }

  /** The deferred half of a miss: a second session saves the optimised graph, then old entries are collected. */
  private async writeLater(entry: CacheEntry, model: ModelFile, opts: SessionOptions): Promise<Collected | undefined> {
    const tmp = tempPathFor(path.join(this.dir!, entry.base));
    try {
      // Only created to save the graph: it never runs, so no arena is set up for it.
      await this.saveGraph(model.file, { ...opts, enableCpuMemArena: false, optimizedModelFilePath: tmp });
      await this.store(entry, tmp);
      this.log('debug', `optimised-graph cache: wrote ${entry.onnx} (${entry.sidecar.size} bytes) after the first request`);
      return await this.collect();
    } catch (e) {
      await removeQuietly(tmp);
      this.warnOnce(`optimised-graph cache: could not store ${entry.onnx} (${firstLine(e)}); the session is served without it`);
      return undefined;
    }
  }

  /** Renames the graph ORT wrote into place and writes its sidecar (size and sampled check). */
  private async store(entry: CacheEntry, tmp: string): Promise<void> {
    const st = await fsp.stat(tmp);
    if (st.size === 0) throw new Error('ONNX Runtime wrote an empty file');
    const check = await sampledSha256(tmp, st.size);
    await fsp.rename(tmp, entry.onnx);
    const sidecar: OptimizedSidecar = { ...entry.sidecar, size: st.size, check, createdAt: new Date().toISOString() };
    entry.sidecar = sidecar;
    await writeFileAtomic(entry.side, JSON.stringify(sidecar, null, 2) + '\n');
    this.inUse.add(entry.base);
  }

  /** sha256 of a model file: the ISNet sidecar (modelFiles.ts), else hashed once and remembered by path+size+mtime. */
  modelChecksum(file: string): Promise<string> {
    return this.hashes!.checksum(file);
  }

  /**
   * Removes entries unused for policy.maxAgeDays, then the least recently used until the folder
   * fits policy.maxBytes, never one this process loaded; also orphaned files, and remembered
   * checksums of model files that are gone (optimizedFolder.ts).
   */
  async collect(now = Date.now()): Promise<Collected> {
    this.collectedOnce = true;
    if (!this.dir || this.usable !== true) return { entries: 0, bytes: 0 };
    const out = await collectEntries(this.dir, this.policy, this.inUse, this.log, now);
    await this.hashes!.forgetMissing();
    return out;
  }

  private async ensureDir(): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (this.usable === true) return { ok: true };
    try {
      await fsp.mkdir(this.dir!, { recursive: true, mode: 0o700 });
      const st = await fsp.lstat(this.dir!);
      const problem = notOurs(st, true);
      if (problem) throw new Error(`the folder ${problem}`);
      if ((st.mode & 0o077) !== 0) await fsp.chmod(this.dir!, 0o700);
      this.usable = true;
      await sweepStaleTemps(this.dir!);
      return { ok: true };
    } catch (e) {
      const reason = firstLine(e);
      this.warnOnce(`optimised-graph cache: cannot use ${this.dir} (${reason}); loading models without the cache`);
      return { ok: false, reason };
    }
  }

  private warnOnce(message: string): void {
    this.log(this.warned ? 'debug' : 'warn', message);
    this.warned = true;
  }
}
