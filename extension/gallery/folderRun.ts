// One batch over a folder's images, in one mode: a few `batch` requests in flight (the preview's
// interactive requests go ahead of them in the daemon), each stored in the daemon's result
// cache, scored against its ground truth by the daemon
// (`seglens/score`, the same numbers as the CLI). A reopened folder's earlier results come first,
// in one request per chunk (seglens/cachedResults); only the misses (new or changed images) run.
// A prompt mode (issue 25) has no mask before the user prompts: its run embeds each image
// instead (`batch` priority, so never ahead of a click), for the clicks to find it warm.
// No vscode here: the panel shows what it reports.
import * as path from 'node:path';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc';
import type { DaemonClient } from '../../daemon/api/client';
import type { FolderImage } from '../../daemon/api/folder/folderImages';
import { round1 } from '../../daemon/api/numbers';
import { CachedResults, CachedResultsResult, ClassInfo, Embed, Score, ScoreResult, SegmentInstance, SegmentResult, Task, Thumbnail } from '../../daemon/api/protocol';
import { promptThumbnail } from './promptThumbnail';
import type { ReportImage } from '../../daemon/api/folder/report';
import type { ProgressInfo, TileInfo } from '../../media/webview/shared/galleryMessages';

/** Requests in flight: enough to keep the engine busy, few enough to leave the queue to others. */
export const IN_FLIGHT = 3;
/** Images per seglens/cachedResults request: each answer carries full-size masks. */
const CACHE_CHUNK = 16;

export interface ImageOutcome {
  tile: TileInfo;
  /** The report entry (the CLI's fields) and the score behind it. */
  entry?: ReportImage;
  score?: ScoreResult;
}

/** What a result brings besides its outcome: the tile's picture and the classes' colours. */
export interface ResultExtras {
  thumbnail?: Thumbnail;
  classes?: ClassInfo[];
  /** Instance modes: the instances (with their RLE) and the image's size. */
  instances?: { list: SegmentInstance[]; width: number; height: number };
}

/** What an instance mode's run asks besides the mask: each instance's RLE; which images a COCO ground truth has. */
export interface RunOptions {
  instanceRle?: boolean;
  hasGroundTruth?: (i: number) => boolean;
}

export interface RunEvents {
  tile(i: number, outcome: ImageOutcome, extras?: ResultExtras): void;
  progress(p: ProgressInfo): void;
}

const slash = (p: string) => p.replace(/\\/g, '/');
const errorOf = (e: unknown) => ({ code: e instanceof ResponseError ? e.code : -32603, message: e instanceof Error ? e.message : String(e) });

/** Share of the result not background: binary foreground, semantic every class but id 0, instance every instance. */
export function foregroundShare(r: SegmentResult, task: Task): number {
  if (task === 'instance') return r.classes.reduce((sum, c) => sum + c.fraction, 0);
  const bg = r.classes.find((c) => c.id === 0)?.fraction ?? 0;
  return task === 'binary' ? (r.classes.find((c) => c.id === 1)?.fraction ?? 1 - bg) : 1 - bg;
}

export class FolderRun {
  readonly cancel = new CancellationTokenSource();
  private started = 0;
  private done = 0;
  private finished = false;

  constructor(
    private readonly client: DaemonClient,
    private readonly mode: string,
    /** 'prompt': embed each image (issue 25), nothing to score. */
    private readonly task: Task,
    private readonly images: FolderImage[],
    /** Indices (into images) to run; the others keep what they have. */
    private readonly todo: number[],
    private readonly thumbSize: number,
    private readonly events: RunEvents,
    private readonly options: RunOptions = {},
  ) {}

  get cancelled(): boolean {
    return this.cancel.token.isCancellationRequested;
  }

  progress(): ProgressInfo {
    const total = this.todo.length;
    const secs = (performance.now() - this.started) / 1000;
    const perSecond = this.done > 0 && secs > 0 ? this.done / secs : 0;
    const etaSeconds = perSecond > 0 ? (total - this.done) / perSecond : undefined;
    return { done: this.done, total, perSecond, etaSeconds, running: !this.finished, cancelled: this.cancelled || undefined };
  }

