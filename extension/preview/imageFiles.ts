// Which files are images, the images next to one (for previous/next), and picking one from
// the workspace when a command has no image at hand.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { IMAGE_EXTENSIONS as DOTTED } from '../../daemon/api/folder/folderImages';

/** The daemon's image extensions, without the dot (globs, dialog filters). */
export const IMAGE_EXTENSIONS = [...DOTTED].map((e) => e.slice(1));

export function isImage(uri: vscode.Uri): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(uri.path).slice(1).toLowerCase());
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** The images in the folder of `uri`, in the order a file explorer shows them. */
export async function siblingImages(uri: vscode.Uri): Promise<vscode.Uri[]> {
  const folder = vscode.Uri.joinPath(uri, '..');
  try {
    const entries = await vscode.workspace.fs.readDirectory(folder);
    return entries
      .filter(([name, type]) => type & vscode.FileType.File && isImage(vscode.Uri.joinPath(folder, name)))
      .map(([name]) => name)
      .sort(collator.compare)
      .map((name) => vscode.Uri.joinPath(folder, name));
  } catch {
    return [uri];
  }
}

/** The image the user is looking at: an explorer selection, VS Code's image preview, a tab. */
export function imageAtHand(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri && isImage(arg)) return arg;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && isImage(input.uri)) return input.uri;
  if (input instanceof vscode.TabInputText && isImage(input.uri)) return input.uri;
  return undefined;
}

export async function pickWorkspaceImage(): Promise<vscode.Uri | undefined> {
  const files = await vscode.workspace.findFiles(`**/*.{${IMAGE_EXTENSIONS.join(',')}}`, '**/{node_modules,.git}/**', 2_000);
  if (files.length === 0) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Preview Segmentation',
      filters: { Images: IMAGE_EXTENSIONS },
    });
    return picked?.[0];
  }
  files.sort((a, b) => collator.compare(vscode.workspace.asRelativePath(a), vscode.workspace.asRelativePath(b)));
  const pick = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: path.basename(uri.path), description: vscode.workspace.asRelativePath(vscode.Uri.joinPath(uri, '..')), uri })),
    { title: 'SegLens: Preview Segmentation', placeHolder: 'Image to segment', matchOnDescription: true },
  );
  return pick?.uri;
}
