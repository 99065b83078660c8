// Housekeeping of the optimised-graph cache folder (optimizedCache.ts): the remembered
// checksums of model files, and collecting entries nobody used for long or that do not fit
// the size budget. Best effort throughout: a file that cannot be read or removed stays.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../api/constants';
import { removeQuietly, sha256File, writeFileAtomic } from '../../util/fileOps';

/** The file of remembered model checksums, in the cache folder. */
export const HASH_MEMO = 'model-hashes.json';
/** An .onnx without its sidecar this young may still be being written by another daemon. */
const ORPHAN_GRACE_MS = 3600_000;
const DAY_MS = 86_400_000;
const MB = 1048576;

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

interface Remembered {
  [file: string]: { size: number; mtimeMs: number; ino?: number; ctimeMs?: number; sha256: string };
}

/**
 * sha256 of model files, remembered by path + size + mtime + inode + ctime in the cache folder
 * (issue #13): size and mtime alone let a file replaced by one of the same size with its mtime
 * set back (`touch -r`, a copy that keeps times) pass for the old one and get the old optimised
 * graph; a replacement by rename gets a new inode, a rewrite in place a new ctime, and neither
 * can be set back by a user. When any of them changes the file is hashed in full again.
 */
export class ModelHashMemo {
  private memo: Remembered | undefined;

  constructor(private readonly file: string) {}

  /** The ISNet sidecar's checksum (modelFiles.ts), else the remembered one, else hashed now and remembered. */
  async checksum(model: string): Promise<string> {
    const st = await fsp.stat(model);
    // modelFiles.ts writes `<file>.json` with outputSha256/outputSize for the rewritten ISNet,
    // after the model: a model changed since (its ctime later than the sidecar) is hashed.
    try {
      const sideStat = await fsp.stat(`${model}.json`);
      const s = JSON.parse(await fsp.readFile(`${model}.json`, 'utf8')) as { outputSha256?: unknown; outputSize?: unknown };
      const fresh = st.ctimeMs <= sideStat.mtimeMs;
      if (fresh && typeof s.outputSha256 === 'string' && /^[0-9a-f]{64}$/.test(s.outputSha256) && s.outputSize === st.size) return s.outputSha256;
    } catch {
      // no sidecar
    }
    const memo = await this.load();
    const m = memo[model];
    const same = m && m.size === st.size && m.mtimeMs === st.mtimeMs && m.ino === st.ino && m.ctimeMs === st.ctimeMs;
    if (same && /^[0-9a-f]{64}$/.test(m.sha256)) return m.sha256;
    const sha = await sha256File(model);
    memo[model] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, ctimeMs: st.ctimeMs, sha256: sha };
    await this.save();
    return sha;
  }

  /** Drops remembered checksums of model files that no longer exist. */
  async forgetMissing(): Promise<void> {
    const memo = await this.load();
    let changed = false;
    for (const file of Object.keys(memo)) {
      if (!(await fsp.stat(file).catch(() => undefined))) {
        delete memo[file];
        changed = true;
      }
    }
    if (changed) await this.save();
  }

  private async load(): Promise<Remembered> {
    if (!this.memo) {
      try {
        this.memo = JSON.parse(await fsp.readFile(this.file, 'utf8')) as Remembered;
      } catch {
        this.memo = {};
      }
    }
    return this.memo;
  }

  private async save(): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(this.memo, null, 2) + '\n').catch(() => undefined);
  }
}

interface Entry {
  base: string;
  bytes: number;
  lastUsed: number;
  files: string[];
}

/** How a cache folder's files group into entries (the result cache, daemon/results/, shares the collecting). */
export interface EntryLayout {
  /** In log lines. */
  what: string;
  /** The entry a file belongs to, or undefined for a file that is no entry's. */
  baseOf(name: string): string | undefined;
  /** All of the entry's files are there. */
  complete(base: string, files: string[]): boolean;
}

