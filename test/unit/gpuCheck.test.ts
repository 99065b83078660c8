// The GPU provider's pure parts (issue 27): the CPU check's bar per output kind, naming the
// adapter from the Vulkan driver mapped in the process, remembered verdicts and "no adapter"
// answers, the GPU setup's fingerprint, run times.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { adapterError, describeAdapter, mappedVulkanDrivers, webgpuBackend } from '../../daemon/engine/gpu/adapter';
import { compareOutputs, figuresLine, maskFigures, passes } from '../../daemon/engine/gpu/agreement';
import { checkImage } from '../../daemon/engine/gpu/checkInput';
import { CHECKS_FOLDER, readVerdict, writeVerdict } from '../../daemon/engine/gpu/checkStore';
import { NO_ADAPTER_MAX_AGE_MS, adapterMemoKey, readNoAdapter, writeNoAdapter } from '../../daemon/engine/gpu/adapterMemo';
import { gpuSetupFingerprint, gpuSetupParts } from '../../daemon/engine/gpu/gpuSetup';
import { F16_PROBE_INPUT, F16_PROBE_OUTPUT, f16ProbeModel, lacksF16 } from '../../daemon/engine/gpu/f16Probe';
import { RunTimes } from '../../daemon/engine/gpu/runTimes';
import type { ModeDef } from '../../daemon/models/modeDef';
import type { ProviderCheck } from '../../daemon/api/protocol';
import { tempDir } from '../helpers/daemonProcess';

const binary = { task: 'binary', output: 'sigmoid', layout: 'NCHW', labels: ['background', 'fg'] } as unknown as ModeDef;

describe('the CPU check bar', () => {
  it('identical maps pass; a mask turned inside out fails with its figures', () => {
    const cpu = Float32Array.from({ length: 100 }, (_, i) => (i < 40 ? 0.9 : 0.05));
    const same = maskFigures(cpu, cpu.slice());
    assert.deepEqual(same, { output: 'mask', iou: 1, meanAlphaDiff: 0 });
    assert.equal(passes(same), true);
    const inverted = maskFigures(cpu, cpu.map((v) => 1 - v));
    assert.equal(inverted.iou, 0);
    assert.equal(passes(inverted), false);
    assert.match(figuresLine(inverted), /IoU at 0\.5 0\.0000 \(bar >= 0\.99\)/);
  });

  it('the alpha bar is 2/255 on average, the IoU bar 0.99', () => {
    const cpu = Float32Array.from({ length: 1000 }, (_, i) => (i < 500 ? 0.8 : 0.1));
    // Every value off by 1.5/255: same masks, mean difference 1.5 → passes.
    assert.equal(passes(maskFigures(cpu, cpu.map((v) => v + 1.5 / 255))), true);
    // Off by 3/255: fails on the alpha bar alone.
    const f = maskFigures(cpu, cpu.map((v) => v + 3 / 255));
    assert.equal(f.iou, 1);
    assert.equal(passes(f), false);
    // 6 of 500 foreground pixels lost: IoU 0.988 < 0.99.
    const lost = cpu.map((v, i) => (i < 6 ? 0.1 : v));
    assert.equal(passes(maskFigures(cpu, lost)), false);
    // NaN from a broken GPU fails the bar.
    assert.equal(passes(maskFigures(Float32Array.of(0.2, 0.7), Float32Array.of(NaN, 0.7))), false);
  });

  it('per output kind: logits through the sigmoid, class maps by agreement, instance outputs by range', () => {
    const logits = Float32Array.from([4, -4, 4, -4]);
    const f = compareOutputs({ ...binary, output: 'logit' } as unknown as ModeDef, { data: logits, dims: [1, 1, 2, 2] }, { data: logits.slice(), dims: [1, 1, 2, 2] });
    assert.equal(f.output, 'mask');
    assert.equal(passes(f), true);
    const semantic = { task: 'semantic', output: 'logits', layout: 'NCHW', labels: ['a', 'b'] } as unknown as ModeDef;
    const two = Float32Array.from([1, 0, 0, 1, 0, 1, 1, 0]); // 2 classes x 2x2
    const swapped = Float32Array.from([0, 1, 1, 0, 1, 0, 0, 1]);
    const c = compareOutputs(semantic, { data: two, dims: [1, 2, 2, 2] }, { data: swapped, dims: [1, 2, 2, 2] });
    assert.equal(c.output, 'classes');
    assert.equal(c.classAgreement, 0);
    assert.equal(passes(c), false);
    assert.throws(() => compareOutputs(binary, { data: logits, dims: [1, 1, 2, 2] }, { data: logits, dims: [1, 1, 4, 1] }), /differ in shape/);
  });

  it('the check input has structure (not the flat warm-up grey) and is the same every time', () => {
    const a = checkImage(64, 48);
    assert.deepEqual(a, checkImage(64, 48));
    assert.ok(new Set(a).size > 20);
  });
});

