/// <reference types="mocha" />
// The preview as an inspection tool (issue 16), inside the real extension host with the real
// daemon: hostile messages from the page are refused and change nothing; TIFF, 16-bit PNG,
// CMYK and EXIF-rotated JPEG inputs (made here with sharp) come with a display image that has
// the mask's size and orientation; the page may read nothing but its own script and style;
// a restored panel reopens only a workspace file or one previewed before; a comparison runs
// the second mode and reports its result.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as vscode from 'vscode';
import { api, sampleFolder, setting, waitForEvent, waitForState } from './helpers';

const MODE = 'text';

export function register(): void {
  suite('SegLens preview: inspection, display images, hostile messages', () => {
    let dir = '';
    suiteSetup(async () => {
      await setting('daemon.idleExitMinutes', 0.25);
      await setting('mode', MODE);
      dir = sampleFolder(['text.png', 'chelsea-cat.jpg']);
      const quadrants = () =>
        sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 250, g: 250, b: 250 } } }).composite([
          { input: { create: { width: 32, height: 24, channels: 3, background: { r: 10, g: 10, b: 10 } } }, left: 0, top: 0 },
        ]);
      await quadrants().tiff().toFile(path.join(dir, 'q.tiff'));
      await quadrants().toColourspace('rgb16').png().toFile(path.join(dir, 'q16.png'));
      await quadrants().toColourspace('cmyk').jpeg().toFile(path.join(dir, 'qcmyk.jpg'));
      await quadrants().jpeg().withMetadata({ orientation: 6 }).toFile(path.join(dir, 'qrot.jpg'));
      await quadrants().png().toFile(path.join(dir, 'q.png'));
    });
    suiteTeardown(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await setting('mode', undefined);
      await setting('daemon.idleExitMinutes', undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    async function preview(name: string) {
      const a = await api();
      const uri = vscode.Uri.file(path.join(dir, name));
      const got = waitForEvent(a.preview.onDidReceiveResult, (r) => r.uri.fsPath === uri.fsPath, 90_000, `a result for ${name}`);
      await vscode.commands.executeCommand('seglens.preview', uri);
      return got;
    }

    for (const [name, why] of [
      ['q.tiff', 'TIFF'],
      ['q16.png', '16-bit PNG'],
      ['qcmyk.jpg', 'CMYK JPEG'],
    ]) {
      test(`${why}: the daemon's display image comes with the result, at the mask's size`, async () => {
        const r = await preview(name);
        const d = r.result.displayImage;
        assert.ok(d, `a display image for ${name}`);
        assert.deepEqual([d.width, d.height, r.result.width, r.result.height], [64, 48, 64, 48]);
        const meta = await sharp(Buffer.from(d.data, 'base64')).metadata();
        assert.deepEqual([meta.width, meta.height, meta.space, meta.depth], [64, 48, 'srgb', 'uchar']);
        // The dark quadrant is top left in the display image, as in the file.
        const { data, info } = await sharp(Buffer.from(d.data, 'base64')).raw().toBuffer({ resolveWithObject: true });
        const red = (x: number, y: number) => data[(y * info.width + x) * info.channels];
        assert.ok(red(5, 5) < 80 && red(60, 40) > 180, 'dark top left, light bottom right');
      });
    }

    test('EXIF-rotated JPEG: the display image is oriented like the mask', async () => {
      const r = await preview('qrot.jpg');
      const d = r.result.displayImage!;
      assert.deepEqual([r.result.width, r.result.height], [48, 64], 'the mask is in the displayed orientation');
      assert.deepEqual([d.width, d.height], [48, 64]);
      const { data, info } = await sharp(Buffer.from(d.data, 'base64')).raw().toBuffer({ resolveWithObject: true });
      const red = (x: number, y: number) => data[(y * info.width + x) * info.channels];
      // Rotated 90° clockwise: the stored top-left dark quadrant is now top right.
      assert.ok(red(43, 5) < 80 && red(4, 5) > 180, 'dark top right after rotation');
    });

    test('a plain PNG is shown from its own bytes: no display image is asked for', async () => {
      const r = await preview('q.png');
      assert.equal(r.result.displayImage, undefined);
    });

    test('the page can load nothing but its own script, style and icon folders', async () => {
      const a = await api();
      const roots = a.preview.panel()!.webview.options.localResourceRoots!.map((u) => u.path);
      const ext = vscode.extensions.getExtension('seglens.seglens')!.extensionUri.path;
      assert.deepEqual(roots.sort(), [`${ext}/dist`, `${ext}/media/webview`].sort());
      assert.ok(!roots.some((r) => r.startsWith(dir)), 'not the image folder');
    });

    test('hostile messages from the page are refused and change nothing', async () => {
      const a = await api();
      const before = await preview('text.png');
      const results: string[] = [];
      const sub = a.preview.onDidReceiveResult((r) => results.push(r.uri.fsPath));
      const hostile: unknown[] = [
        { type: 'navigate', delta: 1000 },
        { type: 'navigate', delta: '1' },
        { type: 'setMode', mode: '../../../etc/passwd' },
        { type: 'setMode', mode: 'no-such-mode' },
        { type: 'compare', mode: { id: 'fast' } },
        { type: 'saveMask', path: path.join(os.tmpdir(), 'evil.png') },
        { type: 'imageFailed', path: '/etc/passwd' },
        { type: 'openFile', path: '/etc/passwd' },
        { type: 'focus', control: 'yes' },
        'rerun',
        null,
      ];
      try {
        for (const m of hostile) {
          const refused = waitForEvent(a.preview.onDidRefuseMessage, () => true, 5_000, `the refusal of ${JSON.stringify(m)}`);
          await a.preview.receiveForTest(m);
          assert.ok((await refused).length > 0);
        }
        assert.equal(a.preview.lastResult()?.uri.fsPath, before.uri.fsPath, 'still the same image');
        assert.equal(a.preview.lastResult()?.mode, MODE, 'still the same mode');
        assert.equal(vscode.workspace.getConfiguration('seglens').get('mode'), MODE, 'the mode setting is untouched');
        // A valid message still works afterwards, and its result is the first one seen since: a
        // run a hostile message had started would have been answered before it.
        const next = waitForEvent(a.preview.onDidReceiveResult, () => true, 90_000, 'a result after a valid navigate');
        await a.preview.receiveForTest({ type: 'navigate', delta: -1 });
        const valid = (await next).uri.fsPath;
        assert.notEqual(valid, before.uri.fsPath);
        assert.deepEqual(results, [valid], 'no hostile message started a run');
      } finally {
        sub.dispose();
      }
    });

    test('a restored panel opens a file previewed before, never an arbitrary path from the page state', async () => {
      const a = await api();
      const secret = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-never-opened-'));
      const never = path.join(secret, 'never.png');
      fs.copyFileSync(path.join(dir, 'q.png'), never);
      try {
        assert.equal(await a.preview.restoreForTest({ imagePath: never, mode: MODE }), undefined, 'a file never previewed here and outside the workspace');
        assert.equal(await a.preview.restoreForTest({ imagePath: 42, mode: MODE }), undefined, 'not a path');
        const reopened = await a.preview.restoreForTest({ imagePath: path.join(dir, 'q.png'), mode: MODE });
        assert.equal(reopened?.fsPath, path.join(dir, 'q.png'), 'a file previewed before');
      } finally {
        fs.rmSync(secret, { recursive: true, force: true });
      }
    });

    test("a restored panel previews in the window's mode, not an older one kept in its page state", async () => {
      const a = await api();
      const image = path.join(dir, 'q.png');
      await preview('q.png'); // previewed here before, so the restore reopens it
      const restored = (mode: string) => {
        const got = waitForEvent(a.preview.onDidReceiveResult, (r) => r.uri.fsPath === image, 120_000, `the restored panel's result (page state ${mode})`);
        return a.preview.restoreForTest({ imagePath: image, mode }).then(() => got);
      };
      try {
        // The workbench may restore a page state saved before seglens.mode last changed.
        const r = await restored('fast');
        assert.equal(r.mode, MODE, `the restored panel segmented with ${r.mode}; the window's mode is ${a.getState().mode}`);
      } finally {
        await restored(MODE); // the later tests start from a panel in MODE, whatever happened
      }
    });

    test('progressive: with fast warm and the chosen mode cold, fast is shown first as provisional, then replaced', async () => {
      const a = await api();
      await preview('chelsea-cat.jpg');
      const client = a.daemonClient()!;
      await client.ensureReady('fast');
      await client.unload('balanced');
      await waitForState(a, (st) => st.modes.fast === 'warm' && st.modes.balanced === 'cold', 30_000, 'fast warm and balanced cold');
      const order: string[] = [];
      const subs = [a.preview.onDidShowProvisional((r) => order.push(`provisional ${r.mode}`)), a.preview.onDidReceiveResult((r) => order.push(`final ${r.mode}`))];
      try {
        const final = waitForEvent(a.preview.onDidReceiveResult, (r) => r.mode === 'balanced', 180_000, 'the balanced result');
        await a.preview.receiveForTest({ type: 'setMode', mode: 'balanced' });
        await final;
        assert.deepEqual(order, ['provisional fast', 'final balanced']);
        assert.equal(a.preview.lastResult()?.mode, 'balanced', 'only the final result is kept (and saved)');
        // Now warm: a re-run shows no provisional mask.
        order.length = 0;
        const again = waitForEvent(a.preview.onDidReceiveResult, (r) => r.mode === 'balanced', 60_000, 'the warm balanced result');
        await a.preview.receiveForTest({ type: 'rerun' });
        await again;
        assert.deepEqual(order, ['final balanced']);
      } finally {
        for (const s of subs) s.dispose();
        await a.preview.receiveForTest({ type: 'setMode', mode: MODE });
      }
    });

    test('compare: the second mode runs through the daemon and its result reaches the panel', async () => {
      const a = await api();
      await preview('text.png');
      const compared = waitForEvent(a.preview.onDidCompare, (c) => c.mode === 'fast', 180_000, 'the comparison result');
      await a.preview.receiveForTest({ type: 'compare', mode: 'fast' });
      const c = await compared;
      assert.equal(c.uri.fsPath, path.join(dir, 'text.png'));
      assert.deepEqual([c.result.width, c.result.height], [448, 172]);
      assert.equal(a.preview.lastComparison()?.mode, 'fast');
      await a.preview.receiveForTest({ type: 'compare', mode: null });
      assert.equal(a.preview.lastComparison(), undefined);
    });
  });
}
