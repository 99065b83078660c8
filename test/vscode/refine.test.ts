/// <reference types="mocha" />
// The mask editor (issue 22) in the real extension host with the real daemon: a ground-truth
// file opened with the editor finds its image by the rules run backwards; edits from the page
// are undone by VS Code's undo; Ctrl+S (workspace.save) writes the ground truth the reader reads.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Score } from '../../daemon/api/protocol';
import { api, sampleFolder, setting, waitForEvent } from './helpers';

/** Resolves once the editor of `uri` has its starting mask. */
async function opened(uri: vscode.Uri): Promise<{ width: number; height: number }> {
  const a = await api();
  for (let i = 0; i < 600; i++) {
    const base = a.refine.documentForTest(uri)?.base;
    if (base) return base;
    await new Promise((r) => setTimeout(r, 100)); // polled: the document has no event of its own
  }
  throw new Error(`the editor of ${uri.fsPath} never had its mask`);
}

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
      await vscode.commands.executeCommand('undo');
      assert.equal(a.refine.documentForTest(image)?.edits, 1);
      // A refused message changes nothing.
      await a.refine.receiveForTest(image, { type: 'refineEdit', edit: { kind: 'stroke', points: [], radius: 3, value: 255, erase: false } });
      assert.equal(a.refine.documentForTest(image)?.edits, 1);
      const expected = await a.refine.renderForTest(image);
      const saved = waitForEvent(a.refine.onDidSaveGroundTruth);
      assert.ok(await vscode.workspace.save(image), 'saved');
      const gt = path.join(dir, 'masks', 'text.png');
      assert.equal((await saved).groundTruth.fsPath, gt);
      assert.deepEqual(new Uint8Array(fs.readFileSync(gt)), expected);
      // Row 5 painted, the undone stroke's row not: the ground truth scores 1 against itself, less against the model.
      const client = a.daemonClient()!;
      const own = await client.segment({ mode: 'text', image: { path: image.fsPath } });
      const score = await client.request(Score, { mode: 'text', prediction: { base64: own.maskPng }, groundTruth: { path: gt } });
      assert.ok(score.iou < 1, `IoU ${score.iou}: the stroke is in the ground truth`);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      const mask = vscode.Uri.file(gt);
      await vscode.commands.executeCommand('vscode.openWith', mask, 'seglens.refine');
      await opened(mask);
      const doc = a.refine.documentForTest(mask)!;
      assert.equal(doc.groundTruth, true);
      assert.equal(doc.image.fsPath, image.fsPath, 'masks/text.png belongs to images/text.png');
      assert.deepEqual(new Uint8Array((await a.refine.renderForTest(mask))!), new Uint8Array(fs.readFileSync(gt)), 'opened as saved');
    });
  });
}
