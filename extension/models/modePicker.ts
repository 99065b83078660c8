// The mode quick pick (status bar click, "SegLens: Switch Mode", the panel's selector):
// every mode with its state and typical time; choosing stores seglens.mode and warms it.
import * as vscode from 'vscode';
import type { ModeInfo, ModeState } from '../../daemon/api/protocol';
import { readConfig, storeMode } from '../config';
import type { DaemonSupervisor } from '../daemon/daemonSupervisor';
import { withModeProgress } from './modeProgress';
import type { ModelStore } from './modelStore';
import { formatMs } from '../status/statusText';

const STATE_ICONS: Record<ModeState, string> = {
  warm: '$(flame)',
  warming: '$(loading~spin)',
  loading: '$(loading~spin)',
  cold: '$(circle-outline)',
  failed: '$(error)',
};

interface ModeItem extends vscode.QuickPickItem {
  mode?: string;
  /** A command row (Add Model…) rather than a mode. */
  command?: string;
}

export async function pickMode(supervisor: DaemonSupervisor, store: ModelStore): Promise<string | undefined> {
  // Cheap and honest: attach to a running shared daemon so states (and labels) are real.
  await supervisor.attach();
  await store.refresh().catch(() => undefined);
  const current = readConfig().mode;
  const row = (m: ModeInfo): ModeItem => {
    const state = store.state(m.id);
    // This machine's measured steady time (daemon), else the catalogue's estimate, said as such.
    const steady = store.status(m.id)?.steadyMs;
    const typical = steady !== undefined ? `~${formatMs(steady)}` : m.typicalMs ? `~${formatMs(m.typicalMs)} (estimate)` : undefined;
    return {
      mode: m.id,
      label: `${STATE_ICONS[state]} ${m.label}`,
      // The id is what the status bar and the setting show; the e2e scenarios find rows by it.
      description: [m.id === current ? 'current' : undefined, m.id, state, typical].filter(Boolean).join(' · '),
      detail: m.description || undefined,
    };
  };
  const builtin = store.modeInfos.filter((m) => !m.custom).map(row);
  const custom = store.modeInfos.filter((m) => m.custom).map(row);
  const items: ModeItem[] = [
    ...builtin,
    { label: 'Your models', kind: vscode.QuickPickItemKind.Separator },
    ...custom,
    // Untrusted, Add Model… would only refuse: offer the way to trust the workspace instead.
    vscode.workspace.isTrusted
      ? { label: '$(add) Add Model…', description: 'an ONNX file of your own', command: 'seglens.addModel', alwaysShow: true }
      : {
          label: '$(workspace-untrusted) Manage Workspace Trust…',
          description: 'your own models are used only in a trusted workspace',
          command: 'workbench.trust.manage',
          alwaysShow: true,
        },
  ];
  const pick = vscode.window.createQuickPick<ModeItem>();
  pick.title = 'SegLens: Switch Mode';
  pick.placeholder = `Segmentation mode (current: ${current})`;
  pick.items = items;
  pick.activeItems = items.filter((i) => i.mode !== undefined && i.mode === current);
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  return new Promise<string | undefined>((resolve) => {
    pick.onDidAccept(() => {
      const item = pick.selectedItems[0];
      if (item?.command) void vscode.commands.executeCommand(item.command);
      resolve(item?.mode);
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
