/// <reference types="mocha" />
// The mask editor (issue 22) in the real extension host with the real daemon: a ground-truth
// file opened with the editor finds its image by the rules run backwards; edits from the page
// are undone by VS Code's undo; Ctrl+S (workspace.save) writes the ground truth the reader reads.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, openedEditor as opened, sampleFolder, setting, waitForEvent } from './helpers';

export function register(): void {
  suite('SegLens mask editor', () => {
    let dir = '';
    suiteSetup(async () => {
      await setting('daemon.idleExitMinutes', 0.25);
      await setting('mode', 'text');
      dir = sampleFolder([]);
      fs.mkdirSync(path.join(dir, 'images'));
      fs.mkdirSync(path.join(dir, 'masks'));
      const samples = path.join(vscode.extensions.getExtension('seglens.seglens')!.extensionPath, 'media', 'samples');
      fs.copyFileSync(path.join(samples, 'text.png'), path.join(dir, 'images', 'text.png'));
    });
    suiteTeardown(async () => {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await setting('mode', undefined);
      await setting('daemon.idleExitMinutes', undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('an image: page edits, undo, Ctrl+S writes masks/<stem>.png; that file opens over its image', async () => {
      const a = await api();
      const image = vscode.Uri.file(path.join(dir, 'images', 'text.png'));
      await vscode.commands.executeCommand('seglens.refine', image);
      const { width, height } = await opened(image);
      const stroke = (y: number) => ({ type: 'refineEdit', edit: { kind: 'stroke', points: [{ x: 2, y }, { x: width - 2, y }], radius: 3, value: 255, erase: false } });
      await a.refine.receiveForTest(image, stroke(5));
      await a.refine.receiveForTest(image, stroke(height - 5));
      assert.equal(a.refine.documentForTest(image)?.edits, 2);
      // VS Code's undo goes to the editor with focus.
      await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
      await vscode.commands.executeCommand('undo');
      for (let i = 0; i < 50 && a.refine.documentForTest(image)?.edits !== 1; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(a.refine.documentForTest(image)?.edits, 1);
      // A refused message changes nothing.
      await a.refine.receiveForTest(image, { type: 'refineEdit', edit: { kind: 'stroke', points: [], radius: 3, value: 255, erase: false } });
      assert.equal(a.refine.documentForTest(image)?.edits, 1);
      const expected = await a.refine.renderForTest(image);
      const saved = waitForEvent(a.refine.onDidSaveGroundTruth);
      assert.ok(await vscode.workspace.save(image), 'saved');
      const gt = path.join(dir, 'masks', 'text.png');
      assert.equal((await saved).groundTruth.fsPath, gt);
      assert.ok(fs.readFileSync(gt).equals(Buffer.from(expected!)), 'the file is the edited mask');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      const mask = vscode.Uri.file(gt);
      await vscode.commands.executeCommand('vscode.openWith', mask, 'seglens.refine');
      await opened(mask);
      const doc = a.refine.documentForTest(mask)!;
      assert.equal(doc.groundTruth, true);
      assert.equal(doc.image.fsPath, image.fsPath, 'masks/text.png belongs to images/text.png');
      assert.ok(Buffer.from((await a.refine.renderForTest(mask))!).equals(fs.readFileSync(gt)), 'opened as saved');
    });
  });
}
