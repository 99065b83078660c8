// The segmentation preview: one webview panel, reused, showing the original at once and the
// mask over it when the daemon answers; re-runs when the image changes on disk. The manager
// that opens and restores it is previewManager.ts; its data and helpers are in previewData.ts.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { ModeStatus, SegmentResult } from '../../daemon/api/protocol';
import type { FromWebview, PanelCommand, PanelMode, ResultPayload, ToWebview } from '../../media/webview/shared/messages';
import type { RefineFromWebview } from '../../media/webview/shared/refineMessages';
import { readConfig, storeMode } from '../config';
import { phaseMessage } from '../models/modeProgress';
import { Disposable } from '../util/dispose';
import { siblingImages } from './imageFiles';
import { CompareRunner } from './compareRun';
import { CropFetcher } from './cropFetch';
import type { ComparedResult } from './compareRun';
import { displayPlan } from './displayPlan';
import { PROVISIONAL_MODE, errorInfo, imageSource, isPromptMode, resultPayload, saveMask, segmentExtras, statePath } from './previewData';
import type { PanelEvents, PreviewDeps, PreviewResult, PreviewSequence } from './previewData';
import { previewHtml } from './previewHtml';
import { checkFromWebview } from './webviewMessages';
import { groundTruthMessage } from './previewGroundTruth';

const setContext = (key: string, value: unknown) => void vscode.commands.executeCommand('setContext', key, value);

/** What the refine editor (extension/refine/) adds to a panel: the page's tools, their messages. */
export interface PanelEditor {
  /** The size of the mask being edited, once known (refine messages are refused before). */
  size(): { width: number; height: number } | undefined;
  /** The page (re)started: send it the document's state. */
  onReady(): void;
  onMessage(m: RefineFromWebview): Promise<void>;
  /** A prompt mode (issue 25): embeds the image; its starting mask (empty) as a result. */
  startPrompts(uri: vscode.Uri, mode: string): Promise<SegmentResult>;
}

