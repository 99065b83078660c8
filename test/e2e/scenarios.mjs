// The user flows, in order, on one code-server and one workspace (a temporary copy of
// media/samples): each scenario starts where the one before left off, as a user's session
// would, and asserts what the user sees plus the daemon's own counters.
import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';

let shotCount = 0;
import * as path from 'node:path';
import * as H from './lib/harness.mjs';
import { withDaemon, metricValue, daemonSockets } from './lib/daemon.mjs';
import { sleep, alive, findProcesses } from './lib/procs.mjs';
import { inspectScenarios } from './inspectScenarios.mjs';
import { galleryScenarios } from './galleryScenarios.mjs';
import { refineScenarios } from './refineScenarios.mjs';
import { instanceScenarios } from './instanceScenarios.mjs';
import { promptScenarios } from './promptScenarios.mjs';

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
  // With no image editor active the command offers the workspace's images. The pick waits for a
  // workspace file search, which takes seconds while a model warms on both cores.
  await H.pickThroughCommand(page, 'SegLens: Preview Segmentation', { filter: ctx.sample, match: ctx.sample, note: ctx.note });
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
  // Issue 16: zoom, threshold, readout, compare, TIFF (inspectScenarios.mjs).
  ...inspectScenarios({ previewSample, checkOverlay }),
  // Issue 15: review a folder in the gallery (galleryScenarios.mjs).
  ...galleryScenarios,
  // Issue 22: refine a mask (refineScenarios.mjs).
  ...refineScenarios,
];

export function hasSamples() {
  return existsSync(path.join(H.REPO, 'media', 'samples'));
}

// ---- scenarios that need a VS Code of their own ----
// What VS Code does as it starts (seglens.warmOnStartup) and Workspace Trust cannot be tried
// on the session above: each of these starts its own code-server (own user data, runtime
// folder and so its own shared daemon) after the one above is stopped, so that one daemon
// runs at a time. `env` (run.mjs) gives:
//   env.server(name, { settings, trust })  a CodeServer with the extension installed (not started)
//   env.openWindow(server, folder)          a page on the folder, its status item recorded
//   env.closeWindows()                      closes this scenario's pages
//   env.workspace(name)                     a fresh copy of media/samples
//   env.run, env.note(msg), env.results
// run.mjs stops every server a scenario started, after it, whatever happened.

/** Daemon processes (dist/daemon.js) started under one code-server (they inherit its marker). */
function daemonProcesses(server) {
  return findProcesses(server.marker).filter((p) => /daemon\.js\b/.test(p.cmdline));
}

/** The state the status bar showed that is not the plain idle one. */
const BUSY_RE = /· (starting|loading|warming|warm|restarting)\b|SegLens · restarting/;

/** Modes the daemon knows, as its own status lists them (built-in and defined by clients). */
async function daemonModes(server) {
  return withDaemon(server.runtimeDir, async (c) => ({ init: c.init.modes.map((m) => m.id), status: (await c.status()).modes.map((m) => m.mode) }));
}

const CUSTOM_ID = 'e2e-text';

