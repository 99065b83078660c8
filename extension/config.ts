// Typed access to the `seglens.*` settings (declared in package.json contributes.configuration).
import * as vscode from 'vscode';
import type { ProviderChoice } from '../daemon/api/constants';

export type ProviderSetting = ProviderChoice;

export interface SegLensConfig {
  mode: string;
  shared: boolean;
  idleExitSeconds: number;
  executionProvider: ProviderSetting;
  warmupIterations: number;
  overlayOpacity: number;
  warmOnStartup: boolean;
}

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

export function readConfig(): SegLensConfig {
  const c = vscode.workspace.getConfiguration(SECTION);
  const minutes = c.get<number>('daemon.idleExitMinutes', 10);
  const configured = c.get<string>('mode', 'balanced') || 'balanced';
  return {
    mode: modeResolver ? modeResolver(configured) : configured,
    // The shared daemon's checks (owner and mode of its folder and socket) are Unix-only: on
    // Windows every window runs its own daemon over stdio (README "Reliability").
    shared: process.platform !== 'win32' && c.get<boolean>('daemon.shared', true),
    // The daemon takes whole seconds; fractions of a minute are allowed (tests use them).
    idleExitSeconds: Math.max(1, Math.round(minutes * 60)),
    executionProvider: c.get<ProviderSetting>('executionProvider', 'auto'),
    warmupIterations: Math.max(1, Math.round(c.get<number>('warmup.iterations', 1))),
    overlayOpacity: Math.min(1, Math.max(0, c.get<number>('overlay.opacity', 0.5))),
    warmOnStartup: c.get<boolean>('warmOnStartup', false),
  };
}

/** Stores the chosen mode for every window (the status bar of each one follows it). */
export async function storeMode(mode: string): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('mode', mode, vscode.ConfigurationTarget.Global);
}

/** Settings that only take effect when the daemon is (re)started. */
export function affectsDaemon(e: vscode.ConfigurationChangeEvent): boolean {
  return ['daemon.shared', 'daemon.idleExitMinutes', 'executionProvider'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
}
