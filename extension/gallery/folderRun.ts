// One batch over a folder's images, in one mode: a few `batch` requests in flight (the preview's
// interactive requests go ahead of them in the daemon), each answered from the daemon's result
// cache when the image was done before, scored against its ground truth by the daemon
// (`seglens/score`, the same numbers as the CLI). No vscode here: the panel shows what it reports.
import * as path from 'node:path';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc';
import type { DaemonClient } from '../../daemon/api/client';
import type { FolderImage } from '../../daemon/api/folderImages';
import { ClassInfo, Score, ScoreResult, SegmentResult, Thumbnail } from '../../daemon/api/protocol';
import type { ReportImage } from '../../daemon/api/report';
import type { ProgressInfo, TileInfo } from '../../media/webview/gallery/messages';

/** Requests in flight: enough to keep the engine busy, few enough to leave the queue to others. */
export const IN_FLIGHT = 3;

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
}

export interface RunEvents {
  tile(i: number, outcome: ImageOutcome, extras?: ResultExtras): void;
  progress(p: ProgressInfo): void;
}

const slash = (p: string) => p.replace(/\\/g, '/');
const errorOf = (e: unknown) => ({ code: e instanceof ResponseError ? e.code : -32603, message: e instanceof Error ? e.message : String(e) });

/** Share of the result not background: binary foreground, semantic every class but id 0. */
export function foregroundShare(r: SegmentResult, task: 'binary' | 'semantic'): number {
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
    private readonly task: 'binary' | 'semantic',
    private readonly images: FolderImage[],
    /** Indices (into images) to run; the others keep what they have. */
    private readonly todo: number[],
    private readonly thumbSize: number,
    private readonly events: RunEvents,
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
    let next = 0;
    const worker = async () => {
      while (!this.cancelled && next < this.todo.length) {
        const i = this.todo[next++];
        const out = await this.one(i);
        if (!out) return;
        this.done++;
        this.events.tile(i, out.outcome, out.extras);
        this.events.progress(this.progress());
      }
    };
    this.events.progress(this.progress());
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, this.todo.length) }, worker));
    this.finished = true;
    this.events.progress(this.progress());
  }

  /** One image: segment (cached when it can be), then score when it has ground truth; undefined once cancelled. */
  private async one(i: number): Promise<{ outcome: ImageOutcome; extras?: ResultExtras } | undefined> {
    const img = this.images[i];
    const base: TileInfo = { i, rel: img.rel, state: 'running', gt: img.gt !== undefined };
    this.events.tile(i, { tile: base });
    const entry: ReportImage = { path: img.rel, width: 0, height: 0, ms: 0 };
    if (img.gt) entry.gt = slash(path.relative(img.root, img.gt));
    let r: SegmentResult;
    try {
      r = await this.client.segment({ mode: this.mode, image: { path: img.file }, priority: 'batch', cache: true, thumbnail: { size: this.thumbSize } }, this.cancel.token);
    } catch (e) {
      if (this.cancelled) return undefined;
      entry.error = errorOf(e);
      return { outcome: { tile: { ...base, state: 'failed', error: entry.error.message }, entry } };
    }
    const t = r.timings;
    const ms = Math.round((t.decodeMs + t.preprocessMs + t.inferenceMs + t.postprocessMs) * 10) / 10;
    Object.assign(entry, { width: r.width, height: r.height, ms });
    const tile: TileInfo = { ...base, state: 'done', ms: t.inferenceMs, share: foregroundShare(r, this.task), cached: r.cached };
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
    return { outcome: { tile, entry, score }, extras: { thumbnail: r.thumbnail, classes: r.classes } };
  }
}

