// Prompt modes (issue 25) through the real daemon, with a Segment Anything shaped pair the test
// builds (test/helpers/samModels.ts): the masks, the coordinate transform (resize + pad, EXIF
// orientation), `previous` and the candidates against the independent computation of
// test/helpers/samReference.ts; the embedding cache counted by seglens_embeddings_total (never
// timed); bad input; a pair that does not fit fails at load naming what is wrong.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ResponseError } from 'vscode-jsonrpc/node';
import { onnx } from 'onnx-proto';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { decodeMask } from '../helpers/buildModels';
import { ListeningDaemon, metric, startListening, tempDir } from '../helpers/daemonProcess';
import { samDecoderModel, writeSamPair } from '../helpers/samModels';
import { RefPoint, refLowRes, refMask } from '../helpers/samReference';

const S = 1024;
const RADII = [60, 120];
let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;
let pair: ReturnType<typeof writeSamPair>;

async function greyPng(file: string, width: number, height: number, value = 90): Promise<string> {
  await sharp(Buffer.alloc(width * height * 3, value), { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
  return file;
}

async function embeddings(c: DaemonClient, mode: string): Promise<Record<P.EmbeddingOutcome, number>> {
  const { text } = await c.metrics();
  const n = (outcome: string) => metric(text, 'seglens_embeddings_total', { mode, outcome });
  return { computed: n('computed'), cached: n('cached'), joined: n('joined') };
}

/** The mask as 0/1, and that it is 8-bit 0/255 at the image's size. */
async function bits(png: string, w: number, h: number): Promise<Uint8Array> {
  const m = await decodeMask(png);
  assert.deepEqual([m.width, m.height], [w, h]);
  assert.ok(m.data.every((v) => v === 0 || v === 255), '8-bit, 255 foreground');
  return m.data.map((v) => (v ? 1 : 0));
}

function sameMask(got: Uint8Array, want: Uint8Array, what: string): void {
  let diff = 0;
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) diff++;
  assert.equal(diff, 0, `${what}: ${diff} pixels differ from the independent computation`);
  assert.ok(want.some((v) => v === 1), `${what}: the expected mask is not empty`);
}

const invalid = (message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ResponseError, String(e));
  assert.equal(e.code, P.ErrorCodes.InvalidParams, e.message);
  assert.match(e.message, message);
  return true;
};

