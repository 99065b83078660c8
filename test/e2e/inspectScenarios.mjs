// The preview as an inspection tool (issue 16), in the shared session after the scenarios of
// scenarios.mjs: zoom to 400% and read a pixel's colour in a screenshot; the threshold slider
// against the daemon's own mask; fast vs accurate compared (divider, IoU checked against the
// daemon's masks); a TIFF made here shown through the daemon's display image, aligned; a
// 6000x4000 TIFF of one-pixel lines at 1:1 and 400%, drawn from the full-resolution crop.
// Keys go through VS Code's keybindings (package.json), as a user's would.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as H from './lib/harness.mjs';
import { withDaemon } from './lib/daemon.mjs';
import { sleep } from './lib/procs.mjs';

const sharp = createRequire(path.join(H.REPO, 'package.json'))('sharp');
// scenarios.mjs's helpers, given when it builds its list (no import cycle between the two files).
let previewSample;
let checkOverlay;

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** The preview's frame with a result on screen (previewing the sample first if needed). */
async function resultFrame(ctx) {
  // Scenario 6 opened a second window: bring the first (with the preview) to the front.
  await ctx.page.bringToFront();
  const frame = await H.findFrameWith(ctx.page, '#overlay', 3_000).catch(() => undefined);
  const ready = frame && (await frame.evaluate(() => document.getElementById('overlay').width > 0).catch(() => false));
  return ready ? frame : previewSample(ctx, ctx.page);
}

/** The daemon's own mask for the sample in `mode` (a second request, through the same registry). */
async function daemonMask(ctx, mode, file = path.join(ctx.workspace, ctx.sample)) {
  const r = await withDaemon(ctx.server.runtimeDir, (c) => c.segment({ mode, image: { path: file } }));
  const { data, info } = await sharp(Buffer.from(r.maskPng, 'base64')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, classes: r.classes };
}

/** Presses keys with the preview focused (a click on the picture: no control has focus). */
async function keys(ctx, frame, ...ks) {
  await frame.locator('#paneMain').click({ position: { x: 3, y: 3 } });
  for (const k of ks) {
    await ctx.page.keyboard.press(k);
    await sleep(120);
  }
}

const stageData = (frame, key) => frame.evaluate((k) => document.getElementById('stage').dataset[k], key);

/** Alpha of every overlay pixel (the mask as painted now). */
async function overlayAlpha(frame) {
  const b64 = await frame.evaluate(() => {
    const c = document.getElementById('overlay');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = '';
    for (let i = 3; i < d.length; i += 4) s += String.fromCharCode(d[i]);
    return btoa(s);
  });
  return Buffer.from(b64, 'base64');
}

/**
 * A pixel deep inside the foreground (its 9x9 neighbourhood all well above the 0.5 threshold),
 * nearest the centre, and one deep in the background (all well below it).
 */
function pickPixels(mask) {
  const { data, width: W, height: Hh } = mask;
  const solid = (x, y, v) => {
    for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) if (v ? data[(y + dy) * W + x + dx] < 200 : data[(y + dy) * W + x + dx] > 60) return false;
    return true;
  };
  let fg;
  let bg;
  let best = Infinity;
  for (let y = 4; y < Hh - 4; y += 2) {
    for (let x = 4; x < W - 4; x += 2) {
      const d = Math.hypot(x - W / 2, y - Hh / 2);
      if (d < best && solid(x, y, 1)) [best, fg] = [d, { x, y }];
      if (!bg && solid(x, y, 0)) bg = { x, y };
    }
  }
  return { fg, bg };
}

/** Where image pixel p's centre is in a screenshot of #paneMain. */
function pixelOnScreen(frame, p) {
  return frame.evaluate(({ x, y }) => {
    const pr = document.getElementById('paneMain').getBoundingClientRect();
    const cr = document.getElementById('content').getBoundingClientRect();
    const z = cr.width / document.getElementById('overlay').width;
    return { sx: cr.left - pr.left + (x + 0.5) * z, sy: cr.top - pr.top + (y + 0.5) * z, z };
  }, p);
}

async function zoomTo400(ctx, frame) {
  for (let i = 0; i < 16; i++) {
    const z = Number(await stageData(frame, 'zoom'));
    if (Math.abs(z - 4) < 1e-9) return;
    await keys(ctx, frame, z > 4 ? '-' : '=');
  }
  throw new Error(`the zoom is ${await frame.locator('#zoomValue').textContent()} after 16 key presses, wanted 400%`);
}

