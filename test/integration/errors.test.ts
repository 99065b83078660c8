// Every error code of docs/protocol.md provoked through the real daemon, which keeps answering.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import { ListeningDaemon, startListening, startStdio, tempDir, assertStillWarm } from '../helpers/daemonProcess';
import { pngClaiming } from '../helpers/images';
import { samplePhotos } from '../helpers/repo';

let daemon: ListeningDaemon;
let client: DaemonClient;
let scratch: string;

before(async () => {
  daemon = await startListening({ warmupIterations: 1, maxQueue: 2 });
  client = await daemon.connect('errors');
  scratch = tempDir();
  await client.ensureReady('text');
});
after(async () => {
  client.dispose();
  await daemon.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const code = (c: number, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ResponseError, `expected a JSON-RPC error, got ${String(e)}`);
  assert.equal(e.code, c, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

async function stillServes(): Promise<void> {
  const st = await client.status();
  assertStillWarm(st.modes.find((m) => m.mode === 'text'), 'the daemon still answers');
}

test('-32602 invalid params: unknown mode, wrong types, missing image', async () => {
  await assert.rejects(client.ensureReady('no-such-mode'), code(-32602, /unknown mode 'no-such-mode'.*fast/));
  await assert.rejects(client.connection.sendRequest('seglens/ensureReady', { mode: 42 }), code(-32602, /'mode'/));
  await assert.rejects(client.connection.sendRequest('seglens/segment', { mode: 'text' }), code(-32602, /'image' is missing/));
  await assert.rejects(client.connection.sendRequest('seglens/warmup', { mode: 'text', force: 'yes' }), code(-32602, /'force'/));
  await assert.rejects(client.segment({ mode: 'text', image: { base64: 'not base64!' } }), code(-32602, /base64/));
  await stillServes();
});

test('-32601 unknown method', async () => {
  await assert.rejects(client.connection.sendRequest('seglens/noSuchThing', {}), code(-32601));
  await stillServes();
});

test('1001 image not found or not readable: missing path, a directory', async () => {
  await assert.rejects(client.segment({ mode: 'text', image: { path: path.join(scratch, 'missing.jpg') } }), code(1001, /missing\.jpg/));
  await assert.rejects(client.segment({ mode: 'text', image: { path: scratch } }), code(1001));
  await stillServes();
});

test('1002 image could not be decoded: garbage, truncated JPEG, text named .png', async () => {
  const photo = fs.readFileSync(samplePhotos()[0]);
  const truncated = path.join(scratch, 'truncated.jpg');
  fs.writeFileSync(truncated, photo.subarray(0, Math.floor(photo.length / 3)));
  const text = path.join(scratch, 'notes.png');
  fs.writeFileSync(text, 'this is not a picture\n');
  await assert.rejects(client.segment({ mode: 'text', image: { path: text } }), code(1002));
  await assert.rejects(client.segment({ mode: 'text', image: { base64: Buffer.from('garbage bytes').toString('base64') } }), code(1002));
  await assert.rejects(client.segment({ mode: 'text', image: { path: truncated } }), code(1002));
  await stillServes();
});

test('1003 image too large: a header claiming 100000x100000 is refused before decoding', async () => {
  const huge = path.join(scratch, 'huge.png');
  fs.writeFileSync(huge, pngClaiming(100_000, 100_000));
  const t0 = performance.now();
  await assert.rejects(client.segment({ mode: 'text', image: { path: huge } }), code(1003, /100000/));
  assert.ok(performance.now() - t0 < 5000, 'refused without decoding 10 gigapixels');
  await stillServes();
});

test('1005 overloaded and -32800 cancelled while queued', async () => {
  const photo = samplePhotos()[0];
  const cts = new CancellationTokenSource();
  // One runs, two wait (--max-queue 2); the rest are refused at once.
  const calls = Array.from({ length: 6 }, (_, i) => client.segment({ mode: 'text', image: { path: photo } }, i === 2 ? cts.token : undefined));
  setTimeout(() => cts.cancel(), 5);
  const settled = await Promise.allSettled(calls);
  const codes = settled.map((s) => (s.status === 'fulfilled' ? 'ok' : (s.reason as ResponseError<void>).code));
  assert.equal(codes[0], 'ok', `first runs: ${codes}`);
  assert.ok(codes.includes(1005), `some are refused with 1005: ${codes}`);
  assert.equal(codes[2], -32800, `the cancelled waiting request: ${codes}`);
  await stillServes();
});

test('1004 model could not be loaded: that mode is failed, the daemon keeps serving', async () => {
  // A models folder that cannot exist (its parent is a file): preparation fails, load fails.
  const blocker = path.join(scratch, 'not-a-folder');
  fs.writeFileSync(blocker, '');
  const broken = await startStdio({ modelsDir: path.join(blocker, 'models'), warmupIterations: 1 });
  try {
    await assert.rejects(broken.client.ensureReady('fast'), code(1004, /isnet/i));
    const st = await broken.client.status();
    const fast = st.modes.find((m) => m.mode === 'fast')!;
    assert.equal(fast.state, 'failed');
    assert.ok(fast.error && fast.error.length > 0);
    assert.equal(st.modes.find((m) => m.mode === 'accurate')!.state, 'cold', 'other modes are not marked failed');
    assert.equal(st.pid > 0, true, 'still answering');
  } finally {
    broken.client.dispose();
  }
});

test('1006 shutting down: a request after shutdown is refused, and the daemon exits', async () => {
  const d = await startStdio([]);
  const exited = new Promise((r) => d.client.child!.once('exit', r));
  const shutdown = d.client.connection.sendRequest('shutdown');
  const late = d.client.connection.sendRequest('seglens/status', {});
  await shutdown;
  await assert.rejects(late, code(1006));
  await exited;
  d.client.dispose();
});
