// The gallery's pure parts: folder listing with include/exclude globs (shared with the CLI),
// the order the grid shows and the preview's ←/→ follow, the visible range of the virtual grid,
// and the checks of the page's messages.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { listFolderImages, withGroundTruth } from '../../daemon/api/folder/folderImages';
import { Glob } from '../../daemon/api/folder/glob';
import { checkFromGallery } from '../../extension/gallery/galleryMessages';
import type { TileInfo } from '../../media/webview/shared/galleryMessages';
import { galleryOrder, visibleRange } from '../../media/webview/shared/galleryOrder';

test('globs: ** across folders, * within a name, {a,b}, a bare name at any depth', () => {
  const m = (glob: string, rel: string) => new Glob(glob).matches(rel);
  assert.ok(m('**/*.png', 'a/b/c.png'));
  assert.ok(m('**/*.png', 'c.png'));
  assert.ok(!m('*.png', 'a/c.jpg'));
  assert.ok(m('*.png', 'a/c.png'), 'a glob without / matches the name at any depth');
  assert.ok(m('train/*.{jpg,png}', 'train/x.jpg'));
  assert.ok(!m('train/*.{jpg,png}', 'train/sub/x.jpg'));
  assert.ok(m('**/thumbs/**', 'a/thumbs/x.png'));
  assert.ok(!m('a?.png', 'a/.png'));
});

