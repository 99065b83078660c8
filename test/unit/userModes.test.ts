// User mode definitions (daemon/models/userModes.ts), label presets (daemon/api/presets.ts) and the ONNX
// declarations reader (daemon/models/onnxInfo.ts), without a daemon or ONNX Runtime.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { OnnxFormatError, OnnxSummary, readOnnxSummary } from '../../daemon/models/onnxInfo';
import { PRESETS, distinctPalette, presetForClassCount, vocColormap } from '../../daemon/api/presets';
import { checkAgainstModel, prepareDefinitions, suggestDefinition, UserModeDef, validateDefinition } from '../../daemon/models/userModes';
import { colorClassesModel, flatOutputModel, redMatteModel, writeModel } from '../helpers/buildModels';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-usermodes-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const BUILTIN = new Set(['fast', 'balanced', 'accurate', 'sota', 'text']);

/** A complete, valid definition; tests change one field at a time. */
const full = (over: Record<string, unknown> = {}) => ({
  id: 'colors',
  label: 'Colours',
  description: 'test model',
  model: '/models/colors.onnx',
  inputName: 'image',
  inputLayout: 'NCHW',
  inputSize: [48, 64],
  colorOrder: 'RGB',
  normalization: 'zero-one',
  outputName: 'logits',
  outputKind: 'logits',
  labels: ['background', 'red', 'green', 'blue'],
  warmupIterations: 1,
  ...over,
});

function fields(raw: unknown, ctx: Parameters<typeof validateDefinition>[1] = { builtinIds: BUILTIN }): string[] {
  const r = validateDefinition(raw, ctx);
  assert.equal(r.def, undefined, 'a definition with errors must not give a mode');
  for (const e of r.errors) assert.ok(e.message.startsWith(`${e.field}:`), `the message names the field: ${e.message}`);
  return r.errors.map((e) => e.field);
}

describe('presets', () => {
  test('VOC: 21 classes, the bit-interleaved colormap', () => {
    const voc = PRESETS.voc;
    assert.equal(voc.labels.length, 21);
    assert.equal(voc.colors.length, 21);
    assert.equal(voc.labels[0], 'background');
    assert.equal(voc.labels[15], 'person');
    assert.deepEqual(voc.colors.slice(0, 9), [
      [0, 0, 0],
      [128, 0, 0],
      [0, 128, 0],
      [128, 128, 0],
      [0, 0, 128],
      [128, 0, 128],
      [0, 128, 128],
      [128, 128, 128],
      [64, 0, 0],
    ]);
    assert.deepEqual(voc.colors[15], [192, 128, 128]);
    assert.deepEqual(voc.colors[20], [0, 64, 128]);
    assert.deepEqual(vocColormap(256)[255], [224, 224, 192]);
  });

  test('Cityscapes: 19 training classes with their colours', () => {
    const c = PRESETS.cityscapes;
    assert.equal(c.labels.length, 19);
    assert.equal(c.colors.length, 19);
    assert.deepEqual([c.labels[0], c.colors[0]], ['road', [128, 64, 128]]);
    assert.deepEqual([c.labels[10], c.colors[10]], ['sky', [70, 130, 180]]);
    assert.deepEqual([c.labels[18], c.colors[18]], ['bicycle', [119, 11, 32]]);
  });

  test('ADE20K: 150 classes, one colour each', () => {
    const a = PRESETS.ade20k;
    assert.equal(a.labels.length, 150);
    assert.equal(a.colors.length, 150);
    assert.equal(new Set(a.labels).size, 150);
    assert.deepEqual([a.labels[0], a.colors[0]], ['wall', [120, 120, 120]]);
    assert.deepEqual([a.labels[12], a.colors[12]], ['person', [150, 5, 61]]);
    assert.deepEqual([a.labels[149], a.colors[149]], ['flag', [92, 0, 255]]);
    for (const c of a.colors) assert.ok(c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255));
  });

  test('a preset by class count; a distinct palette for any other count', () => {
    assert.equal(presetForClassCount(21)?.id, 'voc');
    assert.equal(presetForClassCount(19)?.id, 'cityscapes');
    assert.equal(presetForClassCount(150)?.id, 'ade20k');
    assert.equal(presetForClassCount(7), undefined);
    const p = distinctPalette(64);
    assert.equal(p.length, 64);
    assert.deepEqual(p[0], [0, 0, 0]);
    assert.equal(new Set(p.map((c) => c.join(','))).size, 64, 'all distinct');
    assert.notDeepEqual(distinctPalette(3, false)[0], [0, 0, 0]);
  });
});

