/// <reference types="mocha" />
// Choosing a mode writes seglens.mode where it is set now: a workspace value must not win
// silently over the user's pick (issue 12: storeMode always wrote the user settings).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, setting } from './helpers';

export function register(): void {
  suite('SegLens settings', () => {
    const mode = () => vscode.workspace.getConfiguration('seglens').inspect<string>('mode');
    let userBefore: string | undefined;

    suiteSetup(async () => {
      await api();
      await setting('daemon.idleExitMinutes', 0.25);
      userBefore = mode()?.globalValue;
    });
    teardown(async () => {
      await vscode.workspace.getConfiguration('seglens').update('mode', undefined, vscode.ConfigurationTarget.Workspace);
      await setting('mode', userBefore);
    });

    test('Switch Mode with seglens.mode set in the workspace changes the effective mode there', async () => {
      assert.ok(vscode.workspace.workspaceFolders?.length, 'the suites run with a workspace folder open');
      await vscode.workspace.getConfiguration('seglens').update('mode', 'fast', vscode.ConfigurationTarget.Workspace);
      assert.equal(vscode.workspace.getConfiguration('seglens').get('mode'), 'fast');
      await vscode.commands.executeCommand('seglens.switchMode', 'text');
      assert.equal(vscode.workspace.getConfiguration('seglens').get('mode'), 'text', 'the pick is the effective mode');
      assert.equal(mode()?.workspaceValue, 'text', 'stored where the mode was set: the workspace');
      assert.equal(mode()?.globalValue, userBefore, 'the user settings are left alone');
    });

    test('Switch Mode without a workspace value stores the pick in the user settings', async () => {
      await vscode.commands.executeCommand('seglens.switchMode', 'text');
      assert.equal(vscode.workspace.getConfiguration('seglens').get('mode'), 'text');
      assert.equal(mode()?.globalValue, 'text');
      assert.equal(mode()?.workspaceValue, undefined, 'no workspace value is created');
    });
  });
}
