/// <reference types="mocha" />
// Your own ONNX model inside the real extension host with the real daemon: a model the test
// builds (test/helpers/buildModels.ts) defined in seglens.customModels → a mode in the list →
// a semantic preview with its classes; a wrong definition reported; Add Model… on a file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DefineModesResult, UserModeDefinition } from '../../daemon/api/protocol';
import { colorClassesModel, COLOR_CLASS_LABELS, quadrantsPng, writeModel } from '../helpers/buildModels';
import { api, setting, waitForEvent, waitForState } from './helpers';

const ID = 'test-colors';

export function register(): void {
  suite('SegLens custom models', () => {
    let dir = '';
    let model = '';
    let image = '';
    let def: UserModeDefinition;
    suiteSetup(async () => {
      await setting('daemon.idleExitMinutes', 0.25);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-custom-'));
      model = writeModel(dir, 'colors.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [64, 64] }));
      image = path.join(dir, 'quadrants.png');
      fs.writeFileSync(image, await quadrantsPng(80, 60));
      def = { id: ID, label: 'Test colours', model, normalization: 'zero-one', labels: COLOR_CLASS_LABELS };
    });
    suiteTeardown(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await setting('mode', undefined);
      await setting('customModels', undefined);
      await setting('daemon.idleExitMinutes', undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('a mode from seglens.customModels previews a semantic result with its classes', async () => {
      const a = await api();
      await setting('customModels', [def]);
      if (a.getState().daemon === 'ready') await waitForState(a, (s) => ID in s.modes, 15_000, `${ID} in the mode list`);
      await setting('mode', ID);
      assert.equal(a.getState().mode, ID, 'a custom id is a valid seglens.mode');
      const uri = vscode.Uri.file(image);
      const got = waitForEvent(a.preview.onDidReceiveResult, (r) => r.uri.fsPath === uri.fsPath && r.mode === ID, 60_000, 'a result of the custom mode');
      await vscode.commands.executeCommand('seglens.preview', uri);
      const r = await got;
      assert.equal(r.result.width, 80);
      assert.equal(r.result.height, 60);
      const labels = r.result.classes.map((c) => c.label).sort();
      assert.deepEqual(labels, [...COLOR_CLASS_LABELS].sort(), `classes ${JSON.stringify(r.result.classes)}`);
      for (const c of r.result.classes) assert.ok(Math.abs(c.fraction - 0.25) < 0.05, `${c.label} covers a quarter (${c.fraction})`);
      const s = await waitForState(a, (x) => x.modes[ID] === 'warm' && x.modeState === 'warm', 15_000, `${ID} warm`);
      assert.equal(s.statusText, `$(flame) ${ID} · warm`);
      assert.ok(a.daemonClient()!.initializeResult, 'connected');
      const status = await a.daemonClient()!.status();
      assert.equal(status.modes.find((m) => m.mode === ID)?.state, 'warm');
    });

    test('a restarted daemon is given the definitions again before it is used', async () => {
      const a = await api();
      const before = a.getState().pid;
      await vscode.commands.executeCommand('seglens.restartDaemon');
      const s = await waitForState(a, (x) => x.daemon === 'ready' && x.pid !== before, 30_000, 'a new daemon');
      assert.equal(s.modes[ID], 'cold', `${ID} is offered by the new daemon (cold: nothing survives a restart)`);
      assert.ok(a.daemonClient()!.initializeResult!.modes.every((m) => m.id !== ID), 'the new daemon did not know it at initialize');
      assert.deepEqual(a.customModels.lastResult()?.added, [ID], 'defineModes added it on the new daemon');
    });

    test('a wrong definition is reported with its mode and field; the good one stays', async () => {
      const a = await api();
      // The panel follows seglens.mode: closed, it does not start loading the fallback below.
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const answered = waitForEvent<DefineModesResult>(a.customModels.onDidDefine, (r) => r.errors.length > 0, 15_000, 'a defineModes answer with errors');
      await setting('customModels', [def, { id: 'test-bad', model, labels: 'coco' }]);
      const r = await answered;
      assert.deepEqual(
        r.errors.map((e) => [e.id, e.index, e.field]),
        [['test-bad', 1, 'labels']],
      );
      assert.deepEqual(r.unchanged, [ID], 'the good definition is left as it is (not reloaded)');
      const s = a.getState();
      assert.ok(!('test-bad' in s.modes), 'the refused mode is not listed');
      assert.ok(ID in s.modes, 'the good one is still listed');
      await setting('mode', 'test-bad');
      assert.equal(a.getState().mode, 'balanced', 'a mode that does not exist falls back to balanced');
      await setting('mode', ID);
    });

    test('removing the definition removes the mode', async () => {
      const a = await api();
      await setting('customModels', []);
      // Removing unloads the mode, which waits for work the daemon's worker may still be doing.
      const s = await waitForState(a, (x) => !(ID in x.modes), 60_000, `${ID} removed`);
      assert.equal(s.mode, 'balanced', 'seglens.mode still names it: the fallback is used');
      await setting('mode', undefined);
    });

    test('Add Model… writes a definition from the file and the defaults it suggests', async () => {
      const a = await api();
      const file = writeModel(dir, 'wizard-colors.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [64, 64] }));
      const defined = waitForEvent<DefineModesResult>(a.customModels.onDidDefine, (r) => r.added.includes('wizard-colors'), 30_000, 'the new mode defined');
      const done = vscode.commands.executeCommand<UserModeDefinition | undefined>('seglens.addModel', vscode.Uri.file(file));
      // Accept every step's prefilled answer, as a user pressing Enter would.
      let finished = false;
      void done.then(() => (finished = true), () => (finished = true));
      for (let i = 0; i < 100 && !finished; i++) {
        await new Promise((r) => setTimeout(r, 250));
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      }
      const written = await done;
      assert.ok(written, 'the command returned the definition');
      assert.equal(written.id, 'wizard-colors');
      assert.equal(written.model, file);
      assert.equal(written.task, 'semantic');
      assert.equal(written.outputKind, 'logits');
      assert.deepEqual(written.labels, ['class 0', 'class 1', 'class 2', 'class 3']);
      assert.equal(written.normalization, 'imagenet');
      assert.equal(written.inputSize, 64);
      const user = vscode.workspace.getConfiguration('seglens').inspect<unknown[]>('customModels')?.globalValue;
      assert.deepEqual(user, [written], 'appended to the user setting');
      const r = await defined;
      assert.deepEqual(r.errors, []);
      await waitForState(a, (s) => 'wizard-colors' in s.modes, 15_000, 'wizard-colors listed');
    });

    test('Escape in Add Model… cancels and changes nothing', async () => {
      const before = vscode.workspace.getConfiguration('seglens').inspect<unknown[]>('customModels')?.globalValue;
      const file = writeModel(dir, 'cancelled.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [64, 64] }));
      const done = vscode.commands.executeCommand<UserModeDefinition | undefined>('seglens.addModel', vscode.Uri.file(file));
      // Through the summary to the mode id box, then Escape there.
      for (let i = 0; i < 2; i++) {
        await new Promise((r) => setTimeout(r, 1_000));
        await vscode.commands.executeCommand(i === 0 ? 'workbench.action.acceptSelectedQuickOpenItem' : 'workbench.action.closeQuickOpen');
      }
      assert.equal(await done, undefined, 'cancelled');
      assert.deepEqual(vscode.workspace.getConfiguration('seglens').inspect<unknown[]>('customModels')?.globalValue, before);
    });
  });
}
