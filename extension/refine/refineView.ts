// One refine editor's page (issue 22): the preview panel (image, model, inspection) over the
// editor's webview, with the document's starting mask and edits sent to the page, and the
// page's edits, boxes and buttons carried out. A box runs the panel's mode on the box plus a
// margin through seglens/segment's `region`.
import sharp from 'sharp';
import * as vscode from 'vscode';
import { maskPixels } from '../../daemon/api/exports/render';
import { SEGMENT_REGION_MIN_SIDE, maskKind } from '../../daemon/api/protocol';
import type { RefineAction, RefineCommand, RefineFromWebview } from '../../media/webview/shared/refineMessages';
import { boxRegion } from '../../media/webview/shared/maskEdit';
import type { MaskEdit, Rect } from '../../media/webview/shared/maskEdit';
import { PreviewPanel } from '../preview/previewPanel';
import { errorInfo, imageSource, isPromptMode, statePath } from '../preview/previewData';
import type { PanelEvents, PreviewDeps, PreviewResult } from '../preview/previewData';
import { readConfig } from '../config';
import { Disposable } from '../util/dispose';
import type { DocumentChange, RefineDocument } from './refineDocument';
import { exportEdited } from './refineSave';
import { PromptRunner } from './promptRunner';

/** A box's margin on each side, as a share of its size (clipped to the image). */
const BOX_MARGIN = 0.1;

/** What a view asks of the provider: record an edit (VS Code's undo stack), save. */
export interface RefineHost {
  push(doc: RefineDocument, edit: MaskEdit, from?: object): void;
  saveGroundTruth(doc: RefineDocument): Promise<void>;
  /** A view's result or error, for the tests. */
  events: PanelEvents;
}

export class RefineView extends Disposable {
  readonly preview: PreviewPanel;
  /** A prompt mode's clicks and boxes (issue 25). */
  readonly prompts: PromptRunner;

  constructor(
    readonly doc: RefineDocument,
    panel: vscode.WebviewPanel,
    private readonly deps: PreviewDeps,
    private readonly host: RefineHost,
    onDispose: () => void,
  ) {
    super();
    this.prompts = new PromptRunner(doc, deps, { push: (d, e) => host.push(d, e), post: (m) => this.preview.post(m) });
    this.preview = this._register(
      new PreviewPanel(panel, deps, readConfig().mode, host.events, onDispose, {
        size: () => doc.base && { width: doc.base.width, height: doc.base.height },
        onReady: () => this.postState(),
        onMessage: (m) => this.onMessage(m),
        startPrompts: (uri, mode) => this.prompts.start(uri, mode),
      }),
    );
    this._register(host.events.result.event((r) => r.uri.toString() === doc.image.toString() && this.preview.last === r && void this.onResult(r)));
    this._register(doc.onDidChange((c) => this.onChange(c)));
  }

  get panel(): vscode.WebviewPanel {
    return this.preview.panel;
  }

  async open(): Promise<void> {
    this.preview.panel.title = `Refine: ${this.doc.uri.path.split('/').pop()}`;
    await this.preview.open(this.doc.image);
    this.preview.panel.title = `Refine: ${this.doc.uri.path.split('/').pop()}`;
  }

  command(c: RefineCommand): void {
    this.preview.post({ type: 'refineCommand', command: c });
  }

  /** The model answered: its mask is the starting mask of an image's document; a ground-truth document starts from its file. */
  private async onResult(r: PreviewResult): Promise<void> {
    const { result } = r;
    // An instance mode's id map is edited like a class map.
    const task = maskKind(this.deps.store.info(result.mode)?.task ?? (result.classes.length > 2 ? 'semantic' : 'binary'));
    try {
      if (this.doc.groundTruth && this.doc.base) return this.postState();
      // A copy with its own buffer: sharp's output may be a view into a larger pooled buffer, which postMessage would send whole.
      const pixels = new Uint8Array(this.doc.groundTruth ? await readGroundTruth(this.doc.uri, result.width, result.height) : await maskPixels(result));
      this.doc.setBase({ pixels, width: result.width, height: result.height, task, classes: result.classes });
    } catch (err) {
      this.preview.post({ type: 'error', message: `Cannot edit ${statePath(this.doc.uri)}: ${errorInfo(err).message}` });
    }
  }

