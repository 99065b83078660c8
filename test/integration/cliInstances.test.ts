// `seglens segment` with an instance mode (issue 24), on a yolo-seg model the test builds
// (constant outputs, so every instance is known from test/helpers/instanceReference.ts):
// coco-results.json and coco.json against the independent computation, a COCO ground truth
// with compressed and uncompressed RLE, polygons and a crowd region, images matched by
// relative path and by base name, one that matches nothing, categories by name; a bad file.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { countsToString, rleCounts } from '../../daemon/api/exports/cocoRle';
import { writeModel } from '../helpers/buildModels';
import { runCli } from '../helpers/cli';
import { decodeCocoRle } from '../helpers/cocoRleDecoder';
import { tempDir } from '../helpers/daemonProcess';
import { random, randomYoloOutputs, yoloSegModel } from '../helpers/instanceModels';
import { RefInstance, refYolo } from '../helpers/instanceReference';

const S = 64;
const LABELS = ['cat', 'dog', 'bird'];
const yolo = randomYoloOutputs(random(21), S, { nc: 3, nm: 4, anchors: 400, proto: 16 });
// Positive prototypes and coefficients: every instance's mask is its whole box, never empty (an
// empty mask matches nothing, and AP 1 below is worked out on instances that can match).
yolo.output1 = yolo.output1.map((v) => Math.abs(v) + 0.1);
// Boxes inside the part of the input every test image covers (not in the letterbox's padding, where
// they would be clipped to nothing).
for (let a = 0; a < yolo.anchors; a++) {
  const at = (r: number) => r * yolo.anchors + a;
  yolo.output0[at(0)] = 20 + (yolo.output0[at(0)] / S) * 24;
  yolo.output0[at(1)] = 22 + (yolo.output0[at(1)] / S) * 20;
  yolo.output0[at(2)] = 2 + yolo.output0[at(2)] * 0.15;
  yolo.output0[at(3)] = 2 + yolo.output0[at(3)] * 0.15;
}
for (let k = 0; k < yolo.nm; k++) for (let a = 0; a < yolo.anchors; a++) yolo.output0[(4 + yolo.nc + k) * yolo.anchors + a] = Math.abs(yolo.output0[(4 + yolo.nc + k) * yolo.anchors + a]);
const settings = { scoreThreshold: 0.25, iouThreshold: 0.7, maxInstances: 100 };
const IMAGES: [string, number, number][] = [
  ['a.png', 96, 50],
  ['sub/b.png', 40, 70],
  ['c.png', 64, 48], // in no ground truth
];
let dir: string;
let env: Record<string, string>;
const ref = new Map<string, RefInstance[]>(IMAGES.map(([rel, w, h]) => [rel, refYolo(yolo, S, w, h, settings)]));
for (const list of ref.values()) assert.ok(list.every((i) => i.mask.some((v) => v)), 'no instance is empty');

/** Row-major 0/1 mask → column-major run lengths (counted here, not by the daemon's encoder). */
function countsOf(mask: Uint8Array, w: number, h: number): number[] {
  return rleCounts(mask, w, h);
}

