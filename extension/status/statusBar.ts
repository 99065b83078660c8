// The status bar item: current mode and its state, every mode in the tooltip, click to switch.
// Rendering is statusText.ts; this file only feeds it and applies the result.
import * as vscode from 'vscode';
import { readConfig } from '../config';
import type { DaemonSupervisor } from '../daemon/daemonSupervisor';
import type { ModelStore } from '../models/modelStore';
import { Disposable } from '../util/dispose';
import { StatusInput, statusText, StatusView } from './statusText';

export class StatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('seglens.status', vscode.StatusBarAlignment.Right, 100));
  private readonly viewEmitter = this._register(new vscode.EventEmitter<StatusView>());
  /** Fires after each render (context keys and tests follow it). */
  readonly onDidRender = this.viewEmitter.event;
  view: StatusView | undefined;

  constructor(
    private readonly supervisor: DaemonSupervisor,
    private readonly store: ModelStore,
  ) {
    super();
    this.item.name = 'SegLens';
    this.item.command = 'seglens.switchMode';
    this._register(supervisor.onDidChangeState(() => this.render()));
    this._register(store.onDidChange(() => this.render()));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('seglens.mode') && this.render()));
    this.render();
  }

  /** Shown once the first look for a running daemon is done, so it never claims "cold" for a warm mode. */
  show(): void {
    this.item.show();
  }

  input(): StatusInput {
    const s = this.supervisor;
    const mode = readConfig().mode;
    return {
      daemon: s.state,
      mode,
      modes: this.store.modeInfos.map((m) => {
        const st = this.store.status(m.id);
        // This machine's measured steady time when the daemon has one, else the catalogue's estimate.
        const typicalMs = st?.steadyMs ?? m.typicalMs;
        return { id: m.id, label: m.label, state: st?.state ?? 'cold', typicalMs, typicalEstimated: st?.steadyMs === undefined, lastInferenceMs: st?.lastInferenceMs, error: st?.error };
      }),
      provider: this.store.provider,
      lastInference: this.store.lastInference,
      daemonError: s.lastError,
      shared: s.connection?.shared ?? readConfig().shared,
      pid: s.connection?.init.pid,
    };
  }

  render(): void {
    const view = statusText(this.input());
    this.view = view;
    this.item.text = view.text;
    this.item.backgroundColor = view.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    // Only SegLens's own commands run from its links: the tooltip shows what a daemon said.
    tooltip.isTrusted = view.trust;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `SegLens: ${view.text.replace(/\$\([^)]*\)\s*/g, '')}. Click to switch mode.` };
    this.viewEmitter.fire(view);
  }
}
