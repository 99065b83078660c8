// Stages the folder vsce packages for one target: the production bundles, the prepared models,
// and the runtime closure of the native packages with that target's binaries only.
//
// vsce with --no-dependencies leaves node_modules out altogether, and at the repo root it would
// list every dependency (model source packages, dev tools). So the stage holds just what runs:
// onnxruntime-node with only bin/napi-v*/<platform>/<arch> (on macOS without the duplicate
// dylib the binding does not load), onnxruntime-common, sharp with its @img packages for the
// target (from node_modules when npm ci installed them at the locked version, else fetched and
// checked against the lockfile: lockedPackages.mjs), detect-libc, semver, @img/colour. The
// root .vscodeignore keep-list then trims files inside them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readBinaryHeader } from './binaryHeader.mjs';
import { lockedPackage, stageLocked } from './lockedPackages.mjs';
import { targetInfo } from './targets.mjs';

const NATIVE_ROOTS = ['onnxruntime-node', 'sharp'];
// onnxruntime-node's dependencies besides onnxruntime-common serve only its install script.
const INSTALL_ONLY = new Set(['adm-zip', 'global-agent']);

/** The bundles the extension runs: the `!dist/…` lines of .vscodeignore's keep-list (one list). */
export function runtimeBundles(root) {
  return fs
    .readFileSync(path.join(root, '.vscodeignore'), 'utf8')
    .split('\n')
    .map((l) => /^!(dist\/[^*]+\.js)$/.exec(l.trim())?.[1])
    .filter(Boolean);
}

/** Fills `stage` for `target`; returns the staged packages (name → version). */
export function stageTarget({ root, stage, target, lock, cacheDir, modelFiles }) {
  const copy = (rel, filter) => fs.cpSync(path.join(root, rel), path.join(stage, rel), { recursive: true, filter, dereference: true });
  for (const f of ['README.md', 'LICENSE', 'LICENSE.md', 'THIRD-PARTY-NOTICES.md', 'CHANGELOG.md', '.vscodeignore']) if (fs.existsSync(path.join(root, f))) copy(f);
  for (const f of runtimeBundles(root)) copy(f);
  copy('media/webview');
  if (fs.existsSync(path.join(root, 'media/icon.png'))) copy('media/icon.png');
  for (const f of modelFiles) copy(path.join('models', f));

  const { platform, arch, sharpTag } = targetInfo(target);
  const sharpOptional = readJson(path.join(root, 'node_modules/sharp/package.json')).optionalDependencies ?? {};
  // sharp's win32 packages carry libvips themselves: there is no @img/sharp-libvips-win32-*.
  const platformPackages = new Set([`@img/sharp-${sharpTag}`, `@img/sharp-libvips-${sharpTag}`].filter((p) => p in sharpOptional));
  if (!platformPackages.has(`@img/sharp-${sharpTag}`)) throw new Error(`sharp has no package for ${sharpTag}`);

  const staged = new Map();
  const visit = (name) => {
    if (staged.has(name)) return;
    const dir = platformPackages.has(name) ? stagePlatformPackage({ root, stage, lock, cacheDir, name }) : stageRegular({ root, stage, name, copy, platform, arch });
    const p = readJson(path.join(dir, 'package.json'));
    staged.set(name, p.version);
    for (const d of Object.keys(p.dependencies ?? {})) if (!INSTALL_ONLY.has(d)) visit(d);
    for (const d of Object.keys(p.optionalDependencies ?? {})) if (platformPackages.has(d)) visit(d);
  };
  for (const n of NATIVE_ROOTS) visit(n);
  for (const p of platformPackages) if (!staged.has(p)) throw new Error(`${p} was not reached from sharp's dependencies`);
  trimOrt(stage, platform, arch);
  writeManifest(root, stage, staged);
  return staged;
}

/** A package copied from node_modules (onnxruntime-node: only this target's binaries). */
function stageRegular({ root, stage, name, copy, platform, arch }) {
  const dir = path.join(root, 'node_modules', name);
  if (!fs.existsSync(dir)) throw new Error(`node_modules/${name} is missing: run npm ci`);
  const ortBin = path.join(root, 'node_modules', 'onnxruntime-node', 'bin');
  copy(path.join('node_modules', name), (src) => {
    if (!src.startsWith(ortBin + path.sep)) return true;
    const parts = path.relative(ortBin, src).split(path.sep); // napi-v6 / linux / x64 / ...
    return (parts.length < 2 || parts[1] === platform) && (parts.length < 3 || parts[2] === arch);
  });
  return path.join(stage, 'node_modules', name);
}

/** sharp's @img package for the target: node_modules' copy if npm ci installed the locked version, else fetched and checked. */
function stagePlatformPackage({ root, stage, lock, cacheDir, name }) {
  const installed = path.join(root, 'node_modules', name);
  const locked = lockedPackage(lock, name);
  const dest = path.join(stage, 'node_modules', name);
  if (fs.existsSync(installed) && readJson(path.join(installed, 'package.json')).version === locked?.version) {
    fs.cpSync(installed, dest, { recursive: true, dereference: true });
  } else {
    stageLocked(lock, name, cacheDir, stage);
  }
  return dest;
}

/**
 * onnxruntime-node without its install script (it downloads binaries: never run from a VSIX),
 * its install-only dependencies, or a library its binding does not load: the macOS package
 * carries libonnxruntime.1.30.0.dylib beside the libonnxruntime.1.dylib the binding links (the
 * same 45 MB twice; its Mach-O load commands say which one).
 */
function trimOrt(stage, platform, arch) {
  const ortDir = path.join(stage, 'node_modules', 'onnxruntime-node');
  const ortPj = path.join(ortDir, 'package.json');
  const ort = readJson(ortPj);
  ort.dependencies = { 'onnxruntime-common': ort.dependencies['onnxruntime-common'] };
  delete ort.scripts;
  fs.writeFileSync(ortPj, JSON.stringify(ort, null, 2) + '\n');
  const binDirs = fs.readdirSync(path.join(ortDir, 'bin')).map((v) => path.join(ortDir, 'bin', v, platform, arch)).filter((d) => fs.existsSync(d));
  if (binDirs.length === 0) throw new Error(`onnxruntime-node has no binaries for ${platform}/${arch}`);
  if (platform !== 'darwin') return;
  for (const dir of binDirs) {
    const header = readBinaryHeader(fs.readFileSync(path.join(dir, 'onnxruntime_binding.node')));
    const linked = new Set((header?.dylibs ?? []).map((d) => path.basename(d)));
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.dylib') && !linked.has(f)) fs.rmSync(path.join(dir, f));
  }
}

/** The staged manifest: what runs, nothing for building (no scripts, no dev dependencies). */
function writeManifest(root, stage, staged) {
  const manifest = readJson(path.join(root, 'package.json'));
  delete manifest.scripts;
  delete manifest.devDependencies;
  delete manifest.overrides;
  manifest.dependencies = Object.fromEntries(NATIVE_ROOTS.map((n) => [n, staged.get(n)]));
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
