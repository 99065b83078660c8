// Activation: wire the supervisor, the mode store, the status bar, commands and the preview
// panel. Nothing spawns a daemon here unless seglens.warmOnStartup says so; a running shared
// daemon is only attached to, so the status bar tells the truth about other windows' work.
import * as vscode from 'vscode';
import { defaultSocketPath } from '../daemon/api/paths';
import type { SegLensApi, SegLensState } from './api';
import { registerCommands, reportError } from './commands';
import { GALLERY_VIEW_TYPE, GalleryManager } from './gallery/galleryManager';
import { CustomModels } from './models/customModels';
import { ModeCheck } from './models/modeCheck';
import { ModeSelection } from './models/modeSelection';
import { affectsDaemon, readConfig } from './config';
import { ContextKeys } from './status/contextKeys';
import { DaemonSupervisor } from './daemon/daemonSupervisor';
import { withModeProgress } from './models/modeProgress';
import { ModelStore } from './models/modelStore';
import { PREVIEW_VIEW_TYPE } from './preview/previewData';
import { PreviewManager } from './preview/previewManager';
import { StatusBar } from './status/statusBar';
import { STATUS_SCHEME, StatusDocument } from './status/statusDocument';
import { REFINE_VIEW_TYPE, RefineProvider } from './refine/refineProvider';
import { exportEdited, renderEdited } from './refine/refineSave';
import { galleryTestHooks, previewTestHooks } from './testHooks';

let supervisor: DaemonSupervisor | undefined;

/** The built-in mode ids suggested for the seglens.mode setting, known before any daemon answers. */
function declaredModes(context: vscode.ExtensionContext): string[] {
  const props = context.extension.packageJSON?.contributes?.configuration?.properties ?? {};
  // A string with the built-ins as the first `anyOf` branch (custom mode ids are allowed too).
  const e = props['seglens.mode']?.anyOf?.[0]?.enum ?? props['seglens.mode']?.enum;
  return Array.isArray(e) ? e.filter((x: unknown): x is string => typeof x === 'string') : ['fast', 'balanced', 'accurate', 'sota', 'text'];
}

/** Everything activation builds; disposed through context.subscriptions. */
interface Parts {
  log: vscode.LogOutputChannel;
  socketPath: string;
  sup: DaemonSupervisor;
  store: ModelStore;
  custom: CustomModels;
  modeCheck: ModeCheck;
  selection: ModeSelection;
  statusBar: StatusBar;
  keys: ContextKeys;
  previews: PreviewManager;
  galleries: GalleryManager;
  statusDocument: StatusDocument;
  refine: RefineProvider;
}

function createParts(context: vscode.ExtensionContext): Parts {
  const log = vscode.window.createOutputChannel('SegLens', { log: true });
  const version: string = context.extension.packageJSON?.version ?? '0.0.0';
  const socketPath = defaultSocketPath(version);
  const sup = new DaemonSupervisor({
    daemonJs: vscode.Uri.joinPath(context.extensionUri, 'dist', 'daemon.js').fsPath,
    socketPath,
    cacheDir: context.globalStorageUri.fsPath,
    clientVersion: version,
    log,
  });
  const store = new ModelStore(sup, declaredModes(context));
  // Before anything connects: every initialize sends seglens.customModels first.
  const custom = new CustomModels(sup, log);
  const previews = new PreviewManager({ extensionUri: context.extensionUri, memento: context.workspaceState, supervisor: sup, store, log });
  const refine = new RefineProvider({ extensionUri: context.extensionUri, supervisor: sup, store, log });
  return {
    log,
    socketPath,
    sup,
    store,
    custom,
    modeCheck: new ModeCheck(store, custom),
    selection: new ModeSelection(sup, log),
    statusBar: new StatusBar(sup, store),
    keys: new ContextKeys(),
    previews,
    galleries: new GalleryManager({
      extensionUri: context.extensionUri,
      supervisor: sup,
      store,
      log,
      version,
      memento: context.workspaceState,
      openPreview: (uri, images, groundTruth) => previews.show(uri, { images, groundTruth }),
      openRefine: (image, gt) => (gt ? refine.open(gt, { image }) : refine.acceptPrediction(image)),
    }),
    statusDocument: new StatusDocument(sup, store, socketPath),
    refine,
  };
}

function stateOf({ sup, store, statusBar }: Parts): SegLensState {
  const view = statusBar.view!;
  const modes: Record<string, SegLensState['modes'][string]> = {};
  for (const m of store.modeInfos) modes[m.id] = store.state(m.id);
  return {
    daemon: sup.state,
    mode: readConfig().mode,
    modeState: view.modeState,
    statusText: view.text,
    statusError: view.error,
    modes,
    pid: sup.connection?.init.pid,
  };
}

