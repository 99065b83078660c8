// Issue #7, faults: the daemon killed mid-request, a corrupt built-in model file, an unwritable
// cache folder, several daemons racing for one socket. Each test starts and stops its own
// daemon(s), on failure too. Covered elsewhere: a models folder that cannot exist (1004,
// errors.test.ts), a corrupt user model file (customModels.test.ts 'not-onnx'), two daemons
// racing (transport.test.ts; extended here to three daemons and clients landing on the winner).
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { connectSocket, DaemonClient } from '../../daemon/api/client';
import { ISNET_MODEL_FILE } from '../../daemon/models/modelSources';
import { isnetSidecarPath } from '../../daemon/models/modelFiles';
import { startListening, startStdio, tempDir } from '../helpers/daemonProcess';
import { daemonJs, modelsDir, samplesDir } from '../helpers/repo';

const textImage = path.join(samplesDir, 'text.png');
const photo = path.join(samplesDir, 'astronaut.jpg');

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c))));

const code = (c: number, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ResponseError, `expected a JSON-RPC error, got ${String(e)}`);
  assert.equal(e.code, c, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

/** Kills the daemon with SIGKILL while `pending` runs; the request must reject, not hang. */
async function killMidRequest(child: ChildProcess, pending: Promise<unknown>): Promise<void> {
  const outcome = pending.then(
    () => 'answered',
    (e: Error) => e,
  );
  await new Promise((r) => setTimeout(r, 300)); // the request is in the daemon's hands
  child.kill('SIGKILL');
  // Rejected, not left pending: 15 s is only there to turn a hang into a clear failure.
  const r = await Promise.race([outcome, new Promise((res) => setTimeout(() => res('still pending'), 15_000).unref())]);
  assert.ok(r instanceof Error, `the request rejects when the daemon dies (got: ${String(r)})`);
  assert.match(r.message, /closed|disposed|ended|EPIPE|ECONNRESET/i);
}

test('kill -9 mid-request: the client gets an error, not a hang (--listen and --stdio)', async () => {
  const d = await startListening({ warmupIterations: 1 });
  let c: DaemonClient | undefined;
  try {
    c = await d.connect('victim');
    // A cold ISNet mode: the request is busy loading and warming when the daemon dies.
    await killMidRequest(d.child, c.segment({ mode: 'fast', image: { path: photo } }));
    assert.equal(c.isClosed, true);
    await assert.rejects(c.status(), /closed/, 'later calls fail at once');
  } finally {
    c?.dispose();
    await d.stop();
  }

  const s = await startStdio({ warmupIterations: 1 });
  try {
    await killMidRequest(s.client.child!, s.client.segment({ mode: 'fast', image: { path: photo } }));
  } finally {
    s.client.dispose();
    if (s.client.child!.exitCode === null && s.client.child!.signalCode === null) s.client.child!.kill('SIGKILL');
    fs.rmSync(s.cacheDir, { recursive: true, force: true });
  }
});

test('a corrupt ISNet file (right size, current sidecar): 1004, that model failed, text unaffected, file not rebuilt', async () => {
  const dir = tempDir('seglens-corrupt-models-');
  const file = path.join(dir, ISNET_MODEL_FILE);
  // Same size as the real file, so ensureModels' size check takes it as current and does not
  // rebuild it: the corruption reaches ONNX Runtime. Sparse, so it costs no disk.
  const size = fs.statSync(path.join(modelsDir, ISNET_MODEL_FILE)).size;
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, Buffer.from('this is not an ONNX model, it was corrupted on disk\n'));
  fs.ftruncateSync(fd, size);
  fs.closeSync(fd);
  fs.copyFileSync(isnetSidecarPath(modelsDir), isnetSidecarPath(dir));
  const d = await startListening({ modelsDir: dir, warmupIterations: 1 });
  let c: DaemonClient | undefined;
  try {
    c = await d.connect('corrupt');
    await assert.rejects(c.ensureReady('fast'), code(1004, /isnet/i));
    await assert.rejects(c.segment({ mode: 'fast', image: { path: photo } }), code(1004), 'segment fails the same way');
    let st = await c.status();
    const fast = st.modes.find((m) => m.mode === 'fast')!;
    assert.equal(fast.state, 'failed');
    assert.ok(fast.error && fast.error.length > 0, 'the status says why');
    for (const m of ['balanced', 'accurate', 'sota', 'text']) assert.notEqual(st.modes.find((x) => x.mode === m)!.state, 'failed', `${m} is not marked failed`);
    // The other model works.
    const r = await c.segment({ mode: 'text', image: { path: textImage } });
    assert.equal(r.width, 448);
    st = await c.status();
    assert.equal(st.modes.find((m) => m.mode === 'text')!.state, 'warm');
    assert.equal(st.modes.find((m) => m.mode === 'fast')!.state, 'failed');
    // ensureModels left the file alone (size check only): it is still the corrupt one.
    assert.equal(fs.readFileSync(file).subarray(0, 17).toString(), 'this is not an ON');
  } finally {
    c?.dispose();
    await d.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an unwritable cache folder: the daemon falls back to a temporary one, says so, and serves', async () => {
  const base = tempDir('seglens-cachefault-');
  const blocker = path.join(base, 'a-file');
  fs.writeFileSync(blocker, 'not a folder');
  const wanted = path.join(blocker, 'cache'); // its parent is a file: mkdir fails with ENOTDIR
  const d = await startListening({ warmupIterations: 1 }, { cacheDir: wanted });
  let c: DaemonClient | undefined;
  let fallback: string | undefined;
  try {
    const m = /cache folder (\S+) is not writable \(([^)]*)\); using (\S+) for this run/.exec(d.stderr());
    assert.ok(m, `the log says it: ${d.stderr().slice(0, 800)}`);
    assert.equal(m[1], wanted);
    fallback = m[3];
    assert.ok(fs.statSync(fallback).isDirectory(), 'the fallback folder exists');
    assert.equal(fs.statSync(fallback).mode & 0o077, 0, 'the fallback folder is private');
    c = await d.connect('cache-fault');
    const r = await c.segment({ mode: 'text', image: { path: textImage } });
    assert.equal(r.width, 448, 'it serves');
  } finally {
    c?.dispose();
    await d.stop();
    fs.rmSync(base, { recursive: true, force: true });
    if (fallback) fs.rmSync(fallback, { recursive: true, force: true });
  }
});

