// Writing a file the user keeps (a ground-truth mask, an edited export) whole or not at all. A
// plain writeFile truncates first, so a crash, a full disk or a reader at the wrong moment (the
// gallery re-scoring on the change event, a tool watching the folder) met an empty or half-written
// PNG. On disk the daemon's writeFileSafe does it (a temporary file beside, renamed into place);
// another file system writes as it does.
import * as vscode from 'vscode';
import { writeFileSafe } from '../../daemon/util/safeWrite';

export async function replaceFile(target: vscode.Uri, bytes: Uint8Array): Promise<void> {
  if (target.scheme === 'file') await writeFileSafe(target.fsPath, bytes, { overwrite: true });
  else await vscode.workspace.fs.writeFile(target, bytes);
}
