// The segmentation preview: one webview panel, reused, showing the original at once and the
// mask over it when the daemon answers. Restored after a reload by a WebviewPanelSerializer
// from the state the page keeps (image path and mode); re-runs when the image changes on disk.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { ImageSource, SegmentResult } from '../../daemon/api/protocol';
import type { FromWebview, PanelMode, PanelState, ResultPayload, ToWebview } from '../../media/webview/messages';
import { readConfig, storeMode } from '../config';
import type { DaemonSupervisor } from '../daemon/daemonSupervisor';
import { siblingImages } from './imageFiles';
import { phaseMessage } from '../models/modeProgress';
import type { ModelStore } from '../models/modelStore';
import { previewHtml } from './previewHtml';

export const PREVIEW_VIEW_TYPE = 'seglens.preview';

export interface PreviewDeps {
  extensionUri: vscode.Uri;
  supervisor: DaemonSupervisor;
  store: ModelStore;
  log: vscode.LogOutputChannel;
}

export interface PreviewResult {
  uri: vscode.Uri;
  mode: string;
  result: SegmentResult;
}

export interface PreviewFailure {
  uri: vscode.Uri;
  mode: string;
  message: string;
  code?: number;
}

/** The image's path for the page's state: a file path, or a URI string for other schemes. */
export function statePath(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}
function uriFromStatePath(p: string): vscode.Uri {
  return /^[a-z][\w+.-]*:\/\//i.test(p) ? vscode.Uri.parse(p) : vscode.Uri.file(p);
}

function errorInfo(err: unknown): { message: string; code?: number } {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : undefined;
  return { message, code };
}

