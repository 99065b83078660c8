// Refine a mask (issue 22), in the shared session: SegLens: Refine Mask on an image of
// refine/images/ (ground truth in refine/masks/, the layout `auto` finds) → two brush strokes,
// Ctrl+Z undoes one → Ctrl+S saves the ground truth, asking before it replaces the file → the
// saved PNG is the model's mask with exactly the other stroke → the gallery's score for it
// changes to the new one → closing with an unsaved edit asks → on the composite two-subject
// sample (test/helpers/composite.ts), the model prefers one subject, Alt+click removes it, a
// click keeps it alone and Shift+click keeps a brushed blob too, and a box around the other gives
// that one (IoU >= 0.9 with it segmented alone, background outside) → P14 (stroke-to-pixels latency) on a 4,000 x 3,000 image, printed. Keys go through VS Code's
// keybindings, as a user's would.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as H from './lib/harness.mjs';
import { withDaemon } from './lib/daemon.mjs';
import { sleep } from './lib/procs.mjs';
import { openGallery } from './galleryScenarios.mjs';

const sharp = createRequire(path.join(H.REPO, 'package.json'))('sharp');

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** refine/images/<sample> with a centred box as its ground truth in refine/masks/<stem>.png. */
async function buildFolder(ctx) {
  const images = path.join(ctx.workspace, 'refine', 'images');
  const masks = path.join(ctx.workspace, 'refine', 'masks');
  mkdirSync(images, { recursive: true });
  mkdirSync(masks, { recursive: true });
  const image = path.join(images, ctx.sample);
  copyFileSync(path.join(ctx.workspace, ctx.sample), image);
  const { width, height } = await sharp(image)
    .rotate()
    .metadata()
    .then((m) => (m.orientation >= 5 ? { width: m.height, height: m.width } : m));
  const raw = Buffer.alloc(width * height);
  for (let y = Math.round(height / 4); y < Math.round((3 * height) / 4); y++) raw.fill(255, y * width + Math.round(width / 4), y * width + Math.round((3 * width) / 4));
  const gt = path.join(masks, `${path.parse(ctx.sample).name}.png`);
  await sharp(raw, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(gt);
  return { image, gt, width, height };
}

/** Palette → SegLens: Refine Mask → the image under `folder` in the quick pick; the editor's frame once its mask is on screen. */
export async function openRefine(ctx, name, folder) {
  const page = ctx.page;
  await H.pickThroughCommand(page, 'SegLens: Refine Mask', { filter: name, match: folder, note: ctx.note });
  // The editor's page: a minute, for a busy machine (its file search and the webview's start).
  const frame = await H.findFrameWith(page, '#refineBar:not([hidden])', 60_000);
  await frame.waitForFunction(() => document.getElementById('stage').dataset.refineEdits !== undefined && document.getElementById('overlay').width > 0, undefined, { timeout: 150_000, polling: 200 });
  return frame;
}

const stageData = (frame, key) => frame.evaluate((k) => document.getElementById('stage').dataset[k], key);

/** Page coordinates of image point p (the content element is the image at the current zoom). */
export async function toPage(frame, p) {
  const box = await frame.locator('#content').boundingBox();
  const w = await frame.evaluate(() => document.getElementById('overlay').width);
  const k = box.width / w;
  return { x: box.x + p.x * k, y: box.y + p.y * k };
}

/** A brush stroke through image points (pressed, moved in `steps` per segment, released). */
async function drag(ctx, frame, points, steps = 8) {
  const mouse = ctx.page.mouse;
  const first = await toPage(frame, points[0]);
  await mouse.move(first.x, first.y);
  await mouse.down();
  for (const p of points.slice(1)) {
    const q = await toPage(frame, p);
    await mouse.move(q.x, q.y, { steps });
  }
  await mouse.up();
}

/** The keybinding's command reached the page. */
async function waitTool(frame, tool) {
  await frame.waitForFunction((t) => document.getElementById('stage').dataset.tool === t, tool, { timeout: 10_000, polling: 100 });
}

/**
 * The page has `n` edits in force and VS Code holds as many: an undo pressed before the page's
 * stroke reached VS Code finds nothing to undo (a whole-suite run on a busy machine did that).
 */
export async function waitEdits(frame, n) {
  await frame.waitForFunction((want) => {
    const d = document.getElementById('stage').dataset;
    return d.refineEdits === String(want) && d.refineHeld === String(want);
  }, n, { timeout: 30_000, polling: 100 });
}

/** Presses a key with the editor's picture focused (no control has focus, so the keybindings apply). */
export async function key(ctx, frame, k) {
  await frame.locator('#paneMain').focus();
  await ctx.page.keyboard.press(k);
}

/** Distance from p to the segment a-b. */
function distance(p, a, b) {
  const [abx, aby] = [b.x - a.x, b.y - a.y];
  const len2 = abx * abx + aby * aby;
  const t = len2 ? Math.max(0, Math.min(1, ((p.x - a.x) * abx + (p.y - a.y) * aby) / len2)) : 0;
  return Math.hypot(p.x - (a.x + t * abx), p.y - (a.y + t * aby));
}

/** The VS Code modal dialog's message, after it appeared. */
export async function dialogText(page, timeout = 20_000) {
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout });
  return (await dialog.innerText()).replace(/\s+/g, ' ');
}
/** Presses `label` in the dialog (focused, then Enter: a click just as the dialog opens may be lost). */
export async function dialogButton(page, label) {
  const button = page.locator('.monaco-dialog-box .monaco-button', { hasText: label }).first();
  for (let i = 0; i < 5 && (await page.locator('.monaco-dialog-box').isVisible()); i++) {
    await button.focus().catch(() => undefined);
    await page.keyboard.press('Enter');
    await page.locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: 2_000 }).catch(() => undefined);
  }
  if (await page.locator('.monaco-dialog-box').isVisible()) throw new Error(`the dialog stayed after pressing ${label}`);
}

