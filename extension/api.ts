// What activate() returns: a small read-only window onto the extension's state, for the
// integration tests (test/vscode) and for nothing else.
import type * as vscode from 'vscode';
import type { DaemonClient } from '../daemon/api/client';
import type { DefineModesResult, ModeState } from '../daemon/api/protocol';
import type { PreviewFailure, PreviewResult } from './preview/previewData';
import type { ComparedResult } from './preview/compareRun';
import type { DaemonState } from './status/statusText';
import type { ExportFormat } from '../daemon/api/exports/render';
import type { ProgressInfo, TileInfo } from '../media/webview/shared/galleryMessages';

export interface SegLensState {
  daemon: DaemonState;
  mode: string;
  modeState: ModeState | 'unknown';
  /** The status bar item's text as rendered. */
  statusText: string;
  statusError: boolean;
  modes: Record<string, ModeState>;
  /** pid of the connected daemon. */
  pid?: number;
}

export interface SegLensApi {
  getState(): SegLensState;
  /** Fires whenever the status bar re-renders (daemon or mode state changed). */
  onDidChangeState: vscode.Event<SegLensState>;
  daemonClient(): DaemonClient | undefined;
  preview: {
    onDidReceiveResult: vscode.Event<PreviewResult>;
    onDidFail: vscode.Event<PreviewFailure>;
    lastResult(): PreviewResult | undefined;
    panel(): vscode.WebviewPanel | undefined;
    /** The compared (second) mode's result reached the panel. */
    onDidCompare: vscode.Event<ComparedResult>;
    lastComparison(): ComparedResult | undefined;
    /** A message from the page was refused (the reason). */
    onDidRefuseMessage: vscode.Event<string>;
    /** `fast`'s provisional mask reached the panel while the chosen mode loaded. */
    onDidShowProvisional: vscode.Event<PreviewResult>;
    /** A message as if the page had sent it: it goes through the same checks. */
    receiveForTest(m: unknown): Promise<void>;
    /** Restores a panel from a page state as after a reload; the image it opened, if any. */
    restoreForTest(state: unknown): Promise<vscode.Uri | undefined>;
  };
  /** SegLens: Segment Folder… (issue 15). */
  gallery: {
    /** Opens the folder's gallery and resolves once its run ended, with its tiles. */
    run(folder: vscode.Uri): Promise<TileInfo[]>;
    exportReportForTest(folder: vscode.Uri, target: vscode.Uri): Promise<string | undefined>;
    exportMasksForTest(folder: vscode.Uri, formats: ExportFormat[], out: string): Promise<number>;
    /** Opens the folder's gallery and presses the page's Cancel once `done` images are done; resolves when the run ended. */
    cancelAfterForTest(folder: vscode.Uri, done: number): Promise<{ progress: ProgressInfo | undefined; tiles: TileInfo[] }>;
    /** Restores a gallery from a page's saved state, as after a window reload; resolves once its run ended. */
    restoreForTest(state: unknown): Promise<{ folder: string; tiles: TileInfo[] } | undefined>;
  };
  /** The mask editor (issue 22). */
  refine: {
    /** A ground truth was written (Ctrl+S, Save as ground truth). */
    onDidSaveGroundTruth: vscode.Event<{ image: vscode.Uri; groundTruth: vscode.Uri }>;
    /** The open document of `uri`: its image, whether it is a ground-truth file, its edits, its starting mask once known. */
    documentForTest(uri: vscode.Uri): { image: vscode.Uri; groundTruth: boolean; edits: number; base?: { width: number; height: number } } | undefined;
    /** A message as if the editor's page had sent it (the same checks). */
    receiveForTest(uri: vscode.Uri, m: unknown): Promise<void>;
    /** The edited mask rendered as a ground-truth file holds it. */
    renderForTest(uri: vscode.Uri): Promise<Uint8Array | undefined>;
    /** Save as… `format` to `target` without the dialogs (what the page's Save as… writes). */
    exportForTest(uri: vscode.Uri, format: 'mask' | 'binary' | 'cutout', target: vscode.Uri): Promise<vscode.Uri | undefined>;
  };
  /** seglens.customModels as applied to the daemon (defineModes answers). */
  customModels: {
    onDidDefine: vscode.Event<DefineModesResult>;
    lastResult(): DefineModesResult | undefined;
  };
}
