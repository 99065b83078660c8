// Add Model… with a Segment Anything pair (issue 25): the dialogue tells the encoder and the
// decoder apart from what the daemon's seglens/inspectModel reports of each file (the test pair
// of samModels.ts, and an ordinary model that is neither), and words what a misfit pair lacks.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { inspectModel } from '../../daemon/models/definition/inspect';
import { writeSamPair } from '../helpers/samModels';
import { redMatteModel } from '../helpers/buildModels';
import { installFakeVscode } from '../helpers/fakeVscodeModule';

installFakeVscode();
const { samRole, pairProblems } = require('../../extension/models/addModel/samPair') as typeof import('../../extension/models/addModel/samPair');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-addsam-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the encoder and the decoder of a pair are recognised; an ordinary model is neither', async () => {
  const pair = writeSamPair(dir, 'sam-a', { encoder: { size: 256, layers: 0 }, decoder: { size: 256 } });
  assert.equal(samRole(await inspectModel(pair.encoder)), 'encoder');
  assert.equal(samRole(await inspectModel(pair.decoder)), 'decoder');
  const plain = path.join(dir, 'plain.onnx');
  fs.writeFileSync(plain, redMatteModel('sigmoid', [32, 32]));
  assert.equal(samRole(await inspectModel(plain)), undefined);
});

test('a fitting pair has no problems; a decoder given as the encoder is named as the problem', async () => {
  const pair = writeSamPair(dir, 'sam-b', { prefix: 'b-', encoder: { size: 256, layers: 0 }, decoder: { size: 256 } });
  const ok = await inspectModel(pair.decoder, { encoder: pair.encoder, encoderSize: 256 });
  assert.equal(ok.prompt?.fits, true);
  assert.deepEqual(pairProblems(ok), []);
  const swapped = await inspectModel(pair.encoder, { encoder: pair.decoder, encoderSize: 256 });
  assert.equal(swapped.prompt?.fits, false);
  const lines = pairProblems(swapped);
  assert.ok(lines.length > 0);
  assert.ok(lines.every((l) => /^(encoder|decoder|samNames): /.test(l)), lines.join('\n'));
});
