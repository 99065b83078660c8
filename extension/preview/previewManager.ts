// Opens and reuses the one preview panel, and restores it after a window reload from the
// state the page keeps (image path and mode), as a WebviewPanelSerializer.
import * as vscode from 'vscode';
import type { PanelState } from '../../media/webview/messages';
import { readConfig } from '../config';
import { Disposable } from '../util/dispose';
import { PREVIEW_VIEW_TYPE, uriFromStatePath } from './previewData';
import type { PreviewDeps, PreviewFailure, PreviewResult } from './previewData';
import { PreviewPanel } from './previewPanel';

export class PreviewManager extends Disposable implements vscode.WebviewPanelSerializer<PanelState> {
  private current: PreviewPanel | undefined;
  private readonly resultEmitter = this._register(new vscode.EventEmitter<PreviewResult>());
  private readonly failureEmitter = this._register(new vscode.EventEmitter<PreviewFailure>());
  /** A segmentation result reached the panel (tests wait for it). */
  readonly onDidReceiveResult = this.resultEmitter.event;
  readonly onDidFail = this.failureEmitter.event;

  constructor(private readonly deps: PreviewDeps) {
    super();
    // Registered last, so disposed first: the panel goes before the emitters it fires.
    this._register({ dispose: () => this.current?.panel.dispose() });
  }

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
}
