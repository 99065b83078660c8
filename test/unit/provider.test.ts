// Execution provider choice and fallback, with an injected session creator (no GPU needed).
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  ProviderName,
  createWithFallback,
  gpuLibrariesPresent,
  ortBinDir,
  platformGpuProvider,
  providerCandidates,
  providerProblem,
  usableProviders,
} from '../../daemon/engine/provider';
import { redMatteModel, writeModel } from '../helpers/buildModels';
import { defaultWarmupShape, SMALL_WARMUP_SIDE, warmupInputSize } from '../../daemon/engine/warmupShape';

describe('provider candidates', () => {
  it('auto tries the platform GPU provider first, then WebGPU, then the CPU', () => {
    assert.deepEqual(providerCandidates('auto', 'linux'), ['cuda', 'webgpu', 'cpu']);
    assert.deepEqual(providerCandidates('auto', 'win32'), ['dml', 'webgpu', 'cpu']);
    assert.deepEqual(providerCandidates('auto', 'darwin'), ['coreml', 'webgpu', 'cpu']);
    assert.deepEqual(providerCandidates('auto', 'freebsd'), ['cpu']);
  });

  it('cpu is only the CPU; an explicit GPU provider falls back to the CPU', () => {
    assert.deepEqual(providerCandidates('cpu', 'linux'), ['cpu']);
    assert.deepEqual(providerCandidates('cuda', 'linux'), ['cuda', 'cpu']);
    assert.deepEqual(providerCandidates('dml', 'win32'), ['dml', 'cpu']);
    assert.deepEqual(providerCandidates('coreml', 'linux'), ['coreml', 'cpu']);
    assert.deepEqual(providerCandidates('webgpu', 'linux'), ['webgpu', 'cpu']);
  });

  it('lists what the binding has: bundled providers, and CUDA only with its libraries', () => {
    const linuxX64 = [
      { name: 'cpu', bundled: true },
      { name: 'webgpu', bundled: true },
      { name: 'cuda', bundled: false },
      { name: 'tensorrt', bundled: false },
    ];
    assert.deepEqual(usableProviders(linuxX64, '/ort/bin', () => false), ['cpu', 'webgpu'], 'no CUDA libraries; tensorrt is not a SegLens choice');
    assert.deepEqual(usableProviders(linuxX64, '/ort/bin', (f) => f.endsWith('libonnxruntime_providers_cuda.so')), ['cpu', 'webgpu', 'cuda']);
    assert.deepEqual(usableProviders([{ name: 'cpu', bundled: true }], '/ort/bin'), ['cpu'], 'linux-arm64: the CPU only');
    assert.deepEqual(usableProviders([{ name: 'cpu', bundled: true }, { name: 'dml', bundled: true }], undefined), ['cpu', 'dml']);
    assert.equal(platformGpuProvider('aix'), undefined);
  });

  it('the real binding here: the CPU first, then only what listSupportedBackends() reports as usable', () => {
    const backends = ort.listSupportedBackends();
    const listed = usableProviders(backends, ortBinDir());
    assert.equal(listed[0], 'cpu');
    for (const p of listed.slice(1)) assert.ok(backends.some((b) => b.name === p), `${p} is not in ${JSON.stringify(backends)}`);
    assert.equal(providerProblem('cpu', backends, ortBinDir()), undefined);
  });

  it('knows whether the CUDA libraries are installed beside the binding', () => {
    assert.equal(
      gpuLibrariesPresent('cuda', '/ort/bin', () => false),
      false,
    );
    assert.equal(
      gpuLibrariesPresent('cuda', '/ort/bin', (f) => f.endsWith('libonnxruntime_providers_cuda.so')),
      true,
    );
    assert.equal(
      gpuLibrariesPresent('dml', '/ort/bin', () => false),
      true,
    );
  });
});

