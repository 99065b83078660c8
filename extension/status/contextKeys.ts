// Mirrors daemon and mode state into context keys, for when-clauses in menus and keybindings:
// seglens.daemonState (idle|starting|ready|restarting|failed), seglens.modeState (cold|loading|warming|warm|failed|unknown).
import * as vscode from 'vscode';
import type { StatusView } from './statusText';
import type { DaemonState } from './statusText';

export class ContextKeys {
  private daemon: string | undefined;
  private mode: string | undefined;

  update(daemon: DaemonState, view: StatusView): void {
    if (daemon !== this.daemon) {
      this.daemon = daemon;
      void vscode.commands.executeCommand('setContext', 'seglens.daemonState', daemon);
    }
    if (view.modeState !== this.mode) {
      this.mode = view.modeState;
      void vscode.commands.executeCommand('setContext', 'seglens.modeState', view.modeState);
    }
  }
}
