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
import * as crypto from 'node:crypto';
import { createReadStream, promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as ortTypes from 'onnxruntime-node';
import type { LogLevel } from '../api/constants';

export type CacheOutcome = 'hit' | 'miss' | 'rebuilt' | 'off';
type Log = (level: LogLevel, message: string) => void;

/** Bumped when the layout of the cache or the meaning of its key changes. */
export const OPTIMIZED_CACHE_VERSION = 1;
export const OPTIMIZED_DIR = 'optimized-models';
const HEAD_TAIL = 1 << 20;
const SAMPLE_BLOCK = 256 << 10;
const SAMPLES = 17;
const HASH_MEMO = 'model-hashes.json';
/** An .onnx without its sidecar this young may still be being written by another daemon. */
const ORPHAN_GRACE_MS = 3600_000;

export interface CollectPolicy {
  /** Keep the folder under this many bytes (0: no limit). */
  maxBytes: number;
  /** Remove entries not used for this many days (0: no limit). */
  maxAgeDays: number;
}
export const DEFAULT_COLLECT_POLICY: CollectPolicy = { maxBytes: 1024 * 1024 * 1024, maxAgeDays: 30 };

export interface Collected {
  /** Entries removed (an entry is an optimised graph with its sidecar). */
  entries: number;
  bytes: number;
}

export interface OptimizedSidecar {
  version: number;
  key: string;
  modelKey: string;
  modelFile: string;
  modelSha256: string;
  ortVersion: string;
  provider: string;
  cpu: string;
  options: Record<string, unknown>;
  /** Size of the optimised file in bytes. */
  size: number;
  /** sampledSha256 of the optimised file. */
  check: string;
  createdAt: string;
}

// ---------------------------------------------------------------- key parts

let cpuCache: string | undefined;
/** A short hash of what the CPU can do: /proc/cpuinfo's flags on Linux, the model name elsewhere. */
export function cpuFeatures(): string {
  if (cpuCache) return cpuCache;
  let desc = `${process.platform}/${process.arch}/${os.cpus()[0]?.model ?? 'unknown'}`;
  if (process.platform === 'linux') {
    try {
      const info = readFileSync('/proc/cpuinfo', 'utf8');
      const flags = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(info)?.[1];
      if (flags) desc += `/${flags.trim().split(/\s+/).sort().join(' ')}`;
    } catch {
      // keep the model name only
    }
  }
  cpuCache = crypto.createHash('sha256').update(desc).digest('hex').slice(0, 16);
  return cpuCache;
}

export function ortVersion(ort: typeof ortTypes): string {
  const v = (ort.env as { versions?: { node?: string; common?: string } }).versions;
  return v?.node ?? v?.common ?? 'unknown';
}

/** The options that shape the optimised graph (logging and provider list excluded: the provider is keyed on its own). */
export function keyedOptions(opts: ortTypes.InferenceSession.SessionOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(opts).sort()) {
    if (k === 'logSeverityLevel' || k === 'logVerbosityLevel' || k === 'executionProviders' || k === 'optimizedModelFilePath' || k === 'logId') continue;
    out[k] = (opts as Record<string, unknown>)[k];
  }
  return out;
}

export function cacheKey(parts: { modelSha256: string; ortVersion: string; provider: string; cpu: string; options: Record<string, unknown> }): string {
  const text = JSON.stringify({ v: OPTIMIZED_CACHE_VERSION, ...parts });
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 24);
}

// ---------------------------------------------------------------- hashing

export async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return h.digest('hex');
}

/**
 * sha256 over the file's size, its first and last MiB and 17 evenly spaced 256 KiB blocks
 * between them (about 6 MiB read whatever the size, the middle block included): catches truncation, a different or
 * rewritten file, and damage at the ends or in a sampled block; damage elsewhere inside weight
 * data is not seen (structure damage is, by ORT's parser).
 */
