// The int8 ISNet file in the models folder: built by ensureModels from the rewritten fp32/fp16
// ISNet and the committed calibrated ranges, with a sidecar like the rewritten model's, so that
// later starts only read the sidecar and check the size.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256, writeFileAtomicSync } from '../../util/fileOps';
import { buildIsnetInt8 } from './isnetInt8';
import { isnetRanges, RangeMethod } from './isnetRanges';

export const ISNET_INT8_FILE = 'isnet-medium-int8.onnx';
/** Bump when the builder writes something else: a sidecar with another version rebuilds the file. */
export const ISNET_INT8_VERSION = 1;
/** The calibration method whose ranges the shipped model uses (docs/models.md: measured). */
export const ISNET_INT8_METHOD: RangeMethod = 'mse';
/** Parts of the network kept in float beyond the plan's own rule (none: measured not to help). */
export const ISNET_INT8_FLOAT_PREFIXES: readonly string[] = [];

interface Int8Sidecar {
  version: number;
  method: RangeMethod;
  sourceSha256: string;
  rangesSha256: string;
  outputSha256: string;
  outputSize: number;
}

export interface Int8FileInfo {
  file: string;
  sha256: string;
}

/** sha256 of the ranges the model is built from (a change of them rebuilds it). */
function rangesDigest(): string {
  return sha256(Buffer.from(JSON.stringify(isnetRanges().methods[ISNET_INT8_METHOD])));
}

function current(file: string, sourceSha256: string): Int8FileInfo | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as Int8Sidecar;
    const fresh = s.version === ISNET_INT8_VERSION && s.method === ISNET_INT8_METHOD && s.sourceSha256 === sourceSha256 && s.rangesSha256 === rangesDigest();
    return fresh && /^[0-9a-f]{64}$/.test(s.outputSha256) && fs.statSync(file).size === s.outputSize ? { file, sha256: s.outputSha256 } : undefined;
  } catch {
    return undefined;
  }
}

/** The int8 model's bytes from the rewritten ISNet's bytes (deterministic). */
export function isnetInt8Bytes(dynamicBytes: Uint8Array): Uint8Array {
  return buildIsnetInt8(dynamicBytes, isnetRanges().methods[ISNET_INT8_METHOD], ISNET_INT8_VERSION, ISNET_INT8_FLOAT_PREFIXES).bytes;
}

/** Makes `<modelsDir>/isnet-medium-int8.onnx` current for the rewritten ISNet `source`. */
export function ensureIsnetInt8(modelsDir: string, source: Int8FileInfo, log: (msg: string) => void): Int8FileInfo {
  const file = path.join(modelsDir, ISNET_INT8_FILE);
  const ready = current(file, source.sha256);
  if (ready) {
    log(`ISNet int8: ${file} is current (v${ISNET_INT8_VERSION}, ${ISNET_INT8_METHOD} ranges, sha256 ${ready.sha256.slice(0, 12)}…)`);
    return ready;
  }
  const t = Date.now();
  const bytes = isnetInt8Bytes(fs.readFileSync(source.file));
  const outputSha256 = sha256(bytes);
  writeFileAtomicSync(file, bytes);
  const sidecar: Int8Sidecar = { version: ISNET_INT8_VERSION, method: ISNET_INT8_METHOD, sourceSha256: source.sha256, rangesSha256: rangesDigest(), outputSha256, outputSize: bytes.length };
  writeFileAtomicSync(`${file}.json`, JSON.stringify(sidecar, null, 2) + '\n');
  log(`ISNet int8: built ${file} (QDQ, ${ISNET_INT8_METHOD} ranges; ${bytes.length} bytes, sha256 ${outputSha256.slice(0, 12)}…) in ${Date.now() - t} ms`);
  return { file, sha256: outputSha256 };
}
