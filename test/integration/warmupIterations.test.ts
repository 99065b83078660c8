// A user mode's own warmupIterations wins over the daemon's --warmup-iterations; a definition
// without one, and the built-in modes, follow the flag. Through the real daemon, with a small
// model the test builds, and the runs counted in a real engine worker.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { EngineProxy } from '../../daemon/engine/engineProxy';
import { validateDefinition } from '../../daemon/models/userModes';
import { JobQueue } from '../../daemon/registry/jobQueue';
import { Registry } from '../../daemon/registry/registry';
import { colorClassesDef, colorClassesModel, writeModel } from '../helpers/buildModels';
import { ListeningDaemon, counters, startListening, tempDir } from '../helpers/daemonProcess';
import { workerScript } from '../helpers/workerScript';

const H = 32;
const W = 32;
let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;

const def = (id: string, model: string, over: Partial<P.UserModeDefinition> = {}) => colorClassesDef(id, model, [H, W], over);

before(async () => {
  dir = tempDir('seglens-warmup-');
  const model = writeModel(dir, 'tiny.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [H, W] }));
  daemon = await startListening(['--warmup-iterations', '1']);
  client = await daemon.connect('warmup-iterations');
  const r = await client.request(P.DefineModes, { modes: [def('own', model, { warmupIterations: 4 }), def('inherits', model)] });
  assert.deepEqual(r.errors, []);
});
after(async () => {
  client?.dispose();
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a user mode's own warmupIterations is used, not --warmup-iterations", async () => {
  const w = await client.warmup({ mode: 'own' });
  assert.equal(w.ran, true);
  assert.equal(w.iterations, 4, 'the warm-up ran the 4 iterations the definition asks for');
  assert.equal((await counters(client, 'own')).warmups, 1);
});

test('a user mode without warmupIterations follows --warmup-iterations', async () => {
  const w = await client.warmup({ mode: 'inherits' });
  assert.equal(w.ran, true);
  assert.equal(w.iterations, 1);
});

test('a forced re-warm uses the same count; an explicit iterations in the request still wins', async () => {
  assert.equal((await client.warmup({ mode: 'own', force: true })).iterations, 4);
  assert.equal((await client.warmup({ mode: 'own', force: true, iterations: 2 })).iterations, 2);
});

test("the worker runs the user mode's own count of dummy inferences (counted in the worker)", async () => {
  const engine = new EngineProxy({ provider: 'cpu', workerPath: workerScript(__dirname) });
  try {
    const { def: own, errors } = validateDefinition(def('own-counted', path.join(dir, 'tiny.onnx'), { warmupIterations: 4, outputName: 'logits', outputKind: 'logits' }));
    assert.deepEqual(errors, []);
    // The daemon-wide default (--warmup-iterations 1) must not override the definition's 4.
    const registry = new Registry([own!], engine, new JobQueue(4), {}, 1);
    await engine.load(own!.model); // the load itself runs nothing
    const before = await engine.modelRuns();
    await registry.ensureReady('own-counted');
    assert.equal((await engine.modelRuns()) - before, 4);
  } finally {
    await engine.close();
  }
});