describe('validateDefinition', () => {
  test('a complete definition becomes a ModeDef', () => {
    const { def, errors } = validateDefinition(full(), { builtinIds: BUILTIN });
    assert.deepEqual(errors, []);
    assert.ok(def);
    assert.equal(def.id, 'colors');
    assert.equal(def.custom, true);
    assert.equal(def.task, 'semantic');
    assert.deepEqual(def.inputSize, [48, 64]);
    assert.equal(def.layout, 'NCHW');
    assert.equal(def.output, 'logits');
    assert.equal(def.scale, 1 / 255);
    assert.deepEqual(def.mean, [0, 0, 0]);
    assert.deepEqual(def.std, [1, 1, 1]);
    assert.equal(def.colors.length, 4);
    assert.equal(def.warmupIterations, 1);
    assert.equal(def.warmupShape, undefined, 'the provider default unless the definition says');
    assert.equal(validateDefinition(full({ warmupShape: 'full' }), { builtinIds: BUILTIN }).def?.warmupShape, 'full');
    assert.equal(def.model.file, '/models/colors.onnx');
    assert.equal(def.model.key, 'user:/models/colors.onnx');
  });

  test('defaults: imagenet normalisation, RGB, NCHW, 3 warm-up runs, generated colours', () => {
    const { def } = validateDefinition(full({ normalization: undefined, colorOrder: undefined, inputLayout: undefined, warmupIterations: undefined, label: undefined }));
    assert.ok(def);
    assert.equal(def.label, 'colors');
    assert.deepEqual(def.mean, [0.485, 0.456, 0.406]);
    assert.deepEqual(def.std, [0.229, 0.224, 0.225]);
    assert.equal(def.colorOrder, 'RGB');
    assert.equal(def.layout, 'NCHW');
    assert.equal(def.warmupIterations, 3);
    assert.deepEqual(def.colors, distinctPalette(4));
    assert.equal(def.resample, 'smooth', "user modes keep libvips' smooth resampling by default");
    assert.equal(validateDefinition(full({ resample: 'reference' })).def?.resample, 'reference');
  });

  test('scale, mean and std override the normalisation preset; one number means all channels', () => {
    const { def } = validateDefinition(full({ normalization: 'imagenet', scale: 1, mean: [123.675, 116.28, 103.53], std: 58 }));
    assert.ok(def);
    assert.equal(def.scale, 1);
    assert.deepEqual(def.mean, [123.675, 116.28, 103.53]);
    assert.deepEqual(def.std, [58, 58, 58]);
  });

  test('a dynamic input size is the target rounded to the multiple', () => {
    const { def } = validateDefinition(full({ inputSize: { multipleOf: 32, target: [500, 700] } }));
    assert.deepEqual(def?.inputSize, [512, 704]);
    assert.equal(def?.multipleOf, 32);
    assert.deepEqual(validateDefinition(full({ inputSize: { multipleOf: 32, target: 10 } })).def?.inputSize, [32, 32]);
    assert.deepEqual(validateDefinition(full({ inputSize: 320 })).def?.inputSize, [320, 320]);
  });

  test('label presets and colours', () => {
    const ade = validateDefinition(full({ labels: 'ade20k' })).def;
    assert.equal(ade?.labels.length, 150);
    assert.deepEqual(ade?.colors[0], [120, 120, 120]);
    const custom = validateDefinition(full({ colors: ['#000000', '#f00', [0, 255, 0], '#0000FF'] })).def;
    assert.deepEqual(custom?.colors, [
      [0, 0, 0],
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ]);
    const cs = validateDefinition(full({ labels: 'Cityscapes', outputKind: 'probabilities' })).def;
    assert.equal(cs?.labels.length, 19);
    assert.equal(cs?.output, 'probabilities');
  });

  test('binary: sigmoid and logit outputs make a matte with background/foreground', () => {
    for (const kind of ['sigmoid', 'logit']) {
      const { def, errors } = validateDefinition(full({ outputKind: kind, labels: undefined, outputName: 'matte' }));
      assert.deepEqual(errors, []);
      assert.equal(def?.task, 'binary');
      assert.equal(def?.output, kind);
      assert.deepEqual(def?.labels, ['background', 'foreground']);
      assert.equal(def?.colors.length, 2);
    }
    assert.equal(validateDefinition(full({ task: 'binary', outputKind: 'logits', labels: ['bg', 'cat'] })).def?.task, 'binary');
  });

  test('missing required fields are named', () => {
    assert.deepEqual(fields({ model: '/m.onnx', inputName: 'x', outputName: 'y', inputSize: 8, labels: ['a'] }), ['id']);
    assert.deepEqual(fields({ id: 'a', inputName: 'x', outputName: 'y', inputSize: 8, labels: ['a'] }), ['model']);
    // Without a readable model file, names, size and classes must be given.
    assert.deepEqual(fields({ id: 'a', model: '/nowhere/m.onnx' }).sort(), ['inputName', 'inputSize', 'labels', 'outputName']);
  });

  test('bad values are named, with what is allowed', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ inputLayout: 'NWHC' }, 'inputLayout'],
      [{ colorOrder: 'GBR' }, 'colorOrder'],
      [{ outputKind: 'softmax' }, 'outputKind'],
      [{ task: 'panoptic' }, 'task'],
      [{ normalization: 'caffe' }, 'normalization'],
      [{ tta: 'vflip' }, 'tta'],
      [{ resample: 'bicubic' }, 'resample'],
      [{ warmupShape: 'medium' }, 'warmupShape'],
      [{ inputSize: [0, 64] }, 'inputSize'],
      [{ inputSize: [48, 64, 3] }, 'inputSize'],
      [{ inputSize: { multipleOf: 0, target: 64 } }, 'inputSize.multipleOf'],
      [{ inputSize: { multipleOf: 32 } }, 'inputSize.target'],
      [{ scale: 0 }, 'scale'],
      [{ mean: [0, 0] }, 'mean'],
      [{ std: [1, 0, 1] }, 'std'],
      [{ labels: [] }, 'labels'],
      [{ labels: 'coco' }, 'labels'],
      [{ colors: [[0, 0, 0]] }, 'colors'],
      [{ colors: ['red', '#fff', '#000', '#111'] }, 'colors'],
      [{ warmupIterations: 100 }, 'warmupIterations'],
      [{ sha256: 'abc' }, 'sha256'],
      [{ id: 'has space' }, 'id'],
      [{ id: 'fast' }, 'id'],
      [{ model: 'relative/colors.onnx' }, 'model'],
      [{ outputname: 'logits' }, 'outputname'],
      [{ outputKind: 'sigmoid', task: 'semantic' }, 'outputKind'],
      [{ outputKind: 'sigmoid', labels: ['a', 'b', 'c'] }, 'labels'],
    ];
    for (const [over, field] of cases) assert.deepEqual(fields(full(over)), [field], JSON.stringify(over));
  });

  test('messages say what to do', () => {
    const typo = validateDefinition(full({ outputname: 'x' })).errors[0];
    assert.match(typo.message, /did you mean 'outputName'/);
    assert.match(validateDefinition(full({ id: 'fast' }), { builtinIds: BUILTIN }).errors[0].message, /built-in mode and cannot be redefined/);
    assert.match(validateDefinition(full({ colors: [[0, 0, 0]] })).errors[0].message, /1 colours for 4 labels/);
    assert.match(validateDefinition(full({ labels: 'coco' })).errors[0].message, /presets: voc, cityscapes, ade20k/);
    assert.equal(validateDefinition('nope').errors[0].field, '(definition)');
  });

  test('a relative model path resolves against the base folder', () => {
    const { def } = validateDefinition(full({ model: 'sub/m.onnx' }), { baseDir: '/defs' });
    assert.equal(def?.model.file, path.resolve('/defs', 'sub/m.onnx'));
    assert.equal(validateDefinition(full({ model: '~/m.onnx' })).def?.model.file, path.join(os.homedir(), 'm.onnx'));
  });
});

