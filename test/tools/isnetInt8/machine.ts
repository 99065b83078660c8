// The machine line written into every int8 figure: CPU model, cores, and the instruction sets
// the int8 kernels care about (from /proc/cpuinfo), plus Node and ONNX Runtime versions.
import * as fs from 'node:fs';
import * as os from 'node:os';

const FLAGS = ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni', 'amx_int8'];

export function machineLine(): string {
  let flags: string[] = [];
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags')) ?? '';
    const have = new Set(line.split(':')[1]?.trim().split(/\s+/));
    flags = FLAGS.filter((f) => have.has(f));
  } catch {
    /* not Linux: the model name alone */
  }
  const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;
  return `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${flags.join(' ') || 'no flags read'}; Node ${process.version}, onnxruntime-node ${ortVersion}`;
}
