// A gallery of an instance mode against a COCO ground truth (issue 24): the folder's AP table
// and each image's tp, fp, fn and F1, on a hand-worked folder; AP counts exactly the detections
// at or over the mode's scoreThreshold; the exports; the setting naming the COCO file; the sort
// by F1 and the page's message for it.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCocoGroundTruth } from '../../daemon/api/coco/cocoGroundTruth';
import { rleCounts } from '../../daemon/api/exports/cocoRle';
import { countsToString } from '../../daemon/api/exports/cocoRle';
import type { ModeInfo, SegmentInstance } from '../../daemon/api/protocol';
import { InstanceFolder, cocoGroundTruthFile } from '../../extension/gallery/instanceFolder';
import { checkFromGallery } from '../../extension/gallery/galleryMessages';
import { ReportBuilder } from '../../daemon/api/folder/report';
import { galleryOrder } from '../../media/webview/shared/galleryOrder';
import type { TileInfo } from '../../media/webview/shared/galleryMessages';

const H = 20;
const W = 30;
const near = (a: number | null | undefined, b: number, what: string) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 2e-6, `${what}: ${a} vs ${b}`);

/** A rectangle [x0, x1) x [y0, y1) as a column-major COCO RLE (and its corners). */
function rect(x0: number, y0: number, x1: number, y1: number) {
  const bits = new Uint8Array(H * W);
  for (let x = x0; x < x1; x++) for (let y = y0; y < y1; y++) bits[x * H + y] = 1; // column-major
  return Object.assign({ h: H, w: W, counts: rleCounts(bits, W, H, 'columnMajor') }, { corners: [x0, y0, x1, y1] as const });
}
const A = rect(0, 0, 10, 10);
const B = rect(15, 0, 25, 8);
const C = rect(2, 2, 12, 12);
const D = rect(20, 10, 28, 18);
const F = rect(14, 12, 19, 19);

const mode: ModeInfo = { id: 'seg', label: 'seg', description: '', task: 'instance', inputSize: [64, 64], labels: ['cat', 'dog'], instance: { outputFormat: 'yolo-seg', scoreThreshold: 0.25, iouThreshold: 0.7, maxInstances: 100 } };

function inst(id: number, cls: number, score: number, r: ReturnType<typeof rect>): SegmentInstance {
  return { id, class: cls, label: mode.labels[cls], score, area: 0, box: { left: 0, top: 0, width: 1, height: 1 }, rle: { size: [H, W], counts: countsToString(r.counts) } };
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function groundTruthFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-instfolder-'));
  dirs.push(dir);
  const ann = (id: number, image_id: number, category_id: number, r: ReturnType<typeof rect>) => ({ id, image_id, category_id, iscrowd: 0, segmentation: { size: [H, W], counts: r.counts }, area: 0, bbox: [0, 0, 1, 1] });
  const file = path.join(dir, 'gt.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      images: [
        { id: 10, file_name: 'a.png', width: W, height: H },
        { id: 20, file_name: 'sub/b.png', width: W, height: H },
      ],
      categories: [
        { id: 3, name: 'dog' },
        { id: 7, name: 'cat' },
      ],
      annotations: [ann(1, 10, 7, A), ann(2, 10, 3, B), ann(3, 20, 7, C), ann(4, 20, 3, F)],
    }),
  );
  return file;
}

test('the folder AP table and per-image F1, hand-worked; a detection under the mode threshold is not counted', () => {
  const folder = new InstanceFolder(mode, readCocoGroundTruth(groundTruthFile()));
  assert.equal(folder.hasGroundTruth('a.png'), true);
  assert.equal(folder.hasGroundTruth('sub/b.png'), true);
  assert.equal(folder.hasGroundTruth('c.png'), false);
  // a.png: both objects found exactly. b.png: a false positive scoring highest, the cat found,
  // the dog found only at 0.1 (under the mode's 0.25: not a detection).
  folder.add(0, 'a.png', W, H, [inst(1, 0, 0.9, A), inst(2, 1, 0.8, B)]);
  folder.add(1, 'sub/b.png', W, H, [inst(1, 0, 0.95, D), inst(2, 0, 0.7, C), inst(3, 1, 0.1, F)]);
  const { tiles, table } = folder.evaluate();
  // cat: detections D (FP), A (TP), C (TP) over 2 objects: precision 1/2 at recall 1/2, 2/3 at
  // recall 1; interpolated, 2/3 at every recall point: AP 2/3 at every IoU threshold (exact masks).
  // dog: B (TP) over 2 objects: recall 1/2 with precision 1: 51 of the 101 points: 51/101.
  const cat = 2 / 3;
  const dog = 51 / 101;
  near(table?.classes.find((c) => c.name === 'cat')?.ap, cat, 'cat AP');
  near(table?.classes.find((c) => c.name === 'dog')?.ap, dog, 'dog AP');
  near(table?.ap, (cat + dog) / 2, 'AP');
  near(table?.ap50, (cat + dog) / 2, 'AP50');
  near(table?.ap75, (cat + dog) / 2, 'AP75');
  assert.equal(table?.detections, 4, 'the 0.1 detection is left out');
  assert.equal(table?.scoreThreshold, 0.25);
  assert.deepEqual(tiles.get(0), { instances: 2, tp: 2, fp: 0, fn: 0, f1: 1 });
  const b = tiles.get(1)!;
  assert.deepEqual({ ...b, f1: undefined }, { instances: 2, tp: 1, fp: 1, fn: 1, f1: undefined });
  near(b.f1, (2 * 1) / (2 * 1 + 1 + 1), 'F1 of b');
});