/** The daemon gave up, or a setting that needs a restart changed: say so with the way out. */
function daemonNotices(sup: DaemonSupervisor, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return [
    sup.onDidGiveUp(async (message) => {
      const choice = await vscode.window.showErrorMessage(`SegLens: the inference daemon failed: ${message}`, 'Restart Daemon', 'Show Log');
      if (choice === 'Restart Daemon') void vscode.commands.executeCommand('seglens.restartDaemon');
      else if (choice === 'Show Log') log.show();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!affectsDaemon(e) || sup.state !== 'ready') return;
      const choice = await vscode.window.showInformationMessage('SegLens: restart the daemon to apply the new daemon settings.', 'Restart Daemon');
      if (choice) void vscode.commands.executeCommand('seglens.restartDaemon');
    }),
  ];
}

export function activate(context: vscode.ExtensionContext): SegLensApi {
  const p = createParts(context);
  const { log, sup, store, custom, statusBar, previews, galleries, statusDocument, refine } = p;
  supervisor = sup;
  const stateEmitter = new vscode.EventEmitter<SegLensState>();

  p.keys.update(sup.state, statusBar.view!);
  custom.warnIfUntrusted();
  p.modeCheck.check();
  context.subscriptions.push(
    log,
    sup,
    store,
    custom,
    p.modeCheck,
    p.selection,
    statusBar,
    previews,
    galleries,
    statusDocument,
    stateEmitter,
    statusBar.onDidRender((view) => {
      p.keys.update(sup.state, view);
      stateEmitter.fire(stateOf(p));
    }),
    vscode.workspace.registerTextDocumentContentProvider(STATUS_SCHEME, statusDocument),
    vscode.window.registerWebviewPanelSerializer(PREVIEW_VIEW_TYPE, previews),
    vscode.window.registerWebviewPanelSerializer(GALLERY_VIEW_TYPE, galleries),
    refine,
    refine.onDidSaveGroundTruth((s) => void galleries.rescore(s.image, s.groundTruth).catch((err) => log.warn(`gallery: re-scoring ${s.image.fsPath} failed: ${(err as Error).message}`))),
    // One view per document: the page holds the mask being edited.
    vscode.window.registerCustomEditorProvider(REFINE_VIEW_TYPE, refine, { supportsMultipleEditorsPerDocument: false }),
    ...registerCommands({ supervisor: sup, store, previews, galleries, statusDocument, custom, refine, log }),
    ...daemonNotices(sup, log),
  );

  // Show the item once we know whether a shared daemon is already up (or after 2 s at most).
  const shown = setTimeout(() => statusBar.show(), 2_000);
  void startup(sup, store, log).finally(() => {
    clearTimeout(shown);
    statusBar.show();
  });

  return {
    getState: () => stateOf(p),
    onDidChangeState: stateEmitter.event,
    daemonClient: () => sup.client,
    preview: {
      onDidReceiveResult: previews.onDidReceiveResult,
      onDidFail: previews.onDidFail,
      lastResult: () => previews.lastResult,
      panel: () => previews.panel,
      onDidCompare: previews.onDidCompare,
      lastComparison: () => previews.lastComparison,
      onDidRefuseMessage: previews.onDidRefuseMessage,
      onDidShowProvisional: previews.onDidShowProvisional,
      ...previewTestHooks(previews),
    },
    gallery: {
      run: async (folder) => {
        const g = await galleries.show(folder);
        await g.running;
        return g.tiles;
      },
      ...galleryTestHooks(galleries),
    },
    refine: {
      onDidSaveGroundTruth: refine.onDidSaveGroundTruth,
      documentForTest: (uri) => {
        const d = refine.viewOf(uri)?.doc;
        return d && { image: d.image, groundTruth: d.groundTruth, edits: d.edits.length, base: d.base && { width: d.base.width, height: d.base.height } };
      },
      receiveForTest: async (uri, m) => refine.viewOf(uri)?.preview.receive(m),
      renderForTest: async (uri) => {
        const d = refine.viewOf(uri)?.doc;
        return d && renderEdited(d, 'groundTruth', d.threshold);
      },
      exportForTest: async (uri, format, target) => {
        const d = refine.viewOf(uri)?.doc;
        return d && exportEdited(d, d.threshold, format, target);
      },
    },
    customModels: {
      onDidDefine: custom.onDidDefine,
      lastResult: () => custom.lastResult,
    },
  };
}

async function startup(sup: DaemonSupervisor, store: ModelStore, log: vscode.LogOutputChannel): Promise<void> {
  const cfg = readConfig();
  try {
    await sup.attach();
    if (cfg.warmOnStartup) {
      void withModeProgress(store, cfg.mode, `SegLens: warming ${cfg.mode}`, async () => (await sup.ensureClient()).ensureReady(cfg.mode), vscode.ProgressLocation.Window).then(
        undefined,
        (err) => reportError(log, `warming ${cfg.mode} at startup failed`, err),
      );
    }
  } catch (err) {
    log.warn(`looking for a running daemon at startup failed: ${err instanceof Error ? err.message : err}`);
  }
}

export async function deactivate(): Promise<void> {
  // A shared daemon stays for other windows (it exits when idle); a per-window one is stopped.
  await supervisor?.stop();
  supervisor = undefined;
}
