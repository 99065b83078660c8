// Prompt mode definitions (issue 25): task 'prompt' / outputFormat 'sam', the Segment Anything
// contract checked against what an encoder + decoder pair declares (daemon/models/definition/promptDef.ts),
// and seglens/inspectModel on a pair; without a daemon or ONNX Runtime.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { readOnnxSummary } from '../../daemon/models/onnxInfo';
import { inspectModel, prepareDefinitions, validateDefinition } from '../../daemon/models/userModes';
import { checkSamPair, samNames } from '../../daemon/models/definition/promptDef';
import { samDecoderModel, writeSamPair } from '../helpers/samModels';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-prompt-def-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
// The encoder's cost does not matter here: no session is created.
const pair = writeSamPair(dir, 'sam', { encoder: { layers: 0 } });

/** The decoder with one declared input's shape replaced (what a wrong export declares). */
function decoderWith(name: string, dims: number[]): string {
  const m = onnx.ModelProto.decode(samDecoderModel());
  const vi = m.graph!.input!.find((i) => i.name === name)!;
  vi.type!.tensorType!.shape!.dim = dims.map((d) => ({ dimValue: d }));
  const file = path.join(dir, `decoder-${name}.onnx`);
  fs.writeFileSync(file, onnx.ModelProto.encode(m).finish());
  return file;
}

describe('prompt mode definitions', () => {
  test('a pair becomes a prompt mode with the contract defaults', async () => {
    const { defs, errors } = await prepareDefinitions([pair.definition]);
    assert.deepEqual(errors, []);
    const def = defs[0];
    assert.equal(def.task, 'prompt');
    assert.deepEqual(def.inputSize, [1024, 1024]);
    assert.deepEqual(def.mean, [123.675, 116.28, 103.53]);
    assert.deepEqual(def.std, [58.395, 57.12, 57.375]);
    assert.equal(def.scale, 1);
    assert.equal(def.promptSpec?.encoder.file, pair.encoder);
    assert.equal(def.model.file, pair.decoder);
    assert.equal(def.inputName, 'image', "the encoder's only input");
    assert.equal(def.promptSpec?.names.pointCoords, 'point_coords');
    assert.match(def.promptSpec!.encoder.key, /#\d+-\d+$/, 'the encoder key carries its file stamp (a re-exported file gets a new session and new embeddings)');
  });

  test('outputFormat sam implies task prompt; overrides are kept', () => {
    const r = validateDefinition({ id: 'p', outputFormat: 'sam', encoder: '/m/e.onnx', model: '/m/d.onnx', encoderSize: 512, mean: 0, std: 1, samNames: { masks: 'm' } });
    assert.deepEqual(r.errors, []);
    assert.equal(r.def?.task, 'prompt');
    assert.deepEqual(r.def?.inputSize, [512, 512]);
    assert.deepEqual(r.def?.mean, [0, 0, 0]);
    assert.equal(r.def?.promptSpec?.names.masks, 'm');
  });

  test('mistakes name their field', () => {
    const fields = (raw: Record<string, unknown>) => validateDefinition(raw).errors.map((e) => e.field);
    assert.deepEqual(fields({ id: 'p', task: 'prompt', model: '/m/d.onnx' }), ['encoder']);
    assert.deepEqual(fields({ id: 'p', task: 'prompt', outputFormat: 'yolo-seg', encoder: '/e.onnx', model: '/m/d.onnx' }), ['outputFormat']);
    assert.ok(fields({ id: 'p', task: 'instance', outputFormat: 'sam', model: '/m/d.onnx', labels: ['a'] }).includes('outputFormat'));
    assert.deepEqual(fields({ id: 'p', task: 'prompt', encoder: '/e.onnx', model: '/m/d.onnx', inputSize: 512 }), ['inputSize']);
    assert.ok(fields({ id: 'p', model: '/m/d.onnx', encoder: '/e.onnx', inputSize: 8, labels: ['a', 'b', 'c'] }).includes('encoder'));
    assert.deepEqual(fields({ id: 'p', task: 'prompt', encoder: '/e.onnx', model: '/m/d.onnx', samNames: { nope: 'x' } }).slice(0, 1), ['samNames']);
  });
});

describe('the sam contract against the files', () => {
  test('the test pair fits', async () => {
    const enc = await readOnnxSummary(pair.encoder);
    const dec = await readOnnxSummary(pair.decoder);
    assert.deepEqual(checkSamPair(samNames(undefined, enc), 1024, enc, dec), []);
  });

  test('a wrong input names it and the shape expected', async () => {
    const enc = await readOnnxSummary(pair.encoder);
    const dec = await readOnnxSummary(decoderWith('mask_input', [1, 1, 128, 128]));
    const problems = checkSamPair(samNames(undefined, enc), 1024, enc, dec);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].field, 'model');
    assert.match(problems[0].message, /'mask_input' \[1, 1, 128, 128\] does not fit: expected \[1, 1, 256, 256\]/);
  });

  test('files swapped: the encoder has no image_embeddings, the decoder lacks its inputs', async () => {
    const enc = await readOnnxSummary(pair.decoder);
    const dec = await readOnnxSummary(pair.encoder);
    const problems = checkSamPair(samNames(undefined, enc), 1024, enc, dec);
    const text = problems.map((p) => p.message).join('\n');
    assert.match(text, /encoder has 6 inputs/);
    assert.match(text, /no input 'point_coords' \[1, N, 2\]/);
    assert.match(text, /no output 'low_res_masks' \[1, K, 256, 256\]/);
  });

  test('inspectModel with an encoder checks the pair and suggests a prompt mode', async () => {
    const good = await inspectModel(pair.decoder, { encoder: pair.encoder });
    assert.equal(good.prompt?.fits, true);
    assert.deepEqual(good.prompt?.problems, []);
    assert.equal(good.suggestion.task, 'prompt');
    assert.equal(good.suggestion.encoder, pair.encoder);
    const bad = await inspectModel(decoderWith('orig_im_size', [3]), { encoder: pair.encoder });
    assert.equal(bad.prompt?.fits, false);
    assert.match(bad.prompt!.problems[0].message, /'orig_im_size' \[3\] does not fit: expected \[2\]/);
    const alone = await inspectModel(pair.decoder);
    assert.equal(alone.suggestion.task, 'prompt', 'a decoder alone is recognised');
    assert.match(alone.notes.join(' '), /encoder/);
  });
});
