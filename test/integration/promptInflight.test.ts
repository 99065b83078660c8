// Prompt modes under `--max-inflight-mb` (issues 13 and 25), against the real daemon started
// with 1 MB and a test-built SAM pair of input side 256 (the encoder's input [1,3,256,256]
// float32 is 768 KiB): an encoder run counts the image (encoded + width x height x 3) and that
// input, a prompt the decoder's K masks as float32 plus their 8-bit PNGs (K x W x H x 5). Past
// the budget, embed and prompt get 1005 at once, like segment, and the daemon goes on serving.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { ResponseError } from 'vscode-jsonrpc/node';
import type { DaemonClient } from '../../daemon/api/client';
import { ErrorCodes } from '../../daemon/api/protocol';
import { ListeningDaemon, metric, startListening, tempDir } from '../helpers/daemonProcess';
import { writeSamPair } from '../helpers/samModels';

const S = 256;
const BUDGET = 1024 * 1024;
let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;
const file = (n: string) => path.join(dir, n);

before(async () => {
  dir = tempDir('seglens-prompt-inflight-');
  // Three disc candidates and the probe: K = 4.
  const pair = writeSamPair(path.join(dir, 'models'), 'sam', { encoder: { size: S, layers: 0 }, decoder: { size: S, radii: [10, 20, 30] } });
  for (const [name, side] of [['big.png', 400], ['mid.png', 250], ['small.png', 100]] as const) {
    await sharp(Buffer.alloc(side * side * 3, 120), { raw: { width: side, height: side, channels: 3 } })
      .png()
      .toFile(file(name));
  }
  daemon = await startListening({ maxInflightMb: 1 });
  client = await daemon.connect('prompt-inflight');
  assert.deepEqual((await client.defineModes({ modes: [pair.definition] })).errors, []);
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The request's 1005 message, or 'served'. */
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'served',
    (e: unknown) => {
      assert.ok(e instanceof ResponseError, String(e));
      assert.equal(e.code, ErrorCodes.Overloaded, e.message);
      return e.message;
    },
  );
const size = (n: string) => fs.statSync(file(n)).size;
const point = [{ x: 50, y: 50, label: 1 as const }];

test('past --max-inflight-mb, embed and prompt get 1005 (by what they would hold); the daemon goes on serving', async () => {
  const input = 3 * S * S * 4;
  // big: 400x400 decoded and the encoder's input are over 1 MB; mid (250x250) fits.
  assert.ok(size('big.png') + 400 * 400 * 3 + input > BUDGET && size('mid.png') + 250 * 250 * 3 + input <= BUDGET);
  for (const image of [{ path: file('big.png') }, { base64: fs.readFileSync(file('big.png')).toString('base64') }]) {
    assert.match(await outcome(client.embed({ mode: 'sam', image })), /this image's embedding needs 1\.2 MB .*the limit is 1\.0 MB \(--max-inflight-mb\)/);
  }
  // A prompt on an image not embedded yet runs the encoder first: refused the same way.
  assert.match(await outcome(client.prompt({ mode: 'sam', image: { path: file('big.png') }, points: point })), /this image's embedding needs/);

  assert.equal(await outcome(client.embed({ mode: 'sam', image: { path: file('mid.png') } })), 'served');
  // mid's prompt: 4 masks of 250x250 as float32 plus their PNGs, 1.25 MB: over. small's (0.2 MB) fits, at the same time.
  assert.ok(250 * 250 * 4 * 5 > BUDGET && 100 * 100 * 4 * 5 <= BUDGET);
  const [mid, small] = await Promise.all([
    outcome(client.prompt({ mode: 'sam', image: { path: file('mid.png') }, points: point })),
    outcome(client.prompt({ mode: 'sam', image: { path: file('small.png') }, points: point })),
  ]);
  assert.match(mid, /this prompt needs 1\.2 MB \(the decoder's 4 masks at 250x250 as float32, and their PNGs\)/);
  assert.equal(small, 'served');
  // Nothing stays counted: the small image is served again, its embedding kept; the others are still refused.
  const r = await client.prompt({ mode: 'sam', image: { path: file('small.png') }, points: point });
  assert.equal(r.embedding, 'cached');
  assert.equal(r.candidates?.length, 4);
  assert.match(await outcome(client.prompt({ mode: 'sam', image: { path: file('mid.png') }, points: point })), /this prompt needs/);
  const { text } = await client.metrics();
  assert.equal(metric(text, 'seglens_embeddings_total', { mode: 'sam', outcome: 'computed' }), 2, 'mid and small; big never ran');
});
