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
import { sha256, writeFileAtomic } from '../util/fileOps';

export const RESULTS_DIR = 'results';
/** Bump when the stored form or the pipeline's output changes. */
const FORMAT = 1;
/** Collect after this many stores (and once at start). */
const COLLECT_EVERY = 200;

const LAYOUT: EntryLayout = {
  what: 'result cache',
  baseOf: (name) => /^([0-9a-f]{64})\.json$/.exec(name)?.[1],
  complete: () => true,
};

/** What is stored: the answer without what depends on the moment it was asked. */
export type StoredResult = Omit<SegmentResult, 'wasWarm' | 'cached'>;

export class ResultCache {
  private readonly dir: string;
  private readonly memo: ModelHashMemo;
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
  async key(def: ModeDef, image: { path: string } | { bytes: Uint8Array }, p: SegmentParams): Promise<string | undefined> {
    try {
      const bytes = 'bytes' in image ? image.bytes : await fsp.readFile(image.path);
      const model = await this.memo.checksum(def.model.file);
      // The definition without where its file is: the same model elsewhere gives the same masks.
      const { model: _ref, ...definition } = def;
      const shape = { confidence: p.confidence ?? false, displayImage: p.displayImage ?? false, thumbnail: p.thumbnail?.size ?? 0 };
      return sha256(JSON.stringify({ format: FORMAT, definition, model, shape, image: sha256(bytes) }));
    } catch {
      return undefined;
    }
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