describe('the adapter', () => {
  it('is named by the one Vulkan driver mapped in the process', () => {
    const maps = [
      '7f00-7f01 r-xp 00000000 08:01 12 /usr/lib/x86_64-linux-gnu/libvulkan.so.1.3.239',
      '7f02-7f03 r-xp 00000000 08:01 13 /usr/lib/chromium/libvk_swiftshader.so',
      '7f04-7f05 r-xp 00000000 08:01 14 /usr/lib/x86_64-linux-gnu/libVkLayer_MESA_device_select.so',
      '7f06-7f07 rw-p 00000000 00:00 0 [heap]',
    ].join('\n');
    const drivers = mappedVulkanDrivers(maps);
    assert.deepEqual(drivers, ['libvk_swiftshader.so']);
    const a = describeAdapter('vulkan', drivers, false);
    assert.equal(a.vendor, 'Google');
    assert.match(a.architecture!, /SwiftShader/);
    assert.equal(a.id, 'vulkan:libvk_swiftshader.so:no-f16');
    // Several drivers mapped (the loader opened each): not singled out, said so.
    const many = describeAdapter('vulkan', ['libvulkan_radeon.so', 'libvulkan_intel.so'], true);
    assert.equal(many.vendor, undefined);
    assert.match(many.source, /could not be singled out/);
    assert.equal(describeAdapter('metal', [], true).id, 'metal:unknown:f16');
    assert.equal(webgpuBackend('darwin'), 'metal');
    assert.equal(webgpuBackend('win32'), 'd3d12');
  });

  it("keeps the readable part of ONNX Runtime's adapter failure", () => {
    const msg =
      "/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(...)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n";
    assert.equal(adapterError(msg), 'Failed to get a WebGPU adapter: No supported adapters');
    assert.equal(lacksF16('shader_helper.cc:416 GenerateSourceCode Program Cast requires f16 but the device does not support it.'), true);
    assert.equal(lacksF16('out of memory'), false);
  });

  it('the f16 probe graph computes its expected output (on the CPU here)', async () => {
    const s = await ort.InferenceSession.create(f16ProbeModel());
    const out = await s.run({ x: new ort.Tensor('float32', F16_PROBE_INPUT, [1, 1, 2, 3]) });
    assert.deepEqual(Array.from(out.y.data as Float32Array), Array.from(F16_PROBE_OUTPUT));
    await s.release();
  });
});

