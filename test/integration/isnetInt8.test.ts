// The int8 ISNet (issue #26) with the real models and photos: rebuilt byte-identically from the
// same inputs (the file `npm run models` wrote is the one the builder makes now), how close its
// masks are to fp32's on every sample photo, and a daemon started with --cpu-precision int8:
// fast/balanced get their own session and warm-ups, apart from accurate's fp32 one.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { baseSessionOptions } from '../../daemon/engine/sessionOptions';
import { ISNET_MODEL_FILE } from '../../daemon/models/modelSources';
import { maskAgreement } from '../../daemon/eval/maskAgreement';
import { ISNET_INT8_FILE, isnetInt8Bytes } from '../../daemon/models/quantize/isnetInt8File';
import { sha256 } from '../../daemon/util/fileOps';
import { counters, ListeningDaemon, startListening } from '../helpers/daemonProcess';
import { modelsDir, samplePhotos } from '../helpers/repo';
import { isnetTensor, variants } from '../tools/isnetInt8/images';

test('the int8 model is rebuilt byte-identically, and is the file npm run models wrote', () => {
  const source = fs.readFileSync(path.join(modelsDir, ISNET_MODEL_FILE));
  const a = isnetInt8Bytes(source);
  const b = isnetInt8Bytes(source);
  assert.equal(sha256(a), sha256(b));
  const file = path.join(modelsDir, ISNET_INT8_FILE);
  const side = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as { outputSha256: string };
  assert.equal(sha256(a), side.outputSha256);
  assert.equal(sha256(fs.readFileSync(file)), side.outputSha256);
});

test("int8 masks against fp32's on every sample photo at the fast size (512): what was measured", async () => {
  // The bar is IoU >= 0.98 at 512, 768 and 1024. At 512 every photo is at 0.98 or
  // above (rocket 0.9805); at 768 and 1024 the grey text page (0.90-0.94) misses it, and so
  // does the rocket at 1024 (0.979), which is why fp32 stays the default (docs/models.md). This test
  // pins what is true at 512, so that a builder change that costs accuracy shows.
  const opt = { ...baseSessionOptions(2), executionProviders: ['cpu'] };
  const fp32 = await ort.InferenceSession.create(path.join(modelsDir, ISNET_MODEL_FILE), opt);
  const int8 = await ort.InferenceSession.create(path.join(modelsDir, ISNET_INT8_FILE), opt);
  try {
    for (const photo of samplePhotos()) {
      const [img] = await variants(photo);
      const x = new ort.Tensor('float32', isnetTensor(img, 512), [1, 3, 512, 512]);
      const out = async (s: ort.InferenceSession) => (await s.run({ input: x }, ['output'])).output.data as Float32Array;
      const a = maskAgreement(await out(fp32), await out(int8));
      assert.ok(a.iou >= 0.98, `${img.name}: IoU ${a.iou}`);
      assert.ok(a.meanAlphaDiff < 1, `${img.name}: mean alpha difference ${a.meanAlphaDiff}`);
    }
  } finally {
    await fp32.release();
    await int8.release();
  }
});

let daemon: ListeningDaemon;
before(async () => {
  daemon = await startListening({ warmupIterations: 1, cpuPrecision: 'int8', provider: 'cpu' });
});
after(async () => daemon.stop());

test('--cpu-precision int8: fast and balanced share the int8 session, accurate loads its own, each mode warms its own', async () => {
  const c = await daemon.connect('precision');
  try {
    const fast = await c.ensureReady('fast');
    assert.deepEqual([fast.load, fast.warmup], ['ran', 'ran']);
    const balanced = await c.ensureReady('balanced');
    assert.deepEqual([balanced.load, balanced.warmup], ['cached', 'ran'], 'balanced shares the int8 session, warms its own shape');
    const accurate = await c.ensureReady('accurate');
    assert.deepEqual([accurate.load, accurate.warmup], ['ran', 'ran'], 'accurate (fp32) never shares the int8 session');
    for (const m of ['fast', 'balanced', 'accurate']) assert.equal((await counters(c, m)).warmups, 1, m);
    const seg = await c.segment({ mode: 'fast', image: { path: samplePhotos()[0] } });
    assert.ok(seg.maskPng.length > 0);
  } finally {
    c.dispose();
  }
});
