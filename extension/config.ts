// Typed access to the `seglens.*` settings, as rust-analyzer's `Config`: one getter per setting,
// the defaults only in package.json (contributes.configuration; VS Code returns them), and
// here just the clamping and units the rest of the extension wants.
import type { DaemonLimits } from './daemon/daemonLimits';
import * as vscode from 'vscode';
import type { CpuPrecision, ProviderChoice } from '../daemon/api/constants';

export type ProviderSetting = ProviderChoice;

export const SECTION = 'seglens';

let modeResolver: ((configured: string) => string) | undefined;

/**
 * seglens.mode may name a custom mode, so only the daemon's list can tell whether it exists:
 * activation installs the check (modeCheck.ts) and every reader of readConfig().mode gets the
 * mode actually used.
 */
export function setModeResolver(f: ((configured: string) => string) | undefined): void {
  modeResolver = f;
}

/** A snapshot of the settings as they are now (read again for later changes). */
export class Config {
  private readonly cfg = vscode.workspace.getConfiguration(SECTION);

  private get<T>(key: string): T {
    // package.json declares every key with its default, so VS Code never answers undefined.
    return this.cfg.get<T>(key) as T;
  }

  /** seglens.mode as written (an empty value counts as unset). */
  get configuredMode(): string {
    return this.get<string>('mode') || (this.cfg.inspect<string>('mode')?.defaultValue ?? '');
  }
  /** The mode in use: the configured one, or the fallback when it does not exist. */
  get mode(): string {
    return modeResolver ? modeResolver(this.configuredMode) : this.configuredMode;
  }
  get shared(): boolean {
    // The shared daemon's checks (owner and mode of its folder and socket) are Unix-only: on
    // Windows every window runs its own daemon over stdio (README "Reliability").
    return process.platform !== 'win32' && this.get<boolean>('daemon.shared');
  }
  /** The user's (or the default) value, ignoring workspace and folder values. */
  private userValue<T>(key: string): T {
    const i = this.cfg.inspect<T>(key);
    return (i?.globalValue ?? i?.defaultValue) as T;
  }
  /** The daemon takes whole seconds; fractions of a minute are allowed (tests use them). */
  get idleExitSeconds(): number {
    return idleSeconds(this.get<number>('daemon.idleExitMinutes'));
  }
  /** Keep-alive and memory budget for a daemon this window starts (machine-scoped; daemonLimits.ts). */
  get limits(): DaemonLimits {
    const n = (k: string) => Math.max(0, Math.round(this.get<number>(k)));
    return { keepAliveMinutes: n('daemon.keepAliveMinutes'), maxLoadedModels: n('daemon.maxLoadedModels'), maxRssMb: n('daemon.maxRssMb') };
  }
  get executionProvider(): ProviderSetting {
    return this.get<ProviderSetting>('executionProvider');
  }
  /** seglens.cpuPrecision: int8 or fp32 for `fast` and `balanced` on the CPU (machine-scoped). */
  get cpuPrecision(): CpuPrecision {
    return this.get<CpuPrecision>('cpuPrecision');
  }
  get warmupIterations(): number {
    return iterations(this.get<number>('warmup.iterations'));
  }
  /**
   * The flags of a daemon this window starts. The shared daemon serves every window of the
   * user, so its flags come from the user's settings only: a workspace's .vscode/settings.json
   * (which an untrusted folder can carry) must not set, say, 50 warm-up iterations or a one-second
   * idle exit for every other window. Taken always, not only when untrusted: a trusted
   * workspace's value should not leak into other windows either. The machine-scoped settings
   * (limits, provider, CPU precision) have no workspace value in VS Code already. A per-window daemon serves
   * this window only, and follows its settings.
   */
  daemonSettings(shared: boolean): { provider: ProviderSetting; cpuPrecision: CpuPrecision; warmupIterations: number; idleExitSeconds: number; limits: DaemonLimits } {
    if (!shared) return { provider: this.executionProvider, cpuPrecision: this.cpuPrecision, warmupIterations: this.warmupIterations, idleExitSeconds: this.idleExitSeconds, limits: this.limits };
    return {
      provider: this.executionProvider,
      cpuPrecision: this.cpuPrecision,
      warmupIterations: iterations(this.userValue<number>('warmup.iterations')),
      idleExitSeconds: idleSeconds(this.userValue<number>('daemon.idleExitMinutes')),
      limits: this.limits,
    };
  }
  get overlayOpacity(): number {
    return Math.min(1, Math.max(0, this.get<number>('overlay.opacity')));
  }
  /** Show `fast`'s mask, marked provisional, while a cold chosen mode loads. */
  get progressive(): boolean {
    return this.get<boolean>('preview.progressive');
  }
  get warmOnStartup(): boolean {
    return this.get<boolean>('warmOnStartup');
  }
  /** seglens.customModels unchecked (modeDefinitions.ts checks it). */
  get customModels(): unknown {
    return this.get<unknown>('customModels');
  }
}

const idleSeconds = (minutes: number) => Math.max(1, Math.round(minutes * 60));
const iterations = (n: number) => Math.max(1, Math.round(n));

export function readConfig(): Config {
  return new Config();
}

/** The scopes of vscode's inspect() that can override the user settings. */
interface Scoped {
  workspaceFolderValue?: unknown;
  workspaceValue?: unknown;
}

/** Where a value written now takes effect: the most specific scope that sets the key already. */
export function writeTarget(inspected: Scoped | undefined): vscode.ConfigurationTarget {
  if (inspected?.workspaceFolderValue !== undefined) return vscode.ConfigurationTarget.WorkspaceFolder;
  if (inspected?.workspaceValue !== undefined) return vscode.ConfigurationTarget.Workspace;
  return vscode.ConfigurationTarget.Global;
}

/**
 * Stores the chosen mode where seglens.mode is set now, so the pick is the effective value:
 * written to the user settings, a workspace value would still win. Unset anywhere: the user
 * settings, so every window follows (the status bar of each one does).
 */
export async function storeMode(mode: string): Promise<void> {
  // Read without a resource: seglens.mode is window-scoped, so in a single-folder window its
  // folder value is the workspace value (a folder target would also need the folder's URI).
  const c = vscode.workspace.getConfiguration(SECTION);
  await c.update('mode', mode, writeTarget(c.inspect<string>('mode')));
}

/** Settings that only take effect when the daemon is (re)started. */
export function affectsDaemon(e: vscode.ConfigurationChangeEvent): boolean {
  return ['daemon.shared', 'daemon.idleExitMinutes', 'daemon.keepAliveMinutes', 'daemon.maxLoadedModels', 'daemon.maxRssMb', 'executionProvider', 'cpuPrecision'].some((k) =>
    e.affectsConfiguration(`${SECTION}.${k}`),
  );
}
