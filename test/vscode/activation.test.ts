/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, EXTENSION_ID } from './helpers';

/** The commands package.json declares: each must be registered once the extension is active. */
function declaredCommands(): string[] {
  const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: { command: string }[] } };
  return pkg.contributes.commands.map((c) => c.command);
}

export function register(): void {
  suite('SegLens activation', () => {
    test('the extension activates and returns its test API', async () => {
      const a = await api();
      assert.ok(vscode.extensions.getExtension(EXTENSION_ID)?.isActive);
      const s = a.getState();
      assert.match(s.statusText, /^\$\([a-z~-]+\) /, 'the status bar item shows an icon and text');
      assert.ok(['idle', 'starting', 'ready', 'restarting'].includes(s.daemon), `daemon state ${s.daemon}`);
    });

    test('every command is registered', async () => {
      await api();
      const all = new Set(await vscode.commands.getCommands(true));
      const declared = declaredCommands();
      assert.ok(declared.length > 0, 'package.json declares commands');
      const missing = declared.filter((c) => !all.has(c));
      assert.deepEqual(missing, [], `declared in package.json but not registered: ${missing.join(', ')}`);
    });

    test('the settings are declared with their defaults', () => {
      const c = vscode.workspace.getConfiguration('seglens');
      assert.equal(c.inspect('mode')?.defaultValue, 'balanced');
      assert.equal(c.inspect('daemon.shared')?.defaultValue, true);
      assert.equal(c.inspect('daemon.idleExitMinutes')?.defaultValue, 10);
      assert.equal(c.inspect('executionProvider')?.defaultValue, 'auto');
      assert.equal(c.inspect('overlay.opacity')?.defaultValue, 0.5);
      assert.equal(c.inspect('warmOnStartup')?.defaultValue, false);
      assert.deepEqual(c.inspect('customModels')?.defaultValue, []);
    });
  });
}
