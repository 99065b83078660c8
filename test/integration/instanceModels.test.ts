// Instance modes (issue 24) through the real daemon, with models the test builds in both
// output formats (test/helpers/instanceModels.ts) whose outputs are known exactly: instances,
// the instance-id map and each instance's RLE against the independent computation of
// test/helpers/instanceReference.ts (letterbox undone, NMS, masks); bad models fail at load
// naming the output and the shape expected.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { decodeMask, writeModel } from '../helpers/buildModels';
import { decodeCocoRle } from '../helpers/cocoRleDecoder';
import { ListeningDaemon, startListening, tempDir } from '../helpers/daemonProcess';
import { RowOutputs, boxesMasksModel, random, randomYoloOutputs, yoloSegModel } from '../helpers/instanceModels';
import { RefInstance, refBoxesMasks, refMap, refYolo } from '../helpers/instanceReference';

const S = 64;
const settings = { scoreThreshold: 0.25, iouThreshold: 0.7, maxInstances: 100 };
let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;
const yolo = randomYoloOutputs(random(21), S, { nc: 3, nm: 4, anchors: 400, proto: 16 });

function rows(seed: number, size: number, N: number): RowOutputs {
  const rnd = random(seed);
  const boxes = new Float32Array(N * 4);
  const masks = new Float32Array(N * size * size);
  for (let i = 0; i < N; i++) {
    const x1 = Math.floor(rnd() * size * 0.6);
    const y1 = Math.floor(rnd() * size * 0.6);
    boxes.set([x1, y1, x1 + 4 + Math.floor(rnd() * (size - x1 - 4)), y1 + 4 + Math.floor(rnd() * (size - y1 - 4))], 4 * i);
    for (let p = 0; p < size * size; p++) masks[i * size * size + p] = rnd();
  }
  const scores = Float32Array.from({ length: N }, (_, i) => (i % 4 === 3 ? 0.1 : 0.3 + rnd() * 0.7));
  return { boxes, labels: Array.from({ length: N }, (_, i) => 1 + (i % 3)), scores, masks };
}
const torch = rows(5, 32, 12);

async function png(file: string, width: number, height: number): Promise<string> {
  const raw = Buffer.alloc(width * height * 3, 90);
  await sharp(raw, { raw: { width, height, channels: 3 } }).png().toFile(file);
  return file;
}

const failsAtLoad = (message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ResponseError, String(e));
  assert.equal(e.code, P.ErrorCodes.ModelLoadFailed, e.message);
  assert.match(e.message, message);
  return true;
};

async function compare(r: P.SegmentResult, want: RefInstance[], labels: string[]): Promise<void> {
  const { width: w, height: h } = r;
  const got = r.instances!;
  assert.equal(got.length, want.length);
  got.forEach((g, k) => {
    const x = want[k];
    assert.deepEqual([g.id, g.class, g.label, g.score], [k + 1, x.cls, labels[x.cls], Math.fround(x.score)], `instance ${k + 1}`);
    const box = [g.box.left, g.box.top, g.box.left + g.box.width, g.box.top + g.box.height];
    box.forEach((v, i) => assert.ok(Math.abs(v - x.box[i]) < 2e-3, `instance ${k + 1} box ${box} vs ${x.box}`));
    assert.deepEqual(g.rle!.size, [h, w]);
    assert.deepEqual(decodeCocoRle(g.rle!), x.mask, `instance ${k + 1} mask`);
    assert.equal(g.area, x.mask.reduce((a, b) => a + b, 0));
  });
  const map = await decodeMask(r.maskPng);
  assert.deepEqual([map.width, map.height], [w, h]);
  assert.deepEqual(map.data, refMap(want, w, h), 'instance-id map');
  assert.deepEqual(
    r.classes.map((c) => c.label),
    labels,
  );
}

