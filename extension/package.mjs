// `npm run package -- [--out FILE] [--target T] [--keep-stage] [--no-smoke]`
// Builds a platform-specific VSIX (one per platform: the native modules differ).
//
// vsce with --no-dependencies leaves node_modules out altogether, and at the repo root it would
// list every dependency (model source packages, dev tools). So this script stages a folder with
// just what runs: the production bundles, the prepared models, and the runtime closure of the
// native packages (onnxruntime-node with only this platform's binaries, onnxruntime-common,
// sharp with its @img packages for this platform, detect-libc, semver, @img/colour). The root
// .vscodeignore keep-list then trims files inside them, and vsce (which runs `npm ls` in the
// stage) packages it. Finally the VSIX is unpacked and its daemon started from the unpacked
// layout, so a module that does not resolve fails here rather than on a user's machine.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status ?? r.signal})`);
}

/** vsce's target name for this machine: linux-x64, alpine-x64 (musl), darwin-arm64, win32-x64... */
function defaultTarget() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const musl = require('detect-libc').familySync() === require('detect-libc').MUSL;
    return `${musl ? 'alpine' : 'linux'}-${arch}`;
  }
  return `${platform}-${arch}`;
}

/** node's (platform, arch) and sharp's runtime platform tag for a vsce target. */
function targetInfo(target) {
  const [os_, arch] = target.split('-');
  const platform = os_ === 'alpine' ? 'linux' : os_;
  const sharpTag = os_ === 'alpine' ? `linuxmusl-${arch}` : `${platform}-${arch}`;
  return { platform, arch, sharpTag };
}

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const target = option('--target') ?? defaultTarget();
const { platform, arch, sharpTag } = targetInfo(target);
const out = path.resolve(option('--out') ?? path.join(root, `${pkg.name}-${target}-${pkg.version}.vsix`));

// 1. Production bundles and the models.
if (!flag('--no-build')) run(process.execPath, ['esbuild.mjs', '--production']);
const modelsDir = path.join(root, 'models');
const modelFiles = () => (fs.existsSync(modelsDir) ? fs.readdirSync(modelsDir).filter((f) => /\.onnx(\.json)?$/.test(f)) : []);
if (!modelFiles().some((f) => f.endsWith('.onnx'))) run(process.execPath, ['dist/models.js']);

