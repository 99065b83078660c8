import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SegLensError } from '../../daemon/api/errors';
import { EngineCrashedError } from '../../daemon/engine/engine';
import { JobQueue } from '../../daemon/registry/jobQueue';
import { ModeStatus } from '../../daemon/api/protocol';
import { Registry } from '../../daemon/registry/registry';
import { FakeEngine, fakeMode } from '../helpers/fakeEngine';

function setup(modes = [fakeMode('a'), fakeMode('b'), fakeMode('c', 'm2')]) {
  const engine = new FakeEngine();
  const states: ModeStatus[] = [];
  const counts = { loads: 0, warmups: 0, skipped: 0 };
  const registry = new Registry(modes, engine, new JobQueue(32), {
    onState: (s) => states.push(s),
    onLoad: () => counts.loads++,
    onWarmup: () => counts.warmups++,
    onWarmupSkipped: () => counts.skipped++,
  });
  return { engine, registry, states, counts };
}

test('a cold mode loads and warms once; later calls are cached and skipped', async () => {
  const { engine, registry, counts } = setup();
  const first = await registry.ensureReady('a');
  assert.deepEqual([first.load, first.warmup, first.state], ['ran', 'ran', 'warm']);
  const second = await registry.ensureReady('a');
  assert.deepEqual([second.load, second.warmup, second.state], ['cached', 'skipped', 'warm']);
  assert.equal(engine.loads.length, 1);
  assert.equal(engine.warmups.length, 1);
  assert.equal(engine.warmups[0].iterations, 3, 'the mode default of dummy inferences');
  assert.deepEqual(counts, { loads: 1, warmups: 1, skipped: 1 });
});

test('states go cold → loading → warming → warm, each notified', async () => {
  const { registry, states } = setup();
  assert.equal(registry.status('a').state, 'cold');
  await registry.ensureReady('a');
  assert.deepEqual(
    states.filter((s) => s.mode === 'a').map((s) => s.state),
    ['loading', 'warming', 'warm'],
  );
  const s = registry.status('a');
  assert.equal(s.warm, true);
  assert.equal(s.loaded, true);
  assert.equal(s.warmups, 1);
});

test('single flight: ten concurrent callers on a cold mode share one load and one warm-up', async () => {
  const { engine, registry } = setup();
  engine.hold();
  const calls = Array.from({ length: 10 }, () => registry.ensureReady('a'));
  await new Promise((r) => setImmediate(r));
  engine.release();
  const results = await Promise.all(calls);
  assert.equal(engine.loads.length, 1);
  assert.equal(engine.warmups.length, 1);
  assert.equal(results.filter((r) => r.load === 'ran' && r.warmup === 'ran').length, 1, 'exactly one caller ran the work');
  assert.equal(results.filter((r) => r.load === 'joined' && r.warmup === 'joined').length, 9);
});

test('modes on one model file share one load, but each warms its own shape', async () => {
  const { engine, registry } = setup();
  engine.hold();
  const both = [registry.ensureReady('a'), registry.ensureReady('b')];
  await new Promise((r) => setImmediate(r));
  engine.release();
  const [ra, rb] = await Promise.all(both);
  assert.equal(engine.loads.length, 1, 'a and b share model m1');
  assert.deepEqual(engine.warmups.map((w) => w.mode).sort(), ['a', 'b']);
  assert.deepEqual([ra.load, rb.load].sort(), ['joined', 'ran']);
  const rc = await registry.ensureReady('c');
  assert.equal(rc.load, 'ran', 'c has its own model file');
  assert.equal(engine.loads.length, 2);
});

test('warming one mode does not make another warm; switching keeps the first warm', async () => {
  const { registry } = setup();
  await registry.ensureReady('a');
  assert.equal(registry.status('b').warm, false);
  const rb = await registry.ensureReady('b');
  assert.equal(rb.load, 'cached', 'session already there');
  assert.equal(rb.warmup, 'ran');
  assert.equal(registry.status('a').warm, true);
});

test('warmup: skipped when warm, force always runs, iterations honoured', async () => {
  const { engine, registry, counts } = setup();
  const cold = await registry.warmup('a');
  assert.equal(cold.ran, true);
  const skip = await registry.warmup('a');
  assert.equal(skip.ran, false);
  const forced = await registry.warmup('a', true, 2);
  assert.deepEqual([forced.ran, forced.iterations], [true, 2]);
  assert.equal(engine.warmups.length, 2);
  assert.equal(engine.warmups[1].iterations, 2);
  assert.equal(registry.status('a').warmups, 2);
  assert.equal(counts.skipped, 1);
});