/** Drags the picture so that image pixel p is at the pane's centre. */
async function centreOn(ctx, frame, p) {
  const pane = await frame.locator('#paneMain').boundingBox();
  const at = await pixelOnScreen(frame, p);
  const from = { x: pane.x + pane.width / 2, y: pane.y + pane.height / 2 };
  await ctx.page.mouse.move(from.x, from.y);
  await ctx.page.mouse.down();
  await ctx.page.mouse.move(from.x + pane.width / 2 - at.sx, from.y + pane.height / 2 - at.sy, { steps: 5 });
  await ctx.page.mouse.up();
}

async function screenColour(frame, p) {
  const shot = await frame.locator('#paneMain').screenshot();
  const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = await pixelOnScreen(frame, p);
  const px = (x, y) => [...data.subarray((Math.floor(y) * info.width + Math.floor(x)) * 3, (Math.floor(y) * info.width + Math.floor(x)) * 3 + 3)];
  const h = at.z / 2 - 0.6; // the image pixel's square on screen, less a margin for rounding
  return { centre: px(at.sx, at.sy), corners: [px(at.sx - h, at.sy - h), px(at.sx + h, at.sy + h)], at };
}

const near = (a, b, tol = 3) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

/** The scenarios, with scenarios.mjs's previewSample and checkOverlay. */
export function inspectScenarios(helpers) {
  ({ previewSample, checkOverlay } = helpers);
  return scenarios;
}