// 2. Stage. The bundles the extension runs are the `!dist/…` lines of .vscodeignore's keep-list
// (one list: a bundle missing there would be staged but left out of the VSIX).
const runtimeBundles = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n').map((l) => /^!(dist\/[^*]+\.js)$/.exec(l.trim())?.[1]).filter(Boolean);
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-vsix-'));
const copy = (rel, filter) => fs.cpSync(path.join(root, rel), path.join(stage, rel), { recursive: true, filter, dereference: true });
try {
  for (const f of ['README.md', 'LICENSE', 'LICENSE.md', 'THIRD-PARTY-NOTICES.md', 'CHANGELOG.md', '.vscodeignore']) if (fs.existsSync(path.join(root, f))) copy(f);
  for (const f of runtimeBundles) copy(f);
  copy('media/webview');
  if (fs.existsSync(path.join(root, 'media/icon.png'))) copy('media/icon.png');
  for (const f of modelFiles()) copy(path.join('models', f));

  // The runtime package closure. onnxruntime-node's own dependencies besides onnxruntime-common
  // (adm-zip, global-agent) serve only its install script, which the VSIX does not run.
  const nativeRoots = ['onnxruntime-node', 'sharp'];
  const installOnly = new Set(['adm-zip', 'global-agent']);
  const platformPackages = new Set([`@img/sharp-${sharpTag}`, `@img/sharp-libvips-${sharpTag}`]);
  const staged = new Map();
  const visit = (name) => {
    if (staged.has(name)) return;
    const dir = path.join(root, 'node_modules', name);
    if (!fs.existsSync(dir)) throw new Error(`node_modules/${name} is missing: run npm ci${platformPackages.has(name) ? ` (on a ${target} machine)` : ''}`);
    const p = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    staged.set(name, p.version);
    for (const d of Object.keys(p.dependencies ?? {})) if (!installOnly.has(d)) visit(d);
    for (const d of Object.keys(p.optionalDependencies ?? {})) if (platformPackages.has(d)) visit(d);
  };
  for (const n of nativeRoots) visit(n);
  for (const p of platformPackages) if (!staged.has(p)) throw new Error(`${p} was not reached from sharp's dependencies`);
  const ortBin = path.join(root, 'node_modules', 'onnxruntime-node', 'bin');
  for (const name of staged.keys()) {
    copy(path.join('node_modules', name), (src) => {
      // onnxruntime-node ships every platform's binaries: keep bin/napi-v*/<platform>/<arch> only.
      if (!src.startsWith(ortBin + path.sep)) return true;
      const parts = path.relative(ortBin, src).split(path.sep); // napi-v6 / linux / x64 / ...
      return (parts.length < 2 || parts[1] === platform) && (parts.length < 3 || parts[2] === arch);
    });
  }
  const ortPj = path.join(stage, 'node_modules', 'onnxruntime-node', 'package.json');
  const ort = JSON.parse(fs.readFileSync(ortPj, 'utf8'));
  ort.dependencies = { 'onnxruntime-common': ort.dependencies['onnxruntime-common'] };
  delete ort.scripts; // its postinstall downloads binaries; never run it from the VSIX
  fs.writeFileSync(ortPj, JSON.stringify(ort, null, 2) + '\n');
  if (!fs.readdirSync(path.join(stage, 'node_modules/onnxruntime-node/bin')).some((v) => fs.existsSync(path.join(stage, 'node_modules/onnxruntime-node/bin', v, platform, arch)))) {
    throw new Error(`onnxruntime-node has no binaries for ${platform}/${arch}`);
  }

  // The staged manifest: what runs, nothing for building (no scripts, no dev dependencies).
  const manifest = { ...pkg };
  delete manifest.scripts;
  delete manifest.devDependencies;
  delete manifest.overrides;
  manifest.dependencies = Object.fromEntries(nativeRoots.map((n) => [n, staged.get(n)]));
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

  // 3. Package.
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  // README links stay relative: the project has no public repository URL to point them at.
  const vsceArgs = ['package', '--target', target, '--out', out, '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links'];
  run(process.execPath, [vsce, ...vsceArgs], { cwd: stage });
  console.log(`\nVSIX: ${out} (${(fs.statSync(out).size / 1024 / 1024).toFixed(1)} MB), target ${target}`);
  console.log(`staged packages: ${[...staged].map(([n, v]) => `${n}@${v}`).join(', ')}`);
} finally {
  if (flag('--keep-stage')) console.log(`stage kept at ${stage}`);
  else fs.rmSync(stage, { recursive: true, force: true });
}

// 4. Smoke test from the unpacked VSIX (only when the target is this machine).
if (!flag('--no-smoke') && target === defaultTarget()) await smoke(out);

async function smoke(vsix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-vsix-smoke-'));
  try {
    run('unzip', ['-q', vsix, '-d', dir]);
    const ext = path.join(dir, 'extension');
    // The licence and third-party notices travel with the binaries (vsce renames LICENSE to LICENSE.txt).
    for (const f of ['package.json', 'LICENSE.txt', 'THIRD-PARTY-NOTICES.md', ...runtimeBundles, 'media/webview/base.css', 'media/webview/preview.css', 'media/webview/gallery/gallery.css']) {
      if (!fs.existsSync(path.join(ext, f))) throw new Error(`the VSIX lacks extension/${f}`);
    }
    const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = require('vscode-jsonrpc/node');
    const child = spawn(process.execPath, [path.join(ext, 'dist', 'daemon.js'), '--stdio', '--cache-dir', path.join(dir, 'cache'), '--provider', 'cpu'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: dir, // nothing from the repo may leak in through the working directory
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    conn.listen();
    const timeout = (ms, what) => new Promise((_, rej) => setTimeout(() => rej(new Error(`smoke test: ${what} took over ${ms} ms\n${stderr}`)), ms).unref());
    try {
      const init = await Promise.race([conn.sendRequest('initialize', { clientName: 'package-smoke', protocolVersion: 1 }), timeout(15_000, 'initialize')]);
      const image = path.join(root, 'media', 'samples', 'text.png');
      const seg = await Promise.race([conn.sendRequest('seglens/segment', { mode: 'text', image: { path: image } }), timeout(120_000, 'segment')]);
      console.log(`smoke test: daemon ${init.daemonVersion} from the unpacked VSIX segmented ${path.basename(image)} (${seg.width}x${seg.height}) with text in ${Math.round(seg.timings.totalMs)} ms`);
      await conn.sendRequest('shutdown').catch(() => undefined);
    } finally {
      conn.dispose();
      child.stdin.end();
      setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
