// Execution provider choice: which ONNX Runtime providers to try, in which order, and the
// fallback loop that ends on the CPU so the daemon always serves. Pure apart from the
// injected `create`, so the order and the fallback are unit-testable without a GPU.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogLevel, PROVIDER_CHOICES, ProviderChoice } from '../api/constants';
export { type ProviderChoice } from '../api/constants';

/** A concrete execution provider name as ONNX Runtime (onnxruntime-node) spells it. */
export type ProviderName = 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';

/** The platform's own GPU provider onnxruntime-node offers (none elsewhere). */
export function platformGpuProvider(platform: NodeJS.Platform): ProviderName | undefined {
  switch (platform) {
    case 'linux':
      return 'cuda';
    case 'win32':
      return 'dml';
    case 'darwin':
      return 'coreml';
    default:
      return undefined;
  }
}

/**
 * The GPU providers `auto` tries on a platform, in order: the platform's own (CUDA, DirectML,
 * CoreML), then WebGPU (Dawn, bundled in onnxruntime-node on Linux, macOS and Windows x64: Vulkan,
 * Metal, Direct3D 12). Whichever starts is used only once it has passed the CPU check (gpu/).
 */
export function platformGpuProviders(platform: NodeJS.Platform): ProviderName[] {
  const own = platformGpuProvider(platform);
  if (!own) return [];
  return [own, 'webgpu'];
}

/**
 * The providers to try, in order; the last is always 'cpu'. `auto` tries the platform's GPU
 * provider first; an explicit GPU provider is tried even on another platform (it will fail
 * and fall back, with a warning) so a misconfiguration is visible rather than silently ignored.
 */
export function providerCandidates(choice: ProviderChoice, platform: NodeJS.Platform = process.platform): ProviderName[] {
  if (choice === 'cpu') return ['cpu'];
  if (choice === 'auto') return [...platformGpuProviders(platform), 'cpu'];
  return [choice, 'cpu'];
}

/**
 * Whether sessions made under `choice` will run on the CPU provider: 'cpu', or every GPU
 * candidate's libraries missing (checked without loading ONNX Runtime, as the engine skips them).
 * Under `auto`, WebGPU does not count: whether an adapter exists is known only to the engine,
 * and a model it runs there must first pass the CPU check (so `auto` keeps the CPU's choices).
 */
export function runsOnCpu(choice: ProviderChoice, binDir: string | undefined = ortBinDir(), platform: NodeJS.Platform = process.platform): boolean {
  return providerCandidates(choice, platform).every((p) => p === 'cpu' || (choice === 'auto' && p === 'webgpu') || !gpuLibrariesPresent(p, binDir));
}

/** onnxruntime-node's `executionProviders` session option for one candidate. */
export function executionProvidersFor(p: ProviderName): string[] {
  return [p];
}

/**
 * Best-effort check, without creating a session, that a GPU provider's libraries are
 * installed next to onnxruntime-node's binding. Only CUDA ships separately (its install
 * script with `--onnxruntime-node-install=cuda12`); DirectML and CoreML are in the binding.
 * `binDir` is the folder holding onnxruntime_binding.node. Unknown → true (let ORT decide).
 */
export function gpuLibrariesPresent(p: ProviderName, binDir: string | undefined, exists: (f: string) => boolean = fs.existsSync): boolean {
  if (p !== 'cuda' || !binDir) return true;
  return exists(path.join(binDir, 'libonnxruntime_providers_cuda.so')) || exists(path.join(binDir, 'onnxruntime_providers_cuda.dll'));
}

/** One entry of onnxruntime-node's `listSupportedBackends()`: `bundled: false` needs libraries installed apart (CUDA). */
export interface SupportedBackend {
  name: string;
  bundled: boolean;
}

const PROVIDER_NAMES: readonly string[] = PROVIDER_CHOICES.filter((c) => c !== 'auto');

