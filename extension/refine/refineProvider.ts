// The refine editor (issue 22) as a VS Code custom editor, `seglens.refine`: documents are masks
// being edited (refineDocument.ts), each open in one view (refineView.ts). VS Code gives the
// rest: the dirty marker, Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y through the edits we report, Ctrl+S,
// the prompt on closing unsaved edits, and hot exit through backups.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EDIT_LABELS } from '../../media/webview/shared/maskEdit';
import type { MaskEdit } from '../../media/webview/shared/maskEdit';
import type { RefineCommand } from '../../media/webview/shared/refineMessages';
import type { PanelEvents, PreviewDeps } from '../preview/previewData';
import { Disposable } from '../util/dispose';
import { imageOfMask } from './groundTruthPaths';
import { readBackup, writeBackup } from './refineBackup';
import { RefineDocument } from './refineDocument';
import { pickGroundTruthTarget, renderEdited, writeMask } from './refineSave';
import { RefineView } from './refineView';
import { replaceFile } from '../util/replaceFile';
import type { RefineHost } from './refineView';

export const REFINE_VIEW_TYPE = 'seglens.refine';

/** A ground truth written by the editor (the gallery re-scores the image). */
export interface SavedGroundTruth {
  image: vscode.Uri;
  groundTruth: vscode.Uri;
}

export class RefineProvider extends Disposable implements vscode.CustomEditorProvider<RefineDocument>, RefineHost {
  private readonly editEmitter = this._register(new vscode.EventEmitter<vscode.CustomDocumentEditEvent<RefineDocument>>());
  readonly onDidChangeCustomDocument = this.editEmitter.event;
  private readonly savedEmitter = this._register(new vscode.EventEmitter<SavedGroundTruth>());
  readonly onDidSaveGroundTruth = this.savedEmitter.event;
  readonly events: PanelEvents = {
    result: this._register(new vscode.EventEmitter()),
    failure: this._register(new vscode.EventEmitter()),
    compare: this._register(new vscode.EventEmitter()),
    refused: this._register(new vscode.EventEmitter()),
    provisional: this._register(new vscode.EventEmitter()),
  };
  /** Ground-truth files about to be opened, with their image (from the gallery, which knows it). */
  private readonly imageFor = new Map<string, vscode.Uri>();
  private readonly views = new Set<RefineView>();

  constructor(private readonly deps: PreviewDeps) {
    super();
    this._register({ dispose: () => [...this.views].forEach((v) => v.panel.dispose()) });
  }

  /** The view in front (keybindings go to it). */
  get active(): RefineView | undefined {
    return [...this.views].find((v) => v.panel.active);
  }
  viewOf(uri: vscode.Uri): RefineView | undefined {
    return [...this.views].find((v) => v.doc.uri.toString() === uri.toString());
  }

  /** Opens `uri` (an image, or a ground-truth mask of `image`) in the editor. */
  async open(uri: vscode.Uri, link?: { image: vscode.Uri }): Promise<void> {
    if (link) this.imageFor.set(uri.toString(), link.image);
    await vscode.commands.executeCommand('vscode.openWith', uri, REFINE_VIEW_TYPE);
  }

  /** Accept prediction as ground truth: the image in the editor, from the model's mask; its Ctrl+S writes the ground truth (refineSave.ts). */
  async acceptPrediction(image: vscode.Uri): Promise<void> {
    await this.open(image);
  }

  command(c: RefineCommand): void {
    this.active?.command(c);
  }

  async openCustomDocument(uri: vscode.Uri, context: vscode.CustomDocumentOpenContext): Promise<RefineDocument> {
    const backup = context.backupId ? await readBackup(context.backupId).catch((err) => this.deps.log.warn(`refine: backup of ${uri.toString()} not restored: ${(err as Error).message}`)) : undefined;
    const key = uri.toString();
    const image = this.imageFor.get(key) ?? (backup && backup.image.toString() !== key ? backup.image : undefined) ?? (await imageOfMask(uri));
    this.imageFor.delete(key);
    const doc = new RefineDocument(uri, image ?? uri, !!image, backup ? backup.edits : []);
    doc.target = backup?.target ?? doc.target;
    if (doc.groundTruth) doc.written.add(uri.toString());
    return doc;
  }

  async resolveCustomEditor(doc: RefineDocument, panel: vscode.WebviewPanel): Promise<void> {
    const view = new RefineView(doc, panel, this.deps, this, () => {
      this.views.delete(view);
      view.dispose();
    });
    this.views.add(view);
    // The page shows the image at once; the model's answer comes when it comes.
    void view.open().catch((err) => this.deps.log.warn(`refine: opening ${doc.uri.toString()} failed: ${(err as Error).message}`));
  }

  push(doc: RefineDocument, edit: MaskEdit, from?: object): void {
    doc.push(edit, from);
    this.editEmitter.fire({ document: doc, label: EDIT_LABELS[edit.kind], undo: () => doc.undo(), redo: () => doc.redo() });
  }

  /** Save as ground truth: Ctrl+S of the document (so VS Code marks it saved). */
  async saveGroundTruth(doc: RefineDocument): Promise<void> {
    await vscode.workspace.save(doc.uri);
  }

  async saveCustomDocument(doc: RefineDocument): Promise<void> {
    const target = await pickGroundTruthTarget(doc);
    if (!target) throw new Error('no file chosen for the ground truth');
    const bytes = await renderEdited(doc, 'groundTruth', doc.threshold);
    if (!(await writeMask(doc, target, bytes))) throw new Error(`${path.basename(target.path)} was not replaced`);
    doc.target = target;
    doc.markSaved();
    this.savedEmitter.fire({ image: doc.image, groundTruth: target });
  }

  async saveCustomDocumentAs(doc: RefineDocument, destination: vscode.Uri): Promise<void> {
    // The Save As dialog asked before replacing.
    await replaceFile(destination, await renderEdited(doc, 'groundTruth', doc.threshold));
    doc.written.add(destination.toString());
    this.savedEmitter.fire({ image: doc.image, groundTruth: destination });
  }

  async revertCustomDocument(doc: RefineDocument): Promise<void> {
    doc.revert();
  }

  async backupCustomDocument(doc: RefineDocument, context: vscode.CustomDocumentBackupContext): Promise<vscode.CustomDocumentBackup> {
    await writeBackup(context.destination, doc.image, doc.target, doc.edits);
    return {
      id: context.destination.toString(),
      delete: () => void vscode.workspace.fs.delete(context.destination).then(undefined, () => undefined),
    };
  }
}