  private onChange(c: DocumentChange): void {
    if ('base' in c) this.postState();
    else if ('edit' in c) c.from !== this && this.preview.post({ type: 'refineEdit', edit: c.edit });
    else this.preview.post({ type: 'refineEdits', edits: [...c.edits] });
  }

  private postState(): void {
    const b = this.doc.base;
    if (!b) return;
    this.preview.post({ type: 'refineState', path: statePath(this.doc.image), width: b.width, height: b.height, task: b.task, classes: b.classes, base: b.pixels, edits: [...this.doc.edits], groundTruth: this.doc.groundTruth, prompt: this.promptMode });
  }

  /** The editor shows a prompt mode's result: clicks and drags are prompts. */
  get promptMode(): boolean {
    return isPromptMode(this.deps.store, this.preview.last?.mode ?? this.preview.currentMode);
  }

  private async onMessage(m: RefineFromWebview): Promise<void> {
    switch (m.type) {
      case 'refinePrompt':
        if (this.promptMode) await this.prompts.prompt({ points: m.points, ...(m.box ? { box: m.box } : {}) });
        return;
      case 'refineCandidate':
        if (this.promptMode) this.prompts.nextCandidate();
        return;
      case 'refineEdit':
        if (m.edit.kind === 'keep' || m.edit.kind === 'remove') this.doc.threshold = m.edit.threshold;
        this.host.push(this.doc, m.edit, this);
        // After VS Code was told (push fired the edit event): the page knows an undo will find it.
        this.preview.post({ type: 'refineHeld', count: this.doc.edits.length });
        return;
      case 'refineBox':
        await this.box(m.box, m.clearOutside);
        return;
      case 'refineAction':
        this.doc.threshold = m.threshold;
        await this.action(m.action, m.threshold);
        return;
    }
  }

  private async action(a: RefineAction, threshold: number): Promise<void> {
    try {
      if (a === 'reset') this.host.push(this.doc, { kind: 'reset' });
      else if (a === 'saveGroundTruth') await this.host.saveGroundTruth(this.doc);
      else {
        const saved = await exportEdited(this.doc, threshold);
        if (saved) this.preview.post({ type: 'saved', path: statePath(saved) });
      }
    } catch (err) {
      void vscode.window.showErrorMessage(`SegLens: could not save the mask: ${errorInfo(err).message}`);
    }
  }

  /** Segments the box with a margin (`region`); its result replaces the mask inside the box. */
  async box(box: Rect, clearOutside: boolean): Promise<void> {
    const base = this.doc.base;
    if (!base) return;
    const region = boxRegion(box, base.width, base.height, BOX_MARGIN, SEGMENT_REGION_MIN_SIDE);
    const mode = this.preview.currentMode;
    this.preview.post({ type: 'busy', message: `Segmenting the box with ${mode}…` });
    try {
      const client = await this.deps.supervisor.ensureClient();
      const r = await client.segment({ mode, image: await imageSource(this.doc.image), region });
      const mask = new Uint8Array(await maskPixels({ maskPng: r.maskPng, width: region.width, height: region.height }));
      this.host.push(this.doc, { kind: 'box', box, region, mask, clearOutside });
    } catch (err) {
      const { message, code } = errorInfo(err);
      this.preview.post({ type: 'error', message: `The box could not be segmented: ${message}`, code });
    }
  }
}

/** A ground-truth file's first channel (grey: 0/255 or class indices), which must be the image's size. */
async function readGroundTruth(uri: vscode.Uri, width: number, height: number): Promise<Uint8Array> {
  const bytes = await vscode.workspace.fs.readFile(uri);
  const { data, info } = await sharp(bytes).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height) throw new Error(`the ground truth is ${info.width}x${info.height}, the image ${width}x${height}`);
  return data;
}
