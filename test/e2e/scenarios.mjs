// The user flows, in order, on one code-server and one workspace (a temporary copy of
// media/samples): each scenario starts where the one before left off, as a user's session
// would, and asserts what the user sees plus the daemon's own counters.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';

let shotCount = 0;
import * as path from 'node:path';
import * as H from './lib/harness.mjs';
import { withDaemon, metricValue } from './lib/daemon.mjs';
import { sleep, alive } from './lib/procs.mjs';

export const EXTENSION_ID = 'seglens.seglens';
export const STATUS = `${H.SEL.statusBar} ${H.statusItemSelector(EXTENSION_ID, 'seglens.status')}`;
export const START_MODE = 'balanced';
export const SWITCH_MODE = 'fast';

/** User settings for the scenarios' code-server: a quick mode, a short idle exit. */
export const SETTINGS = {
  'seglens.mode': START_MODE,
  'seglens.daemon.idleExitMinutes': 2,
};

const PREFERRED_SAMPLES = ['chelsea-cat.jpg', 'coffee-cup.jpg', 'astronaut.jpg', 'rocket.jpg'];

export function pickSample(workspace) {
  const files = readdirSync(workspace).filter((f) => /\.(png|jpe?g|webp)$/i.test(f));
  return PREFERRED_SAMPLES.find((f) => files.includes(f)) ?? files[0];
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const warmRe = (mode) => new RegExp(`\\b${mode} · warm\\b`);

async function metrics(ctx) {
  return withDaemon(ctx.server.runtimeDir, (c) => c.metrics());
}

async function daemonStatus(ctx) {
  return withDaemon(ctx.server.runtimeDir, async (c) => ({ init: c.init, status: await c.status() }));
}

function warmups(text, mode) {
  return metricValue(text, 'seglens_warmup_runs_total', mode ? { mode } : {});
}

/** Palette → Preview Segmentation → the image quick pick → the sample. Returns the webview frame. */
async function previewSample(ctx, page) {
  const frameBefore = await H.findFrameWith(page, '#overlay', 500).catch(() => undefined);
  if (frameBefore) {
    // A result replaces the timings: empty them so the next result is recognisable.
    await frameBefore.evaluate(() => document.getElementById('timings')?.replaceChildren()).catch(() => undefined);
  }
  await H.runCommand(page, 'SegLens: Preview Segmentation');
  // With no image editor active the command offers the workspace's images (with the preview
  // itself active it may re-run on the image shown instead). The pick waits for a workspace
  // file search, which takes seconds while a model warms on both cores: allow for it.
  const row = page.locator(H.SEL.quickRow).filter({ hasText: ctx.sample }).first();
  const picked = await row
    .waitFor({ state: 'visible', timeout: 20_000 })
    .then(() => true)
    .catch(() => false);
  if (picked) await row.click();
  else if (!frameBefore) throw new Error(`the image quick pick did not offer ${ctx.sample}`);
  else ctx.note('no image quick pick: the command re-ran on the image in the preview');
  const frame = await H.findFrameWith(page, '#overlay', 30_000);
  await frame.waitForFunction(
    () => document.querySelectorAll('#legend li').length > 0 && (document.getElementById('timings')?.textContent ?? '').length > 0 && document.getElementById('overlay').width > 0,
    undefined,
    { timeout: 120_000, polling: 200 },
  );
  return frame;
}

/** The displayed picture (image + overlay canvas) differs from the original where the mask is. */
async function checkOverlay(ctx, frame) {
  const sharp = createRequire(path.join(H.REPO, 'package.json'))('sharp');
  const { w, h, alpha, legend } = await frame.evaluate(() => {
    const c = document.getElementById('overlay');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const a = new Uint8Array(c.width * c.height);
    for (let i = 0; i < a.length; i++) a[i] = d[i * 4 + 3];
    let s = '';
    for (let i = 0; i < a.length; i += 8192) s += String.fromCharCode(...a.subarray(i, i + 8192));
    return { w: c.width, h: c.height, alpha: btoa(s), legend: [...document.querySelectorAll('#legend li')].map((li) => li.textContent.trim()) };
  });
  assert(legend.length > 0, 'the legend is empty');
  const shot = await frame.locator('#image').screenshot();
  writeFileSync(path.join(ctx.results, `overlay-${++shotCount}.png`), shot);
  const { data: shown, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const W = info.width;
  const Hh = info.height;
  const orig = await sharp(path.join(ctx.workspace, ctx.sample)).rotate().resize(W, Hh, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
  const alphaRaw = sharp(Buffer.from(alpha, 'base64'), { raw: { width: w, height: h, channels: 1 } });
  await alphaRaw.clone().png().toFile(path.join(ctx.results, `overlay-${shotCount}-alpha.png`));
  // (sharp turns a 1-channel raw input into 3 channels on output unless told otherwise)
  const mask = await alphaRaw.resize(W, Hh, { fit: 'fill' }).extractChannel(0).raw().toBuffer();
  let inN = 0;
  let inDiff = 0;
  let outN = 0;
  let outDiff = 0;
  for (let i = 0; i < W * Hh; i++) {
    const d = (Math.abs(shown[i * 3] - orig[i * 3]) + Math.abs(shown[i * 3 + 1] - orig[i * 3 + 1]) + Math.abs(shown[i * 3 + 2] - orig[i * 3 + 2])) / 3;
    if (mask[i] > 160) {
      inN++;
      inDiff += d;
    } else if (mask[i] < 16) {
      outN++;
      outDiff += d;
    }
  }
  const inside = inN ? inDiff / inN : 0;
  const outside = outN ? outDiff / outN : 0;
  const stats = { shown: `${W}x${Hh}`, mask: `${w}x${h}`, maskedFraction: +(inN / (W * Hh)).toFixed(3), meanDiffInside: +inside.toFixed(1), meanDiffOutside: +outside.toFixed(1), legend };
  assert(inN / (W * Hh) > 0.01, `the mask covers almost nothing: ${JSON.stringify(stats)}`);
  assert(inside > 12 && inside > outside + 8, `the displayed overlay does not differ from the original inside the mask: ${JSON.stringify(stats)}`);
  return stats;
}

export const scenarios = [
  {
    name: '1-preview',
    title: 'palette → Preview Segmentation on a sample → overlay and legend in the webview',
    async run(ctx) {
      ctx.mode = START_MODE;
      const page = ctx.page;
      const frame = await previewSample(ctx, page);
      const stats = await checkOverlay(ctx, frame);
      ctx.note(`overlay ${JSON.stringify(stats)}`);
    },
  },
  {
    name: '2-status-switch-mode',
    title: `status bar ${START_MODE} cold → warm after the preview; click → quick pick → ${SWITCH_MODE} → warm`,
    async run(ctx) {
      const page = ctx.page;
      // What the status item showed since the window opened (recorded every 50 ms).
      const seen = await H.statusHistory(page);
      ctx.note(`status history: ${JSON.stringify(seen)}`);
      const firstWarm = seen.findIndex((t) => warmRe(START_MODE).test(t));
      assert(firstWarm > 0, `the status bar never showed "${START_MODE} · warm": ${JSON.stringify(seen)}`);
      assert(
        seen.slice(0, firstWarm).some((t) => new RegExp(`${START_MODE} · (cold|loading|warming|starting)`).test(t)),
        `the status bar did not show ${START_MODE} cold (or loading/warming) before warm: ${JSON.stringify(seen)}`,
      );
      const before = await metrics(ctx);
      await H.statusHistory(page, { reset: true });
      await page.locator(STATUS).click();
      const rows = await H.quickPickRows(page);
      ctx.note(`mode quick pick: ${JSON.stringify(rows.map((r) => r.replace(/\s+/g, ' ')))}`);
      // Pick the row that names the mode id (a whole lower-case word in its description or
      // detail; the label is the mode's display name). A row's aria-label joins all three.
      const idx = await page.locator(H.SEL.quickRow).evaluateAll(
        (rows, id) => rows.findIndex((r) => new RegExp(`(^|[^A-Za-z0-9_-])${id}($|[^A-Za-z0-9_-])`).test(`${r.getAttribute('aria-label') ?? ''} ${r.textContent ?? ''}`)),
        SWITCH_MODE,
      );
      assert(idx >= 0, `no row of the mode quick pick names ${SWITCH_MODE}`);
      await page.locator(H.SEL.quickRow).nth(idx).click({ timeout: 10_000 });
      await H.waitForStatus(page, STATUS, new RegExp(`\\b${SWITCH_MODE} · `), 10_000);
      ctx.mode = SWITCH_MODE; // the scenarios after this one use the mode the window is in
      await H.waitForStatus(page, STATUS, warmRe(SWITCH_MODE), 120_000);
      const after = await metrics(ctx);
      const seen2 = await H.statusHistory(page);
      ctx.note(`status history after the switch: ${JSON.stringify(seen2)}`);
      assert(warmups(after, SWITCH_MODE) === warmups(before, SWITCH_MODE) + 1, `${SWITCH_MODE} warm-ups went ${warmups(before, SWITCH_MODE)} → ${warmups(after, SWITCH_MODE)}, wanted one more`);
      assert(warmups(after, START_MODE) === warmups(before, START_MODE), `switching re-warmed ${START_MODE}`);
      const settings = ctx.server.readSettings();
      assert(settings['seglens.mode'] === SWITCH_MODE, `user settings seglens.mode is ${settings['seglens.mode']}, wanted ${SWITCH_MODE}`);
    },
  },
  {
    name: '3-force-rewarm',
    title: 'palette → Force Re-warm → a notification with the duration; warm-ups +1',
    async run(ctx) {
      const page = ctx.page;
      const before = warmups(await metrics(ctx), ctx.mode);
      await H.runCommand(page, 'SegLens: Force Re-warm');
      const toast = await H.waitForToast(page, /re-?warm\w*\b.*\b\d+(\.\d+)?\s*(ms|s)\b/i, 120_000);
      ctx.note(`notification: ${toast}`);
      const after = warmups(await metrics(ctx), ctx.mode);
      assert(after === before + 1, `seglens_warmup_runs_total{mode="${ctx.mode}"} went ${before} → ${after}, wanted +1`);
      await H.waitForStatus(page, STATUS, warmRe(ctx.mode), 30_000);
    },
  },
  {
    name: '4-reload-stays-warm',
    title: 'reload the window → status bar warm again, no new warm-up',
    async run(ctx) {
      const page = ctx.page;
      const before = await metrics(ctx);
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.waitForSelector(H.SEL.workbench, { timeout: 60_000 });
      await H.recordStatus(page, STATUS);
      const t0 = Date.now();
      await H.waitForStatus(page, STATUS, warmRe(ctx.mode), 30_000);
      ctx.note(`warm ${Date.now() - t0} ms after the workbench appeared; history ${JSON.stringify(await H.statusHistory(page))}`);
      const after = await metrics(ctx);
      assert(warmups(after) === warmups(before), `seglens_warmup_runs_total went ${warmups(before)} → ${warmups(after)} over the reload`);
    },
  },
  {
    name: '5-daemon-killed',
    title: 'kill -9 the daemon → status bar shows it restarting → preview works again',
    async run(ctx) {
      const page = ctx.page;
      // Use SegLens in this (reloaded) window first: a window that only attached to the shared
      // daemon shows it cold when it dies; one that needs it restarts it.
      await previewSample(ctx, page);
      const { init } = await daemonStatus(ctx);
      const oldPid = init.pid;
      await H.statusHistory(page, { reset: true });
      process.kill(oldPid, 'SIGKILL');
      ctx.note(`killed daemon pid ${oldPid}`);
      await H.waitForStatus(page, STATUS, /restarting|starting|cold/, 20_000).catch(() => undefined);
      const frame = await previewSample(ctx, page);
      await checkOverlay(ctx, frame);
      const seen = await H.statusHistory(page);
      ctx.note(`status history: ${JSON.stringify(seen)}`);
      assert(seen.some((t) => /restarting/.test(t)), `the status bar never said the daemon was restarting: ${JSON.stringify(seen)}`);
      await H.waitForStatus(page, STATUS, warmRe(ctx.mode), 60_000);
      const { init: init2 } = await daemonStatus(ctx);
      assert(init2.pid !== oldPid && !alive(oldPid), `daemon pid is still ${oldPid}`);
      ctx.note(`new daemon pid ${init2.pid}`);
    },
  },
  {
    name: '6-second-window',
    title: 'a second window on the same workspace is warm at once; the daemon counts two clients',
    async run(ctx) {
      const before = await metrics(ctx);
      const page2 = await H.newPage(ctx.context);
      ctx.pages.push(page2);
      await H.openWorkbench(page2, ctx.url);
      await H.recordStatus(page2, STATUS);
      const t0 = Date.now();
      await H.waitForStatus(page2, STATUS, warmRe(ctx.mode), 30_000);
      const seen = await H.statusHistory(page2);
      ctx.note(`second window warm ${Date.now() - t0} ms after its workbench appeared; history ${JSON.stringify(seen)}`);
      assert(!seen.some((t) => /warming|loading/.test(t)), `the second window showed a warm-up: ${JSON.stringify(seen)}`);
      const after = await metrics(ctx);
      assert(warmups(after) === warmups(before), `seglens_warmup_runs_total went ${warmups(before)} → ${warmups(after)}`);
      // Our own connection counts too: two windows + this one.
      let clients;
      for (let i = 0; i < 50; i++) {
        clients = (await daemonStatus(ctx)).status.clients - 1;
        if (clients === 2) break;
        await sleep(200);
      }
      assert(clients === 2, `the daemon counts ${clients} window clients, wanted 2`);
      await ctx.shot(page2, 'second-window');
    },
  },
];

export function hasSamples() {
  return existsSync(path.join(H.REPO, 'media', 'samples'));
}
