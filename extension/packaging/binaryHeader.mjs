// Which OS and CPU a native file is for, read from its own header (ELF, Mach-O, PE), so that the
// packaging can show, and check, that a VSIX holds only its target's binaries whatever machine
// built it. Only the few fields needed are read; anything else is "not a native file".

const ELF_MACHINES = { 0x03: 'ia32', 0x28: 'arm', 0x3e: 'x64', 0xb7: 'arm64', 0xf3: 'riscv64', 0x15: 'ppc64', 0x16: 's390x' };
const MACHO_CPUS = { 0x01000007: 'x64', 0x0100000c: 'arm64', 0x07: 'ia32', 0x0c: 'arm' };
const PE_MACHINES = { 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32', 0x1c4: 'arm' };
const MACHO_DYLIB_COMMANDS = new Set([0x0c, 0x80000018, 0x8000001f]); // LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB

/**
 * `{ format, platform, arch }` of a native binary, or undefined when `buf` (the file, or at least
 * its headers) is none. Mach-O also gives `dylibs`, the libraries it loads (`@rpath/libx.dylib`).
 * @param {Buffer} buf
 * @returns {{ format: 'ELF' | 'Mach-O' | 'PE', platform: 'linux' | 'darwin' | 'win32', arch: string, dylibs?: string[] } | undefined}
 */
export function readBinaryHeader(buf) {
  if (buf.length < 64) return undefined;
  if (buf.readUInt32BE(0) === 0x7f454c46) return elf(buf);
  const magic = buf.readUInt32LE(0);
  if (magic === 0xfeedfacf || magic === 0xfeedface) return machO(buf);
  if (buf.readUInt32BE(0) === 0xcafebabe && buf.readUInt32BE(4) < 20) return fatMachO(buf);
  if (buf.readUInt16LE(0) === 0x5a4d) return pe(buf);
  return undefined;
}

function elf(buf) {
  const le = buf[5] === 1;
  const machine = le ? buf.readUInt16LE(18) : buf.readUInt16BE(18);
  return { format: 'ELF', platform: 'linux', arch: ELF_MACHINES[machine] ?? `elf-machine-0x${machine.toString(16)}` };
}

function machO(buf) {
  const cpu = buf.readUInt32LE(4);
  const is64 = buf.readUInt32LE(0) === 0xfeedfacf;
  const ncmds = buf.readUInt32LE(16);
  const dylibs = [];
  let at = is64 ? 32 : 28;
  for (let i = 0; i < ncmds && at + 8 <= buf.length; i++) {
    const cmd = buf.readUInt32LE(at);
    const size = buf.readUInt32LE(at + 4);
    if (MACHO_DYLIB_COMMANDS.has(cmd) && at + 12 <= buf.length) {
      const nameAt = at + buf.readUInt32LE(at + 8);
      const end = buf.indexOf(0, nameAt);
      if (end > nameAt && end <= at + size) dylibs.push(buf.toString('utf8', nameAt, end));
    }
    if (size < 8) break;
    at += size;
  }
  return { format: 'Mach-O', platform: 'darwin', arch: MACHO_CPUS[cpu] ?? `macho-cpu-0x${cpu.toString(16)}`, dylibs };
}

/** A universal binary: its architectures joined with '+' (the packaging then sees it is not one target's). */
function fatMachO(buf) {
  const n = buf.readUInt32BE(4);
  const arches = [];
  for (let i = 0; i < n && 8 + i * 20 + 4 <= buf.length; i++) {
    const cpu = buf.readUInt32BE(8 + i * 20);
    arches.push(MACHO_CPUS[cpu] ?? `macho-cpu-0x${cpu.toString(16)}`);
  }
  return { format: 'Mach-O', platform: 'darwin', arch: arches.join('+') };
}

function pe(buf) {
  const at = buf.readUInt32LE(0x3c);
  if (at + 6 > buf.length || buf.readUInt32BE(at) !== 0x50450000) return undefined; // "PE\0\0"
  const machine = buf.readUInt16LE(at + 4);
  return { format: 'PE', platform: 'win32', arch: PE_MACHINES[machine] ?? `pe-machine-0x${machine.toString(16)}` };
}