describe('model declarations', () => {
  const nchw = writeModel(dir, 'nchw.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [48, 64] }));
  const nhwcProb = writeModel(dir, 'nhwc-prob.onnx', colorClassesModel({ layout: 'NHWC', kind: 'probabilities', size: 'dynamic' }));
  const matte = writeModel(dir, 'matte.onnx', redMatteModel('sigmoid', [48, 64]));
  const flat = writeModel(dir, 'flat.onnx', flatOutputModel([8, 8]));

  test('readOnnxSummary: inputs without initializers, outputs, opset, producer, output operator', async () => {
    const s = await readOnnxSummary(nchw);
    assert.deepEqual(s.inputs, [{ name: 'image', type: 'float32', shape: [1, 3, 48, 64] }]);
    assert.deepEqual(s.outputs, [{ name: 'logits', type: 'float32', shape: [1, 4, 48, 64] }]);
    assert.equal(s.opset, 17);
    assert.equal(s.irVersion, 8);
    assert.equal(s.producer, 'seglens-tests');
    assert.equal(s.outputOps.logits, 'Conv');
    const d = await readOnnxSummary(nhwcProb);
    assert.deepEqual(d.inputs[0].shape, [1, 'height', 'width', 3]);
    assert.deepEqual(d.outputs[0].shape, [1, 'height', 'width', 4]);
    assert.equal(d.outputOps.probs, 'Softmax');
    const cast = await readOnnxSummary(writeModel(dir, 'cast.onnx', colorClassesModel({ layout: 'NCHW', kind: 'probabilities', size: [8, 8], castAtEnd: true })));
    assert.equal(cast.outputOps.probs, 'Softmax', 'a final Cast is looked through');
  });

  test('readOnnxSummary refuses what is not an ONNX model', async () => {
    const garbage = path.join(dir, 'garbage.onnx');
    fs.writeFileSync(garbage, Buffer.from('this is not a model, just some text\n'.repeat(20)));
    await assert.rejects(readOnnxSummary(garbage), OnnxFormatError);
    const empty = path.join(dir, 'empty.onnx');
    fs.writeFileSync(empty, '');
    await assert.rejects(readOnnxSummary(empty), OnnxFormatError);
    const truncated = path.join(dir, 'truncated.onnx');
    fs.writeFileSync(truncated, fs.readFileSync(nchw).subarray(0, 40));
    await assert.rejects(readOnnxSummary(truncated), OnnxFormatError);
    await assert.rejects(readOnnxSummary(path.join(dir, 'missing.onnx')), { code: 'ENOENT' });
  });

  test('left-out fields are read from the model', async () => {
    const { defs, errors } = await prepareDefinitions([{ id: 'auto', model: nchw }, { id: 'auto-nhwc', model: nhwcProb, inputSize: { multipleOf: 16, target: [48, 64] } }, { id: 'auto-matte', model: matte }]);
    assert.deepEqual(errors, []);
    const [a, b, c] = defs;
    assert.equal(a.inputName, 'image');
    assert.equal(a.outputName, 'logits');
    assert.deepEqual(a.inputSize, [48, 64]);
    assert.equal(a.task, 'semantic');
    assert.equal(a.output, 'logits');
    assert.deepEqual(a.labels, ['class 0', 'class 1', 'class 2', 'class 3']);
    assert.equal(b.layout, 'NHWC', 'layout guessed from the channel axis');
    assert.equal(b.output, 'probabilities', 'a final Softmax means probabilities');
    assert.equal(b.labels.length, 4);
    assert.equal(c.task, 'binary');
    assert.equal(c.output, 'sigmoid', 'a final Sigmoid means a 0..1 matte');
  });

  test('a dynamic model without inputSize is refused, naming inputSize', async () => {
    const { defs, errors } = await prepareDefinitions([{ id: 'dyn', model: nhwcProb }]);
    assert.equal(defs.length, 0);
    assert.equal(errors[0].field, 'inputSize');
    assert.match(errors[0].message, /multipleOf/);
  });

  test('duplicate ids in one list: the second is refused', async () => {
    const { defs, errors } = await prepareDefinitions([full({ id: 'x' }), full({ id: 'x' })]);
    assert.equal(defs.length, 1);
    assert.deepEqual([errors[0].field, errors[0].index], ['id', 1]);
  });

  test('checkAgainstModel names the field that disagrees with the file', async () => {
    const s = await readOnnxSummary(nchw);
    const def = (over: Record<string, unknown>) => {
      const r = validateDefinition(full({ model: nchw, ...over }));
      assert.ok(r.def, JSON.stringify(r.errors));
      return r.def as UserModeDef;
    };
    assert.equal(checkAgainstModel(def({}), s), undefined);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ inputName: 'pixel_values' }, 'inputName', /no input 'pixel_values'.*'image'/],
      [{ outputName: 'out' }, 'outputName', /no output 'out'.*'logits'/],
      [{ inputLayout: 'NHWC' }, 'inputLayout', /should be 3, it is 64: the model looks NCHW/],
      [{ inputSize: [64, 48] }, 'inputSize', /feeds 64x48/],
      [{ labels: ['a', 'b', 'c', 'd', 'e'] }, 'labels', /5 labels but output 'logits' \[1, 4, 48, 64\] has 4 classes/],
      [{ labels: 'voc' }, 'labels', /21 labels.*4 classes/],
      [{ task: 'binary', outputKind: 'logits', labels: ['bg', 'fg'] }, 'outputKind', /2 channels/],
      [{ outputKind: 'sigmoid', labels: undefined }, 'outputKind', /reads one channel.*has 4/],
    ];
    for (const [over, field, msg] of cases) {
      const m = checkAgainstModel(def(over), s);
      assert.equal(m?.field, field, JSON.stringify(over));
      assert.match(m!.message, msg);
    }
    const f = await readOnnxSummary(flat);
    const rank = checkAgainstModel(def({ inputSize: [8, 8], outputName: 'flat' }), f);
    assert.equal(rank?.field, 'outputName');
    assert.match(rank!.message, /rank 2/);
    const half: OnnxSummary = { ...s, outputs: [{ name: 'logits', type: 'float16', shape: [1, 4, 48, 64] }] };
    assert.equal(checkAgainstModel(def({}), half)?.field, 'outputName');
  });

  test('a NHWC layout mistaken for NCHW gets a hint', async () => {
    const s = await readOnnxSummary(writeModel(dir, 'nhwc-fixed.onnx', colorClassesModel({ layout: 'NHWC', kind: 'logits', size: [48, 64] })));
    const r = validateDefinition(full({ inputLayout: 'NCHW' }));
    const m = checkAgainstModel(r.def!, s);
    assert.equal(m?.field, 'inputLayout');
    assert.match(m!.message, /set "inputLayout": "NHWC"/);
  });

  test('suggestDefinition: layout, size, kind, classes and a preset by count', async () => {
    const s = await readOnnxSummary(nhwcProb);
    const { suggestion, notes } = suggestDefinition(s, nhwcProb);
    assert.equal(suggestion.id, 'nhwc-prob');
    assert.equal(suggestion.inputLayout, 'NHWC');
    assert.deepEqual(suggestion.inputSize, { multipleOf: 32, target: 512 });
    assert.equal(suggestion.outputKind, 'probabilities');
    assert.equal(suggestion.task, 'semantic');
    assert.equal((suggestion.labels as string[]).length, 4);
    assert.ok(notes.some((n) => /Normalisation/.test(n)));
    const voc = await readOnnxSummary(writeModel(dir, 'voc.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [32, 32], extraClasses: 17 })));
    assert.equal(suggestDefinition(voc, 'voc.onnx').suggestion.labels, 'voc');
    // The suggestion is itself a valid definition.
    const v = validateDefinition(suggestDefinition(voc, path.join(dir, 'voc.onnx')).suggestion, { summary: voc });
    assert.deepEqual(v.errors, []);
    assert.equal(checkAgainstModel(v.def!, voc), undefined);
    const m = suggestDefinition(await readOnnxSummary(matte), matte).suggestion;
    assert.deepEqual([m.task, m.outputKind, m.inputSize], ['binary', 'sigmoid', [48, 64]]);
  });
});
