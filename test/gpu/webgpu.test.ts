// The WebGPU provider on a software GPU (issue 27): SwiftShader's Vulkan driver stands in for a
// GPU (helpers/softwareGpu.ts, an environment of the test's daemon only). Each SwiftShader run
// costs seconds (ISNet's about 40 even at 64x64), so the modes are small (text 128x128, ISNet 64x64) and
// warm up once at most, and the suite runs apart
// from `npm test` (`npm run test:gpu`, which .ci/run runs).
//  - the text detector and ISNet (its float32 file: SwiftShader has no f16) pass the CPU check
//    under `auto`, run on WebGPU, and their masks match a CPU daemon's by the check's bar;
//  - a provider whose outputs are corrupted (test hook) fails the check: the mode runs on the
//    CPU, and a later start remembers the verdict without checking again;
//  - no adapter at all (an ICD file that does not exist): the CPU serves, with a clear message.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { GpuStatus, UserModeDefinition } from '../../daemon/api/protocol';
import { startListening, tempDir } from '../helpers/daemonProcess';
import { modelsDir, samplesDir } from '../helpers/repo';
import { noSoftwareGpu, softwareGpuEnv, swiftShaderIcd } from '../helpers/softwareGpu';

const SIDE = 128;
const TEXT: UserModeDefinition = {
  id: 'text-small',
  model: path.join(modelsDir, 'ppocrv4-det.onnx'),
  inputName: 'x',
  inputSize: [SIDE, SIDE],
  colorOrder: 'BGR',
  normalization: 'imagenet',
  outputName: 'sigmoid_0.tmp_0',
  outputKind: 'sigmoid',
  labels: ['background', 'text'],
  warmupIterations: 1,
};
// ISNet's own pipeline (docs/models.md): RGB, (v - 128) / 256; its height and width are free in multiples of 64.
const ISNET: UserModeDefinition = {
  id: 'isnet-small',
  model: path.join(modelsDir, 'isnet-medium-dynamic.onnx'),
  inputName: 'input',
  // ISNet's smallest size (a multiple of 64): its masks are coarse there, but GPU and CPU must still agree.
  inputSize: [64, 64],
  normalization: 'raw',
  scale: 1,
  mean: 128,
  std: 256,
  outputName: 'output',
  outputKind: 'sigmoid',
  labels: ['background', 'foreground'],
  // ISNet runs about 40 s at 64x64 on SwiftShader: its warm-up is the check's run alone.
  warmupIterations: 0,
};

const skip = noSoftwareGpu();
if (skip && process.env.CI === 'true') throw new Error(`the GPU suite cannot run: ${skip}`);

function writeModes(dir: string, modes: UserModeDefinition[]): string {
  const file = path.join(dir, 'modes.json');
  fs.writeFileSync(file, JSON.stringify(modes));
  return file;
}

/** IoU at 0.5 and mean alpha difference (0..255) of two grey mask PNGs of one size. */
async function maskAgreement(a: string, b: string): Promise<{ iou: number; meanAlphaDiff: number }> {
  const [x, y] = await Promise.all([a, b].map((p) => sharp(Buffer.from(p, 'base64')).toColourspace('b-w').raw().toBuffer()));
  assert.equal(x.length, y.length);
  let inter = 0;
  let union = 0;
  let diff = 0;
  for (let i = 0; i < x.length; i++) {
    const [p, q] = [x[i] >= 128, y[i] >= 128];
    if (p && q) inter++;
    if (p || q) union++;
    diff += Math.abs(x[i] - y[i]);
  }
  return { iou: union === 0 ? 1 : inter / union, meanAlphaDiff: diff / x.length };
}

const IMAGES: Record<string, string> = { 'text-small': path.join(samplesDir, 'text.png'), 'isnet-small': path.join(samplesDir, 'chelsea-cat.jpg') };

/** Each mode's mask of its image, from a daemon with these flags and environment. */
async function masks(flags: Parameters<typeof startListening>[0], env: NodeJS.ProcessEnv, modes: string[], cacheDir?: string) {
  // A software GPU runs far past the watchdog's 30 s floor: off for these daemons.
  const daemon = await startListening({ ...flags, watchdogSeconds: 0 }, { env, cacheDir });
  try {
    const client = await daemon.connect();
    const out: Record<string, string> = {};
    for (const m of modes) {
      await client.ensureReady(m);
      out[m] = (await client.segment({ mode: m, image: { path: IMAGES[m] } })).maskPng;
    }
    const status = await client.status();
    client.dispose();
    return { out, gpu: status.gpu, stderr: daemon.stderr() };
  } finally {
    await daemon.stop();
  }
}

const sessionOf = (gpu: GpuStatus | undefined, file: string) => gpu?.sessions.find((s) => s.model.includes(file))?.provider;
const checkOf = (gpu: GpuStatus | undefined, file: string) => gpu?.checks.find((c) => c.model.includes(file));

