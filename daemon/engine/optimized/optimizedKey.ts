// One entry of the optimised-graph cache (optimizedCache.ts): its name, a hash of everything the
// saved graph depends on (the model, ONNX Runtime's version, the provider, the CPU's features,
// the session options); its sidecar; and the checks (ours, size, sampled checksum) that tell a
// foreign or damaged entry on reading.
import * as crypto from 'node:crypto';
import { promises as fsp, readFileSync, Stats } from 'node:fs';
import * as os from 'node:os';
import type * as ortTypes from 'onnxruntime-node';
import { removeQuietly, sha256 } from '../../util/fileOps';

/** Bumped when the layout of the cache or the meaning of its key changes. */
export const OPTIMIZED_CACHE_VERSION = 1;
const HEAD_TAIL = 1 << 20;
const SAMPLE_BLOCK = 256 << 10;
const SAMPLES = 17;

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
  cpuCache = sha256(desc).slice(0, 16);
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
  return sha256(text).slice(0, 24);
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

/** Whether the entry at `onnx` + `side` is there and sound: regular files of ours, a sidecar naming this key, the size and sampled check matching. */
export async function checkEntry(onnx: string, side: string, key: string): Promise<{ state: 'none' } | { state: 'ok' } | { state: 'bad'; reason: string }> {
  let st;
  try {
    st = await fsp.lstat(onnx);
  } catch {
    await removeQuietly(side);
    return { state: 'none' };
  }
  // A graph is code ONNX Runtime runs: only a regular file of ours is trusted (issue #13).
  const foreign = notOurs(st) ?? notOurs(await fsp.lstat(side).catch(() => undefined));
  if (foreign) return { state: 'bad', reason: foreign };
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

/** Why a cache file or folder is not to be trusted (a link, another user's, not a file/folder), or undefined. */
export function notOurs(st: Stats | undefined, folder = false): string | undefined {
  if (!st) return undefined;
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (folder ? !st.isDirectory() : !st.isFile()) return folder ? 'is not a folder' : 'is not a regular file';
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `belongs to user ${st.uid}, not to you (user ${uid})`;
  return undefined;
}

/** The first line of an error's message (ONNX Runtime's can run to many lines). */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