before(async () => {
  dir = tempDir('seglens-cli-instances-');
  const model = writeModel(dir, 'yolo.onnx', yoloSegModel(S, yolo));
  fs.writeFileSync(path.join(dir, 'models.json'), JSON.stringify([{ id: 'yolo', model, outputFormat: 'yolo-seg', labels: LABELS, warmupIterations: 0 }]));
  for (const [rel, w, h] of IMAGES) {
    const file = path.join(dir, 'in', rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await sharp(Buffer.alloc(w * h * 3, 80), { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
  }
  // Ground truth = the model's own instances of 'cat' and 'dog' (so AP is 1), written as
  // compressed RLE (a.png) and uncompressed RLE (b.png, listed under another folder: matched by
  // its base name), plus a crowd polygon where no instance is; categories with other ids, one
  // ('zebra') that no label has; no 'bird' category.
  const images = [
    { id: 7, file_name: 'a.png', width: 96, height: 50 },
    { id: 3, file_name: 'elsewhere/b.png', width: 40, height: 70 },
  ];
  const categories = [
    { id: 17, name: 'cat' },
    { id: 18, name: 'Dog' },
    { id: 24, name: 'zebra' },
  ];
  const annotations: unknown[] = [];
  for (const [imageId, rel, compressed] of [
    [7, 'a.png', true],
    [3, 'sub/b.png', false],
  ] as const) {
    const [, w, h] = IMAGES.find((i) => i[0] === rel)!;
    for (const inst of ref.get(rel)!) {
      if (inst.cls === 2) continue;
      const counts = countsOf(inst.mask, w, h);
      const segmentation = { size: [h, w], counts: compressed ? countsToString(counts) : counts };
      annotations.push({ id: annotations.length + 1, image_id: imageId, category_id: inst.cls === 0 ? 17 : 18, segmentation, area: inst.mask.reduce((a, b) => a + b, 0), iscrowd: 0 });
    }
  }
  annotations.push({ id: 999, image_id: 7, category_id: 17, segmentation: [[0, 0, 0.4, 0, 0.4, 0.4, 0, 0.4]], area: 0.16, iscrowd: 1 });
  fs.writeFileSync(path.join(dir, 'gt.json'), JSON.stringify({ images, annotations, categories }));
  env = { SEGLENS_SOCKET: path.join(dir, 'nobody', 'daemon.sock'), XDG_CACHE_HOME: path.join(dir, 'cache') };
});

after(() => process.env.KEEP_TEST_DIR ? undefined : fs.rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => runCli(['segment', path.join(dir, 'in'), '--mode', 'yolo', '--models', path.join(dir, 'models.json'), ...args], env);

interface Result {
  image_id: number;
  category_id: number;
  segmentation: { size: [number, number]; counts: string };
  bbox: number[];
  score: number;
}

describe('seglens segment, instance mode', () => {
  it('coco-results.json and coco.json without ground truth: every instance, ids in run order', async () => {
    const out = path.join(dir, 'out1');
    const r = await cli(['--out', out, '--format', 'mask,coco,coco-results']);
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'coco-results.json'), 'utf8')) as Result[];
    const order = ['a.png', 'c.png', 'sub/b.png']; // the run's order (sorted paths)
    const want = order.flatMap((rel, k) => ref.get(rel)!.map((inst) => ({ rel, imageId: k + 1, inst })));
    assert.equal(results.length, want.length);
    results.forEach((res, i) => {
      const { rel, imageId, inst } = want[i];
      const [, w, h] = IMAGES.find((x) => x[0] === rel)!;
      assert.deepEqual([res.image_id, res.category_id, res.score], [imageId, inst.cls + 1, Math.fround(inst.score)]);
      assert.deepEqual(res.segmentation.size, [h, w]);
      assert.deepEqual(decodeCocoRle(res.segmentation), inst.mask);
    });
    const coco = JSON.parse(fs.readFileSync(path.join(out, 'coco.json'), 'utf8'));
    assert.equal(coco.annotations.length, want.length);
    assert.ok(coco.annotations.every((a: { score?: number }) => typeof a.score === 'number'));
    assert.deepEqual(
      coco.categories.map((c: { name: string }) => c.name),
      LABELS,
    );
  });

  it('--gt FILE.json: ids are the ground truth’s, AP 1 on its own instances, per image tp/fp/fn/f1', async () => {
    const out = path.join(dir, 'out2');
    const report = path.join(dir, 'report.json');
    const r = await cli(['--out', out, '--format', 'coco-results', '--gt', path.join(dir, 'gt.json'), '--report', report]);
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'coco-results.json'), 'utf8')) as Result[];
    // c.png matches no ground-truth image and 'bird' no category: left out.
    const count = (rel: string) => ref.get(rel)!.filter((i) => i.cls !== 2).length;
    assert.equal(results.length, count('a.png') + count('sub/b.png'));
    assert.deepEqual([...new Set(results.map((x) => x.image_id))].sort(), [3, 7]);
    assert.ok(results.every((x) => [17, 18].includes(x.category_id)));
    const rep = JSON.parse(fs.readFileSync(report, 'utf8'));
    for (const k of ['ap', 'ap50', 'ap75']) assert.ok(Math.abs(rep.summary[k] - 1) < 1e-6, `${k} ${rep.summary[k]}`);
    assert.deepEqual(
      rep.summary.classes.map((c: { name: string; ap: number | null }) => [c.name, c.ap === null ? null : Math.round(c.ap * 1e6) / 1e6]),
      [
        ['cat', 1],
        ['Dog', 1],
        ['zebra', null],
      ],
    );
    assert.deepEqual(rep.summary.unmatchedCategories, ['zebra']);
    assert.equal(rep.summary.withGroundTruth, 2);
    assert.equal(rep.images.find((e: { path: string }) => e.path === 'sub/b.png').gt, 'elsewhere/b.png');
    assert.deepEqual(rep.summary.unmatchedLabels, ['bird']);
    const a = rep.images.find((e: { path: string }) => e.path === 'a.png');
    assert.deepEqual([a.instances, a.tp, a.fp, a.fn, a.f1], [ref.get('a.png')!.length, count('a.png'), 0, 0, 1]);
    const c = rep.images.find((e: { path: string }) => e.path === 'c.png');
    assert.equal(c.tp, undefined);
    assert.equal(c.instances, ref.get('c.png')!.length);
    assert.match(r.stdout, /mask AP 1\.0000/);
  });

  it('--score-threshold keeps fewer detections in coco-results; a bad ground-truth file is refused', async () => {
    const out = path.join(dir, 'out3');
    const r = await cli(['--out', out, '--format', 'coco-results', '--score-threshold', '0.6']);
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'coco-results.json'), 'utf8')) as Result[];
    assert.equal(results.length, [...ref.values()].flat().filter((i) => i.score >= 0.6).length);
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ images: [{ id: 1 }], annotations: [], categories: [] }));
    const bad = await cli(['--out', path.join(dir, 'out4'), '--gt', path.join(dir, 'bad.json')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.json: not a COCO instances file \(images\[0\] needs id, file_name, width, height\)/);
  });
});
