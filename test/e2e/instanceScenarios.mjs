// Instance modes (issue 24), on a VS Code of their own (the mode is defined through
// seglens.customModels at startup): a torchvision-style boxes-masks model built here
// (test/helpers/instanceModels.ts) whose instances are known exactly, on a 64x64 image (the
// letterbox is the identity, so masks and areas are the boxes'):
//   - the preview lists the instances (class, score, area), hovering a row highlights its mask,
//     hovering the mask highlights its row and the readout names it, the arrow keys move the
//     highlight, the score slider hides the low ones;
//   - the folder with a COCO ground truth (seglens.groundTruth: gt.json) in the gallery: the
//     tile's F1 and the AP table, worked out here; the tile opens the preview's *vs ground
//     truth* with the same counts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as H from './lib/harness.mjs';
import { openGallery } from './galleryScenarios.mjs';

const require = createRequire(path.join(H.REPO, 'package.json'));
const sharp = require('sharp');

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const S = 64;
const MODE = 'e2e-instances';
const LABELS = ['cat', 'dog'];
// Rows of the model: box [x1, y1, x2, y2], label, score; the mask is 1 inside the box. The last
// scores under the mode's scoreThreshold (0.25): never an instance.
const ROWS = [
  { box: [4, 4, 28, 28], label: 0, score: 0.9 },
  { box: [34, 6, 60, 30], label: 1, score: 0.6 },
  { box: [10, 36, 50, 60], label: 0, score: 0.35 },
  { box: [40, 40, 60, 60], label: 1, score: 0.1 },
];
const area = ([x1, y1, x2, y2]) => (x2 - x1) * (y2 - y1);
const centre = ([x1, y1, x2, y2]) => [Math.floor((x1 + x2) / 2), Math.floor((y1 + y2) / 2)];
/** The ground truth: the first two rows exactly, and a cat the model misses. */
const GT = [
  { box: ROWS[0].box, category: 1 },
  { box: ROWS[1].box, category: 2 },
  { box: [50, 40, 62, 52], category: 1 },
];
// cat: detections #1 (TP) and #3 (FP) over 2 objects: recall 1/2 at precision 1, never more:
// 51 of COCO's 101 recall points, at every IoU threshold (exact masks). dog: #2 over its one
// object: 1. Per image at IoU 0.5: tp 2, fp 1, fn 1, F1 = 4 / 6.
const AP = (51 / 101 + 1) / 2;
const F1 = 4 / 6;

