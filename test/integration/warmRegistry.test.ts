// The warm-up registry through the real daemon process, the real ISNet model and real photos:
// the seed's client sequence, the cold race, and notifications to every client.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DaemonClient } from '../../daemon/api/client';
import { ModeStatus } from '../../daemon/api/protocol';
import { counters, ListeningDaemon, metric, startListening } from '../helpers/daemonProcess';
import { samplePhotos } from '../helpers/repo';

let daemon: ListeningDaemon;
const open: DaemonClient[] = [];
const connect = async (name: string) => {
  const c = await daemon.connect(name);
  open.push(c);
  return c;
};

before(async () => {
  // One dummy inference per warm-up keeps the suite quick; the count per warm-up is unit-tested.
  daemon = await startListening({ warmupIterations: 1 });
});
after(async () => {
  for (const c of open) c.dispose();
  await daemon.stop();
});

test("the seed's sequence: ran, skipped, skipped after reconnect, per-mode, force, unload", async () => {
  const c1 = await connect('client-1');
  const r1 = await c1.ensureReady('balanced');
  assert.deepEqual([r1.load, r1.warmup, r1.state], ['ran', 'ran', 'warm']);
  assert.equal((await counters(c1, 'balanced')).warmups, 1);

  const c2 = await connect('client-2');
  const r2 = await c2.ensureReady('balanced');
  assert.deepEqual([r2.load, r2.warmup], ['cached', 'skipped'], 'a second client finds the mode warm');
  assert.deepEqual(await counters(c2, 'balanced'), { loads: 1, warmups: 1, skipped: 1 });

  c1.dispose();
  c2.dispose();
  const c3 = await connect('client-3');
  const r3 = await c3.ensureReady('balanced');
  assert.deepEqual([r3.load, r3.warmup], ['cached', 'skipped'], 'warm survives every client leaving');

  const s = await c3.ensureReady('sota');
  assert.deepEqual([s.load, s.warmup], ['cached', 'ran'], 'sota shares the ISNet session but warms its own shape');
  const st = await c3.status();
  const byMode = new Map(st.modes.map((m) => [m.mode, m]));
  assert.equal(byMode.get('balanced')!.warm, true, 'switching mode keeps the first warm');
  assert.equal(byMode.get('sota')!.warm, true);
  assert.equal(byMode.get('accurate')!.state, 'cold', 'warming balanced and sota does not warm accurate');
  c3.dispose();

  const c4 = await connect('client-4');
  const r4 = await c4.ensureReady('sota');
  assert.deepEqual([r4.load, r4.warmup], ['cached', 'skipped']);

  const forced = await c4.warmup({ mode: 'sota', force: true });
  assert.equal(forced.ran, true);
  const notForced = await c4.warmup({ mode: 'sota' });
  assert.equal(notForced.ran, false);
  assert.equal((await counters(c4, 'sota')).warmups, 2);

  const { unloaded } = await c4.unload();
  assert.deepEqual(unloaded.sort(), ['balanced', 'sota']);
  const after = await c4.ensureReady('balanced');
  assert.deepEqual([after.load, after.warmup], ['ran', 'ran'], 'after unload the next ensureReady loads and warms again');

  const text = (await c4.metrics()).text;
  assert.equal(metric(text, 'seglens_model_loads_total'), 2, 'one ISNet session for all ISNet modes, loaded twice in all (before and after unload)');
  assert.equal(metric(text, 'seglens_warmup_runs_total', { mode: 'balanced' }), 2);
  assert.equal(metric(text, 'seglens_warmup_runs_total', { mode: 'balanced', source: 'dummy' }), 2, 'ensureReady runs its own (dummy) warm-up');
  assert.equal(metric(text, 'seglens_warmup_skipped_total', { mode: 'balanced' }), 2);
  assert.ok(metric(text, 'seglens_client_ready_seconds_count') >= 4, 'connection latency recorded per client');
  await c4.unload();
});

test('ten clients racing on a cold mode cost one load and one warm-up', async () => {
  const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => connect(`racer-${i}`)));
  const before = await counters(clients[0], 'fast');
  const results = await Promise.all(clients.map((c) => c.ensureReady('fast')));
  const after = await counters(clients[0], 'fast');
  assert.equal(after.warmups - before.warmups, 1, 'exactly one warm-up');
  assert.ok(after.loads - before.loads <= 1, 'at most one load');
  assert.equal(results.filter((r) => r.warmup === 'ran').length, 1);
  assert.equal(results.filter((r) => r.warmup === 'joined').length, 9);
  assert.ok(results.every((r) => r.state === 'warm'));
  const st = await clients[0].status();
  assert.ok(st.clients >= 10, `status counts initialized clients (${st.clients})`);
  for (const c of clients) c.dispose();
});

test('every client hears each state change; a segment on a warm mode says so', async () => {
  const watcher = await connect('watcher');
  const worker = await connect('worker');
  const seen: ModeStatus[] = [];
  watcher.onModelState((s) => seen.push(s));
  await worker.unload('text');
  await worker.ensureReady('text');
  await new Promise((r) => setTimeout(r, 100));
  const states = seen.filter((s) => s.mode === 'text').map((s) => s.state);
  assert.deepEqual(states.slice(-3), ['loading', 'warming', 'warm'], `watcher saw ${states.join(' → ')}`);

  const photo = samplePhotos()[0];
  const r = await worker.segment({ mode: 'text', image: { path: photo } });
  assert.equal(r.wasWarm, true);
  assert.ok(r.width > 0 && r.height > 0);
  const sum = r.classes.reduce((a, c) => a + c.fraction, 0);
  assert.ok(Math.abs(sum - 1) < 1e-6, `fractions sum to 1 (${sum})`);
  const last = (await watcher.status()).modes.find((m) => m.mode === 'text')!;
  assert.ok(last.lastInferenceMs !== undefined && last.lastInferenceMs > 0);
});

test('a segment on a cold mode is its own warm-up: no dummy inference, wasWarm=false, once', async () => {
  const c = await connect('cold-segment');
  await c.unload('fast');
  const photos = samplePhotos();
  const before = await counters(c, 'fast');
  const bySource = async (source: string) => metric((await c.metrics()).text, 'seglens_warmup_runs_total', { mode: 'fast', source });
  const [requestBefore, dummyBefore] = [await bySource('request'), await bySource('dummy')];
  const [a, b] = await Promise.all([
    c.segment({ mode: 'fast', image: { path: photos[0] } }),
    c.segment({ mode: 'fast', image: { path: photos[1] } }),
  ]);
  const after = await counters(c, 'fast');
  assert.equal(a.wasWarm, false);
  assert.equal(b.wasWarm, false);
  assert.equal(after.warmups - before.warmups, 1, 'two cold segments share one warm-up');
  assert.equal(after.loads - before.loads, 1, 'and one load');
  assert.equal((await bySource('request')) - requestBefore, 1, 'the first request was the warm-up');
  assert.equal((await bySource('dummy')) - dummyBefore, 0, 'no dummy inference ran in front of it');
  const st = (await c.status()).modes.find((m) => m.mode === 'fast')!;
  assert.deepEqual([st.state, st.warm], ['warm', true]);
  const again = await c.segment({ mode: 'fast', image: { path: photos[0] } });
  assert.equal(again.wasWarm, true);
  assert.equal(again.maskPng, a.maskPng, 'same photo, same mask');
  await c.unload();
});
