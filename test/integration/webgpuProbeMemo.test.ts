// The WebGPU probe at engine start, remembered (gpu/adapterMemo.ts): under `--provider auto` a
// machine found without an adapter is remembered in the cache folder, so the next start on that
// folder does not probe again; a change of the key (another ONNX Runtime version stored, another
// GPU setup) or an explicit `--provider webgpu` probes again. Real daemons on one cache folder.
// The Vulkan loader is pointed at a driver manifest that does not exist (VK_ICD_FILENAMES), so
// that there is no adapter on any Linux machine, GPU or not; its own log (VK_LOADER_DEBUG, on the
// engine's stderr, which the daemon passes on) witnesses, independently of the status, whether a
// probe ran.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GpuStatus } from '../../daemon/api/protocol';
import { CHECKS_FOLDER } from '../../daemon/engine/gpu/checkStore';
import { startListening, tempDir } from '../helpers/daemonProcess';

const linux = process.platform === 'linux';
/** Whether the machine has a Vulkan loader (then a probe shows in its log). */
const vulkanLoader = linux && /libvulkan\.so\.1\b/.test(spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }).stdout ?? '');
const LOADER_LINE = /Vulkan Loader Version/;

describe('the WebGPU probe at engine start, remembered in the cache folder (auto)', { skip: linux ? false : 'the test withholds the adapter through the Vulkan loader (Linux)' }, () => {
  let dir = '';
  let cacheDir = '';
  let env: NodeJS.ProcessEnv = {};
  before(() => {
    dir = tempDir();
    cacheDir = path.join(dir, 'cache');
    env = { VK_ICD_FILENAMES: path.join(dir, 'no-such-icd.json'), VK_LOADER_DEBUG: 'info' };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A daemon's GPU status after `initialize` (the engine answers once its adapter is known). */
  async function start(provider: 'auto' | 'webgpu', withEnv: NodeJS.ProcessEnv = env): Promise<GpuStatus & { loaderRan: boolean }> {
    const daemon = await startListening({ provider }, { cacheDir, env: withEnv });
    try {
      const client = await daemon.connect();
      const status = await client.status();
      client.dispose();
      assert.ok(status.gpu, 'status has no gpu');
      return { ...status.gpu, loaderRan: LOADER_LINE.test(daemon.stderr()) };
    } finally {
      await daemon.stop();
    }
  }
  const webgpuError = (g: GpuStatus) => g.unavailable.find((u) => u.provider === 'webgpu')?.error ?? '';
  const memoFiles = () => {
    const folder = path.join(cacheDir, CHECKS_FOLDER);
    const files = fs.existsSync(folder) ? fs.readdirSync(folder).map((f) => path.join(folder, f)) : [];
    return files.filter((f) => (JSON.parse(fs.readFileSync(f, 'utf8')) as { key?: { answer?: string } }).key?.answer === 'webgpu-adapter');
  };

  it('the first start probes; the second does not and reports the remembered answer', async () => {
    const first = await start('auto');
    assert.equal(first.adapter, undefined);
    assert.equal(first.adapterProbe?.remembered, false, JSON.stringify(first));
    assert.match(webgpuError(first), /^no WebGPU adapter: /);
    if (vulkanLoader) assert.ok(first.loaderRan, 'the probe did not show in the Vulkan loader log');
    const [memo] = memoFiles();
    assert.ok(memo, 'nothing remembered in the cache folder');
    assert.equal(fs.statSync(memo).mode & 0o777, 0o600);
    assert.equal(JSON.parse(fs.readFileSync(memo, 'utf8')).noAdapter.probedAt, first.adapterProbe?.at);

    const second = await start('auto');
    assert.equal(second.adapter, undefined);
    assert.deepEqual(second.adapterProbe, { remembered: true, at: first.adapterProbe?.at });
    assert.ok(webgpuError(second).startsWith(webgpuError(first)), `${webgpuError(second)} vs ${webgpuError(first)}`);
    assert.match(webgpuError(second), /remembered from a probe at /);
    assert.equal(second.loaderRan, false, 'the Vulkan loader ran: something probed');
    assert.equal(memoFiles().length, 1);
  });

  it('another ONNX Runtime version stored: the next start probes again and remembers its own', async () => {
    const [memo] = memoFiles();
    const stored = JSON.parse(fs.readFileSync(memo, 'utf8'));
    const at = stored.noAdapter.probedAt;
    fs.writeFileSync(memo, JSON.stringify({ ...stored, key: { ...stored.key, ortVersion: '0.0.1' } }));
    const g = await start('auto');
    assert.equal(g.adapterProbe?.remembered, false);
    assert.equal(g.loaderRan, vulkanLoader);
    assert.notEqual(g.adapterProbe?.at, at);
    const again = await start('auto');
    assert.deepEqual(again.adapterProbe, { remembered: true, at: g.adapterProbe?.at });
    assert.equal(again.loaderRan, false);
  });

  it('another GPU setup (the Vulkan loader pointed elsewhere) probes again', async () => {
    const g = await start('auto', { ...env, VK_ICD_FILENAMES: path.join(dir, 'another-icd.json') });
    assert.equal(g.adapterProbe?.remembered, false);
    assert.equal(g.loaderRan, vulkanLoader);
    assert.match(webgpuError(g), /^no WebGPU adapter: /);
  });

  it('an explicit --provider webgpu probes even with a remembered answer', async () => {
    assert.equal((await start('auto')).adapterProbe?.remembered, true, 'the answer is remembered for this setup');
    const g = await start('webgpu');
    assert.equal(g.adapterProbe?.remembered, false);
    assert.equal(g.loaderRan, vulkanLoader);
    assert.match(webgpuError(g), /^no WebGPU adapter: /);
  });
});
