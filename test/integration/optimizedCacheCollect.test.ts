// Collecting old optimised graphs (OptimizedModelCache.collect): with real ONNX Runtime sessions
// of small models built here, and a real daemon for the metric. Each OptimizedModelCache stands
// for one daemon process: what a process loaded is never collected by it, a hit makes an entry
// recent, entries unused past the age limit go, then the least recently used until the folder
// fits its budget; an optimised graph without its sidecar goes once it is an hour old; remembered
// checksums of deleted model files are dropped.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { OPTIMIZED_DIR, OptimizedModelCache } from '../../daemon/engine/optimized/optimizedCache';
import { CollectPolicy } from '../../daemon/engine/optimized/optimizedFolder';
import { colorClassesModel, redMatteModel, writeModel } from '../helpers/buildModels';
import { metric, startListening, tempDir } from '../helpers/daemonProcess';

const DAY = 86_400_000;
const OPTS: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 };
const root = tempDir('seglens-collect-');
after(() => fs.rmSync(root, { recursive: true, force: true }));

const modelsDir = path.join(root, 'models');
fs.mkdirSync(modelsDir, { recursive: true });
const models = {
  a: writeModel(modelsDir, 'a.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [8, 8] })),
  b: writeModel(modelsDir, 'b.onnx', redMatteModel('sigmoid', [8, 8])),
  c: writeModel(modelsDir, 'c.onnx', redMatteModel('logit', [8, 8])),
};
type Name = keyof typeof models;

/** One "daemon process": a cache on `dir` with `policy`, logging to `logs`. */
function processOn(dir: string, policy: CollectPolicy) {
  const logs: string[] = [];
  const cache = new OptimizedModelCache(ort, dir, (_l, m) => logs.push(m), policy);
  const sessions: ort.InferenceSession[] = [];
  return {
    cache,
    logs,
    async load(name: Name) {
      const r = await cache.create({ key: name, file: models[name] }, 'cpu', OPTS);
      sessions.push(r.session);
      return r;
    },
    async close() {
      for (const s of sessions) await s.release();
    },
  };
}

function listing(dir: string): Record<string, { onnx: boolean; json: boolean; bytes: number }> {
  const out: Record<string, { onnx: boolean; json: boolean; bytes: number }> = {};
  const opt = path.join(dir, OPTIMIZED_DIR);
  for (const f of fs.readdirSync(opt)) {
    const m = /^([a-z]+)-[0-9a-f]+\.(onnx|json)$/.exec(f);
    if (!m) continue;
    const e = (out[m[1]] ??= { onnx: false, json: false, bytes: 0 });
    e[m[2] as 'onnx' | 'json'] = true;
    e.bytes += fs.statSync(path.join(opt, f)).size;
  }
  return out;
}

/** Sets the last use of `name`'s entry (both files' mtimes) to `ageMs` ago. */
function age(dir: string, name: Name, ageMs: number): void {
  const opt = path.join(dir, OPTIMIZED_DIR);
  const when = new Date(Date.now() - ageMs);
  for (const f of fs.readdirSync(opt)) if (f.startsWith(`${name}-`)) fs.utimesSync(path.join(opt, f), when, when);
}

describe('optimised-graph cache: collecting old entries', () => {
  it('entries unused past the age limit go; a hit makes an entry recent again', async () => {
    const dir = path.join(root, 'age');
    const p1 = processOn(dir, { maxBytes: 0, maxAgeDays: 30 });
    for (const n of ['a', 'b', 'c'] as Name[]) assert.equal((await p1.load(n)).outcome, 'miss');
    await p1.close();
    age(dir, 'a', 40 * DAY);
    age(dir, 'b', 40 * DAY);
    age(dir, 'c', 2 * DAY);

    // The next process hits `b` (touching it) and collects on that first load: `a` goes.
    const p2 = processOn(dir, { maxBytes: 0, maxAgeDays: 30 });
    const hit = await p2.load('b');
    assert.equal(hit.outcome, 'hit');
    assert.equal(hit.collected?.entries, 1, p2.logs.join('\n'));
    assert.deepEqual(Object.keys(listing(dir)).sort(), ['b', 'c']);
    assert.match(p2.logs.join('\n'), /removed a-[0-9a-f]+ .*not used for 30 days/);
    // Collecting runs once per process on hits: a second hit reports nothing collected.
    assert.equal((await p2.load('c')).collected, undefined);
    await p2.close();

    // `a` was collected, so loading it again optimises it afresh; collecting after that write
    // keeps `b`, whose hit in p2 made it recent (it was 40 days old before).
    const p3 = processOn(dir, { maxBytes: 0, maxAgeDays: 30 });
    const again = await p3.load('a');
    assert.equal(again.outcome, 'miss');
    assert.equal(again.collected?.entries, 0);
    assert.deepEqual(Object.keys(listing(dir)).sort(), ['a', 'b', 'c']);
    await p3.close();
  });

  it('over the size budget the least recently used go first, never what this process loaded', async () => {
    const dir = path.join(root, 'budget');
    const p1 = processOn(dir, { maxBytes: 0, maxAgeDays: 0 });
    for (const n of ['a', 'b', 'c'] as Name[]) await p1.load(n);
    await p1.close();
    const sizes = listing(dir);
    age(dir, 'b', 3 * DAY); // oldest
    age(dir, 'a', 2 * DAY);
    age(dir, 'c', 1 * DAY);

    // Room for `c` plus one more entry: after this process hits `c`, the oldest (`b`) must go.
    const budget = sizes.c.bytes + Math.max(sizes.a.bytes, sizes.b.bytes);
    const p2 = processOn(dir, { maxBytes: budget, maxAgeDays: 0 });
    assert.equal((await p2.load('c')).outcome, 'hit');
    assert.deepEqual(Object.keys(listing(dir)).sort(), ['a', 'c'], p2.logs.join('\n'));
    assert.match(p2.logs.join('\n'), /removed b-[0-9a-f]+ .*budget/);

    // A budget smaller than what this process has loaded: its own entries stay.
    const p3 = processOn(dir, { maxBytes: 1, maxAgeDays: 0 });
    const r = await p3.load('b'); // a miss: b was collected
    assert.equal(r.outcome, 'miss');
    assert.deepEqual(Object.keys(listing(dir)).sort(), ['b'], 'a and c (not loaded by p3) go; b (loaded by p3) stays');
    assert.equal(r.collected?.entries, 2);
    await p3.load('a'); // written, and b is p3's own: both stay
    assert.deepEqual(Object.keys(listing(dir)).sort(), ['a', 'b']);
    await p2.close();
    await p3.close();
  });

  it('a graph without its sidecar goes once it is an hour old; checksums of deleted models are forgotten', async () => {
    const dir = path.join(root, 'orphans');
    const opt = path.join(dir, OPTIMIZED_DIR);
    const p1 = processOn(dir, { maxBytes: 0, maxAgeDays: 0 });
    for (const n of ['a', 'b'] as Name[]) await p1.load(n);
    await p1.close();
    // Orphans: `a` loses its sidecar long ago, `b` just now (maybe still being written).
    for (const f of fs.readdirSync(opt)) if (/^[ab]-.*\.json$/.test(f)) fs.rmSync(path.join(opt, f));
    age(dir, 'a', 2 * 3600_000);
    // A model file that is gone, remembered in the checksum memo.
    const memoFile = path.join(opt, 'model-hashes.json');
    const memo = JSON.parse(fs.readFileSync(memoFile, 'utf8')) as Record<string, unknown>;
    assert.ok(memo[models.a] && memo[models.b], 'both checksums remembered');
    const gone = writeModel(modelsDir, 'gone.onnx', redMatteModel('sigmoid', [4, 4]));
    const p0 = processOn(dir, { maxBytes: 0, maxAgeDays: 0 });
    await p0.cache.modelChecksum(gone);
    fs.rmSync(gone);

    const p2 = processOn(dir, { maxBytes: 0, maxAgeDays: 0 });
    await p2.load('c');
    const left = listing(dir);
    assert.equal(left.a, undefined, 'the hour-old orphan is removed');
    assert.deepEqual(left.b, { onnx: true, json: false, bytes: left.b.bytes }, 'the young orphan is kept');
    const memoNow = JSON.parse(fs.readFileSync(memoFile, 'utf8')) as Record<string, unknown>;
    assert.equal(memoNow[gone], undefined, 'the deleted model is forgotten');
    assert.ok(memoNow[models.c], 'the existing model is remembered');
    await p2.close();
  });

  it('the daemon counts removed graphs in seglens_optimized_cache_removed_total', async () => {
    const base = tempDir('seglens-collect-daemon-');
    const cacheDir = path.join(base, 'cache');
    const opt = path.join(cacheDir, OPTIMIZED_DIR);
    // A stale complete entry of some other model, last used 60 days ago.
    fs.mkdirSync(opt, { recursive: true });
    const stale = path.join(opt, 'old-model-0123456789abcdef01234567');
    fs.writeFileSync(`${stale}.onnx`, Buffer.alloc(4096));
    fs.writeFileSync(`${stale}.json`, '{}\n');
    const when = new Date(Date.now() - 60 * DAY);
    for (const f of [`${stale}.onnx`, `${stale}.json`]) fs.utimesSync(f, when, when);

    const d = await startListening({ cacheMaxDays: 30, preloadRecent: 0 }, { cacheDir });
    try {
      const c = await d.connect('collect');
      const before = metric((await c.metrics()).text, 'seglens_optimized_cache_removed_total');
      assert.equal(before, 0);
      await c.ensureReady('text');
      // Collecting runs after the warm-up's answer (issue #14): wait for the count, bounded.
      let text = (await c.metrics()).text;
      for (let i = 0; i < 100 && metric(text, 'seglens_optimized_cache_removed_total') === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = (await c.metrics()).text;
      }
      assert.equal(metric(text, 'seglens_optimized_cache_total', { outcome: 'miss' }), 1);
      assert.equal(metric(text, 'seglens_optimized_cache_removed_total'), 1);
      assert.equal(fs.existsSync(`${stale}.onnx`), false);
      assert.equal(fs.existsSync(`${stale}.json`), false);
      c.dispose();
    } finally {
      await d.stop();
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
