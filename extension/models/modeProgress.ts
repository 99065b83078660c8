// A progress notification for work that loads or warms a mode, whose message follows the
// daemon's seglens/modelState notifications ("Loading model…", then "Warming up…").
import * as vscode from 'vscode';
import type { ModeState } from '../../daemon/api/protocol';
import type { ModelStore } from './modelStore';

export function phaseMessage(state: ModeState | undefined): string | undefined {
  if (state === 'loading') return 'Loading model…';
  if (state === 'warming') return 'Warming up…';
  return undefined;
}

export function withModeProgress<T>(
  store: ModelStore,
  mode: string,
  title: string,
  task: () => Promise<T>,
  location: vscode.ProgressLocation = vscode.ProgressLocation.Notification,
): Thenable<T> {
  return vscode.window.withProgress({ location, title }, async (progress) => {
    progress.report({ message: phaseMessage(store.status(mode)?.state) ?? 'Starting…' });
    const sub = store.onDidChange((s) => {
      const message = s?.mode === mode ? phaseMessage(s.state) : undefined;
      if (message) progress.report({ message });
    });
    try {
      return await task();
    } finally {
      sub.dispose();
    }
  });
}
