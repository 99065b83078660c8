// EngineProxy with the real models on real photos, in its real worker thread: the `accurate`
// mode against the independent reference ISNet pipeline (IoU at 0.5), the text mode, the
// semantic path with a tiny model built here, EXIF orientation, every image error code,
// model load errors, provider fallback on this GPU-less machine, serialisation of
// concurrent calls and worker crash handling. Each engine is closed (sessions released) at
// the end; an ISNet session takes about 2 GB.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { onnx } from 'onnx-proto';
import sharp from 'sharp';
import { builtinModes } from '../../daemon/models/catalogue';
import { SegLensError } from '../../daemon/api/errors';
import { ModeDef } from '../../daemon/models/modeDef';
import { ErrorCodes, LogLevel } from '../../daemon/api/protocol';
import { EngineCrashedError } from '../../daemon/engine/engine';
import { EngineProxy } from '../../daemon/engine/engineProxy';
import { TEST_ABORT_MARKER } from '../../daemon/engine/host/inputGuard';
import { ReferenceIsnet, assembleReferenceModel, decodeGreyPng, maskIoU, meanAbsDiff } from '../helpers/referencePipeline';
import { modelsDir, repoRoot, samplePhotos } from '../helpers/repo';
import { workerScript } from '../helpers/workerScript';
import { pngClaiming } from '../helpers/images';

const MAX_PIXELS = 64_000_000;

// ---------------------------------------------------------------- fixtures


const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-engine-test-'));

/** Built-in modes; while models/ is not assembled, the original 1024 ISNet and the PP-OCR file directly. */
function modes(): Map<string, ModeDef> {
  const all = builtinModes(modelsDir);
  for (const m of all) {
    if (fs.existsSync(m.model.file)) continue;
    if (m.model.key === 'ppocrv4-det') m.model = { ...m.model, file: path.join(repoRoot, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_det_infer.onnx') };
    else m.model = { ...m.model, file: assembleReferenceModel() };
  }
  return new Map(all.map((m) => [m.id, m]));
}


/**
 * A tiny semantic "model" built here: Identity from a 3-channel input to a 3-channel score
 * map, so the argmax is the strongest colour channel. Dynamic height and width.
 */
function identityModel(file: string, layout: 'NCHW' | 'NHWC'): void {
  const D = onnx.TensorShapeProto.Dimension;
  const dims = layout === 'NCHW' ? [D.create({ dimValue: 1 }), D.create({ dimValue: 3 }), D.create({ dimParam: 'h' }), D.create({ dimParam: 'w' })] : [D.create({ dimValue: 1 }), D.create({ dimParam: 'h' }), D.create({ dimParam: 'w' }), D.create({ dimValue: 3 })];
  const vi = (name: string) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: onnx.TensorProto.DataType.FLOAT, shape: onnx.TensorShapeProto.create({ dim: dims }) }) }),
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'seglens-test',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 17 })],
    graph: onnx.GraphProto.create({
      name: 'identity',
      node: [onnx.NodeProto.create({ opType: 'Identity', input: ['pixels'], output: ['scores'], name: 'id' })],
      input: [vi('pixels')],
      output: [vi('scores')],
    }),
  });
  fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
}

function semanticMode(file: string, layout: 'NCHW' | 'NHWC', colorOrder: 'RGB' | 'BGR'): ModeDef {
  return {
    id: `rgb-${layout}-${colorOrder}`,
    label: 'Strongest channel',
    description: 'test',
    task: 'semantic',
    inputSize: [32, 48],
    labels: ['first', 'second', 'third'],
    colors: [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ],
    custom: true,
    model: { key: `identity-${layout}`, file },
    inputName: 'pixels',
    outputName: 'scores',
    layout,
    colorOrder,
    scale: 1 / 255,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    output: 'logits',
    tta: 'none',
    warmupIterations: 1,
  };
}

async function expectCode(p: Promise<unknown>, code: number, pattern?: RegExp): Promise<SegLensError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SegLensError, `expected SegLensError ${code}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.equal(e.code, code, `code of "${e.message}"`);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected error ${code}, the call succeeded`);
}

