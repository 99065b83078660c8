// The WebGPU adapter answer at an engine's start, and the "no adapter" answer remembered. Under
// `--provider auto` every engine start would probe for an adapter (about 0.5 s on a machine
// without a GPU, which every request waits for). A machine found without one is remembered in
// the cache folder (checkStore.ts, beside the CPU check's verdicts), keyed by what the answer
// depends on: the ONNX Runtime version (its Dawn), platform and architecture, and the GPU setup
// (gpuSetup.ts: Vulkan's driver manifests, VK_* variables, /dev/dri). The memo also expires
// after NO_ADAPTER_MAX_AGE_MS: where no file witnesses the setup (Metal, Direct3D 12) a new
// driver is seen within a day, and a cheap probe a day costs nothing. An adapter found is never
// remembered (the probe also tells f16 and the driver), and clears the memo; an explicit
// `--provider webgpu` always probes.
import type * as Ort from 'onnxruntime-node';
import type { GpuAdapterProbe } from '../../api/protocol';
import { AdapterProbe, probeWebGpu } from './adapter';
import { StoreKey, readEntry, removeEntry, writeEntry } from './checkStore';
import { gpuSetupFingerprint } from './gpuSetup';

export const NO_ADAPTER_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const FIELD = 'noAdapter';

/** What a remembered answer is keyed on. */
export function adapterMemoKey(ortVersion: string, gpuSetup: string = gpuSetupFingerprint()): StoreKey {
  return { answer: 'webgpu-adapter', ortVersion, platform: process.platform, arch: process.arch, gpuSetup };
}

/** The remembered "no adapter" answer: the probe's error and when it was found. */
export interface NoAdapter {
  error: string;
  probedAt: string;
}

/** The remembered answer for `key`, unless it is older than the age limit (or from the future). */
export async function readNoAdapter(cacheDir: string | undefined, key: StoreKey, now = Date.now()): Promise<NoAdapter | undefined> {
  const v = (await readEntry(cacheDir, key, FIELD)) as NoAdapter | undefined;
  if (typeof v?.error !== 'string' || typeof v.probedAt !== 'string') return undefined;
  const age = now - Date.parse(v.probedAt);
  return age >= 0 && age <= NO_ADAPTER_MAX_AGE_MS ? v : undefined;
}

export async function writeNoAdapter(cacheDir: string | undefined, key: StoreKey, v: NoAdapter): Promise<void> {
  await writeEntry(cacheDir, key, FIELD, v);
}

export interface AdapterAnswer {
  probe: AdapterProbe;
  /** Whether the answer came from the cache folder, and when it was found. */
  info: GpuAdapterProbe;
}

/**
 * The WebGPU adapter, or why there is none: remembered (`useMemo`, the `auto` choice) or probed.
 * A probe's "no adapter" is remembered (whatever the choice: it is as true for `auto`); an
 * adapter found forgets an older "none". Writing the memo never fails the start.
 */
export async function findWebGpuAdapter(ort: typeof Ort, o: { cacheDir?: string; ortVersion: string; useMemo: boolean; warn: (m: string) => void }): Promise<AdapterAnswer> {
  const key = adapterMemoKey(o.ortVersion);
  const memo = o.useMemo ? await readNoAdapter(o.cacheDir, key) : undefined;
  if (memo) {
    const error = `${memo.error} (remembered from a probe at ${memo.probedAt}; the webgpu provider chosen explicitly probes again)`;
    return { probe: { error, noAdapter: true }, info: { remembered: true, at: memo.probedAt } };
  }
  const at = new Date().toISOString();
  let probe: AdapterProbe;
  try {
    probe = await probeWebGpu(ort);
  } catch (e) {
    probe = { error: `the WebGPU probe failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
  }
  const remember = probe.noAdapter ? writeNoAdapter(o.cacheDir, key, { error: probe.error, probedAt: at }) : probe.adapter ? removeEntry(o.cacheDir, key) : undefined;
  await remember?.catch((e: unknown) => o.warn(`could not remember the WebGPU adapter answer in the cache folder: ${e instanceof Error ? e.message : String(e)}`));
  return { probe, info: { remembered: false, at } };
}