export async function sampledSha256(file: string, size?: number): Promise<string> {
  const fh = await fsp.open(file, 'r');
  try {
    const n = size ?? (await fh.stat()).size;
    const h = crypto.createHash('sha256').update(`size:${n};`);
    const ranges: [number, number][] = [];
    if (n <= 2 * HEAD_TAIL + SAMPLES * SAMPLE_BLOCK) ranges.push([0, n]);
    else {
      ranges.push([0, HEAD_TAIL]);
      // evenly spaced from just after the head to just before the tail, the middle included
      const span = n - 2 * HEAD_TAIL - SAMPLE_BLOCK;
      for (let i = 0; i < SAMPLES; i++) ranges.push([HEAD_TAIL + Math.floor((span * i) / (SAMPLES - 1)), SAMPLE_BLOCK]);
      ranges.push([n - HEAD_TAIL, HEAD_TAIL]);
    }
    const buf = Buffer.allocUnsafe(Math.min(n, HEAD_TAIL) || 1);
    for (const [start, len] of ranges) {
      let done = 0;
      while (done < len) {
        const want = Math.min(buf.length, len - done);
        const { bytesRead } = await fh.read(buf, 0, want, start + done);
        if (bytesRead === 0) throw new Error(`short read at ${start + done} of ${n}`);
        h.update(buf.subarray(0, bytesRead));
        done += bytesRead;
      }
    }
    return h.digest('hex');
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------- the cache

interface HashMemo {
  [file: string]: { size: number; mtimeMs: number; sha256: string };
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
}

export class OptimizedModelCache {
  readonly dir: string | undefined;
  private usable: boolean | undefined;
  private warned = false;
  private memo: HashMemo | undefined;
  /** Entry names (without extension) this process has loaded or written: never collected by it. */
  private readonly inUse = new Set<string>();
  private collectedOnce = false;

  constructor(
    private readonly ort: typeof ortTypes,
    cacheDir: string | undefined,
    private readonly log: Log,
    private readonly policy: CollectPolicy = DEFAULT_COLLECT_POLICY,
  ) {
    this.dir = cacheDir ? path.join(path.resolve(cacheDir), OPTIMIZED_DIR) : undefined;
  }

  /**
   * A session for `file` on `provider` with `opts`, through the cache. `modelSha256` is the
   * checksum when the caller knows it (ModelRef.sha256), else found by `modelChecksum`.
   */
  async create(
    model: { key: string; file: string; sha256?: string },
    provider: string,
    opts: ortTypes.InferenceSession.SessionOptions,
  ): Promise<CachedCreate> {
    const plain = async (outcome: CacheOutcome, reason?: string): Promise<CachedCreate> => {
      const t = performance.now();
      const session = await this.ort.InferenceSession.create(model.file, opts);
      return { session, outcome, createMs: performance.now() - t, reason };
    };
    if (!this.dir) return plain('off', 'no cache folder');
    const ready = await this.ensureDir();
    if (!ready.ok) return plain('off', ready.reason);

    let modelSha: string;
    try {
      modelSha = model.sha256?.toLowerCase() ?? (await this.modelChecksum(model.file));
    } catch (e) {
      return plain('off', `cannot hash ${model.file}: ${(e as Error).message}`);
    }
    const options = keyedOptions(opts);
    const cpu = cpuFeatures();
    const ortV = ortVersion(this.ort);
    const key = cacheKey({ modelSha256: modelSha, ortVersion: ortV, provider, cpu, options });
    const base = `${model.key.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60)}-${key}`;
    const onnx = path.join(this.dir, `${base}.onnx`);
    const side = path.join(this.dir, `${base}.json`);

    // hit?
    let rebuiltBecause: string | undefined;
    const found = await this.check(onnx, side, key);
    if (found.state === 'ok') {
      const t = performance.now();
      try {
        // ORT: load a pre-optimised graph with optimisations disabled.
        const session = await this.ort.InferenceSession.create(onnx, { ...opts, graphOptimizationLevel: 'disabled' });
        const createMs = performance.now() - t;
        this.inUse.add(base);
        // The sidecar's mtime records the entry's last use, for collecting.
        const now = new Date();
        await fsp.utimes(side, now, now).catch(() => undefined);
        const collected = this.collectedOnce ? undefined : await this.collect();
        return { session, outcome: 'hit', createMs, collected };
      } catch (e) {
        rebuiltBecause = `ONNX Runtime could not load it (${firstLine(e)})`;
      }
    } else if (found.state === 'bad') rebuiltBecause = found.reason;
    if (rebuiltBecause) {
      this.log('warn', `optimised-graph cache: discarding ${onnx}: ${rebuiltBecause}; rebuilding it from ${model.file}`);
      await rmQuiet(onnx);
      await rmQuiet(side);
    }

    // miss (or rebuild): optimise from the original, saving the graph to a temp file.
    const tmp = path.join(this.dir, `${base}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
    try {
      await fsp.writeFile(tmp, ''); // fails early on a read-only folder
    } catch (e) {
      this.warnOnce(`optimised-graph cache: cannot write in ${this.dir} (${firstLine(e)}); loading without the cache`);
      return plain('off', firstLine(e));
    }
    const t = performance.now();
    let session: ortTypes.InferenceSession;
    try {
      session = await this.ort.InferenceSession.create(model.file, { ...opts, optimizedModelFilePath: tmp });
    } catch (e) {
      await rmQuiet(tmp);
      // Maybe saving failed, maybe the model is bad: the plain attempt tells (and throws if bad).
      const r = await plain('off', `saving the optimised graph failed: ${firstLine(e)}`);
      this.log('warn', `optimised-graph cache: ${r.reason}; loaded without the cache`);
      return r;
    }
    const createMs = performance.now() - t;
    const outcome: CacheOutcome = rebuiltBecause ? 'rebuilt' : 'miss';
    try {
      const st = await fsp.stat(tmp);
      if (st.size === 0) throw new Error('ONNX Runtime wrote an empty file');
      const check = await sampledSha256(tmp, st.size);
      await fsp.rename(tmp, onnx);
      const sidecar: OptimizedSidecar = {
        version: OPTIMIZED_CACHE_VERSION,
        key,
        modelKey: model.key,
        modelFile: model.file,
        modelSha256: modelSha,
        ortVersion: ortV,
        provider,
        cpu,
        options,
        size: st.size,
        check,
        createdAt: new Date().toISOString(),
      };
      await writeAtomic(side, JSON.stringify(sidecar, null, 2) + '\n');
      this.inUse.add(base);
      this.log('debug', `optimised-graph cache: ${outcome === 'miss' ? 'wrote' : 'rebuilt'} ${onnx} (${st.size} bytes)`);
      const collected = await this.collect();
      return { session, outcome, createMs, reason: rebuiltBecause, collected };
    } catch (e) {
      await rmQuiet(tmp);
      this.warnOnce(`optimised-graph cache: could not store ${onnx} (${firstLine(e)}); the session is served without it`);
      return { session, outcome: 'off', createMs, reason: firstLine(e) };
    }
  }

  /** sha256 of a model file: the ISNet sidecar (modelFiles.ts), else hashed once and remembered by path+size+mtime. */
  async modelChecksum(file: string): Promise<string> {
    const st = await fsp.stat(file);
    // modelFiles.ts writes `<file>.json` with outputSha256/outputSize for the rewritten ISNet.
    try {
      const s = JSON.parse(await fsp.readFile(`${file}.json`, 'utf8')) as { outputSha256?: unknown; outputSize?: unknown };
      if (typeof s.outputSha256 === 'string' && /^[0-9a-f]{64}$/.test(s.outputSha256) && s.outputSize === st.size) return s.outputSha256;
    } catch {
      // no sidecar
    }
    const memoFile = path.join(this.dir!, HASH_MEMO);
    if (!this.memo) {
      try {
        this.memo = JSON.parse(await fsp.readFile(memoFile, 'utf8')) as HashMemo;
      } catch {
        this.memo = {};
      }
    }
    const m = this.memo[file];
    if (m && m.size === st.size && m.mtimeMs === st.mtimeMs && /^[0-9a-f]{64}$/.test(m.sha256)) return m.sha256;
    const sha = await sha256File(file);
    this.memo[file] = { size: st.size, mtimeMs: st.mtimeMs, sha256: sha };
    await writeAtomic(memoFile, JSON.stringify(this.memo, null, 2) + '\n').catch(() => undefined);
    return sha;
  }

  /**
   * Removes entries unused for policy.maxAgeDays, then the least recently used until the folder
   * fits policy.maxBytes, never one this process loaded; also orphaned files, and remembered
   * checksums of model files that are gone. Best effort: a file that cannot be removed stays.
   */
  async collect(now = Date.now()): Promise<Collected> {
    this.collectedOnce = true;
    const out: Collected = { entries: 0, bytes: 0 };
    if (!this.dir || this.usable !== true) return out;
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return out;
    }
    interface Entry { base: string; bytes: number; lastUsed: number; files: string[] }
    const entries = new Map<string, Entry>();
    for (const name of names) {
      const m = /^(.*)\.(onnx|json)$/.exec(name);
      if (!m || name === HASH_MEMO) continue;
      const st = await fsp.stat(path.join(this.dir, name)).catch(() => undefined);
      if (!st?.isFile()) continue;
      const e = entries.get(m[1]) ?? { base: m[1], bytes: 0, lastUsed: 0, files: [] };
      e.bytes += st.size;
      e.files.push(name);
      // The sidecar is touched on each hit; the graph's mtime is its creation.
      e.lastUsed = Math.max(e.lastUsed, st.mtimeMs);
      entries.set(m[1], e);
    }
    const remove = async (e: Entry, why: string) => {
      for (const f of e.files) await rmQuiet(path.join(this.dir!, f));
      entries.delete(e.base);
      out.entries++;
      out.bytes += e.bytes;
      this.log('info', `optimised-graph cache: removed ${e.base} (${(e.bytes / 1048576).toFixed(0)} MB): ${why}`);
    };
    for (const e of [...entries.values()]) {
      if (this.inUse.has(e.base)) continue;
      const complete = e.files.includes(`${e.base}.onnx`) && e.files.includes(`${e.base}.json`);
      // A graph whose sidecar never came (a daemon died between the two renames), or a sidecar left alone.
      if (!complete && now - e.lastUsed > ORPHAN_GRACE_MS) await remove(e, 'incomplete entry');
      else if (this.policy.maxAgeDays > 0 && now - e.lastUsed > this.policy.maxAgeDays * 86_400_000) {
        await remove(e, `not used for ${this.policy.maxAgeDays} days`);
      }
    }
    if (this.policy.maxBytes > 0) {
      let total = [...entries.values()].reduce((n, e) => n + e.bytes, 0);
      const oldestFirst = [...entries.values()].filter((e) => !this.inUse.has(e.base)).sort((a, b) => a.lastUsed - b.lastUsed);
      for (const e of oldestFirst) {
        if (total <= this.policy.maxBytes) break;
        total -= e.bytes;
        await remove(e, `the cache folder is over its ${(this.policy.maxBytes / 1048576).toFixed(0)} MB budget (least recently used first)`);
      }
      if (total > this.policy.maxBytes) {
        this.log('debug', `optimised-graph cache: ${(total / 1048576).toFixed(0)} MB in use by this daemon, over the budget; kept`);
      }
    }
    await this.forgetMissingModels();
    return out;
  }

  /** Drops remembered checksums of model files that no longer exist. */
  private async forgetMissingModels(): Promise<void> {
    const memoFile = path.join(this.dir!, HASH_MEMO);
    let memo: HashMemo;
    try {
      memo = this.memo ?? (JSON.parse(await fsp.readFile(memoFile, 'utf8')) as HashMemo);
    } catch {
      return;
    }
    let changed = false;
    for (const file of Object.keys(memo)) {
      if (!(await fsp.stat(file).catch(() => undefined))) {
        delete memo[file];
        changed = true;
      }
    }
    this.memo = memo;
    if (changed) await writeAtomic(memoFile, JSON.stringify(memo, null, 2) + '\n').catch(() => undefined);
  }

  private async check(onnx: string, side: string, key: string): Promise<{ state: 'none' } | { state: 'ok' } | { state: 'bad'; reason: string }> {
    let st;
    try {
      st = await fsp.stat(onnx);
    } catch {
      await rmQuiet(side);
      return { state: 'none' };
    }
    let sc: OptimizedSidecar;
    try {
      sc = JSON.parse(await fsp.readFile(side, 'utf8')) as OptimizedSidecar;
    } catch {
      return { state: 'bad', reason: 'its sidecar is missing or unreadable' };
    }
    if (sc.version !== OPTIMIZED_CACHE_VERSION || sc.key !== key) return { state: 'bad', reason: 'its sidecar describes another entry' };
    if (sc.size !== st.size) return { state: 'bad', reason: `size ${st.size} bytes, expected ${sc.size} (partial or damaged file)` };
    try {
      const got = await sampledSha256(onnx, st.size);
      if (got !== sc.check) return { state: 'bad', reason: 'its content check failed (damaged file)' };
    } catch (e) {
      return { state: 'bad', reason: `it could not be read (${firstLine(e)})` };
    }
    return { state: 'ok' };
  }

  private async ensureDir(): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (this.usable === true) return { ok: true };
    try {
      await fsp.mkdir(this.dir!, { recursive: true });
      this.usable = true;
      await this.sweepTemps();
      return { ok: true };
    } catch (e) {
      const reason = firstLine(e);
      this.warnOnce(`optimised-graph cache: cannot use ${this.dir} (${reason}); loading models without the cache`);
      return { ok: false, reason };
    }
  }

  /** Temp files left by a daemon that died mid-write (older than an hour). */
  private async sweepTemps(): Promise<void> {
    try {
      for (const f of await fsp.readdir(this.dir!)) {
        if (!f.endsWith('.tmp')) continue;
        const p = path.join(this.dir!, f);
        const st = await fsp.stat(p).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs > 3600_000) await rmQuiet(p);
      }
    } catch {
      // best effort
    }
  }

  private warnOnce(message: string): void {
    this.log(this.warned ? 'debug' : 'warn', message);
    this.warned = true;
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

async function rmQuiet(file: string): Promise<void> {
  await fsp.rm(file, { force: true }).catch(() => undefined);
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    await fsp.writeFile(tmp, text);
    await fsp.rename(tmp, file);
  } catch (e) {
    await rmQuiet(tmp);
    throw e;
  }
}