export const ownServerScenarios = [
  {
    name: '7-warm-on-startup',
    title: 'seglens.warmOnStartup off: VS Code starts, no daemon; on: VS Code starts, the daemon is started and text warmed once, status "text · warm"',
    async run(env) {
      // text: the PP-OCRv4 detector, small and quick to warm; ISNet would take 1-2 GB and seconds.
      const MODE = 'text';
      const server = await env.server('startup', { settings: { 'seglens.mode': MODE, 'seglens.daemon.idleExitMinutes': 2 } });
      const workspace = await env.workspace('ws-startup');

      // 1. The setting at its default (false): starting VS Code spawns nothing.
      assert(server.readSettings()['seglens.warmOnStartup'] === undefined, 'the first start must use the default of seglens.warmOnStartup');
      await server.start();
      let page = await env.openWindow(server, workspace);
      // The item is shown once startup() has looked for a running daemon (or after 2 s).
      await H.waitForStatus(page, STATUS, new RegExp(`\\b${MODE} · cold\\b`), 60_000);
      // Nothing would say "and it did not start one later": watch a while (a spawn would show
      // at once as "starting" and as a process).
      await sleep(5_000);
      const seenOff = await H.statusHistory(page);
      env.note(`off: status history ${JSON.stringify(seenOff)}`);
      assert(!seenOff.some((t) => BUSY_RE.test(t)), `with seglens.warmOnStartup off the status bar showed a daemon at work: ${JSON.stringify(seenOff)}`);
      assert(daemonProcesses(server).length === 0, `with seglens.warmOnStartup off a daemon was spawned at startup: ${JSON.stringify(daemonProcesses(server))}`);
      assert(daemonSockets(server.runtimeDir).length === 0, `with seglens.warmOnStartup off a daemon socket exists: ${daemonSockets(server.runtimeDir)}`);
      await env.closeWindows();
      await server.stop();

      // 2. The setting on: VS Code starts again, and without any command the mode is warmed.
      server.writeSettings({ ...server.readSettings(), 'seglens.warmOnStartup': true });
      await server.start();
      page = await env.openWindow(server, workspace);
      await H.waitForStatus(page, STATUS, warmRe(MODE), 120_000);
      const seenOn = await H.statusHistory(page);
      env.note(`on: status history ${JSON.stringify(seenOn)}`);
      const procs = daemonProcesses(server);
      assert(procs.length === 1, `wanted one daemon process started by this VS Code, found ${JSON.stringify(procs)}`);
      const { init, status, text } = await withDaemon(server.runtimeDir, async (c) => ({ init: c.init, status: await c.status(), text: await c.metrics() }));
      assert(init.pid === procs[0].pid, `the daemon answering (pid ${init.pid}) is not the one this VS Code spawned (${procs[0].pid})`);
      const mode = status.modes.find((m) => m.mode === MODE);
      env.note(`daemon pid ${init.pid}: ${MODE} ${JSON.stringify(mode)}; others ${JSON.stringify(status.modes.filter((m) => m.mode !== MODE).map((m) => `${m.mode}:${m.state}`))}`);
      assert(mode?.state === 'warm' && mode.warm === true, `${MODE} is ${mode?.state} in the daemon's status, wanted warm`);
      assert(mode.warmups === 1, `the daemon's status counts ${mode.warmups} warm-ups of ${MODE}, wanted exactly 1`);
      assert(warmups(text, MODE) === 1, `seglens_warmup_runs_total{mode="${MODE}"} is ${warmups(text, MODE)}, wanted exactly 1`);
      assert(warmups(text) === 1, `seglens_warmup_runs_total (all modes) is ${warmups(text)}: only ${MODE} should have been warmed`);
      const others = status.modes.filter((m) => m.mode !== MODE && m.state !== 'cold');
      assert(others.length === 0, `other modes are not cold: ${JSON.stringify(others)}`);
      // Our own connection counts too: the window + this one.
      assert(status.clients === 2, `the daemon counts ${status.clients - 1} window clients, wanted 1`);
      await env.shot(page, 'warm-on-startup');
    },
  },
  {
    name: '8-untrusted-custom-models',
    title: 'an untrusted folder (Restricted Mode): seglens.customModels not sent to the daemon; Trust → the custom mode is defined',
    async run(env) {
      const MODE = 'text';
      // A custom mode backed by a real ONNX file (a copy of the text detector: small, and the
      // daemon reads what it declares when the mode is defined).
      const src = path.join(H.REPO, 'models', 'ppocrv4-det.onnx');
      assert(existsSync(src), `${src} is missing (npm run models)`);
      const modelDir = path.join(env.run.base, 'custom-models');
      mkdirSync(modelDir, { recursive: true });
      const model = path.join(modelDir, `${CUSTOM_ID}.onnx`);
      copyFileSync(src, model);
      const def = { id: CUSTOM_ID, label: 'E2E text', model, inputSize: [320, 320], colorOrder: 'BGR', outputKind: 'sigmoid', task: 'binary', warmupIterations: 1 };
      const server = await env.server('untrusted', {
        trust: true,
        settings: {
          // No modal at startup: the folder simply opens in Restricted Mode.
          'security.workspace.trust.startupPrompt': 'never',
          'seglens.mode': MODE,
          'seglens.customModels': [def],
          'seglens.daemon.idleExitMinutes': 2,
        },
      });
      const workspace = await env.workspace('ws-untrusted');
      await server.start();
      const page = await env.openWindow(server, workspace);
      const restricted = `${H.SEL.statusBar} [id="status.workspaceTrust"]`;
      const badge = await H.waitForStatus(page, restricted, /Restricted Mode/, 30_000);
      env.note(`workbench trust item: ${JSON.stringify(badge)}`);
      const warning = await H.waitForToast(page, new RegExp(`not trusted.*${CUSTOM_ID}.*not used`), 30_000);
      env.note(`notification: ${warning}`);

      // Start the daemon the way a user would (no setting starts it): Force Re-warm of text.
      await H.runCommand(page, 'SegLens: Force Re-warm');
      await H.waitForToast(page, new RegExp(`${MODE} re-?warmed`), 120_000);
      await H.waitForStatus(page, STATUS, warmRe(MODE), 60_000);
      const before = await daemonModes(server);
      env.note(`untrusted: daemon modes ${JSON.stringify(before.status)}`);
      assert(before.status.includes(MODE), `the daemon's status does not list ${MODE}: ${JSON.stringify(before)}`);
      assert(!before.status.includes(CUSTOM_ID) && !before.init.includes(CUSTOM_ID), `${CUSTOM_ID} is defined in the daemon although the workspace is untrusted: ${JSON.stringify(before)}`);
      // ...and the mode quick pick does not offer it.
      await page.locator(STATUS).click();
      const rowsBefore = (await H.quickPickRows(page)).map((r) => r.replace(/\s+/g, ' '));
      await page.keyboard.press('Escape');
      env.note(`mode quick pick while untrusted: ${JSON.stringify(rowsBefore)}`);
      assert(!rowsBefore.some((r) => r.includes(CUSTOM_ID) || r.includes(def.label)), `the mode quick pick offers ${CUSTOM_ID} in an untrusted workspace: ${JSON.stringify(rowsBefore)}`);
      assert(rowsBefore.some((r) => r.includes('Manage Workspace Trust')), `untrusted, the mode quick pick should offer Manage Workspace Trust: ${JSON.stringify(rowsBefore)}`);
      assert(!rowsBefore.some((r) => r.includes('Add Model')), `untrusted, the mode quick pick should not offer Add Model…: ${JSON.stringify(rowsBefore)}`);

      // Grant trust as a user would: the warning's "Manage Workspace Trust" (the palette
      // command when the notification is gone), then "Trust" in the Workspace Trust editor.
      const action = page.locator(H.SEL.toast).filter({ hasText: 'not trusted' }).locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).first();
      if (await action.isVisible().catch(() => false)) {
        await action.click();
        env.note('opened Workspace Trust from the SegLens notification');
      } else {
        await H.runCommand(page, 'Workspaces: Manage Workspace Trust');
        env.note('opened Workspace Trust from the command palette (the notification had gone)');
      }
      const trust = page.locator('.workspace-trust-editor .monaco-button').filter({ hasText: /^\s*Trust\s*$/ }).first();
      await trust.waitFor({ state: 'visible', timeout: 30_000 });
      await env.shot(page, 'untrusted-trust-editor');
      await trust.click();
      await page.locator(restricted).waitFor({ state: 'detached', timeout: 30_000 });

      let after;
      const deadline = Date.now() + 60_000;
      for (;;) {
        after = await daemonModes(server);
        if (after.status.includes(CUSTOM_ID) || Date.now() > deadline) break;
        await sleep(250);
      }
      env.note(`trusted: daemon modes ${JSON.stringify(after.status)}`);
      assert(after.status.includes(CUSTOM_ID), `${CUSTOM_ID} is not defined in the daemon within 60 s of trusting the workspace: ${JSON.stringify(after)}`);
      await page.locator(STATUS).click();
      const rowsAfter = (await H.quickPickRows(page)).map((r) => r.replace(/\s+/g, ' '));
      await page.keyboard.press('Escape');
      env.note(`mode quick pick after trust: ${JSON.stringify(rowsAfter)}`);
      assert(rowsAfter.some((r) => r.includes(CUSTOM_ID) || r.includes(def.label)), `the mode quick pick does not offer ${CUSTOM_ID} once trusted: ${JSON.stringify(rowsAfter)}`);
      assert(rowsAfter.some((r) => r.includes('Add Model')), `trusted, the mode quick pick should offer Add Model…: ${JSON.stringify(rowsAfter)}`);
      await env.shot(page, 'untrusted-after-trust');
    },
  },
  // Issue 24: an instance mode in the preview and the gallery (instanceScenarios.mjs).
  ...instanceScenarios,
  // Issue 25: a prompt mode (promptScenarios.mjs), defined in the user settings at start.
  ...promptScenarios,
];