/** The composite two-subject sample of test/helpers/composite.ts (bundled here, one builder for the daemon test and this run). */
async function composite() {
  const esbuild = createRequire(path.join(H.REPO, 'package.json'))('esbuild');
  const out = path.join(H.REPO, 'out', 'e2e', 'composite.cjs');
  await esbuild.build({ entryPoints: [path.join(H.REPO, 'test', 'helpers', 'composite.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', external: ['sharp'], logLevel: 'warning' });
  return createRequire(out)(out).buildComposite();
}

/** Mask bytes (first channel) of a PNG. */
const pixelsOf = async (png) => sharp(png).extractChannel(0).raw().toBuffer();

/** The gallery tile's IoU for `name`. */
async function tileIoU(gallery, name) {
  const text = await gallery.locator('.tile', { hasText: name }).first().locator('.tstate').textContent();
  return Number(/IoU ([\d.]+)/.exec(text)?.[1]);
}

/** The visible galleries of other folders than `folder` that list `name`: folder → its IoU. */
async function otherGalleries(page, folder, name) {
  const found = new Map();
  for (const f of page.frames()) {
    const other = await f
      .evaluate(() => (document.getElementById('grid') ? document.getElementById('folder')?.textContent : undefined))
      .catch(() => undefined);
    if (other && other !== folder && (await f.locator('.tile', { hasText: name }).count().catch(() => 0))) found.set(other, await tileIoU(f, name));
  }
  return found;
}

const percentile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

export const refineScenarios = [
  {
    name: 'refine',
    // Six editors and a gallery opened through menus and quick picks, each retried once if lost.
    timeoutMs: 300_000,
    title: 'Refine Mask → two strokes, Ctrl+Z one → Ctrl+S saves masks/<stem>.png after asking → exactly the other stroke → gallery re-scores → closing asks → box picks the other subject → P14',
    async run(ctx) {
      const page = ctx.page;
      await page.bringToFront();
      // code-server (VS Code in a browser) saves after a delay by default; VS Code desktop does
      // not: turn it off in this workspace, so that Ctrl+S and the close question are the user's.
      mkdirSync(path.join(ctx.workspace, '.vscode'), { recursive: true });
      writeFileSync(path.join(ctx.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'files.autoSave': 'off' }));
      const { gt, width, height } = await buildFolder(ctx);
      // The folder's gallery first: its score for the image changes when the editor saves its ground truth.
      // With a second editor group (the gallery scenario leaves its review/ gallery in one, a
      // preview in the other), this folder's gallery opens in the other group, so that both
      // galleries are visible, each listing a chelsea-cat.jpg: the layout in which whole-suite
      // runs once watched the wrong gallery. Each check below reads this folder's own page.
      const groups = page.locator('.editor-group-container');
      if ((await groups.count()) >= 2) await groups.nth(1).locator('.tab').first().click();
      const others = await otherGalleries(page, 'refine', ctx.sample);
      // This folder's gallery: another one (the gallery scenario's) may be open and visible, with a file of the same name.
      const grid = await openGallery(page, 'refine', ctx.note);
      await grid.waitForFunction(() => /IoU/.test(document.querySelector('.tile[data-state="done"] .tstate')?.textContent ?? ''), undefined, { timeout: 150_000, polling: 250 });
      const iouBefore = await tileIoU(grid, ctx.sample);
      let frame = await openRefine(ctx, ctx.sample, 'refine/images');
      const threshold = Number(await frame.evaluate(() => document.getElementById('threshold').value));
      const mode = await frame.evaluate(() => document.getElementById('mode').value);
      // Brush (B), foreground, 40 px: two strokes along the top and the bottom of the image.
      await key(ctx, frame, 'b');
      await waitTool(frame, 'brush');
      await frame.evaluate(() => {
        const s = document.getElementById('brushSize');
        s.value = '40';
        s.dispatchEvent(new Event('input'));
      });
      const radius = 20;
      const one = [
        { x: width * 0.1, y: height * 0.08 },
        { x: width * 0.9, y: height * 0.1 },
      ];
      const two = [
        { x: width * 0.1, y: height * 0.92 },
        { x: width * 0.9, y: height * 0.9 },
      ];
      await drag(ctx, frame, one);
      await waitEdits(frame, 1);
      // The pointer's positions as the page saw them (the check below rasterises them itself).
      const drawn = JSON.parse(await stageData(frame, 'lastStroke'));
      ctx.note(`stroke one: ${drawn.points.length} points from ${JSON.stringify(drawn.points[0])} (aimed at ${JSON.stringify(one[0])}) to ${JSON.stringify(drawn.points.at(-1))}, radius ${drawn.radius}`);
      await drag(ctx, frame, two);
      await waitEdits(frame, 2);
      await ctx.shot(page, 'refine-strokes');
      // The README's picture: the editor with both strokes, the brush outline at the pointer.
      const shot = await page.screenshot();
      await sharp(shot).resize({ width: 800 }).png({ palette: true, quality: 90 }).toFile(path.join(H.REPO, 'docs', 'images', 'refine.png'));
      // Ctrl+Z: the workbench's undo, through the edits the editor reported.
      await key(ctx, frame, 'Control+z');
      await waitEdits(frame, 1);
      const tab = page.locator('.editor-group-container.active .tabs-container .tab.active');
      assert(/dirty/.test((await tab.getAttribute('class')) ?? ''), 'the editor tab shows no dirty marker');
      // Ctrl+S: the ground truth exists, so VS Code's dialog asks first.
      const before = statSync(gt).mtimeMs;
      await key(ctx, frame, 'Control+s');
      const asked = await dialogText(page);
      ctx.note(`Ctrl+S asked: ${asked}`);
      assert(/Replace/i.test(asked) && asked.includes(path.basename(gt)), `no replace question: ${asked}`);
      await dialogButton(page, 'Replace');
      for (let i = 0; i < 100 && statSync(gt).mtimeMs === before; i++) await sleep(100);
      assert(statSync(gt).mtimeMs !== before, 'the ground truth was not written');
      await page.waitForFunction(() => !/dirty/.test(document.querySelector('.editor-group-container.active .tabs-container .tab.active')?.className ?? 'dirty'), undefined, { timeout: 10_000 });
      // The saved PNG: the model's mask at the threshold, with stroke one painted and nothing of stroke two.
      const r = await withDaemon(ctx.server.runtimeDir, (c) => c.segment({ mode, image: { path: path.join(ctx.workspace, 'refine', 'images', ctx.sample) } }));
      const model = await sharp(Buffer.from(r.maskPng, 'base64')).extractChannel(0).raw().toBuffer();
      const saved = await sharp(readFileSync(gt)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      assert(saved.info.width === width && saved.info.height === height, `saved ${saved.info.width}x${saved.info.height}`);
      const cut = Math.ceil(threshold * 255 - 1e-9);
      let wrong = 0;
      let painted = 0;
      let modelDiffers = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = y * width + x;
          const c = { x: x + 0.5, y: y + 0.5 };
          const d1 = Math.min(...drawn.points.map((p, k) => distance(c, drawn.points[Math.max(0, k - 1)], p)));
          if (Math.abs(d1 - radius) < 1e-6) continue; // on the edge: either answer is right
          const want = d1 < radius ? 255 : model[i] >= cut ? 255 : 0;
          if (d1 < radius) painted++;
          if (distance(c, two[0], two[1]) < radius && model[i] < cut) modelDiffers++;
          if (saved.data[i] !== want) {
            wrong++;
            if (wrong <= 8) ctx.note(`differs at ${x},${y}: saved ${saved.data[i]}, model ${model[i]}, d1 ${d1.toFixed(1)}, d2 ${distance(c, two[0], two[1]).toFixed(1)}`);
          }
        }
      }
      ctx.note(`saved ground truth: ${painted} px of stroke one painted, ${modelDiffers} px of undone stroke two left as the model had them, ${wrong} px differ`);
      assert(modelDiffers > 0, 'stroke two fell on foreground only: the check would prove nothing');
      assert(wrong === 0, `${wrong} pixels of the saved ground truth are not the model's mask plus stroke one`);
      // The gallery scored the image again against the new ground truth: the model's mask at the threshold vs the saved file.
      let inter = 0;
      let union = 0;
      for (let i = 0; i < width * height; i++) {
        const [a, b] = [model[i] >= cut, saved.data[i] >= 128];
        inter += a && b ? 1 : 0;
        union += a || b ? 1 : 0;
      }
      const iouNew = inter / union;
      // The gallery's tab (its page was put away while the editor covered it), then back to the editor.
      await page.locator('.tabs-container .tab', { hasText: 'SegLens: refine' }).first().click();
      const gallery = await H.findGalleryFrame(page, 'refine', 30_000);
      await gallery.waitForFunction(([name, before]) => {
        const t = [...document.querySelectorAll('.tile')].find((e) => e.textContent.includes(name));
        return t && !t.querySelector('.tstate').textContent.includes(`IoU ${before.toFixed(3)}`);
      }, [ctx.sample, iouBefore], { timeout: 30_000, polling: 200 });
      const iouAfter = await tileIoU(gallery, ctx.sample);
      ctx.note(`gallery IoU ${iouBefore} → ${iouAfter} (the saved ground truth against the model's mask: ${iouNew.toFixed(4)})`);
      assert(Math.abs(iouAfter - iouNew) < 0.0015, `the gallery shows IoU ${iouAfter}, the new ground truth gives ${iouNew}`);
      // Another folder's file of the same name kept its score (its ground truth did not change).
      for (const [folder, before] of others) {
        const f = await H.findGalleryFrame(page, folder, 1_000).catch(() => undefined);
        const now = f && (await tileIoU(f, ctx.sample));
        if (now !== undefined) ctx.note(`the ${folder}/ gallery's ${ctx.sample}: IoU ${before} → ${now}`);
        assert(now === undefined || now === before, `the ${folder}/ gallery's ${ctx.sample} changed from IoU ${before} to ${now}`);
      }
      // The editor's tab (not a preview's, "SegLens: <name>", which earlier scenarios may have left open).
      await page.locator('.tabs-container .tab', { hasText: ctx.sample }).filter({ hasNotText: 'SegLens' }).first().click();
      // Its page comes anew (hidden, it was put away) with the document's edit.
      frame = await H.findFrameWith(page, '#stage[data-refine-edits="1"]', 30_000);
      await frame.waitForFunction(() => document.getElementById('overlay').width > 0, undefined, { timeout: 30_000, polling: 100 });
      await key(ctx, frame, 'b');
      await waitTool(frame, 'brush');
      // Closing with an unsaved edit: VS Code asks.
      await drag(ctx, frame, [
        { x: width * 0.5, y: height * 0.5 },
        { x: width * 0.6, y: height * 0.5 },
      ]);
      await waitEdits(frame, 2);
      await page.waitForFunction(() => /dirty/.test(document.querySelector('.editor-group-container.active .tabs-container .tab.active')?.className ?? ''), undefined, { timeout: 10_000 });
      await H.runCommand(page, 'View: Close Editor');
      // VS Code asks, or (code-server keeps the unsaved document) the edit comes back with the editor.
      const question = await dialogText(page, 15_000).catch(() => undefined);
      if (question) {
        ctx.note(`closing asked: ${question}`);
        assert(/save the changes/i.test(question), `not a save question on close: ${question}`);
        await dialogButton(page, "Don't Save");
      } else {
        ctx.note('closing did not ask');
        const again = await openRefine(ctx, ctx.sample, 'refine/images');
        await waitEdits(again, 2);
        ctx.note('closing did not ask; reopened, the unsaved edit came back (2 edits, the tab dirty)');
        await page.waitForFunction(() => /dirty/.test(document.querySelector('.editor-group-container.active .tabs-container .tab.active')?.className ?? ''), undefined, { timeout: 10_000 });
        await key(ctx, again, 'Control+z');
        await waitEdits(again, 1);
        await H.runCommand(page, 'View: Close Editor');
      }
      // The editor is closed (its tab gone) before the next command, which reads the active tab.
      await page.waitForFunction((name) => ![...document.querySelectorAll('.tabs-container .tab')].some((t) => t.textContent.includes(name) && !t.textContent.includes('SegLens')), ctx.sample, { timeout: 10_000 });
      await boxScenario(ctx);
      await p14(ctx);
    },
  },
];