const scenarios = [
  {
    name: 'inspect-zoom',
    title: 'fit by default; = to 400% by keybinding; a pixel inside the mask shows the class colour, nearest-neighbour',
    async run(ctx) {
      const frame = await resultFrame(ctx);
      assert(/^Fit/.test(await frame.locator('#zoomValue').textContent()), 'the picture is not fitted at first');
      const mask = await daemonMask(ctx, ctx.mode);
      const { fg, bg } = pickPixels(mask);
      assert(fg && bg, 'no solid foreground and background pixels in the mask');
      const colour = mask.classes.find((c) => c.id === 1).color;
      await zoomTo400(ctx, frame);
      assert((await frame.locator('#zoomValue').textContent()) === '400%', 'the toolbar does not say 400%');
      await centreOn(ctx, frame, fg);
      // v: overlay → mask view; m: soft → hard drawing (the class colour, opaque).
      await keys(ctx, frame, 'v', 'm');
      assert(await frame.evaluate(() => document.getElementById('stage').classList.contains('view-mask') && document.getElementById('stage').classList.contains('pixelated')), 'not in the mask view at a pixelated zoom');
      const inside = await screenColour(frame, fg);
      ctx.note(`pixel ${JSON.stringify(fg)} on screen at ${JSON.stringify(inside.at)}: ${inside.centre} (class colour ${colour})`);
      assert(near(inside.centre, colour), `screen colour ${inside.centre} at the foreground pixel, wanted the class colour ${colour}`);
      assert(inside.corners.every((c) => near(c, inside.centre, 1)), `the image pixel is not one flat square on screen: ${JSON.stringify(inside)}`);
      await ctx.shot(ctx.page, 'inspect-zoom-400');
      await centreOn(ctx, frame, bg);
      const outside = await screenColour(frame, bg);
      assert(!near(outside.centre, colour, 40), `a background pixel shows the class colour: ${outside.centre}`);
      // m twice (hard → outline → soft), v twice (mask → side → overlay), 0: fit.
      await keys(ctx, frame, 'm', 'm', 'v', 'v', '0');
      assert(/^Fit/.test(await frame.locator('#zoomValue').textContent()), '0 did not fit the picture');
    },
  },
  {
    name: 'inspect-threshold',
    title: "the threshold slider changes the hard view's foreground share exactly as the daemon's mask predicts; the readout reads the mask",
    async run(ctx) {
      const frame = await resultFrame(ctx);
      const mask = await daemonMask(ctx, ctx.mode);
      await frame.locator('input[name="matte"][value="hard"]').check();
      const shares = [];
      for (const t of [0.5, 0.15, 0.85]) {
        await frame.locator('#threshold').fill(String(t));
        await sleep(200);
        const alpha = await overlayAlpha(frame);
        assert(alpha.length === mask.data.length, `overlay ${alpha.length} px, mask ${mask.data.length} px`);
        const byte = Math.ceil(t * 255 - 1e-9);
        let shown = 0;
        let predicted = 0;
        for (let i = 0; i < alpha.length; i++) {
          if (alpha[i] === 255) shown++;
          if (mask.data[i] >= byte) predicted++;
        }
        shares.push({ t, shown: shown / alpha.length, predicted: predicted / alpha.length, label: await frame.locator('#share').textContent() });
        assert(shown === predicted, `threshold ${t}: ${shown} foreground pixels shown, the daemon's mask has ${predicted}; the page says: ${await frame.locator('#timings').textContent()} · ${await frame.locator('#name').textContent()} · ${ctx.mode}`);
      }
      ctx.note(`foreground share by threshold: ${JSON.stringify(shares)}`);
      assert(shares[1].shown > shares[0].shown && shares[2].shown < shares[0].shown, 'moving the slider did not change the foreground');
      // The readout under the pointer: the daemon's alpha there. A click there also gives the
      // picture the focus (the slider had it), so that I, announcing it, reaches the keybinding.
      const pane = await frame.locator('#paneMain').boundingBox();
      await ctx.page.mouse.click(pane.x + pane.width / 2, pane.y + pane.height / 2);
      await sleep(200);
      const text = await frame.locator('#readout').textContent();
      await ctx.page.keyboard.press('i');
      await frame.waitForFunction((t) => document.getElementById('announce').textContent === t, text, { timeout: 5_000 }).catch(() => {
        throw new Error(`I did not announce "${text}"`);
      });
      const m = /^x (\d+), y (\d+) · (\w+) · p\(foreground\) ([\d.]+)$/.exec(text);
      assert(m, `readout "${text}"`);
      const a = mask.data[Number(m[2]) * mask.width + Number(m[1])];
      assert(m[4] === (a / 255).toFixed(2), `readout says ${m[4]}, the mask has ${a}/255 at (${m[1]}, ${m[2]})`);
      await ctx.shot(ctx.page, 'inspect-readout');
      await frame.locator('#threshold').fill('0.5');
      await frame.locator('input[name="matte"][value="soft"]').check();
    },
  },
  {
    name: 'inspect-compare',
    title: 'compare fast with accurate: the second mode warms through the registry, a divider and an IoU appear; the IoU is the masks\' own',
    async run(ctx) {
      let frame = await resultFrame(ctx);
      if ((await frame.locator('#mode').inputValue()) !== 'fast') {
        await frame.locator('#mode').selectOption('fast');
        ctx.mode = 'fast';
        await frame.waitForFunction(() => /fast · \d+×\d+/.test(document.getElementById('timings').textContent), undefined, { timeout: 120_000 });
        frame = await resultFrame(ctx);
      }
      await frame.locator('#compareMode').selectOption('accurate');
      const states = new Set();
      const deadline = Date.now() + 170_000;
      while (!(await frame.locator('#iou').textContent())) {
        const s = await frame.locator('#compareState').textContent();
        if (s) states.add(s);
        assert(Date.now() < deadline, `no IoU; states seen ${JSON.stringify([...states])}`);
        await sleep(100);
      }
      const iou = Number(await frame.evaluate(() => document.getElementById('iou').dataset.iou));
      const divider = await frame.locator('#divider').isVisible();
      ctx.note(`compare states ${JSON.stringify([...states])}; ${await frame.locator('#iou').textContent()}`);
      assert(divider, 'no divider in the split view');
      assert(states.size > 0, 'the second mode\'s progress was never shown');
      const [a, b] = [await daemonMask(ctx, 'fast'), await daemonMask(ctx, 'accurate')];
      let inter = 0;
      let union = 0;
      for (let i = 0; i < a.data.length; i++) {
        const fa = a.data[i] >= 128;
        const fb = b.data[i] >= 128;
        if (fa && fb) inter++;
        if (fa || fb) union++;
      }
      assert(Math.abs(iou - inter / union) < 1e-9, `the page's IoU ${iou}, the daemon's masks give ${inter / union}`);
      await ctx.shot(ctx.page, 'inspect-compare-split');
      await frame.locator('input[name="compareView"][value="difference"]').check();
      await sleep(300);
      await ctx.shot(ctx.page, 'inspect-compare-difference');
      await frame.locator('#compareMode').selectOption('');
      assert(!(await frame.locator('#divider').isVisible()), 'the divider stayed after comparing stopped');
    },
  },
  {
    name: 'inspect-fullres',
    title: 'a 6000x4000 TIFF of one-pixel red lines: at 1:1 the page fetches the full-resolution crop, and a line pixel is red on screen where the 4096 px display image blurred it',
    async run(ctx) {
      const W = 6000;
      const Hh = 4000;
      const raw = Buffer.alloc(W * Hh * 3, 128);
      for (let y = 0; y < Hh; y++) for (let x = 0; x < W; x += 8) raw.set([255, 0, 0], (y * W + x) * 3);
      const tiff = 'lines-e2e.tiff';
      await sharp(raw, { raw: { width: W, height: Hh, channels: 3 } }).tiff({ compression: 'lzw' }).toFile(path.join(ctx.workspace, tiff));
      const frame = await previewSample({ ...ctx, sample: tiff }, ctx.page);
      await frame.waitForFunction(() => document.getElementById('image').naturalWidth > 0, undefined, { timeout: 30_000 });
      const shown = await frame.evaluate(() => [document.getElementById('image').naturalWidth, document.getElementById('overlay').width]);
      assert(shown[0] === 4096 && shown[1] === W, `display image ${shown[0]} px wide, mask ${shown[1]}: wanted 4096 and ${W}`);
      await frame.locator('input[name="view"][value="side"]').check(); // the picture without the overlay in the main pane
      await frame.locator('#zoom1').click(); // the toolbar's 1:1 (the radio's focus report may still be on its way for a key)
      await frame.waitForFunction(() => !!document.getElementById('stage').dataset.crop && !document.getElementById('crop').hidden, undefined, { timeout: 60_000 }).catch(async () => {
        throw new Error(`no full-resolution crop at 1:1 (zoom ${await stageData(frame, 'zoom')})`);
      });
      const crop = (await stageData(frame, 'crop')).split(',').map(Number);
      await zoomTo400(ctx, frame);
      await sleep(500);
      // A line pixel near the pane's centre, inside the crop, and the pixel between two lines.
      const c = await frame.evaluate(() => {
        const pr = document.getElementById('paneMain').getBoundingClientRect();
        const cr = document.getElementById('content').getBoundingClientRect();
        const z = cr.width / document.getElementById('overlay').width;
        return { x: (pr.left + pr.width / 2 - cr.left) / z, y: (pr.top + pr.height / 2 - cr.top) / z };
      });
      const line = { x: Math.round(c.x / 8) * 8, y: Math.floor(c.y) };
      const between = { x: line.x + 4, y: line.y };
      assert(line.x >= crop[0] && line.x < crop[0] + crop[2] && line.y >= crop[1] && line.y < crop[1] + crop[3], `pixel ${JSON.stringify(line)} outside the crop ${crop}`);
      const [on, off] = [await screenColour(frame, line), await screenColour(frame, between)];
      ctx.note(`crop ${crop}; line pixel ${JSON.stringify(line)} shows ${on.centre}, the pixel between lines ${off.centre}`);
      await ctx.shot(ctx.page, 'inspect-fullres-400');
      assert(near(on.centre, [255, 0, 0], 6), `the one-pixel line shows ${on.centre}, not red: the crop is not drawn aligned over the scaled-down picture`);
      assert(near(off.centre, [128, 128, 128], 6), `between the lines the screen shows ${off.centre}, not grey`);
      await frame.locator('input[name="view"][value="overlay"]').check();
      await keys(ctx, frame, '0');
    },
  },
  {
    name: 'inspect-tiff',
    title: 'a TIFF (made here from the sample) is shown through the daemon display image, with the overlay aligned',
    async run(ctx) {
      const tiff = `${path.parse(ctx.sample).name}-e2e.tiff`;
      await sharp(path.join(ctx.workspace, ctx.sample)).tiff({ compression: 'lzw' }).toFile(path.join(ctx.workspace, tiff));
      const tctx = { ...ctx, sample: tiff };
      const frame = await previewSample(tctx, ctx.page);
      await frame.waitForFunction(() => document.getElementById('image').naturalWidth > 0, undefined, { timeout: 30_000 });
      const img = await frame.evaluate(() => {
        const i = document.getElementById('image');
        return { src: i.src.slice(0, 16), w: i.naturalWidth, h: i.naturalHeight, mw: document.getElementById('overlay').width, mh: document.getElementById('overlay').height };
      });
      ctx.note(`TIFF shown from ${img.src}… ${img.w}x${img.h}, mask ${img.mw}x${img.mh}`);
      assert(img.src.startsWith('data:image/'), `the TIFF is not shown from the display image (${img.src})`);
      assert(img.w === img.mw && img.h === img.mh, 'the display image and the mask differ in size');
      const stats = await checkOverlay(tctx, frame);
      ctx.note(`overlay on the TIFF ${JSON.stringify(stats)}`);
    },
  },
];
