// Loading onnxruntime-node in the engine, with a failure the user can act on. On a clean
// Windows the binding's onnxruntime.dll cannot load (error 126, "The specified module could not
// be found") because the Microsoft Visual C++ runtime it imports (MSVCP140, VCRUNTIME140,
// VCRUNTIME140_1) is not installed: say so, and what to install, instead of the DLL's path.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';

/** The MSVC runtime DLLs onnxruntime.dll imports (read from its PE import table). */
const MSVC_RUNTIME = ['msvcp140.dll', 'vcruntime140.dll', 'vcruntime140_1.dll'];

export type OrtLoad = { ort: typeof Ort; error?: undefined } | { ort?: undefined; error: Error };

/** onnxruntime-node, or why it could not be loaded (the engine then refuses every model load with it). */
export function loadOrt(): OrtLoad {
  try {
    return { ort: require('onnxruntime-node') as typeof Ort };
  } catch (e) {
    return { error: explainOrtLoadError(e) };
  }
}

/**
 * The error to show for a failed load. On Windows, a DLL that could not be loaded while the
 * Visual C++ runtime is missing from System32 names the redistributable (the message itself is
 * localised, so the check is on the files, not on the text).
 */
export function explainOrtLoadError(
  e: unknown,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
  exists: (f: string) => boolean = fs.existsSync,
  systemRoot: string = process.env.SystemRoot ?? 'C:\\Windows',
): Error {
  const message = e instanceof Error ? e.message : String(e);
  const dlopen = (e as NodeJS.ErrnoException | undefined)?.code === 'ERR_DLOPEN_FAILED';
  if (platform === 'win32' && dlopen) {
    const missing = MSVC_RUNTIME.filter((dll) => !exists(path.win32.join(systemRoot, 'System32', dll)));
    if (missing.length > 0) {
      return new Error(
        `ONNX Runtime could not be loaded (Windows error 126: ${firstLine(message)}): the Microsoft Visual C++ Redistributable ` +
          `(2015-2022, ${arch === 'arm64' ? 'ARM64' : 'x64'}) is not installed (${missing.join(', ')} missing). Install it from Microsoft ` +
          `(vc_redist.${arch === 'arm64' ? 'arm64' : 'x64'}.exe), then restart the SegLens daemon.`,
      );
    }
  }
  return new Error(`ONNX Runtime could not be loaded: ${firstLine(message)}`);
}

function firstLine(s: string): string {
  return s.split(/\r?\n/)[0];
}
