/// <reference types="mocha" />
// The mask editor (issue 22) in the real extension host with the real daemon: a ground-truth
// file opened with the editor finds its image by the rules run backwards; edits from the page
// are undone by VS Code's undo; Ctrl+S (workspace.save) writes the ground truth the reader reads.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import * as vscode from 'vscode';
import { readIndexPng } from '../../daemon/eval/pngIndices';
import { colorClassesDef, colorClassesModel, decodeMask, quadrantsPng, writeModel } from '../helpers/buildModels';
import { api, openedEditor as opened, sampleFolder, setting, waitForEvent, waitForState } from './helpers';

/** Distance from pixel centre p to the segment a-b (the test's own rasteriser). */
function distance(p: { x: number; y: number }, a: { x: number; y: number }, b: { x: number; y: number }): number {
  const [abx, aby] = [b.x - a.x, b.y - a.y];
  const len2 = abx * abx + aby * aby;
  const t = len2 ? Math.max(0, Math.min(1, ((p.x - a.x) * abx + (p.y - a.y) * aby) / len2)) : 0;
  return Math.hypot(p.x - (a.x + t * abx), p.y - (a.y + t * aby));
}

/** The 8-neighbour region of pixels equal to the seed's value (the test's own flood fill). */
function sameValueRegion(data: Uint8Array, width: number, height: number, seed: number): Set<number> {
  const region = new Set([seed]);
  const queue = [seed];
  while (queue.length) {
    const i = queue.pop()!;
    const [x, y] = [i % width, Math.floor(i / width)];
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const [nx, ny] = [x + dx, y + dy];
        const j = ny * width + nx;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height || region.has(j) || data[j] !== data[seed]) continue;
        region.add(j);
        queue.push(j);
      }
    }
  }
  return region;
}

