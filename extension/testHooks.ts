// TEST ONLY: what the extension's suites drive beyond what a user can do, gathered here instead
// of in the product classes: a page's message or saved state handed in directly, the exports
// without their dialogs, the gallery's Cancel pressed at a count. The API exposes these as its
// `*ForTest` members (api.ts); each goes through the same checks and code as the real thing.
import * as vscode from 'vscode';
import type { ExportFormat } from '../daemon/api/exports/render';
import type { GalleryState, ProgressInfo, TileInfo } from '../media/webview/shared/galleryMessages';
import type { PanelState } from '../media/webview/shared/messages';
import { GALLERY_VIEW_TYPE, GalleryManager, restorable } from './gallery/galleryManager';
import { PREVIEW_VIEW_TYPE } from './preview/previewData';
import type { PreviewManager } from './preview/previewManager';

const newPanel = (viewType: string) => vscode.window.createWebviewPanel(viewType, 'SegLens', vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [] });

export function previewTestHooks(previews: PreviewManager) {
  return {
    /** A message as if the page had sent it (it goes through the same checks). */
    receiveForTest: async (m: unknown): Promise<void> => {
      await previews.active?.receive(m);
    },
    /** Restores a panel from `state` as after a window reload; the image it opened, if any. */
    restoreForTest: async (state: unknown): Promise<vscode.Uri | undefined> => {
      previews.panel?.dispose();
      await previews.deserializeWebviewPanel(newPanel(PREVIEW_VIEW_TYPE), state as PanelState);
      return previews.active?.currentImage;
    },
  };
}

export function galleryTestHooks(galleries: GalleryManager) {
  return {
    exportReportForTest: async (folder: vscode.Uri, target: vscode.Uri) => galleries.panelFor(folder)?.exportReport(target),
    exportMasksForTest: async (folder: vscode.Uri, formats: ExportFormat[], out: string) => (await galleries.panelFor(folder)?.exportMasks({ formats, out })) ?? 0,
    /** Opens the folder's gallery and presses the page's Cancel (through the same checks) once `done` images are done. */
    cancelAfterForTest: async (folder: vscode.Uri, done: number): Promise<{ progress: ProgressInfo | undefined; tiles: TileInfo[] }> => {
      const g = await galleries.show(folder);
      const sub = g.onDidProgress((p) => p.done >= done && p.running && void g.receive({ type: 'cancel' }));
      try {
        await g.running;
      } finally {
        sub.dispose();
      }
      return { progress: g.progress, tiles: g.tiles };
    },
    /** Restores a gallery from `state` as after a window reload (its run ended); undefined if refused. */
    restoreForTest: async (state: unknown): Promise<{ folder: string; tiles: TileInfo[] } | undefined> => {
      const folder = restorable(state as GalleryState);
      if (folder) galleries.panelFor(folder)?.panel.dispose();
      await galleries.deserializeWebviewPanel(newPanel(GALLERY_VIEW_TYPE), state as GalleryState);
      const g = folder && galleries.panelFor(folder);
      return g ? { folder: g.folder.fsPath, tiles: g.tiles } : undefined;
    },
  };
}
