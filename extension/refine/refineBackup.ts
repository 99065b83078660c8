// A refine document's unsaved edits as a file (hot exit: VS Code asks backupCustomDocument, and
// gives the backup back to openCustomDocument after a reload). A box's region mask and a prompt
// answer's mask (issue 25) are base64.
import * as vscode from 'vscode';
import type { MaskEdit, Rect } from '../../media/webview/shared/maskEdit';
import { checkRect } from './refineChecks';

interface BackupFile {
  version: 1;
  image: string;
  target?: string;
  edits: unknown[];
}

const toJson = (e: MaskEdit): unknown => (e.kind === 'box' || e.kind === 'prompt' ? { ...e, mask: Buffer.from(e.mask).toString('base64') } : e);

export async function writeBackup(dest: vscode.Uri, image: vscode.Uri, target: vscode.Uri | undefined, edits: readonly MaskEdit[]): Promise<void> {
  const file: BackupFile = { version: 1, image: image.toString(), target: target?.toString(), edits: edits.map(toJson) };
  await vscode.workspace.fs.writeFile(dest, Buffer.from(JSON.stringify(file)));
}

/** A box edit back from JSON; other edits were checked when the page sent them and are kept as they are. */
function fromJson(e: unknown): MaskEdit {
  const o = e as MaskEdit & { mask?: string };
  // The size of a prompt answer's mask is checked against the image when the editor replays it.
  if (o.kind === 'prompt') return { ...o, mask: new Uint8Array(Buffer.from(String(o.mask), 'base64')) };
  if (o.kind !== 'box') return o;
  const box = o as unknown as { box: unknown; region: unknown; mask: string; clearOutside: boolean };
  const region = checkRect(box.region, { width: 1e6, height: 1e6 });
  if (typeof region === 'string') throw new Error(`backup: ${region}`);
  const mask = Buffer.from(box.mask, 'base64');
  if (mask.length !== region.width * region.height) throw new Error('backup: a box mask of the wrong size');
  return { kind: 'box', box: box.box as Rect, region, mask: new Uint8Array(mask), clearOutside: !!box.clearOutside };
}

export async function readBackup(id: string): Promise<{ image: vscode.Uri; target?: vscode.Uri; edits: MaskEdit[] }> {
  const file = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.parse(id))).toString('utf8')) as BackupFile;
  if (file.version !== 1 || !Array.isArray(file.edits)) throw new Error('not a SegLens refine backup');
  return { image: vscode.Uri.parse(file.image), target: file.target ? vscode.Uri.parse(file.target) : undefined, edits: file.edits.map(fromJson) };
}
