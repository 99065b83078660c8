/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, EXTENSION_ID } from './helpers';

const COMMANDS = [
  'seglens.preview',
  'seglens.switchMode',
  'seglens.rewarm',
  'seglens.showStatus',
  'seglens.unloadModels',
  'seglens.restartDaemon',
  'seglens.showLog',
  'seglens.addModel',
];

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
      for (const c of COMMANDS) assert.ok(all.has(c), `${c} is registered`);
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
