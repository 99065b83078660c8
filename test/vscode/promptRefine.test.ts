/// <reference types="mocha" />
// A prompt mode (issue 25) in the real extension host with the real daemon: a SAM-shaped pair
// built by samModels.ts, defined through seglens.customModels; Preview Segmentation in that mode
// opens the mask editor, which embeds the image; two clicks give the union of the discs the test
// decoder draws (computed independently, pixel for pixel, by samReference.ts), the second with
// the first answer fed back; undo brings back the first answer; Ctrl+S writes it as the ground
// truth; Tab shows the other candidates; the encoder ran once for the image.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as vscode from 'vscode';
import { writeSamPair } from '../helpers/samModels';
import { maskMismatch, refLowRes, refMask, type RefPoint } from '../helpers/samReference';
import { writePng } from '../helpers/pngWriter';
import { api, openedEditor as opened, setting, waitForEvent, waitForState } from './helpers';

const ID = 'test-sam-prompt';
const SIZE = 256;
const RADII = [20, 40];

export function register(): void {
  suite('SegLens prompt mode (issue 25)', () => {
    let dir = '';
    let image = '';
    const W = 300;
    const H = 200;
    suiteSetup(async () => {
      await setting('daemon.idleExitMinutes', 0.25);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-prompt-'));
      const pair = writeSamPair(path.join(dir, 'models'), ID, { encoder: { size: SIZE, layers: 0 }, decoder: { size: SIZE, radii: RADII } });
      fs.mkdirSync(path.join(dir, 'images'));
      fs.mkdirSync(path.join(dir, 'masks'));
      image = path.join(dir, 'images', 'grey.png');
      fs.writeFileSync(image, writePng({ width: W, height: H, colorType: 0, values: Array.from({ length: W * H }, (_, i) => (i % W) % 256) }));
      await setting('customModels', [pair.definition]);
      const a = await api();
      if (a.getState().daemon === 'ready') await waitForState(a, (s) => ID in s.modes, 30_000, `${ID} in the mode list`);
      await setting('mode', ID);
    });
    suiteTeardown(async () => {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await setting('mode', undefined);
      await setting('customModels', undefined);
      await setting('daemon.idleExitMinutes', undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('Preview Segmentation opens the editor; two clicks give the discs; undo; Ctrl+S saves; one encoder run', async () => {
      const a = await api();
      const uri = vscode.Uri.file(image);
      await vscode.commands.executeCommand('seglens.preview', uri);
      const size = await opened(uri);
      assert.deepEqual(size, { width: W, height: H });
      assert.equal(a.refine.documentForTest(uri)?.edits, 0);
      const p1: RefPoint = { x: 80.5, y: 60.25, label: 1 };
      const p2: RefPoint = { x: 200, y: 140.5, label: 1 };
      // The candidate of this radius for these points; `previous`: the points of the answer fed
      // back, whose best candidate is SAM's mask input.
      const want = (points: RefPoint[], radius: number, previous?: RefPoint[]) =>
        refMask(points, undefined, H, W, SIZE, radius, previous && refLowRes(previous, undefined, H, W, SIZE, RADII[1]));
      await a.refine.receiveForTest(uri, { type: 'refinePrompt', points: [p1] });
      assert.equal(a.refine.documentForTest(uri)?.edits, 1);
      const first = await a.refine.renderForTest(uri);
      await a.refine.receiveForTest(uri, { type: 'refinePrompt', points: [p1, p2] });
      assert.equal(a.refine.documentForTest(uri)?.edits, 2);
      // The best candidate (iou 0.9) is the disc of radius 40; the first answer is fed back.
      const R = RADII[1];
      const two = exact(await decode(await a.refine.renderForTest(uri)), want([p1, p2], R, [p1]), 'two clicks');
      const one = exact(await decode(first), want([p1], R), 'one click');
      assert.ok(two > one && one > 1000, `foreground: two clicks ${two}, one click ${one}`);
      // Undo: the first answer again.
      await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
      await vscode.commands.executeCommand('undo');
      for (let i = 0; i < 50 && a.refine.documentForTest(uri)?.edits !== 1; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(a.refine.documentForTest(uri)?.edits, 1);
      const undone = await a.refine.renderForTest(uri);
      assert.deepEqual(Buffer.from(undone!), Buffer.from(first!));
      // Ctrl+S: masks/grey.png (the `auto` rule), the first answer.
      const saved = waitForEvent(a.refine.onDidSaveGroundTruth);
      await vscode.workspace.save(uri);
      const s = await saved;
      assert.equal(s.groundTruth.fsPath, path.join(dir, 'masks', 'grey.png'));
      exact(await decode(fs.readFileSync(s.groundTruth.fsPath)), want([p1], R), 'saved');
      // Tab twice: past the probe candidate to the first, the disc of radius 20 (candidates in the decoder's order).
      await a.refine.receiveForTest(uri, { type: 'refineCandidate' });
      await a.refine.receiveForTest(uri, { type: 'refineCandidate' });
      assert.equal(a.refine.documentForTest(uri)?.edits, 3);
      const small = exact(await decode(await a.refine.renderForTest(uri)), want([p1], RADII[0]), 'the first candidate');
      assert.ok(small < one, `foreground: radius ${RADII[0]} ${small}, radius ${R} ${one}`);
      // The encoder ran once for this image: both prompts found its embedding.
      const text = (await a.daemonClient()!.metrics()).text;
      const computed = new RegExp(`^seglens_embeddings_total\\{[^}]*mode="${ID}"[^}]*outcome="computed"[^}]*\\}\\s+(\\S+)|^seglens_embeddings_total\\{[^}]*outcome="computed"[^}]*mode="${ID}"[^}]*\\}\\s+(\\S+)`, 'm').exec(text);
      assert.equal(Number(computed?.[1] ?? computed?.[2]), 1, text.split('\n').filter((l) => l.includes('embedding')).join('\n'));
    });
  });
}

/** Asserts that the rendered mask is the expected one, pixel for pixel; its foreground pixels. */
function exact(got: Uint8Array, want: Uint8Array, what: string): number {
  const m = maskMismatch(got, want);
  assert.deepEqual(m, { differing: 0, foreground: m.foreground, length: [want.length, want.length] }, `${what}: ${JSON.stringify(m)}`);
  assert.ok(m.foreground > 0, `${what}: the expected mask is empty`);
  return m.foreground;
}

/** A PNG's first channel. */
async function decode(png: Uint8Array | undefined): Promise<Uint8Array> {
  assert.ok(png, 'no mask rendered');
  return new Uint8Array(await sharp(Buffer.from(png)).extractChannel(0).raw().toBuffer());
}
