import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { DegradationDetector } from '../../daemon/registry/degradation';
import { JobQueue } from '../../daemon/registry/jobQueue';
import { Lifecycle } from '../../daemon/registry/lifecycle';
import { RecentModes } from '../../daemon/registry/recentModes';
import { Registry } from '../../daemon/registry/registry';
import { metric } from '../helpers/daemonProcess';
import { FakeEngine, fakeMode } from '../helpers/fakeEngine';
import { inMemoryDaemon } from '../helpers/inMemoryDaemon';

test('degradation: baseline from the first runs after a warm-up, trigger at 1.5x the median', () => {
  const d = new DegradationDetector({ baselineSamples: 3, window: 5, factor: 1.5 });
  for (const ms of [100, 110, 90]) assert.equal(d.record(ms), false);
  assert.equal(d.baselineMs, 100);
  // One slow run in five does not count: the median stays low.
  for (const ms of [100, 400, 100, 100, 100]) assert.equal(d.record(ms), false);
  // Mostly slow: 3 of the last 5 over 150 → median 160.
  assert.equal(d.record(160), false);
  assert.equal(d.record(160), false);
  assert.equal(d.record(160), true);
  // It fires once, then waits for a fresh window.
  assert.equal(d.record(160), false);
  d.reset();
  assert.equal(d.baselineMs, undefined);
});

function setupLifecycle(opts: { keepAliveMs?: number; maxLoadedModels?: number; maxRssBytes?: number; rss?: () => number } = {}) {
  const engine = new FakeEngine();
  const registry = new Registry([fakeMode('a', 'm1'), fakeMode('b', 'm1'), fakeMode('c', 'm2'), fakeMode('d', 'm3')], engine, new JobQueue(8));
  let clock = 1_000_000;
  const evicted: string[] = [];
  const life = new Lifecycle(registry, {
    keepAliveMs: opts.keepAliveMs ?? 60_000,
    maxLoadedModels: opts.maxLoadedModels ?? 0,
    maxRssBytes: opts.maxRssBytes ?? 0,
    now: () => clock,
    rss: opts.rss ?? (() => 0),
    onEvicted: (mode, reason) => evicted.push(`${mode}:${reason}`),
  });
  return { engine, registry, life, evicted, advance: (ms: number) => (clock += ms), now: () => clock };
}

test('keep-alive: an idle unselected mode is unloaded after its keep-alive; a selected one is kept', async () => {
  const { registry, life, evicted, advance, now } = setupLifecycle({ keepAliveMs: 60_000 });
  const alice = {};
  const bob = {};
  await registry.ensureReady('a');
  life.used('a', alice);
  await registry.ensureReady('c');
  life.used('c', bob);
  life.select(bob, 'd'); // bob moved on: c is no longer selected by anyone
  assert.equal(life.expiresAt('a'), undefined, 'selected by alice: kept');
  assert.equal(life.expiresAt('c'), now() + 60_000);
  advance(59_000);
  assert.deepEqual(await life.sweep(), []);
  advance(2_000);
  assert.deepEqual(await life.sweep(), ['c']);
  assert.deepEqual(evicted, ['c:idle']);
  assert.equal(registry.status('c').state, 'cold');
  assert.equal(registry.status('a').warm, true);
  // Alice leaves: a's keep-alive starts then.
  life.clientGone(alice);
  assert.equal(life.expiresAt('a'), now() + 60_000);
  advance(61_000);
  assert.deepEqual(await life.sweep(), ['a']);
});

test('a mode with a request running is never evicted', async () => {
  const { registry, life, advance } = setupLifecycle({ keepAliveMs: 1000 });
  await registry.ensureReady('c');
  life.used('c');
  const release = registry.hold('c');
  advance(5000);
  assert.deepEqual(await life.sweep(), []);
  release();
  assert.deepEqual(await life.sweep(), ['c']);
});

test('budget: past N loaded model files the least recently used idle one goes, all its modes with it', async () => {
  const { registry, life, evicted, advance } = setupLifecycle({ maxLoadedModels: 2 });
  await registry.ensureReady('a');
  life.used('a');
  advance(10);
  await registry.ensureReady('b'); // same file m1
  life.used('b');
  advance(10);
  await registry.ensureReady('c');
  life.used('c');
  advance(10);
  assert.deepEqual(await life.enforceBudget(), [], 'two files: within budget');
  await registry.ensureReady('d');
  life.used('d');
  const out = await life.enforceBudget('m3');
  assert.deepEqual(out.sort(), ['a', 'b'], 'm1 (a, b) was used least recently');
  assert.deepEqual(evicted.sort(), ['a:budget', 'b:budget']);
  assert.equal(registry.status('c').warm, true);
  assert.equal(registry.status('d').warm, true);
});

