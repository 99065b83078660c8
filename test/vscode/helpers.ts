// Shared by the suites: the extension's test API, waiting for state, metrics, sample images.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SegLensApi, SegLensState } from '../../extension/api';

export const EXTENSION_ID = 'seglens.seglens';

export async function api(): Promise<SegLensApi> {
  const ext = vscode.extensions.getExtension<SegLensApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed in this host`);
  return ext.isActive ? ext.exports : ext.activate();
}

export function extensionPath(): string {
  return vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
}

/** Resolves with the first state (current or later) that satisfies `pred`. */
export function waitForState(a: SegLensApi, pred: (s: SegLensState) => boolean, timeoutMs = 60_000, what = 'state'): Promise<SegLensState> {
  return new Promise((resolve, reject) => {
    const now = a.getState();
    if (pred(now)) return resolve(now);
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}; last state ${JSON.stringify(a.getState())}`));
    }, timeoutMs);
    const sub = a.onDidChangeState((s) => {
      if (!pred(s)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    });
  });
}

export function waitForEvent<T>(event: vscode.Event<T>, pred: (t: T) => boolean = () => true, timeoutMs = 60_000, what = 'event'): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const sub = event((t) => {
      if (!pred(t)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(t);
    });
  });
}

/** A counter or gauge from Prometheus text, for one mode, summed over its other labels (0 when absent). */
export function metric(text: string, name: string, mode: string): number {
  const re = new RegExp(`^${name}\\{[^}]*mode="${mode}"[^}]*\\}\\s+(\\S+)`, 'gm');
  let total = 0;
  for (const m of text.matchAll(re)) total += Number(m[1]);
  return total;
}

/** Copies sample images into a fresh temporary folder (tests may change them). */
export function sampleFolder(names: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-vscode-test-'));
  const samples = path.join(extensionPath(), 'media', 'samples');
  for (const n of names) fs.copyFileSync(path.join(samples, n), path.join(dir, n));
  return dir;
}

export async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('seglens').update(key, value, vscode.ConfigurationTarget.Global);
}

/** Resolves once the mask editor of `uri` has its starting mask. */
export async function openedEditor(uri: vscode.Uri): Promise<{ width: number; height: number }> {
  const a = await api();
  for (let i = 0; i < 600; i++) {
    const base = a.refine.documentForTest(uri)?.base;
    if (base) return base;
    await new Promise((r) => setTimeout(r, 100)); // polled: the document has no event of its own
  }
  throw new Error(`the editor of ${uri.fsPath} never had its mask`);
}