class PreviewPanel implements vscode.Disposable {
  private image: vscode.Uri | undefined;
  private images: vscode.Uri[] = [];
  private folder: string | undefined;
  private version = 0;
  private run = 0;
  private running = false;
  private cancel: CancellationTokenSource | undefined;
  private busy: string | undefined;
  private lastError: ToWebview | undefined;
  last: PreviewResult | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private rerunTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: PreviewDeps,
    private mode: string,
    private readonly events: { result: vscode.EventEmitter<PreviewResult>; failure: vscode.EventEmitter<PreviewFailure> },
    onDispose: () => void,
  ) {
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'webview', 'preview-icon.svg');
    panel.webview.options = { enableScripts: true, localResourceRoots: this.roots() };
    panel.webview.html = previewHtml(panel.webview, deps.extensionUri, { opacity: readConfig().overlayOpacity });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)),
      deps.store.onDidChange((s) => {
        // The panel's mode was removed (a custom model taken out of the settings): follow
        // the mode the extension now uses; the next run uses it.
        if (s === undefined && !deps.store.info(this.mode)) {
          const mode = readConfig().mode;
          if (deps.store.info(mode)) this.mode = mode;
        }
        this.postModes();
        const phase = s?.mode === this.mode ? phaseMessage(s.state) : undefined;
        if (phase && this.running) this.setBusy(phase);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('seglens.mode')) return;
        const mode = readConfig().mode;
        if (mode === this.mode) return;
        this.mode = mode;
        this.postModes();
        if (this.image) void this.segment();
      }),
    );
    panel.onDidDispose(() => {
      this.dispose();
      onDispose();
    });
  }

  get currentImage(): vscode.Uri | undefined {
    return this.image;
  }

  async open(uri: vscode.Uri): Promise<void> {
    this.image = uri;
    this.last = undefined;
    this.lastError = undefined;
    const folder = vscode.Uri.joinPath(uri, '..').toString();
    if (folder !== this.folder) {
      this.folder = folder;
      // Only the image's folder (and our own media) is readable by the page.
      this.panel.webview.options = { enableScripts: true, localResourceRoots: this.roots() };
    }
    this.watch(uri);
    this.panel.title = `SegLens: ${path.basename(uri.path)}`;
    this.images = await siblingImages(uri);
    await this.postImage();
    await this.segment();
  }

  async rerun(): Promise<void> {
    if (!this.image) return;
    await this.postImage();
    await this.segment();
  }

  private roots(): vscode.Uri[] {
    const roots = [vscode.Uri.joinPath(this.deps.extensionUri, 'media'), vscode.Uri.joinPath(this.deps.extensionUri, 'dist')];
    if (this.image) roots.unshift(vscode.Uri.joinPath(this.image, '..'));
    return roots;
  }

  private watch(uri: vscode.Uri): void {
    this.watcher?.dispose();
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), path.basename(uri.path)));
    const changed = () => {
      // Editors often write in several steps; segment once they are done.
      if (this.rerunTimer) clearTimeout(this.rerunTimer);
      this.rerunTimer = setTimeout(() => void this.rerun(), 300);
    };
    w.onDidChange(changed);
    w.onDidCreate(changed);
    w.onDidDelete(() => this.post({ type: 'error', message: `${path.basename(uri.path)} was deleted` }));
    this.watcher = w;
  }

  private async postImage(): Promise<void> {
    const uri = this.image;
    if (!uri) return;
    this.version++;
    let mtime = this.version;
    try {
      mtime = (await vscode.workspace.fs.stat(uri)).mtime;
    } catch {
      // shown as an error by the segment request
    }
    // The query defeats the webview's cache when the file changes on disk.
    const src = this.panel.webview.asWebviewUri(uri).with({ query: `v=${mtime}-${this.version}` }).toString();
    const index = this.images.findIndex((u) => u.toString() === uri.toString());
    this.post({ type: 'image', src, path: statePath(uri), name: path.basename(uri.path), index: Math.max(0, index), count: Math.max(1, this.images.length) });
  }

  private postModes(): void {
    const store = this.deps.store;
    const modes: PanelMode[] = store.modeInfos.map((m) => ({ id: m.id, label: m.label, state: store.state(m.id), typicalMs: m.typicalMs, custom: m.custom }));
    this.post({ type: 'modes', modes, current: this.mode });
  }

  private setBusy(message: string | undefined): void {
    this.busy = message;
    if (message) this.post({ type: 'busy', message });
  }

  private async segment(): Promise<void> {
    const uri = this.image;
    if (!uri) return;
    const mode = this.mode;
    const run = ++this.run;
    this.cancel?.cancel();
    const cancel = new CancellationTokenSource();
    this.cancel = cancel;
    this.running = true;
    this.last = undefined;
    this.lastError = undefined;
    const { supervisor, store } = this.deps;
    try {
      if (supervisor.state !== 'ready') this.setBusy('Starting the SegLens daemon…');
      const client = await supervisor.ensureClient();
      if (run !== this.run) return;
      let prepared: ResultPayload['prepared'];
      if (store.state(mode) !== 'warm') {
        this.setBusy(phaseMessage(store.state(mode)) ?? 'Loading model…');
        const r = await client.ensureReady(mode);
        if (r.load === 'ran' || r.warmup === 'ran') prepared = { loadMs: r.loadMs, warmupMs: r.warmupMs };
        if (run !== this.run) return;
      }
      this.setBusy(`Segmenting with ${mode}…`);
      const image: ImageSource =
        uri.scheme === 'file' ? { path: uri.fsPath } : { base64: Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('base64') };
      const result = await client.segment({ mode, image }, cancel.token);
      if (run !== this.run) return;
      this.last = { uri, mode, result };
      store.recordInference(mode, result.timings.inferenceMs);
      this.busy = undefined;
      this.post({ type: 'result', result: this.payload(uri, result, prepared) });
      this.events.result.fire(this.last);
    } catch (err) {
      if (run !== this.run) return;
      const { message, code } = errorInfo(err);
      this.deps.log.warn(`preview of ${uri.fsPath} with ${mode} failed${code !== undefined ? ` (${code})` : ''}: ${message}`);
      this.busy = undefined;
      this.lastError = { type: 'error', message, code };
      this.post(this.lastError);
      this.events.failure.fire({ uri, mode, message, code });
    } finally {
      if (run === this.run) this.running = false;
    }
  }

  private payload(uri: vscode.Uri, r: SegmentResult, prepared?: ResultPayload['prepared']): ResultPayload {
    const task = this.deps.store.info(r.mode)?.task ?? (r.classes.length > 2 ? 'semantic' : 'binary');
    return {
      path: statePath(uri),
      mode: r.mode,
      task,
      width: r.width,
      height: r.height,
      maskPng: r.maskPng,
      classes: r.classes,
      wasWarm: r.wasWarm,
      timings: r.timings,
      prepared,
    };
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        // Also after the page was reloaded (a hidden panel loses its page): send it all again.
        this.postModes();
        await this.postImage();
        if (this.last && this.image) this.post({ type: 'result', result: this.payload(this.image, this.last.result) });
        else if (this.lastError) this.post(this.lastError);
        else if (this.busy) this.post({ type: 'busy', message: this.busy });
        return;
      case 'navigate': {
        const i = this.images.findIndex((u) => u.toString() === this.image?.toString());
        const next = this.images[i + m.delta];
        if (i >= 0 && next) await this.open(next);
        return;
      }
      case 'setMode':
        if (m.mode === this.mode) return;
        this.mode = m.mode;
        this.postModes();
        await storeMode(m.mode); // the status bar and other windows follow
        await this.segment();
        return;
      case 'rerun':
        await this.rerun();
        return;
      case 'saveMask':
        await this.saveMask();
        return;
    }
  }

  private async saveMask(): Promise<void> {
    const last = this.last;
    if (!last) return;
    const base = path.basename(last.uri.path).replace(/\.[^.]+$/, '');
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(last.uri, '..', `${base}.${last.mode}.mask.png`),
      filters: { 'PNG image': ['png'] },
      title: 'Save segmentation mask',
    });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(target, Buffer.from(last.result.maskPng, 'base64'));
      this.post({ type: 'saved', path: statePath(target) });
    } catch (err) {
      void vscode.window.showErrorMessage(`SegLens: could not save the mask: ${errorInfo(err).message}`);
    }
  }

  private post(m: ToWebview): void {
    void this.panel.webview.postMessage(m);
  }

  dispose(): void {
    this.run++;
    this.cancel?.cancel();
    if (this.rerunTimer) clearTimeout(this.rerunTimer);
    this.watcher?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** Opens and reuses the one preview panel, and restores it after a window reload. */
export class PreviewManager implements vscode.WebviewPanelSerializer<PanelState>, vscode.Disposable {
  private current: PreviewPanel | undefined;
  private readonly resultEmitter = new vscode.EventEmitter<PreviewResult>();
  private readonly failureEmitter = new vscode.EventEmitter<PreviewFailure>();
  /** A segmentation result reached the panel (tests wait for it). */
  readonly onDidReceiveResult = this.resultEmitter.event;
  readonly onDidFail = this.failureEmitter.event;

  constructor(private readonly deps: PreviewDeps) {}

  get panel(): vscode.WebviewPanel | undefined {
    return this.current?.panel;
  }
  get lastResult(): PreviewResult | undefined {
    return this.current?.last;
  }

  async show(uri: vscode.Uri): Promise<void> {
    if (this.current) {
      this.current.panel.reveal(undefined, false);
      await this.current.open(uri);
      return;
    }
    const column = vscode.window.tabGroups.activeTabGroup.activeTab ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = vscode.window.createWebviewPanel(PREVIEW_VIEW_TYPE, 'SegLens', { viewColumn: column, preserveFocus: false }, { enableScripts: true, localResourceRoots: [] });
    this.current = this.adopt(panel, readConfig().mode);
    await this.current.open(uri);
  }

  async rerun(): Promise<void> {
    await this.current?.rerun();
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: PanelState | undefined): Promise<void> {
    if (this.current) {
      // Only one preview: a second restored one would compete for the same role.
      panel.dispose();
      return;
    }
    const mode = state?.mode && this.deps.store.info(state.mode) ? state.mode : readConfig().mode;
    this.current = this.adopt(panel, mode);
    if (state?.imagePath) await this.current.open(uriFromStatePath(state.imagePath));
  }

  private adopt(panel: vscode.WebviewPanel, mode: string): PreviewPanel {
    const p = new PreviewPanel(panel, this.deps, mode, { result: this.resultEmitter, failure: this.failureEmitter }, () => {
      if (this.current === p) this.current = undefined;
    });
    return p;
  }

  dispose(): void {
    this.current?.panel.dispose();
    this.resultEmitter.dispose();
    this.failureEmitter.dispose();
  }
}
