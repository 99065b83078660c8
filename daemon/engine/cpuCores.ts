// How many ONNX Runtime intra-op threads to use. docs/models.md measured physical cores as the best
// setting; Node only reports logical CPUs, so on Linux the cores are counted from
// /proc/cpuinfo (distinct physical id + core id pairs), which sees SMT siblings as one core.
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/** Physical cores in a /proc/cpuinfo text, or undefined when it does not say (e.g. most ARM kernels). */
export function physicalCoresFromCpuinfo(text: string): number | undefined {
  const cores = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (core === undefined) continue;
    const pkg = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1] ?? '0';
    cores.add(`${pkg}/${core}`);
  }
  return cores.size > 0 ? cores.size : undefined;
}

/** Physical cores where the OS says, else logical CPUs; never more than the CPUs this process may use. */
export function defaultIntraOpThreads(): number {
  const logical = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (process.platform !== 'linux') return logical;
  try {
    const physical = physicalCoresFromCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
    return physical ? Math.max(1, Math.min(physical, logical)) : logical;
  } catch {
    return logical;
  }
}
