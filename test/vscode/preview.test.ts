/// <reference types="mocha" />
// The preview panel with the real daemon: a result for a sample image, re-run on change,
// a clear error for an image the daemon cannot decode.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, sampleFolder, setting, waitForEvent } from './helpers';

export function register(): void {
  suite('SegLens preview panel', () => {
    let dir = '';
    suiteSetup(async () => {
      await setting('daemon.idleExitMinutes', 0.25);
      await setting('mode', 'text');
      dir = sampleFolder(['text.png', 'chelsea-cat.jpg']);
    });
    suiteTeardown(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await setting('mode', undefined);
      await setting('daemon.idleExitMinutes', undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('opens a panel and receives a mask for a sample image', async () => {
      const a = await api();
      const uri = vscode.Uri.file(path.join(dir, 'text.png'));
      const got = waitForEvent(a.preview.onDidReceiveResult, (r) => r.uri.fsPath === uri.fsPath, 90_000, 'a preview result');
      await vscode.commands.executeCommand('seglens.preview', uri);
      const panel = a.preview.panel();
      assert.ok(panel, 'the preview panel is open');
      assert.equal(panel.viewType, 'seglens.preview');
      const r = await got;
      assert.equal(r.mode, 'text');
      assert.equal(r.result.width, 448);
      assert.equal(r.result.height, 172);
      assert.ok(Buffer.from(r.result.maskPng, 'base64').subarray(1, 4).toString() === 'PNG', 'the mask is a PNG');
      const sum = r.result.classes.reduce((s, c) => s + c.fraction, 0);
      assert.ok(Math.abs(sum - 1) < 1e-3, `class fractions sum to 1 (${sum})`);
      assert.ok(r.result.classes.find((c) => c.label === 'text')!.fraction > 0.001, 'some text was found');
    });

    test('one panel is reused for the next image', async () => {
      const a = await api();
      const first = a.preview.panel();
      const uri = vscode.Uri.file(path.join(dir, 'chelsea-cat.jpg'));
      const got = waitForEvent(a.preview.onDidReceiveResult, (r) => r.uri.fsPath === uri.fsPath, 90_000, 'a result for the cat');
      await vscode.commands.executeCommand('seglens.preview', uri);
      assert.equal(a.preview.panel(), first, 'the same panel');
      const r = await got;
      assert.equal(r.result.width, 451);
      assert.equal(r.result.height, 300);
    });

    test('re-runs when the image changes on disk', async () => {
      const a = await api();
      const target = path.join(dir, 'chelsea-cat.jpg');
      const again = waitForEvent(a.preview.onDidReceiveResult, (r) => r.uri.fsPath === target, 30_000, 'a result after the change');
      fs.copyFileSync(path.join(dir, 'chelsea-cat.jpg'), path.join(dir, 'tmp.bin'));
      fs.renameSync(path.join(dir, 'tmp.bin'), target);
      fs.utimesSync(target, new Date(), new Date());
      const r = await again;
      assert.equal(r.result.width, 451);
    });

    test('an undecodable image is reported with the daemon error code', async () => {
      const a = await api();
      const bad = path.join(dir, 'broken.png');
      fs.writeFileSync(bad, Buffer.from('this is not a png'));
      const failed = waitForEvent(a.preview.onDidFail, (f) => f.uri.fsPath === bad, 30_000, 'a preview failure');
      await vscode.commands.executeCommand('seglens.preview', vscode.Uri.file(bad));
      const f = await failed;
      assert.equal(f.code, 1002);
      assert.ok(f.message.length > 0);
    });
  });
}
