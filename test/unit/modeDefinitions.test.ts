// The pure side of "your own models" in VS Code: settings → defineModes, error wording, the
// seglens.mode fallback, and the Add Model… answers → a definition the daemon accepts as is.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkAgainstModel, inspectModel, prepareDefinitions } from '../../daemon/models/userModes';
import { readOnnxSummary } from '../../daemon/models/onnxInfo';
import type { InspectModelResult } from '../../daemon/api/protocol';
import {
  buildDefinition,
  checkModeId,
  definedIds,
  definePlan,
  definitionErrorsMessage,
  describeDefinitionError,
  formatInputSize,
  outputClassCount,
  parseInputSize,
  parseLabelList,
  resolveMode,
  signatureLines,
  upsertDefinition,
} from '../../extension/models/modeDefinitions';
import { colorClassesModel, redMatteModel, writeModel } from '../helpers/buildModels';

const BUILTIN = ['fast', 'balanced', 'accurate', 'sota', 'text'];

test('settings → defineModes: the whole list, replacing', () => {
  const list = [{ id: 'a', model: '/m/a.onnx' }, { id: 'b', model: '/m/b.onnx', labels: 'voc' }];
  const p = definePlan(list, true);
  assert.deepEqual(p, { send: true, params: { modes: list, replace: true }, notAList: false });
  assert.deepEqual(definePlan(undefined, true), { send: true, params: { modes: [], replace: true }, notAList: false }, 'an empty setting clears the user modes');
  const odd = definePlan({ id: 'a' }, true);
  assert.ok(odd.send && odd.notAList && odd.params.modes.length === 0);
});

test('settings → defineModes: nothing at all from an untrusted workspace', () => {
  assert.deepEqual(definePlan([{ id: 'a', model: '/m/a.onnx' }], false), { send: false, reason: 'untrusted', configured: 1 });
  assert.deepEqual(definePlan([], false), { send: false, reason: 'untrusted', configured: 0 }, 'not even an empty list: it would remove a trusted window\'s modes');
});

test('definedIds reads the ids of well-formed entries only', () => {
  assert.deepEqual(definedIds([{ id: 'a' }, { id: '' }, 'x', null, { model: 'm' }, { id: 'b' }]), ['a', 'b']);
  assert.deepEqual(definedIds('nope'), []);
});

test('definition errors name the mode, its place in the setting and the field', () => {
  const e = { id: 'seg', index: 2, field: 'labels', message: "labels: unknown preset 'coco'; presets: voc, cityscapes, ade20k" };
  assert.equal(describeDefinitionError(e), "mode 'seg' (seglens.customModels[2]), field 'labels': unknown preset 'coco'; presets: voc, cityscapes, ade20k");
  assert.equal(describeDefinitionError({ id: '', index: 0, field: 'id', message: 'id: missing' }), "entry 1 (seglens.customModels[0]), field 'id': missing");
  assert.match(definitionErrorsMessage([e]), /^SegLens: a custom model was not added: mode 'seg'/);
  const two = definitionErrorsMessage([e, { id: 'x', index: 3, field: 'model', message: 'model: missing' }]);
  assert.match(two, /2 problems in seglens\.customModels \('seg', 'x'\)/);
});

test('seglens.mode: a mode that does not exist falls back to balanced', () => {
  const avail = [...BUILTIN, 'seg'];
  assert.deepEqual(resolveMode('seg', avail), { mode: 'seg', fellBack: false });
  assert.deepEqual(resolveMode('typo', avail), { mode: 'balanced', fellBack: true });
  assert.deepEqual(resolveMode('', avail), { mode: 'balanced', fellBack: false }, 'empty is the default');
  assert.deepEqual(resolveMode('seg', undefined), { mode: 'seg', fellBack: false }, 'nothing known yet: trust the setting');
  assert.deepEqual(resolveMode('typo', ['fast']), { mode: 'fast', fellBack: true }, 'without balanced, the first mode');
});

test('wizard inputs: mode id, class names, input size', () => {
  assert.equal(checkModeId('segformer-ade', BUILTIN), undefined);
  assert.match(checkModeId('balanced', BUILTIN)!, /built-in/);
  assert.match(checkModeId('-x', BUILTIN)!, /letters/);
  assert.match(checkModeId('', BUILTIN)!, /id/);
  assert.deepEqual(parseLabelList(' bg, person ,car'), ['bg', 'person', 'car']);
  assert.match((parseLabelList('a,,b') as { error: string }).error, /none empty/);
  assert.match((parseLabelList('a, b', 4) as { error: string }).error, /4 output classes; 2 names/);
  assert.equal(parseInputSize('512'), 512);
  assert.deepEqual(parseInputSize('512 x 768'), [512, 768]);
  assert.deepEqual(parseInputSize('512,768'), [512, 768]);
  assert.deepEqual(parseInputSize('640', 32), { multipleOf: 32, target: 640 });
  assert.ok('error' in (parseInputSize('0') as object));
  assert.ok('error' in (parseInputSize('big') as object));
  assert.equal(formatInputSize([512, 768]), '512x768');
  assert.equal(formatInputSize({ multipleOf: 32, target: 512 }), '512x512');
});

