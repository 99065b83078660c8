// Prompt modes (issue 25), on a code-server of its own (seglens.customModels is a machine
// setting: user settings, given at start): a Segment Anything-shaped pair built by
// test/helpers/samModels.ts is the mode; SegLens: Refine Mask on a photo embeds it (the status
// line says ready) → two clicks → Ctrl+S → the saved ground truth is the union of the discs the
// test decoder draws around the clicked points (computed pixel for pixel by
// test/helpers/samReference.ts from the points the page recorded) → Ctrl+Z → Ctrl+S → the first disc alone → the encoder ran once.
// After each prompt (and the undo) the legend's foreground share is the saved mask's.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as H from './lib/harness.mjs';
import { metricValue, withDaemon } from './lib/daemon.mjs';
import { sleep } from './lib/procs.mjs';
import { key, openRefine, toPage, waitEdits } from './refineScenarios.mjs';

const sharp = createRequire(path.join(H.REPO, 'package.json'))('sharp');
const ID = 'e2e-sam';
const SIZE = 256;
const RADII = [20, 40];

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** The TypeScript test helpers (the models' builder, the expected mask), bundled for this run. */
async function helpers() {
  const esbuild = createRequire(path.join(H.REPO, 'package.json'))('esbuild');
  // Under the repository, so that the bundle finds sharp and onnxruntime-node in its node_modules.
  const out = path.join(H.REPO, 'out', 'e2e', 'sam-helpers.cjs');
  const entry = path.join(H.REPO, 'out', 'e2e', 'sam-helpers-entry.ts');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(entry, `export { writeSamPair } from ${JSON.stringify(path.join(H.REPO, 'test', 'helpers', 'samModels.ts'))};\nexport { maskMismatch, refLowRes, refMask } from ${JSON.stringify(path.join(H.REPO, 'test', 'helpers', 'samReference.ts'))};\n`);
  await esbuild.build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'cjs', external: ['sharp', 'onnxruntime-node'], logLevel: 'warning' });
  return createRequire(out)(out);
}

/** Waits until the file's modification time differs from `before`. */
async function written(file, before) {
  for (let i = 0; i < 150 && (!existsSync(file) || statSync(file).mtimeMs === before); i++) await sleep(100);
  assert(existsSync(file) && statSync(file).mtimeMs !== before, `${file} was not written`);
}