  async run(): Promise<void> {
    this.started = performance.now();
    this.events.progress(this.progress());
    const misses = this.task === 'prompt' ? this.todo : await this.fromCache();
    let next = 0;
    const worker = async () => {
      while (!this.cancelled && next < misses.length) {
        const i = misses[next++];
        this.events.tile(i, { tile: { ...this.baseTile(i), state: 'running' } });
        const r = this.task === 'prompt' ? await this.embed(i) : await this.segment(i);
        const out = r && (await this.finish(i, r));
        if (!out) return;
        this.report(i, out);
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, misses.length) }, worker));
    this.finished = true;
    this.events.progress(this.progress());
  }

  private report(i: number, out: { outcome: ImageOutcome; extras?: ResultExtras }): void {
    this.done++;
    this.events.tile(i, out.outcome, out.extras);
    this.events.progress(this.progress());
  }

  private baseTile(i: number): TileInfo {
    const img = this.images[i];
    return { i, rel: img.rel, state: 'queued', gt: img.gt !== undefined || this.options.hasGroundTruth?.(i) === true };
  }

  /** Results already in the daemon's result cache, a chunk at a time (seglens/cachedResults, never queued behind the engine); the misses. */
  private async fromCache(): Promise<number[]> {
    const misses: number[] = [];
    for (let k = 0; k < this.todo.length && !this.cancelled; k += CACHE_CHUNK) {
      const chunk = this.todo.slice(k, k + CACHE_CHUNK);
      let answer: CachedResultsResult;
      try {
        answer = await this.client.request(CachedResults, { mode: this.mode, images: chunk.map((i) => ({ path: this.images[i].file })), thumbnail: { size: this.thumbSize }, ...this.rle() }, this.cancel.token);
      } catch {
        misses.push(...chunk); // an older daemon, or a bad path: the segment requests say
        continue;
      }
      for (const [j, e] of answer.results.entries()) {
        const out = e.result && (await this.finish(chunk[j], e.result));
        if (out) this.report(chunk[j], out);
        else if (!this.cancelled) misses.push(chunk[j]);
      }
    }
    return misses;
  }

  /** Segments one image (answered from the result cache when it can be); a failed outcome, or undefined once cancelled. */
  private async segment(i: number): Promise<SegmentResult | { outcome: ImageOutcome } | undefined> {
    try {
      return await this.client.segment({ mode: this.mode, image: { path: this.images[i].file }, priority: 'batch', cache: true, thumbnail: { size: this.thumbSize }, ...this.rle() }, this.cancel.token);
    } catch (e) {
      if (this.cancelled) return undefined;
      const error = errorOf(e);
      return { outcome: { tile: { ...this.baseTile(i), state: 'failed', error: error.message }, entry: { ...this.entry(i), error } } };
    }
  }

  private rle(): { instanceRle?: true } {
    return this.options.instanceRle ? { instanceRle: true } : {};
  }

  /** Embeds one image ahead of the user (a prompt mode); its tile shows the image, no mask. */
  private async embed(i: number): Promise<{ outcome: ImageOutcome; extras?: ResultExtras } | undefined> {
    const img = this.images[i];
    try {
      const e = await this.client.request(Embed, { mode: this.mode, image: { path: img.file }, priority: 'batch' }, this.cancel.token);
      const entry: ReportImage = { ...this.entry(i), width: e.width, height: e.height, ms: round1(e.encoderMs) };
      const tile: TileInfo = { ...this.baseTile(i), state: 'done', ms: e.encoderMs, cached: e.embedding !== 'computed' };
      return { outcome: { tile, entry }, extras: { thumbnail: await promptThumbnail(img.file, this.thumbSize).catch(() => undefined) } };
    } catch (e) {
      if (this.cancelled) return undefined;
      const error = errorOf(e);
      return { outcome: { tile: { ...this.baseTile(i), state: 'failed', error: error.message }, entry: { ...this.entry(i), error } } };
    }
  }

  private entry(i: number): ReportImage {
    const img = this.images[i];
    const entry: ReportImage = { path: img.rel, width: 0, height: 0, ms: 0 };
    if (img.gt) entry.gt = slash(path.relative(img.root, img.gt));
    return entry;
  }

  /** A result's outcome: scored against the ground truth when there is one; undefined once cancelled. */
  private async finish(i: number, r: SegmentResult | { outcome: ImageOutcome }): Promise<{ outcome: ImageOutcome; extras?: ResultExtras } | undefined> {
    if ('outcome' in r) return r;
    const img = this.images[i];
    const t = r.timings;
    const ms = round1(t.decodeMs + t.preprocessMs + t.inferenceMs + t.postprocessMs);
    const entry: ReportImage = { ...this.entry(i), width: r.width, height: r.height, ms };
    const tile: TileInfo = { ...this.baseTile(i), state: 'done', ms: t.inferenceMs, share: foregroundShare(r, this.task), cached: r.cached };
    let score: ScoreResult | undefined;
    if (img.gt) {
      try {
        score = await this.client.request(Score, { mode: this.mode, prediction: { base64: r.maskPng }, groundTruth: { path: img.gt } }, this.cancel.token);
        tile.iou = score.iou;
      } catch (e) {
        if (this.cancelled) return undefined;
        entry.error = errorOf(e);
        Object.assign(tile, { state: 'failed', error: entry.error.message });
      }
    }
    const instances = r.instances && { list: r.instances, width: r.width, height: r.height };
    return { outcome: { tile, entry, score }, extras: { thumbnail: r.thumbnail, classes: r.classes, instances } };
  }
}
