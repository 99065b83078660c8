// The gallery embeds ahead of the user, never ahead of a click (issue 25), against the real
// daemon with the test-built SAM pair (its encoder takes at least 0.5 s here): batch embeds of
// several images wait in the engine's line; a prompt on the last one joins its queued encoder
// run, which is raised to interactive priority, so that run and then the prompt's decoder come
// before the other waiting batch embeds. Asserted by the order of the answers and by the
// counters (seglens_queue_waiting, seglens_embeddings_total), never by time.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { DaemonClient } from '../../daemon/api/client';
import { ListeningDaemon, metric, startListening, tempDir } from '../helpers/daemonProcess';
import { writeSamPair } from '../helpers/samModels';

let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;

before(async () => {
  dir = tempDir('seglens-prompt-priority-');
  const pair = writeSamPair(path.join(dir, 'models'), 'sam');
  daemon = await startListening();
  client = await daemon.connect('priority');
  assert.deepEqual((await client.defineModes({ modes: [pair.definition] })).errors, []);
  await client.ensureReady('sam');
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function waitingBatch(): Promise<number> {
  return metric((await client.metrics()).text, 'seglens_queue_waiting', { priority: 'batch' });
}

test('a prompt joining a queued batch embed raises it: its encoder run and its decoder come before the other batch embeds', async () => {
  const files: string[] = [];
  for (let k = 0; k < 5; k++) {
    const file = path.join(dir, `img${k}.png`);
    await sharp(Buffer.alloc(160 * 120 * 3, 30 + 40 * k), { raw: { width: 160, height: 120, channels: 3 } })
      .png()
      .toFile(file);
    files.push(file);
  }
  const done: string[] = [];
  const ended = () => done.length;
  const embed = (k: number) => client.embed({ mode: 'sam', image: { path: files[k] }, priority: 'batch' }).then((r) => (done.push(`embed${k}`), r));
  /** Waits until `n` batch jobs wait in the line (one more runs); fails rather than hangs if one finished meanwhile. */
  const untilWaiting = async (n: number) => {
    while ((await waitingBatch()) < n) assert.equal(ended(), 0, 'an encoder run ended before the line was set up');
  };
  // Images 0 and 1: one runs, the other waits; then 2, 3 and 4 join the line in that order.
  const embeds = [embed(0), embed(1)];
  await untilWaiting(1);
  for (let k = 2; k < 5; k++) {
    embeds.push(embed(k));
    await untilWaiting(k);
  }
  assert.equal(ended(), 0, 'every batch embed was still waiting or running when the click came');
  const click = client.prompt({ mode: 'sam', image: { path: files[4] }, points: [{ x: 80, y: 60, label: 1 }] }).then((r) => (done.push('prompt'), r));
  const [answers, r] = await Promise.all([Promise.all(embeds), click]);

  assert.equal(r.embedding, 'joined', 'the click joined the queued encoder run');
  assert.equal(answers[4].embedding, 'computed');
  const { text } = await client.metrics();
  assert.equal(metric(text, 'seglens_embeddings_total', { mode: 'sam', outcome: 'computed' }), 5, 'one encoder run per image');
  assert.equal(metric(text, 'seglens_embeddings_total', { mode: 'sam', outcome: 'joined' }), 1);
  // The run under way when the click came ends first; then image 4's (raised), then the click's
  // decoder, before the batch embeds that were waiting ahead of image 4.
  const first = done[0];
  assert.ok(first === 'embed0' || first === 'embed1', done.join(', '));
  assert.deepEqual(done.slice(1, 3), ['embed4', 'prompt'], `answers in order: ${done.join(', ')}`);
  assert.equal(await waitingBatch(), 0);
});
