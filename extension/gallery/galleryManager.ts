// SegLens: Segment Folder…: one gallery panel per folder (reused when the folder is opened
// again), and the link to the preview: a tile opens the preview at its image with the
// gallery's order for ←/→ and its ground truth for the "vs ground truth" view.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkRule } from '../../daemon/api/folder/groundTruth';
import type { DaemonSupervisor } from '../daemon/daemonSupervisor';
import type { ModelStore } from '../models/modelStore';
import { Disposable } from '../util/dispose';
import { GalleryPanel } from './galleryPanel';

export const GALLERY_VIEW_TYPE = 'seglens.gallery';

export interface GalleryDeps {
  extensionUri: vscode.Uri;
  supervisor: DaemonSupervisor;
  store: ModelStore;
  log: vscode.LogOutputChannel;
  version: string;
  /** Opens the preview at `uri`; ←/→ there walk `sequence`; `groundTruth` gives an image's ground-truth file. */
  openPreview(uri: vscode.Uri, sequence: vscode.Uri[], groundTruth: (file: string) => string | undefined): Promise<void>;
}

export class GalleryManager extends Disposable {
  private readonly panels = new Map<string, GalleryPanel>();

  constructor(private readonly deps: Omit<GalleryDeps, 'openPreview'> & { openPreview: GalleryDeps['openPreview'] }) {
    super();
    this._register({ dispose: () => [...this.panels.values()].forEach((p) => p.panel.dispose()) });
  }

  /** The gallery of `folder` (tests read it). */
  panelFor(folder: vscode.Uri): GalleryPanel | undefined {
    return this.panels.get(folder.fsPath);
  }

  /** Opens (or reveals) the folder's gallery and runs the folder. */
  async show(folder: vscode.Uri): Promise<GalleryPanel> {
    const rule = vscode.workspace.getConfiguration('seglens').get<string>('groundTruth') || 'auto';
    const bad = checkRule(rule);
    if (bad) void vscode.window.showWarningMessage(`SegLens: seglens.groundTruth: ${bad}; scoring is off until it is fixed.`);
    let p = this.panels.get(folder.fsPath);
    if (p) p.panel.reveal(undefined, false);
    else {
      const panel = vscode.window.createWebviewPanel(GALLERY_VIEW_TYPE, `SegLens: ${path.basename(folder.fsPath)}`, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [] });
      const created = new GalleryPanel(panel, folder, this.deps, () => this.panels.delete(folder.fsPath));
      this.panels.set(folder.fsPath, created);
      p = created;
    }
    p.running = p.start().catch((e) => this.deps.log.error(`gallery of ${folder.fsPath}: ${(e as Error).message}`));
    return p;
  }
}

/** The folder a command was given (Explorer selection), else the one the user picks. */
export async function folderAtHand(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) {
    const st = await vscode.workspace.fs.stat(arg).then(
      (s) => s,
      () => undefined,
    );
    if (st && st.type & vscode.FileType.Directory) return arg;
    if (st) return vscode.Uri.joinPath(arg, '..');
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: 'Segment Folder',
    title: 'SegLens: Segment Folder…',
  });
  return picked?.[0];
}