export class PreviewPanel extends Disposable {
  private image: vscode.Uri | undefined;
  private images: vscode.Uri[] = [];
  private sequence: PreviewSequence | undefined;
  /** The page cannot show the current image's own bytes: ask the daemon for a display image. */
  private needsDisplay = false;
  private readonly compare: CompareRunner;
  private readonly crops: CropFetcher;
  private version = 0;
  private run = 0;
  private running = false;
  private cancel: CancellationTokenSource | undefined;
  private busy: string | undefined;
  private lastError: ToWebview | undefined;
  last: PreviewResult | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private rerunTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: PreviewDeps,
    private mode: string,
    private readonly events: PanelEvents,
    onDispose: () => void,
    /** Set for the refine editor: the same page with its editing tools. */
    private readonly editor?: PanelEditor,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'webview', 'preview-icon.svg');
    // The page reads our script, stylesheet and icon, nothing else: the image comes as data.
    panel.webview.options = { enableScripts: true, localResourceRoots: previewRoots(deps.extensionUri) };
    this.compare = this._register(new CompareRunner(deps, (m) => this.post(m), (r) => events.compare.fire(r)));
    this.crops = this._register(new CropFetcher(deps, (m) => this.post(m)));
    panel.webview.html = previewHtml(panel.webview, deps.extensionUri, { opacity: readConfig().overlayOpacity, refine: !!editor });
    this._register({
      dispose: () => {
        this.run++; // a run still under way posts nothing more
        this.cancel?.cancel();
        if (this.rerunTimer) clearTimeout(this.rerunTimer);
        this.watcher?.dispose();
      },
    });
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)));
    setContext('seglens.previewActive', panel.active);
    this._register(panel.onDidChangeViewState((e) => setContext('seglens.previewActive', e.webviewPanel.active)));
    this._register({
      dispose: () => {
        setContext('seglens.previewActive', false);
        setContext('seglens.previewControlFocus', false);
      },
    });
    this._register(deps.store.onDidChange((s) => this.onModelChange(s)));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('seglens.mode') && this.onModeSetting()));
    this._register(
      panel.onDidDispose(() => {
        this.dispose();
        onDispose();
      }),
    );
  }

  get currentImage(): vscode.Uri | undefined {
    return this.image;
  }
  get currentMode(): string {
    return this.mode;
  }
  /** The page asked for a display image (it cannot decode the original). */
  get displayed(): boolean {
    return this.needsDisplay;
  }

  /** `sequence` (from the gallery) stays in force while the images opened are in it. */
  async open(uri: vscode.Uri, sequence?: PreviewSequence): Promise<void> {
    if (sequence) this.sequence = sequence;
    if (this.sequence && !this.sequence.images.some((u) => u.toString() === uri.toString())) this.sequence = undefined;
    this.image = uri;
    this.last = undefined;
    this.lastError = undefined;
    this.compare.reset();
    this.watch(uri);
    this.panel.title = `SegLens: ${path.basename(uri.path)}`;
    this.images = this.sequence?.images ?? (await siblingImages(uri));
    await this.postImage();
    await this.segment();
  }

  async rerun(): Promise<void> {
    if (!this.image) return;
    this.compare.reset();
    await this.postImage();
    await this.segment();
  }

  private onModelChange(s: ModeStatus | undefined): void {
    // The panel's mode was removed (a custom model taken out of the settings): follow
    // the mode the extension now uses; the next run uses it.
    if (s === undefined && !this.deps.store.info(this.mode)) {
      const mode = readConfig().mode;
      if (this.deps.store.info(mode)) this.mode = mode;
    }
    this.postModes();
    const phase = s?.mode === this.mode ? phaseMessage(s.state) : undefined;
    if (phase && this.running) this.setBusy(phase);
    this.compare.onModelState(s);
  }

  private onModeSetting(): void {
    const mode = readConfig().mode;
    if (mode === this.mode) return;
    this.mode = mode;
    this.postModes();
    if (this.image) void this.segment();
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
    let bytes: Uint8Array | undefined;
    try {
      bytes = await vscode.workspace.fs.readFile(uri);
    } catch {
      // shown as an error by the segment request
    }
    const plan = bytes ? displayPlan(path.extname(uri.path), bytes) : {};
    this.needsDisplay = !plan.mime;
    const index = this.images.findIndex((u) => u.toString() === uri.toString());
    // A copy with its own buffer: a small file's bytes may be a view into a larger pooled
    // buffer, which does not survive the trip to the page (it then fails to decode).
    const shown = plan.mime && bytes ? { bytes: new Uint8Array(bytes), mime: plan.mime } : {};
    this.post({ type: 'image', path: statePath(uri), name: path.basename(uri.path), index: Math.max(0, index), count: Math.max(1, this.images.length), ...shown });
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
    try {
      const done = await this.request(uri, mode, () => run !== this.run, cancel);
      if (!done) return;
      this.last = { uri, mode, result: done.result };
      this.deps.store.recordInference(mode, done.result.timings.inferenceMs);
      this.busy = undefined;
      this.post({ type: 'result', result: resultPayload(this.deps.store, uri, done.result, done.prepared) });
      this.events.result.fire(this.last);
      void this.compare.start(uri);
      void this.postGroundTruth(uri, done.result);
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

  /** Starts the daemon and prepares the mode as needed, then segments; undefined once `stale`. */
  private async request(
    uri: vscode.Uri,
    mode: string,
    stale: () => boolean,
    cancel: CancellationTokenSource,
  ): Promise<{ result: SegmentResult; prepared: ResultPayload['prepared'] } | undefined> {
    const { supervisor, store } = this.deps;
    if (supervisor.state !== 'ready') this.setBusy('Starting the SegLens daemon…');
    const client = await supervisor.ensureClient();
    if (stale()) return undefined;
    if (isPromptMode(store, mode)) {
      // Clicks and boxes, not a segment: in the refine editor only.
      if (!this.editor) throw new Error(`'${mode}' is a prompt mode: open the image in the refine editor (SegLens: Refine Mask) to click and drag prompts`);
      this.setBusy(`Embedding the image with ${mode}…`);
      const result = await this.editor.startPrompts(uri, mode);
      return stale() ? undefined : { result, prepared: undefined };
    }
    let prepared: ResultPayload['prepared'];
    if (store.state(mode) !== 'warm') {
      // Sent before this mode's own request, so the daemon's queue serves `fast` first.
      await this.provisional(uri, mode, stale);
      this.setBusy(phaseMessage(store.state(mode)) ?? 'Loading model…');
      // Load only: the preview's own inference warms the mode (request-as-warm-up), so no
      // dummy run is put in front of it.
      const r = await client.ensureReady(mode, false);
      if (r.load === 'ran' || r.warmup === 'ran') prepared = { loadMs: r.loadMs, warmupMs: r.warmupMs };
      if (stale()) return undefined;
    }
    this.setBusy(`Segmenting with ${mode}…`);
    const result = await client.segment({ mode, image: await imageSource(uri), ...segmentExtras(store, mode, this.needsDisplay) }, cancel.token);
    return stale() ? undefined : { result, prepared };
  }

  /**
   * While a cold binary mode loads and `fast` is warm, `fast`'s mask is shown first, marked
   * provisional (a warm mode never gets here, so its result is never delayed). The final
   * result replaces it; only the final one is `last` (what Save mask writes).
   */
  private async provisional(uri: vscode.Uri, mode: string, stale: () => boolean): Promise<void> {
    const { store, supervisor } = this.deps;
    const quick = PROVISIONAL_MODE;
    if (mode === quick || !readConfig().progressive || store.state(quick) !== 'warm' || store.info(mode)?.task !== 'binary') return;
    let answer: Promise<SegmentResult>;
    try {
      const client = await supervisor.ensureClient();
      answer = client.segment({ mode: quick, image: await imageSource(uri), ...segmentExtras(store, quick, this.needsDisplay) });
    } catch (err) {
      this.deps.log.debug(`provisional ${quick} result not requested: ${errorInfo(err).message}`);
      return;
    }
    // Resolved once the request is on its way; its answer is shown when (and if) it comes first.
    void answer.then(
      (r) => {
        if (stale() || this.last) return; // the chosen mode answered first
        this.post({ type: 'result', result: { ...resultPayload(store, uri, r), provisional: { for: mode } } });
        this.events.provisional.fire({ uri, mode: quick, result: r });
      },
      (err: unknown) => this.deps.log.debug(`provisional ${quick} result not shown: ${errorInfo(err).message}`),
    );
  }

  /** Opened from the gallery with ground truth: the "vs ground truth" view. */
  private async postGroundTruth(uri: vscode.Uri, r: SegmentResult): Promise<void> {
    const m = await groundTruthMessage(this.deps.supervisor.client, uri, r, this.sequence?.groundTruth, this.deps.log);
    if (m && this.image?.toString() === uri.toString() && this.last?.result === r) this.post(m);
  }

  /** Messages from the page are checked first; a refused one is logged and dropped. */
  async receive(raw: unknown): Promise<void> {
    const checked = checkFromWebview(raw, { isMode: (id) => !!this.deps.store.info(id), currentPath: this.image && statePath(this.image), refine: this.editor?.size() });
    if (!checked.ok) {
      this.deps.log.warn(`preview: refused a message from the page (${checked.reason})`);
      this.events.refused.fire(checked.reason);
      return;
    }
    await this.onMessage(checked.message);
  }

  /** A keybinding's command, for the page (zoom, views, compare, readout). */
  command(c: PanelCommand): void {
    this.post({ type: 'command', command: c });
  }

  async navigate(delta: -1 | 1): Promise<void> {
    const i = this.images.findIndex((u) => u.toString() === this.image?.toString());
    const next = this.images[i + delta];
    if (i >= 0 && next) await this.open(next);
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        // Also after the page was reloaded (a hidden panel loses its page): send it all again.
        // A new page has no control focused yet (it reports focus changes from here on).
        setContext('seglens.previewControlFocus', false);
        this.postModes();
        await this.postImage();
        if (this.last && this.image) this.post({ type: 'result', result: resultPayload(this.deps.store, this.image, this.last.result) });
        else if (this.lastError) this.post(this.lastError);
        else if (this.busy) this.post({ type: 'busy', message: this.busy });
        this.editor?.onReady();
        return;
      case 'navigate':
        // An editor edits its document's image only.
        if (!this.editor) await this.navigate(m.delta);
        return;
      case 'refineEdit':
      case 'refineBox':
      case 'refineAction':
      case 'refinePrompt':
      case 'refineCandidate':
        await this.editor?.onMessage(m);
        return;
      case 'compare':
        this.compare.select(m.mode ?? undefined);
        if (this.last && this.image) await this.compare.start(this.image);
        return;
      case 'focus':
        setContext('seglens.previewControlFocus', m.control);
        return;
      case 'imageFailed':
        // The page could not decode the original after all: segment again with a display image.
        if (this.needsDisplay) return;
        this.needsDisplay = true;
        await this.segment();
        return;
      case 'displayCrop':
        // Only for a picture the daemon scaled down (the page's own bytes are full resolution).
        if (this.needsDisplay && this.image) await this.crops.fetch(this.image, m.region);
        return;
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
      case 'segmentFolder':
        if (this.image) await vscode.commands.executeCommand('seglens.segmentFolder', vscode.Uri.joinPath(this.image, '..'));
        return;
      case 'saveMask': {
        const saved = this.last && (await saveMask(this.last));
        if (saved) this.post({ type: 'saved', path: saved });
        return;
      }
    }
  }

  /** An error in the page, with no image (a restore that was refused). */
  showError(message: string): void {
    this.lastError = { type: 'error', message };
    this.post(this.lastError);
  }

  get comparison(): ComparedResult | undefined {
    return this.compare.last;
  }

  post(m: ToWebview): void {
    void this.panel.webview.postMessage(m);
  }
}

/** The only folders the page may load from: its script (dist/webview.js) and its stylesheet and icon. */
export function previewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'media', 'webview'), vscode.Uri.joinPath(extensionUri, 'dist')];
}