describe('WebGPU on SwiftShader', { skip }, () => {
  let dir: string;
  let modes: string;
  let gpuEnv: ReturnType<typeof softwareGpuEnv>;
  before(() => {
    dir = tempDir('seglens-gpu-');
    modes = writeModes(dir, [TEXT, ISNET]);
    gpuEnv = softwareGpuEnv(swiftShaderIcd()!);
  });
  after(() => {
    gpuEnv?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('auto: the text detector and a small ISNet pass the CPU check, run on WebGPU and match the CPU', async () => {
    const gpu = await masks({ models: modes, provider: 'auto' }, gpuEnv.env, ['text-small', 'isnet-small']);
    const a = gpu.gpu?.adapter;
    assert.ok(a, `no adapter reported: ${gpu.stderr}`);
    assert.equal(a.provider, 'webgpu');
    assert.equal(a.f16, false, 'SwiftShader has no f16');
    assert.match(`${a.vendor} ${a.architecture} ${a.driver}`, /SwiftShader/);
    for (const file of ['ppocrv4-det.onnx', 'isnet-medium-dynamic.onnx']) {
      const c = checkOf(gpu.gpu, file);
      assert.ok(c, `${file}: no check in ${JSON.stringify(gpu.gpu?.checks)}`);
      assert.equal(c.passed, true, `${file}: ${JSON.stringify(c)}`);
      assert.equal(c.remembered, false);
      assert.ok(c.figures.iou! >= 0.99 && c.figures.meanAlphaDiff! <= 2, JSON.stringify(c.figures));
      assert.equal(sessionOf(gpu.gpu, file), 'webgpu');
    }
    assert.match(gpu.stderr, /has no f16: running .*isnet-medium-fp32\.onnx/, 'ISNet runs its float32 file on an adapter without f16');
    // First-run and steady times per provider: the check's and warm-up's runs, then the request.
    const t = gpu.gpu!.times.find((x) => x.provider === 'webgpu' && x.mode === 'text-small');
    assert.ok(t && t.runs >= 3 && t.steadyMs !== undefined, JSON.stringify(gpu.gpu!.times));

    const cpu = await masks({ models: modes, provider: 'cpu' }, {}, ['text-small', 'isnet-small']);
    for (const m of ['text-small', 'isnet-small']) {
      const agree = await maskAgreement(gpu.out[m], cpu.out[m]);
      assert.ok(agree.iou >= 0.99 && agree.meanAlphaDiff <= 2, `${m}: WebGPU against the CPU ${JSON.stringify(agree)}`);
    }
  });

  test('a provider giving wrong output fails the check: the mode runs on the CPU, and the verdict is remembered', async () => {
    const cacheDir = path.join(dir, 'cache-corrupt');
    const hooks = { ...gpuEnv.env, SEGLENS_TEST_CRASH_HOOKS: '1', SEGLENS_TEST_CORRUPT_PROVIDER: 'webgpu' };
    const bad = await masks({ models: modes, provider: 'webgpu' }, hooks, ['text-small'], cacheDir);
    const c = checkOf(bad.gpu, 'ppocrv4-det.onnx');
    assert.ok(c && c.passed === false && c.figures.iou! < 0.99, JSON.stringify(bad.gpu?.checks));
    assert.equal(sessionOf(bad.gpu, 'ppocrv4-det.onnx'), 'cpu');
    assert.match(bad.stderr, /failed the CPU check .*IoU at 0\.5 [0-9.]+ \(bar >= 0\.99\).*this model runs on the CPU/);

    const cpu = await masks({ models: modes, provider: 'cpu' }, {}, ['text-small']);
    assert.equal(bad.out['text-small'], cpu.out['text-small'], 'the refused provider is not used: the CPU made the mask');

    // A later start (no hook now) keeps the verdict of this (model, ORT version, provider, adapter).
    const again = await masks({ models: modes, provider: 'webgpu' }, gpuEnv.env, ['text-small'], cacheDir);
    const r = checkOf(again.gpu, 'ppocrv4-det.onnx');
    assert.ok(r && r.passed === false && r.remembered === true, JSON.stringify(again.gpu?.checks));
    assert.equal(sessionOf(again.gpu, 'ppocrv4-det.onnx'), 'cpu');
  });

  test('no adapter (no Vulkan driver): auto and webgpu run on the CPU and say why once', async () => {
    const env = { ...gpuEnv.env, VK_ICD_FILENAMES: path.join(dir, 'no-such-icd.json') };
    for (const provider of ['auto', 'webgpu'] as const) {
      const r = await masks({ models: modes, provider }, env, ['text-small']);
      assert.equal(r.gpu?.adapter, undefined);
      const why = r.gpu?.unavailable.find((u) => u.provider === 'webgpu');
      assert.match(why?.error ?? '', /no WebGPU adapter: Failed to get a WebGPU adapter/);
      assert.equal(sessionOf(r.gpu, 'ppocrv4-det.onnx'), 'cpu');
      assert.equal(r.gpu?.checks.length, 0);
      assert.equal(r.stderr.match(/execution provider webgpu not available/g)?.length, 1, r.stderr);
    }
  });
});