/** The composite of two subjects: the model prefers one; a box around the other gives that one, IoU >= 0.9 with it segmented alone, background outside. */
async function boxScenario(ctx) {
  const page = ctx.page;
  const c = await composite();
  const dir = path.join(ctx.workspace, 'refine', 'composite');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'two-subjects.png');
  writeFileSync(file, c.png);
  // The box's bar (IoU >= 0.9) was set in balanced, the window's mode when this scenario runs
  // alone; a whole-suite run comes here in fast (scenario 2), where a box drawn around the tile
  // measured 0.794. Run it in balanced either way.
  const previous = ctx.server.readSettings()['seglens.mode'] ?? 'balanced';
  await switchMode(ctx, 'balanced');
  const frame = await openRefine(ctx, 'two-subjects', 'refine/composite');
  const mode = await frame.evaluate(() => document.getElementById('mode').value);
  const threshold = Number(await frame.evaluate(() => document.getElementById('threshold').value));
  const cut = Math.ceil(threshold * 255 - 1e-9);
  const { W, H: Hh } = { W: c.width, H: c.height };
  const whole = await withDaemon(ctx.server.runtimeDir, (d) => d.segment({ mode, image: { path: file } }));
  const wholeMask = await pixelsOf(Buffer.from(whole.maskPng, 'base64'));
  const share = (mask, b) => {
    let n = 0;
    for (let y = b.top; y < b.top + b.height; y++) for (let x = b.left; x < b.left + b.width; x++) n += mask[y * W + x] >= cut ? 1 : 0;
    return n / (b.width * b.height);
  };
  const preferred = c.tiles.findIndex((t) => t.file === c.preferred);
  const other = 1 - preferred;
  const [sp, so] = [share(wholeMask, c.tiles[preferred].box), share(wholeMask, c.tiles[other].box)];
  ctx.note(`no box: ${(sp * 100).toFixed(1)}% of ${c.preferred}'s tile is mask, ${(so * 100).toFixed(1)}% of ${c.tiles[other].file}'s`);
  assert(sp > 0.2 && so < 0.02, `without a box the mask does not cover ${c.preferred} only`);
  // Keep/remove (K): Alt+click on the preferred subject removes its region; Ctrl+Z brings it back.
  const alphaAt = (p) => frame.evaluate(([x, y]) => document.getElementById('overlay').getContext('2d').getImageData(x, y, 1, 1).data[3], [Math.floor(p.x), Math.floor(p.y)]);
  const pb = c.tiles[preferred].box;
  const centre = { x: pb.left + pb.width / 2, y: pb.top + pb.height / 2 };
  assert((await alphaAt(centre)) > 0, 'no mask at the preferred subject');
  await key(ctx, frame, 'k');
  await waitTool(frame, 'keep');
  const at = await toPage(frame, centre);
  await page.keyboard.down('Alt');
  await page.mouse.click(at.x, at.y);
  await page.keyboard.up('Alt');
  await waitEdits(frame, 1);
  const removed = await alphaAt(centre);
  ctx.note(`Alt+click on ${path.basename(c.preferred)}: overlay alpha at its centre ${removed}`);
  assert(removed === 0, `Alt+click left the region (alpha ${removed})`);
  await key(ctx, frame, 'Control+z');
  await waitEdits(frame, 0);
  // Shift+click keeps another region too: a brushed blob on the other (background) tile, a click
  // on the preferred subject keeps it alone (the blob goes), Shift+click on the blob brings it back.
  const ob = c.tiles[other].box;
  const blob = { x: ob.left + ob.width / 2, y: ob.top + ob.height / 2 };
  await key(ctx, frame, 'b');
  await waitTool(frame, 'brush');
  await drag(ctx, frame, [blob, { x: blob.x + 12, y: blob.y }]);
  await waitEdits(frame, 1);
  assert((await alphaAt(blob)) > 0, 'the brushed blob is not foreground');
  await key(ctx, frame, 'k');
  await waitTool(frame, 'keep');
  await page.mouse.click(at.x, at.y);
  await waitEdits(frame, 2);
  const [keptSubject, keptBlob] = [await alphaAt(centre), await alphaAt(blob)];
  const blobAt = await toPage(frame, blob);
  await page.keyboard.down('Shift');
  await page.mouse.click(blobAt.x, blobAt.y);
  await page.keyboard.up('Shift');
  await waitEdits(frame, 3);
  const [bothSubject, bothBlob] = [await alphaAt(centre), await alphaAt(blob)];
  ctx.note(`keep (click, then Shift+click): subject alpha ${keptSubject} → ${bothSubject}, blob ${keptBlob} → ${bothBlob}`);
  assert(keptSubject > 0 && keptBlob === 0, `a click did not keep the subject alone (subject ${keptSubject}, blob ${keptBlob})`);
  assert(bothSubject > 0 && bothBlob > 0, `Shift+click did not keep the blob as well (subject ${bothSubject}, blob ${bothBlob})`);
  for (const n of [2, 1, 0]) {
    await key(ctx, frame, 'Control+z');
    await waitEdits(frame, n);
  }
  // Box (R) around the other subject's tile, outside → background (the default).
  await key(ctx, frame, 'r');
  await waitTool(frame, 'box');
  const b = c.tiles[other].box;
  await drag(ctx, frame, [
    { x: b.left + 0.2, y: b.top + 0.2 },
    { x: b.left + b.width - 0.2, y: b.top + b.height - 0.2 },
  ]);
  await waitEdits(frame, 1);
  await ctx.shot(page, 'refine-box');
  // Save as… → mask → the save dialog's default name.
  await frame.locator('#refineExport').click();
  await H.pickQuickPickItem(page, /^mask/);
  await page.locator(H.SEL.quickInput).waitFor({ state: 'visible', timeout: 20_000 });
  await sleep(300);
  await page.keyboard.press('Enter');
  const saved = path.join(dir, 'two-subjects.mask.png');
  for (let i = 0; i < 100 && !existsSync(saved); i++) await sleep(200);
  assert(existsSync(saved), 'Save as… mask wrote nothing');
  const edited = await pixelsOf(readFileSync(saved));
  const alone = await withDaemon(ctx.server.runtimeDir, async (d) => d.segment({ mode, image: { base64: (await c.alone(other)).toString('base64') } }));
  const aloneMask = await pixelsOf(Buffer.from(alone.maskPng, 'base64'));
  // The drawn box in whole pixels, as the page made it (rectFrom: floor/ceil of the corners).
  const box = { left: Math.floor(b.left + 0.2), top: Math.floor(b.top + 0.2), right: Math.ceil(b.left + b.width - 0.2), bottom: Math.ceil(b.top + b.height - 0.2) };
  let inter = 0;
  let union = 0;
  let outside = 0;
  for (let y = 0; y < Hh; y++) {
    for (let x = 0; x < W; x++) {
      const e = edited[y * W + x] >= cut;
      const inBox = x >= box.left && x < box.right && y >= box.top && y < box.bottom;
      if (!inBox) {
        outside += edited[y * W + x] !== 0 ? 1 : 0;
        continue;
      }
      const a = aloneMask[(y - b.top) * b.width + (x - b.left)] >= cut;
      inter += e && a ? 1 : 0;
      union += e || a ? 1 : 0;
    }
  }
  const iou = union ? inter / union : 0;
  ctx.note(`box around ${c.tiles[other].file}: IoU ${iou.toFixed(3)} with it segmented alone; ${outside} px outside the box not background`);
  assert(iou >= 0.9, `box IoU ${iou} < 0.9`);
  assert(outside === 0, `${outside} pixels outside the box are not background`);
  // Undo the box, close without a question (nothing left to save).
  await key(ctx, frame, 'Control+z');
  await waitEdits(frame, 0);
  await H.runCommand(page, 'View: Close Editor');
  await switchMode(ctx, previous); // the window's mode as this scenario found it
}

