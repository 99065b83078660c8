// The gallery of one folder (SegLens: Segment Folder…): lists the folder's images (globs from
// the settings, ground truth by seglens.groundTruth), runs them as one batch (folderRun.ts) with
// a cancellable progress notification and the page's own bar, answers the page's requests for
// thumbnails from a bounded memory or the daemon's result cache, and opens the preview in the
// gallery's order.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FolderImage, listFolderImages, withGroundTruth } from '../../daemon/api/folder/folderImages';
import { checkGlobs } from '../../daemon/api/folder/glob';
import { checkRule } from '../../daemon/api/folder/groundTruth';
import { CachedResults, Task, Thumbnail } from '../../daemon/api/protocol';
import type { ExportFormat } from '../../daemon/api/exports/render';
import type { InstanceAgreement } from '../../media/webview/shared/messages';
import type { FromGallery, GalleryClass, ProgressInfo, SummaryInfo, TileInfo, ToGallery } from '../../media/webview/shared/galleryMessages';
import { galleryOrder } from '../../media/webview/shared/galleryOrder';
import { readConfig } from '../config';
import { Disposable } from '../util/dispose';
import { FolderRun, ImageOutcome, ResultExtras } from './folderRun';
import { isPromptMode } from '../preview/previewData';
import { promptThumbnail } from './promptThumbnail';
import { WORST, folderConfusion, folderReport, folderSummary } from './folderReport';
import { galleryHtml } from './galleryHtml';
import type { GalleryDeps } from './galleryDeps';
import { exportInstances, exportMasks, exportReport } from './galleryExports';
import { InstanceFolder, cocoGroundTruthFile } from './instanceFolder';
import { CocoFileError, readCocoGroundTruth } from '../../daemon/api/coco/cocoGroundTruth';
import { checkFromGallery } from './galleryMessages';
import { GalleryViews } from './galleryViews';

export const TILE_SIZE = 160;
/** Thumbnails are made a little larger than the tile, for HiDPI screens. */
const THUMB_SIZE = 240;
/** Thumbnails kept in the extension host; older ones come back from the daemon's result cache. */
const THUMBS_KEPT = 1000;

