// The result cache (issue 15): segment results on disk in `<cacheDir>/results/`, keyed by the
// image's content, the mode's definition, the model file's checksum and the options that shape
// the answer, so reopening a folder answers at once and only new or changed images run. Bounded
// and collected like the optimised-graph cache (same collecting code, one file per entry).
// Best effort: a cache that cannot be read or written only costs inferences.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { LogLevel } from '../api/constants';
import type { SegmentParams, SegmentResult } from '../api/protocol';
import type { ModeDef } from '../models/modeDef';
import { CollectPolicy, EntryLayout, ModelHashMemo, collectEntries } from '../engine/optimized/optimizedFolder';
import { sha256, sha256File, writeFileAtomic } from '../util/fileOps';

export const RESULTS_DIR = 'results';
/** Bump when the stored form or the pipeline's output changes. */
const FORMAT = 1;
/** Collect after this many stores (and once at start). */
const COLLECT_EVERY = 200;
/** Images looked up at once by getMany (stat + hash + entry read each). */
const LOOKUP_LANES = 16;
/** Remembered image hashes (about 200 bytes each). */
const HASH_MEMO_ENTRIES = 100_000;

const LAYOUT: EntryLayout = {
  what: 'result cache',
  baseOf: (name) => /^([0-9a-f]{64})\.json$/.exec(name)?.[1],
  complete: () => true,
};

/** The params that shape an answer, so its key. */
export type AnswerShape = Pick<SegmentParams, 'confidence' | 'displayImage' | 'thumbnail' | 'region'>;

/** What is stored: the answer without what depends on the moment it was asked. */

export type StoredResult = Omit<SegmentResult, 'wasWarm' | 'cached'>;

export class ResultCache {
  private readonly dir: string;
  private readonly memo: ModelHashMemo;
  /** Image path → its content hash and the stat it was taken at (contentHash). */
  private readonly hashes = new Map<string, { stamp: string; sha256: string }>();
  private stores = 0;
  private collecting: Promise<unknown> | undefined;

  constructor(
    cacheDir: string,
    private readonly policy: CollectPolicy,
    private readonly log: (level: LogLevel, message: string) => void,
  ) {
    this.dir = path.join(path.resolve(cacheDir), RESULTS_DIR);
    this.memo = new ModelHashMemo(path.join(this.dir, 'model-hashes.json'));
  }

  /** The entry's key, or undefined when the image or the model file cannot be read (the run reports that). */
  async key(def: ModeDef, image: { path: string } | { bytes: Uint8Array }, p: AnswerShape): Promise<string | undefined> {
    try {
      const content = 'bytes' in image ? sha256(image.bytes) : await this.contentHash(image.path);
      return this.keyOf(def, await this.memo.checksum(def.model.file), p, content);
    } catch {
      return undefined;
    }
  }

  /**
   * The stored answers for many images at once (seglens/cachedResults), in order; undefined for
   * a miss. The model's checksum is looked up once; the images a few at a time (stat, then the
   * content hash memo, then the entry file), all on the libuv pool: nothing queues behind the engine.
   */
  async getMany(def: ModeDef, paths: string[], p: AnswerShape): Promise<(StoredResult | undefined)[]> {
    let model: string;
    try {
      model = await this.memo.checksum(def.model.file);
    } catch {
      return paths.map(() => undefined);
    }
    const out: (StoredResult | undefined)[] = new Array(paths.length).fill(undefined);
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < paths.length; i = next++) {
        const content = await this.contentHash(paths[i]).catch(() => undefined);
        if (content) out[i] = await this.get(this.keyOf(def, model, p, content));
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUP_LANES, paths.length) }, lane));
    return out;
  }

  private keyOf(def: ModeDef, model: string, p: AnswerShape, content: string): string {
    // The definition without where its file is: the same model elsewhere gives the same masks.
    const { model: _ref, ...definition } = def;
    const shape = { confidence: p.confidence ?? false, displayImage: p.displayImage ?? false, thumbnail: p.thumbnail?.size ?? 0 };
    // A region only when there is one: whole-image keys stay those stored before regions existed.
    if (p.region) Object.assign(shape, { region: [p.region.left, p.region.top, p.region.width, p.region.height] });
    return sha256(JSON.stringify({ format: FORMAT, definition, model, shape, image: content }));
  }

  /**
   * sha256 of a file's content, remembered by (path, size, mtime, ctime, inode): a folder opened
   * again is not read again, and any write (which moves mtime and ctime) is hashed anew. The file
   * is hashed streamed, so a large photo never holds the main thread for long.
   */
  private async contentHash(file: string): Promise<string> {
    const st = await fsp.stat(file);
    if (!st.isFile()) throw new Error('not a file');
    const stamp = `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
    const known = this.hashes.get(file);
    if (known && known.stamp === stamp) return known.sha256;
    const sha = await sha256File(file);
    if (this.hashes.size >= HASH_MEMO_ENTRIES) this.hashes.clear(); // bounded; refilled on use
    this.hashes.set(file, { stamp, sha256: sha });
    return sha;
  }

  async get(key: string): Promise<StoredResult | undefined> {
    const file = path.join(this.dir, `${key}.json`);
    try {
      const r = JSON.parse(await fsp.readFile(file, 'utf8')) as StoredResult;
      const now = new Date();
      await fsp.utimes(file, now, now).catch(() => undefined); // last use, for collecting
      return r;
    } catch {
      return undefined;
    }
  }

  async put(key: string, r: SegmentResult): Promise<void> {
    const { wasWarm: _w, cached: _c, ...stored } = r;
    try {
      await fsp.mkdir(this.dir, { recursive: true });
      await writeFileAtomic(path.join(this.dir, `${key}.json`), JSON.stringify(stored));
    } catch (e) {
      this.log('debug', `result cache: not stored (${(e as Error).message})`);
      return;
    }
    if (this.stores++ % COLLECT_EVERY === 0) void this.collect();
  }

  /** Removes entries unused for long, then the least recently used over the size budget. */
  collect(now = Date.now()): Promise<unknown> {
    this.collecting ??= collectEntries(this.dir, this.policy, new Set(), this.log, now, LAYOUT)
      .catch((e) => this.log('warn', `result cache: collecting failed: ${(e as Error).message}`))
      .finally(() => (this.collecting = undefined));
    return this.collecting;
  }
}
