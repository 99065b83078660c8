// SegLens: Segment Folder…: one gallery panel per folder (reused when the folder is opened
// again), and the link to the preview: a tile opens the preview at its image with the
// gallery's order for ←/→ and its ground truth for the "vs ground truth" view.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkRule } from '../../daemon/api/folder/groundTruth';
import { cocoGroundTruthFile } from './instanceFolder';
import type { GalleryState } from '../../media/webview/shared/galleryMessages';
import { Disposable } from '../util/dispose';
import { OpenedUris } from '../util/openedUris';
import type { GalleryDeps } from './galleryDeps';
import { GalleryPanel } from './galleryPanel';

export const GALLERY_VIEW_TYPE = 'seglens.gallery';

export class GalleryManager extends Disposable implements vscode.WebviewPanelSerializer<GalleryState> {
  private readonly panels = new Map<string, GalleryPanel>();
  private readonly opened: OpenedUris;

  constructor(private readonly deps: Omit<GalleryDeps, 'openPreview'> & { openPreview: GalleryDeps['openPreview'] }) {
    super();
    this.opened = new OpenedUris(deps.memento, 'seglens.gallery.openedFolders');
    this._register({ dispose: () => [...this.panels.values()].forEach((p) => p.panel.dispose()) });
  }

  /** The gallery of `folder` (tests read it). */
  /** A ground truth was written for `image`: every gallery that shows it scores it again. */
  async rescore(image: vscode.Uri, groundTruth: vscode.Uri): Promise<void> {
    await Promise.all([...this.panels.values()].map((p) => p.rescore(image.fsPath, groundTruth.fsPath)));
  }

  panelFor(folder: vscode.Uri): GalleryPanel | undefined {
    return this.panels.get(folder.fsPath);
  }

  /** Opens (or reveals) the folder's gallery and runs the folder. */
  async show(folder: vscode.Uri): Promise<GalleryPanel> {
    const rule = vscode.workspace.getConfiguration('seglens').get<string>('groundTruth') || 'auto';
    const bad = cocoGroundTruthFile(rule, folder.fsPath) ? undefined : checkRule(rule);
    if (bad) void vscode.window.showWarningMessage(`SegLens: seglens.groundTruth: ${bad}; scoring is off until it is fixed.`);
    await this.opened.add(folder);
    let p = this.panels.get(folder.fsPath);
    if (p) p.panel.reveal(undefined, false);
    else p = this.adopt(vscode.window.createWebviewPanel(GALLERY_VIEW_TYPE, `SegLens: ${path.basename(folder.fsPath)}`, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [] }), folder);
    return this.run(p);
  }

  /**
   * After a window reload: the gallery comes back on its folder, its earlier results from the
   * daemon's result cache, and runs what is new or changed, as when the folder is opened again.
   */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: GalleryState | undefined): Promise<void> {
    const folder = restorable(state);
    // The state comes from the page: only a folder of this workspace, or one whose gallery was
    // opened here before, is reopened, and only once.
    if (!folder || !this.opened.mayReopen(folder) || this.panels.has(folder.fsPath)) {
      if (folder) this.deps.log.warn(`gallery: not restoring ${folder.fsPath}: not in this workspace and not opened here before, or open already`);
      panel.dispose();
      return;
    }
    await this.run(this.adopt(panel, folder)).running;
  }

  private adopt(panel: vscode.WebviewPanel, folder: vscode.Uri): GalleryPanel {
    const created = new GalleryPanel(panel, folder, this.deps, () => this.panels.delete(folder.fsPath));
    this.panels.set(folder.fsPath, created);
    return created;
  }

  private run(p: GalleryPanel): GalleryPanel {
    p.running = p.start().catch((e) => this.deps.log.error(`gallery of ${p.folder.fsPath}: ${(e as Error).message}`));
    return p;
  }
}

/** The folder a saved gallery state names, if it is an absolute path. */
export function restorable(state: GalleryState | undefined): vscode.Uri | undefined {
  const p = typeof state?.path === 'string' ? state.path : '';
  return p && path.isAbsolute(p) ? vscode.Uri.file(p) : undefined;
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
