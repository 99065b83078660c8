// One refine document (issue 22): the mask of an image being edited. It holds the starting
// mask (the model's output, or the ground truth file as opened) and the edits in force; the
// mask itself is the start with the edits replayed (media/webview/shared/maskEdit.ts), so the
// extension saves it with or without a page. VS Code keeps the undo stack (one entry per edit).
import * as vscode from 'vscode';
import type { ClassInfo } from '../../daemon/api/protocol';
import { EditHistory, MaskEditor } from '../../media/webview/shared/maskEdit';
import type { MaskEdit } from '../../media/webview/shared/maskEdit';
import { Disposable } from '../util/dispose';

export interface RefineBase {
  pixels: Uint8Array;
  width: number;
  height: number;
  /** An instance mode's id map is edited as a class map (maskKind). */
  task: 'binary' | 'semantic';
  classes: ClassInfo[];
}

/** What changed, for the views of the document: one edit added, or the edits in force replaced. */
export type DocumentChange = { edit: MaskEdit; from?: object } | { edits: readonly MaskEdit[] } | { base: RefineBase };

export class RefineDocument extends Disposable implements vscode.CustomDocument {
  private readonly history: EditHistory<MaskEdit>;
  /** The edits in force when last saved (or opened). */
  private saved: readonly MaskEdit[];
  private startingBase: RefineBase | undefined;
  /** Where Ctrl+S writes: a ground-truth document's own file; an image's ground truth once chosen. */
  target: vscode.Uri | undefined;
  /** Files written by this document: replaced later without asking again. */
  readonly written = new Set<string>();
  /** The page's threshold as last seen (binary ground truth is saved at it). */
  threshold = 0.5;
  private readonly changeEmitter = this._register(new vscode.EventEmitter<DocumentChange>());
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    readonly uri: vscode.Uri,
    /** The image the mask is of (the document's own file, or the image of a ground-truth file). */
    readonly image: vscode.Uri,
    /** The document is a ground-truth mask file (edited over its image). */
    readonly groundTruth: boolean,
    edits: readonly MaskEdit[] = [],
  ) {
    super();
    this.history = new EditHistory(edits);
    this.saved = [];
    if (groundTruth) this.target = uri;
  }

  get base(): RefineBase | undefined {
    return this.startingBase;
  }
  get edits(): readonly MaskEdit[] {
    return this.history.applied;
  }

  setBase(base: RefineBase): void {
    this.startingBase = base;
    this.changeEmitter.fire({ base });
  }

  /** Adds an edit; `from` (the view that drew it already) is not sent it again. */
  push(edit: MaskEdit, from?: object): void {
    this.history.push(edit);
    this.changeEmitter.fire({ edit, from });
  }
  undo(): void {
    if (this.history.undo()) this.changeEmitter.fire({ edits: this.edits });
  }
  redo(): void {
    if (this.history.redo()) this.changeEmitter.fire({ edits: this.edits });
  }
  markSaved(): void {
    this.saved = this.edits;
  }
  /** Revert: the edits as they were when last saved (none: the file as opened, or the model's output). */
  revert(): void {
    this.history.reset(this.saved);
    this.changeEmitter.fire({ edits: this.edits });
  }

  /** The edited mask, one byte per pixel; undefined before the starting mask is known. */
  mask(): Uint8Array | undefined {
    const b = this.startingBase;
    return b && MaskEditor.replay(b.pixels, b.width, b.height, this.edits).mask;
  }
}
