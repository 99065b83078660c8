/// <reference types="mocha" />
// SegLens: Segment Folder… with the real daemon: the gallery's run scores against ground truth
// found by `auto` (images/ + masks/), a second run is answered from the result cache (no
// inference), and the exports write the CLI's names and report fields.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writePng } from '../helpers/pngWriter';
import { api, metric, sampleFolder, setting } from './helpers';

export function register(): void {
  suite('SegLens gallery', () => {
    let dir = '';
    suiteSetup(async () => {
      await setting('daemon.idleExitMinutes', 0.25);
      await setting('mode', 'text');
      dir = sampleFolder([]);
      const images = path.join(dir, 'images');
      fs.mkdirSync(images);
      fs.mkdirSync(path.join(dir, 'masks'));
      const samples = path.join(vscode.extensions.getExtension('seglens.seglens')!.extensionPath, 'media', 'samples');
      for (const n of ['text.png', 'chelsea-cat.jpg']) fs.copyFileSync(path.join(samples, n), path.join(images, n));
    });
    suiteTeardown(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await setting('mode', undefined);
      await setting('daemon.idleExitMinutes', undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('a folder run: tiles done, the image with ground truth scored; a second run runs no inference', async () => {
      const a = await api();
      const folder = vscode.Uri.file(dir);
      // Ground truth for text.png: the daemon's own mask, so its IoU is exactly 1.
      const first = await a.gallery.run(folder);
      const client = a.daemonClient()!;
      const own = await client.segment({ mode: 'text', image: { path: path.join(dir, 'images', 'text.png') } });
      fs.writeFileSync(path.join(dir, 'masks', 'text.png'), Buffer.from(own.maskPng, 'base64'));
      assert.deepEqual(first.map((t) => [t.rel, t.state]), [['images/chelsea-cat.jpg', 'done'], ['images/text.png', 'done']]);
      const before = metric((await client.metrics()).text, 'seglens_inference_duration_seconds_count', 'text');
      const tiles = await a.gallery.run(folder);
      assert.equal(metric((await client.metrics()).text, 'seglens_inference_duration_seconds_count', 'text'), before, 'the second run came from the result cache');
      const text = tiles.find((t) => t.rel === 'images/text.png')!;
      assert.equal(text.gt, true);
      assert.equal(text.iou, 1);
      assert.equal(text.cached, true);
      assert.equal(tiles.find((t) => t.rel === 'images/chelsea-cat.jpg')!.gt, false);
    });

    test('exports: masks under the CLI names with one coco.json; the report as CSV and JSON', async () => {
      const a = await api();
      const folder = vscode.Uri.file(dir);
      const out = path.join(dir, 'out');
      assert.equal(await a.gallery.exportMasksForTest(folder, ['mask', 'binary', 'coco'], out), 2);
      for (const f of ['images/text.mask.png', 'images/text.binary.png', 'images/chelsea-cat.mask.png', 'coco.json']) assert.ok(fs.existsSync(path.join(out, f)), f);
      const coco = JSON.parse(fs.readFileSync(path.join(out, 'coco.json'), 'utf8')) as { images: unknown[]; categories: unknown[] };
      assert.equal(coco.images.length, 2);
      const csv = await a.gallery.exportReportForTest(folder, vscode.Uri.file(path.join(dir, 'report.csv')));
      assert.equal(csv, path.join(dir, 'report.csv'));
      const rows = fs.readFileSync(csv!, 'utf8').trim().split('\n');
      assert.equal(rows.length, 3);
      assert.ok(rows[0].startsWith('path,width,height,ms,gt,iou,dice'), rows[0]);
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
      assert.equal(json.mode, 'text');
      assert.deepEqual(json.summary, { images: 2, failed: 0, withGroundTruth: 1, meanIoU: 1 });
      assert.equal(json.images.find((i: { path: string }) => i.path === 'images/text.png').gt, 'masks/text.png');
    });

    test("the page's Cancel stops a folder run: it ends cancelled with fewer than all done, and nothing runs after it", async () => {
      const a = await api();
      const client = a.daemonClient()!;
      // 24 different images (distinct content: none is answered from the result cache).
      const big = fs.mkdtempSync(path.join(path.dirname(dir), 'seglens-cancel-'));
      try {
        for (let k = 0; k < 24; k++) {
          const values = Uint8Array.from({ length: 320 * 320 }, (_, p) => (p * (k + 3) + k * 17) % 256);
          fs.writeFileSync(path.join(big, `g${String(k).padStart(2, '0')}.png`), writePng({ width: 320, height: 320, values, colorType: 0 }));
        }
        const { progress, tiles } = await a.gallery.cancelAfterForTest(vscode.Uri.file(big), 2);
        assert.ok(progress, 'the run reported progress');
        assert.equal(progress.cancelled, true, JSON.stringify(progress));
        assert.equal(progress.running, false);
        assert.ok(progress.done >= 2 && progress.done < 24, `done ${progress.done} of 24`);
        assert.equal(tiles.filter((t) => t.state === 'done').length, progress.done, 'the tiles say what the progress says');
        const after = metric((await client.metrics()).text, 'seglens_inference_duration_seconds_count', 'text');
        // A batch segment of our own queues behind anything the run still had sent: once it is
        // answered, the daemon has run exactly one more inference, ours.
        await client.segment({ mode: 'text', image: { path: path.join(big, 'g00.png') }, priority: 'batch' });
        assert.equal(metric((await client.metrics()).text, 'seglens_inference_duration_seconds_count', 'text'), after + 1, 'no inference of the run after it ended');
      } finally {
        fs.rmSync(big, { recursive: true, force: true });
      }
    });

    test('after a window reload the gallery comes back on its folder, from the result cache; a state naming another folder is refused', async () => {
      const a = await api();
      const client = a.daemonClient()!;
      // The exports of the test before wrote images into the folder: they are not the point here.
      for (const f of ['out', 'report.csv', 'report.json']) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
      const before = metric((await client.metrics()).text, 'seglens_inference_duration_seconds_count', 'text');
      // The state the page saved (media/webview/gallery/main.ts), as VS Code hands it back after a reload.
      const restored = await a.gallery.restoreForTest({ path: dir, sort: 'score', filter: 'all' });
      assert.ok(restored, 'a folder opened here before is restored');
      assert.equal(restored.folder, dir);
      assert.deepEqual(restored.tiles.map((t) => [t.rel, t.state, t.cached]), [['images/chelsea-cat.jpg', 'done', true], ['images/text.png', 'done', true]]);
      assert.equal(metric((await client.metrics()).text, 'seglens_inference_duration_seconds_count', 'text'), before, 'no inference: the results came from the cache');
      const other = fs.mkdtempSync(path.join(path.dirname(dir), 'seglens-not-opened-'));
      try {
        assert.equal(await a.gallery.restoreForTest({ path: other }), undefined, 'a folder never opened here (outside the workspace) is not');
        assert.equal(await a.gallery.restoreForTest({ path: 'relative/path' }), undefined, 'nor a relative path');
      } finally {
        fs.rmSync(other, { recursive: true, force: true });
      }
    });
  });
}
