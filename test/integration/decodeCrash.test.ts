// seglens/score and seglens/displayCrop decode out of the daemon's process (issue #20), through
// the real daemon with its test-only crash hooks (SEGLENS_TEST_CRASH_HOOKS=1, as for the engine:
// engine/host/inputGuard.ts): bytes starting with the abort marker make the decoding process
// abort natively (SIGABRT, as a libvips crash would), the hang marker block it for good. That
// request gets an error; the daemon, its engine and its warm model serve on, and the next score
// or crop succeeds.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

/** The daemon's child running `script` (Linux: /proc), and a process's resident memory in bytes. */
function childRunning(script: string): number | undefined {
  const pid = daemon.child.pid!;
  const kids = fs.readdirSync(`/proc/${pid}/task`).flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number));
  return kids.find((k) => fs.readFileSync(`/proc/${k}/cmdline`, 'utf8').split('\0').some((a) => path.basename(a) === script));
}
const rssOf = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

test("the decoding process's memory counts in status.rssBytes (the --max-rss-mb budget)", async (t) => {
  if (process.platform !== 'linux') return t.skip('reads /proc');
  assert.equal((await score(mask)).iou, 1); // the decoding process runs, and reported its memory with its answer
  const decoding = childRunning('decodeWorker.js');
  const engine = childRunning('engineWorker.js');
  assert.ok(decoding && engine, 'a decoding process and an engine process under the daemon');
  const { rssBytes } = await client.status();
  const beyond = rssBytes - rssOf(daemon.child.pid!) - rssOf(engine);
  const own = rssOf(decoding);
  t.diagnostic(`rssBytes ${(rssBytes / 2 ** 20).toFixed(0)} MB; the decoding process ${(own / 2 ** 20).toFixed(0)} MB; beyond the daemon and engine ${(beyond / 2 ** 20).toFixed(0)} MB`);
  assert.ok(beyond > own / 2, `status.rssBytes counts the decoding process (${beyond} bytes beyond the daemon and engine; it has ${own})`);
});