before(async () => {
  dir = tempDir('seglens-instances-');
  writeModel(dir, 'torch.onnx', boxesMasksModel(32, torch));
  daemon = await startListening();
  client = await daemon.connect('instances');
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('yolo-seg', () => {
  test('a mode from an Ultralytics-style file: instances, id map and masks as computed independently', async () => {
    const file = writeModel(dir, 'yolo.onnx', yoloSegModel(S, yolo));
    const def = await client.request(P.DefineModes, { modes: [{ id: 'yolo', model: file, task: 'instance', outputFormat: 'yolo-seg', labels: ['cat', 'dog', 'bird'], warmupIterations: 1 }] });
    assert.deepEqual(def.errors, []);
    const info = def.modes[0];
    assert.equal(info.task, 'instance');
    assert.deepEqual(info.instance, { outputFormat: 'yolo-seg', ...settings });
    for (const [w, h] of [
      [96, 50],
      [40, 70],
    ]) {
      const image = await png(path.join(dir, `img-${w}x${h}.png`), w, h);
      const r = await client.segment({ mode: 'yolo', image: { path: image }, instanceRle: true });
      assert.deepEqual([r.width, r.height], [w, h]);
      const want = refYolo(yolo, S, w, h, settings);
      assert.ok(want.length > 5);
      await compare(r, want, ['cat', 'dog', 'bird']);
    }
  });

  test('the format and the class count are read from the file when left out; settings apply', async () => {
    const file = path.join(dir, 'yolo.onnx');
    const s = { scoreThreshold: 0.5, iouThreshold: 0.4, maxInstances: 3 };
    const def = await client.request(P.DefineModes, { modes: [{ id: 'yolo-strict', model: file, task: 'instance', ...s }] });
    assert.deepEqual(def.errors, []);
    assert.deepEqual(def.modes[0].labels, ['class 0', 'class 1', 'class 2']);
    const image = await png(path.join(dir, 'img-strict.png'), 64, 48);
    const r = await client.segment({ mode: 'yolo-strict', image: { path: image }, instanceRle: true });
    assert.equal(r.instances!.length, 3);
    await compare(r, refYolo(yolo, S, 64, 48, s), def.modes[0].labels);
  });

  test('without instanceRle the instances carry no masks', async () => {
    const r = await client.segment({ mode: 'yolo', image: { path: path.join(dir, 'img-96x50.png') } });
    assert.ok(r.instances!.length > 0);
    assert.ok(r.instances!.every((i) => i.rle === undefined));
  });

  test('bad models fail at load naming the output and the shape expected', async () => {
    const o = randomYoloOutputs(random(3), 32, { nc: 3, nm: 4, anchors: 20, proto: 8 });
    const protos3 = writeModel(dir, 'protos-rank3.onnx', yoloSegModel(32, o, undefined, { protoShape: [4, 8, 8] }));
    const good = writeModel(dir, 'small.onnx', yoloSegModel(32, o));
    const r = await client.request(P.DefineModes, {
      modes: [
        { id: 'bad-protos', model: protos3, outputFormat: 'yolo-seg', labels: ['a', 'b', 'c'], warmupIterations: 0 },
        { id: 'bad-labels', model: good, outputFormat: 'yolo-seg', labels: ['a', 'b', 'c', 'd', 'e'], warmupIterations: 0 },
        { id: 'bad-format', model: good, outputFormat: 'boxes-masks', labels: ['a'], warmupIterations: 0 },
      ],
    });
    assert.deepEqual(r.errors, []);
    await assert.rejects(client.ensureReady('bad-protos'), failsAtLoad(/outputFormat: output 'output1' \[4, 8, 8\]: expected \[1, nm, mh, mw\]/));
    await assert.rejects(client.ensureReady('bad-labels'), failsAtLoad(/outputFormat: output 'output0' \[1, 11, 20\]: expected \[1, 4 \+ 5 classes \+ nm = 13, anchors\]/));
    await assert.rejects(client.ensureReady('bad-format'), failsAtLoad(/the model has no output 'boxes', which 'boxes-masks' reads/));
    // The daemon keeps serving.
    assert.ok((await client.segment({ mode: 'yolo', image: { path: path.join(dir, 'img-96x50.png') } })).instances);
  });
});

describe('seglens/inspectModel', () => {
  test("an Ultralytics export's metadata gives the whole definition, and it runs", async () => {
    const meta = { task: 'segment', names: "{0: 'cat', 1: 'hot dog', 2: 'bird'}", imgsz: '[64, 64]', stride: '32', description: 'Ultralytics YOLO11n-seg model' };
    const file = writeModel(dir, 'yolo11n-seg.onnx', yoloSegModel(S, yolo, meta));
    const r = await client.request(P.InspectModel, { path: file });
    const sg = r.suggestion;
    assert.deepEqual(
      { task: sg.task, outputFormat: sg.outputFormat, labels: sg.labels, inputSize: sg.inputSize, normalization: sg.normalization, inputName: sg.inputName },
      { task: 'instance', outputFormat: 'yolo-seg', labels: ['cat', 'hot dog', 'bird'], inputSize: [64, 64], normalization: 'zero-one', inputName: 'images' },
    );
    assert.match(r.notes.join(' '), /Ultralytics segment export/);
    const def = await client.request(P.DefineModes, { modes: [sg] });
    assert.deepEqual(def.errors, []);
    // The file alone is enough: format from its outputs, names from its metadata.
    const bare = await client.request(P.DefineModes, { modes: [{ id: 'from-file-alone', model: file }] });
    assert.deepEqual(bare.errors, []);
    assert.deepEqual([bare.modes[0].task, bare.modes[0].labels], ['instance', ['cat', 'hot dog', 'bird']]);
    const image = path.join(dir, 'img-96x50.png');
    const seg = await client.segment({ mode: sg.id, image: { path: image }, instanceRle: true });
    await compare(seg, refYolo(yolo, S, 96, 50, settings), ['cat', 'hot dog', 'bird']);
  });

  test('a torchvision-style export is recognised by its outputs', async () => {
    const r = await client.request(P.InspectModel, { path: path.join(dir, 'torch.onnx') });
    assert.equal(r.suggestion.outputFormat, 'boxes-masks');
    assert.equal(r.suggestion.task, 'instance');
    assert.match(r.notes.join(' '), /give the class names|Give the class names/);
  });
});

describe('boxes-masks', () => {
  test('a torchvision-style file (input without a batch axis, int64 labels): instances and masks as computed independently', async () => {
    const file = path.join(dir, 'torch.onnx');
    const labels = ['__background__', 'person', 'car', 'dog'];
    const def = await client.request(P.DefineModes, { modes: [{ id: 'torch', model: file, labels, warmupIterations: 1 }] });
    assert.deepEqual(def.errors, []);
    assert.equal(def.modes[0].instance?.outputFormat, 'boxes-masks', 'the format is read from the output names');
    for (const [w, h] of [
      [50, 30],
      [21, 40],
    ]) {
      const image = await png(path.join(dir, `t-${w}x${h}.png`), w, h);
      const r = await client.segment({ mode: 'torch', image: { path: image }, instanceRle: true });
      await compare(r, refBoxesMasks(torch, 32, w, h, settings), labels);
    }
  });

  test('labels are required, and masks of another size fail at load', async () => {
    const file = path.join(dir, 'torch.onnx');
    const r = await client.request(P.DefineModes, { modes: [{ id: 'torch-nolabels', model: file, outputFormat: 'boxes-masks' }] });
    assert.match(r.errors[0]?.message ?? '', /labels: missing: a 'boxes-masks' model does not declare its classes/);
    const r2 = await client.request(P.DefineModes, { modes: [{ id: 'torch-size', model: file, labels: ['a', 'b', 'c', 'd'], inputSize: 48, warmupIterations: 0 }] });
    assert.deepEqual(r2.errors, []);
    await assert.rejects(client.ensureReady('torch-size'), failsAtLoad(/inputSize: the mode feeds \[3, 48, 48\] but input 'images' is \[3, 32, 32\]/));
  });
});