/** Selects mode `id` through SegLens: Switch Mode; resolves once the user setting has it. */
async function switchMode(ctx, id) {
  if (ctx.server.readSettings()['seglens.mode'] === id) return;
  await H.runCommand(ctx.page, 'SegLens: Switch Mode');
  await H.pickQuickPickItem(ctx.page, new RegExp(`${id} · `));
  for (let i = 0; i < 100 && ctx.server.readSettings()['seglens.mode'] !== id; i++) await sleep(100);
  assert(ctx.server.readSettings()['seglens.mode'] === id, `Switch Mode did not select ${id}`);
}

/** P14: a 4,000 x 3,000 image, one long stroke; the page's own latencies. */
async function p14(ctx) {
  const big = path.join(ctx.workspace, 'refine', 'big', 'big-4000x3000.jpg');
  if (!existsSync(big)) {
    mkdirSync(path.dirname(big), { recursive: true });
    await sharp(path.join(ctx.workspace, ctx.sample)).rotate().resize(4000, 3000, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(big);
  }
  const frame = await openRefine(ctx, 'big-4000x3000', 'refine/big');
  await key(ctx, frame, 'b');
  await waitTool(frame, 'brush');
  await frame.evaluate(() => delete document.getElementById('stage').dataset.strokeLatencyMs);
  const pts = [];
  for (let k = 0; k <= 6; k++) pts.push({ x: 400 + k * 500, y: 1500 + (k % 2 ? 600 : -600) });
  await drag(ctx, frame, pts, 20);
  // The stroke is an edit once the extension has it: an undo pressed before that undoes nothing.
  await waitEdits(frame, 1);
  const lat = (await stageData(frame, 'strokeLatencyMs')).split(',').map(Number);
  assert(lat.length >= 100, `only ${lat.length} latencies`);
  const line = `P14 p50 ${percentile(lat, 0.5).toFixed(1)} p95 ${percentile(lat, 0.95).toFixed(1)} ms (stroke-to-pixels, ${lat.length} pointer events, 4000x3000)`;
  ctx.note(line);
  console.log(line);
  await key(ctx, frame, 'Control+z');
  await waitEdits(frame, 0);
  await H.runCommand(ctx.page, 'View: Close Editor');
}
