// Issue #13, native crash isolation (item 5) and the inference watchdog (item 4), against the
// real daemon. The engine aborts natively (process.abort(): SIGABRT) or hangs on marker images,
// through the TEST-ONLY hooks that SEGLENS_TEST_CRASH_HOOKS=1 turns on (daemon/engine/host/inputGuard.ts).
// With the engine in a worker thread (SEGLENS_ENGINE_HOST=thread, the daemon before the fix)
// the abort kills the daemon: the first test shows it, and every other test here fails that way.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { TEST_ABORT_MARKER, TEST_HANG_MARKER } from '../../daemon/engine/host/inputGuard';
import { colorClassesDef, colorClassesModel, quadrantsPng, writeModel } from '../helpers/buildModels';
import { ListeningDaemon, metric, startListening, tempDir } from '../helpers/daemonProcess';
import { samplesDir } from '../helpers/repo';

const HOOKS = { SEGLENS_TEST_CRASH_HOOKS: '1' };
const textImage = path.join(samplesDir, 'text.png');
const H = 32;
const W = 32;

/** Marker bytes (salted: each test's input has its own content hash). */
const marker = (m: string, salt: string) => ({ base64: Buffer.from(`${m} ${salt}`).toString('base64') });

const code = (c: number, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ResponseError, `expected a JSON-RPC error, got ${String(e)}`);
  assert.equal(e.code, c, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

/** Processes whose parent is `pid` (the engine process of a daemon), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** The process exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** VmRSS of a process in MiB (0 when it is gone). */
function rssMiB(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

async function restarts(c: DaemonClient, reason: string): Promise<number> {
  return metric((await c.metrics()).text, 'seglens_engine_restarts_total', { reason });
}

async function waitFor(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let dir: string;
let model: string;
before(() => {
  dir = tempDir('seglens-crash-');
  model = writeModel(dir, 'tiny.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [H, W] }));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const defineTiny = async (c: DaemonClient) => assert.deepEqual((await c.request(P.DefineModes, { modes: [colorClassesDef('tiny', model, [H, W])] })).errors, []);

/** Runs `fn`; on failure the daemon's log comes along in the message. */
async function withLog(d: ListeningDaemon, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    (e as Error).message += `\n--- daemon log (tail) ---\n${d.stderr().slice(-4000)}`;
    throw e;
  }
}

test('why the engine is a process: in a worker thread, a native abort takes the whole daemon down', { timeout: 120_000 }, async () => {
  const d = await startListening({ warmupIterations: 1 }, { env: { ...HOOKS, SEGLENS_ENGINE_HOST: 'thread' } });
  try {
    await withLog(d, async () => {
      const c = await d.connect('victim');
      await defineTiny(c);
      await c.ensureReady('tiny');
      await assert.rejects(c.segment({ mode: 'tiny', image: marker(TEST_ABORT_MARKER, 'thread') }));
      await d.exited;
      assert.equal(d.child.signalCode, 'SIGABRT', 'the daemon itself died of the abort');
      c.dispose();
    });
  } finally {
    await d.stop();
  }
});

describe('the engine in a child process', () => {
  let d: ListeningDaemon;
  let a: DaemonClient;
  let b: DaemonClient;
  before(async () => {
    // ELECTRON_RUN_AS_NODE as inside VS Code: the engine process must get it too (plain Node ignores it).
    d = await startListening({ warmupIterations: 1, preloadRecent: 0 }, { env: { ...HOOKS, ELECTRON_RUN_AS_NODE: '1' } });
    a = await d.connect('crasher');
    b = await d.connect('bystander');
    await defineTiny(a);
  });
  after(async () => {
    a?.dispose();
    b?.dispose();
    await d?.stop();
  });

  test('a native abort fails that request (-32603); the daemon, the other client and the other mode carry on', async (t) => {
    await b.ensureReady('text');
    await a.ensureReady('tiny');
    const [engine] = childrenOf(d.child.pid!);
    assert.ok(engine, 'the engine runs in a child process of the daemon');
    const environ = fs.readFileSync(`/proc/${engine}/environ`, 'utf8');
    assert.match(environ, /(^|\0)ELECTRON_RUN_AS_NODE=1(\0|$)/, 'ELECTRON_RUN_AS_NODE reaches the engine process');
    assert.match(environ, /(^|\0)MALLOC_ARENA_MAX=2(\0|$)/, 'the engine process runs with two malloc arenas (bench P10 memory bound)');
    const before = { daemon: rssMiB(d.child.pid), engine: rssMiB(engine), status: (await b.status()).rssBytes };
    const states: P.ModeStatus[] = [];
    b.onModelState((s) => states.push(s));

    const t0 = performance.now();
    await assert.rejects(a.segment({ mode: 'tiny', image: marker(TEST_ABORT_MARKER, 'one') }), code(P.ErrorCodes.InternalError, /crashed.*SIGABRT/));
    const failMs = performance.now() - t0;
    assert.equal(d.child.exitCode, null, 'the daemon is still running');
    assert.equal(d.child.signalCode, null);

    // Both modes lost their sessions: cold, said to every client, never "warm".
    await waitFor('text and tiny reported cold', () => ['text', 'tiny'].every((m) => states.some((s) => s.mode === m && s.state === 'cold')));
    const st = await b.status();
    assert.equal(st.pid, d.child.pid);
    for (const m of ['text', 'tiny']) {
      const s = st.modes.find((x) => x.mode === m)!;
      assert.equal(s.warm, false, `${m} is not warm after the crash`);
      assert.equal(s.loaded, false, `${m} is not loaded after the crash`);
    }

    // The other client's request on another mode: a new engine process, loaded on demand.
    const r = await b.segment({ mode: 'text', image: { path: textImage } });
    assert.ok(r.width > 0 && r.maskPng.length > 0);
    assert.equal(r.wasWarm, false);
    const [engine2] = childrenOf(d.child.pid!);
    assert.ok(engine2 && engine2 !== engine, `a new engine process (${engine} → ${engine2})`);
    assert.equal(await restarts(b, 'crash'), 1);
    assert.ok((await b.segment({ mode: 'tiny', image: { base64: (await quadrantsPng(W, H)).toString('base64') } })).width === W);

    const afterRss = { daemon: rssMiB(d.child.pid), engine: rssMiB(engine2), status: (await b.status()).rssBytes };
    assert.ok(afterRss.status >= afterRss.daemon * 1024 * 1024 * 0.5, 'status rssBytes counts the engine process too');
    t.diagnostic(`abort → error in ${failMs.toFixed(0)} ms; RSS MiB daemon ${before.daemon} → ${afterRss.daemon}, engine ${before.engine} → ${afterRss.engine}; status rssBytes ${Math.round(before.status / 1048576)} → ${Math.round(afterRss.status / 1048576)} MiB`);
  });

  test('an input that crashed the engine twice is refused (1008) for a while, by content, whatever its path', async (t) => {
    const crashing = marker(TEST_ABORT_MARKER, 'twice');
    const before = await restarts(a, 'crash');
    await assert.rejects(a.segment({ mode: 'tiny', image: crashing }), code(P.ErrorCodes.InternalError, /crashed/));
    await assert.rejects(a.segment({ mode: 'tiny', image: crashing }), code(P.ErrorCodes.InternalError, /crashed/));
    const t0 = performance.now();
    await assert.rejects(a.segment({ mode: 'tiny', image: crashing }), code(P.ErrorCodes.InputQuarantined, /crashed the inference engine twice/));
    const refusalMs = performance.now() - t0;
    // The same bytes in a file: the same input.
    const file = path.join(dir, 'restored-preview.png');
    fs.writeFileSync(file, Buffer.from(crashing.base64, 'base64'));
    await assert.rejects(b.segment({ mode: 'tiny', image: { path: file } }), code(P.ErrorCodes.InputQuarantined));
    assert.equal(await restarts(a, 'crash'), before + 2, 'the refused input did not reach the engine');
    const ok = await b.segment({ mode: 'tiny', image: { base64: (await quadrantsPng(W, H)).toString('base64') } });
    assert.equal(ok.width, W, 'other inputs are still served');
    const text = (await a.metrics()).text;
    assert.ok(metric(text, 'seglens_requests_total', { method: 'seglens/segment', outcome: 'quarantined' }) >= 2);
    t.diagnostic(`time to refusal (1008) of a quarantined input: ${refusalMs.toFixed(1)} ms`);
  });
});

test('the watchdog ends an inference that runs far past its time: the request fails, the engine is replaced, modes reload on demand', { timeout: 120_000 }, async (t) => {
  const d = await startListening({ warmupIterations: 1, preloadRecent: 0, watchdogSeconds: 2 }, { env: HOOKS });
  const c = await d.connect('watchdog');
  try {
    await defineTiny(c);
    const image = { base64: (await quadrantsPng(W, H)).toString('base64') };
    await c.segment({ mode: 'tiny', image });
    const states: P.ModeStatus[] = [];
    c.onModelState((s) => states.push(s));
    const t0 = performance.now();
    await assert.rejects(c.segment({ mode: 'tiny', image: marker(TEST_HANG_MARKER, 'hang') }), code(P.ErrorCodes.InternalError, /watchdog/));
    const ms = performance.now() - t0;
    assert.equal(await restarts(c, 'watchdog'), 1);
    await waitFor('tiny reported cold', () => states.some((s) => s.mode === 'tiny' && s.state === 'cold'));
    const r = await c.segment({ mode: 'tiny', image });
    assert.equal(r.width, W);
    assert.equal(r.wasWarm, false, 'the mode loaded again in the new engine');
    assert.equal(childrenOf(d.child.pid!).length, 1, 'the hung engine is gone; one engine runs');
    t.diagnostic(`hang → watchdog error in ${ms.toFixed(0)} ms (floor 2 s)`);
  } finally {
    c.dispose();
    await d.stop();
  }
});

/** A client with the tiny mode warm, and the engine process that holds it. */
async function tinyEngine(d: ListeningDaemon, name: string): Promise<{ c: DaemonClient; engine: number }> {
  const c = await d.connect(name);
  await defineTiny(c);
  await c.ensureReady('tiny');
  const [engine] = childrenOf(d.child.pid!);
  assert.ok(engine, 'an engine process runs');
  return { c, engine };
}

test('the engine process never outlives its daemon: kill -9 of the daemon ends it too', { timeout: 60_000 }, async () => {
  const d = await startListening({ preloadRecent: 0 });
  try {
    const { c, engine } = await tinyEngine(d, 'orphan-check');
    d.child.kill('SIGKILL');
    await d.exited;
    c.dispose();
    // Its IPC channel closed: the engine exits by itself (no one else would reap a 2 GB orphan).
    await waitFor(`engine ${engine} to exit`, () => !running(engine));
  } finally {
    await d.stop();
  }
});

/** The process's main thread sleeps on a futex (the hang hook's Atomics.wait; an idle Node sleeps in epoll). */
const blockedOnFutex = (pid: number) => {
  try {
    return /futex/.test(fs.readFileSync(`/proc/${pid}/wchan`, 'utf8'));
  } catch {
    return false;
  }
};

test('a stopped daemon exits only after its engine and decoding processes have: an engine stuck on close is killed first', { timeout: 60_000 }, async () => {
  // No watchdog: only the daemon's stop can end the stuck engine.
  const d = await startListening({ warmupIterations: 1, preloadRecent: 0, watchdogSeconds: 0 }, { env: HOOKS });
  try {
    const { c, engine } = await tinyEngine(d, 'stuck-on-close');
    // The engine blocks in the hook (as in a long native call); the close it is sent never gets an answer.
    const stuck = c.segment({ mode: 'tiny', image: marker(TEST_HANG_MARKER, 'close') });
    stuck.catch(() => undefined);
    await waitFor('the engine to block in the hang hook', () => blockedOnFutex(engine));
    const children = childrenOf(d.child.pid!);
    d.child.kill('SIGTERM');
    await d.exited;
    c.dispose();
    // Checked as the daemon's exit is seen, not after a wait: nothing of it may still run (or write in its cache folder).
    assert.deepEqual(children.filter(running), [], `children of the daemon still running after its exit (engine ${engine})`);
    assert.equal(d.child.exitCode, 0, 'a clean stop');
  } finally {
    await d.stop();
  }
});

test('a --listen daemon starts its engine process before the first request; nothing is warm, and the first load runs in it (issue #14)', async () => {
  const d = await startListening({ preloadRecent: 0 });
  try {
    await waitFor('the engine process to start', () => childrenOf(d.child.pid!).length > 0);
    const engines = childrenOf(d.child.pid!);
    assert.equal(engines.length, 1, 'one engine process, started before any request');
    const c = await d.connect('first');
    const st = await c.status();
    assert.ok(
      st.modes.every((m) => m.state === 'cold' && !m.warm),
      `a started engine loads and warms nothing: ${JSON.stringify(st.modes.map((m) => [m.mode, m.state]))}`,
    );
    await c.ensureReady('text');
    assert.deepEqual(childrenOf(d.child.pid!), engines, 'the first load ran in the engine started early');
    c.dispose();
  } finally {
    await d.stop();
  }
});
