// The result cache (issue 15): segment results on disk in `<cacheDir>/results/`, keyed by the
// image's content, the mode's definition, the model file's checksum and the options that shape
// the answer, so reopening a folder answers at once and only new or changed images run. Bounded
// and collected like the optimised-graph cache (same collecting code, one file per entry).
// Best effort: a cache that cannot be read or written only costs inferences.
// Private and checked (issue #20): entries hold thumbnails of the user's images, so the folder is
// 0700 and entries 0600; each entry carries a digest of its content (and key), and one that does
// not verify is a miss and is removed. A stored answer is keyed by the bytes the engine really
// segmented (SegmentOutput.inputSha256), never by what the file held when the request came in.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { LogLevel } from '../api/constants';
import { SegLensError } from '../api/errors';
import { ErrorCodes, type SegmentParams, type SegmentResult } from '../api/protocol';
import type { ModeDef } from '../models/modeDef';
import { CollectPolicy, EntryLayout, ModelHashMemo, collectEntries } from '../engine/optimized/optimizedFolder';
import { removeQuietly, sha256, tempPathFor } from '../util/fileOps';
import { fileContentHash } from './fileHash';

export const RESULTS_DIR = 'results';
/** Bump when the stored form or the pipeline's output changes (2: the digest line, issue #20). */
const FORMAT = 2;
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
export type AnswerShape = Pick<SegmentParams, 'confidence' | 'displayImage' | 'thumbnail' | 'region' | 'instanceRle' | 'scoreThreshold'>;

/** What is stored: the answer without what depends on the moment it was asked. */

/** What is stored: the answer without what depends on the moment it was asked. */
export type StoredResult = Omit<SegmentResult, 'wasWarm' | 'cached'>;

/** One image of a lookup: its stored answer, nothing (a miss), or why it cannot be looked up. */
export interface Lookup {
  result?: StoredResult;
  error?: { code: number; message: string };
}

/** An entry file: the digest of key and content on the first line, then the content (JSON). */
const entryDigest = (key: string, json: string) => sha256(`${key}\n${json}`);

export class ResultCache {
  private readonly dir: string;
  private readonly memo: ModelHashMemo;
  /** Image path → its content hash and the stat it was taken at (contentHash). */
  private readonly hashes = new Map<string, { stamp: string; sha256: string }>();
  private stores = 0;
  private collecting: Promise<unknown> | undefined;
  /** The folder, made private once (undefined: unusable, the cache is off). */
  private ready: Promise<boolean> | undefined;

  constructor(
    cacheDir: string,
    private readonly policy: CollectPolicy,
    private readonly log: (level: LogLevel, message: string) => void,
    /** Images over this many bytes are not looked up (--max-image-bytes). */
    private readonly maxBytes = Number.MAX_SAFE_INTEGER,
  ) {
    this.dir = path.join(path.resolve(cacheDir), RESULTS_DIR);
    this.memo = new ModelHashMemo(path.join(this.dir, 'model-hashes.json'));
  }

  /** Creates the folder 0700, or tightens it if it is ours and looser; a folder that is a link or someone else's turns the cache off. */
  private usable(): Promise<boolean> {
    this.ready ??= (async () => {
      try {
        await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
        const st = await fsp.lstat(this.dir);
        const me = process.getuid?.();
        if (st.isSymbolicLink() || !st.isDirectory() || (me !== undefined && st.uid !== me)) throw new Error('it is a link, not a folder, or not yours');
        if (process.platform !== 'win32' && (st.mode & 0o777) !== 0o700) await fsp.chmod(this.dir, 0o700);
        return true;
      } catch (e) {
        this.log('warn', `result cache: ${this.dir} is not usable (${(e as Error).message}); results are not cached`);
        return false;
      }
    })();
    return this.ready;
  }

  /** The lookup key of a request's image, or undefined when the image or the model file cannot be read (the run reports that). */
  async key(def: ModeDef, image: { path: string } | { bytes: Uint8Array }, p: AnswerShape): Promise<string | undefined> {
    try {
      if (!(await this.usable())) return undefined;
      const content = 'bytes' in image ? sha256(image.bytes) : await this.contentHash(image.path);
      return this.keyOf(def, await this.memo.checksum(def.model.file), p, content);
    } catch {
      return undefined;
    }
  }

