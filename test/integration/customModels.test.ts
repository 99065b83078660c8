// Bring your own ONNX model (issue #8) through the real daemon process, with models the test
// builds itself (test/helpers/buildModels.ts) and generated images of solid quadrants:
// seglens/defineModes, --models FILE, load-time checks (1004 naming the field), warm-up
// sharing between clients, seglens/inspectModel.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import {
  COLOR_CLASS_LABELS,
  QUADRANT_COLORS,
  colorClassesDef,
  colorClassesModel,
  decodeMask,
  flatOutputModel,
  quadrantOf,
  quadrantsPng,
  redMatteModel,
  writeModel,
} from '../helpers/buildModels';
import { ListeningDaemon, counters, startListening, tempDir } from '../helpers/daemonProcess';
import { daemonJs, modelsDir, samplePhotos } from '../helpers/repo';
import { spawnSync } from 'node:child_process';

const H = 48;
const W = 64;

let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;
let other: DaemonClient;
let image: string;
const files: Record<string, string> = {};
const changes: P.ModesChangedParams[] = [];
const states: P.ModeStatus[] = [];

const code = (c: number, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ResponseError, `expected a JSON-RPC error, got ${String(e)}`);
  assert.equal(e.code, c, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

const define = (modes: unknown[], extra: Partial<P.DefineModesParams> = {}) =>
  client.request(P.DefineModes, { modes: modes as P.UserModeDefinition[], ...extra });

const colorDef = (id: string, model: string, over: Partial<P.UserModeDefinition> = {}): P.UserModeDefinition =>
  colorClassesDef(id, model, [H, W], { colors: ['#000000', '#ff0000', '#00ff00', '#0000ff'], warmupIterations: 2, ...over });

before(async () => {
  dir = tempDir('seglens-custom-');
  files.nchwLogits = writeModel(dir, 'nchw-logits.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [H, W] }));
  files.nchwProbs = writeModel(dir, 'nchw-probs.onnx', colorClassesModel({ layout: 'NCHW', kind: 'probabilities', size: [H, W] }));
  files.nhwcLogits = writeModel(dir, 'nhwc-logits.onnx', colorClassesModel({ layout: 'NHWC', kind: 'logits', size: [H, W] }));
  files.nhwcProbsDyn = writeModel(dir, 'nhwc-probs-dynamic.onnx', colorClassesModel({ layout: 'NHWC', kind: 'probabilities', size: 'dynamic' }));
  files.sigmoid = writeModel(dir, 'matte-sigmoid.onnx', redMatteModel('sigmoid', [H, W]));
  files.logit = writeModel(dir, 'matte-logit.onnx', redMatteModel('logit', [H, W]));
  files.flat = writeModel(dir, 'flat.onnx', flatOutputModel([H, W]));
  files.shared = writeModel(dir, 'shared.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [H, W] }));
  image = path.join(dir, 'quadrants.png');
  fs.writeFileSync(image, await quadrantsPng(W, H));
  fs.writeFileSync(path.join(dir, 'garbage.onnx'), Buffer.from('definitely not protobuf \u0000\u0007\u00ff'.repeat(50)));

  // --models FILE: relative model paths resolve against the file's folder.
  const modelsFile = path.join(dir, 'models.json');
  fs.writeFileSync(
    modelsFile,
    JSON.stringify({
      modes: [
        { ...colorDef('from-file', 'nchw-logits.onnx'), label: 'From the models file' },
        { id: 'broken-in-file', model: 'nchw-logits.onnx', inputLayout: 'sideways' },
      ],
    }),
  );
  daemon = await startListening({ models: modelsFile });
  client = await daemon.connect('custom-1');
  other = await daemon.connect('custom-2');
  other.connection.onNotification(P.ModesChanged, (p) => changes.push(p));
  other.onModelState((s) => states.push(s));
});

after(async () => {
  client?.dispose();
  other?.dispose();
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Segments the quadrant image and checks every pixel of the class map. */
async function expectQuadrantClasses(mode: string): Promise<P.SegmentResult> {
  const r = await client.segment({ mode, image: { path: image } });
  assert.equal(r.width, W);
  assert.equal(r.height, H);
  const mask = await decodeMask(r.maskPng);
  assert.deepEqual([mask.width, mask.height], [W, H]);
  let wrong = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (mask.data[y * W + x] !== quadrantOf(x, y, W, H)) wrong++;
  assert.equal(wrong, 0, `${mode}: ${wrong} pixels in the wrong class`);
  assert.deepEqual(
    r.classes.map((c) => [c.id, c.label, c.color, c.fraction]),
    QUADRANT_COLORS.map((color, i) => [i, COLOR_CLASS_LABELS[i], color, 0.25]),
  );
  return r;
}

describe('--models FILE', () => {
  test('the file modes are offered like built-in ones, marked custom; a broken one is skipped', async () => {
    const init = client.initializeResult!;
    const m = init.modes.find((x) => x.id === 'from-file');
    assert.ok(m, 'from-file is listed');
    assert.deepEqual(m, {
      id: 'from-file',
      label: 'From the models file',
      description: m.description,
      task: 'semantic',
      inputSize: [H, W],
      labels: COLOR_CLASS_LABELS,
      custom: true,
    });
    assert.ok(init.modes.find((x) => x.id === 'fast' && !x.custom));
    assert.equal(init.modes.find((x) => x.id === 'broken-in-file'), undefined);
    assert.match(daemon.stderr(), /broken-in-file' skipped: inputLayout: "sideways" is not one of 'NCHW', 'NHWC'/);
    const st = await client.status();
    assert.equal(st.modes.find((s) => s.mode === 'from-file')?.state, 'cold');
  });

  test('a file mode segments', async () => {
    await expectQuadrantClasses('from-file');
  });

  test('a --models file that cannot be read or parsed stops the start with exit code 2', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"modes": [');
    for (const [file, msg] of [
      [path.join(dir, 'none.json'), /--models .*none\.json: cannot read the file \(ENOENT\)/],
      [bad, /--models .*bad\.json: not valid JSON/],
    ] as const) {
      const r = spawnSync(process.execPath, [daemonJs, '--stdio', '--models', file, '--cache-dir', path.join(dir, 'c')], { encoding: 'utf8', timeout: 15_000, input: '' });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, msg);
    }
  });
});

describe('seglens/defineModes', () => {
  test('adds modes, tells every client, lists them in initialize and status', async () => {
    const r = await define([
      colorDef('nchw-logits', files.nchwLogits),
      colorDef('nchw-probs', files.nchwProbs, { outputKind: 'probabilities' }),
      colorDef('nhwc-logits', files.nhwcLogits, { inputLayout: 'NHWC' }),
      colorDef('nhwc-probs-dyn', files.nhwcProbsDyn, { inputLayout: 'NHWC', outputKind: 'probabilities', inputSize: { multipleOf: 16, target: [H, W] } }),
      { id: 'matte-sigmoid', model: files.sigmoid, inputName: 'image', outputKind: 'sigmoid', normalization: 'zero-one', labels: ['background', 'red'] },
      { id: 'matte-logit', model: files.logit, outputKind: 'logit', normalization: 'zero-one' },
    ]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.added, ['nchw-logits', 'nchw-probs', 'nhwc-logits', 'nhwc-probs-dyn', 'matte-sigmoid', 'matte-logit']);
    assert.deepEqual(r.modes.map((m) => [m.id, m.task, m.custom]), r.added.map((id) => [id, id.startsWith('matte') ? 'binary' : 'semantic', true]));
    await waitFor(() => changes.some((c) => c.added.includes('matte-logit')), 'modesChanged reaches the other client');
    const change = changes.find((c) => c.added.includes('nchw-logits'))!;
    assert.ok(change.modes.some((m) => m.id === 'fast') && change.modes.some((m) => m.id === 'nhwc-logits'), 'modesChanged lists every mode');
    await waitFor(() => states.some((s) => s.mode === 'matte-logit' && s.state === 'cold'), 'modelState for the new mode');
    const third = await daemon.connect('custom-3');
    try {
      assert.ok(third.initializeResult!.modes.some((m) => m.id === 'nhwc-probs-dyn' && m.custom === true));
    } finally {
      third.dispose();
    }
    const st = await client.status();
    assert.deepEqual(st.modes.find((s) => s.mode === 'nchw-probs'), { mode: 'nchw-probs', state: 'cold', loaded: false, warm: false, warmups: 0 });
  });

  test('semantic results: NCHW and NHWC, logits and probabilities, fixed and dynamic size, pixel for pixel', async () => {
    for (const mode of ['nchw-logits', 'nchw-probs', 'nhwc-logits', 'nhwc-probs-dyn']) {
      const r = await expectQuadrantClasses(mode);
      assert.equal(r.wasWarm, false, 'the first request warmed the mode');
    }
    const again = await expectQuadrantClasses('nhwc-logits');
    assert.equal(again.wasWarm, true);
  });

  test('a larger image: the class map is resized back with nearest neighbour (class ids only)', async () => {
    const big = path.join(dir, 'quadrants-2x.png');
    fs.writeFileSync(big, await quadrantsPng(W * 2, H * 2));
    const r = await client.segment({ mode: 'nchw-logits', image: { path: big } });
    const mask = await decodeMask(r.maskPng);
    assert.deepEqual([mask.width, mask.height], [W * 2, H * 2]);
    assert.ok([...mask.data].every((v) => v <= 3), 'only class ids');
    let wrong = 0;
    for (let y = 0; y < H * 2; y++) for (let x = 0; x < W * 2; x++) if (mask.data[y * W * 2 + x] !== quadrantOf(x, y, W * 2, H * 2)) wrong++;
    assert.ok(wrong <= 2 * (W * 2 + H * 2), `only quadrant borders may differ (${wrong} pixels)`);
  });

  test('binary results: a sigmoid output and a raw logit make the same 0/255 matte', async () => {
    for (const mode of ['matte-sigmoid', 'matte-logit']) {
      const r = await client.segment({ mode, image: { path: image } });
      const mask = await decodeMask(r.maskPng);
      let wrong = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (mask.data[y * W + x] !== (quadrantOf(x, y, W, H) === 1 ? 255 : 0)) wrong++;
      assert.equal(wrong, 0, `${mode}: ${wrong} pixels wrong`);
      assert.equal(r.classes.length, 2);
      assert.ok(Math.abs(r.classes[1].fraction - 0.25) < 1e-6, `${mode}: foreground fraction ${r.classes[1].fraction}`);
    }
    const s = await client.segment({ mode: 'matte-sigmoid', image: { path: image } });
    assert.equal(s.classes[1].label, 'red');
  });

  test('definition errors name the field and the mode is not added', async () => {
    const r = await define([
      { id: 'no-model' },
      colorDef('bad-layout', files.nchwLogits, { inputLayout: 'NWHC' as 'NCHW' }),
      colorDef('bad-kind', files.nchwLogits, { outputKind: 'softmax' as 'logits' }),
      colorDef('bad-colors', files.nchwLogits, { colors: [[0, 0, 0]] }),
      colorDef('fast', files.nchwLogits),
      colorDef('bad-field', files.nchwLogits, { inputname: 'image' } as Partial<P.UserModeDefinition>),
      colorDef('relative', 'nchw-logits.onnx'),
      colorDef('good-one', files.nchwLogits),
    ]);
    assert.deepEqual(
      r.errors.map((e) => [e.id, e.field]),
      [
        ['no-model', 'model'],
        ['bad-layout', 'inputLayout'],
        ['bad-kind', 'outputKind'],
        ['bad-colors', 'colors'],
        ['fast', 'id'],
        ['bad-field', 'inputname'],
        ['relative', 'model'],
      ],
    );
    for (const e of r.errors) assert.match(e.message, new RegExp(`^${e.field}: `));
    assert.deepEqual(r.added, ['good-one']);
    const ids = (await client.status()).modes.map((m) => m.mode);
    for (const id of ['no-model', 'bad-layout', 'bad-kind', 'bad-colors', 'bad-field', 'relative']) assert.ok(!ids.includes(id), `${id} not added`);
    assert.ok(client.initializeResult!.modes.find((m) => m.id === 'fast' && !m.custom), 'fast is still the built-in one');
    await assert.rejects(client.connection.sendRequest('seglens/defineModes', { modes: 'x' }), code(-32602, /'modes' must be an array/));
    const rel = await define([colorDef('relative', 'nchw-logits.onnx')], { baseDir: dir });
    assert.deepEqual(rel.added, ['relative'], 'relative paths resolve against baseDir');
  });

  test('load-time mismatches fail with 1004 naming the field; the other modes keep working', async () => {
    const r = await define([
      colorDef('wrong-rank', files.flat, { outputName: 'flat' }),
      colorDef('five-labels', files.nchwLogits, { labels: ['a', 'b', 'c', 'd', 'e'], colors: undefined }),
      colorDef('missing-file', path.join(dir, 'nowhere.onnx'), { outputName: 'logits' }),
      colorDef('wrong-layout', files.nchwLogits, { inputLayout: 'NHWC' }),
      colorDef('wrong-input', files.nchwLogits, { inputName: 'pixel_values' }),
      colorDef('not-onnx', path.join(dir, 'garbage.onnx'), { outputName: 'logits' }),
      colorDef('voc-on-4', files.nchwLogits, { labels: 'voc', colors: undefined }),
    ]);
    assert.deepEqual(r.errors, [], 'nothing wrong with the definitions themselves');
    const cases: [string, RegExp][] = [
      ['wrong-rank', /outputName: output 'flat' has rank 2/],
      ['five-labels', /labels: 5 labels but output 'logits' \[1, 4, 48, 64\] has 4 classes/],
      ['missing-file', /model: file not found: .*nowhere\.onnx/],
      ['wrong-layout', /inputLayout: with NHWC the channel axis .* the model looks NCHW/],
      ['wrong-input', /inputName: the model has no input 'pixel_values'/],
      ['not-onnx', /model: .*garbage\.onnx is not a valid ONNX model/],
      ['voc-on-4', /labels: 21 labels but .* has 4 classes/],
    ];
    for (const [mode, msg] of cases) {
      await assert.rejects(client.ensureReady(mode), code(1004, msg), mode);
      const st = (await client.status()).modes.find((s) => s.mode === mode)!;
      assert.equal(st.state, 'failed', mode);
      assert.match(st.error ?? '', msg);
      await assert.rejects(client.segment({ mode, image: { path: image } }), code(1004), `${mode}: segment fails the same way`);
    }
    // Other modes are untouched.
    await expectQuadrantClasses('nchw-logits');
    const fixed = await define([colorDef('five-labels', files.nchwLogits)]);
    assert.deepEqual(fixed.replaced, ['five-labels'], 'fixing the definition replaces the failed mode');
    assert.equal((await client.status()).modes.find((s) => s.mode === 'five-labels')?.state, 'cold');
    await expectQuadrantClasses('five-labels');
  });

  test('a user mode warms up once, shared by two clients; an identical redefinition keeps it warm', async () => {
    await define([colorDef('shared', files.shared, { warmupIterations: 2 })]);
    const [a, b] = await Promise.all([client.ensureReady('shared'), other.ensureReady('shared')]);
    assert.deepEqual([a.load, b.load].sort(), ['joined', 'ran']);
    assert.deepEqual([a.warmup, b.warmup].sort(), ['joined', 'ran']);
    assert.deepEqual(await counters(client, 'shared'), { loads: 1, warmups: 1, skipped: 0 });
    const later = await other.ensureReady('shared');
    assert.deepEqual([later.load, later.warmup], ['cached', 'skipped']);
    // The second window sends the same settings: nothing changes.
    const same = await other.request(P.DefineModes, { modes: [colorDef('shared', files.shared, { warmupIterations: 2 })] });
    assert.deepEqual([same.unchanged, same.replaced, same.added], [['shared'], [], []]);
    const st = (await client.status()).modes.find((s) => s.mode === 'shared')!;
    assert.deepEqual([st.state, st.warm, st.warmups], ['warm', true, 1]);
    const seg = await client.segment({ mode: 'shared', image: { path: image } });
    assert.equal(seg.wasWarm, true);
    assert.deepEqual(await counters(client, 'shared'), { loads: 1, warmups: 1, skipped: 1 });
  });

  test('redefining a warm mode unloads it first: it comes back cold and loads again', async () => {
    changes.length = 0;
    const r = await define([colorDef('shared', files.shared, { warmupIterations: 2, label: 'Shared, renamed' })]);
    assert.deepEqual(r.replaced, ['shared']);
    const st = (await client.status()).modes.find((s) => s.mode === 'shared')!;
    assert.deepEqual([st.state, st.loaded, st.warm, st.warmups], ['cold', false, false, 0]);
    await waitFor(() => changes.some((c) => c.replaced.includes('shared')), 'modesChanged says replaced');
    const again = await client.ensureReady('shared');
    assert.deepEqual([again.load, again.warmup], ['ran', 'ran']);
    assert.deepEqual(await counters(client, 'shared'), { loads: 2, warmups: 2, skipped: 1 });
  });

  test('a re-exported file at the same path, sent again: the mode is replaced and loads the new file', async () => {
    const file = writeModel(dir, 'reexported.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [H, W] }));
    await define([colorDef('reexported', file)]);
    await client.ensureReady('reexported');
    await new Promise((r) => setTimeout(r, 20));
    // Same path and output name, a different graph (a Softmax at the end).
    writeModel(dir, 'reexported.onnx', colorClassesModel({ layout: 'NCHW', kind: 'probabilities', size: [H, W], outputName: 'logits' }));
    const r = await define([colorDef('reexported', file)]);
    assert.deepEqual(r.replaced, ['reexported']);
    await expectQuadrantClasses('reexported');
    assert.equal((await counters(client, 'reexported')).loads, 2, 'a new session for the new file');
  });

  test("replace: true makes the list the whole set of this client's user modes; another client's and --models ones stay", async () => {
    changes.length = 0;
    const r = await define([colorDef('nchw-logits', files.nchwLogits)], { replace: true });
    assert.deepEqual(r.unchanged, ['nchw-logits']);
    assert.ok(r.removed.includes('matte-logit') && r.removed.includes('nhwc-logits'), `removed ${r.removed.join(', ')}`);
    assert.ok(!r.removed.includes('from-file'), 'modes from --models are never removed');
    assert.ok(!r.removed.includes('shared'), "the other client also defined 'shared' and is still connected");
    const custom = async () =>
      (await client.status()).modes.map((m) => m.mode).filter((id) => !['fast', 'balanced', 'accurate', 'sota', 'text'].includes(id)).sort();
    assert.deepEqual(await custom(), ['from-file', 'nchw-logits', 'shared']);
    await waitFor(() => changes.some((c) => c.removed.includes('matte-logit')), 'modesChanged says removed');

    // The other client's own replace drops its claim: 'shared' goes, this client's mode stays.
    const o = await other.request(P.DefineModes, { modes: [], replace: true });
    assert.deepEqual(o.removed, ['shared']);
    assert.deepEqual(await custom(), ['from-file', 'nchw-logits']);
    await assert.rejects(client.ensureReady('shared'), code(-32602, /unknown mode 'shared'/));
    await expectQuadrantClasses('nchw-logits');
  });

  test("a client that left no longer keeps its modes from another client's replace", async () => {
    const third = await daemon.connect('custom-3');
    const t = await third.request(P.DefineModes, { modes: [colorDef('third', files.nchwProbs, { outputKind: 'probabilities' })], replace: true });
    assert.deepEqual([t.added, t.removed], [['third'], []], "a replace never removes another connected client's modes");
    await third.ensureReady('third');
    assert.deepEqual((await define([colorDef('nchw-logits', files.nchwLogits)], { replace: true })).removed, []);
    // Left, but nobody replaced its list yet: still there, still warm (a window reload finds it).
    third.dispose();
    const before = (await client.status()).clients;
    for (let i = 0; i < 100 && (await client.status()).clients === before; i++) await new Promise((res) => setTimeout(res, 20));
    assert.equal((await client.status()).modes.find((m) => m.mode === 'third')?.state, 'warm');
    assert.deepEqual((await define([colorDef('nchw-logits', files.nchwLogits)], { replace: true })).removed, ['third']);
  });
});

describe('seglens/inspectModel', () => {
  test('a built model: inputs, outputs, opset, producer and a suggested definition that works', async () => {
    const r = await client.request(P.InspectModel, { path: files.nhwcProbsDyn });
    assert.deepEqual(r.inputs, [{ name: 'image', type: 'float32', shape: [1, 'height', 'width', 3] }]);
    assert.deepEqual(r.outputs, [{ name: 'probs', type: 'float32', shape: [1, 'height', 'width', 4] }]);
    assert.equal(r.opset, 17);
    assert.equal(r.producer, 'seglens-tests 1');
    assert.equal(r.fileBytes, fs.statSync(files.nhwcProbsDyn).size);
    assert.equal(r.suggestion.inputLayout, 'NHWC');
    assert.equal(r.suggestion.outputKind, 'probabilities');
    assert.equal((r.suggestion.labels as string[]).length, 4);
    assert.ok(r.notes.length > 0);
    // The suggestion, with the preprocessing this model really uses, runs as is.
    const d = await define([{ ...r.suggestion, id: 'suggested', normalization: 'zero-one', inputSize: [H, W] }]);
    assert.deepEqual(d.errors, []);
    const seg = await client.segment({ mode: 'suggested', image: { path: image } });
    assert.deepEqual(
      seg.classes.map((c) => [c.id, c.fraction]),
      [0, 1, 2, 3].map((i) => [i, 0.25]),
    );
  });

  test('a garbage file, a missing file and a folder are invalid params', async () => {
    await assert.rejects(client.request(P.InspectModel, { path: path.join(dir, 'garbage.onnx') }), code(-32602, /garbage\.onnx is not a readable ONNX model/));
    await assert.rejects(client.request(P.InspectModel, { path: path.join(dir, 'nowhere.onnx') }), code(-32602, /does not exist/));
    await assert.rejects(client.request(P.InspectModel, { path: dir }), code(-32602, /folder/));
    await assert.rejects(client.connection.sendRequest('seglens/inspectModel', {}), code(-32602, /'path'/));
    assert.ok((await client.status()).modes.length > 0, 'the daemon still serves');
  });
});

describe('a real model as a user mode', () => {
  test('PP-OCRv4 defined by hand gives the same mask as the built-in text mode', async () => {
    await client.ensureReady('text'); // prepares the model files
    const photo = samplePhotos()[0];
    const r = await define([
      {
        id: 'my-text',
        model: path.join(modelsDir, 'ppocrv4-det.onnx'),
        inputName: 'x',
        inputSize: { multipleOf: 32, target: 640 },
        colorOrder: 'BGR',
        normalization: 'imagenet',
        outputName: 'sigmoid_0.tmp_0',
        outputKind: 'sigmoid',
        labels: ['background', 'text'],
      },
    ]);
    assert.deepEqual(r.errors, []);
    const [mine, builtin] = [await client.segment({ mode: 'my-text', image: { path: photo } }), await client.segment({ mode: 'text', image: { path: photo } })];
    assert.equal(mine.maskPng, builtin.maskPng);
    assert.equal(mine.classes[1].fraction, builtin.classes[1].fraction);
  });
});

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
