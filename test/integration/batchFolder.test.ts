// Issue 15 through the real daemon process, with the tests' own colour classifier: the tile
// thumbnail (`thumbnail: {size}`), the result cache (`cache: true`: a second pass over a folder
// runs no inference, a changed image runs again) and batch priority (an interactive request
// overtakes batch requests already waiting).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { COLOR_CLASS_LABELS, QUADRANT_COLORS, colorClassesModel, decodeMask, quadrantOf, quadrantsPng, writeModel } from '../helpers/buildModels';
import { ListeningDaemon, metric, startListening, tempDir } from '../helpers/daemonProcess';

const H = 48;
const W = 64;
let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;

const inferences = async () => metric((await client.metrics()).text, 'seglens_inference_duration_seconds_count', { mode: 'colors' });

before(async () => {
  dir = tempDir('seglens-batch-');
  const model = writeModel(dir, 'colors.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [H, W] }));
  daemon = await startListening();
  client = await daemon.connect('batch-test');
  const def: P.UserModeDefinition = { id: 'colors', model, inputName: 'image', inputSize: [H, W], normalization: 'zero-one', labels: COLOR_CLASS_LABELS };
  assert.deepEqual((await client.request(P.DefineModes, { modes: [def] })).errors, []);
  await client.ensureReady('colors');
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('thumbnail: the image and its class map at tile size, aligned', async () => {
  const file = path.join(dir, 'q.png');
  fs.writeFileSync(file, await quadrantsPng(400, 300));
  const r = await client.segment({ mode: 'colors', image: { path: file }, thumbnail: { size: 40 } });
  assert.ok(r.thumbnail);
  assert.deepEqual([r.thumbnail.width, r.thumbnail.height], [40, 30]);
  assert.equal(r.thumbnail.mimeType, 'image/jpeg');
  const img = await sharp(Buffer.from(r.thumbnail.image, 'base64')).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([img.info.width, img.info.height], [40, 30]);
  const mask = await decodeMask(r.thumbnail.mask);
  assert.deepEqual([mask.width, mask.height], [40, 30]);
  for (const [x, y] of [[5, 5], [35, 5], [5, 25], [35, 25]]) {
    const q = quadrantOf(x, y, 40, 30);
    assert.equal(mask.data[y * 40 + x], q, `class at (${x},${y})`);
    const px = [...img.data.subarray((y * 40 + x) * 3, (y * 40 + x) * 3 + 3)];
    px.forEach((v, k) => assert.ok(Math.abs(v - QUADRANT_COLORS[q][k]) < 24, `colour at (${x},${y}): ${px}`));
  }
  await assert.rejects(client.segment({ mode: 'colors', image: { path: file }, thumbnail: { size: 4 } }), (e: { code: number }) => e.code === P.ErrorCodes.InvalidParams);
});

test('result cache: a second pass runs no inference, a changed image runs again', async () => {
  const folder = path.join(dir, 'folder');
  fs.mkdirSync(folder);
  const files: string[] = [];
  for (let i = 0; i < 4; i++) {
    const f = path.join(folder, `img${i}.png`);
    fs.writeFileSync(f, await quadrantsPng(64 + i * 8, 48));
    files.push(f);
  }
  const pass = () => Promise.all(files.map((f) => client.segment({ mode: 'colors', image: { path: f }, cache: true, thumbnail: { size: 32 }, priority: 'batch' })));
  const n0 = await inferences();
  const first = await pass();
  assert.equal((await inferences()) - n0, 4, 'the first pass runs every image');
  assert.ok(first.every((r) => !r.cached));
  const second = await pass();
  assert.equal((await inferences()) - n0, 4, 'the second pass runs none');
  assert.ok(second.every((r) => r.cached === true));
  for (let i = 0; i < 4; i++) {
    assert.equal(second[i].maskPng, first[i].maskPng);
    assert.deepEqual(second[i].thumbnail, first[i].thumbnail);
    assert.deepEqual(second[i].classes, first[i].classes);
  }
  // Another thumbnail size is another answer: it runs.
  await client.segment({ mode: 'colors', image: { path: files[0] }, cache: true, thumbnail: { size: 16 } });
  assert.equal((await inferences()) - n0, 5);
  fs.writeFileSync(files[2], await quadrantsPng(100, 60)); // changed content
  const third = await pass();
  assert.equal((await inferences()) - n0, 6, 'only the changed image runs');
  assert.deepEqual(third.map((r) => r.cached === true), [true, true, false, true]);
  assert.equal(third[2].width, 100);
  const { text } = await client.metrics();
  assert.equal(metric(text, 'seglens_result_cache_total', { outcome: 'hit' }), 7);
  assert.ok(fs.readdirSync(path.join(daemon.cacheDir, 'results')).filter((n) => n.endsWith('.json')).length >= 6);
});

test('priority: an interactive request overtakes batch requests already waiting', async () => {
  // Big enough that one image takes a while, so the batch is still waiting when the interactive request comes.
  const big = path.join(dir, 'big.png');
  fs.writeFileSync(big, await quadrantsPng(2400, 1800));
  const done: string[] = [];
  const batch = Array.from({ length: 8 }, (_, i) =>
    client.segment({ mode: 'colors', image: { path: big }, priority: 'batch', thumbnail: { size: 256 } }).then(() => done.push(`batch${i}`)),
  );
  const interactive = client.segment({ mode: 'colors', image: { path: big } }).then(() => done.push('interactive'));
  await Promise.all([...batch, interactive]);
  const at = done.indexOf('interactive');
  assert.ok(at <= 2, `the interactive request finished at position ${at + 1} of 9: ${done.join(', ')}`);
  // Batch jobs start in their order; with the engine's stages (one job's postprocessing overlaps
  // the next one's inference) two neighbours may answer the other way round, never further.
  const batchOrder = done.filter((d) => d !== 'interactive');
  batchOrder.forEach((d, pos) => assert.ok(Math.abs(Number(d.slice(5)) - pos) <= 1, `batch jobs out of order: ${batchOrder.join(', ')}`));
});

test('score with agreement: the map of true positives, false positives and false negatives; the confusion pairs', async () => {
  const [w, h] = [64, 48];
  const file = path.join(dir, 'agree.png');
  fs.writeFileSync(file, await quadrantsPng(w, h)); // predicted classes: TL 0, TR 1, BL 2, BR 3
  const gtIds = [2, 1, 3, 255]; // TL missed (FN), TR right (TP), BL wrong class (FP), BR ignored
  const raw = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * w + x] = gtIds[quadrantOf(x, y, w, h)];
  const gt = path.join(dir, 'agree_gt.png');
  fs.writeFileSync(gt, await sharp(raw, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png().toBuffer());
  const r = await client.segment({ mode: 'colors', image: { path: file } });
  const s = await client.request(P.Score, { mode: 'colors', prediction: { base64: r.maskPng }, groundTruth: { path: gt }, agreement: true });
  assert.ok(s.agreementPng);
  const map = await decodeMask(s.agreementPng);
  assert.deepEqual([map.width, map.height], [w, h]);
  const want = [3, 1, 2, 0];
  for (let y = 2; y < h - 2; y++) {
    for (let x = 2; x < w - 2; x++) {
      if (Math.abs(x - w / 2) < 3 || Math.abs(y - h / 2) < 3) continue;
      assert.equal(map.data[y * w + x], want[quadrantOf(x, y, w, h)], `(${x},${y})`);
    }
  }
  // The confusion pairs, counted independently from the mask and the ground truth.
  const pred = await decodeMask(r.maskPng);
  const want2 = new Map<string, number>();
  for (let k = 0; k < w * h; k++) if (raw[k] !== 255) want2.set(`${raw[k]}>${pred.data[k]}`, (want2.get(`${raw[k]}>${pred.data[k]}`) ?? 0) + 1);
  assert.deepEqual(new Map((s.confusion ?? []).map((c) => [`${c.gt}>${c.pred}`, c.pixels])), want2);
  assert.ok(want2.get('2>0')! > 0 && want2.get('1>1')! > 0 && want2.get('3>2')! > 0, JSON.stringify([...want2]));
  const plain = await client.request(P.Score, { mode: 'colors', prediction: { base64: r.maskPng }, groundTruth: { path: gt } });
  assert.equal(plain.agreementPng, undefined, 'only when asked for');
});