const STROKE_RADIUS = 3;
/** Each pixel: 1 inside a stroke along y = `y` (from x 2 to width - 2), 0 outside, -1 on its edge (either answer is right). */
function strokeCover(width: number, height: number, y: number): Int8Array {
  const [a, b] = [{ x: 2, y }, { x: width - 2, y }];
  const cover = new Int8Array(width * height);
  for (let i = 0; i < cover.length; i++) {
    const d = distance({ x: (i % width) + 0.5, y: Math.floor(i / width) + 0.5 }, a, b);
    cover[i] = Math.abs(d - STROKE_RADIUS) < 1e-6 ? -1 : d < STROKE_RADIUS ? 1 : 0;
  }
  return cover;
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
      // Written beside as a temporary file, then renamed into place: nothing else is left.
      assert.deepEqual(fs.readdirSync(path.join(dir, 'masks')), ['text.png']);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      const mask = vscode.Uri.file(gt);
      await vscode.commands.executeCommand('vscode.openWith', mask, 'seglens.refine');
      await opened(mask);
      const doc = a.refine.documentForTest(mask)!;
      assert.equal(doc.groundTruth, true);
      assert.equal(doc.image.fsPath, image.fsPath, 'masks/text.png belongs to images/text.png');
      assert.ok(Buffer.from((await a.refine.renderForTest(mask))!).equals(fs.readFileSync(gt)), 'opened as saved');
    });

    test("Save as… cutout: the PNG's alpha is the edited mask, its colour the image where alpha > 0", async () => {
      const a = await api();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const image = vscode.Uri.file(path.join(dir, 'images', 'text.png'));
      await vscode.commands.executeCommand('seglens.refine', image);
      const { width, height } = await opened(image);
      const y = Math.round(height / 2) + 0.25;
      await a.refine.receiveForTest(image, { type: 'refineEdit', edit: { kind: 'stroke', points: [{ x: 2, y }, { x: width - 2, y }], radius: STROKE_RADIUS, value: 255, erase: false } });
      assert.equal(a.refine.documentForTest(image)?.edits, 1);
      const target = vscode.Uri.file(path.join(dir, 'text.cutout.png'));
      assert.equal((await a.refine.exportForTest(image, 'cutout', target))?.fsPath, target.fsPath);
      const cut = await sharp(fs.readFileSync(target.fsPath)).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([cut.info.width, cut.info.height, cut.info.channels], [width, height, 4]);
      // The mask: the model's own (asked of the daemon here) with the stroke painted at 255.
      const model = await decodeMask((await a.daemonClient()!.segment({ mode: 'text', image: { path: image.fsPath } })).maskPng);
      const rgb = await sharp(image.fsPath).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer();
      const cover = strokeCover(width, height, y);
      let alphaWrong = 0;
      let colourWrong = 0;
      let opaque = 0;
      for (let i = 0; i < width * height; i++) {
        const alpha = cut.data[i * 4 + 3];
        if (cover[i] >= 0 && alpha !== (cover[i] ? 255 : model.data[i])) alphaWrong++;
        if (alpha === 0) continue;
        opaque++;
        for (let c = 0; c < 3; c++) if (cut.data[i * 4 + c] !== rgb[i * 3 + c]) colourWrong++;
      }
      assert.ok(opaque > width * STROKE_RADIUS, `only ${opaque} pixels with alpha > 0`);
      assert.equal(alphaWrong, 0, 'alpha is the model mask plus the stroke');
      assert.equal(colourWrong, 0, 'RGB is the image where alpha > 0');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    test('a semantic mode: relabel a region and paint a class; Ctrl+S writes those class indices as the ground-truth reader reads them', async () => {
      const a = await api();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const ID = 'test-refine-colors';
      const sem = path.join(dir, 'semantic');
      fs.mkdirSync(path.join(sem, 'images'), { recursive: true });
      fs.mkdirSync(path.join(sem, 'masks'));
      const [W, H] = [80, 60];
      fs.writeFileSync(path.join(sem, 'images', 'quadrants.png'), await quadrantsPng(W, H));
      const model = writeModel(sem, 'colors.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [64, 64] }));
      try {
        await setting('customModels', [colorClassesDef(ID, model, [64, 64])]);
        if (a.getState().daemon === 'ready') await waitForState(a, (s) => ID in s.modes, 15_000, `${ID} in the mode list`);
        await setting('mode', ID);
        const image = vscode.Uri.file(path.join(sem, 'images', 'quadrants.png'));
        await vscode.commands.executeCommand('seglens.refine', image);
        assert.deepEqual(await opened(image), { width: W, height: H });
        // The model's class map, asked of the daemon here; the top-left (black: background, 0) becomes blue (3), then a green (2) stroke.
        const before = await decodeMask((await a.daemonClient()!.segment({ mode: ID, image: { path: image.fsPath } })).maskPng);
        const seed = { x: W / 4, y: H / 4 };
        assert.equal(before.data[Math.floor(seed.y) * W + Math.floor(seed.x)], 0, 'the top-left quadrant is background');
        await a.refine.receiveForTest(image, { type: 'refineEdit', edit: { kind: 'relabel', at: seed, value: 3 } });
        const y = H / 2 + 0.25;
        await a.refine.receiveForTest(image, { type: 'refineEdit', edit: { kind: 'stroke', points: [{ x: 2, y }, { x: W - 2, y }], radius: STROKE_RADIUS, value: 2, erase: false } });
        assert.equal(a.refine.documentForTest(image)?.edits, 2);
        const saved = waitForEvent(a.refine.onDidSaveGroundTruth);
        assert.ok(await vscode.workspace.save(image), 'saved');
        const gt = (await saved).groundTruth.fsPath;
        assert.equal(gt, path.join(sem, 'masks', 'quadrants.png'));
        const read = await readIndexPng(fs.readFileSync(gt));
        assert.ok(read, 'the ground-truth reader reads the file');
        assert.deepEqual([read.width, read.height], [W, H]);
        const region = sameValueRegion(before.data, W, H, Math.floor(seed.y) * W + Math.floor(seed.x));
        const cover = strokeCover(W, H, y);
        let wrong = 0;
        const seen = new Set<number>();
        for (let i = 0; i < W * H; i++) {
          seen.add(read.data[i]);
          if (cover[i] < 0) continue;
          const want = cover[i] ? 2 : region.has(i) ? 3 : before.data[i];
          if (read.data[i] !== want) wrong++;
        }
        assert.equal(wrong, 0, `${wrong} pixels are not the relabelled, painted class map`);
        assert.deepEqual([...seen].sort(), [1, 2, 3], 'no background left: it was relabelled blue');
      } finally {
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        await setting('mode', 'text');
        await setting('customModels', undefined);
      }
    });
  });
}