test('upsert: appended, or in place of the same id', () => {
  const a = { id: 'a', model: '/a.onnx' };
  const b = { id: 'b', model: '/b.onnx' };
  assert.deepEqual(upsertDefinition(undefined, a), { list: [a], replaced: false });
  const b2 = { id: 'b', model: '/b2.onnx' };
  assert.deepEqual(upsertDefinition([a, b, 'junk'], b2), { list: [a, b2, 'junk'], replaced: true });
});

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function inspected(name: string, bytes: Uint8Array): Promise<{ r: InspectModelResult; file: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-wizard-'));
  dirs.push(dir);
  const file = writeModel(dir, name, bytes);
  return { r: await inspectModel(file), file };
}

test('Add Model… on a 4-class model: the definition the daemon accepts and the file fits', async () => {
  const { r, file } = await inspected('colors.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [64, 64] }));
  assert.equal(outputClassCount(r), 4);
  const lines = signatureLines(r);
  assert.ok(lines.some((l) => l === 'input  image: float32 [1, 3, 64, 64]'), lines.join('\n'));
  assert.ok(lines.some((l) => l === 'output logits: float32 [1, 4, 64, 64]'));
  assert.ok(lines.some((l) => l.startsWith('note: ')));
  const def = buildDefinition(r, {
    id: 'colors',
    label: 'Colour classes',
    task: 'semantic',
    outputKind: 'logits',
    labels: { kind: 'custom', names: ['background', 'red', 'green', 'blue'] },
    normalization: 'zero-one',
    inputSize: 64,
  });
  assert.deepEqual(def, {
    id: 'colors',
    label: 'Colour classes',
    model: file,
    inputName: 'image',
    inputLayout: 'NCHW',
    inputSize: 64,
    colorOrder: 'RGB',
    normalization: 'zero-one',
    outputName: 'logits',
    task: 'semantic',
    outputKind: 'logits',
    labels: ['background', 'red', 'green', 'blue'],
  });
  const { defs, errors } = await prepareDefinitions([def], { builtinIds: new Set(BUILTIN) });
  assert.deepEqual(errors, []);
  assert.equal(checkAgainstModel(defs[0], await readOnnxSummary(file)), undefined, 'the load-time check passes');
  const generic = buildDefinition(r, { id: 'g', label: 'g', task: 'semantic', outputKind: 'logits', labels: { kind: 'generic', count: 4 }, normalization: 'imagenet', inputSize: 64 });
  assert.deepEqual(generic.labels, ['class 0', 'class 1', 'class 2', 'class 3']);
  const preset = buildDefinition(r, { id: 'p', label: 'p', task: 'semantic', outputKind: 'logits', labels: { kind: 'preset', preset: 'voc' }, normalization: 'imagenet', inputSize: 64 });
  assert.equal(preset.labels, 'voc');
  const refused = await prepareDefinitions([preset], { builtinIds: new Set(BUILTIN) });
  assert.equal(refused.errors.length, 0, 'a preset of the wrong size is a load-time mismatch, not a definition error');
  assert.equal(checkAgainstModel(refused.defs[0], await readOnnxSummary(file))?.field, 'labels');
});

test('Add Model… on a one-channel matte and on a free-size model', async () => {
  const matte = await inspected('matte.onnx', redMatteModel('sigmoid', [32, 48]));
  assert.equal(outputClassCount(matte.r), 1);
  const def = buildDefinition(matte.r, { id: 'matte', label: 'Matte', task: 'binary', outputKind: 'sigmoid', normalization: 'zero-one', inputSize: [32, 48] });
  assert.equal(def.labels, undefined, 'a one-channel matte needs no labels');
  assert.deepEqual((await prepareDefinitions([def], { builtinIds: new Set(BUILTIN) })).errors, []);

  const free = await inspected('free.onnx', colorClassesModel({ layout: 'NHWC', kind: 'probabilities', size: 'dynamic' }));
  assert.equal(formatInputSize(free.r.suggestion.inputSize), '512x512');
  const size = parseInputSize('96', 32);
  const d2 = buildDefinition(free.r, { id: 'free', label: 'Free', task: 'semantic', outputKind: 'probabilities', labels: { kind: 'generic', count: 4 }, normalization: 'raw', inputSize: size as number });
  assert.equal(d2.inputLayout, 'NHWC');
  const { defs, errors } = await prepareDefinitions([d2], { builtinIds: new Set(BUILTIN) });
  assert.deepEqual(errors, []);
  assert.deepEqual(defs[0].inputSize, [96, 96]);
});
