import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusReport } from '../../extension/status/statusReport';

test('Show Status reads like `ollama ps`: per-mode UNTIL and the loaded models with memory', () => {
  const now = Date.parse('2026-11-27T10:00:00Z');
  const text = statusReport({
    daemonState: 'connected',
    shared: true,
    currentMode: 'balanced',
    now,
    modes: [
      { id: 'balanced', label: 'Balanced', description: '', task: 'binary', inputSize: [768, 768], labels: [] },
      { id: 'fast', label: 'Fast', description: '', task: 'binary', inputSize: [512, 512], labels: [] },
      { id: 'text', label: 'Text', description: '', task: 'binary', inputSize: [640, 640], labels: [] },
    ],
    status: {
      pid: 42,
      uptimeMs: 65_000,
      clients: 2,
      rssBytes: 2.5 * 1024 ** 3,
      provider: 'cpu',
      keepAliveMs: 1_800_000,
      modes: [
        { mode: 'balanced', state: 'warm', loaded: true, warm: true, warmups: 1, selected: true },
        { mode: 'fast', state: 'warm', loaded: true, warm: true, warmups: 1, expiresAt: new Date(now + 29 * 60_000).toISOString() },
        { mode: 'text', state: 'cold', loaded: false, warm: false, warmups: 0 },
      ],
      models: [{ key: 'isnet-medium', file: '/m/isnet.onnx', modes: ['balanced', 'fast'], approxBytes: 2 * 1024 ** 3 }],
    },
  });
  const line = (mode: string) => text.split('\n').find((l) => new RegExp(`^\\*?\\s+${mode}\\s`).test(l)) ?? '';
  assert.match(line('balanced'), /kept \(selected\)$/);
  assert.match(line('fast'), /in 29m 0s$/);
  assert.match(line('text'), /–$/);
  assert.match(text, /Loaded models\n\s+MODEL\s+MODES\s+MEMORY \(approx\.\)\s+FILE\n\s+isnet-medium\s+balanced, fast\s+2\.0 GB\s+\/m\/isnet\.onnx/);
});

test('Show Status names the GPU adapter, a provider that could not start, and each CPU check with its figures (issue 27)', () => {
  const text = statusReport({
    daemonState: 'connected',
    shared: true,
    currentMode: 'text',
    modes: [],
    status: {
      pid: 42,
      uptimeMs: 1000,
      clients: 1,
      rssBytes: 1024 ** 3,
      provider: 'webgpu',
      modes: [],
      gpu: {
        adapter: { provider: 'webgpu', backend: 'vulkan', vendor: 'Google', architecture: 'SwiftShader (software, CPU)', driver: 'libvk_swiftshader.so', f16: false, id: 'x', source: 'test' },
        unavailable: [{ provider: 'cuda', error: 'its libraries are not installed' }],
        checks: [
          { model: 'ppocrv4-det', mode: 'text', provider: 'webgpu', adapter: 'x', ortVersion: '1.30.0', passed: true, figures: { output: 'mask' as const, iou: 1, meanAlphaDiff: 0.02 }, remembered: true, checkedAt: '' },
          { model: 'isnet-medium', mode: 'fast', provider: 'webgpu', adapter: 'x', ortVersion: '1.30.0', passed: false, figures: { output: 'mask' as const, iou: 0.5, meanAlphaDiff: 40 }, remembered: false, checkedAt: '' },
        ],
        sessions: [],
        times: [],
      },
    },
  });
  assert.match(text, /adapter {4}Google SwiftShader \(software, CPU\) \(vulkan, no f16\)/);
  assert.match(text, /cuda {7}not available: its libraries are not installed/);
  assert.match(text, /ppocrv4-det on webgpu: passed \(IoU 1\.0000, mean alpha difference 0\.02\/255, remembered\)/);
  assert.match(text, /isnet-medium on webgpu: failed, runs on the CPU \(IoU 0\.5000, mean alpha difference 40\.00\/255\)/);
});