test('ensureReady without warm-up loads only, and a later call warms', async () => {
  const { engine, registry } = setup();
  const r = await registry.ensureReady('a', false);
  assert.deepEqual([r.load, r.warmup, r.state], ['ran', 'disabled', 'cold']);
  assert.equal(registry.status('a').loaded, true);
  assert.equal(registry.status('a').warm, false);
  const w = await registry.ensureReady('a');
  assert.deepEqual([w.load, w.warmup], ['cached', 'ran']);
  assert.equal(engine.loads.length, 1);
});

test('unload clears warm state and frees the session once no mode uses it', async () => {
  const { engine, registry } = setup();
  await registry.ensureReady('a');
  await registry.ensureReady('b');
  assert.deepEqual(await registry.unload('a'), ['a']);
  assert.deepEqual(engine.unloads, [], 'b still uses m1');
  assert.equal(registry.status('a').state, 'cold');
  assert.equal(registry.status('b').warm, true);
  assert.deepEqual(await registry.unload(), ['b']);
  assert.deepEqual(engine.unloads, ['m1']);
  const again = await registry.ensureReady('a');
  assert.deepEqual([again.load, again.warmup], ['ran', 'ran']);
});

test('a failing model marks only its mode failed (1004) and a retry tries again', async () => {
  const { engine, registry } = setup();
  engine.failing.add('m2');
  await assert.rejects(registry.ensureReady('c'), (e: unknown) => e instanceof SegLensError && e.code === 1004);
  assert.equal(registry.status('c').state, 'failed');
  assert.match(registry.status('c').error ?? '', /cannot load/);
  await registry.ensureReady('a');
  assert.equal(registry.status('a').state, 'warm');
  engine.failing.clear();
  const retry = await registry.ensureReady('c');
  assert.equal(retry.state, 'warm');
});

test('an unknown mode is invalid params (-32602)', async () => {
  const { registry } = setup();
  await assert.rejects(registry.ensureReady('nope'), (e: unknown) => e instanceof SegLensError && e.code === -32602 && /known modes: a, b, c/.test(e.message));
});

test('a worker crash: loaded modes go cold with the reason; a crash under a load leaves the mode cold, not failed', async () => {
  const { engine, registry, states } = setup();
  await registry.ensureReady('a');
  await registry.ensureReady('c');
  registry.engineLost('worker exited with code 1');
  for (const m of ['a', 'c']) {
    const s = registry.status(m);
    assert.deepEqual([s.state, s.loaded, s.warm], ['cold', false, false]);
    assert.match(s.error ?? '', /inference worker stopped/);
  }
  assert.ok(states.some((s) => s.mode === 'a' && s.state === 'cold'), 'clients are told');
  // The next request really loads again.
  const again = await registry.ensureReady('a');
  assert.deepEqual([again.load, again.warmup], ['ran', 'ran']);
  assert.equal(engine.loads.filter((k) => k === 'm1').length, 2);

  const crash = new EngineCrashedError('the inference worker crashed');
  const load = engine.load.bind(engine);
  engine.load = async () => {
    throw crash;
  };
  await assert.rejects(registry.ensureReady('c'), (e: unknown) => e instanceof SegLensError && e.code === -32603 && /try again/.test(e.message));
  assert.equal(registry.status('c').state, 'cold');
  engine.load = load;
});

// ---------------------------------------------------------------- request-as-warm-up (issue #14)

function setupSources() {
  const engine = new FakeEngine();
  const sources: string[] = [];
  const registry = new Registry([fakeMode('a'), fakeMode('b')], engine, new JobQueue(32), { onWarmup: (_m, _ms, source) => sources.push(source) });
  return { engine, registry, sources };
}

test('request-as-warm-up: a cold mode with the engine free is only loaded; the request warms it', async () => {
  const { engine, registry, sources } = setupSources();
  const ticket = await registry.prepareForRequest('a', () => true);
  assert.ok(ticket, 'the request is the warm-up');
  assert.deepEqual([engine.loads.length, engine.warmups.length], [1, 0], 'loaded, no dummy inference');
  assert.deepEqual([registry.status('a').state, registry.isWarm('a')], ['warming', false], 'not warm before its first run');
  ticket.done(120);
  const s = registry.status('a');
  assert.deepEqual([s.state, s.warm, s.warmups, s.warmupMs], ['warm', true, 1, 120]);
  assert.deepEqual(sources, ['request']);
  assert.equal(await registry.prepareForRequest('a', () => true), undefined, 'warm now: nothing to prepare');
});

test('request-as-warm-up: concurrent requests share one load and wait for the first request to warm the mode', async () => {
  const { engine, registry, sources } = setupSources();
  engine.hold();
  const all = Array.from({ length: 5 }, () => registry.prepareForRequest('a', () => true));
  await new Promise((r) => setImmediate(r));
  engine.release();
  const first = await all[0];
  assert.ok(first);
  let joinedDone = false;
  const rest = Promise.all(all.slice(1)).then((r) => ((joinedDone = true), r));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(joinedDone, false, 'the others wait for the first request to pay the first-run cost');
  // ensureReady from another client joins the same flight instead of running a dummy warm-up.
  const ready = registry.ensureReady('a');
  first.done(50);
  assert.deepEqual(await rest, [undefined, undefined, undefined, undefined], 'they run as warm requests');
  assert.deepEqual([(await ready).load, (await ready).warmup], ['joined', 'joined']);
  assert.deepEqual([engine.loads.length, engine.warmups.length, sources.length], [1, 0, 1]);
});

