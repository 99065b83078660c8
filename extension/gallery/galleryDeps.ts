// What a gallery panel needs from the rest of the extension, given by GalleryManager: a leaf
// that the panel, its exports and the manager import (as preview/previewData.ts is for the preview).
import type * as vscode from 'vscode';
import type { DaemonSupervisor } from '../daemon/daemonSupervisor';
import type { ModelStore } from '../models/modelStore';
import type { GroundTruthOf } from '../preview/previewData';

export interface GalleryDeps {
  extensionUri: vscode.Uri;
  supervisor: DaemonSupervisor;
  store: ModelStore;
  log: vscode.LogOutputChannel;
  version: string;
  /** Where the folders opened here are remembered (workspaceState). */
  memento?: vscode.Memento;
  /** Opens the preview at `uri`; ←/→ there walk `sequence`; `groundTruth` gives an image's ground-truth file. */
  openPreview(uri: vscode.Uri, sequence: vscode.Uri[], groundTruth: GroundTruthOf): Promise<void>;
  /** Opens `image`'s ground truth `gt` in the refine editor, or with none the image itself (its Ctrl+S writes the first ground truth). */
  openRefine(image: vscode.Uri, gt: vscode.Uri | undefined): Promise<void>;
}
