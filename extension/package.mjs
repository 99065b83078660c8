// `npm run package -- [--target T | --all] [--out FILE | --out-dir DIR] [--cache-dir DIR]
//                     [--keep-stage] [--no-smoke] [--no-build]`
// Builds platform-specific VSIXs (one per platform: the native modules differ), from any of
// them: `--target T` one (default: this machine's), `--all` every buildable target, each as
// seglens-<target>-<version>.vsix in --out-dir (default: the repository root), then prints what
// each holds natively, read from the files' own headers. A target that cannot work is refused
// with the reason (packaging/targets.mjs). Platform packages npm ci did not install here are
// fetched at the lockfile's version and integrity into --cache-dir (default out/package-cache).
// The VSIX for this machine is then unpacked and its daemon started from the unpacked layout,
// so a module that does not resolve fails here rather than on a user's machine; the other
// targets are run under emulation by `npm run package:smoke` (test/platforms/).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipTo } from './packaging/archives.mjs';
import { runtimeBundles, stageTarget } from './packaging/stage.mjs';
import { BUILDABLE, REFUSED, targetProblem } from './packaging/targets.mjs';
import { inspectVsix, reportTable } from './packaging/vsixReport.mjs';
import { segmentWithVsixDaemon } from './packaging/vsixDaemon.mjs';

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
    const libc = require('detect-libc');
    return `${libc.familySync() === libc.MUSL ? 'alpine' : 'linux'}-${arch === 'arm' ? 'armhf' : arch}`;
  }
  return `${platform}-${arch}`;
}

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const ortVersion = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version;
const ortBin = path.join(root, 'node_modules/onnxruntime-node/bin/napi-v6');
const problem = (t) => targetProblem(t, ortVersion, ortBin);

const all = flag('--all');
if (all && (option('--target') || option('--out'))) usage('--all builds every target: give --out-dir, not --target or --out');
const targets = all ? BUILDABLE : [option('--target') ?? defaultTarget()];
for (const t of targets) {
  const why = problem(t);
  if (why) {
    console.error(`package: refusing target ${t}: ${why}`);
    process.exit(2);
  }
}
const outDir = path.resolve(option('--out-dir') ?? root);
const outFile = (t) => (option('--out') ? path.resolve(option('--out')) : path.join(outDir, `${pkg.name}-${t}-${pkg.version}.vsix`));
const cacheDir = path.resolve(option('--cache-dir') ?? path.join(root, 'out', 'package-cache'));

// 1. Production bundles and the models (once, whatever the number of targets).
if (!flag('--no-build')) run(process.execPath, ['esbuild.mjs', '--production']);
const modelsDir = path.join(root, 'models');
// The float32 ISNet (176 MB, for GPUs without f16) and the int8 one (42 MB, --cpu-precision int8) stay out:
// the engine builds each from the fp16 file when a mode needs it.
const modelFiles = () => (fs.existsSync(modelsDir) ? fs.readdirSync(modelsDir).filter((f) => /\.onnx(\.json)?$/.test(f) && !/^isnet-medium-(fp32|int8)\./.test(f)) : []);
if (!modelFiles().some((f) => f.endsWith('.onnx'))) run(process.execPath, ['dist/models.js']);
fs.mkdirSync(outDir, { recursive: true });

// 2. Stage and package each target; 3. read back what each VSIX holds.
const built = [];
for (const target of targets) built.push(packageTarget(target, outFile(target)));
console.log(`\n${reportTable(built, all ? REFUSED.map((t) => ({ target: t, reason: problem(t) })) : [])}`);

// 4. The VSIX for this machine, run from its unpacked layout.
const native = built.find((b) => b.target === defaultTarget());
if (!flag('--no-smoke') && native) await smoke(native.file);

function packageTarget(target, out) {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-vsix-'));
  try {
    const staged = stageTarget({ root, stage, target, lock, cacheDir, modelFiles: modelFiles() });
    const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
    // README links stay relative: the project has no public repository URL to point them at.
    const vsceArgs = ['package', '--target', target, '--out', out, '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links'];
    run(process.execPath, [vsce, ...vsceArgs], { cwd: stage });
    console.log(`\nVSIX: ${out} (${(fs.statSync(out).size / 1024 / 1024).toFixed(1)} MB), target ${target}`);
    console.log(`staged packages: ${[...staged].map(([n, v]) => `${n}@${v}`).join(', ')}`);
    return inspectVsix(out, target);
  } finally {
    if (flag('--keep-stage')) console.log(`stage kept at ${stage}`);
    else fs.rmSync(stage, { recursive: true, force: true });
  }
}

async function smoke(vsix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-vsix-smoke-'));
  try {
    unzipTo(vsix, dir);
    const ext = path.join(dir, 'extension');
    // The licence and third-party notices travel with the binaries (vsce renames LICENSE to LICENSE.txt).
    for (const f of ['package.json', 'LICENSE.txt', 'THIRD-PARTY-NOTICES.md', ...runtimeBundles(root), 'media/webview/base.css', 'media/webview/preview.css', 'media/webview/gallery/gallery.css']) {
      if (!fs.existsSync(path.join(ext, f))) throw new Error(`the VSIX lacks extension/${f}`);
    }
    const image = path.join(root, 'media', 'samples', 'text.png');
    // cwd: nothing from the repo may leak in through the working directory.
    const { init, results } = await segmentWithVsixDaemon({ ext, cwd: dir, daemonArgs: ['--cache-dir', path.join(dir, 'cache'), '--provider', 'cpu'], images: [{ file: image, mode: 'text' }] });
    const seg = results[0];
    console.log(`smoke test: daemon ${init.daemonVersion} from the unpacked VSIX segmented ${path.basename(image)} (${seg.width}x${seg.height}) with text in ${Math.round(seg.totalMs)} ms`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function usage(message) {
  console.error(`package: ${message}`);
  process.exit(2);
}