/** The test helper, bundled for this Node process (native packages required from the repository). */
async function instanceHelpers(base) {
  const out = path.join(base, 'instanceModels.bundle.cjs');
  const native = { name: 'native', setup: (b) => b.onResolve({ filter: /^(sharp|onnxruntime-node)$/ }, (a) => ({ path: require.resolve(a.path), external: true })) };
  await require('esbuild').build({ entryPoints: [path.join(H.REPO, 'test', 'helpers', 'instanceModels.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'warning', plugins: [native] });
  return createRequire(import.meta.url)(out);
}

/** Column-major COCO RLE counts of a box on the S x S image. */
function rleCounts([x1, y1, x2, y2]) {
  const counts = [];
  let run = 0;
  let value = 0;
  for (let x = 0; x < S; x++) {
    for (let y = 0; y < S; y++) {
      const v = x >= x1 && x < x2 && y >= y1 && y < y2 ? 1 : 0;
      if (v !== value) {
        counts.push(run);
        run = 0;
        value = v;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

async function buildModel(env) {
  const { boxesMasksModel } = await instanceHelpers(env.run.base);
  const n = ROWS.length;
  const masks = new Float32Array(n * S * S);
  ROWS.forEach((r, k) => {
    const [x1, y1, x2, y2] = r.box;
    for (let y = y1; y < y2; y++) masks.fill(1, k * S * S + y * S + x1, k * S * S + y * S + x2);
  });
  const model = path.join(env.run.base, 'instance-model', 'boxes-masks.onnx');
  mkdirSync(path.dirname(model), { recursive: true });
  writeFileSync(model, boxesMasksModel(S, { boxes: Float32Array.from(ROWS.flatMap((r) => r.box)), labels: ROWS.map((r) => r.label), scores: Float32Array.from(ROWS.map((r) => r.score)), masks }));
  return model;
}

/** instances/inst.png (a grey picture) and instances/gt.json (COCO, uncompressed RLE). */
async function buildFolder(workspace) {
  const dir = path.join(workspace, 'instances');
  mkdirSync(dir, { recursive: true });
  await sharp({ create: { width: S, height: S, channels: 3, background: { r: 90, g: 110, b: 130 } } })
    .png()
    .toFile(path.join(dir, 'inst.png'));
  const gt = {
    images: [{ id: 5, file_name: 'inst.png', width: S, height: S }],
    categories: [
      { id: 1, name: 'cat' },
      { id: 2, name: 'dog' },
    ],
    annotations: GT.map((g, k) => ({ id: k + 1, image_id: 5, category_id: g.category, iscrowd: 0, area: area(g.box), bbox: [g.box[0], g.box[1], g.box[2] - g.box[0], g.box[3] - g.box[1]], segmentation: { size: [S, S], counts: rleCounts(g.box) } })),
  };
  writeFileSync(path.join(dir, 'gt.json'), JSON.stringify(gt));
}

/** Alpha of the preview's overlay canvas at image pixel (x, y) (the canvas is at the mask's size). */
const alphaAt = (frame, x, y) => frame.evaluate(([px, py]) => document.getElementById('overlay').getContext('2d').getImageData(px, py, 1, 1).data[3], [x, y]);

/** The list's rows: [label, score, area]. */
const listRows = (frame) => frame.evaluate(() => [...document.querySelectorAll('#instanceList li')].map((li) => [li.querySelector('.label').textContent, li.querySelector('.score').textContent, li.querySelector('.area').textContent]));

export const instanceScenarios = [
  {
    name: 'instances',
    title: 'an instance mode from seglens.customModels: the preview lists the instances, hover highlights both ways, the slider hides low scores; the folder against COCO ground truth in the gallery: F1 and the AP table',
    async run(env) {
      const model = await buildModel(env);
      const def = { id: MODE, label: 'E2E instances', model, task: 'instance', outputFormat: 'boxes-masks', labels: LABELS, warmupIterations: 1 };
      const server = await env.server('instances', { settings: { 'seglens.mode': MODE, 'seglens.customModels': [def], 'seglens.groundTruth': 'gt.json', 'seglens.daemon.idleExitMinutes': 2 } });
      const workspace = await env.workspace('ws-instances');
      await buildFolder(workspace);
      await server.start();
      const page = await env.openWindow(server, workspace);

      // The preview of instances/inst.png.
      await H.pickThroughCommand(page, 'SegLens: Preview Segmentation', { filter: 'inst.png', match: 'inst.png', note: env.note });
      const frame = await H.findFrameWith(page, '#instanceList', 30_000);
      await frame.waitForFunction(() => !document.getElementById('instanceList').hidden && document.querySelectorAll('#instanceList li').length > 0, undefined, { timeout: 120_000, polling: 200 });
      const kept = ROWS.filter((r) => r.score >= 0.25);
      const want = kept.map((r, k) => [`#${k + 1} ${LABELS[r.label]}`, r.score.toFixed(2), `${area(r.box).toLocaleString('en-US')} px`]);
      const rows = await listRows(frame);
      env.note(`instance list: ${JSON.stringify(rows)}`);
      assert(JSON.stringify(rows) === JSON.stringify(want), `the list is ${JSON.stringify(rows)}, wanted ${JSON.stringify(want)}`);
      const [c1, c2, c3] = kept.map((r) => centre(r.box));
      const normal = await alphaAt(frame, ...c1);
      assert(normal > 0, `instance 1 is not drawn (alpha ${normal} at ${c1})`);

      // Hovering row 2 highlights instance 2 and fades the others.
      await frame.locator('#instance-2').hover();
      await frame.waitForFunction(() => document.getElementById('stage').dataset.highlight === '2', undefined, { timeout: 10_000 });
      const [hot, faded] = [await alphaAt(frame, ...c2), await alphaAt(frame, ...c1)];
      env.note(`hover row 2: alpha ${hot} on instance 2, ${faded} on instance 1 (was ${normal})`);
      assert(hot > normal && faded < normal, `hovering row 2: alpha ${hot} on it, ${faded} on instance 1, ${normal} before`);
      await env.shot(page, 'instances-hover-row');

      // Hovering the mask over instance 3 highlights its row, and the readout names it.
      const box = await frame.locator('#overlay').boundingBox();
      const scale = box.width / S;
      await page.mouse.move(box.x + (c3[0] + 0.5) * scale, box.y + (c3[1] + 0.5) * (box.height / S));
      await frame.waitForFunction(() => document.getElementById('instance-3')?.classList.contains('hot'), undefined, { timeout: 10_000 });
      const readout = await frame.locator('#readout').textContent();
      env.note(`readout over instance 3: ${readout}`);
      assert(/instance #3 cat 0\.35/.test(readout), `the readout does not name instance 3: ${readout}`);

      // The keyboard: the list is focusable, the arrow keys move the highlight.
      await frame.locator('#instanceList').focus();
      await page.keyboard.press('Home');
      await page.keyboard.press('ArrowDown');
      await frame.waitForFunction(() => document.getElementById('stage').dataset.highlight === '2', undefined, { timeout: 10_000 });

      // The slider at 0.5 hides instance 3 (0.35).
      await frame.evaluate(() => {
        const s = document.getElementById('minScore');
        s.value = '0.5';
        s.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await frame.waitForFunction(() => document.querySelectorAll('#instanceList li').length === 2, undefined, { timeout: 10_000 });
      const hidden = await alphaAt(frame, ...c3);
      assert(hidden === 0, `instance 3 is still drawn under the slider (alpha ${hidden})`);
      assert((await alphaAt(frame, ...c1)) > 0, 'instance 1 disappeared under the slider');
      await env.shot(page, 'instances-slider');

      // The folder in the gallery against gt.json.
      const gallery = await openGallery(page, 'instances', env.note);
      await gallery.waitForFunction(() => /F1/.test(document.querySelector('.tile .tstate')?.textContent ?? '') && !document.getElementById('apBlock').hidden, undefined, { timeout: 150_000, polling: 250 });
      const caption = await gallery.locator('.tile .tstate').first().textContent();
      const apLine = await gallery.locator('#apLine').textContent();
      const ap = Number(await gallery.evaluate(() => document.getElementById('apLine').dataset.ap));
      const classes = await gallery.evaluate(() => [...document.querySelectorAll('#apClasses tr')].map((tr) => [...tr.children].map((td) => td.textContent)));
      env.note(`gallery: tile ${caption}; ${apLine}; per class ${JSON.stringify(classes)}`);
      assert(caption.startsWith(`F1 ${F1.toFixed(3)} (tp 2, fp 1, fn 1)`), `the tile says ${caption}`);
      assert(Math.abs(ap - AP) < 1e-5, `mask AP ${ap}, wanted ${AP}`);
      assert(JSON.stringify(classes) === JSON.stringify([['cat', (51 / 101).toFixed(3)], ['dog', '1.000']]), `AP per class ${JSON.stringify(classes)}`);
      await env.shot(page, 'instances-gallery');

      // The tile opens the preview with "vs ground truth": the same counts.
      await gallery.locator('.tile').first().click();
      const preview = await H.findFrameWith(page, '#gtGroup', 30_000);
      await preview.waitForFunction(() => !document.getElementById('gtGroup').hidden && document.body.dataset.groundTruth !== undefined, undefined, { timeout: 60_000, polling: 250 });
      const gtScores = await preview.locator('#gtScores').textContent();
      env.note(`preview vs ground truth: ${gtScores}`);
      assert(gtScores.includes(`tp 2 · fp 1 · fn 1 · F1 ${F1.toFixed(3)}`), `the preview's ground-truth scores: ${gtScores}`);
      await env.shot(page, 'instances-vs-ground-truth');
    },
  },
];