test('the preview\'s vs ground truth of an image: true positives over false positives over missed objects, the tile\'s counts', () => {
  const folder = new InstanceFolder(mode, readCocoGroundTruth(groundTruthFile()));
  folder.add(1, 'sub/b.png', W, H, [inst(1, 0, 0.95, D), inst(2, 0, 0.7, C), inst(3, 1, 0.1, F)]);
  const a = folder.agreement(1)!;
  assert.deepEqual({ tp: a.tp, fp: a.fp, fn: a.fn, width: a.width, height: a.height }, { tp: 1, fp: 1, fn: 1, width: W, height: H });
  near(a.f1, 0.5, 'F1');
  const { tiles } = folder.evaluate();
  assert.deepEqual({ tp: a.tp, fp: a.fp, fn: a.fn }, { tp: tiles.get(1)!.tp, fp: tiles.get(1)!.fp, fn: tiles.get(1)!.fn });
  // Expected: F missed (3), then D a false positive (2), then C a true positive (1), row by row.
  const want = new Uint8Array(W * H);
  for (const [r, v] of [[F, 3], [D, 2], [C, 1]] as const) {
    const [x0, y0, x1, y1] = r.corners;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) want[y * W + x] = v;
  }
  assert.deepEqual(Array.from(a.map), Array.from(want));
  assert.equal(folder.agreement(0), undefined, 'an image without a result');
  assert.equal(new InstanceFolder(mode).agreement(1), undefined, 'no ground truth');
});

test('the exports: coco.json with every instance and its score, coco-results.json at or over the threshold, the ground truth ids', () => {
  const folder = new InstanceFolder(mode, readCocoGroundTruth(groundTruthFile()));
  folder.add(0, 'a.png', W, H, [inst(1, 0, 0.9, A)]);
  folder.add(1, 'sub/b.png', W, H, [inst(1, 1, 0.6, B), inst(2, 0, 0.1, C)]);
  const { coco, results } = folder.files('1.2.3');
  const list = JSON.parse(results) as { image_id: number; category_id: number; score: number }[];
  assert.deepEqual(
    list.map((r) => [r.image_id, r.category_id, r.score]),
    [
      [10, 7, 0.9],
      [20, 3, 0.6],
    ],
  );
  const file = JSON.parse(coco) as { images: { id: number }[]; annotations: { image_id: number; score: number }[] };
  assert.deepEqual(
    file.images.map((i) => i.id),
    [10, 20],
  );
  assert.deepEqual(
    file.annotations.map((a) => [a.image_id, a.score]),
    [
      [10, 0.9],
      [20, 0.6],
      [20, 0.1],
    ],
  );
});

test('the exported report carries the CLI\'s instance fields: per image and the AP', () => {
  const folder = new InstanceFolder(mode, readCocoGroundTruth(groundTruthFile()));
  folder.add(0, 'a.png', W, H, [inst(1, 0, 0.9, A), inst(2, 1, 0.8, B)]);
  folder.add(1, 'sub/b.png', W, H, [inst(1, 0, 0.95, D), inst(2, 0, 0.7, C), inst(3, 1, 0.1, F)]);
  const b = new ReportBuilder('seg');
  b.add({ path: 'a.png', width: W, height: H, ms: 1 });
  b.add({ path: 'sub/b.png', width: W, height: H, ms: 1 });
  const rep = folder.report(b.build(), new Map([['a.png', 0], ['sub/b.png', 1]])) as unknown as { images: Record<string, unknown>[]; summary: Record<string, unknown> };
  assert.deepEqual(
    rep.images.map((e) => [e.path, e.gt, e.instances, e.tp, e.fp, e.fn]),
    [
      ['a.png', 'a.png', 2, 2, 0, 0],
      ['sub/b.png', 'sub/b.png', 2, 1, 1, 1],
    ],
  );
  near(rep.summary.ap as number, (2 / 3 + 51 / 101) / 2, 'the report\'s AP');
  assert.equal(rep.summary.withGroundTruth, 2);
});

test('without a ground truth: instances per image, no table', () => {
  const folder = new InstanceFolder(mode);
  folder.add(0, 'a.png', W, H, [inst(1, 0, 0.9, A), inst(2, 0, 0.2, B)]);
  const { tiles, table } = folder.evaluate();
  assert.equal(table, undefined);
  assert.deepEqual(tiles.get(0), { instances: 1 });
  assert.equal(folder.hasGroundTruth('a.png'), false);
});

test('seglens.groundTruth naming a .json: the COCO file, relative to the folder', () => {
  assert.equal(cocoGroundTruthFile('annotations/instances.json', '/data/imgs'), path.resolve('/data/imgs', 'annotations/instances.json'));
  assert.equal(cocoGroundTruthFile('/x/gt.JSON', '/data'), path.resolve('/x/gt.JSON'));
  assert.equal(cocoGroundTruthFile('auto', '/data'), undefined);
  assert.equal(cocoGroundTruthFile('{dir}/../masks/{stem}.png', '/data'), undefined);
});

test('sort by F1, worst first, tiles without one last; the page may ask for it', () => {
  const tiles: TileInfo[] = [
    { i: 0, rel: 'a.png', state: 'done', f1: 1 },
    { i: 1, rel: 'b.png', state: 'done', f1: 0.5 },
    { i: 2, rel: 'c.png', state: 'done' },
    { i: 3, rel: 'd.png', state: 'done', f1: 0.5 },
  ];
  assert.deepEqual(galleryOrder(tiles, 'f1', 'all'), [1, 3, 0, 2]);
  assert.deepEqual(checkFromGallery({ type: 'view', sort: 'f1', filter: 'all' }, 4), { ok: true, message: { type: 'view', sort: 'f1', filter: 'all' } });
});
