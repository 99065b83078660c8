// What this window knows about the daemon's modes: the catalogue (from initialize), each mode's
// state (from status, then live from seglens/modelState), the provider and the last inference.
// The status bar, the quick pick, the preview panel and the tests all read it from here.
import * as vscode from 'vscode';
import type { ModeInfo, ModesChangedParams, ModeState, ModeStatus } from '../../daemon/api/protocol';
import type { Connected, DaemonSupervisor } from '../daemon/daemonSupervisor';
import { Disposable } from '../util/dispose';

export interface LastInference {
  mode: string;
  ms: number;
}

export class ModelStore extends Disposable {
  private modes: ModeInfo[] = [];
  private readonly statuses = new Map<string, ModeStatus>();
  provider: string | undefined;
  lastInference: LastInference | undefined;
  private readonly emitter = this._register(new vscode.EventEmitter<ModeStatus | undefined>());
  /** Fires with the changed mode's status, or undefined when everything may have changed. */
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly supervisor: DaemonSupervisor,
    /** Mode ids known before any daemon answers (the `seglens.mode` enum). */
    fallbackModes: string[],
  ) {
    super();
    this.modes = fallbackModes.map((id) => ({ id, label: id, description: '', task: 'binary', inputSize: [0, 0], labels: [] }));
    this._register(supervisor.onDidConnect((c) => this.connected(c)));
    this._register(supervisor.onModelState((s) => this.update(s)));
    this._register(supervisor.onModesChanged((p) => this.modesChanged(p)));
    // Custom modes are hidden in an untrusted workspace; trust changes the list.
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.emitter.fire(undefined)));
    this._register(
      supervisor.onDidChangeState((state) => {
        // Without a connection nothing is known to be warm: a restarted daemon starts cold.
        if (state !== 'ready') {
          this.statuses.clear();
          this.emitter.fire(undefined);
        }
      }),
    );
  }

  /**
   * Every mode this window offers. In an untrusted workspace the user's own models are left
   * out (a shared daemon may still have them from a trusted window): the settings that define
   * them are not applied here, so neither are the modes.
   */
  get modeInfos(): readonly ModeInfo[] {
    return vscode.workspace.isTrusted ? this.modes : this.modes.filter((m) => !m.custom);
  }

  info(mode: string): ModeInfo | undefined {
    return this.modeInfos.find((m) => m.id === mode);
  }

  status(mode: string): ModeStatus | undefined {
    return this.statuses.get(mode);
  }

  state(mode: string): ModeState {
    if (this.supervisor.state !== 'ready') return this.supervisor.state === 'failed' ? 'failed' : 'cold';
    return this.statuses.get(mode)?.state ?? 'cold';
  }

  /** Asks the daemon for every mode's state (after connecting, or when a window wants the truth). */
  async refresh(): Promise<void> {
    const client = this.supervisor.client;
    if (!client) return;
    const status = await client.status();
    this.provider = status.provider;
    for (const s of status.modes) this.statuses.set(s.mode, s);
    this.emitter.fire(undefined);
  }

  /** A segment result arrived (in this window): remember its time for the tooltip. */
  recordInference(mode: string, ms: number): void {
    this.lastInference = { mode, ms };
    this.emitter.fire(this.statuses.get(mode));
  }

  private connected(c: Connected): void {
    if (c.init.modes.length > 0) this.modes = c.init.modes;
    this.provider = c.status.provider ?? c.init.provider ?? this.provider;
    this.statuses.clear();
    for (const s of c.status.modes) this.statuses.set(s.mode, s);
    this.emitter.fire(undefined);
  }

  private modesChanged(p: ModesChangedParams): void {
    if (p.modes.length > 0) this.modes = p.modes;
    for (const id of p.removed) this.statuses.delete(id);
    this.emitter.fire(undefined);
  }

  private update(s: ModeStatus): void {
    const before = this.statuses.get(s.mode);
    this.statuses.set(s.mode, s);
    if (s.lastInferenceMs !== undefined && s.lastInferenceMs !== before?.lastInferenceMs) {
      this.lastInference = { mode: s.mode, ms: s.lastInferenceMs };
    }
    this.emitter.fire(s);
  }
}