test('budget: over the RSS limit, idle models go until it fits, unselected first', async () => {
  let rss = 3000;
  const { registry, life } = setupLifecycle({ maxRssBytes: 2000, rss: () => rss });
  const client = {};
  await registry.ensureReady('a');
  life.used('a', client); // selected
  await registry.ensureReady('c');
  life.used('c');
  await registry.ensureReady('d');
  life.used('d');
  const out: string[] = [];
  const orig = registry.unload.bind(registry);
  registry.unload = async (m?: string) => {
    rss -= 1200;
    return orig(m);
  };
  out.push(...(await life.enforceBudget('m3')));
  assert.deepEqual(out, ['c'], 'c (unselected) goes first; then RSS fits');
  assert.equal(registry.status('a').warm, true, 'the selected mode stays');
});

test('memory per model: RSS growth seen at its load and warm-ups', async () => {
  let rss = 100;
  const { registry, life } = setupLifecycle({ rss: () => rss });
  await registry.ensureReady('a');
  rss = 600;
  life.noteGrowth('m1');
  rss = 650;
  life.noteGrowth('m1');
  assert.deepEqual(life.models(), [{ key: 'm1', file: '/models/m1.onnx', modes: ['a'], approxBytes: 550 }]);
});

test('recent modes survive in the cache folder, most recent first; a corrupt file is ignored', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-recent-'));
  try {
    const r = new RecentModes(dir);
    r.used('fast', 1000);
    r.used('text', 3000);
    r.used('accurate', 2000);
    r.setSteady('accurate', 1371.26);
    r.flush();
    assert.deepEqual(new RecentModes(dir).list(), ['text', 'accurate', 'fast']);
    assert.deepEqual([...new RecentModes(dir).steadyTimes()], [['accurate', 1371.3]], 'steady times are remembered beside the recent modes');
    fs.writeFileSync(path.join(dir, 'recent-modes.json'), '{ not json');
    const warnings: string[] = [];
    assert.deepEqual(new RecentModes(dir, (_l, m) => warnings.push(m)).list(), []);
    assert.equal(warnings.length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the daemon re-warms a mode once its inference times degrade, when nothing is queued', async () => {
  const engine = new FakeEngine();
  const { connect, logs } = inMemoryDaemon([fakeMode('a')], engine);
  const c = await connect();
  await c.ensureReady('a');
  // Baseline 100 ms (three runs), then the mode slows to 200 ms.
  engine.inferenceMs = [100, 100, 100, 100, 100, 200, 200, 200];
  for (let i = 0; i < 8; i++) await c.segment({ mode: 'a', image: { base64: 'AAAA' } });
  await new Promise((r) => setTimeout(r, 50));
  const text = (await c.metrics()).text;
  assert.equal(metric(text, 'seglens_rewarm_degraded_total', { mode: 'a' }), 1);
  assert.equal(metric(text, 'seglens_warmup_runs_total', { mode: 'a' }), 2, 'one forced warm-up on top of the first');
  assert.ok(logs.some((l) => /re-warming/.test(l)));
  // Steady again at the old speed: no further re-warm.
  engine.inferenceMs = [100, 100, 100, 100, 100, 100, 100, 100];
  for (let i = 0; i < 8; i++) await c.segment({ mode: 'a', image: { base64: 'AAAA' } });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(metric((await c.metrics()).text, 'seglens_rewarm_degraded_total', { mode: 'a' }), 1);
  c.dispose();
});

test('status tells which modes are selected and when an idle one expires', async () => {
  const engine = new FakeEngine();
  const { connect } = inMemoryDaemon([fakeMode('a', 'm1'), fakeMode('c', 'm2')], engine, { keepAliveMs: 60_000 });
  const c1 = await connect('one');
  const c2 = await connect('two');
  await c1.ensureReady('a');
  await c2.ensureReady('c');
  await c2.request(await import('../../daemon/api/protocol').then((P) => P.SelectMode), { mode: 'a' });
  const st = await c1.status();
  const a = st.modes.find((m) => m.mode === 'a')!;
  const cm = st.modes.find((m) => m.mode === 'c')!;
  assert.equal(a.selected, true);
  assert.equal(a.expiresAt, undefined);
  assert.equal(cm.selected, undefined);
  assert.ok(cm.expiresAt && Date.parse(cm.expiresAt) > Date.now() + 50_000);
  assert.equal(st.keepAliveMs, 60_000);
  assert.deepEqual(st.models!.map((m) => m.key).sort(), ['m1', 'm2']);
  c1.dispose();
  c2.dispose();
});
