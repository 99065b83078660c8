// How an emulated target's Node is started, with the workarounds each emulator needs. They live
// here, in the test tooling, never in the product: a real arm64 Linux or Windows machine needs
// none of them.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ARM64_SYSROOT = '/usr/aarch64-linux-gnu'; // libc6-arm64-cross, libstdc++6-arm64-cross

// An ARM /proc/cpuinfo (two Neoverse-N1 cores). ONNX Runtime's cpuinfo library parses the file
// for the CPU parts and crashes on the x86 host's, which qemu-user passes through unchanged.
const ARM_CPUINFO = [0, 1]
  .map((n) =>
    [
      `processor\t: ${n}`,
      'BogoMIPS\t: 50.00',
      'Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp',
      'CPU implementer\t: 0x41',
      'CPU architecture: 8',
      'CPU variant\t: 0x3',
      'CPU part\t: 0xd0c',
      'CPU revision\t: 1',
    ].join('\n'),
  )
  .join('\n\n');

/**
 * linux-arm64 under qemu-user: in a mount namespace of its own where /proc/cpuinfo is the ARM
 * one above (bind-mounted; the host's file is untouched), with the arm64 C runtime from the
 * cross sysroot. The engine runs as a thread (SEGLENS_ENGINE_HOST=thread): without binfmt_misc
 * the kernel cannot exec a forked arm64 Node.
 */
export function qemuArm64(nodeExe, cacheDir) {
  const cpuinfo = path.join(cacheDir, 'cpuinfo-arm64');
  fs.writeFileSync(cpuinfo, ARM_CPUINFO + '\n');
  // A mount namespace needs root (a CI runner's user goes through sudo, keeping the environment).
  const unshare = ['unshare', '--mount', '--'];
  const [command, ...asRoot] = process.getuid?.() === 0 ? unshare : ['sudo', '--preserve-env', ...unshare];
  return {
    command,
    prefixArgs: [...asRoot, 'sh', '-c', 'mount --bind "$0" /proc/cpuinfo && exec "$@"', cpuinfo, 'qemu-aarch64', '-L', ARM64_SYSROOT, nodeExe],
    env: { ...process.env, SEGLENS_ENGINE_HOST: 'thread' },
    mapPath: (p) => p,
    notes: 'qemu-user, ARM /proc/cpuinfo bind-mounted, engine as a thread',
  };
}

/**
 * win32-x64 under wine, in a prefix of its own. sharp's libvips-42.dll imports
 * bcryptprimitives!ProcessPrng, which wine 8 lacks: a forwarder DLL to advapi32's
 * SystemFunction036 (RtlGenRandom, the same job) is put beside node.exe, linked by the mingw
 * binutils from a one-line .def file.
 */
export function wineX64(nodeExe, cacheDir, log) {
  const prefix = path.join(cacheDir, 'wine-prefix');
  const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=;bcryptprimitives=n' };
  if (!fs.existsSync(path.join(prefix, 'system.reg'))) {
    log('creating the wine prefix (a minute the first time)');
    const r = spawnSync('wineboot', ['-i'], { env, stdio: 'ignore', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`wineboot failed (${r.status ?? r.error?.message})`);
  }
  forwarderDll(path.dirname(nodeExe));
  return { command: 'wine', prefixArgs: [nodeExe], env, mapPath: (p) => `Z:${p.replaceAll('/', '\\')}`, notes: 'wine, bcryptprimitives forwarder DLL' };
}

function forwarderDll(dir) {
  const dll = path.join(dir, 'bcryptprimitives.dll');
  if (fs.existsSync(dll)) return;
  const def = path.join(dir, 'bcryptprimitives.def');
  const obj = path.join(dir, 'empty.o');
  fs.writeFileSync(def, 'LIBRARY bcryptprimitives.dll\nEXPORTS\n  ProcessPrng = advapi32.SystemFunction036\n');
  for (const [cmd, args] of [
    ['x86_64-w64-mingw32-as', ['/dev/null', '-o', obj]],
    ['x86_64-w64-mingw32-ld', ['--dll', '-e', '0', '-nostdlib', '-o', dll, obj, def]],
  ]) {
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status ?? r.error?.message})`);
  }
}