// ---------------------------------------------------------------- tests

const WORKER = workerScript(__dirname);
const MODES = modes();
const mode = (id: string) => MODES.get(id)!;
const logs: [LogLevel, string][] = [];
const photos = samplePhotos().filter((f) => /\.jpe?g$/i.test(f));

describe('EngineProxy (real models, real photos)', () => {
  let engine: EngineProxy;

  before(() => {
    engine = new EngineProxy({ provider: 'auto', workerPath: WORKER, log: (l, m) => logs.push([l, m]) });
  });
  after(async () => {
    await engine.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('auto on this GPU-less machine ends on the CPU with a working session', async () => {
    if (process.platform === 'linux') assert.deepEqual(engine.providers, ['cpu', 'cuda']);
    assert.equal(engine.provider, 'cpu', 'before the first load');
    const info = await engine.load(mode('text').model);
    assert.equal(info.provider, 'cpu');
    assert.equal(engine.provider, 'cpu');
    assert.ok(info.loadMs > 0);
    assert.ok(
      logs.some(([, m]) => /execution provider.*cpu/.test(m)),
      JSON.stringify(logs),
    );
    // loading again is free
    assert.equal((await engine.load(mode('text').model)).loadMs, 0);
    assert.deepEqual(await engine.loadedModels(), ['ppocrv4-det']);
  });

  it('warm-up runs the requested number of dummy inferences', async () => {
    // Counted in the worker (session.run calls), not inferred from durations.
    const runsAfter = async (iterations: number) => {
      const before = await engine.modelRuns();
      const r = await engine.warmup(mode('text'), iterations);
      assert.ok(r.durationMs >= 0 && Number.isFinite(r.durationMs));
      return (await engine.modelRuns()) - before;
    };
    assert.equal(await runsAfter(1), 1);
    assert.equal(await runsAfter(3), 3);
    assert.equal(await runsAfter(0), 0);
  });

  it('a warm-up on the CPU runs its dummy inferences at full size; warmupShape small overrides it', async () => {
    // Counted per input shape in the worker (session.run calls), not inferred from durations.
    const before = await engine.modelRunShapes();
    const delta = (after: Record<string, number>, since: Record<string, number>, k: string) => (after[k] ?? 0) - (since[k] ?? 0);
    const full = await engine.warmup(mode('text'), 2);
    assert.deepEqual(full.inputSize, [640, 640]);
    const mid = await engine.modelRunShapes();
    assert.equal(delta(mid, before, '640x640'), 2);
    assert.equal(delta(mid, before, '256x256'), 0, 'no small-shape dummy inference');
    const cheap = await engine.warmup({ ...mode('text'), warmupShape: 'small' }, 1);
    assert.deepEqual(cheap.inputSize, [256, 256]);
    const end = await engine.modelRunShapes();
    assert.deepEqual([delta(end, mid, '256x256'), delta(end, mid, '640x640')], [1, 0]);
  });

  it('text mode on a photo: mask of the image size, 8-bit grey PNG, fractions sum to 1', async () => {
    const file = path.join(path.dirname(photos[0]), 'text.png');
    const src = fs.existsSync(file) ? file : photos[0];
    const meta = await sharp(src).metadata();
    const r = await engine.segment(mode('text'), { path: src }, { maxPixels: MAX_PIXELS });
    assert.equal(r.width, meta.width);
    assert.equal(r.height, meta.height);
    const png = await decodeGreyPng(r.maskPng);
    assert.deepEqual([png.format, png.channels, png.depth, png.width, png.height], ['png', 1, 'uchar', meta.width, meta.height]);
    assert.deepEqual(
      r.classes.map((c) => [c.id, c.label]),
      [
        [0, 'background'],
        [1, 'text'],
      ],
    );
    assert.ok(Math.abs(r.classes[0].fraction + r.classes[1].fraction - 1) < 1e-9);
    if (src === file) assert.ok(r.classes[1].fraction > 0.01, `text fraction ${r.classes[1].fraction}`);
    for (const k of ['decodeMs', 'preprocessMs', 'inferenceMs', 'postprocessMs'] as const) assert.ok(r.timings[k] >= 0 && Number.isFinite(r.timings[k]), k);
    // bytes in, same answer
    const r2 = await engine.segment(mode('text'), { bytes: fs.readFileSync(src) }, { maxPixels: MAX_PIXELS });
    assert.deepEqual(Buffer.from(r2.maskPng), Buffer.from(r.maskPng));
  });

  it('image bytes move to the worker (not copied) and the mask equals the one from the path', async () => {
    const src = photos[0];
    const fromPath = await engine.segment(mode('text'), { path: src }, { maxPixels: MAX_PIXELS });
    const bytes = new Uint8Array(fs.readFileSync(src)); // owns its whole ArrayBuffer
    const fromBytes = await engine.segment(mode('text'), { bytes }, { maxPixels: MAX_PIXELS });
    assert.equal(bytes.byteLength, 0, 'the buffer was transferred to the worker');
    assert.ok(fromBytes.maskPng instanceof Uint8Array);
    assert.deepEqual(fromBytes.maskPng, fromPath.maskPng);
  });

  it('image errors keep their protocol codes across the worker boundary', async () => {
    const text = mode('text');
    const seg = (image: { path: string } | { bytes: Uint8Array }, maxPixels = MAX_PIXELS) => engine.segment(text, image, { maxPixels });
    // 1001: missing, a directory
    await expectCode(seg({ path: path.join(tmp, 'nope.jpg') }), ErrorCodes.ImageNotFound, /nope\.jpg.*no such file/);
    await expectCode(seg({ path: tmp }), ErrorCodes.ImageNotFound, /directory/);
    // 1002: garbage, truncated JPEG, empty
    await expectCode(seg({ bytes: Buffer.from('definitely not an image, just some text') }), ErrorCodes.ImageUndecodable, /could not be decoded/);
    const jpeg = fs.readFileSync(photos[0]);
    const truncated = path.join(tmp, 'truncated.jpg');
    fs.writeFileSync(truncated, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await expectCode(seg({ path: truncated }), ErrorCodes.ImageUndecodable, /truncated\.jpg/);
    await expectCode(seg({ bytes: new Uint8Array(0) }), ErrorCodes.ImageUndecodable);
    // 1003: a header claiming 100000 x 100000, checked before decoding; a real photo over a small limit
    const huge = path.join(tmp, 'huge.png');
    fs.writeFileSync(huge, pngClaiming(100_000, 100_000));
    assert.deepEqual(await sharp(huge, { limitInputPixels: false }).metadata().then((m) => [m.width, m.height]), [100_000, 100_000]);
    await expectCode(seg({ path: huge }), ErrorCodes.ImageTooLarge, /100000x100000.*10000\.0 megapixels/);
    await expectCode(seg({ bytes: pngClaiming(100_000, 100_000) }), ErrorCodes.ImageTooLarge);
    await expectCode(seg({ path: photos[0] }, 1000), ErrorCodes.ImageTooLarge);
    // and the engine still serves
    const ok = await seg({ path: photos[0] });
    assert.ok(ok.width > 0);
  });

  it('EXIF orientation: a rotated JPEG gives rotated width and height', async () => {
    const file = path.join(tmp, 'rotated.jpg');
    // stored 300 wide x 200 high, orientation 6 (rotate 90° clockwise to display): 200 x 300
    await sharp(photos[0]).resize(300, 200, { fit: 'fill' }).withMetadata({ orientation: 6 }).jpeg().toFile(file);
    const meta = await sharp(file).metadata();
    assert.deepEqual([meta.width, meta.height, meta.orientation], [300, 200, 6]);
    const r = await engine.segment(mode('text'), { path: file }, { maxPixels: MAX_PIXELS });
    assert.deepEqual([r.width, r.height], [200, 300]);
    const png = await decodeGreyPng(r.maskPng);
    assert.deepEqual([png.width, png.height], [200, 300]);
  });

  it('odd inputs decode: greyscale, 16-bit, alpha, CMYK, animated first frame', async () => {
    const grey = await sharp(photos[0]).greyscale().png().toBuffer();
    const cmyk = await sharp(photos[0]).toColourspace('cmyk').jpeg().toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
    const deep = await sharp(photos[0]).toColourspace('rgb16').png().toBuffer();
    const alpha = await sharp(photos[0]).ensureAlpha(0.5).png().toBuffer();
    assert.equal((await sharp(deep).metadata()).depth, 'ushort');
    const red = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c80000' } }).png().toBuffer();
    const blue = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#0000c8' } }).png().toBuffer();
    const gif = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
    assert.deepEqual(await sharp(gif, { pages: -1 }).metadata().then((m) => [m.pages, m.pageHeight]), [2, 30]);
    const results = [];
    for (const bytes of [grey, deep, alpha, cmyk, gif]) {
      const r = await engine.segment(mode('text'), { bytes }, { maxPixels: MAX_PIXELS });
      const m = await sharp(bytes).metadata();
      assert.deepEqual([r.width, r.height], [m.width, m.height]);
      results.push(r);
    }
    // Alpha is dropped before resampling: the colour under it is what the model sees.
    const opaque = await engine.segment(mode('text'), { bytes: await sharp(photos[0]).png().toBuffer() }, { maxPixels: MAX_PIXELS });
    assert.deepEqual(Buffer.from(results[2].maskPng), Buffer.from(opaque.maskPng));
  });

  it('two calls posted at once are served one after the other, each with its own answer', async () => {
    const small = await sharp(photos[0]).resize(64, 48, { fit: 'fill' }).png().toBuffer();
    const [a, b] = await Promise.all([
      engine.segment(mode('text'), { path: photos[0] }, { maxPixels: MAX_PIXELS }),
      engine.segment(mode('text'), { bytes: small }, { maxPixels: MAX_PIXELS }),
    ]);
    const meta = await sharp(photos[0]).metadata();
    assert.deepEqual([a.width, a.height], [meta.width, meta.height]);
    assert.deepEqual([b.width, b.height], [64, 48]);
  });

  it('semantic task: argmax, nearest resize back, class fractions; both layouts, RGB and BGR, hflip', async () => {
    const nchw = path.join(tmp, 'identity-nchw.onnx');
    const nhwc = path.join(tmp, 'identity-nhwc.onnx');
    identityModel(nchw, 'NCHW');
    identityModel(nhwc, 'NHWC');
    // 300 x 200: left 100 columns red, middle green, right blue
    const W = 300;
    const H = 200;
    const raw = Buffer.alloc(W * H * 3);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) raw[(y * W + x) * 3 + Math.floor(x / 100)] = 220;
    const img = await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
    for (const [file, layout] of [
      [nchw, 'NCHW'],
      [nhwc, 'NHWC'],
    ] as const) {
      for (const [order, tta] of [
        ['RGB', 'none'],
        ['BGR', 'none'],
        ['RGB', 'hflip'],
      ] as const) {
        // hflip: the flipped pass is flipped back before averaging, else the outer stripes would mix
        const m = { ...semanticMode(file, layout, order), tta };
        await engine.load(m.model);
        const w = await engine.warmup(m, 1);
        assert.ok(w.durationMs >= 0);
        const r = await engine.segment(m, { bytes: img }, { maxPixels: MAX_PIXELS });
        assert.deepEqual([r.width, r.height], [W, H]);
        const png = await decodeGreyPng(r.maskPng);
        assert.equal(png.channels, 1);
        const at = (x: number, y: number) => png.data[y * W + x];
        const want = order === 'RGB' ? [0, 1, 2] : [2, 1, 0];
        assert.deepEqual([at(20, 100), at(150, 100), at(280, 100)], want, `${layout} ${order} ${tta}`);
        assert.deepEqual(
          r.classes.map((c) => c.id),
          [0, 1, 2],
        );
        for (const c of r.classes) assert.ok(Math.abs(c.fraction - 1 / 3) < 0.03, `${c.label}: ${c.fraction}`);
        assert.ok(Math.abs(r.classes.reduce((s, c) => s + c.fraction, 0) - 1) < 1e-9);
        assert.deepEqual(r.classes[want[0]].color, m.colors[want[0]]);
        const values = new Set(png.data);
        assert.deepEqual([...values].sort(), [0, 1, 2], 'nearest resize keeps only class indices');
      }
      await engine.unload(`identity-${layout}`);
    }
  });

  it('model load errors are 1004 and name the file', async () => {
    const missing = path.join(tmp, 'missing.onnx');
    await expectCode(engine.load({ key: 'm', file: missing }), ErrorCodes.ModelLoadFailed, new RegExp(`${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*not found`));
    const corrupt = path.join(tmp, 'corrupt.onnx');
    fs.writeFileSync(corrupt, Buffer.from('this is not a protobuf model at all'.repeat(10)));
    await expectCode(engine.load({ key: 'c', file: corrupt }), ErrorCodes.ModelLoadFailed, /corrupt\.onnx/);
    await expectCode(engine.load({ key: 't', file: mode('text').model.file, sha256: '0'.repeat(64) }), ErrorCodes.ModelLoadFailed, /checksum mismatch/);
    await expectCode(engine.load({ key: 'd', file: tmp }), ErrorCodes.ModelLoadFailed, /not a file/);
    // a mode naming an input the model lacks
    await expectCode(engine.warmup({ ...mode('text'), inputName: 'nope' }, 1), ErrorCodes.ModelLoadFailed, /no input named 'nope'/);
  });

  it('accurate reproduces the reference ISNet pipeline (IoU at 0.5 >= 0.98 on 2 photos)', async (t) => {
    const accurate = mode('accurate');
    await engine.unload('ppocrv4-det');
    const load = await engine.load(accurate.model);
    assert.equal(load.provider, 'cpu');
    const warm = await engine.warmup(accurate, 1);
    assert.ok(warm.durationMs > 0);
    t.diagnostic(`ISNet load ${load.loadMs.toFixed(0)} ms, warm-up (1 iteration at 1024) ${warm.durationMs.toFixed(0)} ms`);
    const reference = await ReferenceIsnet.create();
    try {
      for (const photo of photos.slice(0, 2)) {
        const r = await engine.segment(accurate, { path: photo }, { maxPixels: MAX_PIXELS });
        const mask = await decodeGreyPng(r.maskPng);
        const ref = await reference.run(photo);
        assert.deepEqual([mask.width, mask.height, mask.channels], [ref.width, ref.height, 1]);
        const iou = maskIoU(mask.data, ref.alpha);
        const mad = meanAbsDiff(mask.data, ref.alpha);
        const ms = Object.entries(r.timings).map(([k, v]) => `${k} ${v.toFixed(0)}`);
        t.diagnostic(`${path.basename(photo)} ${r.width}x${r.height}: IoU ${iou.toFixed(4)}, mean |alpha diff| ${mad.toFixed(2)}; ${ms.join(', ')}`);
        assert.ok(iou >= 0.98, `${path.basename(photo)}: IoU ${iou}`);
        const fg = r.classes[1].fraction;
        assert.ok(fg > 0.01 && fg < 0.99, `foreground fraction ${fg}`);
      }
    } finally {
      await reference.release();
    }
  });

  it('sota (hflip averaged) agrees with accurate', async () => {
    const photo = photos[0];
    const a = await engine.segment(mode('accurate'), { path: photo }, { maxPixels: MAX_PIXELS });
    // The main thread keeps running while the worker computes (two 1024 passes here).
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const s = await engine.segment(mode('sota'), { path: photo }, { maxPixels: MAX_PIXELS });
    lag.disable();
    const maxLagMs = lag.max / 1e6;
    assert.ok(maxLagMs < Math.min(500, s.timings.inferenceMs / 4), `event loop blocked for ${maxLagMs.toFixed(0)} ms during a ${s.timings.inferenceMs.toFixed(0)} ms inference`);
    const ma = await decodeGreyPng(a.maskPng);
    const ms = await decodeGreyPng(s.maskPng);
    assert.deepEqual([ms.width, ms.height], [ma.width, ma.height]);
    const iou = maskIoU(ma.data, ms.data);
    assert.ok(iou > 0.9, `IoU sota vs accurate ${iou}`);
    // Not identical: the flipped pass really ran and was averaged in.
    assert.ok(meanAbsDiff(ma.data, ms.data) > 0, 'sota mask equals the accurate mask');
    await engine.unload(mode('accurate').model.key);
    assert.deepEqual(await engine.loadedModels(), []);
  });
});

describe('EngineProxy: explicit GPU provider, crashes, close', () => {
  it('cuda falls back to the CPU with a warning and still serves', async () => {
    const warnings: string[] = [];
    const e = new EngineProxy({ provider: 'cuda', workerPath: WORKER, log: (l, m) => l === 'warn' && warnings.push(m) });
    try {
      const info = await e.load(mode('text').model);
      assert.equal(info.provider, 'cpu');
      assert.equal(e.provider, 'cpu');
      assert.ok(warnings.some((m) => /cuda/.test(m) && /cpu/.test(m)), JSON.stringify(warnings));
      const r = await e.segment(mode('text'), { path: photos[0] }, { maxPixels: MAX_PIXELS });
      assert.ok(r.maskPng.length > 0);
    } finally {
      await e.close();
    }
  });

  it('a worker crash rejects pending calls with a clear error; the next call starts a new worker', async () => {
    const crashes: Error[] = [];
    const e = new EngineProxy({ provider: 'cpu', workerPath: WORKER, testHooks: true, onCrash: (err) => crashes.push(err) });
    try {
      await e.load(mode('text').model);
      // The engine takes calls in order: the marker aborts it (host/inputGuard.ts) while the two after it wait.
      const crash = e.segment(mode('text'), { bytes: Buffer.from(TEST_ABORT_MARKER) }, { maxPixels: MAX_PIXELS });
      const pending = e.segment(mode('text'), { path: photos[0] }, { maxPixels: MAX_PIXELS });
      const pending2 = e.warmup(mode('text'), 5);
      await assert.rejects(crash, EngineCrashedError);
      await assert.rejects(pending, (err: Error) => err instanceof EngineCrashedError && /crashed/.test(err.message));
      await assert.rejects(pending2, EngineCrashedError);
      assert.equal(crashes.length, 1);
      // a fresh worker: the model loads again on demand
      const r = await e.segment(mode('text'), { path: photos[0] }, { maxPixels: MAX_PIXELS });
      assert.ok(r.width > 0);
      assert.deepEqual(await e.loadedModels(), ['ppocrv4-det']);
    } finally {
      await e.close();
    }
  });

  it('a missing worker script rejects instead of hanging', async () => {
    const e = new EngineProxy({ provider: 'cpu', workerPath: path.join(os.tmpdir(), 'no-such-engineWorker.js') });
    await assert.rejects(e.load(mode('text').model), EngineCrashedError);
    await e.close();
  });

  it('close lets posted work finish, then calls reject with 1006', async () => {
    const e = new EngineProxy({ provider: 'cpu', workerPath: WORKER });
    await e.load(mode('text').model);
    // work posted before close() still completes; calls made once it started are refused
    const before = e.segment(mode('text'), { path: photos[0] }, { maxPixels: MAX_PIXELS });
    const closing = e.close();
    await expectCode(e.warmup(mode('text'), 1), ErrorCodes.ShuttingDown);
    assert.ok((await before).width > 0);
    await closing;
    await expectCode(e.segment(mode('text'), { path: photos[0] }, { maxPixels: MAX_PIXELS }), ErrorCodes.ShuttingDown);
    await e.close();
  });
});