  /** The key to store an answer under: of the content the engine segmented (its sha256). */
  async keyForContent(def: ModeDef, p: AnswerShape, contentSha256: string): Promise<string | undefined> {
    try {
      return this.keyOf(def, await this.memo.checksum(def.model.file), p, contentSha256);
    } catch {
      return undefined;
    }
  }

  /**
   * The stored answers for many images at once (seglens/cachedResults), in order. The model's
   * checksum is looked up once; the images a few at a time (an open that never blocks and fstat,
   * then the content hash memo or a hash off the main thread, then the entry file): nothing
   * queues behind the engine. An image that is not a regular file within --max-image-bytes says
   * why (1001, 1003) without being read.
   */
  async getMany(def: ModeDef, paths: string[], p: AnswerShape): Promise<Lookup[]> {
    const out: Lookup[] = paths.map(() => ({}));
    let model: string;
    try {
      if (!(await this.usable())) return out;
      model = await this.memo.checksum(def.model.file);
    } catch {
      return out;
    }
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < paths.length; i = next++) {
        try {
          out[i].result = await this.get(this.keyOf(def, model, p, await this.contentHash(paths[i])));
        } catch (e) {
          const code = e instanceof SegLensError ? e.code : ErrorCodes.ImageNotFound;
          out[i].error = { code, message: e instanceof SegLensError ? e.message : `Image not found or not readable: ${paths[i]} (${(e as Error).message})` };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUP_LANES, paths.length) }, lane));
    return out;
  }

  private keyOf(def: ModeDef, model: string, p: AnswerShape, content: string): string {
    // The definition without where its file is: the same model elsewhere gives the same masks.
    const { model: _ref, ...definition } = def;
    const shape = { confidence: p.confidence ?? false, displayImage: p.displayImage ?? false, thumbnail: p.thumbnail?.size ?? 0 };
    // A region, instanceRle and scoreThreshold only when given: the keys of earlier answers stay as they were.
    if (p.region) Object.assign(shape, { region: [p.region.left, p.region.top, p.region.width, p.region.height] });
    if (p.instanceRle) Object.assign(shape, { instanceRle: true });
    if (p.scoreThreshold !== undefined) Object.assign(shape, { scoreThreshold: p.scoreThreshold });
    return sha256(JSON.stringify({ format: FORMAT, definition, model, shape, image: content }));
  }

  /**
   * sha256 of a file's content, remembered by (path, size, mtime, ctime, inode): a folder opened
   * again is not read again, and any write (which moves mtime and ctime) is hashed anew
   * (fileHash.ts: checked without blocking, hashed off the main thread).
   */
  private async contentHash(file: string): Promise<string> {
    const known = this.hashes.get(file);
    const { stamp, sha256 } = await fileContentHash(file, this.maxBytes, (s) => (known?.stamp === s ? known.sha256 : undefined));
    if (this.hashes.size >= HASH_MEMO_ENTRIES) this.hashes.clear(); // bounded; refilled on use
    this.hashes.set(file, { stamp, sha256 });
    return sha256;
  }

  /** The stored answer under `key`, if its entry verifies; one that does not is removed (a miss). */
  async get(key: string): Promise<StoredResult | undefined> {
    const file = path.join(this.dir, `${key}.json`);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    const cut = text.indexOf('\n');
    const json = text.slice(cut + 1);
    let r: StoredResult | undefined;
    try {
      if (cut !== 64 || text.slice(0, 64) !== entryDigest(key, json)) throw new Error('its digest does not match its content');
      r = JSON.parse(json) as StoredResult;
    } catch (e) {
      this.log('warn', `result cache: entry ${key.slice(0, 12)}… removed: ${(e as Error).message}`);
      await removeQuietly(file);
      return undefined;
    }
    const now = new Date();
    await fsp.utimes(file, now, now).catch(() => undefined); // last use, for collecting
    return r;
  }

  async put(key: string, r: SegmentResult): Promise<void> {
    const { wasWarm: _w, cached: _c, ...stored } = r;
    const json = JSON.stringify(stored);
    try {
      if (!(await this.usable())) return;
      await writePrivate(path.join(this.dir, `${key}.json`), `${entryDigest(key, json)}\n${json}`);
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

/** Written 0600 to a temporary file created exclusively (never through a link planted there), then renamed over the entry. */
async function writePrivate(file: string, data: string): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    await fsp.writeFile(tmp, data, { mode: 0o600, flag: 'wx' });
    await fsp.rename(tmp, file);
  } catch (e) {
    await removeQuietly(tmp);
    throw e;
  }
}
