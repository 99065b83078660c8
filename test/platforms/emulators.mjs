// How an emulated target's Node is started, with the workarounds each emulator needs. They live
// here, in the test tooling, never in the product: a real arm64 Linux or Windows machine needs
// none of them.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

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
 * one above (bind-mounted; the host's file is untouched), on an emulated CPU that matches it
 * (qemu's default "max" CPU offers SVE, far slower to emulate), with the arm64 C runtime from
 * the cross sysroot. The engine runs as a thread (SEGLENS_ENGINE_HOST=thread): without binfmt_misc
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
    prefixArgs: [...asRoot, 'sh', '-c', 'mount --bind "$0" /proc/cpuinfo && exec "$@"', cpuinfo, 'qemu-aarch64', '-cpu', 'neoverse-n1', '-L', ARM64_SYSROOT, nodeExe],
    env: { ...process.env, SEGLENS_ENGINE_HOST: 'thread' },
    mapPath: (p) => p,
    notes: 'qemu-user, ARM /proc/cpuinfo bind-mounted, engine as a thread',
  };
}

/**
 * linux-x64 itself under qemu-user on an older x86 CPU model: the same VSIX and Node, but
 * ONNX Runtime picks its kernels for the CPU that `cpuid` reports (qemu 7.2's TCG emulates up
 * to AVX2 and FMA3, no AVX-512). Shows whether the masks depend on the CPU within one platform.
 * The engine runs as a thread: a forked child would run natively (qemu-user follows no exec).
 */
export function qemuX64(nodeExe, cpu) {
  return {
    command: 'qemu-x86_64',
    prefixArgs: ['-cpu', cpu, nodeExe],
    env: { ...process.env, SEGLENS_ENGINE_HOST: 'thread' },
    mapPath: (p) => p,
    notes: `qemu-user -cpu ${cpu}, engine as a thread`,
  };
}

/**
 * win32-x64 under wine, in a prefix of its own. Node under wine cannot use the Unix pipes it is
 * given as stdio, so the daemon is started by wineRelay.cjs, which relays its stdio over TCP.
 * sharp's libvips-42.dll imports
 * bcryptprimitives!ProcessPrng, which wine 8 lacks: a forwarder DLL to advapi32's
 * SystemFunction036 (RtlGenRandom, the same job) goes into the prefix's System32 (a native .node's
 * dependencies are looked for beside it and in the system folders, not beside node.exe),
 * linked by the mingw binutils from a one-line .def file.
 */
export function wineX64(nodeExe, cacheDir, log) {
  const prefix = path.join(cacheDir, 'wine-prefix');
  const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=;bcryptprimitives=n' };
  if (!fs.existsSync(path.join(prefix, 'system.reg'))) {
    log('creating the wine prefix (a minute the first time)');
    const r = spawnSync('wineboot', ['-i'], { env, stdio: 'ignore', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`wineboot failed (${r.status ?? r.error?.message})`);
    // A prefix made without wine32 may report an old Windows, which Node 20 refuses (exit 216).
    const v = spawnSync('wine', ['winecfg', '-v', 'win10'], { env, stdio: 'ignore', timeout: 300_000 });
    if (v.status !== 0) throw new Error(`winecfg -v win10 failed (${v.status ?? v.error?.message})`);
  }
  forwarderDll(path.join(prefix, 'drive_c', 'windows', 'system32'), cacheDir);
  const mapPath = (p) => `Z:${p.replaceAll('/', '\\')}`;
  const relay = mapPath(path.join(path.dirname(fileURLToPath(import.meta.url)), 'wineRelay.cjs'));
  return { start: (argv) => relayed([nodeExe, relay], argv, env), env, mapPath, notes: 'wine, stdio relayed over TCP, bcryptprimitives forwarder DLL' };
}

/** Starts wine's Node on the relay and waits for its two connections (stdin/stdout, then stderr). */
async function relayed(relayArgv, argv, env) {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const child = spawn('wine', [...relayArgv, String(server.address().port), ...argv], { env, stdio: 'ignore' });
  const sockets = [];
  try {
    await new Promise((resolve, reject) => {
      server.on('connection', (s) => sockets.push(s) === 2 && resolve());
      child.once('exit', (code) => reject(new Error(`wine's Node exited (${code}) before connecting`)));
      setTimeout(() => reject(new Error("wine's Node did not connect within 5 minutes")), 300_000).unref();
    });
  } finally {
    server.close();
  }
  return { process: child, stdin: sockets[0], stdout: sockets[0], stderr: sockets[1] };
}

function forwarderDll(system32, cacheDir) {
  const dll = path.join(system32, 'bcryptprimitives.dll');
  if (fs.existsSync(dll)) return;
  const def = path.join(cacheDir, 'bcryptprimitives.def');
  const obj = path.join(cacheDir, 'empty.o');
  fs.writeFileSync(def, 'LIBRARY bcryptprimitives.dll\nEXPORTS\n  ProcessPrng = advapi32.SystemFunction036\n');
  for (const [cmd, args] of [
    ['x86_64-w64-mingw32-as', ['/dev/null', '-o', obj]],
    ['x86_64-w64-mingw32-ld', ['--dll', '-e', '0', '-nostdlib', '-o', dll, obj, def]],
  ]) {
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status ?? r.error?.message})`);
  }
}
