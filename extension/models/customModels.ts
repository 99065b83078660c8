// Applies `seglens.customModels` to the daemon: `seglens/defineModes` with the whole list
// (replace) after every initialize (first connect, reconnect, daemon restart) and whenever the
// setting changes. Definition errors are shown once per distinct set (not on every reconnect)
// and always logged. Nothing is sent from an untrusted workspace (see definePlan).
import * as vscode from 'vscode';
import type { DaemonClient } from '../../daemon/api/client';
import type { DefineModesResult } from '../../daemon/api/protocol';
import { readConfig, SECTION } from '../config';
import { Disposable } from '../util/dispose';
import type { DaemonSupervisor } from '../daemon/daemonSupervisor';
import { definedIds, definePlan, definitionErrorsMessage, describeDefinitionError } from './modeDefinitions';

export const CUSTOM_MODELS_KEY = 'customModels';

export function customModelsSetting(): unknown {
  return readConfig().customModels;
}

export class CustomModels extends Disposable {
  private readonly emitter = this._register(new vscode.EventEmitter<DefineModesResult>());
  /** A defineModes answer arrived (tests and the Add Model… flow wait for it). */
  readonly onDidDefine = this.emitter.event;
  lastResult: DefineModesResult | undefined;
  /** The client whose modes match the settings (the mode check trusts the daemon's list then). */
  private syncedClient: DaemonClient | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private lastSent: { client: DaemonClient; payload: string } | undefined;
  private shownErrors = '';
  private warnedUntrusted = false;

  constructor(
    private readonly supervisor: DaemonSupervisor,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    supervisor.afterInitialize = (client) => this.send(client).then(() => undefined);
    this._register({ dispose: () => (supervisor.afterInitialize = undefined) });
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(`${SECTION}.${CUSTOM_MODELS_KEY}`)) return;
        this.warnedUntrusted = false;
        this.warnIfUntrusted();
        void this.sync();
      }),
    );
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.sync()));
  }

  /**
   * Says once (again after the setting changes) that the configured custom models are not
   * used because the workspace is not trusted. Called at activation and on each connect.
   */
  warnIfUntrusted(): void {
    if (vscode.workspace.isTrusted || this.warnedUntrusted) return;
    const ids = definedIds(customModelsSetting());
    if (ids.length === 0) return;
    this.warnedUntrusted = true;
    const message =
      `SegLens: this workspace is not trusted, so your custom models (seglens.customModels: ${ids.join(', ')}) are not used in this window: ` +
      "they name model files the daemon would load. A seglens.mode naming one falls back to 'balanced'. Trust the workspace to use them.";
    this.log.warn(message);
    void vscode.window.showWarningMessage(message, 'Manage Workspace Trust').then((c) => {
      if (c) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  }

  /** The daemon's mode list reflects the settings (for the connected client). */
  get synced(): boolean {
    return this.syncedClient !== undefined && this.syncedClient === this.supervisor.client;
  }

  /** Ids the setting defines, when they are applied in this window. */
  configuredIds(): string[] {
    return vscode.workspace.isTrusted ? definedIds(customModelsSetting()) : [];
  }

  /** Sends the settings to the connected daemon, if any (the next initialize sends them otherwise). */
  async sync(): Promise<DefineModesResult | undefined> {
    const client = this.supervisor.client;
    return client ? this.send(client) : undefined;
  }

  /** One request at a time, in order; the same list twice in a row to one daemon is sent once. */
  send(client: DaemonClient): Promise<DefineModesResult | undefined> {
    const run = this.chain.then(() => this.apply(client));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async apply(client: DaemonClient): Promise<DefineModesResult | undefined> {
    const setting = customModelsSetting();
    const plan = definePlan(setting, vscode.workspace.isTrusted);
    if (!plan.send) {
      this.syncedClient = client;
      this.warnIfUntrusted();
      return undefined;
    }
    if (plan.notAList) this.log.warn('seglens.customModels is not a list of mode definitions; treated as empty');
    const payload = JSON.stringify(plan.params);
    if (this.lastSent?.client === client && this.lastSent.payload === payload && this.lastResult) return this.lastResult;
    let result: DefineModesResult;
    try {
      result = await client.defineModes(plan.params);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // An empty list to a daemon that predates defineModes is nothing to worry about.
      if (plan.params.modes.length === 0) this.log.debug(`seglens/defineModes (no custom models) failed: ${message}`);
      else {
        this.log.error(`applying seglens.customModels failed: ${message}`);
        void vscode.window.showErrorMessage(`SegLens: applying seglens.customModels failed: ${message}`);
      }
      return undefined;
    }
    this.lastSent = { client, payload };
    this.lastResult = result;
    this.syncedClient = client;
    this.report(result);
    this.emitter.fire(result);
    return result;
  }

  private report(r: DefineModesResult): void {
    const parts = (['added', 'replaced', 'removed', 'unchanged'] as const).filter((k) => r[k].length).map((k) => `${k} ${r[k].join(', ')}`);
    if (parts.length) this.log.info(`custom models: ${parts.join('; ')}`);
    for (const e of r.errors) this.log.warn(`custom model refused: ${describeDefinitionError(e)}`);
    const key = JSON.stringify(r.errors);
    if (r.errors.length === 0 || key === this.shownErrors) {
      if (r.errors.length === 0) this.shownErrors = '';
      return;
    }
    this.shownErrors = key;
    void vscode.window.showWarningMessage(definitionErrorsMessage(r.errors), 'Open Settings', 'Show Log').then((c) => {
      if (c === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettingsJson', { revealSetting: { key: `${SECTION}.${CUSTOM_MODELS_KEY}` } });
      else if (c === 'Show Log') this.log.show(true);
    });
  }
}
