// The preview's data, apart from the panel: what it reports to the API (results, failures),
// how an image is named in the page's state, and the result as the page receives it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ImageSource, SegmentParams, SegmentResult } from '../../daemon/api/protocol';
import type { InstanceAgreement, ResultPayload } from '../../media/webview/shared/messages';
import type { DaemonSupervisor } from '../daemon/daemonSupervisor';
import type { ModelStore } from '../models/modelStore';

export const PREVIEW_VIEW_TYPE = 'seglens.preview';

export interface PreviewDeps {
  extensionUri: vscode.Uri;
  /** Where the images this workspace's previews opened are remembered (a restored panel opens only those or workspace files). */
  memento?: vscode.Memento;
  supervisor: DaemonSupervisor;
  store: ModelStore;
  log: vscode.LogOutputChannel;
}

/** An image's ground truth from the gallery: a mask file's path, or (instance modes against a COCO file) the agreement it computed. */
export type GroundTruthOf = (file: string) => string | InstanceAgreement | undefined;

/** Images opened from the gallery: ←/→ follow its order; its ground truth gives the "vs ground truth" view. */
export interface PreviewSequence {
  images: vscode.Uri[];
  groundTruth?: GroundTruthOf;
}

export interface PreviewResult {
  uri: vscode.Uri;
  mode: string;
  result: SegmentResult;
}

export interface PreviewFailure {
  uri: vscode.Uri;
  mode: string;
  message: string;
  code?: number;
}

/** What the panel reports (the manager's emitters; tests wait for them). */
export interface PanelEvents {
  result: vscode.EventEmitter<PreviewResult>;
  failure: vscode.EventEmitter<PreviewFailure>;
  /** The compared mode's result arrived. */
  compare: vscode.EventEmitter<{ uri: vscode.Uri; mode: string; result: SegmentResult }>;
  /** A message from the page was refused, with the reason. */
  refused: vscode.EventEmitter<string>;
  /** A provisional result (`fast`'s mask while the chosen mode loads) reached the page. */
  provisional: vscode.EventEmitter<PreviewResult>;
}

/** The mode whose mask is shown provisionally while a cold chosen mode loads (issue 16). */
export const PROVISIONAL_MODE = 'fast';

/** The image's path for the page's state: a file path, or a URI string for other schemes. */
export function statePath(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}
export function uriFromStatePath(p: string): vscode.Uri {
  return /^[a-z][\w+.-]*:\/\//i.test(p) ? vscode.Uri.parse(p) : vscode.Uri.file(p);
}

export function errorInfo(err: unknown): { message: string; code?: number } {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : undefined;
  return { message, code };
}

/** The daemon's result as the page gets it; the task from the mode, else guessed from the classes. */
export function resultPayload(store: ModelStore, uri: vscode.Uri, r: SegmentResult, prepared?: ResultPayload['prepared']): ResultPayload {
  // A prompt mode's mask (issue 25) is a binary one.
  const task = isPromptMode(store, r.mode) ? 'binary' : (store.info(r.mode)?.task ?? (r.classes.length > 2 ? 'semantic' : 'binary'));
  return {
    path: statePath(uri),
    mode: r.mode,
    task,
    width: r.width,
    height: r.height,
    maskPng: r.maskPng,
    classes: r.classes,
    wasWarm: r.wasWarm,
    timings: r.timings,
    prepared,
    confidencePng: r.confidencePng,
    displayImage: r.displayImage,
    instances: r.instances,
  };
}

/** A promptable (SAM-family) mode (issue 25): the refine editor's clicks and boxes, no segment. */
export function isPromptMode(store: Pick<ModelStore, 'info'>, mode: string): boolean {
  return store.info(mode)?.task === 'prompt';
}

/** The image for the daemon: its path for local files, else its bytes read through VS Code. */
export async function imageSource(uri: vscode.Uri): Promise<ImageSource> {
  return uri.scheme === 'file' ? { path: uri.fsPath } : { base64: Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('base64') };
}

/** What the panel asks of a segment besides the mask: the confidence map for the readout of a
 * semantic mode, the display image when the page cannot show the original. */
export function segmentExtras(store: ModelStore, mode: string, display: boolean): Pick<SegmentParams, 'confidence' | 'displayImage'> {
  const extras: Pick<SegmentParams, 'confidence' | 'displayImage'> = {};
  if (store.info(mode)?.task === 'semantic') extras.confidence = true;
  if (display) extras.displayImage = true;
  return extras;
}

/** Asks where to save the mask of `last` and writes it; the saved file's state path, if any. */
export async function saveMask(last: PreviewResult): Promise<string | undefined> {
  const base = path.basename(last.uri.path).replace(/\.[^.]+$/, '');
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(last.uri, '..', `${base}.${last.mode}.mask.png`),
    filters: { 'PNG image': ['png'] },
    title: 'Save segmentation mask',
  });
  if (!target) return undefined;
  try {
    await vscode.workspace.fs.writeFile(target, Buffer.from(last.result.maskPng, 'base64'));
    return statePath(target);
  } catch (err) {
    void vscode.window.showErrorMessage(`SegLens: could not save the mask: ${errorInfo(err).message}`);
    return undefined;
  }
}
