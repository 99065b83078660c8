// Issue #13, item 4: a time limit on image decoding (`--decode-timeout-ms`), against the real
// daemon started with a 1 ms limit. A 16-megapixel noise PNG cannot be decoded and resized in
// 1 ms on any machine (48 MB of pixels to write), so the request gets 1002 "timed out"
// deterministically, and the daemon and its engine go on serving. Before the flag existed the
// daemon refused to start with it (exit 2); with the limit off, that image segments fine.
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { ResponseError } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { ListeningDaemon, startListening, tempDir } from '../helpers/daemonProcess';

const SIDE = 4000;
let daemon: ListeningDaemon;
let client: DaemonClient;
let scratch: string;
let noisy: string;

before(async () => {
  scratch = tempDir('seglens-decode-timeout-');
  noisy = path.join(scratch, 'noise.png');
  const pixels = randomFillSync(Buffer.alloc(SIDE * SIDE * 3));
  await sharp(pixels, { raw: { width: SIDE, height: SIDE, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toFile(noisy);
  daemon = await startListening({ warmupIterations: 1, preloadRecent: 0, decodeTimeoutMs: 1 });
  client = await daemon.connect('decode-timeout');
});
after(async () => {
  client?.dispose();
  await daemon?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('a decode past --decode-timeout-ms gets 1002 "timed out"; the daemon and its engine go on serving', async (t) => {
  await client.ensureReady('text', true); // the mode is warm: what follows is the decode only
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const e = await client.segment({ mode: 'text', image: { path: noisy } }).then(
      () => undefined,
      (x: unknown) => x,
    );
    t.diagnostic(`${SIDE}x${SIDE} noise PNG: ${(e as ResponseError)?.code} after ${(performance.now() - t0).toFixed(0)} ms`);
    assert.ok(e instanceof ResponseError, 'the slow decode was answered with a result');
    assert.equal(e.code, 1002, e.message);
    assert.match(e.message, /Image decoding timed out: .*noise\.png took longer than 1 ms \(--decode-timeout-ms\)/);
  }
  // The engine is not wedged: an inference (the warm-up's) and a status are answered.
  const ready = await client.ensureReady('text', true);
  assert.equal(ready.mode, 'text');
  const status = await client.status();
  assert.ok(status.modes.some((m) => m.mode === 'text' && m.state === 'warm'), JSON.stringify(status.modes));
});

test('score and displayCrop decode under the same limit: 1002 "timed out", and the daemon goes on serving', async () => {
  // Both decode in threads of their own (workers/scoreWorker.ts, workers/cropWorker.ts), not in the engine.
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (x: unknown) => x);
  // The prediction is a grey mask (read by our own PNG reader); the ground truth, the RGB noise, goes through libvips.
  const mask = path.join(scratch, 'mask.png');
  await sharp(Buffer.alloc(SIDE * SIDE), { raw: { width: SIDE, height: SIDE, channels: 1 } }).toColourspace('b-w').png().toFile(mask);
  const score = await failure(client.request(P.Score, { mode: 'text', prediction: { path: mask }, groundTruth: { path: noisy } }));
  assert.ok(score instanceof ResponseError, 'the slow score decode was answered with an error');
  assert.equal(score.code, 1002, score.message);
  assert.match(score.message, /timed out: .*noise\.png took longer than 1 ms/);
  const crop = await failure(client.displayCrop({ image: { path: noisy }, region: { left: 0, top: 0, width: 64, height: 64 } }));
  assert.ok(crop instanceof ResponseError, 'the slow crop decode was answered with an error');
  assert.equal(crop.code, 1002, crop.message);
  assert.match(crop.message, /timed out: .*noise\.png took longer than 1 ms/);
  assert.ok((await client.status()).pid > 0, 'the daemon still serves');
});
