// seglens/score and seglens/displayCrop decode out of the daemon's process (issue #20), through
// the real daemon with its test-only crash hooks (SEGLENS_TEST_CRASH_HOOKS=1, as for the engine:
// engine/host/inputGuard.ts): bytes starting with the abort marker make the decoding process
// abort natively (SIGABRT, as a libvips crash would), the hang marker block it for good. That
// request gets an error; the daemon, its engine and its warm model serve on, and the next score
// or crop succeeds.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import { DaemonClient } from '../../daemon/api/client';
import { TEST_ABORT_MARKER, TEST_HANG_MARKER } from '../../daemon/engine/host/inputGuard';
import * as P from '../../daemon/api/protocol';
import { quadrantsPng } from '../helpers/buildModels';
import { COLORS_H, COLORS_W, startColorsDaemon } from '../helpers/colorsDaemon';
import { ListeningDaemon, metric, tempDir } from '../helpers/daemonProcess';

let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;
let mask: string;
let image: string;

before(async () => {
  dir = tempDir('seglens-decode-crash-');
  // A 2 s watchdog floor: the hang test's wait; the colour model's inferences take milliseconds.
  ({ daemon, client } = await startColorsDaemon(dir, 'decode-crash-test', { args: ['--watchdog-seconds', '2'], env: { SEGLENS_TEST_CRASH_HOOKS: '1' } }));
  image = (await quadrantsPng(COLORS_W, COLORS_H)).toString('base64');
  mask = (await client.segment({ mode: 'colors', image: { base64: image } })).maskPng;
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const marker = (m: string) => Buffer.concat([Buffer.from(m), Buffer.alloc(64)]).toString('base64');
const score = (prediction: string) => client.request(P.Score, { mode: 'colors', prediction: { base64: prediction }, groundTruth: { base64: mask } });
const crop = (img: string) => client.request(P.DisplayCrop, { image: { base64: img }, region: { left: 0, top: 0, width: 8, height: 8 } });
const failed = (why: RegExp) => (e: { code: number; message: string }) => {
  assert.equal(e.code, P.ErrorCodes.InternalError, e.message);
  assert.match(e.message, why);
  return true;
};

async function servesOn(): Promise<void> {
  const { pid, modes } = await client.status();
  assert.equal(pid, daemon.child.pid, 'the same daemon');
  assert.equal(modes.find((m) => m.mode === 'colors')?.state, 'warm', 'its model still warm');
  assert.equal(metric((await client.metrics()).text, 'seglens_engine_restarts_total'), 0, 'the engine was not touched');
  assert.equal((await score(mask)).iou, 1, 'the next score succeeds');
  assert.equal((await crop(image)).region.width, 8, 'the next crop succeeds');
  assert.equal((await client.segment({ mode: 'colors', image: { base64: image } })).maskPng, mask);
}

test('a crash while scoring costs that request an error; the daemon serves on', async () => {
  await assert.rejects(score(marker(TEST_ABORT_MARKER)), failed(/decoding process.*SIGABRT/));
  await servesOn();
});

test('a crash while cropping costs that request an error; the daemon serves on', async () => {
  await assert.rejects(crop(marker(TEST_ABORT_MARKER)), failed(/decoding process.*SIGABRT/));
  await servesOn();
});

test('a score that hangs is ended by the watchdog; the daemon serves on', async () => {
  await assert.rejects(score(marker(TEST_HANG_MARKER)), failed(/watchdog ended the decoding process: a score ran for more than 2\.0 s/));
  await servesOn();
});
