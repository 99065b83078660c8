// Tells the daemon which mode this window shows (`seglens/selectMode`), on every connection
// and whenever seglens.mode changes: the daemon never unloads a mode some window has selected
// for being idle, so the mode in this window's status bar stays warm while the window is open.
import * as vscode from 'vscode';
import { SelectMode } from '../../daemon/api/protocol';
import { readConfig, SECTION } from '../config';
import type { DaemonSupervisor } from '../daemon/daemonSupervisor';
import { Disposable } from '../util/dispose';

export class ModeSelection extends Disposable {

  constructor(
    private readonly supervisor: DaemonSupervisor,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(supervisor.onDidConnect(() => this.send()));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`${SECTION}.mode`) && this.send()));
  }

  private send(): void {
    const client = this.supervisor.client;
    if (!client) return;
    const mode = readConfig().mode;
    client.request(SelectMode, { mode }).catch((e) => this.log.debug(`seglens/selectMode ${mode}: ${e instanceof Error ? e.message : e}`));
  }
}
