// `npm test`: bundles each test/{unit,integration}/**/*.test.ts with esbuild and runs them with
// node's test runner, one file at a time (each integration file owns at most one daemon,
// and a warm ISNet session takes about 2 GB). `npm test -- unit` runs a subset by path.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `--gpu`: the WebGPU suite on a software GPU (test/gpu, `npm run test:gpu`), slow, kept apart.
const gpuSuite = process.argv.includes('--gpu');
const filters = process.argv.slice(2).filter((a) => a !== '--gpu');

function find(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? find(p) : e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const sources = (gpuSuite ? ['gpu'] : ['unit', 'integration'])
  .flatMap((d) => find(path.join(root, 'test', d)).sort())
  .filter((f) => filters.length === 0 || filters.some((x) => path.relative(root, f).includes(x)));
if (sources.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

// A folder per run, so that two runs at once (a developer's and a helper's) never collide.
const outDir = path.join(root, 'out', 'test', String(process.pid));
rmSync(outDir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: sources,
  outdir: outDir,
  outbase: path.join(root, 'test'),
  nodePaths: [path.join(root, 'node_modules')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['onnxruntime-node', 'sharp', 'vscode'],
  logLevel: 'warning',
});
const bundles = sources.map((s) => path.join(outDir, path.relative(path.join(root, 'test'), s)).replace(/\.ts$/, '.js'));

const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...bundles], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SEGLENS_ROOT: root },
});

// The suites inside a real VS Code run separately (npm run test:vscode); say so plainly.
const tooling = path.join(root, 'test', 'e2e', 'toolingStatus.mjs');
if (filters.length === 0 && existsSync(tooling)) {
  const mod = await import(pathToFileURL(tooling).href);
  if (typeof mod.report === 'function') await mod.report();
}
rmSync(outDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