before(async () => {
  dir = tempDir('seglens-prompt-');
  pair = writeSamPair(dir, 'sam');
  daemon = await startListening();
  client = await daemon.connect('prompt');
  const r = await client.defineModes({ modes: [pair.definition] });
  assert.deepEqual(r.errors, []);
  assert.equal(r.modes[0].task, 'prompt');
  assert.deepEqual(r.modes[0].prompt, { encoderSize: 1024 });
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('masks', () => {
  const W = 300;
  const H = 200;
  let image: string;
  before(async () => {
    image = await greyPng(path.join(dir, 'grey.png'), W, H);
  });

  test('ensureReady loads and warms both sessions without embedding any image', async () => {
    const r = await client.ensureReady('sam');
    assert.equal(r.state, 'warm');
    const { text } = await client.metrics();
    assert.equal(metric(text, 'seglens_warmup_runs_total', { mode: 'sam' }), 1);
    assert.equal(metric(text, 'seglens_model_loads_total', { mode: 'sam' }), 2, 'the encoder and the decoder');
    const s = (await client.status()).modes.find((m) => m.mode === 'sam')!;
    assert.equal(s.embeddings, 0);
    const files = (await client.status()).models!.filter((m) => m.modes.includes('sam')).map((m) => m.file);
    assert.deepEqual(files.sort(), [pair.decoder, pair.encoder].sort());
  });

  test('embed, then a click: candidates, the best by iou_predictions, as computed independently', async () => {
    const e = await client.embed({ mode: 'sam', image: { path: image } });
    assert.deepEqual([e.width, e.height, e.embedding], [W, H, 'computed']);
    const points: RefPoint[] = [{ x: 101.5, y: 77, label: 1 }];
    const r = await client.prompt({ mode: 'sam', image: { path: image }, points });
    assert.equal(r.embedding, 'cached');
    assert.deepEqual([r.width, r.height], [W, H]);
    assert.equal(r.candidates!.length, 3);
    assert.deepEqual(
      r.candidates!.map((c) => c.score),
      [0.6, 0.9, 0.2].map(Math.fround),
    );
    assert.equal(r.score, Math.fround(0.9));
    for (let k = 0; k < 2; k++) sameMask(await bits(r.candidates![k].maskPng, W, H), refMask(points, undefined, H, W, S, RADII[k]), `candidate ${k}`);
    sameMask(await bits(r.maskPng, W, H), refMask(points, undefined, H, W, S, RADII[1]), 'maskPng (the best)');
    assert.ok(r.token.length > 0);
    assert.ok(r.timings.totalMs >= r.timings.decoderMs);
  });

  test('negative points cut, a box clips; a box alone is its mask', async () => {
    const points: RefPoint[] = [
      { x: 150, y: 100, label: 1 },
      { x: 170, y: 110, label: 0 },
    ];
    const box = { left: 120, top: 60, width: 100.5, height: 70 };
    const r = await client.prompt({ mode: 'sam', image: { path: image }, points, box });
    sameMask(await bits(r.maskPng, W, H), refMask(points, box, H, W, S, RADII[1]), 'point, negative point and box');
    const only = await client.prompt({ mode: 'sam', image: { path: image }, box });
    sameMask(await bits(only.maskPng, W, H), refMask([], box, H, W, S, RADII[1]), 'box alone');
  });

  test('previous feeds the earlier answer back as mask_input (its best candidate, or the one named)', async () => {
    const a: RefPoint[] = [{ x: 40, y: 40, label: 1 }];
    const b: RefPoint[] = [{ x: 250, y: 160, label: 1 }];
    const first = await client.prompt({ mode: 'sam', image: { path: image }, points: a });
    const second = await client.prompt({ mode: 'sam', image: { path: image }, points: b, previous: first.token });
    const prevBest = refLowRes(a, undefined, H, W, S, RADII[1]);
    const want = refMask(b, undefined, H, W, S, RADII[1], prevBest);
    sameMask(await bits(second.maskPng, W, H), want, 'with previous');
    // The previous mask really is there: without it, the first disc is not.
    const alone = refMask(b, undefined, H, W, S, RADII[1]);
    assert.ok(want.some((v, i) => v !== alone[i]));
    const named = await client.prompt({ mode: 'sam', image: { path: image }, points: b, previous: first.token, previousCandidate: 0 });
    sameMask(await bits(named.maskPng, W, H), refMask(b, undefined, H, W, S, RADII[1], refLowRes(a, undefined, H, W, S, RADII[0])), 'previousCandidate 0');
  });

  test('EXIF orientation and the padding: the encoder sees the oriented image at the top left', async () => {
    // Stored 80 wide x 48 high, the 30 left columns red; orientation 6 shows it turned 90° clockwise:
    // 48 wide x 80 high, red in the top 30 rows.
    const raw = Buffer.alloc(80 * 48 * 3);
    for (let y = 0; y < 48; y++) for (let x = 0; x < 30; x++) raw[(y * 80 + x) * 3] = 255;
    const file = path.join(dir, 'oriented.jpg');
    await sharp(raw, { raw: { width: 80, height: 48, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toFile(file);
    const points: RefPoint[] = [{ x: 10, y: 70, label: 1 }];
    const r = await client.prompt({ mode: 'sam', image: { path: file }, points });
    assert.deepEqual([r.width, r.height], [48, 80]);
    sameMask(await bits(r.candidates![1].maskPng, 48, 80), refMask(points, undefined, 80, 48, S, RADII[1]), 'a disc in the oriented frame');
    // The probe candidate: embedding channel 0 (the mean normalised red of each 16x16 patch of the
    // 1024 frame) > 0 where the image is red. Rows within 2 pixels of the red edge are not judged.
    const probe = await bits(r.candidates![2].maskPng, 48, 80);
    for (let y = 0; y < 80; y++) {
      if (Math.abs(y - 30) <= 2) continue;
      for (let x = 0; x < 48; x++) assert.equal(probe[y * 48 + x], y < 30 ? 1 : 0, `probe at (${x}, ${y})`);
    }
  });
});

describe('the embedding cache', () => {
  test('10 prompts on one image run the encoder once', async () => {
    const image = await greyPng(path.join(dir, 'ten.png'), 64, 48, 30);
    const before = await embeddings(client, 'sam');
    for (let i = 0; i < 10; i++) await client.prompt({ mode: 'sam', image: { path: image }, points: [{ x: 5 + i, y: 20, label: 1 }] });
    const now = await embeddings(client, 'sam');
    assert.equal(now.computed - before.computed, 1);
    assert.equal(now.cached - before.cached, 9);
  });

  test('10 clients racing on a new image run it once (the others join)', async () => {
    const image = await greyPng(path.join(dir, 'race.png'), 64, 48, 60);
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => daemon.connect(`racer-${i}`)));
    try {
      const before = await embeddings(client, 'sam');
      const rs = await Promise.all(clients.map((c, i) => c.prompt({ mode: 'sam', image: { path: image }, points: [{ x: 10 + i, y: 10, label: 1 }] })));
      const now = await embeddings(client, 'sam');
      assert.equal(now.computed - before.computed, 1);
      assert.equal(now.joined + now.cached - before.joined - before.cached, 9);
      assert.equal(rs.filter((r) => r.embedding === 'computed').length, 1);
    } finally {
      for (const c of clients) c.dispose();
    }
  });

  test('keyed by content, not path: a copy is cached, a changed file is a new embedding', async () => {
    const a = await greyPng(path.join(dir, 'content-a.png'), 64, 48, 120);
    const copy = path.join(dir, 'content-copy.png');
    fs.copyFileSync(a, copy);
    assert.equal((await client.embed({ mode: 'sam', image: { path: a } })).embedding, 'computed');
    assert.equal((await client.embed({ mode: 'sam', image: { path: copy } })).embedding, 'cached');
    assert.equal((await client.embed({ mode: 'sam', image: { base64: fs.readFileSync(a).toString('base64') } })).embedding, 'cached');
    await greyPng(a, 64, 48, 121); // same path, new content
    assert.equal((await client.embed({ mode: 'sam', image: { path: a } })).embedding, 'computed');
  });

  test('unload frees the embeddings; the next prompt computes again', async () => {
    const image = path.join(dir, 'ten.png');
    const held = (await client.status()).modes.find((m) => m.mode === 'sam')!.embeddings!;
    assert.ok(held >= 3);
    assert.ok(metric((await client.metrics()).text, 'seglens_embedding_cache_bytes') >= held * 4 * 1024 * 1024);
    assert.deepEqual((await client.unload('sam')).unloaded, ['sam']);
    assert.equal((await client.status()).modes.find((m) => m.mode === 'sam')!.embeddings, 0);
    assert.equal(metric((await client.metrics()).text, 'seglens_embedding_cache_bytes'), 0);
    const r = await client.prompt({ mode: 'sam', image: { path: image }, points: [{ x: 5, y: 5, label: 1 }] });
    assert.equal(r.embedding, 'computed');
  });
});

describe('bad input', () => {
  const img = () => ({ path: path.join(dir, 'grey.png') });
  test('no prompt, points or a box outside the image, an unknown previous, more than 64 points: -32602', async () => {
    await assert.rejects(client.prompt({ mode: 'sam', image: img() }), invalid(/no prompt: give at least one point or a box/));
    await assert.rejects(client.prompt({ mode: 'sam', image: img(), points: [] }), invalid(/no prompt/));
    await assert.rejects(client.prompt({ mode: 'sam', image: img(), points: [{ x: 301, y: 10, label: 1 }] }), invalid(/points\[0\] \(301, 10\) is outside the image \(300 x 200\)/));
    await assert.rejects(client.prompt({ mode: 'sam', image: img(), box: { left: 250, top: 10, width: 60, height: 20 } }), invalid(/the box .* is not inside the image/));
    await assert.rejects(client.prompt({ mode: 'sam', image: img(), points: [{ x: 1, y: 1, label: 1 }], previous: 'nope' }), invalid(/unknown 'previous' token/));
    const many = Array.from({ length: 65 }, () => ({ x: 1, y: 1, label: 1 as const }));
    await assert.rejects(client.prompt({ mode: 'sam', image: img(), points: many }), invalid(/65 points; at most 64/));
    await assert.rejects(client.prompt({ mode: 'sam', image: img(), points: [{ x: 1, y: 1, label: 2 as 1 }] }), invalid(/points\[0\]/));
    // A token of another image is unknown on this one.
    const other = await client.prompt({ mode: 'sam', image: { path: path.join(dir, 'ten.png') }, points: [{ x: 1, y: 1, label: 1 }] });
    await assert.rejects(client.prompt({ mode: 'sam', image: img(), points: [{ x: 1, y: 1, label: 1 }], previous: other.token }), invalid(/unknown 'previous'/));
    // The daemon goes on serving.
    assert.equal((await client.prompt({ mode: 'sam', image: img(), points: [{ x: 1, y: 1, label: 1 }] })).width, 300);
  });

  test('prompt and embed on another mode, segment on a prompt mode: -32602 saying what to use', async () => {
    await assert.rejects(client.prompt({ mode: 'fast', image: img(), points: [{ x: 1, y: 1, label: 1 }] }), invalid(/'fast' is not a prompt mode/));
    await assert.rejects(client.embed({ mode: 'fast', image: img() }), invalid(/not a prompt mode/));
    await assert.rejects(client.segment({ mode: 'sam', image: img() }), invalid(/use seglens\/prompt/));
  });

  test('a pair that does not fit the contract fails at load (1004) naming the input and the shape expected', async () => {
    const m = onnx.ModelProto.decode(samDecoderModel());
    m.graph!.input!.find((i) => i.name === 'mask_input')!.type!.tensorType!.shape!.dim = [1, 1, 64, 64].map((d) => ({ dimValue: d }));
    const bad = path.join(dir, 'bad-decoder.onnx');
    fs.writeFileSync(bad, onnx.ModelProto.encode(m).finish());
    const r = await client.defineModes({ modes: [{ ...pair.definition, id: 'sam-bad', model: bad }] });
    assert.deepEqual(r.errors, []);
    await assert.rejects(client.ensureReady('sam-bad'), (e: unknown) => {
      assert.ok(e instanceof ResponseError);
      assert.equal(e.code, P.ErrorCodes.ModelLoadFailed);
      assert.match(e.message, /model: decoder input 'mask_input' \[1, 1, 64, 64\] does not fit: expected \[1, 1, 256, 256\]/);
      return true;
    });
    assert.equal((await client.status()).modes.find((s) => s.mode === 'sam-bad')!.state, 'failed');
  });
});

describe('the byte budget', () => {
  test('past --embedding-cache-mb the least recently used embedding goes first', async () => {
    // 4 MiB an embedding: 9 MB hold two.
    const small = await startListening({ embeddingCacheMb: 9 });
    const c = await small.connect('budget');
    try {
      assert.deepEqual((await c.defineModes({ modes: [pair.definition] })).errors, []);
      const [a, b, d] = await Promise.all([1, 2, 3].map((i) => greyPng(path.join(dir, `budget-${i}.png`), 32, 32, 10 * i)));
      const embed = async (image: string) => (await c.embed({ mode: 'sam', image: { path: image } })).embedding;
      assert.equal(await embed(a), 'computed');
      assert.equal(await embed(b), 'computed');
      assert.equal(await embed(a), 'cached'); // a is now the most recently used
      assert.equal(await embed(d), 'computed'); // b goes
      assert.equal((await c.status()).modes.find((m) => m.mode === 'sam')!.embeddings, 2);
      assert.equal(await embed(a), 'cached');
      assert.equal(await embed(b), 'computed');
      assert.ok(metric((await c.metrics()).text, 'seglens_embedding_cache_bytes') <= 9 * 1024 * 1024);
    } finally {
      c.dispose();
      await small.stop();
    }
  });
});
