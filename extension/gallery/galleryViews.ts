// The sort and filter chosen for each folder's gallery, in the workspace's state: the page's own
// saved state can come back older than its last change after a reload (the workbench keeps a
// copy of its own), so the extension keeps the view and sends it to the page with `init`.
import type * as vscode from 'vscode';
import type { GalleryView } from '../../media/webview/shared/galleryMessages';

const KEY = 'seglens.gallery.views';
/** Folders remembered; the oldest go first. */
const MAX = 200;

export class GalleryViews {
  constructor(private readonly memento: vscode.Memento | undefined) {}

  private all(): [string, GalleryView][] {
    const v = this.memento?.get<unknown>(KEY);
    return Array.isArray(v) ? (v as [string, GalleryView][]) : [];
  }

  get(folder: vscode.Uri): GalleryView | undefined {
    return this.all().find(([k]) => k === folder.toString())?.[1];
  }

  async set(folder: vscode.Uri, view: GalleryView): Promise<void> {
    const k = folder.toString();
    const list = [[k, view] as [string, GalleryView], ...this.all().filter(([x]) => x !== k)].slice(0, MAX);
    await this.memento?.update(KEY, list);
  }
}
