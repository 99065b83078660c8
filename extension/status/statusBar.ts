// The status bar item: current mode and its state, every mode in the tooltip, click to switch.
// Rendering is statusText.ts; this file only feeds it and applies the result.
import * as vscode from 'vscode';
import { readConfig } from '../config';
import type { DaemonSupervisor } from '../daemon/daemonSupervisor';
import type { ModelStore } from '../models/modelStore';
import { StatusInput, statusText, StatusView } from './statusText';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly viewEmitter = new vscode.EventEmitter<StatusView>();
  /** Fires after each render (context keys and tests follow it). */
  readonly onDidRender = this.viewEmitter.event;
  view: StatusView | undefined;

  constructor(
    private readonly supervisor: DaemonSupervisor,
    private readonly store: ModelStore,
  ) {
    this.item = vscode.window.createStatusBarItem('seglens.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'SegLens';
    this.item.command = 'seglens.switchMode';
    this.subscriptions.push(
      this.item,
      this.viewEmitter,
      supervisor.onDidChangeState(() => this.render()),
      store.onDidChange(() => this.render()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('seglens.mode') && this.render()),
    );
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
        return { id: m.id, label: m.label, state: st?.state ?? 'cold', typicalMs: m.typicalMs, lastInferenceMs: st?.lastInferenceMs, error: st?.error };
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

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