test('request-as-warm-up: a failed request leaves the mode loaded and cold; the next warm-up is real', async () => {
  const { engine, registry, sources } = setupSources();
  const ticket = (await registry.prepareForRequest('a', () => true))!;
  const joiner = registry.ensureReady('a');
  ticket.failed();
  const s = registry.status('a');
  assert.deepEqual([s.loaded, s.warm], [true, false]);
  const r = await joiner;
  assert.equal(r.warmup, 'ran', 'ensureReady that joined the failed request runs its own warm-up');
  assert.deepEqual([engine.loads.length, engine.warmups.length], [1, 1]);
  assert.deepEqual(sources, ['dummy']);
  assert.equal(registry.isWarm('a'), true);
});

test('request-as-warm-up: with the engine busy, a cold mode gets the dummy warm-up first', async () => {
  const { engine, registry, sources } = setupSources();
  assert.equal(await registry.prepareForRequest('b', () => false), undefined);
  assert.deepEqual([engine.warmups.length, registry.isWarm('b')], [1, true]);
  assert.deepEqual(sources, ['dummy']);
});

test('request-as-warm-up: a failed load fails the request and every caller that joined it', async () => {
  const { engine, registry } = setupSources();
  engine.failing.add('m1');
  engine.hold();
  const both = [registry.prepareForRequest('a', () => true), registry.prepareForRequest('a', () => true)];
  await new Promise((r) => setImmediate(r));
  engine.release();
  for (const p of both) await assert.rejects(p, (e: unknown) => e instanceof SegLensError && e.code === 1004);
  assert.equal(registry.status('a').state, 'failed');
});

test('steady time: the median of the last warm inferences, not first runs; a remembered one until then', async () => {
  const steady: [string, number][] = [];
  const registry = new Registry([fakeMode('a')], new FakeEngine(), new JobQueue(32), { onSteady: (m, ms) => steady.push([m, ms]) });
  registry.rememberSteady('a', 900);
  assert.equal(registry.status('a').steadyMs, 900, 'remembered from an earlier process');
  registry.recordInference('a', 5000); // a first run (request-as-warm-up): not steady
  assert.equal(registry.status('a').steadyMs, 900);
  for (const ms of [1000, 1200, 1100]) registry.recordInference('a', ms, true);
  assert.equal(registry.status('a').steadyMs, 1100, 'median of 1000, 1200, 1100');
  for (const ms of [2000, 2000, 2000]) registry.recordInference('a', ms, true);
  assert.equal(registry.status('a').steadyMs, 2000, 'the last 5 only');
  assert.deepEqual(steady.at(-1), ['a', 2000]);
  registry.rememberSteady('a', 10);
  assert.equal(registry.status('a').steadyMs, 2000, 'a measurement in this process wins');
});

test('degradation: recordInference says when a warm mode got slow; a warm-up measures a new baseline; the watchdog follows', async () => {
  const registry = new Registry([fakeMode('a')], new FakeEngine(), new JobQueue(32), {});
  await registry.ensureReady('a');
  for (const ms of [100, 100, 100]) assert.equal(registry.recordInference('a', ms, true), false, 'the baseline runs');
  assert.equal(registry.timing('a').baselineMs, 100);
  assert.equal(registry.recordInference('a', 1000, false), false, 'a first run counts for nothing');
  const slow = [1, 2, 3, 4, 5].map(() => registry.recordInference('a', 400, true));
  assert.deepEqual(slow, [false, false, false, false, true], 'degraded once the recent median passes 1.5x the baseline');
  assert.equal(registry.timing('a').watchdogMs(30_000), 30_000, 'the floor when 10x the known times is below it');
  assert.equal(registry.timing('a').watchdogMs(1_000), 4_000, '10x the steady time (400 ms) over a low floor');
  assert.equal(registry.timing('a').watchdogMs(0), undefined, 'no floor, no watchdog');
  await registry.warmup('a', true);
  assert.equal(registry.timing('a').baselineMs, undefined, 'the warm-up reset the baseline');
  for (const ms of [400, 400, 400]) registry.recordInference('a', ms, true);
  assert.equal(registry.timing('a').baselineMs, 400);
  assert.ok([1, 2, 3, 4, 5].every(() => !registry.recordInference('a', 400, true)), 'as fast as the new baseline: not degraded');
});
