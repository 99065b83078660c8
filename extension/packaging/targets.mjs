// The VSIX targets: which can be built (and from any machine), which are refused and why, and
// what each needs from the native packages (node's platform/arch for onnxruntime-node's
// bin/napi-v6/<platform>/<arch>, sharp's platform tag for its @img packages).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The targets `--all` builds. */
export const BUILDABLE = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
/** vsce's other targets, each refused with its reason by targetProblem(). */
export const REFUSED = ['darwin-x64', 'alpine-x64', 'alpine-arm64', 'linux-armhf', 'web'];

/** Node's (platform, arch) and sharp's platform tag for a vsce target. */
export function targetInfo(target) {
  const [os, vsceArch] = target.split('-');
  const arch = vsceArch === 'armhf' ? 'arm' : vsceArch;
  const platform = os === 'alpine' ? 'linux' : os;
  const sharpTag = os === 'alpine' ? `linuxmusl-${arch}` : `${platform}-${arch}`;
  return { platform, arch, sharpTag };
}

/**
 * Why `target` cannot be built (undefined when it can). `ortVersion` and `ortBin` (onnxruntime-
 * node's bin/napi-v6 folder) let the answer come from what the pinned package really ships.
 */
export function targetProblem(target, ortVersion, ortBin) {
  const known = [...BUILDABLE, ...REFUSED];
  if (!known.includes(target)) return `unknown target '${target}'; the targets are ${known.join(', ')}`;
  if (target === 'web') return 'a web extension cannot start the native inference daemon';
  if (target.startsWith('alpine-')) {
    return `onnxruntime-node ${ortVersion} ships glibc Linux binaries only: beside sharp's musl build they would fail to load on Alpine (musl)`;
  }
  const { platform, arch } = targetInfo(target);
  if (!fs.existsSync(path.join(ortBin, platform, arch))) {
    const hint = target === 'darwin-x64' ? ' (the last version with them was 1.23.2); an Intel Mac has no build of this SegLens' : '';
    return `onnxruntime-node ${ortVersion} has no ${platform}/${arch} binaries${hint}`;
  }
  return undefined;
}
