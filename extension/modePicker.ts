// The mode quick pick (status bar click, "SegLens: Switch Mode", the panel's selector):
// every mode with its state and typical time; choosing stores seglens.mode and warms it.
import * as vscode from 'vscode';
import type { ModeState } from '../daemon/protocol';
import { readConfig, storeMode } from './config';
import type { DaemonSupervisor } from './daemonSupervisor';
import { withModeProgress } from './modeProgress';
import type { ModelStore } from './modelStore';
import { formatMs } from './statusText';

const STATE_ICONS: Record<ModeState, string> = {
  warm: '$(flame)',
  warming: '$(loading~spin)',
  loading: '$(loading~spin)',
  cold: '$(circle-outline)',
  failed: '$(error)',
};

interface ModeItem extends vscode.QuickPickItem {
  mode: string;
}

export async function pickMode(supervisor: DaemonSupervisor, store: ModelStore): Promise<string | undefined> {
  // Cheap and honest: attach to a running shared daemon so states (and labels) are real.
  await supervisor.attach();
  await store.refresh().catch(() => undefined);
  const current = readConfig().mode;
  const items: ModeItem[] = store.modeInfos.map((m) => {
    const state = store.state(m.id);
    return {
      mode: m.id,
      label: `${STATE_ICONS[state]} ${m.label}`,
      // The id is what the status bar and the setting show; the e2e scenarios find rows by it.
      description: [m.id === current ? 'current' : undefined, m.id, state, m.typicalMs ? `~${formatMs(m.typicalMs)}` : undefined].filter(Boolean).join(' · '),
      detail: m.description || undefined,
    };
  });
  const pick = vscode.window.createQuickPick<ModeItem>();
  pick.title = 'SegLens: Switch Mode';
  pick.placeholder = `Segmentation mode (current: ${current})`;
  pick.items = items;
  pick.activeItems = items.filter((i) => i.mode === current);
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  return new Promise<string | undefined>((resolve) => {
    pick.onDidAccept(() => {
      resolve(pick.selectedItems[0]?.mode);
      pick.hide();
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
}

/** Stores the mode and brings it to warm, with a progress notification. */
export async function switchToMode(supervisor: DaemonSupervisor, store: ModelStore, mode: string): Promise<void> {
  await storeMode(mode);
  await withModeProgress(store, mode, `SegLens: ${mode}`, async () => {
    const client = await supervisor.ensureClient();
    await client.ensureReady(mode);
  });
}
