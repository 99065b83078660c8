// Saving an edited mask (issue 22): as `mask`, `binary` or `cutout` (the CLI's formats, rendered
// by daemon/api/exports/render.ts as the gallery's exports are), or as the image's ground truth
// (binary: 0/255 at the page's threshold; semantic: class indices, as the ground-truth reader
// reads them). Each asks before it replaces a file this document did not write.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExportFormat, greyPng, renderExports } from '../../daemon/api/exports/render';
import type { RefineDocument } from './refineDocument';
import { groundTruthTarget } from './groundTruthPaths';
import { replaceFile } from '../util/replaceFile';

export const SAVE_FORMATS = ['mask', 'binary', 'cutout'] as const;
export type SaveFormat = (typeof SAVE_FORMATS)[number];

const exists = async (uri: vscode.Uri) =>
  vscode.workspace.fs.stat(uri).then(
    () => true,
    () => false,
  );

/** The PNG of the edited mask in `format` ('groundTruth': what a ground-truth file holds). */
export async function renderEdited(doc: RefineDocument, format: SaveFormat | 'groundTruth', threshold: number): Promise<Uint8Array> {
  const base = doc.base;
  const mask = doc.mask();
  if (!base || !mask) throw new Error('the mask is not there yet (the model has not answered)');
  const kind: ExportFormat = format === 'groundTruth' ? (base.task === 'binary' ? 'binary' : 'mask') : format;
  const maskPng = (await greyPng(mask, base.width, base.height)).toString('base64');
  const image = doc.image.scheme === 'file' ? doc.image.fsPath : await vscode.workspace.fs.readFile(doc.image);
  const { files } = await renderExports([kind], { maskPng, width: base.width, height: base.height, classes: base.classes }, base.task, image, threshold);
  return files[0][1];
}

/** True when `target` may be written: new, written by this document before, or the user said so. */
export async function mayReplace(doc: RefineDocument, target: vscode.Uri): Promise<boolean> {
  if (doc.written.has(target.toString()) || !(await exists(target))) return true;
  const choice = await vscode.window.showWarningMessage(
    `${path.basename(target.path)} already exists. Replace it?`,
    { modal: true, detail: `SegLens would overwrite ${target.scheme === 'file' ? target.fsPath : target.toString()} with the edited mask.` },
    'Replace',
  );
  return choice === 'Replace';
}

/** Writes `bytes` to `target` after asking as needed; false when the user declined. */
export async function writeMask(doc: RefineDocument, target: vscode.Uri, bytes: Uint8Array): Promise<boolean> {
  if (!(await mayReplace(doc, target))) return false;
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(target, '..'));
  await replaceFile(target, bytes);
  doc.written.add(target.toString());
  return true;
}

/** Where the image's ground truth goes: the rule's path, else the user picks (undefined: cancelled). */
export async function pickGroundTruthTarget(doc: RefineDocument): Promise<vscode.Uri | undefined> {
  if (doc.target) return doc.target;
  const known = doc.image.scheme === 'file' ? groundTruthTarget(doc.image.fsPath) : undefined;
  if (known) return vscode.Uri.file(known);
  const stem = path.basename(doc.image.path).replace(/\.[^.]*$/, '');
  return vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(doc.image, '..', `${stem}.png`),
    filters: { 'PNG image': ['png'] },
    title: 'Save the mask as ground truth (no masks/ folder beside the images, and seglens.groundTruth names no file)',
    saveLabel: 'Save ground truth',
  });
}

/** Asks for a format and a file, and writes the edited mask there (the document stays as it is). */
export async function exportEdited(doc: RefineDocument, threshold: number, format?: SaveFormat, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const labels: Record<SaveFormat, string> = { mask: 'the mask (alpha, or class indices)', binary: '0/255 at the threshold', cutout: 'the image with the mask as alpha' };
  format ??= (await vscode.window.showQuickPick(SAVE_FORMATS.map((f) => ({ label: f, description: labels[f] })), { title: 'SegLens: save the edited mask as' }))?.label as SaveFormat | undefined;
  if (!format) return undefined;
  const stem = path.basename(doc.image.path).replace(/\.[^.]*$/, '');
  // The save dialog itself asks before replacing a file.
  target ??= await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(doc.image, '..', `${stem}.${format}.png`), filters: { 'PNG image': ['png'] }, title: `Save the edited ${format}` });
  if (!target) return undefined;
  await replaceFile(target, await renderEdited(doc, format, threshold));
  doc.written.add(target.toString());
  return target;
}