export class GalleryPanel extends Disposable {
  private images: FolderImage[] = [];
  private outcomes: (ImageOutcome | undefined)[] = [];
  private readonly thumbs = new Map<number, Thumbnail>();
  private run: FolderRun | undefined;
  private lastProgress: ProgressInfo | undefined;
  private readonly classes = new Map<number, GalleryClass>();
  /** The run under way or last run (tests wait for it). */
  running: Promise<void> = Promise.resolve();
  private summaryTimer: NodeJS.Timeout | undefined;
  private mode: string;
  /** Instance modes: the folder's instances, against its COCO ground truth when there is one. */
  private instances: InstanceFolder | undefined;
  private readonly views: GalleryViews;
  private readonly progressEmitter = this._register(new vscode.EventEmitter<ProgressInfo>());
  private readonly finishedEmitter = this._register(new vscode.EventEmitter<ProgressInfo>());
  readonly onDidProgress = this.progressEmitter.event;
  /** A run ended (done or cancelled): tests wait for it. */
  readonly onDidFinish = this.finishedEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly folder: vscode.Uri,
    private readonly deps: GalleryDeps,
    onDispose: () => void,
  ) {
    super();
    this.views = new GalleryViews(deps.memento);
    this.mode = readConfig().mode;
    panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(deps.extensionUri, 'media'), vscode.Uri.joinPath(deps.extensionUri, 'dist')] };
    panel.webview.html = galleryHtml(panel.webview, deps.extensionUri, { tileSize: TILE_SIZE });
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'webview', 'preview-icon.svg');
    this._register({ dispose: () => this.stop() });
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)));
    this._register(
      panel.onDidDispose(() => {
        this.dispose();
        onDispose();
      }),
    );
  }

  get tiles(): TileInfo[] {
    return this.images.map((img, i) => this.outcomes[i]?.tile ?? { i, rel: img.rel, state: 'queued', gt: img.gt !== undefined || this.instances?.hasGroundTruth(img.rel) === true });
  }

  /** The images in the gallery's current order (the preview's ←/→ follow it). */
  uris(order: number[]): vscode.Uri[] {
    return order.map((i) => vscode.Uri.file(this.images[i].file));
  }

  /** A mask file's path, or for an instance mode against a COCO file the image's agreement at IoU 0.5. */
  groundTruthOf(file: string): string | InstanceAgreement | undefined {
    const i = this.images.findIndex((img) => img.file === file);
    if (i < 0) return undefined;
    return this.instances ? this.instances.agreement(i) : this.images[i].gt;
  }

  /** Lists the folder and runs every image not done yet in the current mode (all of them after a mode change). */
  async start(): Promise<void> {
    this.stop();
    const cfg = vscode.workspace.getConfiguration('seglens');
    this.mode = readConfig().mode;
    const badGlob = globSettingsProblem(cfg);
    if (badGlob) void vscode.window.showErrorMessage(`SegLens: settings error: ${badGlob}`);
    this.images = badGlob ? [] : listImages(this.folder.fsPath, cfg);
    // Earlier results come back from the daemon's result cache in the first moments of the run.
    this.outcomes = this.images.map(() => undefined);
    this.lastProgress = undefined;
    this.thumbs.clear();
    this.classes.clear();
    const cocoProblem = this.startInstances(cfg);
    this.panel.title = `SegLens: ${path.basename(this.folder.fsPath)}`;
    this.postInit();
    if (cocoProblem) this.post({ type: 'notice', message: cocoProblem });
    if (this.images.length === 0) {
      this.post({ type: 'notice', message: badGlob ? `Settings error: ${badGlob}` : 'No images in this folder (check seglens.folder.include / exclude).' });
      return;
    }
    const client = await this.deps.supervisor.ensureClient();
    const mode = this.mode;
    const task = this.deps.store.info(mode)?.task ?? 'binary';
    if (task === 'prompt') this.post({ type: 'notice', message: `${mode} is a prompt mode: the images are embedded ahead of you, and there are no masks to score until you prompt. Open an image to click and drag prompts in the refine editor.` });
    const todo = this.images.map((_, i) => i);
    const instances = this.instances;
    const run = new FolderRun(
      client,
      mode,
      task,
      this.images,
      todo,
      THUMB_SIZE,
      {
        tile: (i, outcome, extras) => this.onTile(i, outcome, extras, task),
        progress: (p) => this.onProgress(p),
      },
      instances ? { instanceRle: true, hasGroundTruth: (i) => instances.hasGroundTruth(this.images[i].rel) } : {},
    );
    this.run = run;
    const notification = vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `SegLens: ${path.basename(this.folder.fsPath)}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => run.cancel.cancel());
        let reported = 0;
        const sub = this.onDidProgress((p) => {
          if (this.run !== run) return;
          progress.report({ message: progressText(p), increment: p.total ? ((p.done - reported) / p.total) * 100 : 0 });
          reported = p.done;
        });
        try {
          await run.run();
        } finally {
          sub.dispose();
        }
      },
    );
    await notification;
    // Cancelled: the images under way go back to queued (their results, if any, were dropped).
    const stopped = this.outcomes.flatMap((o, i) => (o && !o.entry ? [i] : []));
    for (const i of stopped) this.outcomes[i] = undefined;
    if (stopped.length) this.post({ type: 'tiles', tiles: stopped.map((i) => this.tiles[i]) });
    this.postSummary();
    this.finishedEmitter.fire(run.progress());
  }

  /**
   * An instance mode's collector, with the COCO file `seglens.groundTruth` names (a `.json`);
   * what went wrong with that file, to show in the page.
   */
  private startInstances(cfg: vscode.WorkspaceConfiguration): string | undefined {
    this.instances = undefined;
    const info = this.deps.store.info(this.mode);
    const file = cocoGroundTruthFile(cfg.get<string>('groundTruth') || 'auto', this.folder.fsPath);
    if (info?.task !== 'instance') return file ? `seglens.groundTruth names a COCO file (${file}): it scores instance modes only; '${this.mode}' is ${info?.task ?? 'unknown'}.` : undefined;
    try {
      this.instances = new InstanceFolder(info, file ? readCocoGroundTruth(file) : undefined);
      return undefined;
    } catch (e) {
      this.instances = new InstanceFolder(info);
      const message = `COCO ground truth ${file}: ${e instanceof CocoFileError ? e.message : (e as Error).message}; no AP until it is fixed.`;
      void vscode.window.showErrorMessage(`SegLens: ${message}`);
      return message;
    }
  }

  /**
   * A ground truth was written for `file` (the refine editor's Save as ground truth): score that
   * image again at once, from the daemon's result cache (no inference when it is there).
   */
  async rescore(file: string, gt: string): Promise<boolean> {
    const i = this.images.findIndex((img) => img.file === file);
    if (i < 0 || !this.outcomes[i]?.entry || this.instances) return false; // not here, not done yet (its run scores it), or scored by a COCO file
    if (isPromptMode(this.deps.store, this.mode)) return false; // a prompt mode has no prediction to score
    this.images[i] = { ...this.images[i], gt };
    const client = await this.deps.supervisor.ensureClient();
    const task = this.deps.store.info(this.mode)?.task ?? 'binary';
    await new FolderRun(client, this.mode, task, this.images, [i], THUMB_SIZE, {
      tile: (k, outcome, extras) => this.onTile(k, outcome, extras, task),
      progress: () => undefined,
    }).run();
    this.postSummary();
    return true;
  }

  stop(): void {
    this.run?.cancel.cancel();
    this.run = undefined;
    if (this.summaryTimer) clearTimeout(this.summaryTimer);
    this.summaryTimer = undefined;
  }

  private onTile(i: number, outcome: ImageOutcome, extras: ResultExtras | undefined, task: Task): void {
    this.outcomes[i] = outcome;
    if (extras?.instances && this.instances) this.instances.add(i, this.images[i].rel, extras.instances.width, extras.instances.height, extras.instances.list);
    if (extras?.thumbnail) this.keepThumb(i, extras.thumbnail);
    // Colours before the tile, so its picture is painted with them.
    if (extras?.classes?.some((c) => !this.classes.has(c.id))) {
      for (const c of extras.classes) this.classes.set(c.id, { id: c.id, label: c.label, color: c.color });
      this.postClasses(task);
    }
    this.post({ type: 'tiles', tiles: [outcome.tile] });
    if (outcome.entry) this.summarySoon();
  }

  private postClasses(task: Task): void {
    this.post({ type: 'classes', task, classes: [...this.classes.values()].sort((a, b) => a.id - b.id) });
  }

  private onProgress(p: ProgressInfo): void {
    this.lastProgress = p;
    this.post({ type: 'progress', progress: p });
    this.progressEmitter.fire(p);
  }

  private keepThumb(i: number, t: Thumbnail): void {
    this.thumbs.delete(i);
    this.thumbs.set(i, t);
    while (this.thumbs.size > THUMBS_KEPT) this.thumbs.delete(this.thumbs.keys().next().value as number);
  }

  private summarySoon(): void {
    if (this.summaryTimer) return;
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = undefined;
      this.postSummary();
    }, 500);
  }

  private postSummary(): void {
    const report = folderReport(this.mode, this.outcomes);
    const index = new Map(this.images.map((img, i) => [img.rel, i]));
    const labels = this.deps.store.info(this.mode)?.labels ?? [];
    const confusion = folderConfusion(this.outcomes, (id) => labels[id] ?? `class ${id}`);
    const summary = folderSummary(report, (rel) => index.get(rel) ?? -1, confusion);
    this.post({ type: 'summary', summary: this.instances ? this.instanceSummary(summary, this.instances) : summary });
  }

  /** Instance modes: each done tile's instances, tp, fp, fn and f1 (posted when they change), the AP table, the worst images by F1. */
  private instanceSummary(summary: SummaryInfo, instances: InstanceFolder): SummaryInfo {
    const { tiles, table } = instances.evaluate();
    const changed: TileInfo[] = [];
    for (const [i, fields] of tiles) {
      const o = this.outcomes[i];
      if (!o?.entry || o.tile.state !== 'done') continue;
      const next = { ...o.tile, ...fields };
      if (JSON.stringify(next) !== JSON.stringify(o.tile)) changed.push((o.tile = next));
    }
    if (changed.length) this.post({ type: 'tiles', tiles: changed });
    if (!table) return summary;
    const worst = this.tiles
      .filter((t) => t.f1 !== undefined)
      .sort((a, b) => a.f1! - b.f1! || (a.rel < b.rel ? -1 : 1))
      .slice(0, WORST)
      .map((t) => ({ i: t.i, rel: t.rel, iou: t.f1! }));
    return { ...summary, withGroundTruth: this.tiles.filter((t) => t.gt).length, worst, instances: table };
  }

  private postInit(): void {
    // A prompt mode's tiles (issue 25) are read as binary masks (empty until prompted).
    const task = this.deps.store.info(this.mode)?.task === 'prompt' ? 'binary' : (this.deps.store.info(this.mode)?.task ?? 'binary');
    this.post({ type: 'init', folder: vscode.workspace.asRelativePath(this.folder), path: this.folder.fsPath, mode: this.mode, task, classes: [], tiles: this.tiles, view: this.views.get(this.folder) });
    if (this.lastProgress) this.post({ type: 'progress', progress: this.lastProgress });
  }

  /** Thumbnails the page shows now: from memory, else from the daemon's result cache (never an inference). */
  private async sendThumbs(indices: number[]): Promise<void> {
    const ready = indices.filter((i) => this.thumbs.has(i));
    if (ready.length) this.post({ type: 'thumbs', thumbs: ready.map((i) => ({ i, ...this.thumbs.get(i)! })) });
    const client = this.deps.supervisor.client;
    const missing = indices.filter((i) => !this.thumbs.has(i) && this.outcomes[i]?.entry && !this.outcomes[i]?.entry?.error);
    if (!client || missing.length === 0) return;
    try {
      const thumbs = isPromptMode(this.deps.store, this.mode) ? await this.promptThumbs(missing) : await this.cachedThumbs(client, missing);
      for (const t of thumbs) this.keepThumb(t.i, t);
      if (thumbs.length) this.post({ type: 'thumbs', thumbs });
    } catch (e) {
      this.deps.log.debug(`gallery: thumbnails not found in the result cache: ${(e as Error).message}`);
    }
  }

  private async cachedThumbs(client: NonNullable<GalleryDeps['supervisor']['client']>, missing: number[]): Promise<({ i: number } & Thumbnail)[]> {
    const r = await client.request(CachedResults, { mode: this.mode, images: missing.map((i) => ({ path: this.images[i].file })), thumbnail: { size: THUMB_SIZE } });
    return r.results.flatMap((e, k) => (e.result?.thumbnail ? [{ i: missing[k], ...e.result.thumbnail }] : []));
  }

  /** A prompt mode's tiles have no result to take a picture from: made again from the files. */
  private async promptThumbs(missing: number[]): Promise<({ i: number } & Thumbnail)[]> {
    return Promise.all(missing.map(async (i) => ({ i, ...(await promptThumbnail(this.images[i].file, THUMB_SIZE)) })));
  }

  async receive(raw: unknown): Promise<void> {
    const checked = checkFromGallery(raw, this.images.length);
    if (!checked.ok) {
      this.deps.log.warn(`gallery: refused a message from the page: ${checked.reason}`);
      return;
    }
    await this.onMessage(checked.message);
  }

  private async onMessage(m: FromGallery): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.postInit();
        if (this.classes.size) this.postClasses(this.deps.store.info(this.mode)?.task ?? 'binary');
        this.postSummary();
        return;
      case 'need':
        return this.sendThumbs(m.indices);
      case 'open': {
        const order = galleryOrder(this.tiles, m.sort, m.filter);
        const list = order.includes(m.i) ? order : [m.i, ...order];
        // A prompt mode (issue 25) is clicked in the refine editor.
        if (isPromptMode(this.deps.store, this.mode)) return this.deps.openRefine(vscode.Uri.file(this.images[m.i].file), undefined);
        await this.deps.openPreview(vscode.Uri.file(this.images[m.i].file), this.uris(list), (file) => this.groundTruthOf(file));
        return;
      }
      case 'refine': {
        const img = this.images[m.i];
        await this.deps.openRefine(vscode.Uri.file(img.file), img.gt ? vscode.Uri.file(img.gt) : undefined);
        return;
      }
      case 'cancel':
        this.run?.cancel.cancel();
        return;
      case 'view':
        await this.views.set(this.folder, { sort: m.sort, filter: m.filter });
        return;
      case 'rerun':
        await this.start();
        return;
      case 'exportReport':
        await this.exportReport();
        return;
      case 'exportMasks':
        await this.exportMasks();
        return;
    }
  }

  /** The report's export; `target` given, without the save dialog (the overwrite question stays). */
  exportReport(target?: vscode.Uri): Promise<string | undefined> {
    const report = folderReport(this.mode, this.outcomes);
    const withInstances = this.instances ? this.instances.report(report, new Map(this.images.map((img, i) => [img.rel, i]))) : report;
    return exportReport(this.folder, withInstances, this.deps.log, target);
  }
  /** The masks' export; `choice` given, without the format and folder dialogs. */
  exportMasks(choice?: { formats: ExportFormat[]; out: string }): Promise<number> {
    if (this.instances) return exportInstances(this.folder, this.instances, this.deps, choice);
    return exportMasks(this.folder, this.images, this.outcomes, this.mode, this.deps, choice);
  }

  /** The run's last progress. */
  get progress(): ProgressInfo | undefined {
    return this.lastProgress;
  }

  post(m: ToGallery): void {
    void this.panel.webview.postMessage(m);
  }
}

export function progressText(p: ProgressInfo): string {
  const rate = p.perSecond > 0 ? `, ${p.perSecond.toFixed(1)} images/s` : '';
  const eta = p.etaSeconds !== undefined && p.running ? `, ETA ${Math.ceil(p.etaSeconds)} s` : '';
  return `${p.done}/${p.total}${rate}${eta}`;
}

/** The first malformed include/exclude glob, as a settings error naming the setting and the glob. */
export function globSettingsProblem(cfg: vscode.WorkspaceConfiguration): string | undefined {
  return checkGlobs('seglens.folder.include', cfg.get('folder.include')) ?? checkGlobs('seglens.folder.exclude', cfg.get('folder.exclude'));
}

/** The folder's images under the settings (globs checked first: globSettingsProblem): recursion, include/exclude globs, the ground-truth rule. */
export function listImages(root: string, cfg: vscode.WorkspaceConfiguration): FolderImage[] {
  const include = cfg.get<string[]>('folder.include') ?? [];
  const exclude = cfg.get<string[]>('folder.exclude') ?? [];
  const recursive = cfg.get<boolean>('folder.recursive') ?? true;
  let rule = cfg.get<string>('groundTruth') || 'auto';
  if (cocoGroundTruthFile(rule, root) || checkRule(rule)) rule = 'none'; // a COCO file (instance modes), or the command warned already
  return withGroundTruth(listFolderImages(root, { recursive, include, exclude }), rule);
}