/**
 * The providers SegLens can use with this binding, asked of the binding itself
 * (`listSupportedBackends()`), not assumed from the platform: the ones it bundles, and those it
 * was built for whose libraries are installed (CUDA). Always starts with 'cpu'.
 */
export function usableProviders(backends: readonly SupportedBackend[], binDir: string | undefined, exists?: (f: string) => boolean): ProviderName[] {
  const usable = backends
    .filter((b) => PROVIDER_NAMES.includes(b.name) && b.name !== 'cpu')
    .filter((b) => b.bundled || gpuLibrariesPresent(b.name as ProviderName, binDir, exists))
    .map((b) => b.name as ProviderName);
  return ['cpu', ...usable];
}

/**
 * Why `p` cannot be tried with this binding (undefined: try it), as the fallback's `skip`: a
 * provider the binding was not built with, or CUDA without its libraries.
 */
export function providerProblem(p: ProviderName, backends: readonly SupportedBackend[], binDir: string | undefined, exists?: (f: string) => boolean): string | undefined {
  const listed = backends.find((b) => b.name === p);
  if (!listed) {
    const has = usableProviders(backends, binDir, exists).join(', ');
    return `this build of ONNX Runtime (${process.platform}-${process.arch}) has no ${p} execution provider; it has ${has}`;
  }
  if (!listed.bundled && !gpuLibrariesPresent(p, binDir, exists)) {
    return `its libraries are not installed (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install, then package again: README, "NVIDIA GPUs on Linux")`;
  }
  return undefined;
}

/** Where onnxruntime-node keeps its native binding for this process, if resolvable. */
export function ortBinDir(): string | undefined {
  try {
    const pkg = require.resolve('onnxruntime-node/package.json');
    return path.join(path.dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

export type ProviderLog = (level: LogLevel, message: string) => void;

export interface FallbackResult<T> {
  value: T;
  provider: ProviderName;
  /** Candidates that were tried and failed, with why. */
  failures: { provider: ProviderName; error: string }[];
}

/**
 * Tries `create` with each candidate in order until one succeeds. A GPU failure is logged
 * (warn when the user asked for that provider explicitly, info for `auto`) and the next
 * candidate is tried; the CPU failing is the real error and is rethrown unchanged.
 * `skip(p)` may veto a candidate without trying it (for example missing CUDA libraries).
 */
export async function createWithFallback<T>(
  choice: ProviderChoice,
  create: (providers: string[], provider: ProviderName) => Promise<T>,
  opts: { platform?: NodeJS.Platform; log?: ProviderLog; skip?: (p: ProviderName) => string | undefined } = {},
): Promise<FallbackResult<T>> {
  const log = opts.log ?? (() => undefined);
  const candidates = providerCandidates(choice, opts.platform ?? process.platform);
  const failures: FallbackResult<T>['failures'] = [];
  for (let i = 0; i < candidates.length; i++) {
    const p = candidates[i];
    const last = i === candidates.length - 1;
    const next = last ? undefined : candidates[i + 1];
    const skipped = last ? undefined : opts.skip?.(p);
    if (skipped) {
      failures.push({ provider: p, error: skipped });
      log(choice === 'auto' ? 'info' : 'warn', `execution provider ${p} not available (${skipped}); using ${next}`);
      continue;
    }
    try {
      const value = await create(executionProvidersFor(p), p);
      if (failures.length > 0 || choice !== 'cpu') log('info', `execution provider: ${p}${failures.length ? ` (after ${failures.map((f) => f.provider).join(', ')} failed)` : ''}`);
      return { value, provider: p, failures };
    } catch (e) {
      if (last) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      failures.push({ provider: p, error: msg });
      log(choice === 'auto' ? 'info' : 'warn', `execution provider ${p} failed (${firstLine(msg)}); falling back to ${next}`);
    }
  }
  /* istanbul ignore next: the loop always returns or throws */
  throw new Error('no execution provider candidates');
}

function firstLine(s: string): string {
  const line = s.split('\n')[0];
  return line.length > 200 ? line.slice(0, 200) + '…' : line;
}
