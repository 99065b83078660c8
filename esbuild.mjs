// One build script, three kinds of bundle: the daemon side (node, native modules external),
// the extension (cjs, `vscode` external) and the webview (browser). `--production` minifies.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Native or data-bearing packages are loaded from node_modules at run time, never bundled.
const nativeExternal = ['onnxruntime-node', 'sharp'];

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

const node = (entry, outfile, extra = {}) => ({
  ...common,
  entryPoints: [entry],
  outfile,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: nativeExternal,
  ...extra,
});

const builds = [
  node('daemon/main.ts', 'dist/daemon.js'),
  node('daemon/workers/engineProcess.ts', 'dist/engineWorker.js'),
  node('daemon/workers/scoreWorker.ts', 'dist/scoreWorker.js'),
  node('daemon/workers/cropWorker.ts', 'dist/cropWorker.js'),
  node('daemon/tools/modelsCli.ts', 'dist/models.js'),
  node('daemon/tools/preview.ts', 'dist/preview.js'),
  node('daemon/tools/seglens.ts', 'dist/seglens.js', { banner: { js: '#!/usr/bin/env node' } }),
];
if (existsSync('extension/extension.ts')) {
  builds.push(node('extension/extension.ts', 'dist/extension.js', { external: [...nativeExternal, 'vscode'] }));
}
if (existsSync('media/webview/main.ts')) {
  builds.push({ ...common, entryPoints: ['media/webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', target: 'es2022', format: 'iife' });
}
if (existsSync('media/webview/gallery/main.ts')) {
  builds.push({ ...common, entryPoints: ['media/webview/gallery/main.ts'], outfile: 'dist/gallery.js', platform: 'browser', target: 'es2022', format: 'iife' });
}
// Extension integration suites: run inside a real extension host; mocha is bundled in so the
// host needs nothing from node_modules (see test/vscode/index.ts).
if (existsSync('test/vscode/index.ts')) {
  builds.push(node('test/vscode/index.ts', 'dist/test/vscode/index.js', { external: [...nativeExternal, 'vscode'], logOverride: { 'require-resolve-not-external': 'silent' } }));
}
// Optional entries (present once their issue lands) are built only when their source exists.
const optional = [['bench/bench.ts', 'dist/bench.js']];
for (const [entry, out] of optional) if (existsSync(entry)) builds.push(node(entry, out));

const existing = builds.filter((b) => b.entryPoints.every((e) => existsSync(e)));
if (watch) {
  for (const b of existing) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(existing.map((b) => esbuild.build(b)));
}
