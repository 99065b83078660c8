// The `seglens.*` commands (category "SegLens" in package.json). Each is thin: it finds its
// input, calls the supervisor/store/panel, and reports failures as a message with the log.
import * as vscode from 'vscode';
import type { WarmupResult } from '../daemon/api/protocol';
import { addModel } from './models/addModel/addModel';
import { readConfig } from './config';
import type { CustomModels } from './models/customModels';
import type { DaemonSupervisor } from './daemon/daemonSupervisor';
import { imageAtHand, pickWorkspaceImage } from './preview/imageFiles';
import { isPromptMode } from './preview/previewData';
import { pickMode, switchToMode } from './models/modePicker';
import { withModeProgress } from './models/modeProgress';
import type { ModelStore } from './models/modelStore';
import type { PreviewManager } from './preview/previewManager';
import { GalleryManager, folderAtHand } from './gallery/galleryManager';
import { PANEL_COMMANDS } from '../media/webview/shared/messages';
import type { StatusDocument } from './status/statusDocument';
import type { RefineProvider } from './refine/refineProvider';
import { REFINE_COMMANDS } from '../media/webview/shared/refineMessages';

export interface CommandDeps {
  supervisor: DaemonSupervisor;
  store: ModelStore;
  previews: PreviewManager;
  galleries: GalleryManager;
  statusDocument: StatusDocument;
  custom: CustomModels;
  refine: RefineProvider;
  log: vscode.LogOutputChannel;
}

export async function reportError(log: vscode.LogOutputChannel, what: string, err: unknown): Promise<void> {
  const message = err instanceof Error ? err.message : String(err);
  log.error(`${what}: ${message}`);
  const choice = await vscode.window.showErrorMessage(`SegLens: ${what}: ${message}`, 'Show Log');
  if (choice === 'Show Log') log.show(true);
}

/** Re-warms the current mode (forced) and says how long it took. */
export async function rewarm(d: CommandDeps): Promise<WarmupResult> {
  const { mode, warmupIterations } = readConfig();
  const r = await withModeProgress(d.store, mode, `SegLens: re-warming ${mode}`, async () => {
    const client = await d.supervisor.ensureClient();
    return client.warmup({ mode, force: true, iterations: warmupIterations });
  });
  void vscode.window.showInformationMessage(`SegLens: ${mode} re-warmed in ${(r.durationMs / 1000).toFixed(1)} s`);
  return r;
}

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  const guarded =
    <A extends unknown[], R>(what: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R | undefined> => {
      try {
        return await fn(...args);
      } catch (err) {
        void reportError(d.log, what, err);
        return undefined;
      }
    };

  return [
    // The preview's keybindings (package.json): zoom, pan, views, threshold, compare, readout, previous/next.
    // In front, the refine editor (the same page) takes them; it has no previous/next.
    ...(['previous', 'next', ...PANEL_COMMANDS] as const).map((c) =>
      vscode.commands.registerCommand(
        `seglens.preview.${c}`,
        guarded('preview command failed', async () => {
          const editor = d.refine.active;
          if (!editor) return d.previews.command(c);
          if (c !== 'previous' && c !== 'next') editor.preview.command(c);
        }),
      ),
    ),
    // The refine editor's tools (issue 22).
    ...REFINE_COMMANDS.map((c) => vscode.commands.registerCommand(`seglens.refine.${c}`, () => d.refine.command(c))),
    vscode.commands.registerCommand(
      'seglens.refine',
      guarded('opening the refine editor failed', async (arg?: unknown) => {
        const uri = imageAtHand(arg) ?? d.previews.activeImage ?? (await pickWorkspaceImage());
        if (uri) await d.refine.open(uri);
      }),
    ),
    vscode.commands.registerCommand(
      'seglens.preview',
      guarded('preview failed', async (arg?: unknown) => {
        const uri = imageAtHand(arg) ?? (await pickWorkspaceImage());
        if (!uri) return;
        // A prompt mode (issue 25) is clicked and boxed in the refine editor: open that. A custom
        // mode is known once the daemon has its definition: start it first when need be.
        const mode = readConfig().mode;
        if (!d.store.info(mode)) await d.supervisor.ensureClient().catch(() => undefined); // the preview says what failed
        if (isPromptMode(d.store, mode)) await d.refine.open(uri);
        else await d.previews.show(uri);
      }),
    ),
    vscode.commands.registerCommand(
      'seglens.segmentFolder',
      // A folder Uri (Explorer context menu, the preview's "whole folder", tests) skips the picker.
      guarded('segmenting the folder failed', async (arg?: unknown) => {
        const folder = await folderAtHand(arg);
        if (folder) return d.galleries.show(folder);
        return undefined;
      }),
    ),
    vscode.commands.registerCommand(
      'seglens.switchMode',
      guarded('switching mode failed', async (mode?: unknown) => {
        // An argument (tests, keybindings) skips the picker.
        const chosen = typeof mode === 'string' ? mode : await pickMode(d.supervisor, d.store);
        if (chosen) await switchToMode(d.supervisor, d.store, chosen);
        return chosen;
      }),
    ),
    vscode.commands.registerCommand(
      'seglens.rewarm',
      guarded('re-warm failed', () => rewarm(d)),
    ),
    vscode.commands.registerCommand(
      'seglens.showStatus',
      guarded('showing the status failed', () => d.statusDocument.show()),
    ),
    vscode.commands.registerCommand(
      'seglens.unloadModels',
      guarded('unloading failed', async () => {
        if (!(await d.supervisor.attach()) && !d.supervisor.client) {
          void vscode.window.showInformationMessage('SegLens: no daemon is running, nothing to unload');
          return;
        }
        const r = await d.supervisor.client!.unload();
        void vscode.window.showInformationMessage(
          r.unloaded.length ? `SegLens: unloaded ${r.unloaded.join(', ')}` : 'SegLens: no model was loaded',
        );
        return r;
      }),
    ),
    vscode.commands.registerCommand(
      'seglens.restartDaemon',
      guarded('restarting the daemon failed', async () => {
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'SegLens: restarting the daemon…' }, () =>
          d.supervisor.restart(),
        );
        void vscode.window.showInformationMessage(`SegLens: daemon restarted (pid ${d.supervisor.connection?.init.pid ?? '?'})`);
      }),
    ),
    vscode.commands.registerCommand(
      'seglens.addModel',
      // An .onnx Uri (explorer context menu, tests) skips the open dialog.
      guarded('adding the model failed', (file?: unknown) => addModel({ supervisor: d.supervisor, store: d.store, custom: d.custom, log: d.log }, file)),
    ),
    vscode.commands.registerCommand('seglens.showLog', () => d.log.show()),
  ];
}
