// How many ONNX Runtime intra-op threads to use. docs/models.md measured physical cores as the best
// setting; Node only reports logical CPUs, so the physical cores are asked of the OS: on Linux
// /proc/cpuinfo (distinct physical id + core id pairs, SMT siblings seen as one core), on macOS
// `sysctl hw.physicalcpu`, on Windows Win32_Processor's NumberOfCores (through PowerShell, once
// per engine). Where the OS does not say, the logical CPUs.
import { execFileSync } from 'node:child_process';
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

/** A command's output, or undefined when it failed; injected by tests. */
export type RunCommand = (file: string, args: string[]) => string | undefined;

const runQuietly: RunCommand = (file, args) => {
  try {
    return execFileSync(file, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
  } catch {
    return undefined;
  }
};

/** The physical cores `platform` reports, or undefined when it does not say. */
export function physicalCores(platform: NodeJS.Platform, run: RunCommand = runQuietly, cpuinfo: () => string = () => readFileSync('/proc/cpuinfo', 'utf8')): number | undefined {
  let n: number | undefined;
  if (platform === 'linux') {
    try {
      n = physicalCoresFromCpuinfo(cpuinfo());
    } catch {
      n = undefined;
    }
  } else if (platform === 'darwin') {
    n = Number(run('sysctl', ['-n', 'hw.physicalcpu'])?.trim());
  } else if (platform === 'win32') {
    // The sum over sockets; wmic is gone from recent Windows, CIM is everywhere since Windows 8.
    const out = run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', '(Get-CimInstance Win32_Processor | Measure-Object -Property NumberOfCores -Sum).Sum']);
    n = Number(out?.trim());
  }
  return n !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

let cached: number | undefined;

/** Physical cores where the OS says, else logical CPUs; never more than the CPUs this process may use. */
export function defaultIntraOpThreads(): number {
  const logical = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  cached ??= physicalCores(process.platform) ?? logical;
  return Math.max(1, Math.min(cached, logical));
}
