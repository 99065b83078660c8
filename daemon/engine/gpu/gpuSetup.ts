// A fingerprint of the machine's GPU setup as the WebGPU probe sees it, so that a remembered
// "no adapter" answer (adapterMemo.ts) is dropped when the setup changes. On Linux, Dawn runs
// on Vulkan, whose loader finds its drivers only through ICD manifests (JSON files in the
// loader's search folders, or the files the VK_* variables name), and talks to GPUs through
// /dev/dri: installing, upgrading or removing a driver changes a manifest (its size or time), a
// GPU passed to the machine adds a device node, and VK_* variables redirect the loader. Metal
// and Direct3D 12 have no such cheap witness: there the memo's age limit stands in.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256 } from '../../util/fileOps';

/** The folders the Vulkan loader reads ICD manifests from (its Linux search order). */
export function vulkanIcdFolders(env: NodeJS.ProcessEnv): string[] {
  const config = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const data = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  const dataHome = env.XDG_DATA_HOME || path.join(env.HOME || os.homedir(), '.local', 'share');
  return [...config, '/etc', ...data, dataHome].filter((d) => d.length > 0).map((d) => path.join(d, 'vulkan', 'icd.d'));
}

/** A file's identity for the fingerprint: path, size and modification time ('-' when absent). */
function stamp(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${file} ${s.size} ${s.mtimeMs}`;
  } catch {
    return `${file} -`;
  }
}

function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The parts of the fingerprint (empty off Linux). */
export function gpuSetupParts(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  if (platform !== 'linux') return [];
  const vars = Object.keys(env)
    .filter((k) => k.startsWith('VK_'))
    .sort();
  const named = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES'].flatMap((k) => (env[k] ? env[k]!.split(':').filter(Boolean) : []));
  return [
    ...vars.map((k) => `${k}=${env[k]}`),
    ...named.map(stamp),
    ...vulkanIcdFolders(env).flatMap((d) => list(d).map((f) => stamp(path.join(d, f)))),
    `/dev/dri: ${list('/dev/dri').join(' ')}`,
  ];
}

/** The fingerprint: a digest of the parts. */
export function gpuSetupFingerprint(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  return sha256(JSON.stringify(gpuSetupParts(env, platform))).slice(0, 32);
}
