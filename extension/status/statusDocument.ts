// "SegLens: Show Status" opens a read-only virtual document (like `ollama ps`), rendered
// fresh from seglens/status each time it is shown.
import * as vscode from 'vscode';
import type { StatusResult } from '../../daemon/api/protocol';
import { readConfig } from '../config';
import type { DaemonSupervisor } from '../daemon/daemonSupervisor';
import type { ModelStore } from '../models/modelStore';
import { Disposable } from '../util/dispose';
import { statusReport } from './statusReport';

export const STATUS_SCHEME = 'seglens';
export const STATUS_URI = vscode.Uri.from({ scheme: STATUS_SCHEME, path: '/SegLens Status' });

export class StatusDocument extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;
  private text = '';

  constructor(
    private readonly supervisor: DaemonSupervisor,
    private readonly store: ModelStore,
    private readonly socketPath: string,
  ) {
    super();
  }

  provideTextDocumentContent(): string {
    return this.text;
  }

  async show(): Promise<void> {
    await this.supervisor.attach();
    let status: StatusResult | undefined;
    let error = this.supervisor.lastError;
    try {
      status = await this.supervisor.client?.status();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const cfg = readConfig();
    const c = this.supervisor.connection;
    this.text = statusReport({
      daemonState: this.supervisor.state,
      shared: c?.shared ?? cfg.shared,
      socketPath: (c?.shared ?? cfg.shared) ? this.socketPath : undefined,
      daemonVersion: c?.init.daemonVersion,
      status,
      modes: this.store.modeInfos,
      currentMode: cfg.mode,
      error,
    });
    this.changed.fire(STATUS_URI);
    const doc = await vscode.workspace.openTextDocument(STATUS_URI);
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}
