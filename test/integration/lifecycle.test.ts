// Model lifecycle through the real daemon: what survives a restart (recently used modes,
// preloaded again; never a warm flag), keep-alive unloading and the model budget.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ModeStatus, SelectMode } from '../../daemon/api/protocol';
import { counters, metric, startListening, tempDir } from '../helpers/daemonProcess';
import { samplesDir } from '../helpers/repo';

/** Waits until `pred` holds for the mode's status (polling). */
async function waitFor(client: Awaited<ReturnType<Awaited<ReturnType<typeof startListening>>['connect']>>, mode: string, pred: (s: ModeStatus) => boolean, ms = 60_000): Promise<ModeStatus> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = (await client.status()).modes.find((m) => m.mode === mode)!;
    if (pred(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting on ${mode}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a restarted daemon starts cold, preloads the recently used mode, and never claims warm before warming', async () => {
  const cacheDir = tempDir('seglens-cache-');
  try {
    const first = await startListening({ warmupIterations: 1 }, { cacheDir });
    const c = await first.connect('before-restart');
    await c.ensureReady('text');
    await c.segment({ mode: 'text', image: { path: path.join(samplesDir, 'text.png') } });
    c.dispose();
    await first.stop();
    const recent = JSON.parse(fs.readFileSync(path.join(cacheDir, 'recent-modes.json'), 'utf8'));
    assert.equal(recent.modes[0].mode, 'text', 'the used mode is remembered in the cache folder');

    const second = await startListening({ warmupIterations: 1 }, { cacheDir });
    try {
      const w = await second.connect('after-restart');
      const seen: ModeStatus[] = [];
      w.onModelState((s) => seen.push(s));
      const atStart = (await w.status()).modes;
      for (const m of atStart) {
        if (m.warm) assert.ok(m.warmups >= 1, `${m.mode} is reported warm only after a warm-up in this process`);
      }
      const text = await waitFor(w, 'text', (s) => s.warm);
      assert.equal(text.warmups, 1, 'preloaded: one warm-up, in this process');
      for (const s of seen) if (s.warm) assert.ok(s.warmups >= 1, 'no notification claims warm before a warm-up');
      const r = await w.ensureReady('text');
      assert.deepEqual([r.load, r.warmup], ['cached', 'skipped'], 'the first request after the restart finds it warm');
      const others = (await w.status()).modes.filter((m) => m.mode !== 'text');
      assert.ok(others.every((m) => !m.warm), 'modes not used before the restart stay cold');
      w.dispose();
    } finally {
      await second.stop();
    }
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('keep-alive: an idle mode nobody selected is unloaded; a selected one is kept', async () => {
  const d = await startListening({ warmupIterations: 1, keepAliveSeconds: 2 });
  try {
    const keeper = await d.connect('keeper');
    const passer = await d.connect('passer');
    await keeper.ensureReady('text');
    await new Promise((r) => setTimeout(r, 3500));
    let text = (await keeper.status()).modes.find((m) => m.mode === 'text')!;
    assert.equal(text.warm, true, 'kept while a client has it selected');
    assert.equal(text.selected, true);
    // The keeper moves to another mode; the passer never selected text: it expires.
    await keeper.request(SelectMode, { mode: 'fast' });
    text = await waitFor(keeper, 'text', (s) => s.state === 'cold', 15_000);
    assert.equal(text.loaded, false);
    const deadline = Date.now() + 10_000;
    let evictions = 0;
    while (Date.now() < deadline && (evictions = metric((await passer.metrics()).text, 'seglens_evictions_total', { mode: 'text', reason: 'idle' })) === 0) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(evictions, 1);
    keeper.dispose();
    passer.dispose();
  } finally {
    await d.stop();
  }
});

test('budget: with --max-loaded-models 1, loading ISNet evicts the idle text model', async () => {
  const d = await startListening({ warmupIterations: 1, maxLoadedModels: 1 });
  try {
    const a = await d.connect('a');
    const b = await d.connect('b');
    await a.ensureReady('text');
    await b.ensureReady('fast');
    const text = await waitFor(a, 'text', (s) => s.state === 'cold', 15_000);
    assert.equal(text.warm, false);
    const st = await a.status();
    assert.deepEqual(st.models!.map((m) => m.key), ['isnet-medium']);
    assert.ok(st.models![0].approxBytes > 0, 'memory attributed to the loaded model');
    // The state turns cold as the eviction starts; it is counted once the session is freed.
    const deadline = Date.now() + 10_000;
    let evictions = 0;
    while (Date.now() < deadline && (evictions = metric((await a.metrics()).text, 'seglens_evictions_total', { mode: 'text', reason: 'budget' })) === 0) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(evictions, 1);
    // Using text again loads it again (and evicts ISNet in turn).
    const again = await a.ensureReady('text');
    assert.deepEqual([again.load, again.warmup], ['ran', 'ran']);
    assert.equal((await counters(a, 'text')).loads, 2);
    a.dispose();
    b.dispose();
  } finally {
    await d.stop();
  }
});