test('listFolderImages: recursive by default, include/exclude, ground truth not an input', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-list-'));
  try {
    for (const f of ['images/a.jpg', 'images/b.png', 'images/sub/c.jpg', 'masks/a.png', 'notes.txt', '.hidden/d.png', 'thumbs/e.png']) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), '');
    }
    const rels = (o: Parameters<typeof listFolderImages>[1]) => withGroundTruth(listFolderImages(root, o), 'auto', fs.existsSync).map((f) => f.rel);
    assert.deepEqual(rels({ recursive: true }), ['images/a.jpg', 'images/b.png', 'images/sub/c.jpg', 'thumbs/e.png']);
    assert.deepEqual(rels({ recursive: true, exclude: ['thumbs/**'] }), ['images/a.jpg', 'images/b.png', 'images/sub/c.jpg']);
    assert.deepEqual(rels({ recursive: true, include: ['*.jpg'] }), ['images/a.jpg', 'images/sub/c.jpg']);
    assert.deepEqual(rels({ recursive: false }), []);
    const a = withGroundTruth(listFolderImages(root, { recursive: true }), 'auto', fs.existsSync)[0];
    assert.equal(a.gt, path.join(root, 'masks', 'a.png'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

const tiles: TileInfo[] = [
  { i: 0, rel: 'img10.png', state: 'done', iou: 0.9, ms: 5, share: 0.1, gt: true },
  { i: 1, rel: 'img2.png', state: 'done', iou: 0.4, ms: 9, share: 0.5, gt: true },
  { i: 2, rel: 'img1.png', state: 'failed', error: 'corrupt' },
  { i: 3, rel: 'img3.png', state: 'queued' },
];

test('galleryOrder: name (numeric), score worst first, share, time, failed; missing values last', () => {
  assert.deepEqual(galleryOrder(tiles, 'name', 'all'), [2, 1, 3, 0]);
  assert.deepEqual(galleryOrder(tiles, 'score', 'all'), [1, 0, 2, 3]);
  assert.deepEqual(galleryOrder(tiles, 'share', 'all'), [1, 0, 2, 3]);
  assert.deepEqual(galleryOrder(tiles, 'time', 'all'), [1, 0, 2, 3]);
  assert.deepEqual(galleryOrder(tiles, 'name', 'failed'), [2]);
  assert.deepEqual(galleryOrder(tiles, 'score', 'gt'), [1, 0]);
});

test('visibleRange: only the rows in view, one more either side, within the count', () => {
  assert.deepEqual(visibleRange(0, 400, 200, 5, 10_000), { first: 0, last: 15 });
  assert.deepEqual(visibleRange(200_000, 400, 200, 5, 10_000), { first: 4995, last: 5015 });
  assert.deepEqual(visibleRange(1e9, 400, 200, 5, 10_000), { first: 10_000, last: 10_000 });
});

test('checkFromGallery: known types with exactly their fields and valid values', () => {
  assert.deepEqual(checkFromGallery({ type: 'need', indices: [0, 3] }, 4), { ok: true, message: { type: 'need', indices: [0, 3] } });
  assert.equal(checkFromGallery({ type: 'need', indices: [4] }, 4).ok, false);
  assert.equal(checkFromGallery({ type: 'open', i: 1, sort: 'score', filter: 'all' }, 4).ok, true);
  assert.equal(checkFromGallery({ type: 'open', i: 1, sort: 'evil', filter: 'all' }, 4).ok, false);
  assert.deepEqual(checkFromGallery({ type: 'view', sort: 'score', filter: 'gt' }, 4), { ok: true, message: { type: 'view', sort: 'score', filter: 'gt' } });
  assert.equal(checkFromGallery({ type: 'view', sort: 'score', filter: 'evil' }, 4).ok, false);
  assert.equal(checkFromGallery({ type: 'view', i: 1, sort: 'score', filter: 'all' }, 4).ok, false, 'a view has no index');
  assert.equal(checkFromGallery({ type: 'cancel', extra: 1 }, 4).ok, false);
  assert.equal(checkFromGallery({ type: 'exportReport' }, 4).ok, true);
  assert.equal(checkFromGallery({ type: 'runScript' }, 4).ok, false);
  assert.equal(checkFromGallery(null, 4).ok, false);
});

test('checkFromGallery: a type is one of its own, never a name every object inherits', () => {
  for (const type of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
    assert.deepEqual(checkFromGallery({ type }, 4).ok, false, type);
    assert.deepEqual(checkFromGallery({ type, extra: 1 }, 4).ok, false, `${type} with a field`);
    assert.deepEqual(checkFromGallery(JSON.parse(`{"type": "${type}", "__proto__": {"type": "ready"}}`), 4).ok, false, `${type} from JSON`);
  }
  assert.equal(checkFromGallery(Object.create({ type: 'ready' }), 4).ok, false, 'an inherited type is no type');
});

test('folderSummary: the CLI report builder summary and the 10 worst images, worst first', async () => {
  const { folderReport, folderSummary } = await import('../../extension/gallery/folderReport');
  const outcomes = Array.from({ length: 14 }, (_, k) => ({
    tile: { i: k, rel: `img${k}.png`, state: 'done' as const },
    entry: { path: `img${k}.png`, width: 4, height: 4, ms: 1, gt: `masks/img${k}.png` },
    score: { mode: 'm', task: 'binary' as const, width: 4, height: 4, iou: (k + 1) / 20 },
  }));
  const report = folderReport('m', [...outcomes, undefined]);
  assert.equal(report.summary.images, 14);
  assert.equal(report.summary.withGroundTruth, 14);
  assert.equal(report.summary.meanIoU, Math.round((outcomes.reduce((s, o) => s + o.score.iou, 0) / 14) * 1e6) / 1e6);
  const s = folderSummary(report, (rel) => Number(rel.slice(3, -4)));
  assert.deepEqual(s.worst.map((w) => w.i), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(s.worst[0].iou, 0.05);
});

test('folderConfusion: the images confusion pairs summed, rows ground truth, columns prediction', async () => {
  const { folderConfusion } = await import('../../extension/gallery/folderReport');
  const score = (confusion: { gt: number; pred: number; pixels: number }[]) => ({ tile: { i: 0, rel: 'a', state: 'done' as const }, score: { mode: 'm', task: 'semantic' as const, width: 1, height: 1, iou: 1, confusion } });
  const c = folderConfusion(
    [
      score([
        { gt: 0, pred: 0, pixels: 5 },
        { gt: 2, pred: 0, pixels: 1 },
      ]),
      undefined,
      score([{ gt: 2, pred: 2, pixels: 3 }]),
    ],
    (id) => ['bg', 'a', 'b'][id],
  );
  assert.deepEqual(c, { labels: ['bg', 'b'], rows: [[5, 0], [1, 3]] });
  assert.equal(folderConfusion([undefined], String), undefined);
});
