// Ground truth is decoded within the limits of an input image (issue #20), against the real
// daemon and the real CLI: a decompression bomb (a 64x48 header whose image data inflates to
// 1 GiB, a 1 MB file) and a PNG with a second IHDR after its image data (the first says 64x48,
// the data and the second say 9000x9000: 81 megapixels, over the 64-megapixel limit) are each
// that image's error (1002), never a score, and the daemon's memory (its process and the
// processes under it, peak included) stays within 200 MB of where it was.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonClient } from '../../daemon/api/client';
import type { Report } from '../../daemon/api/folder/report';
import * as P from '../../daemon/api/protocol';
import { COLOR_CLASS_LABELS, quadrantsPng } from '../helpers/buildModels';
import { runCli } from '../helpers/cli';
import { COLORS_H, COLORS_W, startColorsDaemon } from '../helpers/colorsDaemon';
import { ListeningDaemon, tempDir } from '../helpers/daemonProcess';
import { bombPng, memorySnapshot, peakGrowth, twoIhdrPng } from '../helpers/hostilePngs';

const MB = 1024 * 1024;
const linux = process.platform === 'linux';
let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;
let image: string;
let prediction: string;
/** The prediction itself as a class-index PNG: a sound ground truth (IoU 1). */
let soundGt: string;
const crafted = new Map<string, string>();

before(async () => {
  dir = tempDir('seglens-gt-limits-');
  ({ daemon, client } = await startColorsDaemon(dir, 'gt-limits-test'));
  image = path.join(dir, 'img', 'a.png');
  fs.mkdirSync(path.dirname(image));
  fs.writeFileSync(image, await quadrantsPng(COLORS_W, COLORS_H));
  prediction = (await client.segment({ mode: 'colors', image: { path: image } })).maskPng;
  soundGt = path.join(dir, 'sound.png');
  fs.writeFileSync(soundGt, Buffer.from(prediction, 'base64'));
  crafted.set('bomb', path.join(dir, 'bomb.png'));
  fs.writeFileSync(crafted.get('bomb')!, await bombPng(COLORS_W, COLORS_H, 1024 * MB));
  crafted.set('two-ihdr', path.join(dir, 'two-ihdr.png'));
  fs.writeFileSync(crafted.get('two-ihdr')!, await twoIhdrPng(COLORS_W, COLORS_H, 9000, 9000));
  // A sound ground truth first: whatever scoring starts (its process, its libraries) is running before the measure.
  await client.request(P.Score, { mode: 'colors', prediction: { base64: prediction }, groundTruth: { path: soundGt } });
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const pid = () => daemon.child.pid!;

for (const [name, why] of [
  ['bomb', /inflates past the 3120 bytes its header implies/],
  ['two-ihdr', /second IHDR/],
] as const) {
  test(`seglens/score: a ${name} ground truth is that request's 1002, the daemon's memory stays put`, async () => {
    const before = linux ? memorySnapshot(pid()) : undefined;
    await assert.rejects(client.request(P.Score, { mode: 'colors', prediction: { base64: prediction }, groundTruth: { path: crafted.get(name)! } }), (e: { code: number; message: string }) => {
      assert.equal(e.code, P.ErrorCodes.ImageUndecodable, e.message);
      assert.match(e.message, why);
      assert.match(e.message, new RegExp(`${name}\\.png`), 'the message names the file');
      return true;
    });
    if (before) {
      const grew = peakGrowth(before, memorySnapshot(pid()));
      console.log(`# ${name}: daemon tree peak growth ${(grew / MB).toFixed(1)} MB`);
      assert.ok(grew < 200 * MB, `the daemon's processes grew by ${(grew / MB).toFixed(0)} MB`);
    }
    // The daemon serves on: a sound ground truth still scores.
    const ok = await client.request(P.Score, { mode: 'colors', prediction: { base64: prediction }, groundTruth: { base64: prediction } });
    assert.equal(ok.iou, 1);
  });
}

test('seglens segment --gt: crafted ground truths are those images\' errors, never scores', async () => {
  const set = path.join(dir, 'set');
  fs.mkdirSync(set);
  for (const name of ['plain', 'bomb', 'two-ihdr']) {
    fs.copyFileSync(image, path.join(set, `${name}.png`));
    const gt = path.join(dir, 'gt', `${name}.png`);
    fs.mkdirSync(path.dirname(gt), { recursive: true });
    fs.copyFileSync(name === 'plain' ? soundGt : crafted.get(name)!, gt);
  }
  const models = path.join(dir, 'models.json');
  fs.writeFileSync(models, JSON.stringify({ modes: [{ id: 'colors-cli', model: path.join(dir, 'colors.onnx'), inputName: 'image', inputSize: [COLORS_H, COLORS_W], normalization: 'zero-one', labels: COLOR_CLASS_LABELS }] }));
  const before = linux ? memorySnapshot(pid()) : undefined;
  const env = { SEGLENS_SOCKET: daemon.socketPath, XDG_CACHE_HOME: path.join(dir, 'cli-cache') };
  const report = path.join(dir, 'report.json');
  const r = await runCli(['segment', set, '--mode', 'colors-cli', '--models', models, '--out', path.join(dir, 'out'), '--gt', '{root}/../gt/{name}', '--report', report], env);
  assert.match(r.stdout, /shared daemon/);
  const rep = JSON.parse(fs.readFileSync(report, 'utf8')) as Report;
  const byName = new Map(rep.images.map((i) => [i.path, i]));
  assert.equal(byName.get('plain.png')?.error, undefined, JSON.stringify(byName.get('plain.png')));
  assert.equal(byName.get('plain.png')?.iou, 1);
  for (const name of ['bomb.png', 'two-ihdr.png']) {
    const e = byName.get(name)!;
    assert.equal(e.error?.code, P.ErrorCodes.ImageUndecodable, JSON.stringify(e));
    assert.equal(e.iou, undefined, `${name}: no score`);
  }
  assert.notEqual(r.code, 0, 'images failed: the run says so');
  if (before) {
    const grew = peakGrowth(before, memorySnapshot(pid()));
    console.log(`# CLI run: daemon tree peak growth ${(grew / MB).toFixed(1)} MB`);
    assert.ok(grew < 200 * MB, `the daemon's processes grew by ${(grew / MB).toFixed(0)} MB`);
  }
});