describe('fallback loop', () => {
  it('an absent GPU provider asked for explicitly: a clear message, and a real CPU session', async () => {
    const backends = ort.listSupportedBackends();
    const absent = (['coreml', 'dml', 'cuda'] as const).find((p) => providerProblem(p, backends, ortBinDir()) !== undefined);
    assert.ok(absent, `every GPU provider is usable here: ${JSON.stringify(backends)}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-provider-'));
    try {
      const model = writeModel(dir, 'tiny.onnx', redMatteModel('sigmoid', [8, 8]));
      const logs: [string, string][] = [];
      const tried: string[][] = [];
      const r = await createWithFallback(
        absent,
        (executionProviders) => {
          tried.push(executionProviders);
          return ort.InferenceSession.create(model, { executionProviders });
        },
        { log: (l, m) => logs.push([l, m]), skip: (p) => providerProblem(p, backends, ortBinDir()) },
      );
      assert.equal(r.provider, 'cpu');
      assert.deepEqual(tried, [['cpu']], 'the absent provider is not even tried');
      assert.ok(r.failures[0].error.includes(`has no ${absent} execution provider`) || /libraries are not installed/.test(r.failures[0].error), r.failures[0].error);
      assert.ok(logs.some(([l, m]) => l === 'warn' && m.includes(`execution provider ${absent} not available`) && m.includes('using cpu')), JSON.stringify(logs));
      await r.value.release();
      // auto with the real binding: the platform's GPU provider when usable, else the CPU, a working session either way.
      const a = await createWithFallback('auto', (executionProviders) => ort.InferenceSession.create(model, { executionProviders }), {
        skip: (p) => providerProblem(p, backends, ortBinDir()),
      });
      const gpu = platformGpuProvider(process.platform);
      if (!gpu || providerProblem(gpu, backends, ortBinDir())) assert.equal(a.provider, 'cpu');
      await a.value.release();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const recorder = (fail: ProviderName[]) => {
    const tried: string[][] = [];
    const create = async (eps: string[], p: ProviderName) => {
      tried.push(eps);
      if (fail.includes(p)) throw new Error(`${p} backend not found\nsecond line`);
      return `session on ${p}`;
    };
    return { tried, create };
  };

  it('auto on linux without CUDA ends on the CPU and says so', async () => {
    const { tried, create } = recorder(['cuda', 'webgpu']);
    const logs: [string, string][] = [];
    const r = await createWithFallback('auto', create, { platform: 'linux', log: (l, m) => logs.push([l, m]) });
    assert.deepEqual(tried, [['cuda'], ['webgpu'], ['cpu']]);
    assert.equal(r.provider, 'cpu');
    assert.equal(r.value, 'session on cpu');
    assert.deepEqual(
      r.failures.map((f) => f.provider),
      ['cuda', 'webgpu'],
    );
    assert.ok(logs.some(([l, m]) => l === 'info' && /cuda failed.*falling back to webgpu/.test(m)), JSON.stringify(logs));
    assert.ok(logs.some(([l, m]) => l === 'info' && /webgpu failed.*falling back to cpu/.test(m)), JSON.stringify(logs));
    assert.ok(logs.some(([, m]) => /execution provider: cpu/.test(m)));
  });

  it('an explicit GPU provider that fails warns and falls back', async () => {
    const { tried, create } = recorder(['dml']);
    const logs: [string, string][] = [];
    const r = await createWithFallback('dml', create, { platform: 'win32', log: (l, m) => logs.push([l, m]) });
    assert.deepEqual(tried, [['dml'], ['cpu']]);
    assert.equal(r.provider, 'cpu');
    assert.ok(logs.some(([l, m]) => l === 'warn' && /dml failed/.test(m) && !/second line/.test(m)));
  });

  it('a working GPU provider is used', async () => {
    const { tried, create } = recorder([]);
    const r = await createWithFallback('auto', create, { platform: 'darwin' });
    assert.deepEqual(tried, [['coreml']]);
    assert.equal(r.provider, 'coreml');
    assert.equal(r.failures.length, 0);
  });

  it('cpu never tries a GPU provider', async () => {
    const { tried, create } = recorder([]);
    const r = await createWithFallback('cpu', create, { platform: 'linux' });
    assert.deepEqual(tried, [['cpu']]);
    assert.equal(r.provider, 'cpu');
  });

  it('a vetoed candidate is skipped without trying it', async () => {
    const { tried, create } = recorder([]);
    const r = await createWithFallback('cuda', create, { platform: 'linux', skip: (p) => (p === 'cuda' ? 'libraries missing' : undefined) });
    assert.deepEqual(tried, [['cpu']]);
    assert.equal(r.provider, 'cpu');
    assert.equal(r.failures[0].error, 'libraries missing');
  });

  it('the CPU is never vetoed, and its failure is the error', async () => {
    const { tried, create } = recorder(['cuda', 'cpu']);
    await assert.rejects(createWithFallback('auto', create, { platform: 'linux', skip: () => 'nope' }), /cpu backend not found/);
    assert.deepEqual(tried, [['cpu']]);
    const r2 = recorder(['cuda', 'webgpu', 'cpu']);
    await assert.rejects(createWithFallback('auto', r2.create, { platform: 'linux' }), /cpu backend not found/);
    assert.deepEqual(r2.tried, [['cuda'], ['webgpu'], ['cpu']]);
  });
});

// ---------------------------------------------------------------- warm-up shape per provider (issue #14)

test('warm-ups run at full size by default (the CPU included: measured), small only where a mode asks, never above the mode size', () => {
  const mode = { inputSize: [1024, 768] as [number, number], layout: 'NCHW' as const };
  const dynamic = ['batch', 3, 'height', 'width'];
  for (const p of ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml']) assert.equal(defaultWarmupShape(p), 'full', p);
  assert.deepEqual(warmupInputSize(mode, 'cpu', dynamic), [1024, 768], 'the CPU default: the real shape');
  assert.deepEqual(warmupInputSize(mode, 'cuda', dynamic), [1024, 768], 'shape-specific kernels: the real shape');
  assert.deepEqual(warmupInputSize({ ...mode, warmupShape: 'small' }, 'cpu', dynamic), [SMALL_WARMUP_SIDE, SMALL_WARMUP_SIDE], 'the mode definition overrides');
  assert.deepEqual(warmupInputSize({ ...mode, warmupShape: 'small' }, 'cpu', [1, 3, -1, -1]), [256, 256]);
  assert.deepEqual(warmupInputSize({ ...mode, warmupShape: 'small' }, 'cuda', dynamic), [1024, 768], 'a GPU compiles per shape: always the full shape (issue 27)');
  assert.deepEqual(warmupInputSize({ ...mode, warmupShape: 'small' }, 'webgpu', dynamic), [1024, 768]);
  assert.deepEqual(warmupInputSize({ ...mode, warmupShape: 'small' }, 'cpu', [1, 3, 1024, 768]), [1024, 768], 'a fixed model only runs at its own shape');
  assert.deepEqual(warmupInputSize({ ...mode, warmupShape: 'small' }, 'cpu', undefined), [1024, 768], 'unknown shape: full size');
  assert.deepEqual(warmupInputSize({ inputSize: [192, 640], layout: 'NHWC', warmupShape: 'small' }, 'cpu', [1, 'h', 'w', 3]), [192, 256], 'never above the mode size');
});