export const promptScenarios = [
  {
    name: 'prompt',
    title: 'a SAM-shaped prompt mode: Refine Mask embeds the image (ready) → two clicks → Ctrl+S saves the disc union → Ctrl+Z → Ctrl+S saves the first disc → one encoder run',
    async run(env) {
      const h = await helpers();
      const pair = h.writeSamPair(path.join(env.run.base, 'sam-models'), ID, { encoder: { size: SIZE, layers: 1 }, decoder: { size: SIZE, radii: RADII } });
      const server = await env.server('prompt', {
        settings: { 'seglens.mode': ID, 'seglens.customModels': [pair.definition], 'seglens.daemon.idleExitMinutes': 2, 'files.autoSave': 'off' },
      });
      const workspace = await env.workspace('ws-prompt');
      // prompt/images/<photo> with an empty prompt/masks/: the ground truth goes to masks/<stem>.png.
      const sample = existsSync(path.join(workspace, 'chelsea-cat.jpg')) ? 'chelsea-cat.jpg' : 'generated-object.jpg';
      mkdirSync(path.join(workspace, 'prompt', 'images'), { recursive: true });
      mkdirSync(path.join(workspace, 'prompt', 'masks'), { recursive: true });
      const image = path.join(workspace, 'prompt', 'images', sample);
      copyFileSync(path.join(workspace, sample), image);
      const gt = path.join(workspace, 'prompt', 'masks', `${path.parse(sample).name}.png`);
      const { width, height } = await sharp(image)
        .metadata()
        .then((m) => (m.orientation >= 5 ? { width: m.height, height: m.width } : m));
      await server.start();
      const page = await env.openWindow(server, workspace);
      const ctx = { page, note: env.note };
      // The window uses the mode (the status bar names it) before the editor is opened.
      await H.waitForStatus(page, `${H.SEL.statusBar} ${H.statusItemSelector('seglens.seglens', 'seglens.status')}`, new RegExp(ID), 60_000);
      const frame = await openRefine(ctx, sample, 'prompt/images');
      await frame.waitForFunction(() => document.getElementById('stage').dataset.promptStatus === 'ready', undefined, { timeout: 120_000, polling: 200 });
      const status = await frame.evaluate(() => document.getElementById('promptStatus').textContent);
      env.note(`status line: ${status}`);
      assert(/^Ready/.test(status), `the status line says ${status}`);
      assert((await frame.evaluate(() => document.getElementById('stage').dataset.tool)) === 'prompt', 'the prompt tool is not on');
      // Two clicks: positive points.
      for (const [k, p] of [
        { x: width * 0.3, y: height * 0.4 },
        { x: width * 0.65, y: height * 0.6 },
      ].entries()) {
        const q = await toPage(frame, p);
        await page.mouse.click(q.x, q.y);
        await waitEdits(frame, k + 1);
      }
      await frame.waitForFunction(() => JSON.parse(document.getElementById('stage').dataset.promptPoints || '[]').length === 2, undefined, { timeout: 10_000 });
      const points = JSON.parse(await frame.evaluate(() => document.getElementById('stage').dataset.promptPoints));
      env.note(`points as the page recorded them: ${JSON.stringify(points)}`);
      assert(points.every((p) => p.label === 1), 'a click is a positive point');
      await env.shot(page, 'prompt-two-clicks');
      const R = RADII[1]; // the best candidate (iou 0.9)
      // The best candidate for these points; `previous`: the points of the answer fed back.
      const want = (ps, previous) => h.refMask(ps, undefined, height, width, SIZE, R, previous && h.refLowRes(previous, undefined, height, width, SIZE, R));
      const check = async (expected, what) => {
        const got = await sharp(readFileSync(gt)).extractChannel(0).raw().toBuffer();
        const d = h.maskMismatch(got, expected);
        env.note(`${what}: ${JSON.stringify(d)}`);
        assert(d.differing === 0 && d.length[0] === d.length[1] && d.foreground > 0, `${what}: the saved mask differs from the expected discs ${JSON.stringify(d)}`);
        // The legend follows the prompts: its foreground share is the saved mask's (sum of alpha / 255 / N).
        let sum = 0;
        for (const v of got) sum += v;
        const share = sum / 255 / got.length;
        const legend = await frame.evaluate(() => {
          const li = document.querySelector('#legend li[data-class-id="1"]');
          return { fraction: Number(li?.dataset.fraction), text: li?.textContent ?? '' };
        });
        env.note(`${what}: legend ${JSON.stringify(legend)}, the saved mask's foreground share ${share}`);
        assert(Math.abs(legend.fraction - share) < 1e-9, `${what}: the legend's foreground share ${legend.fraction} is not the saved mask's ${share}`);
        assert(legend.text.includes(`${(share * 100).toFixed(1)}%`), `${what}: the legend reads ${legend.text}, not ${(share * 100).toFixed(1)}%`);
      };
      await key(ctx, frame, 'Control+s');
      await written(gt, 0);
      await check(want(points, [points[0]]), 'two clicks saved');
      // Ctrl+Z: the first answer (and its one point) again; Ctrl+S writes it.
      const before = statSync(gt).mtimeMs;
      await key(ctx, frame, 'Control+z');
      await waitEdits(frame, 1);
      await frame.waitForFunction(() => JSON.parse(document.getElementById('stage').dataset.promptPoints || '[]').length === 1, undefined, { timeout: 10_000 });
      await key(ctx, frame, 'Control+s');
      await written(gt, before);
      await check(want([points[0]]), 'after undo, saved');
      const metrics = await withDaemon(server.runtimeDir, (c) => c.metrics());
      const computed = metricValue(metrics, 'seglens_embeddings_total', { mode: ID, outcome: 'computed' });
      env.note(`seglens_embeddings_total{mode="${ID}"}: computed ${computed}, cached ${metricValue(metrics, 'seglens_embeddings_total', { mode: ID, outcome: 'cached' })}`);
      assert(computed === 1, `the encoder ran ${computed} times for one image`);
    },
  },
];
