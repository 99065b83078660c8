// seglens.mode is a free string (a built-in or a custom mode id), so it is checked at run time:
// a mode that does not exist is replaced by `balanced` wherever the extension reads the
// setting (readConfig), with one clear message per wrong value. The setting itself is left
// alone: a custom mode refused today may be fixed tomorrow.
import * as vscode from 'vscode';
import { readConfig, SECTION, setModeResolver } from '../config';
import { Disposable } from '../util/dispose';
import { type CustomModels, customModelsSetting } from './customModels';
import { definedIds, FALLBACK_MODE, resolveMode } from './modeDefinitions';
import type { ModelStore } from './modelStore';

export class ModeCheck extends Disposable {
  private warned: string | undefined;

  constructor(
    private readonly store: ModelStore,
    private readonly custom: CustomModels,
  ) {
    super();
    setModeResolver((configured) => this.resolve(configured).mode);
    this._register({ dispose: () => setModeResolver(undefined) });
    const check = () => this.check();
    this._register(store.onDidChange((s) => s === undefined && check()));
    this._register(custom.onDidDefine(check));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`${SECTION}.mode`) && check()));
  }

  /**
   * Once the daemon has the settings' modes, its list is the truth; before that, the catalogue
   * known so far plus the ids the setting defines (they are sent on connect).
   */
  available(): string[] {
    const ids = this.store.modeInfos.map((m) => m.id);
    return this.custom.synced ? ids : [...ids, ...this.custom.configuredIds()];
  }

  resolve(configured: string | undefined) {
    return resolveMode(configured, this.available(), FALLBACK_MODE);
  }

  /** Says so once when the configured mode does not exist. */
  check(): void {
    const configured = readConfig().configuredMode;
    const r = this.resolve(configured);
    if (!r.fellBack) {
      this.warned = undefined;
      return;
    }
    if (this.warned === configured) return;
    this.warned = configured;
    // A custom mode in an untrusted workspace: customModels.ts says so, fallback included.
    if (!vscode.workspace.isTrusted && definedIds(customModelsSetting()).includes(configured)) return;
    const why = 'it is neither a built-in mode nor an accepted entry of seglens.customModels';
    void vscode.window.showWarningMessage(`SegLens: mode '${configured}' is not available (${why}); using '${r.mode}'.`, 'Switch Mode', 'Open Settings').then((c) => {
      if (c === 'Switch Mode') void vscode.commands.executeCommand('seglens.switchMode');
      else if (c === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.mode`);
    });
  }
}
