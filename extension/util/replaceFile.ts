// Writing a file the user keeps (a ground-truth mask, an export) whole or not at all: the bytes
// go to a temporary file beside it, then a rename puts it in place. A plain writeFile truncates
// first, so a crash, a full disk, or a reader at the wrong moment (the gallery re-scoring on the
// change event, a tool watching the folder) met an empty or half-written PNG.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export async function replaceFile(target: vscode.Uri, bytes: Uint8Array): Promise<void> {
  const name = target.path.slice(target.path.lastIndexOf('/') + 1);
  const temp = vscode.Uri.joinPath(target, '..', `.${name}.${randomBytes(4).toString('hex')}.seglens-tmp`);
  await vscode.workspace.fs.writeFile(temp, bytes);
  try {
    await vscode.workspace.fs.rename(temp, target, { overwrite: true });
  } catch (e) {
    await vscode.workspace.fs.delete(temp).then(undefined, () => undefined);
    throw e;
  }
}
