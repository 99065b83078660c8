// Issue #13, item 6: the optimised-graph cache never serves a graph for a model file that was
// replaced, even by one of the same size with its mtime set back; its folder is 0700 and an
// entry that is not the user's is not loaded. Through the real daemon, with a model the test
// builds (colorClassesModel: red → class 1, green → 2) and its same-size twin with the red and
// green rows swapped (red → 2).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { DaemonClient } from '../../daemon/api/client';
import { OPTIMIZED_DIR } from '../../daemon/engine/optimized/optimizedCache';
import { colorClassesDef, colorClassesModel, quadrantsPng } from '../helpers/buildModels';
import { metric, startStdio, tempDir } from '../helpers/daemonProcess';
import { probeUserOrSkip } from '../helpers/probeUser';

const SIZE: [number, number] = [16, 16];
const MODE = 'swapcheck';
const T = new Date('2024-01-02T03:04:05Z'); // the mtime both versions of the file carry
let dir: string;
let model: string;
let image: string;
let d: Awaited<ReturnType<typeof startStdio>>;
let client: DaemonClient;

/** Model A, and B: the same bytes but rows 1 and 2 of the 1x1 convolution swapped (same size). */
function models(): { a: Buffer; b: Buffer } {
  const a = Buffer.from(colorClassesModel({ layout: 'NCHW', kind: 'logits', size: SIZE }));
  const rows = (r1: number[], r2: number[]) => Buffer.from(new Float32Array([...r1, ...r2]).buffer);
  const at = a.indexOf(rows([1, -1, -1], [-1, 1, -1]));
  assert.ok(at > 0, 'found the weights in the model');
  const b = Buffer.from(a);
  rows([-1, 1, -1], [1, -1, -1]).copy(b, at);
  assert.equal(b.length, a.length);
  return { a, b };
}

before(async () => {
  dir = tempDir('seglens-cacheint-');
  model = path.join(dir, 'model.onnx');
  image = path.join(dir, 'quadrants.png');
  fs.writeFileSync(image, await quadrantsPng(32, 32));
  d = await startStdio({ warmupIterations: 1 });
  client = d.client;
});
after(() => {
  client?.dispose();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The class the model gives the red (top-right) quadrant, after a fresh load of the mode. */
async function redClass(): Promise<number> {
  await client.unload(MODE);
  const r = await client.segment({ mode: MODE, image: { path: image } });
  await client.segment({ mode: MODE, image: { path: image } }); // the graph is saved once the engine is idle after this
  const { data, info } = await sharp(Buffer.from(r.maskPng, 'base64')).raw().toBuffer({ resolveWithObject: true });
  return data[(4 * info.width + (info.width - 4)) * info.channels];
}

/** Waits until the cache folder holds `n` graphs. */
async function graphs(n: number): Promise<string[]> {
  const opt = path.join(d.cacheDir, OPTIMIZED_DIR);
  let found: string[] = [];
  for (let i = 0; i < 200; i++) {
    found = fs.existsSync(opt) ? fs.readdirSync(opt).filter((f) => f.endsWith('.onnx')) : [];
    if (found.length >= n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return found.map((f) => path.join(opt, f));
}

/** Writes `bytes` as the model: through a rename (a new inode) or in place; then sets the mtime back to T. */
function replaceModel(bytes: Buffer, how: 'rename' | 'in place'): void {
  if (how === 'rename') {
    fs.writeFileSync(`${model}.new`, bytes);
    fs.renameSync(`${model}.new`, model);
  } else fs.writeFileSync(model, bytes);
  fs.utimesSync(model, T, T);
}

test('a model replaced by one of the same size and mtime: no stale optimised graph is served', async () => {
  const { a, b } = models();
  replaceModel(a, 'rename');
  await client.defineModes({ modes: [colorClassesDef(MODE, model, SIZE)] });
  assert.equal(await redClass(), 1, 'model A: red is class 1');
  assert.equal((await graphs(1)).length, 1, 'A’s optimised graph is cached');
  assert.equal(fs.statSync(path.join(d.cacheDir, OPTIMIZED_DIR)).mode & 0o777, 0o700, 'the cache folder is 0700');

  const before = fs.statSync(model);
  replaceModel(b, 'rename');
  const now = fs.statSync(model);
  assert.equal(now.size, before.size);
  assert.equal(now.mtimeMs, before.mtimeMs, 'same size and mtime');
  assert.equal(await redClass(), 2, 'model B (replaced by rename): red is class 2, not A’s cached answer');
  await graphs(2);

  replaceModel(a, 'in place');
  assert.equal(fs.statSync(model).mtimeMs, before.mtimeMs);
  assert.equal(await redClass(), 1, 'model A again (rewritten in place): red is class 1, not B’s cached answer');
  // And the cache still works: A's graph is a hit now.
  const hits = metric((await client.metrics()).text, 'seglens_optimized_cache_total', { outcome: 'hit' });
  assert.ok(hits >= 1, `the unchanged model's graph is reused (${hits} hits)`);
});

test('an optimised graph that is not the user’s is not loaded (discarded and rebuilt)', async (t) => {
  const probe = probeUserOrSkip(t);
  if (!probe) return;
  try {
    // Both versions of the model have an entry by now: watch model A's (the one redClass loads),
    // found by the model checksum its sidecar records, not by the folder's listing order.
    const all = await graphs(2);
    const shaA = createHash('sha256').update(models().a).digest('hex');
    const graph = all.find((g) => (JSON.parse(fs.readFileSync(g.replace(/\.onnx$/, '.json'), 'utf8')) as { modelSha256?: string }).modelSha256 === shaA);
    assert.ok(graph, `model A's entry among ${all.map((g) => path.basename(g)).join(', ')}`);
    for (const g of all) fs.chownSync(g, probe.uid, probe.uid);
    assert.equal(await redClass(), 1);
    // The graph is saved again once the engine has been idle (2 s, issue #14): wait for it.
    const mine = () => fs.existsSync(graph) && fs.statSync(graph).uid === process.getuid!();
    for (let i = 0; i < 200 && !mine(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(d.stderr(), /belongs to user \d+, not to you/, 'the log says why the entry was not used');
    assert.equal(fs.statSync(graph).uid, process.getuid!(), 'the entry was rebuilt as the user’s');
  } finally {
    probe.cleanup();
  }
  assert.ok((await client.status()).pid > 0, 'the daemon still serves');
});
