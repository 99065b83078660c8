// `seglens segment` with a semantic model the test builds (a 1x1 colour classifier: black,
// red, green, blue → classes 0..3, so the prediction is known exactly), on its own `--stdio`
// daemon (no shared one runs): per-class IoU and pixel accuracy against palette and grey
// class-index PNGs with ignored (255) pixels, exact expected values counted here; the folder
// summary; colour and COCO exports; a corrupt image and a ground truth of the wrong size.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { CocoFile } from '../../daemon/api/exports/coco';
import { vocColormap } from '../../daemon/api/presets';
import type { Report } from '../../daemon/api/folder/report';
import { COLOR_CLASS_LABELS, QUADRANT_COLORS, colorClassesModel, writeModel } from '../helpers/buildModels';
import { listFiles, pixels, runCli } from '../helpers/cli';
import { decodeCocoRle } from '../helpers/cocoRleDecoder';
import { tempDir } from '../helpers/daemonProcess';
import { writePng } from '../helpers/pngWriter';

const H = 24;
const W = 32;
let dir: string;
let env: Record<string, string>;
/** Per image (report path): the class map the model will predict and the ground truth written. */
const sets = new Map<string, { pred: Uint8Array; gt: Uint8Array }>();

function classMap(seed: number): Uint8Array {
  return Uint8Array.from({ length: W * H }, (_, i) => ((i % W >> 3) + (Math.floor(i / W) >> 2) * seed) % 4);
}

async function writeImage(file: string, classes: Uint8Array): Promise<void> {
  const rgb = Buffer.alloc(W * H * 3);
  classes.forEach((c, i) => rgb.set(QUADRANT_COLORS[c], i * 3));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(file);
}

/** Ground truth = prediction with a block relabelled and a band marked 255 (ignored). */
function groundTruth(pred: Uint8Array, seed: number): Uint8Array {
  const gt = Uint8Array.from(pred);
  for (let y = 2; y < 9; y++) for (let x = 5 + seed; x < 20; x++) gt[y * W + x] = (pred[y * W + x] + seed) % 4;
  for (let x = 0; x < W; x++) gt[(H - 2) * W + x] = 255;
  return gt;
}

/** Counted here: per class intersection/union over non-ignored pixels, and pixel accuracy. */
function expected(pred: Uint8Array, gt: Uint8Array) {
  const per = new Map<number, { i: number; u: number }>();
  let correct = 0;
  let valid = 0;
  for (let k = 0; k < pred.length; k++) {
    if (gt[k] === 255) continue;
    valid++;
    if (pred[k] === gt[k]) correct++;
    for (const c of new Set([pred[k], gt[k]])) {
      const e = per.get(c) ?? { i: 0, u: 0 };
      e.u++;
      if (pred[k] === gt[k]) e.i++;
      per.set(c, e);
    }
  }
  return { per, accuracy: correct / valid };
}

async function buildSet(): Promise<void> {
  const img = path.join(dir, 'set', 'img');
  const palette = vocColormap(256);
  const specs: [string, number, 'palette' | 'grey'][] = [
    ['a.png', 1, 'palette'],
    ['b.png', 2, 'grey'],
    ['sub/c.png', 3, 'palette'],
  ];
  for (const [rel, seed, kind] of specs) {
    const pred = classMap(seed);
    const gt = groundTruth(pred, seed);
    await writeImage(path.join(img, rel), pred);
    // VOC layout: SegmentationClass/ beside the image's folder
    const gtFile = path.join(img, path.dirname(rel), '..', 'SegmentationClass', `${path.basename(rel, '.png')}.png`);
    fs.mkdirSync(path.dirname(gtFile), { recursive: true });
    fs.writeFileSync(gtFile, writePng({ width: W, height: H, values: gt, colorType: kind === 'palette' ? 3 : 0, palette, filter: 4 }));
    sets.set(rel, { pred, gt });
  }
}