/** An optimised graph `<base>.onnx` with its sidecar `<base>.json`. */
export const GRAPH_LAYOUT: EntryLayout = {
  what: 'optimised-graph cache',
  baseOf: (name) => (name === HASH_MEMO ? undefined : /^(.*)\.(onnx|json)$/.exec(name)?.[1]),
  complete: (base, files) => files.includes(`${base}.onnx`) && files.includes(`${base}.json`),
};

/**
 * Removes entries unused for policy.maxAgeDays, then the least recently used until the folder
 * fits policy.maxBytes, never one in `inUse`; also orphaned files.
 */
export async function collectEntries(
  dir: string,
  policy: CollectPolicy,
  inUse: ReadonlySet<string>,
  log: Logger,
  now: number,
  layout: EntryLayout = GRAPH_LAYOUT,
): Promise<Collected> {
  const out: Collected = { entries: 0, bytes: 0 };
  const entries = await listEntries(dir, layout);
  if (!entries) return out;
  const remove = async (e: Entry, why: string) => {
    for (const f of e.files) await removeQuietly(path.join(dir, f));
    entries.delete(e.base);
    out.entries++;
    out.bytes += e.bytes;
    log('info', `${layout.what}: removed ${e.base} (${(e.bytes / MB).toFixed(0)} MB): ${why}`);
  };
  for (const e of [...entries.values()]) {
    if (inUse.has(e.base)) continue;
    const complete = layout.complete(e.base, e.files);
    // A graph whose sidecar never came (a daemon died between the two renames), or a sidecar left alone.
    if (!complete && now - e.lastUsed > ORPHAN_GRACE_MS) await remove(e, 'incomplete entry');
    else if (policy.maxAgeDays > 0 && now - e.lastUsed > policy.maxAgeDays * DAY_MS) await remove(e, `not used for ${policy.maxAgeDays} days`);
  }
  if (policy.maxBytes <= 0) return out;
  let total = [...entries.values()].reduce((n, e) => n + e.bytes, 0);
  const oldestFirst = [...entries.values()].filter((e) => !inUse.has(e.base)).sort((a, b) => a.lastUsed - b.lastUsed);
  for (const e of oldestFirst) {
    if (total <= policy.maxBytes) break;
    total -= e.bytes;
    await remove(e, `the cache folder is over its ${(policy.maxBytes / MB).toFixed(0)} MB budget (least recently used first)`);
  }
  if (total > policy.maxBytes) log('debug', `${layout.what}: ${(total / MB).toFixed(0)} MB in use by this daemon, over the budget; kept`);
  return out;
}

/** The entries in the folder (graph + sidecar by base name), with their size and last use; undefined when unreadable. */
async function listEntries(dir: string, layout: EntryLayout): Promise<Map<string, Entry> | undefined> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return undefined;
  }
  const entries = new Map<string, Entry>();
  for (const name of names) {
    const base = layout.baseOf(name);
    if (base === undefined) continue;
    const st = await fsp.stat(path.join(dir, name)).catch(() => undefined);
    if (!st?.isFile()) continue;
    const e = entries.get(base) ?? { base, bytes: 0, lastUsed: 0, files: [] };
    e.bytes += st.size;
    e.files.push(name);
    // The sidecar is touched on each hit; the graph's mtime is its creation.
    e.lastUsed = Math.max(e.lastUsed, st.mtimeMs);
    entries.set(base, e);
  }
  return entries;
}

/** Temp files left by a daemon that died mid-write (older than an hour). */
export async function sweepStaleTemps(dir: string): Promise<void> {
  try {
    for (const f of await fsp.readdir(dir)) {
      if (!f.endsWith('.tmp')) continue;
      const p = path.join(dir, f);
      const st = await fsp.stat(p).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > ORPHAN_GRACE_MS) await removeQuietly(p);
    }
  } catch {
    // best effort
  }
}
