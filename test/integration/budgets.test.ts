// Issue #13, item 4: memory and time budgets against the real daemon. Requests for a cold mode
// count against the queue before they wait for its load (100 large ones at once: the excess
// gets 1005 at once, memory stays bounded); a FIFO, /dev/zero or a folder as an image path gets
// 1001 at once, without an open that blocks; a file over --max-image-bytes 1003. After each
// case another client is served.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import { Score } from '../../daemon/api/protocol';
import { ListeningDaemon, startListening, tempDir } from '../helpers/daemonProcess';
import { frame, RawClient } from '../helpers/rawClient';
import { samplePhotos, samplesDir } from '../helpers/repo';

const MAX_QUEUE = 4;
const MAX_IMAGE_BYTES = 4_000_000;
let daemon: ListeningDaemon;
let bystander: DaemonClient;
let scratch: string;
let tiny: string;

before(async () => {
  daemon = await startListening({ warmupIterations: 1, maxQueue: MAX_QUEUE, maxImageBytes: MAX_IMAGE_BYTES, preloadRecent: 0 });
  bystander = await daemon.connect('bystander');
  scratch = tempDir('seglens-budgets-');
  tiny = path.join(scratch, 'tiny.png');
  await sharp(fs.readFileSync(path.join(samplesDir, 'text.png'))).resize(96).png().toFile(tiny);
});
after(async () => {
  bystander?.dispose();
  await daemon?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

/** Peak and current resident memory of the daemon, in MiB (/proc: VmHWM, VmRSS). */
function memory(): { peak: number; rss: number } {
  const s = fs.readFileSync(`/proc/${daemon.child.pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)![1]) / 1024;
  return { peak: kb('VmHWM'), rss: kb('VmRSS') };
}

/** Fails instead of hanging: a request the daemon never answers is the bug these tests look for. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function bystanderServed(what: string): Promise<void> {
  const r = await within(bystander.segment({ mode: 'text', image: { path: tiny } }), 60_000, `${what}: the bystander's segment`);
  assert.equal(r.width, 96, `${what}: the bystander is served`);
}

const refusal = async (image: string): Promise<{ code: number; message: string; ms: number }> => {
  const t0 = performance.now();
  const e = await within(
    bystander.segment({ mode: 'text', image: { path: image } }).then(
      () => undefined,
      (x: unknown) => x,
    ),
    20_000,
    image,
  );
  assert.ok(e instanceof ResponseError, `${image} was segmented`);
  return { code: e.code, message: e.message, ms: performance.now() - t0 };
};

test('a FIFO, /dev/zero, a folder: 1001 at once without a blocking open; a file over --max-image-bytes: 1003', async (t) => {
  const fifo = path.join(scratch, 'pipe.png');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const big = path.join(scratch, 'big.png');
  fs.writeFileSync(big, Buffer.alloc(MAX_IMAGE_BYTES + 1));
  const cases: [string, number, RegExp][] = [
    [fifo, 1001, /it is a FIFO \(named pipe\), not an image file/],
    ['/dev/zero', 1001, /it is a device, not an image file/],
    [scratch, 1001, /it is a directory, not an image file/],
    [big, 1003, new RegExp(`is ${MAX_IMAGE_BYTES + 1} bytes, the limit is ${MAX_IMAGE_BYTES} bytes`)],
  ];
  for (const [p, code, why] of cases) {
    const r = await refusal(p);
    t.diagnostic(`${p}: ${r.code} after ${r.ms.toFixed(1)} ms`);
    assert.equal(r.code, code, r.message);
    assert.match(r.message, why);
  }
  // More FIFOs than libuv has threads (4), in batches the queue's bound admits: if any tied a
  // thread up, the second batch and the bystander below would never be answered.
  for (let batch = 0; batch < 2; batch++) {
    const many = await Promise.all(Array.from({ length: MAX_QUEUE }, () => refusal(fifo)));
    assert.deepEqual(
      many.map((r) => r.code),
      Array(MAX_QUEUE).fill(1001),
    );
  }
  // A model path too (seglens/inspectModel reads the file; a load stats it first).
  const inspected = await within(
    bystander.inspectModel(fifo).then(
      () => undefined,
      (x: unknown) => x,
    ),
    20_000,
    'inspectModel of a FIFO',
  );
  assert.ok(inspected instanceof ResponseError, 'inspectModel of a FIFO is refused');
  assert.match(inspected.message, /not a regular file/);
  await bystanderServed('after the FIFOs');
});

test('seglens/score: a FIFO or /dev/zero as ground truth or prediction gets 1001 at once; the daemon keeps serving', async (t) => {
  const fifo = path.join(scratch, 'gt-pipe.png');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const mask = path.join(scratch, 'mask.png');
  await sharp(tiny).greyscale().toColourspace('b-w').png().toFile(mask);
  const cases: [string, 'groundTruth' | 'prediction', RegExp][] = [
    [fifo, 'groundTruth', /^ground truth: .*it is a FIFO \(named pipe\), not an image file/],
    ['/dev/zero', 'groundTruth', /^ground truth: .*it is a device, not an image file/],
    [fifo, 'prediction', /^prediction: .*it is a FIFO \(named pipe\), not an image file/],
    ['/dev/zero', 'prediction', /^prediction: .*it is a device, not an image file/],
  ];
  for (const [p, side, why] of cases) {
    const params = { mode: 'text', prediction: { path: mask }, groundTruth: { path: mask }, [side]: { path: p } };
    const t0 = performance.now();
    const e = await within(
      bystander.request(Score, params).then(
        () => undefined,
        (x: unknown) => x,
      ),
      20_000,
      `score with ${side} ${p}`,
    );
    t.diagnostic(`${side} ${p}: ${(e as ResponseError).code} after ${(performance.now() - t0).toFixed(1)} ms`);
    assert.ok(e instanceof ResponseError, `score with ${side} ${p} was answered`);
    assert.equal(e.code, 1001, e.message);
    assert.match(e.message, why);
  }
  const ok = await within(bystander.request(Score, { mode: 'text', prediction: { path: mask }, groundTruth: { path: mask } }), 60_000, 'a valid score');
  assert.ok(ok, 'a valid score is answered');
  await bystanderServed('after the FIFO scores');
});

test(`100 large requests at once on a cold mode: at most ${MAX_QUEUE} + 1 are taken, the rest get 1005 at once; memory stays bounded`, async (t) => {
  const st = await bystander.status();
  assert.equal(st.modes.find((m) => m.mode === 'fast')?.state, 'cold', 'fast is cold');
  // A noisy 1000x1000 JPEG: about 2 MB of base64 per request, 200 MB in all.
  const noise = Buffer.alloc(1000 * 1000 * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  const jpeg = await sharp(noise, { raw: { width: 1000, height: 1000, channels: 3 } }).jpeg({ quality: 100 }).toBuffer();
  const base64 = jpeg.toString('base64');
  const r = await RawClient.initialized(daemon.socketPath, 'flood');
  try {
    const before = memory();
    const frames = Array.from({ length: 100 }, (_, i) => frame({ jsonrpc: '2.0', id: 1000 + i, method: 'seglens/segment', params: { mode: 'fast', image: { base64 } } }));
    const t0 = performance.now();
    r.write(Buffer.concat(frames)); // one write: all 100 reach the daemon while the mode is still loading
    const first1005 = r.until(() => r.responses().find((f) => f.error?.code === 1005), 120_000, 'a 1005').then(() => performance.now() - t0);
    const answers = await Promise.all(frames.map((_, i) => r.response(1000 + i, 600_000)));
    const codes = answers.map((f) => (f.error ? f.error.code : 'ok'));
    const ok = codes.filter((c) => c === 'ok').length;
    const refused = codes.filter((c) => c === 1005).length;
    const peak = memory().peak;
    t.diagnostic(
      `base64 ${(base64.length / 1e6).toFixed(1)} MB x 100: ${ok} ran, ${refused} got 1005 (first after ${(await first1005).toFixed(0)} ms); ` +
        `daemon peak RSS ${before.peak.toFixed(0)} → ${peak.toFixed(0)} MiB`,
    );
    assert.equal(ok + refused, 100, `every request answered: ${codes}`);
    assert.ok(ok <= MAX_QUEUE + 1, `at most the queue's bound ran (${ok}): ${codes}`);
    // "At once": every 1005 is sent before the first result, i.e. before the cold mode's load
    // and first inference are over (before, the excess waited for them holding its images).
    const order = r.responses().filter((f) => typeof f.id === 'number' && f.id >= 1000);
    const lastRefusal = order.map((f) => f.error?.code).lastIndexOf(1005);
    const firstResult = order.findIndex((f) => f.result !== undefined);
    assert.ok(lastRefusal < firstResult, `all 1005s came before the first result (last 1005 at ${lastRefusal}, first result at ${firstResult})`);
  } finally {
    r.destroy();
  }
  await bystanderServed('after the flood');
});

test('an unload while segments of that mode wait: it waits for them; no session is loaded behind the registry', async () => {
  const photo = samplePhotos()[0];
  await bystander.ensureReady('text');
  const jobs = Array.from({ length: MAX_QUEUE }, () => bystander.segment({ mode: 'text', image: { path: photo } }));
  const unloaded = bystander.unload('text');
  const results = await within(Promise.all(jobs), 120_000, 'the queued segments');
  assert.equal(results.length, MAX_QUEUE, 'every queued segment ran');
  assert.deepEqual((await within(unloaded, 60_000, 'the unload')).unloaded, ['text']);
  const st = (await bystander.status()).modes.find((m) => m.mode === 'text')!;
  assert.equal(st.loaded, false, 'the unload happened after them');
  await new Promise((r) => setTimeout(r, 200)); // the daemon's log arrives through a pipe
  assert.doesNotMatch(daemon.stderr(), /not loaded for mode text: loading/, 'the worker never loaded a session the registry did not ask for');
  await bystanderServed('after the unload');
});

