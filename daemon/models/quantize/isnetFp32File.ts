// The float32 ISNet for GPUs without f16 (issue 27): the rewritten ISNet computes in fp16, which a
// WebGPU adapter without `shader-f16` (SwiftShader, some integrated GPUs) refuses ("Program
// Transpose requires f16"). This is the same graph in float32 (floatGraph.ts: fp16 weights
// widened exactly, Casts removed, only `output` kept): a deterministic cast, written beside the
// fp16 file with a sidecar like the int8 one, so later starts only read the sidecar.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { sha256, writeFileAtomicSync } from '../../util/fileOps';
import { isnetFloat32 } from './floatGraph';

export const ISNET_FP32_FILE = 'isnet-medium-fp32.onnx';
/** Bump when the cast writes something else: a sidecar with another version rebuilds the file. */
export const ISNET_FP32_VERSION = 1;

interface Fp32Sidecar {
  version: number;
  sourceSha256: string;
  outputSha256: string;
  outputSize: number;
}

export interface Fp32FileInfo {
  file: string;
  sha256: string;
}

/** The float32 model's bytes from the rewritten (fp16) ISNet's bytes (deterministic). */
export function isnetFp32Bytes(dynamicBytes: Uint8Array): Uint8Array {
  return onnx.ModelProto.encode(isnetFloat32(dynamicBytes, ['output'])).finish();
}

function current(file: string, sourceSha256: string): Fp32FileInfo | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as Fp32Sidecar;
    const fresh = s.version === ISNET_FP32_VERSION && s.sourceSha256 === sourceSha256 && /^[0-9a-f]{64}$/.test(s.outputSha256);
    return fresh && fs.statSync(file).size === s.outputSize ? { file, sha256: s.outputSha256 } : undefined;
  } catch {
    return undefined;
  }
}

/** Makes `<modelsDir>/isnet-medium-fp32.onnx` current for the rewritten ISNet `source`. */
export function ensureIsnetFp32(modelsDir: string, source: Fp32FileInfo, log: (msg: string) => void): Fp32FileInfo {
  const file = path.join(modelsDir, ISNET_FP32_FILE);
  const ready = current(file, source.sha256);
  if (ready) {
    log(`ISNet fp32: ${file} is current (v${ISNET_FP32_VERSION}, sha256 ${ready.sha256.slice(0, 12)}…)`);
    return ready;
  }
  const t = Date.now();
  const bytes = isnetFp32Bytes(fs.readFileSync(source.file));
  const outputSha256 = sha256(bytes);
  writeFileAtomicSync(file, bytes);
  const sidecar: Fp32Sidecar = { version: ISNET_FP32_VERSION, sourceSha256: source.sha256, outputSha256, outputSize: bytes.length };
  writeFileAtomicSync(`${file}.json`, JSON.stringify(sidecar, null, 2) + '\n');
  log(`ISNet fp32: wrote ${file} (float32 weights for GPUs without f16; ${bytes.length} bytes, sha256 ${outputSha256.slice(0, 12)}…) in ${Date.now() - t} ms`);
  return { file, sha256: outputSha256 };
}
