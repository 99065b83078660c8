// TEST ONLY: a GPU on a machine without one. Vulkan is pointed at SwiftShader, the software
// Vulkan driver in Debian's `chromium` package (installed by the e2e tooling, test/e2e/setup.mjs),
// through the Vulkan loader's VK_ICD_FILENAMES, with a private XDG_RUNTIME_DIR (Dawn's Vulkan
// backend wants a valid one). This is an environment of the test's daemon only: the product never
// sets either variable.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const KNOWN = ['/usr/lib/chromium/vk_swiftshader_icd.json'];

/** The SwiftShader ICD json, if installed (Debian's chromium package, or where dpkg says). */
export function swiftShaderIcd(): string | undefined {
  const listed = spawnSync('dpkg', ['-L', 'chromium'], { encoding: 'utf8' });
  const fromDpkg = listed.status === 0 ? listed.stdout.split('\n').filter((l) => /vk_swiftshader_icd\.json$/.test(l)) : [];
  return [...fromDpkg, ...KNOWN].find((f) => fs.existsSync(f));
}

/** The daemon's environment for a software GPU (or, with `icd: missing`, for a machine with no adapter at all). */
export function softwareGpuEnv(icd: string): { env: NodeJS.ProcessEnv; dispose: () => void } {
  const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-xdg-'));
  fs.chmodSync(runtime, 0o700);
  return {
    env: { VK_ICD_FILENAMES: icd, XDG_RUNTIME_DIR: runtime },
    dispose: () => fs.rmSync(runtime, { recursive: true, force: true }),
  };
}

/** Why the GPU suite cannot run here (undefined: it can). */
export function noSoftwareGpu(): string | undefined {
  return swiftShaderIcd() ? undefined : "SwiftShader's Vulkan driver is not installed (Debian's chromium package: node test/e2e/setup.mjs)";
}
