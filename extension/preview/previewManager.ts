// Opens and reuses the one preview panel, and restores it after a window reload on the image
// the page's state names, in the window's mode, as a WebviewPanelSerializer.
import * as vscode from 'vscode';
import type { PanelCommand, PanelState } from '../../media/webview/shared/messages';
import { readConfig } from '../config';
import { Disposable } from '../util/dispose';
import { PREVIEW_VIEW_TYPE, uriFromStatePath } from './previewData';
import type { PanelEvents, PreviewDeps, PreviewFailure, PreviewResult, PreviewSequence } from './previewData';
import { PreviewPanel } from './previewPanel';
import type { ComparedResult } from './compareRun';
import { OpenedUris } from '../util/openedUris';

export class PreviewManager extends Disposable implements vscode.WebviewPanelSerializer<PanelState> {
  private current: PreviewPanel | undefined;
  private readonly resultEmitter = this._register(new vscode.EventEmitter<PreviewResult>());
  private readonly failureEmitter = this._register(new vscode.EventEmitter<PreviewFailure>());
  /** A segmentation result reached the panel (tests wait for it). */
  readonly onDidReceiveResult = this.resultEmitter.event;
  readonly onDidFail = this.failureEmitter.event;
  private readonly compareEmitter = this._register(new vscode.EventEmitter<ComparedResult>());
  private readonly refusedEmitter = this._register(new vscode.EventEmitter<string>());
  private readonly provisionalEmitter = this._register(new vscode.EventEmitter<PreviewResult>());
  /** A provisional result (`fast` while the chosen mode loads) reached the panel. */
  readonly onDidShowProvisional = this.provisionalEmitter.event;
  /** The compared mode's result reached the panel. */
  readonly onDidCompare = this.compareEmitter.event;
  /** A message from the page was refused (the reason). */
  readonly onDidRefuseMessage = this.refusedEmitter.event;
  private readonly opened: OpenedUris;

  constructor(private readonly deps: PreviewDeps) {
    super();
    this.opened = new OpenedUris(deps.memento, 'seglens.preview.openedImages');
    // Registered last, so disposed first: the panel goes before the emitters it fires.
    this._register({ dispose: () => this.current?.panel.dispose() });
  }

  get panel(): vscode.WebviewPanel | undefined {
    return this.current?.panel;
  }
  /** The image the preview shows, when the preview is the active editor. */
  get activeImage(): vscode.Uri | undefined {
    return this.current?.panel.active ? this.current.currentImage : undefined;
  }
  get lastResult(): PreviewResult | undefined {
    return this.current?.last;
  }
  get lastComparison(): ComparedResult | undefined {
    return this.current?.comparison;
  }

  /** A keybinding's command for the page; previous/next are the panel's own. */
  async command(c: PanelCommand | 'previous' | 'next'): Promise<void> {
    const p = this.current;
    if (!p) return;
    if (c === 'previous' || c === 'next') await p.navigate(c === 'next' ? 1 : -1);
    else p.command(c);
  }

  /** The open preview, if any. */
  get active(): PreviewPanel | undefined {
    return this.current;
  }

  async show(uri: vscode.Uri, sequence?: PreviewSequence): Promise<void> {
    await this.opened.add(uri);
    if (this.current) {
      // From the gallery: a preview in the gallery's own group moves beside it, so that both
      // stay in sight (revealed in place it would hide the gallery).
      const sameGroup = this.current.panel.viewColumn === vscode.window.tabGroups.activeTabGroup.viewColumn;
      this.current.panel.reveal(sequence && sameGroup ? vscode.ViewColumn.Beside : undefined, false);
      await this.current.open(uri, sequence);
      return;
    }
    const column = vscode.window.tabGroups.activeTabGroup.activeTab ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = vscode.window.createWebviewPanel(PREVIEW_VIEW_TYPE, 'SegLens', { viewColumn: column, preserveFocus: false }, { enableScripts: true, localResourceRoots: [] });
    this.current = this.adopt(panel, readConfig().mode);
    await this.current.open(uri, sequence);
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
    // The window's mode (as the status bar shows it), not the page's saved one: the workbench may
    // restore a page state saved before the last switch (seen in the e2e run: a reload a few
    // seconds after switching to fast restored balanced), and the panel, which follows
    // seglens.mode only when it changes, would then stay on the older mode.
    this.current = this.adopt(panel, readConfig().mode);
    const p = typeof state?.imagePath === 'string' ? state.imagePath : '';
    if (!p) return;
    // The state comes from the page: reopen only a file of this workspace or one opened here before.
    const uri = uriFromStatePath(p);
    if (this.opened.mayReopen(uri)) await this.current.open(uri);
    else {
      this.deps.log.warn(`preview: not restoring ${p}: not in this workspace and not previewed here before`);
      this.current.showError(`Not reopened: ${p} is not in this workspace and was not previewed here before.`);
    }
  }

  private adopt(panel: vscode.WebviewPanel, mode: string): PreviewPanel {
    const events: PanelEvents = { result: this.resultEmitter, failure: this.failureEmitter, compare: this.compareEmitter, refused: this.refusedEmitter, provisional: this.provisionalEmitter };
    const p = new PreviewPanel(panel, this.deps, mode, events, () => {
      if (this.current === p) this.current = undefined;
    });
    return p;
  }
}
