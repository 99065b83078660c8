// The WebGPU adapter the engine runs on, found as well as onnxruntime-node 1.30 allows: it does
// not expose the adapter Dawn picked (no GetAdapterInfo in the Node binding). So:
//  - whether an adapter exists at all, and whether it has f16, is asked of ONNX Runtime itself
//    (the f16 probe graph, f16Probe.ts, on the WebGPU provider with the CPU fallback off);
//  - which one it is: on Linux, the Vulkan driver library Dawn loaded into this process (read
//    from /proc/self/maps once the probe session exists), named by a table of known drivers.
//    Elsewhere only the backend is known (Metal, Direct3D 12).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { GpuAdapterInfo } from '../../api/protocol';
import { F16_PROBE_INPUT, F16_PROBE_OUTPUT, f16ProbeModel, lacksF16 } from './f16Probe';

/** Vulkan driver libraries → vendor and architecture (Mesa's names, the vendors' own). */
const VULKAN_DRIVERS: { re: RegExp; vendor: string; architecture: string }[] = [
  { re: /^libvk_swiftshader\.so/, vendor: 'Google', architecture: 'SwiftShader (software, CPU)' },
  { re: /^libvulkan_lvp\.so/, vendor: 'Mesa', architecture: 'lavapipe (software, CPU)' },
  { re: /^libvulkan_radeon\.so/, vendor: 'AMD', architecture: 'RADV (Mesa)' },
  { re: /^libvulkan_intel_hasvk\.so/, vendor: 'Intel', architecture: 'hasvk (Mesa, gen 7-8)' },
  { re: /^libvulkan_intel\.so/, vendor: 'Intel', architecture: 'ANV (Mesa)' },
  { re: /^libvulkan_nouveau\.so/, vendor: 'NVIDIA', architecture: 'NVK (Mesa)' },
  { re: /^libGLX_nvidia\.so|^libnvidia-glvkspirv/, vendor: 'NVIDIA', architecture: 'NVIDIA proprietary driver' },
  { re: /^libvulkan_freedreno\.so/, vendor: 'Qualcomm', architecture: 'Turnip (Mesa)' },
  { re: /^libvulkan_panfrost\.so/, vendor: 'ARM', architecture: 'PanVK (Mesa)' },
  { re: /^libvulkan_broadcom\.so/, vendor: 'Broadcom', architecture: 'V3DV (Mesa)' },
  { re: /^libvulkan_virtio\.so/, vendor: 'virtio', architecture: 'Venus (Mesa, virtual GPU)' },
  { re: /^libvulkan_dzn\.so/, vendor: 'Microsoft', architecture: 'Dozen (Mesa, over D3D12)' },
];

/** The Vulkan drivers mapped in a process, from its /proc/<pid>/maps text (the loader and layers excluded). */
export function mappedVulkanDrivers(maps: string): string[] {
  const libs = new Set<string>();
  for (const line of maps.split('\n')) {
    const file = line.trim().split(/\s+/)[5];
    if (!file || !file.startsWith('/')) continue;
    const base = path.basename(file);
    if (VULKAN_DRIVERS.some((d) => d.re.test(base))) libs.add(base);
  }
  return [...libs];
}

/** The platform's WebGPU backend (Dawn's choice on each). */
export function webgpuBackend(platform: NodeJS.Platform = process.platform): string {
  return platform === 'darwin' ? 'metal' : platform === 'win32' ? 'd3d12' : 'vulkan';
}

/** Adapter facts from the drivers mapped in the process (several: the loader opened each, Dawn used one of them). */
export function describeAdapter(backend: string, drivers: string[], f16: boolean): GpuAdapterInfo {
  const known = drivers.length === 1 ? VULKAN_DRIVERS.find((d) => d.re.test(drivers[0])) : undefined;
  const driver = drivers.length > 0 ? drivers.join(', ') : undefined;
  const source =
    backend !== 'vulkan'
      ? 'ONNX Runtime does not expose the adapter: backend by platform, f16 by a probe run'
      : known
        ? 'the Vulkan driver Dawn loaded (/proc/self/maps); f16 by a probe run (onnxruntime-node does not expose the adapter)'
        : 'f16 by a probe run; the driver could not be singled out (onnxruntime-node does not expose the adapter)';
  const id = `${backend}:${driver ?? 'unknown'}:${f16 ? 'f16' : 'no-f16'}`;
  return { provider: 'webgpu', backend, vendor: known?.vendor, architecture: known?.architecture, driver, f16, id, source };
}

/** An adapter, or why there is none (`noAdapter`: ONNX Runtime found no adapter at all, as opposed to one that failed). */
export type AdapterProbe = { adapter: GpuAdapterInfo; error?: undefined; noAdapter?: undefined } | { adapter?: undefined; error: string; noAdapter?: true };

/** The readable part of an ORT/Dawn failure ("... was false. Failed to get a WebGPU adapter: No supported adapters"). */
export function adapterError(message: string): string {
  const first = message.split('\n').find((l) => l.trim().length > 0) ?? message;
  const m = /was false\. (.*)$/.exec(first);
  return (m ? m[1] : first).trim();
}

/**
 * Creates the f16 probe session on WebGPU: no adapter → `error`; otherwise runs it (f16 or
 * not) and names the adapter. `readMaps` is for tests.
 */
export async function probeWebGpu(ort: typeof Ort, readMaps: () => string = () => fs.readFileSync('/proc/self/maps', 'utf8')): Promise<AdapterProbe> {
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(f16ProbeModel(), {
      executionProviders: ['webgpu'],
      logSeverityLevel: 4,
      extra: { session: { disable_cpu_ep_fallback: '1' } },
    });
  } catch (e) {
    return { error: `no WebGPU adapter: ${adapterError(e instanceof Error ? e.message : String(e))}`, noAdapter: true };
  }
  let f16: boolean;
  try {
    const out = await session.run({ x: new ort.Tensor('float32', F16_PROBE_INPUT, [1, 1, 2, 3]) });
    const y = out.y.data as Float32Array;
    f16 = y.length === F16_PROBE_OUTPUT.length && y.every((v, i) => v === F16_PROBE_OUTPUT[i]);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!lacksF16(msg)) {
      await session.release();
      return { error: `the WebGPU adapter failed a first run: ${adapterError(msg)}` };
    }
    f16 = false;
  }
  await session.release();
  const backend = webgpuBackend();
  let drivers: string[] = [];
  if (process.platform === 'linux') {
    try {
      drivers = mappedVulkanDrivers(readMaps());
    } catch {
      /* no /proc: the driver stays unknown */
    }
  }
  return { adapter: describeAdapter(backend, drivers, f16) };
}

/** One line for the log. */
export function adapterLine(a: GpuAdapterInfo): string {
  const who = a.vendor ? `${a.vendor} ${a.architecture}` : (a.driver ?? 'adapter not named by ONNX Runtime');
  return `WebGPU adapter: ${who} (${a.backend}${a.driver && a.vendor ? `, ${a.driver}` : ''}), ${a.f16 ? 'f16' : 'no f16'}`;
}