before(async () => {
  dir = tempDir('seglens-cli-sem-');
  writeModel(dir, 'colors.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [H, W] }));
  const def = { id: 'colors', model: 'colors.onnx', inputName: 'image', inputSize: [H, W], normalization: 'zero-one', labels: COLOR_CLASS_LABELS, colors: ['#000000', '#ff0000', '#00ff00', '#0000ff'], warmupIterations: 1 };
  fs.writeFileSync(path.join(dir, 'models.json'), JSON.stringify({ modes: [def] }));
  // Nothing listens here: the CLI starts a daemon of its own.
  env = { SEGLENS_SOCKET: path.join(dir, 'nobody', 'daemon.sock'), XDG_CACHE_HOME: path.join(dir, 'cache') };
  await buildSet();
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(['segment', ...args, '--mode', 'colors', '--models', path.join(dir, 'models.json')], env);

describe('seglens segment, semantic', () => {
  it('per-class IoU and pixel accuracy exactly as counted, on its own daemon', async () => {
    const r = await cli([path.join(dir, 'set', 'img'), '--out', path.join(dir, 'out'), '--format', 'mask,color,coco', '--report', path.join(dir, 'r.json')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /own daemon/);
    const rep = JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8')) as Report;
    assert.deepEqual(rep.images.map((i) => [i.path, i.gt]), [
      ['a.png', '../SegmentationClass/a.png'],
      ['b.png', '../SegmentationClass/b.png'],
      ['sub/c.png', 'SegmentationClass/c.png'],
    ]);
    const total = new Map<number, { i: number; u: number }>();
    const imageMeans: number[] = [];
    for (const img of rep.images) {
      const { pred, gt } = sets.get(img.path)!;
      const mask = await pixels(path.join(dir, 'out', img.path.replace(/\.png$/, '.mask.png')));
      assert.deepEqual([...mask.data], [...pred], `${img.path}: the model predicts the colours' classes`);
      const want = expected(pred, gt);
      const ids = [...want.per.keys()].sort((a, b) => a - b);
      assert.deepEqual(img.classes!.map((c) => c.name), ids.map((c) => COLOR_CLASS_LABELS[c]));
      img.classes!.forEach((c, k) => {
        const e = want.per.get(ids[k])!;
        assert.ok(Math.abs(c.iou - e.i / e.u) < 1e-6, `${img.path} ${c.name}: ${c.iou} vs ${e.i}/${e.u}`);
        const t = total.get(ids[k]) ?? { i: 0, u: 0 };
        total.set(ids[k], { i: t.i + e.i, u: t.u + e.u });
      });
      const mean = ids.reduce((s, c) => s + want.per.get(c)!.i / want.per.get(c)!.u, 0) / ids.length;
      assert.ok(Math.abs(img.iou! - mean) < 1e-6, `${img.path}: mean class IoU`);
      assert.ok(mean < 1, 'the ground truth disagrees somewhere');
      imageMeans.push(mean);
    }
    assert.equal(rep.summary.withGroundTruth, 3);
    assert.ok(Math.abs(rep.summary.meanIoU! - imageMeans.reduce((a, b) => a + b) / 3) < 1e-6);
    const ids = [...total.keys()].sort((a, b) => a - b);
    assert.deepEqual(rep.summary.classes!.map((c) => c.name), ids.map((c) => COLOR_CLASS_LABELS[c]));
    rep.summary.classes!.forEach((c, k) => assert.ok(Math.abs(c.iou - total.get(ids[k])!.i / total.get(ids[k])!.u) < 1e-6, `folder ${c.name}`));
  });

  it('color export in the legend colours; COCO: one annotation per class present, RLE decodes to it', async () => {
    const coco = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'coco.json'), 'utf8')) as CocoFile;
    assert.deepEqual(coco.categories.map((c) => [c.id, c.name]), COLOR_CLASS_LABELS.map((n, i) => [i + 1, n]));
    for (const img of coco.images) {
      const { pred } = sets.get(img.file_name)!;
      const color = await pixels(path.join(dir, 'out', img.file_name.replace(/\.png$/, '.color.png')));
      for (let k = 0; k < pred.length; k++) assert.deepEqual([...color.data.subarray(k * 3, k * 3 + 3)], QUADRANT_COLORS[pred[k]]);
      const anns = coco.annotations.filter((a) => a.image_id === img.id);
      assert.deepEqual(anns.map((a) => a.category_id), [...new Set(pred)].sort().map((c) => c + 1));
      for (const a of anns) assert.deepEqual([...decodeCocoRle(a.segmentation)], [...pred].map((c) => (c + 1 === a.category_id ? 1 : 0)));
    }
  });

  it('a corrupt image and a ground truth of the wrong size: exit 1, the others done, the report says which', async () => {
    const bad = path.join(dir, 'bad');
    await writeImage(path.join(bad, 'good.png'), classMap(1));
    await writeImage(path.join(bad, 'small-gt.png'), classMap(2));
    fs.writeFileSync(path.join(bad, 'corrupt.png'), Buffer.concat([writePng({ width: 4, height: 4, values: new Uint8Array(16), colorType: 0 }).subarray(0, 40), Buffer.alloc(30, 7)]));
    fs.writeFileSync(path.join(bad, 'good.gt.png'), writePng({ width: W, height: H, values: classMap(1), colorType: 0 }));
    fs.writeFileSync(path.join(bad, 'small-gt.gt.png'), writePng({ width: W - 1, height: H, values: new Uint8Array((W - 1) * H), colorType: 0 }));
    const r = await cli([bad, '--out', path.join(dir, 'bad-out'), '--gt', '{dir}/{stem}.gt.png', '--report', path.join(dir, 'bad.csv')]);
    assert.equal(r.code, 1, r.stderr);
    const rows = fs.readFileSync(path.join(dir, 'bad.csv'), 'utf8').trim().split('\n');
    assert.equal(rows.length, 4, 'header + one row per image (ground-truth files are not images)');
    const row = (p: string) => rows.find((l) => l.startsWith(`${p},`))!;
    assert.match(row('corrupt.png'), /,1002,"?Image could not be decoded/);
    assert.match(row('small-gt.png'), /,1007,"?ground truth .*small-gt\.gt\.png is 31x24, the image is 32x24/);
    assert.match(row('good.png'), /^good\.png,32,24,[\d.]+,good\.gt\.png,1,,,,/);
    assert.deepEqual(listFiles(path.join(dir, 'bad-out')), ['good.mask.png', 'small-gt.mask.png']);
  });
});