test('three daemons racing for one socket: one wins, the others exit with code 3, every client lands on the winner', async () => {
  const base = tempDir();
  const sock = path.join(base, 'race', 'd.sock');
  const children = Array.from({ length: 3 }, () =>
    spawn(process.execPath, [daemonJs, '--listen', sock, '--idle-exit-seconds', '30', '--cache-dir', path.join(base, 'cache')], { stdio: 'ignore' }),
  );
  const clients: DaemonClient[] = [];
  try {
    const exits = children.map((ch) => exitOf(ch).then((c) => ({ ch, c })));
    const losers = [await Promise.race(exits)];
    const others = exits.filter((_, i) => children[i] !== losers[0].ch);
    losers.push(await Promise.race(others));
    assert.deepEqual(
      losers.map((l) => l.c),
      [3, 3],
      'the losers exit with code 3',
    );
    const winner = children.find((ch) => !losers.some((l) => l.ch === ch))!;
    for (let i = 0; i < 4; i++) {
      const c = await connectSocket(sock);
      clients.push(c);
      const init = await c.initialize({ clientName: `race-${i}` });
      assert.equal(init.pid, winner.pid, `client ${i} is on the winner`);
    }
    assert.equal((await clients[0].status()).clients, 4);
  } finally {
    for (const c of clients) c.dispose();
    for (const ch of children) if (ch.exitCode === null && ch.signalCode === null) ch.kill('SIGTERM');
    await Promise.all(children.map(exitOf));
    fs.rmSync(base, { recursive: true, force: true });
  }
});
