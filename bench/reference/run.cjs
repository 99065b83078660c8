// The reference side of SegLens benchmark P4, run by bench/bench.ts as a separate child
// process (`fork`, cwd = this folder) so that its ONNX Runtime session is gone before any
// SegLens daemon starts. It calls `removeBackground` of @imgly/background-removal-node 1.4.5
// the way its README shows, with its default configuration (model 'medium', PNG output),
// and times each whole call as a user would: from the call to the bytes of the result.
//
// The only setting passed is `publicPath`, pointing at the package's own dist/ folder as a
// file:// URL. That is where the package looks by default too (it resolves
// `node_modules/@imgly/background-removal-node/dist/` against the working directory, which
// is this folder); passing it makes that independent of the working directory. `fetch` is
// replaced by a function that throws, so the run fails loudly instead of touching the network.
//
// Input (argv[2], JSON): { photos: string[], runs: number }
// Output (IPC messages): { type: 'progress', message } ... then { type: 'result', ... }
'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const PKG = '@imgly/background-removal-node';

globalThis.fetch = async (url) => {
  throw new Error(`the reference tried to fetch ${String(url)}: the benchmark allows no network access`);
};

function send(msg) {
  return new Promise((resolve) => {
    if (process.send) process.send(msg, () => resolve());
    else process.stdout.write(JSON.stringify(msg) + '\n', () => resolve());
  });
}

function versionOf(name) {
  return require(path.join(__dirname, 'node_modules', name, 'package.json')).version;
}

let peakRss = 0;
function sampleRss() {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}

async function main() {
  const { photos, runs } = JSON.parse(process.argv[2]);
  const pkgDir = path.join(__dirname, 'node_modules', PKG);
  const publicPath = pathToFileURL(path.join(pkgDir, 'dist')).href + '/';
  const config = { publicPath };

  const tRequire = performance.now();
  const { removeBackground } = require(pkgDir);
  const requireMs = performance.now() - tRequire;

  const call = async (photo) => {
    const t0 = performance.now();
    const blob = await removeBackground(photo, config);
    const bytes = Buffer.from(await blob.arrayBuffer());
    const ms = performance.now() - t0;
    sampleRss();
    return { ms, bytes, type: blob.type };
  };

  // The very first call is the warm-up: it reads the model chunks, creates the session and
  // pays the first run's allocations (later runs are steady).
  const cold = await call(photos[0]);
  send({ type: 'progress', message: `reference: first call (model load included) ${cold.ms.toFixed(0)} ms` });

  const samples = [];
  const lastOutput = {};
  for (let r = 0; r < runs; r++) {
    for (const photo of photos) {
      const res = await call(photo);
      samples.push({ run: r, photo: path.basename(photo), ms: res.ms });
      lastOutput[photo] = res;
    }
    send({ type: 'progress', message: `reference: run ${r + 1}/${runs} done` });
  }
  await send({
    type: 'result',
    requireMs,
    coldMs: cold.ms,
    samples,
    peakRssBytes: peakRss,
    outputType: cold.type,
    // The last output per photo (PNG with the mask as alpha), to check the two agree.
    outputs: Object.fromEntries(Object.entries(lastOutput).map(([p, r]) => [p, r.bytes.toString('base64')])),
    versions: {
      [PKG]: versionOf(PKG),
      sharp: versionOf('sharp'),
      'onnxruntime-node': versionOf('onnxruntime-node'),
      libvips: require(path.join(__dirname, 'node_modules', 'sharp')).versions.vips,
    },
    config: { publicPath, model: 'medium (default)', output: 'image/png, quality 0.8 (default)' },
  });
}

main().then(
  () => process.exit(0),
  (e) => send({ type: 'error', message: e && e.stack ? e.stack : String(e) }).then(() => process.exit(1)),
);
