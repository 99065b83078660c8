// What this workspace opened (previewed images, gallery folders), remembered in its
// workspaceState, so that a panel restored after a reload reopens only a workspace file or one
// of these: the restored state comes from the page and could name any path.
import * as vscode from 'vscode';

const MAX = 200;

export class OpenedUris {
  private readonly session = new Set<string>();

  /** `key`: the workspaceState entry (one per kind of panel). */
  constructor(
    private readonly memento: vscode.Memento | undefined,
    private readonly key: string,
  ) {}

  private stored(): string[] {
    const v = this.memento?.get<unknown>(this.key);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  private has(uri: vscode.Uri): boolean {
    const k = uri.toString();
    return this.session.has(k) || this.stored().includes(k);
  }

  /** What a restored panel may reopen: a path of this workspace, or one opened here before. */
  mayReopen(uri: vscode.Uri): boolean {
    return vscode.workspace.getWorkspaceFolder(uri) !== undefined || this.has(uri);
  }

  async add(uri: vscode.Uri): Promise<void> {
    const k = uri.toString();
    this.session.add(k);
    if (!this.memento) return;
    const list = [k, ...this.stored().filter((x) => x !== k)].slice(0, MAX);
    await this.memento.update(this.key, list);
  }
}