describe('remembered verdicts and run times', () => {
  it('a verdict is read back for its own key only, from a private file', async () => {
    const dir = tempDir();
    try {
      const key = { modelSha256: 'a'.repeat(64), ortVersion: '1.30.0', provider: 'webgpu', adapter: 'vulkan:libvk_swiftshader.so:no-f16' };
      const check: ProviderCheck = { model: 'm', mode: 'x', provider: 'webgpu', adapter: key.adapter, ortVersion: '1.30.0', passed: false, figures: { output: 'mask', iou: 0.5, meanAlphaDiff: 30 }, remembered: false, checkedAt: 'now' };
      assert.equal(await readVerdict(dir, key), undefined);
      await writeVerdict(dir, key, check);
      assert.deepEqual(await readVerdict(dir, key), { ...check, remembered: true });
      for (const other of [{ ...key, adapter: 'vulkan:libvulkan_radeon.so:f16' }, { ...key, ortVersion: '1.31.0' }, { ...key, modelSha256: 'b'.repeat(64) }]) assert.equal(await readVerdict(dir, other), undefined);
      const [file] = fs.readdirSync(path.join(dir, CHECKS_FOLDER));
      assert.equal(fs.statSync(path.join(dir, CHECKS_FOLDER, file)).mode & 0o777, 0o600);
      await writeVerdict(dir, key, { ...check, passed: true });
      assert.equal((await readVerdict(dir, key))?.passed, true, 'a new verdict replaces the old');
      // Named as before the store served other answers too: verdicts remembered by older versions still count.
      const digest = crypto.createHash('sha256').update(JSON.stringify([key.modelSha256, key.ortVersion, key.provider, key.adapter])).digest('hex');
      assert.equal(file, `${digest.slice(0, 32)}.json`);
      fs.writeFileSync(path.join(dir, CHECKS_FOLDER, file), '{not json');
      assert.equal(await readVerdict(dir, key), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('"no adapter" is read back for its own key only, and not once older than the age limit', async () => {
    const dir = tempDir();
    try {
      const key = adapterMemoKey('1.30.0', 'setup-a');
      const answer = { error: 'no WebGPU adapter: Failed to get a WebGPU adapter: No supported adapters', probedAt: '2026-01-01T00:00:00.000Z' };
      const probed = Date.parse(answer.probedAt);
      assert.equal(await readNoAdapter(dir, key, probed), undefined);
      await writeNoAdapter(dir, key, answer);
      assert.deepEqual(await readNoAdapter(dir, key, probed + NO_ADAPTER_MAX_AGE_MS), answer);
      assert.equal(await readNoAdapter(dir, key, probed + NO_ADAPTER_MAX_AGE_MS + 1), undefined, 'too old');
      assert.equal(await readNoAdapter(dir, key, probed - 1), undefined, 'from the future');
      for (const other of [adapterMemoKey('1.31.0', 'setup-a'), adapterMemoKey('1.30.0', 'setup-b')]) assert.equal(await readNoAdapter(dir, other, probed), undefined);
      assert.deepEqual(Object.keys(key), ['answer', 'ortVersion', 'platform', 'arch', 'gpuSetup']);
      assert.deepEqual([key.platform, key.arch], [process.platform, process.arch]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the GPU setup fingerprint follows the Vulkan driver manifests and VK_* variables (Linux), nothing elsewhere', () => {
    const dir = tempDir();
    try {
      const icd = path.join(dir, 'data', 'vulkan', 'icd.d');
      fs.mkdirSync(icd, { recursive: true });
      const env = { HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_CONFIG_DIRS: path.join(dir, 'none'), XDG_DATA_DIRS: path.join(dir, 'none') };
      const before = gpuSetupFingerprint(env, 'linux');
      assert.equal(gpuSetupFingerprint(env, 'linux'), before, 'stable');
      fs.writeFileSync(path.join(icd, 'new_icd.json'), '{"ICD": {"library_path": "libvulkan_new.so"}}');
      const installed = gpuSetupFingerprint(env, 'linux');
      assert.notEqual(installed, before, 'a driver installed');
      assert.ok(gpuSetupParts(env, 'linux').some((p) => p.startsWith(path.join(icd, 'new_icd.json'))));
      fs.appendFileSync(path.join(icd, 'new_icd.json'), ' ');
      assert.notEqual(gpuSetupFingerprint(env, 'linux'), installed, 'a driver upgraded');
      assert.notEqual(gpuSetupFingerprint({ ...env, VK_ICD_FILENAMES: '/x.json' }, 'linux'), gpuSetupFingerprint(env, 'linux'), 'the loader redirected');
      assert.deepEqual(gpuSetupParts(env, 'win32'), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('first run apart, steady = median of the later runs, per provider and shape', () => {
    const t = new RunTimes();
    t.record('webgpu', 'text', [640, 640], 900);
    t.record('webgpu', 'text', [640, 640], 12);
    t.record('webgpu', 'text', [640, 640], 10);
    t.record('webgpu', 'text', [640, 640], 30);
    t.record('cpu', 'text', [640, 640], 150);
    assert.deepEqual(t.list(), [
      { provider: 'webgpu', mode: 'text', inputSize: [640, 640], firstRunMs: 900, steadyMs: 12, runs: 4 },
      { provider: 'cpu', mode: 'text', inputSize: [640, 640], firstRunMs: 150, runs: 1 },
    ]);
  });
});
